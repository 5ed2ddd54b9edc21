package slack

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/sink"
	"github.com/sluicelog/sluice/internal/sink/sinkhelper"
)

// newTestSink returns a sink for url; interval 0 lifts the rate limit.
func newTestSink(t *testing.T, cfg Config, interval time.Duration) *Sink {
	t.Helper()
	s, err := newSink(cfg, nil, interval)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// threeDigests is a batch of three groups: error web.1, error web.2 (two
// events), warning web.1.
func threeDigests() []event.Event {
	at := time.Date(2026, 11, 20, 10, 1, 0, 0, time.UTC)
	return []event.Event{
		{Time: at, Severity: event.Error, Host: "host", App: "app", Proc: "web.1", Message: "PG::ConnectionBad", ID: "f.0"},
		{Time: at.Add(time.Second), Severity: event.Error, Host: "host", App: "app", Proc: "web.2", Message: "PG::ConnectionBad", ID: "f.1"},
		{Time: at.Add(2 * time.Second), Severity: event.Warning, Host: "host", App: "app", Proc: "web.1", Message: "slow query", ID: "f.2"},
		{Time: at.Add(3 * time.Second), Severity: event.Error, Host: "host", App: "app", Proc: "web.2", Message: "H12", ID: "f.3"},
	}
}

var threeTitles = []string{
	":x: error host app web.1 (1 line)",
	":x: error host app web.2 (2 lines)",
	":warning: warning host app web.1 (1 line)",
}

func TestWriteOK(t *testing.T) {
	wh := newWebhook(t, nil)
	cfg := Config{WebhookURL: wh.url()}
	s := newTestSink(t, cfg, 0)
	batch := loadEvents(t, "heroku.ndjson")
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	want, err := Digests(cfg, batch)
	if err != nil {
		t.Fatal(err)
	}
	reqs := wh.requests()
	if len(reqs) != len(want) {
		t.Fatalf("webhook got %d messages, want %d", len(reqs), len(want))
	}
	for i, r := range reqs {
		p, _ := want[i].Payload()
		if string(r.raw) != string(p) {
			t.Errorf("message %d:\ngot  %s\nwant %s", i, r.raw, p)
		}
		if r.contentType != "application/json" {
			t.Errorf("message %d: Content-Type %q", i, r.contentType)
		}
	}
	// An empty batch posts nothing.
	if err := s.Write(context.Background(), nil); err != nil || len(wh.requests()) != len(want) {
		t.Errorf("empty batch: %v, %d requests", err, len(wh.requests()))
	}
}

func TestWriteRetryAfter(t *testing.T) {
	wh := newWebhook(t, func(n int, r *http.Request, w http.ResponseWriter) bool {
		if n == 0 {
			return reply(w, http.StatusTooManyRequests, "rate_limited", "Retry-After", "1")
		}
		return false
	})
	s := newTestSink(t, Config{WebhookURL: wh.url()}, 0)
	batch := threeDigests()[:1]
	err := s.Write(context.Background(), batch)
	var ra sinkhelper.RetryAfterError
	if !errors.As(err, &ra) || ra.RetryAfter() != time.Second || sink.IsPermanent(err) {
		t.Fatalf("got %v, want a retryable error with RetryAfter 1s", err)
	}
	if !strings.Contains(err.Error(), "429") || !strings.Contains(err.Error(), "rate_limited") {
		t.Errorf("error %q does not say what Slack said", err)
	}
	checkNoSecret(t, err)
	// Even retried at once, nothing reaches the webhook before the
	// Retry-After has passed.
	if err := s.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	reqs := wh.requests()
	if len(reqs) != 2 {
		t.Fatalf("got %d requests, want 2", len(reqs))
	}
	if gap := reqs[1].at.Sub(reqs[0].at); gap < time.Second {
		t.Errorf("retry arrived %v after the 429, want at least 1s", gap)
	}
}

func TestWriteServerErrorThenSuccess(t *testing.T) {
	wh := newWebhook(t, func(n int, r *http.Request, w http.ResponseWriter) bool {
		if n == 1 {
			return reply(w, http.StatusInternalServerError, "rollup_error")
		}
		return false
	})
	s := newTestSink(t, Config{WebhookURL: wh.url()}, 0)
	batch := threeDigests()
	err := s.Write(context.Background(), batch)
	if err == nil || sink.IsPermanent(err) || !strings.Contains(err.Error(), "500") || !strings.Contains(err.Error(), "rollup_error") {
		t.Fatalf("got %v, want a retryable error naming 500 rollup_error", err)
	}
	checkNoSecret(t, err)
	// The retry of the same batch posts only what was not posted: no
	// digest twice.
	if err := s.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if got := wh.accepted(); !slices.Equal(got, threeTitles) {
		t.Errorf("accepted %q, want %q", got, threeTitles)
	}
	if n := len(wh.requests()); n != 4 {
		t.Errorf("got %d requests, want 4 (1 ok, 1 refused, 2 ok)", n)
	}
	// Another batch afterwards is posted whole.
	if err := s.Write(context.Background(), threeDigests()[2:]); err != nil {
		t.Fatal(err)
	}
	if n := len(wh.requests()); n != 6 {
		t.Errorf("got %d requests, want 6", n)
	}
}

func TestWriteInterleavedRetries(t *testing.T) {
	// Two batches in flight (two helper workers) both fail part-way; each
	// retry posts only its own batch's remaining digests.
	wh := newWebhook(t, func(n int, r *http.Request, w http.ResponseWriter) bool {
		if n == 1 || n == 3 {
			return reply(w, http.StatusServiceUnavailable, "")
		}
		return false
	})
	s := newTestSink(t, Config{WebhookURL: wh.url()}, 0)
	a, b := threeDigests(), threeDigests()
	for i := range b {
		b[i].App = "api"
	}
	for _, batch := range [][]event.Event{a, b} {
		if err := s.Write(context.Background(), batch); err == nil || !strings.Contains(err.Error(), "503") {
			t.Fatalf("got %v, want 503", err)
		}
	}
	for _, batch := range [][]event.Event{a, b} {
		if err := s.Write(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for _, t := range threeTitles {
		want = append(want, t, strings.Replace(t, " app ", " api ", 1))
	}
	got := wh.accepted()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("accepted %q, want each of %q once", got, want)
	}
}

func TestWritePermanent(t *testing.T) {
	f := func(status int, body string, wantRequests int, wantErr ...string) {
		t.Helper()
		wh := newWebhook(t, func(n int, r *http.Request, w http.ResponseWriter) bool {
			return reply(w, status, body)
		})
		s := newTestSink(t, Config{WebhookURL: wh.url()}, 0)
		err := s.Write(context.Background(), threeDigests())
		if !sink.IsPermanent(err) {
			t.Fatalf("%d %s: got %v, want a permanent error", status, body, err)
		}
		var items *sink.ItemsError
		if errors.As(err, &items) {
			t.Errorf("%d %s: got %v, want one error for the batch", status, body, err)
		}
		for _, w := range wantErr {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%d %s: error %q does not contain %q", status, body, err, w)
			}
		}
		checkNoSecret(t, err)
		if n := len(wh.requests()); n != wantRequests {
			t.Errorf("%d %s: got %d requests, want %d", status, body, n, wantRequests)
		}
	}
	// The webhook refuses everything: one request, the other digests are
	// not sent.
	f(404, "no_service", 1, "404 Not Found: no_service", "create a new one and update webhook_url", "the webhook http://127.0.0.1:")
	f(410, "channel_is_archived", 1, "410 Gone: channel_is_archived", "unarchive")
	f(403, "action_prohibited", 1, "403 Forbidden: action_prohibited", "Slack admin")
	f(400, "user_not_found", 1, "user_not_found", "check channel")
	f(301, "", 1, "301", "does not redirect")
	// Every digest refused on its own: each is tried.
	f(400, "invalid_payload", 3, "400 Bad Request: invalid_payload", "dead-lettered")
	f(413, "", 3, "413")
}

func TestWritePartlyRefused(t *testing.T) {
	f := func(status int, body string, wantRequests int, wantFailed []int) {
		t.Helper()
		wh := newWebhook(t, func(n int, r *http.Request, w http.ResponseWriter) bool {
			if n == 1 {
				return reply(w, status, body)
			}
			return false
		})
		s := newTestSink(t, Config{WebhookURL: wh.url()}, 0)
		err := s.Write(context.Background(), threeDigests())
		var items *sink.ItemsError
		if !errors.As(err, &items) {
			t.Fatalf("%d %s: got %v, want *sink.ItemsError", status, body, err)
		}
		var failed []int
		for _, it := range items.Failed {
			failed = append(failed, it.Index)
			if !sink.IsPermanent(it.Err) || !strings.Contains(it.Err.Error(), body) {
				t.Errorf("%d %s: event %d: %v, want permanent with Slack's code", status, body, it.Index, it.Err)
			}
			checkNoSecret(t, it.Err)
		}
		slices.Sort(failed)
		if !slices.Equal(failed, wantFailed) {
			t.Errorf("%d %s: failed events %v, want %v", status, body, failed, wantFailed)
		}
		if n := len(wh.requests()); n != wantRequests {
			t.Errorf("%d %s: got %d requests, want %d", status, body, n, wantRequests)
		}
	}
	// The second digest (events 1 and 3) refused; the third still posted.
	f(400, "invalid_payload", 3, []int{1, 3})
	// The channel archived after the first digest: the rest are not sent.
	f(410, "channel_is_archived", 2, []int{1, 2, 3})
}

func TestWriteTimeout(t *testing.T) {
	release := make(chan struct{})
	wh := newWebhook(t, func(n int, r *http.Request, w http.ResponseWriter) bool {
		select {
		case <-r.Context().Done():
		case <-release:
		}
		return false
	})
	defer close(release)
	s := newTestSink(t, Config{WebhookURL: wh.url(), Timeout: 100 * time.Millisecond}, 0)
	err := s.Write(context.Background(), threeDigests())
	if err == nil || sink.IsPermanent(err) || !strings.Contains(err.Error(), "no answer within 100ms (timeout)") {
		t.Fatalf("got %v, want a retryable timeout", err)
	}
	checkNoSecret(t, err)
}

func TestWriteConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	s := newTestSink(t, Config{WebhookURL: "http://" + addr + secretPath}, 0)
	err = s.Write(context.Background(), threeDigests())
	if err == nil || sink.IsPermanent(err) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("got %v, want a retryable connection refused", err)
	}
	if !strings.HasPrefix(err.Error(), "cannot post digest to the webhook http://"+addr+"/…: ") {
		t.Errorf("error %q does not name the webhook as expected", err)
	}
	checkNoSecret(t, err)
}

