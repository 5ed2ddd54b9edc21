package firehose

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/sluicelog/sluice/internal/event"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeIngester records the batches it is given, or fails as told.
type fakeIngester struct {
	mu      sync.Mutex
	batches [][]event.Event
	err     error
}

func (f *fakeIngester) Ingest(_ context.Context, events []event.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	batch := make([]event.Event, len(events))
	for i := range events {
		batch[i] = events[i].Clone()
	}
	f.batches = append(f.batches, batch)
	return nil
}

func (f *fakeIngester) setErr(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

func (f *fakeIngester) events() []event.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []event.Event
	for _, b := range f.batches {
		all = append(all, b...)
	}
	return all
}

// testEnv is a handler behind a real HTTP server.
type testEnv struct {
	srv *httptest.Server
	h   *Handler
	ing *fakeIngester
	reg *prometheus.Registry
	url string
}

func newEnv(t *testing.T, cfg Config) *testEnv {
	t.Helper()
	env := &testEnv{ing: &fakeIngester{}, reg: prometheus.NewRegistry()}
	h, err := New(cfg, env.ing, env.reg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	env.h = h
	env.srv = httptest.NewServer(h)
	env.url = env.srv.URL + h.Path()
	t.Cleanup(env.srv.Close)
	return env
}

// answer is a response, checked against the Firehose response
// specification.
type answer struct {
	status int
	header http.Header
	resp   response
	raw    string
}

// post sends body with hdr and checks the answer's form: application/json,
// Content-Length, no Content-Encoding, requestId a string, timestamp an
// integer, errorMessage exactly on failure.
func (env *testEnv) post(t *testing.T, method string, body []byte, hdr http.Header) answer {
	t.Helper()
	req, err := http.NewRequest(method, env.url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	res, err := env.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return checkAnswer(t, res.StatusCode, res.Header, raw)
}

func checkAnswer(t testing.TB, status int, hdr http.Header, raw []byte) answer {
	t.Helper()
	if ct := hdr.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("status %d: Content-Type %q", status, ct)
	}
	if cl := hdr.Get("Content-Length"); cl != strconv.Itoa(len(raw)) {
		t.Fatalf("status %d: Content-Length %q for %d bytes", status, cl, len(raw))
	}
	if ce := hdr.Get("Content-Encoding"); ce != "" {
		t.Fatalf("status %d: Content-Encoding %q", status, ce)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatalf("status %d: body %q is not a JSON object: %v", status, raw, err)
	}
	if _, err := strconv.ParseInt(string(fields["timestamp"]), 10, 64); err != nil {
		t.Fatalf("status %d: timestamp %s is not an integer", status, fields["timestamp"])
	}
	if id := fields["requestId"]; len(id) == 0 || id[0] != '"' {
		t.Fatalf("status %d: requestId %s is not a string", status, id)
	}
	_, hasErr := fields["errorMessage"]
	if hasErr != (status != http.StatusOK) {
		t.Fatalf("status %d with errorMessage=%v: %s", status, hasErr, raw)
	}
	var a answer
	a.status, a.header, a.raw = status, hdr, string(raw)
	if err := json.Unmarshal(raw, &a.resp); err != nil {
		t.Fatal(err)
	}
	return a
}

// headers returns Firehose's request headers.
func headers(requestID, key string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Amz-Firehose-Protocol-Version", "1.0")
	if requestID != "" {
		h.Set(headerRequestID, requestID)
	}
	if key != "" {
		h.Set("X-Amz-Firehose-Access-Key", key)
	}
	return h
}

// readParseTestdata reads a file of internal/parse/cloudwatch/testdata.
func readParseTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "parse", "cloudwatch", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

// requestBody writes a Firehose request body as the specification shows
// it, each record's data base64-encoded.
func requestBody(requestID string, records ...[]byte) []byte {
	var b strings.Builder
	b.WriteString(`{"requestId":"` + requestID + `","timestamp":1578090901599,"records":[`)
	for i, r := range records {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"data":"` + base64.StdEncoding.EncodeToString(r) + `"}`)
	}
	b.WriteString("]}")
	return []byte(b.String())
}
