package logplex

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/pipeline"
)

// The body of log-iss's README example (echo adds the newline the count
// includes).
const readmeBody = "64 <13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 - - hi\n"

// The example POST of Logplex's doc/README.http_drains.md: ten frames.
var docExampleBody = strings.Repeat("70 <174>1 2012-07-22T00:06:26+00:00 host erlang console - Hi from erlang\n", 10)

const (
	docFrameID = "09C557EAFCFB6CF2740EE62F62971098"
	docToken   = "d.fc6b856b-3332-4546-93de-7d0ee272c3bd"
)

// Real lines as Logplex delivers them: the router, an app, a platform
// notice and runtime metrics.
var realLines = []string{
	`<158>1 2024-05-01T12:00:00.123456+00:00 host heroku router - at=info method=GET path="/api/items?page=2" host=myapp.herokuapp.com request_id=8601b555-6a9b-4ff1-a3b5-4b2fa8bc0a41 fwd="204.204.204.204" dyno=web.1 connect=0ms service=18ms status=200 bytes=1543 protocol=https` + "\n",
	`<190>1 2024-05-01T12:00:00.130001+00:00 host app web.1 - Started GET "/api/items?page=2" for 204.204.204.204 at 2024-05-01 12:00:00 +0000` + "\n",
	`<45>1 2024-05-01T12:00:01.000000+00:00 host heroku web.2 - State changed from starting to up` + "\n",
	`<134>1 2024-05-01T12:00:02.500000+00:00 host heroku web.1 - source=web.1 dyno=heroku.1234.abcd sample#memory_total=184.52MB sample#memory_rss=180.11MB` + "\n",
}

func realBody() string {
	var b strings.Builder
	for _, l := range realLines {
		b.WriteString(frame(l))
	}
	return b.String()
}

func TestReadmeExampleNetHTTP(t *testing.T) {
	env := newEnv(t, Config{Users: map[string][]string{"test": {"token"}}})
	req := newPost(t, env.url, strings.NewReader(readmeBody), http.Header{"Content-Type": {"application/logplex-1"}})
	req.SetBasicAuth("test", "token")
	a := do(t, nil, req)
	if a.status != http.StatusOK || a.body != "stored 1 frame\n" {
		t.Fatalf("got %d %q", a.status, a.body)
	}
	got := env.ing.events()
	if len(got) != 1 {
		t.Fatalf("stored %d events, want 1", len(got))
	}
	e := got[0]
	want := event.Event{
		Time:     time.Date(2013, 6, 7, 13, 17, 49, 468822000, time.UTC),
		Facility: event.FacilityFromCode(1),
		Host:     "host",
		App:      "heroku",
		Proc:     "web.7",
		Message:  "hi",
		Fields:   []event.Field{{Key: FieldOriginIP, Value: "127.0.0.1"}},
		Group:    "heroku",
		Stream:   "web.7",
	}
	// The severity is the enricher's business ("hi" reads as info).
	ignore := cmpopts.IgnoreFields(event.Event{}, "Received", "Severity", "SeveritySource")
	if diff := cmp.Diff(want, e, ignore, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Fatalf("event (-want +got):\n%s", diff)
	}
}

func TestReadmeExampleCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed")
	}
	env := newEnv(t, Config{Users: map[string][]string{"test": {"token"}}})
	run := func(args ...string) (status, body string) {
		t.Helper()
		args = append([]string{"-sS", "-o", "-", "-w", "\n%{http_code}", "--data-binary", "@-"}, args...)
		cmd := exec.Command(curl, append(args, env.url)...)
		cmd.Stdin = strings.NewReader(readmeBody)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("curl: %v", err)
		}
		i := bytes.LastIndexByte(out, '\n')
		return string(out[i+1:]), string(out[:i])
	}
	// The README's command line: curl -u test:token -H "Content-Type: application/logplex-1" --data-binary @/dev/stdin
	if status, body := run("-u", "test:token", "-H", "Content-Type: application/logplex-1"); status != "200" || body != "stored 1 frame\n" {
		t.Fatalf("curl got %s %q", status, body)
	}
	if status, body := run("-u", "test:wrong", "-H", "Content-Type: application/logplex-1"); status != "401" || !strings.Contains(body, "unauthorized") {
		t.Fatalf("curl with a wrong token got %s %q", status, body)
	}
	// curl's default content type is application/x-www-form-urlencoded.
	if status, body := run("-u", "test:token"); status != "415" || !strings.Contains(body, "application/logplex-1") {
		t.Fatalf("curl without content type got %s %q", status, body)
	}
	// Chunked upload, as a streaming client sends it.
	if status, _ := run("-u", "test:token", "-H", "Content-Type: application/logplex-1", "-H", "Transfer-Encoding: chunked"); status != "200" {
		t.Fatalf("chunked curl got %s", status)
	}
	if n := len(env.ing.events()); n != 2 {
		t.Fatalf("stored %d events, want 2", n)
	}
}