func TestWriteRateLimit(t *testing.T) {
	wh := newWebhook(t, nil)
	s := newTestSink(t, Config{WebhookURL: wh.url()}, postInterval)
	batch := threeDigests()
	if err := s.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	reqs := wh.requests()
	if len(reqs) != 3 {
		t.Fatalf("got %d requests, want 3", len(reqs))
	}
	// Spaced one second apart as sent; arrival may lag a send by the
	// scheduling of a busy machine, hence the small tolerance.
	const slack = 100 * time.Millisecond
	for i := 1; i < len(reqs); i++ {
		if gap := reqs[i].at.Sub(reqs[i-1].at); gap < time.Second-slack {
			t.Errorf("message %d arrived %v after the one before, want about 1s", i, gap)
		}
	}
	if span := reqs[2].at.Sub(reqs[0].at); span < 2*time.Second-slack {
		t.Errorf("3 messages took %v, want at least 2s", span)
	}
}

func TestWriteWaitRespectsContext(t *testing.T) {
	wh := newWebhook(t, nil)
	s := newTestSink(t, Config{WebhookURL: wh.url()}, time.Hour)
	batch := threeDigests()
	// The first digest goes at once; the second would wait an hour for
	// the limiter, beyond the context's deadline, so Write gives up.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := s.Write(ctx, batch)
	if err == nil || sink.IsPermanent(err) || !strings.Contains(err.Error(), "rate limit") {
		t.Fatalf("got %v, want a retryable error about the rate limit", err)
	}
	checkNoSecret(t, err)
	// Retried, only the two digests left are posted.
	s.limiter.SetLimit(rate.Inf)
	if err := s.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if got := wh.accepted(); !slices.Equal(got, threeTitles) {
		t.Errorf("accepted %q, want %q", got, threeTitles)
	}
	// A context that ended: nothing is sent.
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if err := s.Write(ctx, threeDigests()[:1]); !errors.Is(err, context.Canceled) || sink.IsPermanent(err) {
		t.Errorf("cancelled context: got %v", err)
	}
	// Nor during a Retry-After.
	s.mu.Lock()
	s.notBefore = time.Now().Add(time.Hour)
	s.mu.Unlock()
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Write(ctx, threeDigests()[:1]); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "Retry-After") {
		t.Errorf("during Retry-After: got %v", err)
	}
	if n := len(wh.requests()); n != 3 {
		t.Errorf("got %d requests, want 3", n)
	}
}

