package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// httpRecorder is a local HTTP server standing in for Slack, Sumo Logic or
// Elasticsearch: it records every request and answers as answer says.
type httpRecorder struct {
	t      *testing.T
	srv    *http.Server
	ln     net.Listener
	mu     sync.Mutex
	reqs   []recordedRequest
	answer func(n int, r *http.Request, body []byte) (status int, header http.Header, resp string)
}

type recordedRequest struct {
	at     time.Time
	path   string
	header http.Header
	body   []byte
}

func newHTTPRecorder(t *testing.T, answer func(n int, r *http.Request, body []byte) (int, http.Header, string)) *httpRecorder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &httpRecorder{t: t, ln: ln, answer: answer}
	h.srv = &http.Server{Handler: h}
	go h.srv.Serve(ln)
	t.Cleanup(func() { h.srv.Close() })
	return h
}

func (h *httpRecorder) url() string { return "http://" + h.ln.Addr().String() }

func (h *httpRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	n := len(h.reqs)
	h.reqs = append(h.reqs, recordedRequest{at: time.Now(), path: r.URL.Path, header: r.Header.Clone(), body: body})
	h.mu.Unlock()
	status, header, resp := http.StatusOK, http.Header(nil), "ok"
	if h.answer != nil {
		status, header, resp = h.answer(n, r, body)
	}
	for k, v := range header {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
	io.WriteString(w, resp)
}

func (h *httpRecorder) requests() []recordedRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.reqs)
}

// waitRequests waits until at least n requests arrived, or timeout.
func (h *httpRecorder) waitRequests(n int, timeout time.Duration) []recordedRequest {
	deadline := time.Now().Add(timeout)
	for {
		reqs := h.requests()
		if len(reqs) >= n || time.Now().After(deadline) {
			return reqs
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// exampleFrames reads a Logplex body from examples/: one frame per line.
func exampleFrames(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	var frames []string
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if l != "" {
			frames = append(frames, l)
		}
	}
	return frames
}

// TestHerokuToSlackExample runs examples/heroku-to-slack.yaml as a user
// would, with a local server standing in for the Slack webhook: a Heroku
// drain body with app errors, router lines, Postgres checkpoints and an L10
// notice goes in; exactly the expected digests come out, one per severity,
// host, app and process, at most one per second.
func TestHerokuToSlackExample(t *testing.T) {
	slack := newHTTPRecorder(t, nil)
	dir := t.TempDir()
	port := freePort(t)
	cfg, err := filepath.Abs(filepath.Join("..", "examples", "heroku-to-slack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p := start(t, dir, []string{
		"SLACK_WEBHOOK_URL=" + slack.url() + "/services/T000/B000/XXXX",
		"DRAIN_TOKEN=drain-secret",
		"SLUICE_DATA=" + filepath.Join(dir, "data"),
		fmt.Sprintf("LISTEN=127.0.0.1:%d", port),
		"SLACK_WINDOW=2s",
	}, "-config", cfg)
	frames := exampleFrames(t, "heroku-to-slack.logplex")
	status, body, err := drainPost{url: "http://" + p.addr + "/logs", user: "drain", pass: "drain-secret", frames: frames}.do(http.DefaultClient)
	if err != nil || status != http.StatusNoContent && status != http.StatusOK {
		t.Fatalf("drain POST: %d %q %v", status, body, err)
	}

	want := map[string]string{
		":x: error host app web.1 (2 lines)":        "PG::ConnectionBad: could not connect to server",
		":x: error host app worker.1 (1 line)":      `level=error msg=\"job failed\"`,
		":x: error host heroku web.2 (1 line)":      "Error R14 (Memory quota exceeded)",
		":x: error host app postgres.1234 (1 line)": "duplicate key value violates unique constraint",
		":x: error host heroku web.1 (1 line)":      "State changed from up to crashed",
		":warning: warning host app web.1 (1 line)": "slow query",
	}
	slack.waitRequests(len(want), 30*time.Second)
	time.Sleep(3 * time.Second) // two more windows: nothing else may come
	reqs := slack.requests()
	got := map[string]string{}
	for i, r := range reqs {
		if r.path != "/services/T000/B000/XXXX" {
			t.Errorf("request %d to %s", i, r.path)
		}
		var msg struct {
			Attachments []struct{ Title, Text, Color string } `json:"attachments"`
		}
		if err := json.Unmarshal(r.body, &msg); err != nil || len(msg.Attachments) != 1 {
			t.Fatalf("request %d: not one attachment: %v %s", i, err, r.body)
		}
		a := msg.Attachments[0]
		got[a.Title] = a.Text
		for _, noise := range []string{"router", "checkpoint", "pg_stop_backup", "Error L10", "DEBUG", "sample#"} {
			if strings.Contains(a.Text, noise) || strings.Contains(a.Title, noise) {
				t.Errorf("digest %q carries noise %q:\n%s", a.Title, noise, a.Text)
			}
		}
		if i > 0 && r.at.Sub(reqs[i-1].at) < 900*time.Millisecond {
			t.Errorf("digests %d and %d only %s apart: Slack takes one message per second", i-1, i, r.at.Sub(reqs[i-1].at))
		}
	}
	if len(reqs) != len(want) {
		t.Errorf("got %d digests, want %d: %v", len(reqs), len(want), slices.Sorted(mapKeys(got)))
	}
	for title, line := range want {
		text, ok := got[title]
		if !ok {
			t.Errorf("missing digest %q; got %v", title, slices.Sorted(mapKeys(got)))
			continue
		}
		if !strings.Contains(strings.ReplaceAll(text, `"`, `\"`), line) && !strings.Contains(text, line) {
			t.Errorf("digest %q lacks %q:\n%s", title, line, text)
		}
	}
	// Everything is archived, noise included.
	if evs := waitEvents(t, filepath.Join(dir, "data", "archive"), len(frames)); len(evs) != len(frames) {
		t.Errorf("archive holds %d events, want %d", len(evs), len(frames))
	}
	p.stop()
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
