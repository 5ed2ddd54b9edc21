package elasticsearch

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"go.uber.org/goleak"

	"github.com/sluicelog/sluice/internal/event"
)

// leakCheck verifies, after every other cleanup, that no goroutine leaked.
func leakCheck(t *testing.T) {
	t.Helper()
	t.Cleanup(func() { goleak.VerifyNone(t) })
}

// loadEvents reads testdata/events.ndjson: real-world events in sluice's
// JSON form (a Heroku router line, an app error, a Lambda REPORT, sshd over
// syslog, a JSON app log with nested fields, one without ID or Time).
func loadEvents(t testing.TB) []event.Event {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "events.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var events []event.Event
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e event.Event
		if err := e.UnmarshalJSON(sc.Bytes()); err != nil {
			t.Fatalf("events.ndjson line %d: %v", len(events)+1, err)
		}
		events = append(events, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return events
}

// manyEvents returns n events made from the testdata ones, with distinct
// IDs (prefix-<i>) and messages.
func manyEvents(t testing.TB, prefix string, n int) []event.Event {
	t.Helper()
	base := loadEvents(t)
	out := make([]event.Event, n)
	for i := range out {
		e := base[i%len(base)].Clone()
		e.ID = fmt.Sprintf("%s-%d", prefix, i)
		e.Message = fmt.Sprintf("%s #%d", e.Message, i)
		out[i] = e
	}
	return out
}

func readResponse(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "responses", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newTestSink(t *testing.T, cfg Config) *Sink {
	t.Helper()
	s, err := New(cfg, slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// bulkDoc is one action and its document as the test server read them.
type bulkDoc struct {
	Action, Index, ID string
	Timestamp         string
	// Event is the document without @timestamp, read back as an event.
	Event event.Event
	Line  string // the document line
}

// bulkRequest is one _bulk request as the test server read it.
type bulkRequest struct {
	Header  http.Header
	Query   string
	Path    string
	Sent    int // body bytes as received
	Encoded int // NDJSON bytes after gunzip
	Docs    []bulkDoc
}

// answer is a canned response; the zero value lets the server answer as
// Elasticsearch would.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// esServer is a _bulk endpoint on an httptest server that reads requests
// strictly (NDJSON, gzip, action and document lines, @timestamp first) and,
// unless respond says otherwise, answers as Elasticsearch does, keeping the
// documents by index and id: index replaces (200 updated), create of an
// existing id is refused with 409 version_conflict_engine_exception.
type esServer struct {
	t   testing.TB
	srv *httptest.Server

	// respond, when set, is asked first, with the request's number (from
	// 0) and what was read; a zero answer means: as Elasticsearch.
	respond func(n int, r *bulkRequest) answer
	// verify, when set, checks each request before it is read (e.g. its
	// signature); a non-empty result fails the request with 403.
	verify func(r *http.Request, body []byte) string
	// noFilterPath refuses filter_path as an unknown parameter (400).
	noFilterPath bool

	mu    sync.Mutex
	reqs  []*bulkRequest
	store map[string]string // index + "\x00" + id → document line
	auto  int
	// refuse holds, by document id, item answers given once (status and
	// error object) instead of indexing.
	refuse map[string]itemAnswer
}

// itemAnswer is a canned result for one action.
type itemAnswer struct {
	status int
	err    string // the "error" object
}

func newESServer(t testing.TB) *esServer {
	s := &esServer{t: t, store: make(map[string]string)}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *esServer) url() string { return s.srv.URL }

func (s *esServer) requests() []*bulkRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*bulkRequest(nil), s.reqs...)
}

// docs returns the stored documents' count.
func (s *esServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.store)
}

func (s *esServer) serve(w http.ResponseWriter, r *http.Request) {
	fail := func(format string, args ...any) {
		s.t.Errorf("test server: "+format, args...)
		http.Error(w, fmt.Sprintf(format, args...), http.StatusBadRequest)
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return // the client went away
	}
	if s.verify != nil {
		if problem := s.verify(r, raw); problem != "" {
			s.t.Errorf("test server: %s", problem)
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `{"message":%q}`, problem)
			return
		}
	}
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/_bulk") {
		fail("want POST …/_bulk, got %s %s", r.Method, r.URL.Path)
		return
	}
	if got := r.Header.Get("Content-Type"); got != "application/x-ndjson" {
		fail("Content-Type %q, want application/x-ndjson", got)
		return
	}
	if s.noFilterPath && r.URL.Query().Has("filter_path") {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write(readResponse(s.t, "400-filter-path.json"))
		return
	}
	if got := r.URL.Query().Get("filter_path"); got != filterPath && !s.noFilterPath {
		fail("filter_path %q, want %q", got, filterPath)
		return
	}
	body := raw
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			fail("Content-Encoding gzip but %v", err)
			return
		}
		if body, err = io.ReadAll(zr); err != nil {
			fail("bad gzip body: %v", err)
			return
		}
	}
	req := &bulkRequest{Header: r.Header.Clone(), Query: r.URL.RawQuery, Path: r.URL.Path, Sent: len(raw), Encoded: len(body)}
	if problem := readBulk(body, req); problem != "" {
		fail("%s", problem)
		return
	}
	s.mu.Lock()
	n := len(s.reqs)
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()
	var a answer
	if s.respond != nil {
		a = s.respond(n, req)
	}
	if a.status == 0 {
		a = s.index(req)
	}
	for k, v := range a.header {
		w.Header()[k] = v
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// readBulk parses an NDJSON bulk body strictly.
func readBulk(body []byte, req *bulkRequest) string {
	if len(body) == 0 || body[len(body)-1] != '\n' {
		return "body does not end with a newline"
	}
	lines := strings.Split(string(body[:len(body)-1]), "\n")
	if len(lines)%2 != 0 {
		return fmt.Sprintf("%d lines: actions and documents do not pair up", len(lines))
	}
	for i := 0; i < len(lines); i += 2 {
		var action map[string]map[string]any
		dec := json.NewDecoder(strings.NewReader(lines[i]))
		if err := dec.Decode(&action); err != nil || len(action) != 1 {
			return fmt.Sprintf("line %d: bad action %q: %v", i+1, lines[i], err)
		}
		var d bulkDoc
		for op, meta := range action {
			d.Action = op
			if op != "index" && op != "create" {
				return fmt.Sprintf("line %d: action %q", i+1, op)
			}
			for k, v := range meta {
				s, ok := v.(string)
				switch {
				case k == "_index" && ok:
					d.Index = s
				case k == "_id" && ok:
					d.ID = s
				default:
					return fmt.Sprintf("line %d: unexpected %s: %v", i+1, k, v)
				}
			}
		}
		if d.Index == "" {
			return fmt.Sprintf("line %d: no _index", i+1)
		}
		doc := lines[i+1]
		const prefix = `{"@timestamp":"`
		if !strings.HasPrefix(doc, prefix) || !json.Valid([]byte(doc)) {
			return fmt.Sprintf("line %d: document %q is not JSON starting with @timestamp", i+2, doc)
		}
		ts, rest, _ := strings.Cut(doc[len(prefix):], `",`)
		if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
			return fmt.Sprintf("line %d: @timestamp: %v", i+2, err)
		}
		d.Timestamp, d.Line = ts, doc
		if err := d.Event.UnmarshalJSON([]byte("{" + rest)); err != nil {
			return fmt.Sprintf("line %d: document is not the event's JSON form: %v", i+2, err)
		}
		req.Docs = append(req.Docs, d)
	}
	return ""
}