func TestWriteEscapingAndSize(t *testing.T) {
	wh := newWebhook(t, nil)
	s := newTestSink(t, Config{WebhookURL: wh.url(), MaxLines: MaxMaxLines, MaxLineLength: MaxMaxLineLength}, 0)
	batch := loadEvents(t, "escaping.ndjson")
	// Add a huge window: 3000 lines of 2,000 characters to one group.
	long := strings.Repeat("<b>&", 500)
	for i := range 3000 {
		e := batch[0]
		e.Message = long + string(rune('a'+i%26)) + strings.Repeat("z", i%50)
		batch = append(batch, e)
	}
	if err := s.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	reqs := wh.requests()
	if len(reqs) != 4 {
		t.Fatalf("got %d requests, want 4", len(reqs))
	}
	for _, r := range reqs {
		if strings.Contains(string(r.raw), `\u003c`) || strings.Contains(string(r.raw), `\u0026`) {
			t.Errorf("payload is HTML-escaped JSON: %.200s", r.raw)
		}
		a := r.msg.Attachments[0]
		for _, text := range []string{a.Title, a.Fallback, a.Text} {
			if strings.ContainsAny(text, "<>") {
				t.Errorf("unescaped < or > in %.200q", text)
			}
			if n := strings.Count(text, "&") - strings.Count(text, "&amp;") - strings.Count(text, "&lt;") - strings.Count(text, "&gt;"); n != 0 {
				t.Errorf("%d unescaped & in %.200q", n, text)
			}
		}
		if len(a.Text) > maxTextBytes {
			t.Errorf("text of %q is %d bytes, above %d", a.Title, len(a.Text), maxTextBytes)
		}
		if strings.Count(a.Text, "```") != 2 {
			t.Errorf("text of %q has %d code fences, want 2", a.Title, strings.Count(a.Text, "```"))
		}
	}
	if !strings.Contains(string(reqs[1].raw), "&lt;!channel&gt; deploy failed &amp; rolled back") {
		t.Errorf("payload does not carry the escaped message: %.300s", reqs[1].raw)
	}
	if !strings.HasSuffix(reqs[1].msg.Attachments[0].Text, " more_") {
		t.Errorf("the huge digest does not end in … and N more")
	}
}

