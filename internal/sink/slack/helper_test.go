package slack

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/sink/sinkhelper"
	"github.com/sluicelog/sluice/internal/wal"
)

// deadLetters records what the helper dead-letters.
type deadLetters struct {
	written  chan struct{} // closed by the first Write
	mu       sync.Mutex
	messages []string
	reasons  []string
}

func (d *deadLetters) Write(_ string, events []event.Event, reason error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.reasons) == 0 {
		close(d.written)
	}
	for _, e := range events {
		d.messages = append(d.messages, e.Message)
	}
	d.reasons = append(d.reasons, reason.Error())
	return nil
}

// runHelper delivers batch through a real write-ahead log and the
// subscription helper to the sink, until done is closed.
func runHelper(t *testing.T, s *Sink, batch []event.Event, dl sinkhelper.DeadLetter, done <-chan struct{}) *wal.Cursor {
	t.Helper()
	l, err := wal.Open(wal.Options{Dir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var recs [][]byte
	for i := range batch {
		recs = append(recs, batch[i].Marshal(nil))
	}
	if _, _, err := l.Append(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	cur, err := l.OpenCursor("slack")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cur.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() {
		stopped <- sinkhelper.Run(ctx, cur, s, sinkhelper.Config{
			Name: "slack", MaxEvents: 1000, MaxAge: 20 * time.Millisecond,
			RetryInitial: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond, DeadLetter: dl,
		})
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Error("the webhook did not get what was expected within 20s")
	}
	cancel()
	if err := <-stopped; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v", err)
	}
	return cur
}

func TestHelperRetries(t *testing.T) {
	// Through the subscription helper: a 500 on the second digest and a
	// 429 on the fourth request; every digest arrives once, the retry after
	// the 429 not before its Retry-After, and the batch is acknowledged.
	batch := loadEvents(t, "heroku.ndjson")
	cfg := Config{}
	want, err := Digests(cfg, batch)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var accepted atomic.Int32
	wh := newWebhook(t, func(n int, r *http.Request, w http.ResponseWriter) bool {
		switch n {
		case 1:
			return reply(w, http.StatusInternalServerError, "rollup_error")
		case 3:
			return reply(w, http.StatusTooManyRequests, "", "Retry-After", "1")
		}
		if accepted.Add(1) == int32(len(want)) {
			close(done)
		}
		return false
	})
	cfg.WebhookURL = wh.url()
	s := newTestSink(t, cfg, 0)
	cur := runHelper(t, s, batch, nil, done)
	var wantTitles []string
	for _, m := range want {
		wantTitles = append(wantTitles, m.Attachments[0].Title)
	}
	if got := wh.accepted(); !slices.Equal(got, wantTitles) {
		t.Errorf("accepted\n%q\nwant\n%q", got, wantTitles)
	}
	reqs := wh.requests()
	if gap := reqs[4].at.Sub(reqs[3].at); gap < time.Second {
		t.Errorf("request after the 429 came %v later, want at least 1s", gap)
	}
	if lag := cur.Lag(); lag != 0 {
		t.Errorf("cursor lag %d after delivery, want 0", lag)
	}
}

func TestHelperDeadLetters(t *testing.T) {
	// The second digest is refused (invalid_payload): exactly its events
	// are dead-lettered, the others posted, the batch acknowledged.
	batch := loadEvents(t, "heroku.ndjson")
	want, err := Digests(Config{}, batch)
	if err != nil {
		t.Fatal(err)
	}
	wh := newWebhook(t, func(n int, r *http.Request, w http.ResponseWriter) bool {
		if n == 1 {
			return reply(w, http.StatusBadRequest, "invalid_payload")
		}
		return false
	})
	s := newTestSink(t, Config{WebhookURL: wh.url()}, 0)
	// The helper dead-letters after Write returns, so after every post;
	// Run returns after acknowledging.
	dl := &deadLetters{written: make(chan struct{})}
	cur := runHelper(t, s, batch, dl, dl.written)
	dl.mu.Lock()
	defer dl.mu.Unlock()
	wantDead := []string{
		"E, [2026-11-20T10:00:02.000000 #4] ERROR -- : PG::ConnectionBad: could not connect to server",
		"E, [2026-11-20T10:00:02.500000 #4] ERROR -- : PG::ConnectionBad: could not connect to server",
	}
	if !slices.Equal(dl.messages, wantDead) || len(dl.reasons) != 1 {
		t.Errorf("dead letters %q (%q), want %q", dl.messages, dl.reasons, wantDead)
	}
	for _, r := range dl.reasons {
		checkNoSecret(t, errors.New(r))
	}
	if n := len(wh.accepted()); n != len(want)-1 {
		t.Errorf("accepted %d digests, want %d", n, len(want)-1)
	}
	if lag := cur.Lag(); lag != 0 {
		t.Errorf("cursor lag %d, want 0", lag)
	}
}
