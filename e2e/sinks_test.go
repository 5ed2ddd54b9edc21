package e2e

import (
	"bytes"
	"compress/gzip"
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
	status int // the answer
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
	h.mu.Lock()
	h.reqs[n].status = status
	h.mu.Unlock()
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

// gunzipBody returns the body, gunzipped when the request says so.
func gunzipBody(t *testing.T, r recordedRequest) []byte {
	if r.header.Get("Content-Encoding") != "gzip" {
		return r.body
	}
	zr, err := gzip.NewReader(bytes.NewReader(r.body))
	if err != nil {
		t.Errorf("bad gzip body: %v", err)
		return nil
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Errorf("bad gzip body: %v", err)
	}
	return b
}

// esStandIn answers _bulk requests as Elasticsearch does, keeping documents
// by _id; the items of the first requests fail as fail says.
type esStandIn struct {
	mu     sync.Mutex
	docs   map[string]string // _id → message
	writes int               // documents written, replays included
}

func (es *esStandIn) answer(t *testing.T, fail func(req int, msg string) (int, string)) func(int, *http.Request, []byte) (int, http.Header, string) {
	return func(n int, r *http.Request, body []byte) (int, http.Header, string) {
		if !strings.HasSuffix(r.URL.Path, "/_bulk") {
			return http.StatusNotFound, nil, `{"error":"no handler"}`
		}
		body = gunzipBody(t, recordedRequest{header: r.Header, body: body})
		lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
		var items []string
		es.mu.Lock()
		defer es.mu.Unlock()
		for i := 0; i+1 < len(lines); i += 2 {
			var action map[string]struct {
				Index string `json:"_index"`
				ID    string `json:"_id"`
			}
			var doc struct {
				Timestamp string `json:"@timestamp"`
				Message   string `json:"message"`
			}
			if json.Unmarshal([]byte(lines[i]), &action) != nil || json.Unmarshal([]byte(lines[i+1]), &doc) != nil || doc.Timestamp == "" {
				t.Errorf("bad bulk pair: %s / %s", lines[i], lines[i+1])
				return http.StatusBadRequest, nil, `{"error":"bad request"}`
			}
			a := action["index"]
			status, errJSON := http.StatusCreated, ""
			if fail != nil {
				if st, e := fail(n, doc.Message); st != 0 {
					status, errJSON = st, e
				}
			}
			if status < 300 {
				es.docs[a.ID] = doc.Message
				es.writes++
			}
			item := fmt.Sprintf(`{"index":{"_index":%q,"_id":%q,"status":%d`, a.Index, a.ID, status)
			if errJSON != "" {
				item += `,"error":` + errJSON
			}
			items = append(items, item+"}}")
		}
		return http.StatusOK, http.Header{"Content-Type": {"application/json"}},
			`{"took":3,"errors":true,"items":[` + strings.Join(items, ",") + `]}`
	}
}

func (es *esStandIn) messages() map[string]int {
	es.mu.Lock()
	defer es.mu.Unlock()
	out := map[string]int{}
	for _, m := range es.docs {
		out[m]++
	}
	return out
}

// TestElasticsearchSinkCrashAndReplay: events indexed while sluice is
// killed and restarted are all in the index, each once (the _id is the
// event id, so a replay overwrites); items the cluster rejects with 429 are
// retried, a mapping error is dead-lettered with the cluster's reason.
func TestElasticsearchSinkCrashAndReplay(t *testing.T) {
	es := &esStandIn{docs: map[string]string{}}
	rec := newHTTPRecorder(t, nil)
	rec.answer = es.answer(t, func(req int, msg string) (int, string) {
		switch {
		case strings.Contains(msg, "mapping-bad"):
			return http.StatusBadRequest, `{"type":"mapper_parsing_exception","reason":"failed to parse field [status] of type [long]"}`
		case req < 20 && strings.HasSuffix(strings.Fields(msg)[0], "7"):
			return http.StatusTooManyRequests, `{"type":"es_rejected_execution_exception","reason":"rejected execution of coordinating operation"}`
		}
		return 0, ""
	})
	dir := t.TempDir()
	port := freePort(t)
	cfg := writeConfig(t, dir, fmt.Sprintf(`data_dir: %s
http: {listen: "127.0.0.1:%d"}
sources:
  heroku: {type: logplex, path: /logs}
sinks:
  search: {type: elasticsearch, urls: ["%s"], index: "logs-{app}-%%Y.%%m.%%d"}
subscriptions:
  - {sink: search, batch: {max_age: 20ms}, retry: {initial: 50ms, max: 500ms}}
`, filepath.Join(dir, "data"), port, rec.url()))
	p := start(t, dir, nil, "-config", cfg)
	url := fmt.Sprintf("http://127.0.0.1:%d/logs", port)
	status, body, err := drainPost{url: url, frameID: frameID(), frames: []string{frame("web.1", "mapping-bad status=abc")}}.do(http.DefaultClient)
	if err != nil || status/100 != 2 {
		t.Fatalf("POST: %d %s %v", status, body, err)
	}
	stop := make(chan struct{})
	l := &load{prefix: "es", url: url, drains: 4, frames: 100}
	done := make(chan struct{})
	go func() { l.run(stop, 0); close(done) }()
	time.Sleep(1500 * time.Millisecond)
	p.kill()
	close(stop)
	<-done
	if len(l.acked) == 0 {
		t.Fatal("nothing acknowledged before the kill")
	}
	p = start(t, dir, nil, "-config", cfg)
	deadline := time.Now().Add(60 * time.Second)
	var missing []string
	for {
		msgs := es.messages()
		have := map[string]bool{}
		for m := range msgs {
			have[strings.Fields(m)[0]] = true
		}
		missing = missing[:0]
		for id := range l.acked {
			if !have[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged lines not in the index, e.g. %v", len(missing), len(l.acked), missing[:min(5, len(missing))])
	}
	for m, n := range es.messages() {
		if n > 1 {
			t.Errorf("%q indexed as %d documents: a replay got a new _id", m, n)
		}
		if strings.Contains(m, "mapping-bad") {
			t.Errorf("the rejected document is in the index")
		}
	}
	es.mu.Lock()
	t.Logf("%d lines acknowledged, all indexed once; %d document writes (replays after the kill and 429 retries included)", len(l.acked), es.writes)
	es.mu.Unlock()
	dead, _ := filepath.Glob(filepath.Join(dir, "data", "deadletter", "*"))
	var dl []byte
	for _, f := range dead {
		b, _ := os.ReadFile(f)
		dl = append(dl, b...)
	}
	if !bytes.Contains(dl, []byte("mapping-bad")) || !bytes.Contains(dl, []byte("mapper_parsing_exception")) {
		t.Errorf("dead letters (%v) lack the rejected event and its reason:\n%.2000s", dead, dl)
	}
	p.stop()
}

// TestSumoLogicSinkOutage: the Sumo Logic preset against a local collector
// that is down (503), then throttles (429 with Retry-After), then accepts:
// every acknowledged line arrives, gzip'd, in Sumo's text form, with the
// headers from the templates; a crash in between loses nothing.
func TestSumoLogicSinkOutage(t *testing.T) {
	var mu sync.Mutex
	mode := "down"
	sumo := newHTTPRecorder(t, func(n int, r *http.Request, body []byte) (int, http.Header, string) {
		mu.Lock()
		defer mu.Unlock()
		switch mode {
		case "down":
			return http.StatusServiceUnavailable, nil, "service unavailable"
		case "throttle":
			mode = "up"
			return http.StatusTooManyRequests, http.Header{"Retry-After": {"1"}}, "slow down"
		}
		return http.StatusOK, nil, ""
	})
	dir := t.TempDir()
	port := freePort(t)
	cfg := writeConfig(t, dir, fmt.Sprintf(`data_dir: %s
http: {listen: "127.0.0.1:%d"}
sources:
  heroku: {type: logplex, path: /logs}
sinks:
  sumo:
    type: http
    preset: sumologic
    url: "%s/receiver/v1/http/SECRETTOKEN"
    headers: {X-Sumo-Category: "heroku/{app}"}
subscriptions:
  - {sink: sumo, batch: {max_age: 50ms}, retry: {initial: 50ms, max: 500ms}}
`, filepath.Join(dir, "data"), port, sumo.url()))
	p := start(t, dir, nil, "-config", cfg)
	url := fmt.Sprintf("http://127.0.0.1:%d/logs", port)
	stop := make(chan struct{})
	l := &load{prefix: "sumo", url: url, drains: 2, frames: 50}
	done := make(chan struct{})
	go func() { l.run(stop, 0); close(done) }()
	time.Sleep(time.Second)
	p.kill() // mid-outage
	close(stop)
	<-done
	p = start(t, dir, nil, "-config", cfg)
	time.Sleep(time.Second)
	mu.Lock()
	mode = "throttle"
	mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	var missing []string
	for {
		got := map[string]bool{}
		for _, r := range sumo.requests() {
			body := gunzipBody(t, r)
			for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
				f := strings.Fields(line)
				if len(f) >= 3 {
					got[f[2]] = true // "{time} {proc} {message}": the message's first word is the id
				}
			}
		}
		missing = missing[:0]
		for id := range l.acked {
			if !got[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged lines never reached Sumo, e.g. %v", len(missing), len(l.acked), missing[:min(5, len(missing))])
	}
	reqs := sumo.requests()
	throttled := 0
	for i, r := range reqs {
		if r.path != "/receiver/v1/http/SECRETTOKEN" || r.header.Get("X-Sumo-Category") != "heroku/app" || r.header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("request %d: path %s, headers %v", i, r.path, r.header)
		}
		// After the 429, requests waited for its Retry-After — but for one:
		// the sink has two workers, and the other one's request may have
		// been on its way when the 429 came back.
		if r.status == http.StatusTooManyRequests {
			throttled++
			early := 0
			for _, next := range reqs[i+1:] {
				if gap := next.at.Sub(r.at); gap < 900*time.Millisecond {
					early++
				}
			}
			if early > 1 {
				t.Errorf("%d requests came within 900ms after the 429, before Retry-After: 1 (one may have been in flight)", early)
			}
		}
	}
	if throttled != 1 {
		t.Errorf("%d throttled requests, want 1", throttled)
	}
	if strings.Contains(p.Logs(), "SECRETTOKEN") {
		t.Errorf("sluice logged the Sumo URL's token")
	}
	t.Logf("%d lines acknowledged, all delivered after the outage, a crash and a 429; %d requests", len(l.acked), len(reqs))
	p.stop()
}