func TestLogplexDocExample(t *testing.T) {
	env := newEnv(t, Config{KeepRaw: true})
	hdr := drainHeaders(10, docFrameID, docToken)
	hdr.Set("X-Request-Id", "3b1d4b7e-0c7a-4f47-9d8d-6a1c3a0d2f11")
	if a := env.post(t, docExampleBody, hdr); a.status != http.StatusOK || a.body != "stored 10 frames\n" {
		t.Fatalf("got %d %q", a.status, a.body)
	}
	got := env.ing.events()
	if len(got) != 10 {
		t.Fatalf("stored %d events, want 10", len(got))
	}
	for i, e := range got {
		if e.Group != "heroku/"+docToken || e.Stream != "console" || e.Source != docToken || e.App != "erlang" ||
			e.Host != docToken || e.Message != "Hi from erlang" || e.ID != fmt.Sprintf("%s.%d", docFrameID, i) {
			t.Fatalf("event %d: %+v", i, e)
		}
		if e.Raw != "<174>1 2012-07-22T00:06:26+00:00 host erlang console - Hi from erlang\n" {
			t.Fatalf("event %d: Raw %q", i, e.Raw)
		}
		if e.Received.IsZero() || time.Since(e.Received) > time.Minute {
			t.Fatalf("event %d: Received %v", i, e.Received)
		}
		wantFields := []event.Field{
			{Key: FieldDrainToken, Value: docToken},
			{Key: FieldFrameID, Value: docFrameID},
			{Key: FieldRequestID, Value: "3b1d4b7e-0c7a-4f47-9d8d-6a1c3a0d2f11"},
			{Key: FieldOriginIP, Value: "127.0.0.1"},
		}
		if diff := cmp.Diff(wantFields, e.Fields); diff != "" {
			t.Fatalf("event %d fields (-want +got):\n%s", i, diff)
		}
	}
	if !strings.Contains(env.logs(), `"request_id":"3b1d4b7e-0c7a-4f47-9d8d-6a1c3a0d2f11"`) {
		t.Fatalf("log lacks the request id:\n%s", env.logs())
	}
}

func TestRealBodyEnrichedAndNamed(t *testing.T) {
	env := newEnv(t, Config{DrainNames: map[string]string{docToken: "myapp"}})
	if a := env.post(t, realBody(), drainHeaders(len(realLines), docFrameID, docToken)); a.status != http.StatusOK {
		t.Fatalf("got %d %q", a.status, a.body)
	}
	got := env.ing.events()
	if len(got) != len(realLines) {
		t.Fatalf("stored %d events", len(got))
	}
	router := got[0]
	if router.Group != "heroku/myapp" || router.Stream != "router" {
		t.Fatalf("router line: group %q stream %q", router.Group, router.Stream)
	}
	if f, ok := router.Field("status"); !ok || f.Value != "200" {
		t.Fatalf("router line not enriched: %+v", router.Fields)
	}
	if f, ok := router.Field(FieldOriginIP); !ok || f.Value != "127.0.0.1" {
		t.Fatalf("router line lacks origin.ip: %+v", router.Fields)
	}
	if got[1].Message != `Started GET "/api/items?page=2" for 204.204.204.204 at 2024-05-01 12:00:00 +0000` || got[1].Stream != "web.1" {
		t.Fatalf("app line: %+v", got[1])
	}
}

func TestGzipChunkedLikeLogShuttle(t *testing.T) {
	env := newEnv(t, Config{})
	// Record how the request arrived.
	var te []string
	var cl int64
	inner := env.srv.Config.Handler
	env.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		te, cl = r.TransferEncoding, r.ContentLength
		inner.ServeHTTP(w, r)
	})
	// log-shuttle's GzipFormatter streams through an io.Pipe: no length.
	pr, pw := io.Pipe()
	go func() {
		zw := gzip.NewWriter(pw)
		_, err := io.WriteString(zw, realBody())
		if err == nil {
			err = zw.Close()
		}
		pw.CloseWithError(err)
	}()
	hdr := drainHeaders(len(realLines), "", "")
	hdr.Set("Content-Encoding", "gzip")
	hdr.Set("X-Request-Id", "shuttle-batch-1")
	a := do(t, nil, newPost(t, env.url, pr, hdr))
	if a.status != http.StatusOK {
		t.Fatalf("got %d %q", a.status, a.body)
	}
	if len(te) != 1 || te[0] != "chunked" || cl != -1 {
		t.Fatalf("request was not chunked: Transfer-Encoding %v, Content-Length %d", te, cl)
	}
	if n := len(env.ing.events()); n != len(realLines) {
		t.Fatalf("stored %d events", n)
	}
	if got := counter(t, env.reg, "sluice_source_received_bytes_total", nil); got <= 0 || got >= float64(len(realBody())) {
		t.Fatalf("received bytes %v: want the compressed size", got)
	}
}

