package client_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/slogtest"
	"time"

	"go.uber.org/goleak"

	"github.com/sluicelog/sluice/client"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeSluice records the batches it receives and answers as told.
type fakeSluice struct {
	srv *httptest.Server

	mu      sync.Mutex
	batches [][]map[string]any
	reqs    int
	// answer, when set, answers request n (0-based) instead of 200.
	answer func(n int, w http.ResponseWriter) bool
	// gate, when set, holds every request until it is closed.
	gate chan struct{}
}

func newFake(t *testing.T) *fakeSluice {
	t.Helper()
	f := &fakeSluice{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSluice) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	n := f.reqs
	f.reqs++
	answer, gate := f.answer, f.gate
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	var batch []map[string]any
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e map[string]any
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			http.Error(w, `{"error":"bad json"}`, 400)
			return
		}
		batch = append(batch, e)
	}
	if answer != nil && answer(n, w) {
		return
	}
	f.mu.Lock()
	f.batches = append(f.batches, batch)
	f.mu.Unlock()
	_ = json.NewEncoder(w).Encode(map[string]int{"accepted": len(batch), "rejected": 0})
}

func (f *fakeSluice) sizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var s []int
	for _, b := range f.batches {
		s = append(s, len(b))
	}
	return s
}

func (f *fakeSluice) events() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []map[string]any
	for _, b := range f.batches {
		all = append(all, b...)
	}
	return all
}

func (f *fakeSluice) requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reqs
}

// safeBuffer is a Fallback safe for concurrent use.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Split(strings.TrimSuffix(s.b.String(), "\n"), "\n")
}

func newClient(t *testing.T, url string, opts client.Options) *client.Client {
	t.Helper()
	c, err := client.New(url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestBatchBySize(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.srv.URL, client.Options{BatchSize: 3, FlushInterval: time.Hour})
	logger := slog.New(c.Handler(nil))
	for i := range 7 {
		logger.Info("m", "i", i)
	}
	waitFor(t, "two full batches", func() bool { return len(f.sizes()) == 2 })
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f.sizes(); len(got) != 3 || got[0] != 3 || got[1] != 3 || got[2] != 1 {
		t.Fatalf("batch sizes %v", got)
	}
	if s := c.Stats(); s.Sent != 7 {
		t.Fatalf("stats %+v", s)
	}
}

func TestBatchByTime(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.srv.URL, client.Options{FlushInterval: 20 * time.Millisecond})
	slog.New(c.Handler(nil)).Info("a")
	slog.New(c.Handler(nil)).Info("b")
	waitFor(t, "the timed batch", func() bool { return len(f.events()) == 2 })
}

func TestRetryAfter503(t *testing.T) {
	f := newFake(t)
	f.answer = func(n int, w http.ResponseWriter) bool {
		if n == 0 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(503)
			_, _ = io.WriteString(w, `{"accepted":0,"rejected":0,"error":"log full"}`)
			return true
		}
		return false
	}
	c := newClient(t, f.srv.URL, client.Options{})
	slog.New(c.Handler(nil)).Info("a")
	start := time.Now()
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Fatalf("retried after %v, want Retry-After's 1s", d)
	}
	if s := c.Stats(); s.Retried != 1 || s.Sent != 1 || f.requests() != 2 {
		t.Fatalf("stats %+v, %d requests", s, f.requests())
	}
}

func Test400NotRetried(t *testing.T) {
	f := newFake(t)
	f.answer = func(int, http.ResponseWriter) bool { return false }
	f.answer = func(_ int, w http.ResponseWriter) bool {
		w.WriteHeader(400)
		_, _ = io.WriteString(w, `{"accepted":0,"rejected":1,"error":"every event was rejected; nothing stored"}`)
		return true
	}
	var fb safeBuffer
	var reported []error
	var mu sync.Mutex
	c := newClient(t, f.srv.URL, client.Options{Fallback: &fb, OnError: func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() }})
	slog.New(c.Handler(nil)).Info("bad")
	err := c.Flush(context.Background())
	want := "cannot send 1 events to sluice (written to the fallback): sluice answered 400: every event was rejected; nothing stored"
	if err == nil || err.Error() != want {
		t.Fatalf("Flush: %v", err)
	}
	mu.Lock()
	if len(reported) != 1 {
		t.Errorf("OnError got %v", reported)
	}
	mu.Unlock()
	if f.requests() != 1 || c.Stats().Retried != 0 || c.Stats().Failed != 1 {
		t.Fatalf("%d requests, stats %+v", f.requests(), c.Stats())
	}
	if l := fb.lines(); len(l) != 1 || !strings.Contains(l[0], `"message":"bad"`) {
		t.Fatalf("fallback %q", l)
	}
}

