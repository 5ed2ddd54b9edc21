package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
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

var _ pipeline.Ingester = (*fakeIngester)(nil)

// received is the fixed receive time of test handlers.
var received = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

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
	h, err := New(cfg, env.ing, env.reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.now = func() time.Time { return received }
	env.h = h
	mux := http.NewServeMux()
	mux.Handle(h.Path(), h)
	mux.Handle(h.Path()+"/", h)
	env.srv = httptest.NewServer(mux)
	env.url = env.srv.URL + h.Path()
	t.Cleanup(env.srv.Close)
	return env
}

// answer is a response as the client saw it.
type answer struct {
	status int
	body   string
	resp   response
	header http.Header
	close  bool
}

// do sends req and checks what every response must have: an explicit
// Content-Length, a JSON body, an X-Request-Id.
func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.TransferEncoding) != 0 || resp.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
		t.Errorf("status %d: Content-Length %q, Transfer-Encoding %v, body of %d bytes", resp.StatusCode, resp.Header.Get("Content-Length"), resp.TransferEncoding, len(body))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("status %d: Content-Type %q", resp.StatusCode, ct)
	}
	if resp.Header.Get("X-Request-Id") == "" {
		t.Errorf("status %d: no X-Request-Id", resp.StatusCode)
	}
	a := answer{status: resp.StatusCode, body: string(body), header: resp.Header, close: resp.Close}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a.resp); err != nil {
		t.Errorf("status %d: body %q is not a response: %v", resp.StatusCode, body, err)
	}
	return a
}

// post sends body to env.url+suffix with the given Content-Type and
// header pairs.
func (env *testEnv) post(t *testing.T, suffix, contentType, body string, hdr ...string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, env.url+suffix, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return do(t, req)
}

func gzipped(s string) string {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write([]byte(s))
	_ = zw.Close()
	return b.String()
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