func TestMsgCountMismatch(t *testing.T) {
	env := newEnv(t, Config{})
	a := env.post(t, docExampleBody, drainHeaders(11, docFrameID, docToken))
	if a.status != http.StatusBadRequest || !strings.Contains(a.body, "11") || !strings.Contains(a.body, "10 frames") {
		t.Fatalf("got %d %q", a.status, a.body)
	}
	if env.ing.batchCount() != 0 {
		t.Fatal("stored a batch whose count was wrong")
	}
	hdr := drainHeaders(0, "", "")
	hdr.Set("Logplex-Msg-Count", "ten")
	if a := env.post(t, docExampleBody, hdr); a.status != http.StatusBadRequest || !strings.Contains(a.body, `"ten"`) {
		t.Fatalf("invalid count: got %d %q", a.status, a.body)
	}
	// The frame id was not remembered: the corrected batch is stored.
	if a := env.post(t, docExampleBody, drainHeaders(10, docFrameID, docToken)); a.status != http.StatusOK || a.body != "stored 10 frames\n" {
		t.Fatalf("corrected batch: got %d %q", a.status, a.body)
	}
}

func TestAuth(t *testing.T) {
	env := newEnv(t, Config{Users: map[string][]string{"drain": {"s3cret"}, "other": {"pw"}}})
	f := func(user, pass string, set bool, want int) {
		t.Helper()
		req := newPost(t, env.url, strings.NewReader(readmeBody), drainHeaders(1, "", ""))
		if set {
			req.SetBasicAuth(user, pass)
		}
		a := do(t, nil, req)
		if a.status != want {
			t.Fatalf("%s:%s: got %d %q, want %d", user, pass, a.status, a.body, want)
		}
		if want == http.StatusUnauthorized && a.header.Get("WWW-Authenticate") != `Basic realm="sluice"` {
			t.Fatalf("WWW-Authenticate %q", a.header.Get("WWW-Authenticate"))
		}
	}
	f("", "", false, http.StatusUnauthorized)
	f("drain", "wrong", true, http.StatusUnauthorized)
	f("drain", "pw", true, http.StatusUnauthorized) // another user's password
	f("nobody", "s3cret", true, http.StatusUnauthorized)
	f("drain", "s3cret", true, http.StatusOK)
	f("other", "pw", true, http.StatusOK)
	// A wrong password is refused before the body is read or checked.
	req := newPost(t, env.url, strings.NewReader("junk"), http.Header{"Content-Type": {"text/plain"}})
	if a := do(t, nil, req); a.status != http.StatusUnauthorized {
		t.Fatalf("unauthenticated junk: %d", a.status)
	}
}

func TestContentType(t *testing.T) {
	env := newEnv(t, Config{})
	f := func(ct, encoding string, want int, wantBody string) {
		t.Helper()
		hdr := http.Header{}
		if ct != "" {
			hdr.Set("Content-Type", ct)
		}
		if encoding != "" {
			hdr.Set("Content-Encoding", encoding)
		}
		a := env.post(t, readmeBody, hdr)
		if a.status != want || !strings.Contains(a.body, wantBody) {
			t.Fatalf("Content-Type %q, Content-Encoding %q: got %d %q, want %d containing %q", ct, encoding, a.status, a.body, want, wantBody)
		}
	}
	f("", "", http.StatusUnsupportedMediaType, "missing Content-Type: want application/logplex-1")
	f("application/json", "", http.StatusUnsupportedMediaType, `unsupported Content-Type "application/json": want application/logplex-1`)
	f("application/logplex-2", "", http.StatusUnsupportedMediaType, "want application/logplex-1")
	f("application/logplex-1; charset=utf-8", "", http.StatusOK, "stored 1 frame")
	f("Application/Logplex-1", "", http.StatusOK, "stored 1 frame")
	f("application/logplex-1", "br", http.StatusUnsupportedMediaType, `unsupported Content-Encoding "br"`)
	f("application/logplex-1", "identity", http.StatusOK, "stored 1 frame")
	f("application/logplex-1", "gzip", http.StatusBadRequest, "cannot decompress the gzip request body")
}

func TestMethod(t *testing.T) {
	env := newEnv(t, Config{})
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodHead} {
		req, _ := http.NewRequest(m, env.url, strings.NewReader(readmeBody))
		req.Header = drainHeaders(1, "", "")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
			t.Fatalf("%s: got %d, Allow %q", m, resp.StatusCode, resp.Header.Get("Allow"))
		}
		if m != http.MethodHead {
			checkContentLength(t, resp, body)
			if !strings.Contains(string(body), "method "+m+" is not allowed") {
				t.Fatalf("%s: body %q", m, body)
			}
		}
	}
}