func TestRejectedCounted(t *testing.T) {
	f := newFake(t)
	f.answer = func(_ int, w http.ResponseWriter) bool {
		_, _ = io.WriteString(w, `{"accepted":1,"rejected":1,"errors":[{"index":1,"error":"cannot parse level"}]}`)
		return true
	}
	c := newClient(t, f.srv.URL, client.Options{})
	slog.New(c.Handler(nil)).Info("a")
	slog.New(c.Handler(nil)).Info("b")
	err := c.Flush(context.Background())
	if err == nil || err.Error() != "sluice rejected 1 of 2 events; first: event 1: cannot parse level" {
		t.Fatalf("Flush: %v", err)
	}
	if s := c.Stats(); s.Sent != 1 || s.Rejected != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestUnreachableAtClose(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	var fb safeBuffer
	c, err := client.New(url, client.Options{Fallback: &fb, RetryMax: 2, FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(c.Handler(nil))
	for i := range 5 {
		logger.Error("lost?", "i", i)
	}
	c.Writer().Write([]byte("partial line"))
	if err := c.Close(context.Background()); err == nil || !strings.Contains(err.Error(), "cannot send 6 events to sluice (written to the fallback)") {
		t.Fatalf("Close: %v", err)
	}
	lines := fb.lines()
	if len(lines) != 6 || !strings.Contains(lines[0], `"message":"lost?"`) || !strings.Contains(lines[5], `"message":"partial line"`) {
		t.Fatalf("fallback %q", lines)
	}
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Fatalf("fallback line %q is not JSON", l)
		}
	}
	if s := c.Stats(); s.Failed != 6 || s.Retried != 2 {
		t.Fatalf("stats %+v", s)
	}
	// After Close, events go straight to Fallback.
	logger.Info("late")
	if l := fb.lines(); len(l) != 7 {
		t.Fatalf("late event: fallback %q", l)
	}
	if err := c.Close(context.Background()); err == nil {
		t.Fatal("second Close succeeded")
	}
}

func TestCloseDeadline(t *testing.T) {
	f := newFake(t)
	f.answer = func(_ int, w http.ResponseWriter) bool {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(503)
		return true
	}
	var fb safeBuffer
	c, err := client.New(f.srv.URL, client.Options{Fallback: &fb})
	if err != nil {
		t.Fatal(err)
	}
	slog.New(c.Handler(nil)).Info("a")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = c.Close(ctx)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Close took %v", d)
	}
	if err == nil || len(fb.lines()) != 1 {
		t.Fatalf("Close: %v; fallback %q", err, fb.lines())
	}
}

func TestOnFullDrop(t *testing.T) {
	f := newFake(t)
	f.gate = make(chan struct{})
	c := newClient(t, f.srv.URL, client.Options{BatchSize: 5, MaxBuffered: 5, OnFull: client.Drop, FlushInterval: time.Hour})
	logger := slog.New(c.Handler(nil))
	for i := range 5 {
		logger.Info("m", "i", i)
	}
	waitFor(t, "the first batch in flight", func() bool { return f.requests() == 1 })
	start := time.Now()
	for i := range 15 {
		logger.Info("m", "i", 5+i)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Fatalf("Drop blocked for %v", d)
	}
	if s := c.Stats(); s.Dropped != 10 {
		t.Fatalf("stats %+v", s)
	}
	close(f.gate)
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	events := f.events()
	if len(events) != 11 || events[5]["message"] != "sluice client dropped 10 events" || events[5]["level"] != "warning" {
		t.Fatalf("events %v", events)
	}
	if s := c.Stats(); s.Sent != 11 {
		t.Fatalf("stats %+v", s)
	}
}

func TestOnFullBlock(t *testing.T) {
	f := newFake(t)
	f.gate = make(chan struct{})
	c := newClient(t, f.srv.URL, client.Options{BatchSize: 2, MaxBuffered: 2, BlockTimeout: 100 * time.Millisecond, FlushInterval: time.Hour})
	logger := slog.New(c.Handler(nil))
	logger.Info("1")
	logger.Info("2")
	waitFor(t, "the first batch in flight", func() bool { return f.requests() == 1 })
	logger.Info("3")
	logger.Info("4")
	start := time.Now()
	logger.Info("5: blocks, then dropped")
	if d := time.Since(start); d < 90*time.Millisecond || d > time.Second {
		t.Fatalf("blocked for %v, want BlockTimeout", d)
	}
	if s := c.Stats(); s.Dropped != 1 {
		t.Fatalf("stats %+v", s)
	}
	// A blocked caller gets in as soon as room frees.
	go func() {
		time.Sleep(20 * time.Millisecond)
		close(f.gate)
	}()
	c2done := make(chan struct{})
	go func() {
		defer close(c2done)
		logger.Info("6: waits for room")
	}()
	<-c2done
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := c.Stats(); s.Dropped != 1 || s.Sent != 6 { // 5 events and the drop report
		t.Fatalf("stats %+v", s)
	}
}