// index answers req as Elasticsearch does (full response, no filtering).
func (s *esServer) index(req *bulkRequest) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	type result struct {
		Index   string          `json:"_index"`
		ID      string          `json:"_id"`
		Version int             `json:"_version,omitempty"`
		Result  string          `json:"result,omitempty"`
		Status  int             `json:"status"`
		Error   json.RawMessage `json:"error,omitempty"`
	}
	var items []map[string]result
	errs := false
	for _, d := range req.Docs {
		id := d.ID
		if id == "" {
			s.auto++
			id = fmt.Sprintf("auto-%d", s.auto)
		}
		key := d.Index + "\x00" + id
		_, exists := s.store[key]
		r := result{Index: d.Index, ID: id, Version: 1, Result: "created", Status: http.StatusCreated}
		refused, once := s.refuse[id]
		delete(s.refuse, id)
		switch {
		case once:
			errs = true
			r = result{Index: d.Index, ID: id, Status: refused.status, Error: json.RawMessage(refused.err)}
		case exists && d.Action == "create":
			errs = true
			r = result{Index: d.Index, ID: id, Status: http.StatusConflict, Error: json.RawMessage(fmt.Sprintf(
				`{"type":"version_conflict_engine_exception","reason":"[%s]: version conflict, document already exists (current version [1])","index_uuid":"aAsFqTI0Tc2W0LCWgPNrOA","shard":"0","index":%q}`, id, d.Index))}
		case exists:
			r.Version, r.Result, r.Status = 2, "updated", http.StatusOK
		}
		if r.Status < 300 {
			s.store[key] = d.Line
		}
		items = append(items, map[string]result{d.Action: r})
	}
	body, err := json.Marshal(map[string]any{"took": 3, "errors": errs, "items": items})
	if err != nil {
		panic(err)
	}
	return answer{status: http.StatusOK, body: body}
}