func TestOversizeBodies(t *testing.T) {
	const limit = 4096
	env := newEnv(t, Config{MaxBodyBytes: limit})
	big := strings.Repeat(frame("<13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 - - "+strings.Repeat("x", 100)+"\n"), 40)

	// With a Content-Length: refused before reading.
	a := env.post(t, big, drainHeaders(40, "", ""))
	if a.status != http.StatusRequestEntityTooLarge || !strings.Contains(a.body, "4096-byte limit") {
		t.Fatalf("plain: got %d %q", a.status, a.body)
	}
	// Chunked, so the size is only found while reading.
	a = do(t, nil, newPost(t, env.url, io.MultiReader(strings.NewReader(big)), drainHeaders(40, "", "")))
	if a.status != http.StatusRequestEntityTooLarge || !strings.Contains(a.body, "4096-byte limit") {
		t.Fatalf("chunked: got %d %q", a.status, a.body)
	}
	// A gzip bomb: 3 MiB of zeros in 3 KiB.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(make([]byte, 3<<20))
	_ = zw.Close()
	if gz.Len() > limit {
		t.Fatalf("bomb is %d bytes", gz.Len())
	}
	hdr := drainHeaders(1, "", "")
	hdr.Set("Content-Encoding", "gzip")
	a = env.post(t, gz.String(), hdr)
	if a.status != http.StatusRequestEntityTooLarge || !strings.Contains(a.body, "decompressed request body is larger than the 4096-byte limit") {
		t.Fatalf("gzip bomb: got %d %q", a.status, a.body)
	}
	if env.ing.batchCount() != 0 {
		t.Fatal("stored an oversize body")
	}
	if got := counter(t, env.reg, "sluice_source_requests_total", map[string]string{"code": "413", "source": "logplex"}); got != 3 {
		t.Fatalf("413s counted: %v", got)
	}
}

func TestTooManyFrames(t *testing.T) {
	env := newEnv(t, Config{MaxFrames: 5})
	a := env.post(t, docExampleBody, drainHeaders(10, "", ""))
	if a.status != http.StatusRequestEntityTooLarge || !strings.Contains(a.body, "more than 5 frames") {
		t.Fatalf("got %d %q", a.status, a.body)
	}
}

func TestMalformedFrameAmongGoodOnes(t *testing.T) {
	env := newEnv(t, Config{})
	bad := "<13>1 2013-13-07T13:17:49Z host heroku web.7 - bad month\n"
	body := frame(realLines[1]) + frame(bad) + frame(realLines[2])
	a := env.post(t, body, drainHeaders(3, "F1", "d.tok"))
	if a.status != http.StatusOK || !strings.HasPrefix(a.body, "stored 3 frames; 1 malformed, kept raw with a parse_error field; first: cannot parse RFC 5424 line: TIMESTAMP") {
		t.Fatalf("got %d %q", a.status, a.body)
	}
	got := env.ing.events()
	if len(got) != 3 {
		t.Fatalf("stored %d events", len(got))
	}
	e := got[1]
	if e.Message != strings.TrimSuffix(bad, "\n") || e.ID != "F1.1" || e.Group != "heroku/d.tok" {
		t.Fatalf("malformed event: %+v", e)
	}
	if f, ok := e.Field("parse_error"); !ok || !strings.Contains(f.Value, "TIMESTAMP") {
		t.Fatalf("malformed event fields: %+v", e.Fields)
	}
	if got := counter(t, env.reg, "sluice_source_frames_malformed_total", nil); got != 1 {
		t.Fatalf("malformed counted: %v", got)
	}
	if got := counter(t, env.reg, "sluice_source_frames_accepted_total", nil); got != 3 {
		t.Fatalf("accepted counted: %v", got)
	}
}

func TestFramingErrorKeepsTheRest(t *testing.T) {
	f := func(name, body string, wantGood int, wantTail, wantProblem string) {
		t.Helper()
		env := newEnv(t, Config{KeepRaw: true})
		a := env.post(t, body, drainHeaders(wantGood+1, "F", "d.tok"))
		if a.status != http.StatusOK || !strings.Contains(a.body, wantProblem) || !strings.Contains(a.body, "Logplex-Msg-Count is") {
			t.Fatalf("%s: got %d %q", name, a.status, a.body)
		}
		got := env.ing.events()
		if len(got) != wantGood+1 {
			t.Fatalf("%s: stored %d events, want %d", name, len(got), wantGood+1)
		}
		tail := got[wantGood]
		if tail.Message != wantTail || tail.Raw != wantTail || tail.ID != fmt.Sprintf("F.%d", wantGood) || tail.Group != "heroku/d.tok" {
			t.Fatalf("%s: tail event %+v", name, tail)
		}
		if f, ok := tail.Field("parse_error"); !ok || !strings.Contains(f.Value, wantProblem) {
			t.Fatalf("%s: tail fields %+v", name, tail.Fields)
		}
		if f, ok := tail.Field(FieldTailBytes); !ok || f.Value != fmt.Sprint(len(wantTail)) {
			t.Fatalf("%s: tail fields %+v", name, tail.Fields)
		}
		if got := counter(t, env.reg, "sluice_source_framing_errors_total", nil); got != 1 {
			t.Fatalf("%s: framing errors counted: %v", name, got)
		}
	}
	good := frame(realLines[1]) + frame(realLines[2])
	f("truncated last frame", good+"300 <13>1 2013-06-07T13:17:49Z host app web.1 - cut", 2,
		"300 <13>1 2013-06-07T13:17:49Z host app web.1 - cut", "truncated frame")
	f("junk tail", good+"hello world\n", 2, "hello world\n", "expected a frame length")
	f("all junk", "hello world", 0, "hello world", "expected a frame length")
}

