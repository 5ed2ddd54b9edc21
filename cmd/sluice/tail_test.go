package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

// syncBuffer is an io.Writer a test may read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until cond holds for what w holds, or fails after timeout.
func waitFor(t *testing.T, what string, w *syncBuffer, timeout time.Duration, cond func(string) bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond(w.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("after %s, no %s in:\n%s", timeout, what, w.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// following is a `sluice tail -f` running in the test.
type following struct {
	stdout, stderr syncBuffer
	cancel         context.CancelFunc
	done           chan error
}

func startFollow(t *testing.T, fl follower) *following {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &following{cancel: cancel, done: make(chan error, 1)}
	fl.stdout, fl.stderr = &r.stdout, &r.stderr
	if fl.format == nil {
		fl.format = &lineFormat{loc: time.Local}
	}
	go func() { r.done <- fl.run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// stop interrupts it, as Ctrl-C does, and returns how it ended.
func (r *following) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("tail -f did not stop within 5s of its interruption")
		return nil
	}
}

// TestSSEReader: messages, names, comments, multi-line data, CRLF, long
// lines, and how a stream ends.
func TestSSEReader(t *testing.T) {
	long := strings.Repeat("y", 200<<10)
	in := ": keepalive\n\n" +
		"data: {\"a\":1}\n\n" +
		"event: dropped\r\ndata: {\"dropped\":3}\r\n\r\n" +
		"data:first\ndata: second\nid: 7\nretry: 100\n\n" +
		"data: " + long + "\n\n" +
		"data: cut short"
	rd := newSSEReader(strings.NewReader(in))
	lines := 0
	want := []sseMessage{{data: []byte(`{"a":1}`)}, {event: "dropped", data: []byte(`{"dropped":3}`)}, {data: []byte("first\nsecond")}, {data: []byte(long)}}
	for i, w := range want {
		m, err := rd.next(func() { lines++ })
		if err != nil || m.event != w.event || string(m.data) != string(w.data) {
			t.Fatalf("message %d: %q %.40q %v, want %q %.40q", i, m.event, m.data, err, w.event, w.data)
		}
	}
	if _, err := rd.next(nil); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a message cut short: %v, want io.ErrUnexpectedEOF", err)
	}
	if lines != 14 {
		t.Errorf("activity for %d lines, want 14 (keepalives count)", lines)
	}
	if _, err := newSSEReader(strings.NewReader("data: x\n\n")).next(nil); err != nil {
		t.Error(err)
	}
	// ready: whether the next whole message is already read, so that
	// output is flushed before waiting for more.
	rd = newSSEReader(strings.NewReader("data: a\n\ndata: b\r\n\r\ndata: c"))
	for i, want := range []bool{true, false} {
		if _, err := rd.next(nil); err != nil || rd.ready() != want {
			t.Errorf("after message %d: ready %v (%v), want %v", i, rd.ready(), err, want)
		}
	}
	rd = newSSEReader(strings.NewReader(": keepalive\n\n"))
	if _, err := rd.next(nil); err != io.EOF {
		t.Errorf("a stream ended between messages: %v, want io.EOF", err)
	}
}

// TestTailStored: without -f, the newest N matches, oldest first; exit 0
// even when there are none (tail is not grep).
func TestTailStored(t *testing.T) {
	a := startAPI(t, nil)
	for i := range 5 {
		a.write(t, line(i, event.Info, fmt.Sprintf("tick %d", i)))
	}
	a.write(t, line(5, event.Error, "boom"))
	env := map[string]string{"SLUICE_URL": a.url}
	out, errOut, code := runCmd(t, cmdTail, env, "tick", "-n", "2")
	want := localTime(3) + " heroku/shop app[web.1]: tick 3\n" + localTime(4) + " heroku/shop app[web.1]: tick 4\n"
	if code != 0 || out != want {
		t.Errorf("tail tick -n 2: exit %d\n%s(stderr %s)want\n%s", code, out, errOut, want)
	}
	out, _, code = runCmd(t, cmdTail, env, "--color=always")
	if code != 0 || strings.Count(out, "\n") != 6 || !strings.HasSuffix(out, "\x1b[31mERROR heroku/shop app[web.1]: boom\x1b[0m\n") {
		t.Errorf("tail --color=always: exit %d\n%q", code, out)
	}
	if out, _, code = runCmd(t, cmdTail, env, "nothing-like-this"); code != 0 || out != "" {
		t.Errorf("no match: exit %d %q", code, out)
	}
	if out, _, code = runCmd(t, cmdTail, env, "-n", "0"); code != 0 || out != "" {
		t.Errorf("-n 0: exit %d %q", code, out)
	}
	for _, args := range [][]string{{"-n", "-1"}, {"-f", "-n", "1001"}, {"-n"}} {
		if _, errOut, code = runCmd(t, cmdTail, env, args...); code != 2 || errOut == "" {
			t.Errorf("%q: exit %d, %q", args, code, errOut)
		}
	}
	// Errors of -f before any stream: a bad query (exit 2, its column).
	_, errOut, code = runCmd(t, cmdTail, env, "-f", "severity:<=loud")
	if code != 2 || !strings.Contains(errOut, "severity") {
		t.Errorf("tail -f with a bad query: exit %d, %q", code, errOut)
	}
}

// TestTailFollow: -f prints the backfill, then each new matching event as
// it is stored, and ends cleanly when interrupted.
func TestTailFollow(t *testing.T) {
	a := startAPI(t, nil)
	for i := range 5 {
		a.write(t, line(i, event.Info, fmt.Sprintf("tick %d", i)))
	}
	c, err := newAPIClient(a.url, "")
	if err != nil {
		t.Fatal(err)
	}
	r := startFollow(t, follower{c: c, q: "tick -app:other", backfill: 2})
	want := localTime(3) + " heroku/shop app[web.1]: tick 3\n" + localTime(4) + " heroku/shop app[web.1]: tick 4\n"
	waitFor(t, "backfill", &r.stdout, 5*time.Second, func(s string) bool { return s == want })

	other := line(6, event.Info, "tick from elsewhere")
	other.App = "other"
	other.ID = "other"
	a.write(t, line(5, event.Warning, "tock"), other)
	sent := time.Now()
	a.write(t, line(7, event.Warning, "tick 7"))
	want += localTime(7) + " WARNING heroku/shop app[web.1]: tick 7\n"
	waitFor(t, "the new line", &r.stdout, 5*time.Second, func(s string) bool { return s == want })
	if d := time.Since(sent); d > time.Second {
		t.Errorf("a new line took %s to be printed", d)
	}
	if err := r.stop(t); err != nil {
		t.Errorf("interrupted tail -f: %v, want nil (exit 0)", err)
	}
	if s := r.stderr.String(); s != "" {
		t.Errorf("stderr: %s", s)
	}
	if r.stdout.String() != want {
		t.Errorf("after the interruption:\n%s", r.stdout.String())
	}
}

// TestTailReconnect: when sluice restarts, tail -f says so on stderr,
// reconnects, and goes on printing new lines (not the backfill again).
func TestTailReconnect(t *testing.T) {
	a := startAPI(t, nil)
	a.write(t, line(0, event.Info, "before"))
	c, err := newAPIClient(a.url, "")
	if err != nil {
		t.Fatal(err)
	}
	r := startFollow(t, follower{c: c, backfill: 10, retryMin: 20 * time.Millisecond, retryMax: 100 * time.Millisecond})
	waitFor(t, "backfill", &r.stdout, 5*time.Second, func(s string) bool { return strings.Contains(s, "before") })

	a.restart(t)
	waitFor(t, "reconnection notice", &r.stderr, 5*time.Second, func(s string) bool {
		return strings.Contains(s, "reconnected to "+a.url+"; resuming after the last line shown")
	})
	if s := r.stderr.String(); !strings.Contains(s, "lost the connection to "+a.url) {
		t.Errorf("stderr does not say the connection was lost:\n%s", s)
	}
	a.write(t, line(1, event.Info, "after"))
	waitFor(t, "a line after the reconnection", &r.stdout, 5*time.Second, func(s string) bool { return strings.Contains(s, "after") })
	if n := strings.Count(r.stdout.String(), "before"); n != 1 {
		t.Errorf("the backfill was printed %d times:\n%s", n, r.stdout.String())
	}
	if err := r.stop(t); err != nil {
		t.Error(err)
	}
}

// TestTailStreamTrouble: a dropped notice goes to stderr; a stream that
// goes silent (no keepalive) is taken for dead and replaced. The server
// here is a stand-in, because the real one cannot be made to misbehave.
func TestTailStreamTrouble(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := conns.Add(1)
		if r.URL.Path != "/api/v1/tail" || r.URL.Query().Get("q") != "x" {
			http.Error(w, "unexpected "+r.URL.String(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "data: {\"time\":\"2026-11-21T10:00:00Z\",\"severity\":6,\"message\":\"conn %d backfill %s\"}\n\n", n, r.URL.Query().Get("backfill"))
		fmt.Fprint(w, "event: dropped\ndata: {\"dropped\":42}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done() // then silence
	}))
	defer srv.Close()
	c, err := newAPIClient(srv.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	r := startFollow(t, follower{c: c, q: "x", backfill: 5, idle: 300 * time.Millisecond, retryMin: 10 * time.Millisecond})
	waitFor(t, "a second connection", &r.stdout, 5*time.Second, func(s string) bool { return strings.Contains(s, "conn 2 backfill 0") })
	if !strings.Contains(r.stdout.String(), "conn 1 backfill 5") {
		t.Errorf("stdout:\n%s", r.stdout.String())
	}
	errOut := r.stderr.String()
	for _, want := range []string{"42 matching events were dropped", "nothing received for 300ms", "reconnected"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if err := r.stop(t); err != nil {
		t.Error(err)
	}
}

// TestTailNotAStream: a server that answers 200 with something else is not
// retried forever.
func TestTailNotAStream(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html>hello</html>")
	}))
	defer srv.Close()
	_, errOut, code := runCmd(t, cmdTail, map[string]string{"SLUICE_URL": srv.URL}, "-f")
	if code != 1 || !strings.Contains(errOut, "not an event stream") {
		t.Errorf("exit %d, %q", code, errOut)
	}
}