// statusAnswer is a canned whole-request answer with a testdata body.
func statusAnswer(t testing.TB, status int, file string, header ...string) answer {
	a := answer{status: status, header: http.Header{}}
	if file != "" {
		a.body = readResponse(t, file)
	}
	for i := 0; i+1 < len(header); i += 2 {
		a.header.Set(header[i], header[i+1])
	}
	return a
}

// sigV4Verifier returns a verify function that checks requests signed for
// service and region with creds: the Authorization header's credential
// scope and signed headers, X-Amz-Content-Sha256 against the body as
// received, and the signature, recomputed with the SDK's signer over the
// same request at the X-Amz-Date time.
func sigV4Verifier(creds aws.Credentials, service, region string) func(*http.Request, []byte) string {
	return func(r *http.Request, body []byte) string {
		auth := r.Header.Get("Authorization")
		amzDate := r.Header.Get("X-Amz-Date")
		when, err := time.Parse("20060102T150405Z", amzDate)
		if err != nil {
			return fmt.Sprintf("X-Amz-Date %q: %v", amzDate, err)
		}
		wantPrefix := fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=",
			creds.AccessKeyID, when.Format("20060102"), region, service)
		if !strings.HasPrefix(auth, wantPrefix) {
			return fmt.Sprintf("Authorization %q does not start with %q", auth, wantPrefix)
		}
		signed, _, _ := strings.Cut(strings.TrimPrefix(auth, wantPrefix), ",")
		want := "content-encoding;content-length;content-type;host;x-amz-content-sha256;x-amz-date"
		if creds.SessionToken != "" {
			want += ";x-amz-security-token"
		}
		if r.Header.Get("Content-Encoding") == "" {
			want = strings.Replace(want, "content-encoding;", "", 1)
		}
		if signed != want {
			return fmt.Sprintf("SignedHeaders %q, want %q", signed, want)
		}
		if got := r.Header.Get("X-Amz-Content-Sha256"); got != payloadHash(body) {
			return fmt.Sprintf("X-Amz-Content-Sha256 %q is not the SHA-256 of the body as sent", got)
		}
		if creds.SessionToken != "" && r.Header.Get("X-Amz-Security-Token") != creds.SessionToken {
			return "X-Amz-Security-Token missing"
		}
		// Recompute: the same method, URL, signed headers and body.
		again, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			return err.Error()
		}
		for _, h := range strings.Split(signed, ";") {
			if h != "host" && h != "content-length" {
				again.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
			}
		}
		again.ContentLength = r.ContentLength
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, again, payloadHash(body), service, region, when); err != nil {
			return err.Error()
		}
		if got := again.Header.Get("Authorization"); got != auth {
			return fmt.Sprintf("signature does not recompute:\n got %s\nwant %s", auth, got)
		}
		return ""
	}
}