func TestTruncatedHTTPBody(t *testing.T) {
	env := newEnv(t, Config{})
	conn, err := net.Dial("tcp", env.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := docExampleBody[:300]
	fmt.Fprintf(conn, "POST /logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/logplex-1\r\nContent-Length: %d\r\n\r\n%s", len(docExampleBody), body)
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	checkContentLength(t, resp, got)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(got), "ended early") {
		t.Fatalf("got %d %q", resp.StatusCode, got)
	}
	if env.ing.batchCount() != 0 {
		t.Fatal("stored part of a truncated body")
	}
}

func TestStalledBodyTimesOut(t *testing.T) {
	ing := &fakeIngester{}
	h, err := New(Config{}, ing, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ReadTimeout = 300 * time.Millisecond
	srv.Start()
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/logplex-1\r\nContent-Length: 1000\r\n\r\n%s", readmeBody)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	checkContentLength(t, resp, got)
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(got), "timed out reading the request body") {
		t.Fatalf("got %d %q", resp.StatusCode, got)
	}
}

func TestDuplicateFrameIDNotStoredTwice(t *testing.T) {
	env := newEnv(t, Config{})
	hdr := drainHeaders(10, docFrameID, docToken)
	if a := env.post(t, docExampleBody, hdr); a.status != http.StatusOK {
		t.Fatalf("first: %d %q", a.status, a.body)
	}
	a := env.post(t, docExampleBody, hdr)
	if a.status != http.StatusOK || !strings.Contains(a.body, "duplicate Logplex-Frame-Id "+docFrameID) {
		t.Fatalf("retry: %d %q", a.status, a.body)
	}
	if env.ing.batchCount() != 1 {
		t.Fatalf("stored %d batches, want 1", env.ing.batchCount())
	}
	if got := counter(t, env.reg, "sluice_source_duplicates_skipped_total", nil); got != 10 {
		t.Fatalf("duplicates counted: %v", got)
	}
	// A token that is not a plain name does not name a group.
	if a := env.post(t, readmeBody, drainHeaders(1, "X", "../../etc")); a.status != http.StatusOK {
		t.Fatalf("odd token: %d %q", a.status, a.body)
	}
	if e := env.ing.events()[10]; e.Group != "heroku" || e.Source != "../../etc" {
		t.Fatalf("odd token: group %q source %q", e.Group, e.Source)
	}
	// The same frame id from another drain is another batch.
	if a := env.post(t, docExampleBody, drainHeaders(10, docFrameID, "d.other")); a.status != http.StatusOK || env.ing.batchCount() != 3 {
		t.Fatalf("other drain: %d %q, %d batches", a.status, a.body, env.ing.batchCount())
	}
	// After the window, the id is forgotten.
	env.h.now = func() time.Time { return time.Now().Add(DefaultDedupeWindow + time.Second) }
	if a := env.post(t, docExampleBody, hdr); a.status != http.StatusOK || env.ing.batchCount() != 4 {
		t.Fatalf("after the window: %d %q, %d batches", a.status, a.body, env.ing.batchCount())
	}
}

func TestFailedBatchIsNotRemembered(t *testing.T) {
	env := newEnv(t, Config{})
	env.ing.setErr(&pipeline.FullError{RetryAfter: 2500 * time.Millisecond, Bytes: 100, MaxBytes: 100})
	hdr := drainHeaders(10, docFrameID, docToken)
	a := env.post(t, docExampleBody, hdr)
	if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") != "3" || !strings.Contains(a.body, "write-ahead log is full") {
		t.Fatalf("full: %d %q Retry-After %q", a.status, a.body, a.header.Get("Retry-After"))
	}
	env.ing.setErr(nil)
	if a := env.post(t, docExampleBody, hdr); a.status != http.StatusOK || a.body != "stored 10 frames\n" || env.ing.batchCount() != 1 {
		t.Fatalf("retry after full: %d %q, %d batches", a.status, a.body, env.ing.batchCount())
	}
}

