package slack

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sluicelog/sluice/internal/event"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// secretPath is the secret part of the test webhooks: no error may show it.
const secretPath = "/services/T0SLUICE/B0SLUICE/s3cr3tT0k3nXYZ"

// loadEvents reads testdata/name: sluice's JSON events, one per line (the
// output of `sluice parse` on the .logplex inputs, or written by hand).
func loadEvents(t testing.TB, name string) []event.Event {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var out []event.Event
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var e event.Event
		if err := e.UnmarshalJSON(sc.Bytes()); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, e)
	}
	return out
}

// posted is one request the test webhook received.
type posted struct {
	at          time.Time
	contentType string
	raw         []byte
	msg         Message
	status      int
}

// webhook is a Slack incoming webhook on 127.0.0.1 that records exactly
// what arrived, decoding every body strictly, and answers as answer says
// (the request's number from 0, and the request); nil answers 200 "ok".
type webhook struct {
	t      *testing.T
	srv    *httptest.Server
	answer func(n int, r *http.Request, w http.ResponseWriter) bool

	mu   sync.Mutex
	reqs []posted
}

func newWebhook(t *testing.T, answer func(n int, r *http.Request, w http.ResponseWriter) bool) *webhook {
	t.Helper()
	wh := &webhook{t: t, answer: answer}
	wh.srv = httptest.NewServer(http.HandlerFunc(wh.serve))
	t.Cleanup(wh.srv.Close)
	return wh
}

// url is the webhook's URL, secret path included.
func (wh *webhook) url() string { return wh.srv.URL + secretPath }

func (wh *webhook) serve(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	if r.Method != http.MethodPost || r.URL.Path != secretPath {
		wh.t.Errorf("request %s %s, want POST of the webhook's path", r.Method, r.URL.Path)
	}
	var raw bytes.Buffer
	if _, err := raw.ReadFrom(r.Body); err != nil {
		wh.t.Errorf("cannot read request body: %v", err)
	}
	var m Message
	dec := json.NewDecoder(bytes.NewReader(raw.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		wh.t.Errorf("request body is not a Slack message: %v\n%s", err, raw.Bytes())
	}
	wh.mu.Lock()
	n := len(wh.reqs)
	wh.reqs = append(wh.reqs, posted{at: at, contentType: r.Header.Get("Content-Type"), raw: raw.Bytes(), msg: m, status: 200})
	wh.mu.Unlock()
	rec := &statusRecorder{ResponseWriter: w, status: 200}
	if wh.answer == nil || !wh.answer(n, r, rec) {
		_, _ = w.Write([]byte("ok"))
	}
	wh.mu.Lock()
	wh.reqs[n].status = rec.status
	wh.mu.Unlock()
}

// requests returns what arrived so far.
func (wh *webhook) requests() []posted {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	return append([]posted(nil), wh.reqs...)
}

// accepted returns the titles of the messages answered 2xx, in order.
func (wh *webhook) accepted() []string {
	var out []string
	for _, p := range wh.requests() {
		if p.status/100 == 2 {
			out = append(out, p.msg.Attachments[0].Title)
		}
	}
	return out
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// reply answers with status, body and optional header key/value pairs.
func reply(w http.ResponseWriter, status int, body string, header ...string) bool {
	for i := 0; i+1 < len(header); i += 2 {
		w.Header().Set(header[i], header[i+1])
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
	return true
}

// checkNoSecret fails when err shows the webhook's secret path.
func checkNoSecret(t *testing.T, err error) {
	t.Helper()
	if err != nil && (strings.Contains(err.Error(), secretPath) || strings.Contains(err.Error(), "s3cr3t")) {
		t.Errorf("error shows the webhook's secret: %v", err)
	}
}