func TestWriter(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.srv.URL, client.Options{Group: "g", Stream: "s", App: "a", Host: "h", Proc: "p", FlushInterval: time.Hour})
	std := log.New(c.Writer(), "", 0)
	std.Println("first line")
	std.Print("second\r\n\nthird")
	_, _ = c.Writer().Write([]byte("fou"))
	_, _ = c.Writer().Write([]byte("rth\nfif"))
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, e := range f.events() {
		msgs = append(msgs, e["message"].(string))
		if e["group"] != "g" || e["stream"] != "s" || e["app"] != "a" || e["host"] != "h" || e["proc"] != "p" || e["level"] != nil || e["time"] == nil {
			t.Errorf("event %v", e)
		}
	}
	if strings.Join(msgs, "|") != "first line|second|third|fourth|fif" {
		t.Fatalf("messages %q", msgs)
	}
}

func TestNewErrors(t *testing.T) {
	for _, tt := range []struct {
		url  string
		opts client.Options
		want string
	}{
		{"ftp://x/ingest", client.Options{}, `cannot create sluice client: url "ftp://x/ingest" is not an http or https URL`},
		{"http://x", client.Options{BatchSize: -1}, "cannot create sluice client: BatchSize, MaxBuffered, FlushInterval and BlockTimeout may not be negative"},
		{"http://x", client.Options{BatchSize: 20, MaxBuffered: 10}, "cannot create sluice client: BatchSize 20 is larger than MaxBuffered 10"},
		{"http://x", client.Options{OnFull: 7}, "cannot create sluice client: unknown OnFull policy 7"},
	} {
		if _, err := client.New(tt.url, tt.opts); err == nil || err.Error() != tt.want {
			t.Errorf("%s %+v: %v", tt.url, tt.opts, err)
		}
	}
}

func TestLevels(t *testing.T) {
	for l, want := range map[slog.Level]string{
		slog.LevelDebug - 4: "debug", slog.LevelDebug: "debug", slog.LevelInfo: "info", slog.LevelInfo + 2: "notice",
		slog.LevelWarn: "warning", slog.LevelError: "error", slog.LevelError + 4: "crit",
	} {
		if got := client.LevelName(l); got != want {
			t.Errorf("LevelName(%v) = %q, want %q", l, got, want)
		}
	}
}

func TestSlogtest(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.srv.URL, client.Options{FlushInterval: time.Hour})
	var seen int
	slogtest.Run(t, func(*testing.T) slog.Handler {
		return c.Handler(nil)
	}, func(t *testing.T) map[string]any {
		if err := c.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		events := f.events()
		if len(events) != seen+1 {
			t.Fatalf("%d new events, want 1", len(events)-seen)
		}
		e := events[seen]
		seen++
		return slogResult(e)
	})
}

// slogResult turns an event back into what slogtest expects: time, level
// and msg at the top, fields with dotted keys as nested groups.
func slogResult(e map[string]any) map[string]any {
	m := map[string]any{}
	if v, ok := e["time"]; ok {
		m[slog.TimeKey] = v
	}
	m[slog.LevelKey] = e["level"]
	m[slog.MessageKey] = e["message"]
	fields, _ := e["fields"].(map[string]any)
	for k, v := range fields {
		parts := strings.Split(k, ".")
		cur := m
		for _, p := range parts[:len(parts)-1] {
			next, ok := cur[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[p] = next
			}
			cur = next
		}
		cur[parts[len(parts)-1]] = v
	}
	return m
}

func TestHandlerValues(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.srv.URL, client.Options{FlushInterval: time.Hour})
	h := c.Handler(&slog.HandlerOptions{
		Level:     slog.LevelDebug,
		AddSource: true,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == "secret" {
				return slog.String("secret", "***")
			}
			return a
		},
	})
	logger := slog.New(h).With("svc", "billing").WithGroup("req")
	logger.Debug("values",
		"secret", "hunter2", "d", 1500*time.Millisecond, "f", 1.5, "nan", 0.0/zero(), "err", errors.New("boom"),
		"obj", map[string]int{"a": 1}, "b", true, "u", uint64(7), slog.Group("", "inline", 1))
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	e := f.events()[0]
	fields := e["fields"].(map[string]any)
	want := map[string]any{
		"svc": "billing", "req.secret": "***", "req.d": "1.5s", "req.f": 1.5, "req.nan": "NaN", "req.err": "boom",
		"req.obj": map[string]any{"a": 1.0}, "req.b": true, "req.u": 7.0, "req.inline": 1.0,
	}
	for k, v := range want {
		if got, _ := json.Marshal(fields[k]); string(got) != mustJSON(v) {
			t.Errorf("field %s = %s, want %s", k, got, mustJSON(v))
		}
	}
	if e["level"] != "debug" || fields["source.file"] == nil || fields["source.line"] == nil {
		t.Errorf("event %v", e)
	}
}

func zero() float64 { return 0 }

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