func TestConcurrentRetryWaitsForTheFirst(t *testing.T) {
	env := newEnv(t, Config{})
	env.ing.block = make(chan struct{})
	env.ing.entered = make(chan struct{}, 2)
	hdr := drainHeaders(10, docFrameID, docToken)
	first := make(chan answer, 1)
	go func() { first <- env.post(t, docExampleBody, hdr) }()
	<-env.ing.entered // the first request is storing
	second := make(chan answer, 1)
	go func() { second <- env.post(t, docExampleBody, hdr) }()
	time.Sleep(50 * time.Millisecond)
	select {
	case a := <-second:
		t.Fatalf("the retry was answered while the first attempt was storing: %d %q", a.status, a.body)
	default:
	}
	close(env.ing.block)
	if a := <-first; a.status != http.StatusOK || a.body != "stored 10 frames\n" {
		t.Fatalf("first: %d %q", a.status, a.body)
	}
	if a := <-second; a.status != http.StatusOK || !strings.Contains(a.body, "duplicate") {
		t.Fatalf("second: %d %q", a.status, a.body)
	}
	if env.ing.batchCount() != 1 {
		t.Fatalf("stored %d batches", env.ing.batchCount())
	}
}

func TestIngestErrors(t *testing.T) {
	env := newEnv(t, Config{})
	f := func(err error, want int, check func(a answer) bool) {
		t.Helper()
		env.ing.setErr(err)
		a := env.post(t, readmeBody, drainHeaders(1, "", ""))
		if a.status != want || !strings.Contains(a.body, "cannot store the batch: "+err.Error()) || !check(a) {
			t.Fatalf("%v: got %d %q %v", err, a.status, a.body, a.header)
		}
	}
	f(&pipeline.FullError{RetryAfter: 5 * time.Second}, http.StatusServiceUnavailable, func(a answer) bool { return a.header.Get("Retry-After") == "5" })
	f(fmt.Errorf("cannot append: %w", &pipeline.FullError{RetryAfter: 10 * time.Millisecond}), http.StatusServiceUnavailable, func(a answer) bool { return a.header.Get("Retry-After") == "1" })
	f(pipeline.ErrClosed, http.StatusServiceUnavailable, func(a answer) bool { return a.close && a.header.Get("Retry-After") == "" })
	f(errors.New("disk on fire"), http.StatusInternalServerError, func(a answer) bool { return true })
	if !strings.Contains(env.logs(), `"level":"ERROR"`) || !strings.Contains(env.logs(), "disk on fire") {
		t.Fatalf("5xx not logged as errors:\n%s", env.logs())
	}
}

func TestClientGoneWhileStoring(t *testing.T) {
	env := newEnv(t, Config{})
	env.ing.block = make(chan struct{})
	env.ing.entered = make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	req := newPost(t, env.url, strings.NewReader(docExampleBody), drainHeaders(10, docFrameID, docToken)).WithContext(ctx)
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-env.ing.entered
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("client got %v", err)
	}
	waitFor(t, "the canceled request to be counted", func() bool {
		return counter(t, env.reg, "sluice_source_requests_total", map[string]string{"code": "canceled"}) == 1
	})
	// Not remembered: Logplex's retry is stored.
	env.ing.block = nil
	if a := env.post(t, docExampleBody, drainHeaders(10, docFrameID, docToken)); a.status != http.StatusOK || a.body != "stored 10 frames\n" {
		t.Fatalf("retry: %d %q", a.status, a.body)
	}
}

func TestEnforceHTTPS(t *testing.T) {
	env := newEnv(t, Config{EnforceHTTPS: true})
	a := env.post(t, readmeBody, drainHeaders(1, "", ""))
	if a.status != http.StatusBadRequest || !strings.Contains(a.body, "only HTTPS requests are accepted") {
		t.Fatalf("plain http: %d %q", a.status, a.body)
	}
	hdr := drainHeaders(1, "", "")
	hdr.Set("X-Forwarded-Proto", "https")
	if a := env.post(t, readmeBody, hdr); a.status != http.StatusOK {
		t.Fatalf("forwarded https: %d %q", a.status, a.body)
	}
	tls := httptest.NewTLSServer(env.h)
	defer tls.Close()
	if a := do(t, tls.Client(), newPost(t, tls.URL+"/logs", strings.NewReader(readmeBody), drainHeaders(1, "", ""))); a.status != http.StatusOK {
		t.Fatalf("TLS: %d %q", a.status, a.body)
	}
}

func TestEmptyBody(t *testing.T) {
	env := newEnv(t, Config{})
	if a := env.post(t, "", http.Header{"Content-Type": {"application/logplex-1"}}); a.status != http.StatusOK || a.body != "stored 0 frames\n" {
		t.Fatalf("empty: %d %q", a.status, a.body)
	}
	if a := env.post(t, "", drainHeaders(0, "F", "")); a.status != http.StatusOK {
		t.Fatalf("empty with count 0: %d %q", a.status, a.body)
	}
	if a := env.post(t, "", drainHeaders(3, "G", "")); a.status != http.StatusBadRequest {
		t.Fatalf("empty with count 3: %d %q", a.status, a.body)
	}
	hdr := drainHeaders(0, "", "")
	hdr.Set("Content-Encoding", "gzip")
	if a := env.post(t, "", hdr); a.status != http.StatusOK {
		t.Fatalf("empty gzip: %d %q", a.status, a.body)
	}
	if env.ing.batchCount() != 0 {
		t.Fatal("ingested an empty batch")
	}
}