func TestWriteAfterClose(t *testing.T) {
	wh := newWebhook(t, nil)
	s := newTestSink(t, Config{WebhookURL: wh.url()}, 0)
	_ = s.Close()
	if err := s.Write(context.Background(), threeDigests()); err == nil || len(wh.requests()) != 0 {
		t.Errorf("Write after Close: %v, %d requests", err, len(wh.requests()))
	}
	if err := s.Connect(context.Background()); err == nil {
		t.Error("Connect after Close succeeded")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	f := func(v string, want time.Duration, wantOK bool) {
		t.Helper()
		got, ok := parseRetryAfter(v, now)
		if got != want || ok != wantOK {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", v, got, ok, want, wantOK)
		}
	}
	f("30", 30*time.Second, true)
	f(" 1 ", time.Second, true)
	f("0", 0, true)
	f("", 0, false)
	f("-5", 0, false)
	f("1.5", 0, false)
	f("soon", 0, false)
	f("86400", time.Hour, true)
	f("99999999999999999999999", time.Hour, true)
	f("Fri, 20 Nov 2026 10:00:42 GMT", 42*time.Second, true)
	f("Friday, 20-Nov-26 10:01:00 GMT", time.Minute, true)
	f("Fri Nov 20 10:00:05 2026", 5*time.Second, true)
	f("Fri, 20 Nov 2026 09:00:00 GMT", 0, true)
	f("Sat, 21 Nov 2026 10:00:00 GMT", time.Hour, true)
}

func TestErrorBody(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := errorBody([]byte(in)); got != want {
			t.Errorf("errorBody(%q) = %q, want %q", in, got, want)
		}
	}
	f("no_service", "no_service")
	f("  invalid_payload\n", "invalid_payload")
	f("a\nb\x00c", "a b c")
	f("\xffx", "\uFFFDx")
	f(strings.Repeat("é", 150), strings.Repeat("é", 100)+"…")
}
