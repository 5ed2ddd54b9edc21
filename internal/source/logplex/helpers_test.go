package logplex

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/pipeline"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeIngester records the batches it is given, or fails as told.
type fakeIngester struct {
	mu      sync.Mutex
	batches [][]event.Event
	err     error
	// block, when set, makes Ingest wait until it is closed or the
	// context ends; entered receives a value when Ingest starts waiting.
	block   chan struct{}
	entered chan struct{}
}

func (f *fakeIngester) Ingest(ctx context.Context, events []event.Event) error {
	if f.block != nil {
		if f.entered != nil {
			f.entered <- struct{}{}
		}
		select {
		case <-f.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
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

// events returns every event stored so far.
func (f *fakeIngester) events() []event.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []event.Event
	for _, b := range f.batches {
		all = append(all, b...)
	}
	return all
}

func (f *fakeIngester) batchCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.batches)
}

// testEnv is a handler behind a real HTTP server.
type testEnv struct {
	srv *httptest.Server
	h   *Handler
	ing *fakeIngester
	reg *prometheus.Registry
	url string

	logMu  sync.Mutex
	logBuf bytes.Buffer
}

// logs returns what the handler logged so far (JSON lines).
func (env *testEnv) logs() string {
	env.logMu.Lock()
	defer env.logMu.Unlock()
	return env.logBuf.String()
}

func newEnv(t *testing.T, cfg Config) *testEnv {
	t.Helper()
	env := &testEnv{ing: &fakeIngester{}, reg: prometheus.NewRegistry()}
	logger := slog.New(slog.NewJSONHandler(lockedWriter{w: &env.logBuf, mu: &env.logMu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := New(cfg, env.ing, env.reg, logger)
	if err != nil {
		t.Fatal(err)
	}
	env.h = h
	env.srv = httptest.NewServer(h)
	env.url = env.srv.URL + "/logs"
	t.Cleanup(env.srv.Close)
	return env
}

// lockedWriter serialises writes to a buffer shared by handler goroutines.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// answer is a response as the client saw it.
type answer struct {
	status int
	body   string
	header http.Header
	close  bool
}

// do sends req and checks what every response must have: an explicit
// Content-Length and no chunked transfer encoding.
func do(t *testing.T, client *http.Client, req *http.Request) answer {
	t.Helper()
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	checkContentLength(t, resp, body)
	return answer{status: resp.StatusCode, body: string(body), header: resp.Header, close: resp.Close}
}

func checkContentLength(t *testing.T, resp *http.Response, body []byte) {
	t.Helper()
	if len(resp.TransferEncoding) != 0 {
		t.Errorf("status %d: Transfer-Encoding %v, want none", resp.StatusCode, resp.TransferEncoding)
	}
	if resp.ContentLength != int64(len(body)) || resp.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
		t.Errorf("status %d: Content-Length %d (header %q), body of %d bytes", resp.StatusCode, resp.ContentLength, resp.Header.Get("Content-Length"), len(body))
	}
}

// drainHeaders are the headers Logplex sends, for a body of n frames.
func drainHeaders(n int, frameID, token string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/logplex-1")
	h.Set("Logplex-Msg-Count", strconv.Itoa(n))
	if frameID != "" {
		h.Set("Logplex-Frame-Id", frameID)
	}
	if token != "" {
		h.Set("Logplex-Drain-Token", token)
	}
	h.Set("User-Agent", "Logplex/v123")
	return h
}

func newPost(t *testing.T, url string, body io.Reader, hdr http.Header) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	return req
}

// post sends body with the given headers and returns the answer.
func (env *testEnv) post(t *testing.T, body string, hdr http.Header) answer {
	t.Helper()
	return do(t, nil, newPost(t, env.url, strings.NewReader(body), hdr))
}

// frame octet-counts one syslog line (which should end in "\n", as
// Logplex's do).
func frame(line string) string {
	return strconv.Itoa(len(line)) + " " + line
}

// counter returns the value of the counter or histogram count named name
// whose labels include want.
func counter(t *testing.T, reg *prometheus.Registry, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue metrics
				}
			}
			if h := m.GetHistogram(); h != nil {
				return float64(h.GetSampleCount())
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var _ pipeline.Ingester = (*fakeIngester)(nil)