func TestXForwardedFor(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	f := func(remote string, xff []string, prefixes []netip.Prefix, want string) {
		t.Helper()
		r := httptest.NewRequest(http.MethodPost, "/logs", nil)
		r.RemoteAddr = remote
		for _, v := range xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		got := originIP(r, prefixes)
		gotS := ""
		if got.IsValid() {
			gotS = got.String()
		}
		if gotS != want {
			t.Fatalf("RemoteAddr %q, X-Forwarded-For %q: got %q, want %q", remote, xff, gotS, want)
		}
	}
	f("203.0.113.7:5555", nil, nil, "203.0.113.7")
	f("203.0.113.7:5555", []string{"198.51.100.1"}, nil, "203.0.113.7")                       // nobody trusted
	f("203.0.113.7:5555", []string{"198.51.100.1"}, trusted, "203.0.113.7")                   // untrusted peer
	f("127.0.0.1:5555", []string{"198.51.100.1"}, trusted, "198.51.100.1")                    // trusted peer
	f("127.0.0.1:5555", []string{"1.1.1.1, 198.51.100.1, 10.1.2.3"}, trusted, "198.51.100.1") // rightmost untrusted
	f("127.0.0.1:5555", []string{"1.1.1.1, 198.51.100.1", "10.1.2.3"}, trusted, "198.51.100.1")
	f("127.0.0.1:5555", []string{"10.9.9.9, 10.1.2.3"}, trusted, "10.9.9.9") // all trusted: leftmost
	f("127.0.0.1:5555", []string{""}, trusted, "127.0.0.1")
	f("127.0.0.1:5555", []string{`1.2.3.4"] [evil x="y`}, trusted, "127.0.0.1")   // injection: not an address
	f("127.0.0.1:5555", []string{`1.1.1.1, "]`, "10.0.0.1"}, trusted, "10.0.0.1") // stops at the garbage
	f("127.0.0.1:5555", []string{"[2001:db8::1]:443"}, trusted, "2001:db8::1")
	f("[fd00::1]:5555", []string{"2001:db8::2"}, trusted, "2001:db8::2")
	f("[::ffff:127.0.0.1]:5555", []string{"192.0.2.9:1234"}, trusted, "192.0.2.9")
	f("127.0.0.1:5555", []string{"fe80::1%eth0"}, trusted, "127.0.0.1")
	f("bogus", []string{"192.0.2.9"}, trusted, "")

	// Through the handler: the value is only ever an address in a field.
	env := newEnv(t, Config{TrustedProxies: trusted})
	for _, tc := range []struct{ xff, want string }{
		{"203.0.113.9, 10.0.0.1", "203.0.113.9"},
		{`"] [origin ip="6.6.6.6"]`, "127.0.0.1"},
		{"999.1.1.1, 198.51.100.23", "198.51.100.23"},
	} {
		hdr := drainHeaders(1, "", "")
		hdr.Set("X-Forwarded-For", tc.xff)
		if a := env.post(t, readmeBody, hdr); a.status != http.StatusOK {
			t.Fatalf("%q: %d %q", tc.xff, a.status, a.body)
		}
		got := env.ing.events()
		if f, _ := got[len(got)-1].Field(FieldOriginIP); f.Value != tc.want {
			t.Fatalf("X-Forwarded-For %q: origin.ip %q, want %q", tc.xff, f.Value, tc.want)
		}
	}
}

func TestQueryParams(t *testing.T) {
	env := newEnv(t, Config{QueryParams: LogIssQueryParams(), FieldParams: []string{"team", "env"}, MetadataID: "meta@1"})
	a := do(t, nil, newPost(t, env.url+"?index=main&sourcetype=heroku&team=a%20b&env=prod&other=x", strings.NewReader(readmeBody), drainHeaders(1, "", "")))
	if a.status != http.StatusOK {
		t.Fatalf("%d %q", a.status, a.body)
	}
	e := env.ing.events()[0]
	want := []event.Field{
		{Key: FieldOriginIP, Value: "127.0.0.1"},
		{Key: "meta@1.index", Value: "main"},
		{Key: "meta@1.sourcetype", Value: "heroku"},
		{Key: "meta@1.fields", Value: "team=a b,env=prod"},
	}
	if diff := cmp.Diff(want, e.Fields); diff != "" {
		t.Fatalf("fields (-want +got):\n%s", diff)
	}
}

func TestEveryAnswerHasContentLength(t *testing.T) {
	env := newEnv(t, Config{Users: map[string][]string{"u": {"p"}}, MaxBodyBytes: 1 << 10})
	send := func(method string, body io.Reader, hdr http.Header, auth bool) answer {
		t.Helper()
		req, err := http.NewRequest(method, env.url, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header = hdr
		if auth {
			req.SetBasicAuth("u", "p")
		}
		return do(t, nil, req) // do checks Content-Length and Transfer-Encoding
	}
	seen := map[int]bool{}
	seen[send(http.MethodPost, strings.NewReader(readmeBody), drainHeaders(1, "A", ""), true).status] = true
	seen[send(http.MethodPost, strings.NewReader(readmeBody), drainHeaders(1, "A", ""), true).status] = true // duplicate
	seen[send(http.MethodPost, strings.NewReader(readmeBody), drainHeaders(2, "", ""), true).status] = true
	seen[send(http.MethodPost, strings.NewReader(readmeBody), drainHeaders(1, "", ""), false).status] = true
	seen[send(http.MethodGet, nil, http.Header{}, true).status] = true
	seen[send(http.MethodPost, io.MultiReader(strings.NewReader(strings.Repeat("x", 2000))), drainHeaders(1, "", ""), true).status] = true
	seen[send(http.MethodPost, strings.NewReader(readmeBody), http.Header{"Content-Type": {"text/plain"}}, true).status] = true
	env.ing.setErr(errors.New("boom"))
	seen[send(http.MethodPost, strings.NewReader(readmeBody), drainHeaders(1, "", ""), true).status] = true
	env.ing.setErr(&pipeline.FullError{})
	seen[send(http.MethodPost, strings.NewReader(readmeBody), drainHeaders(1, "", ""), true).status] = true
	for _, want := range []int{200, 400, 401, 405, 413, 415, 500, 503} {
		if !seen[want] {
			t.Errorf("no answer with status %d was checked", want)
		}
	}
}

func TestMetricsAndLogs(t *testing.T) {
	env := newEnv(t, Config{})
	env.post(t, docExampleBody, drainHeaders(10, "", ""))
	env.post(t, readmeBody, http.Header{"Content-Type": {"text/plain"}})
	want := map[string]float64{
		"sluice_source_frames_accepted_total":    10,
		"sluice_source_received_bytes_total":     float64(len(docExampleBody)),
		"sluice_source_request_duration_seconds": 2,
		"sluice_source_frames_malformed_total":   0,
	}
	for name, v := range want {
		if got := counter(t, env.reg, name, map[string]string{"source": "logplex"}); got != v {
			t.Errorf("%s = %v, want %v", name, got, v)
		}
	}
	if got := counter(t, env.reg, "sluice_source_requests_total", map[string]string{"code": "200"}); got != 1 {
		t.Errorf("200s: %v", got)
	}
	if got := counter(t, env.reg, "sluice_source_requests_total", map[string]string{"code": "415"}); got != 1 {
		t.Errorf("415s: %v", got)
	}
	waitFor(t, "two log lines", func() bool { return strings.Count(env.logs(), "\n") == 2 })
	for _, line := range strings.Split(strings.TrimSpace(env.logs()), "\n") {
		if !strings.Contains(line, `"request_id":"`) || !strings.Contains(line, `"source":"logplex"`) {
			t.Errorf("log line without request id: %s", line)
		}
	}
}

func TestNew(t *testing.T) {
	ing := &fakeIngester{}
	if _, err := New(Config{}, nil, nil, nil); err == nil || !strings.HasPrefix(err.Error(), "cannot create logplex source: ") {
		t.Fatalf("nil ingester: %v", err)
	}
	_, err := New(Config{
		Path:           "logs",
		Users:          map[string][]string{"a:b": {""}, "": {"x"}},
		MaxBodyBytes:   -1,
		TrustedProxies: []netip.Prefix{{}},
		DrainNames:     map[string]string{"d.x": ""},
	}, ing, nil, nil)
	for _, want := range []string{"path", "empty password", "contains ':'", "empty user name", "max_body_bytes", "trusted_proxies[0]", "drain_names"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %q", err, want)
		}
	}
	// Two logplex sources share one registry.
	reg := prometheus.NewRegistry()
	h1, err := New(Config{}, ing, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := New(Config{Path: "/drain2"}, ing, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h1.m.accepted != h2.m.accepted || h2.Path() != "/drain2" || h1.Path() != DefaultPath {
		t.Fatal("second handler does not share the metrics")
	}
	// A conflicting collector is an error, not a panic.
	reg2 := prometheus.NewRegistry()
	reg2.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "sluice_source_frames_accepted_total", Help: "x", ConstLabels: prometheus.Labels{"source": "logplex"}}))
	if _, err := New(Config{}, ing, reg2, nil); err == nil || !strings.Contains(err.Error(), "cannot register metrics") {
		t.Fatalf("conflicting registration: %v", err)
	}
}
