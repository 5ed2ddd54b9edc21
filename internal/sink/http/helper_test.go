package httpsink

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
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
	mu      sync.Mutex
	msgs    []string
	reasons []string
}

func (d *deadLetters) Write(_ string, events []event.Event, reason error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range events {
		d.msgs = append(d.msgs, events[i].Message)
	}
	d.reasons = append(d.reasons, reason.Error())
	return nil
}

// TestWithDeliveryHelper runs the sink under sinkhelper.Run on a real
// write-ahead log: of a batch split by header, the group refused for good
// is dead-lettered, the group that failed for now and those not sent after
// it are retried, and only they — nothing is delivered twice.
func TestWithDeliveryHelper(t *testing.T) {
	events := loadEvents(t)
	l, err := wal.Open(wal.Options{Dir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var recs [][]byte
	for i := range events {
		recs = append(recs, events[i].Marshal(nil))
	}
	if _, _, err := l.Append(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	cur, err := l.OpenCursor("sumo")
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close()

	var lambdaTries atomic.Int32
	ep := newEndpoint(t, endpointOpts{replyFor: func(_ int, r *recorded) reply {
		switch r.Header.Get("X-Sumo-Category") {
		case "heroku/blog":
			return reply{status: http.StatusBadRequest, body: "malformed"}
		case "/aws/lambda/orders-fn":
			if lambdaTries.Add(1) == 1 {
				return reply{status: http.StatusServiceUnavailable}
			}
		}
		return reply{}
	}})
	cfg := Config{URL: ep.url()}
	if err := cfg.ApplyPreset(PresetSumoLogic); err != nil {
		t.Fatal(err)
	}
	s := newSink(t, cfg)
	dl := &deadLetters{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- sinkhelper.Run(ctx, cur, s, sinkhelper.Config{
			Name: "sumo", MaxAge: time.Millisecond, RetryInitial: time.Millisecond, DeadLetter: dl,
		})
	}()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for cur.Acked() < uint64(len(events)) {
		select {
		case <-tick.C:
		case <-deadline:
			cancel()
			<-done
			t.Fatalf("acked %d of %d events within 10s", cur.Acked(), len(events))
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}

	var delivered []string
	lambdaSeen := false
	for _, r := range ep.requests() {
		switch r.Header.Get("X-Sumo-Category") {
		case "heroku/blog":
			continue // refused
		case "/aws/lambda/orders-fn":
			if !lambdaSeen {
				lambdaSeen = true
				continue // refused the first time
			}
		}
		for line := range strings.SplitSeq(strings.TrimSuffix(r.Decoded, "\n"), "\n") {
			if !strings.HasPrefix(line, "  from ") { // a stack trace's continuation
				delivered = append(delivered, line[len("2026-03-07T04:05:06.123Z "):])
			}
		}
	}
	lt, _ := parseLine("{proc} {message}")
	var want []string
	for _, i := range []int{0, 1, 2, 4, 5, 6} { // 3 is dead-lettered
		line, _, _ := strings.Cut(string(lt.execute(nil, &events[i])), "\n")
		want = append(want, line)
	}
	if n := lambdaTries.Load(); n != 2 {
		t.Errorf("lambda group sent %d times, want 2", n)
	}
	if !slices.Equal(delivered, want) {
		t.Errorf("delivered:\n%s\nwant:\n%s", strings.Join(delivered, "\n"), strings.Join(want, "\n"))
	}
	if len(dl.msgs) != 1 || dl.msgs[0] != events[3].Message || !strings.Contains(dl.reasons[0], `HTTP 400 Bad Request: "malformed"`) {
		t.Errorf("dead letters %q, reasons %q", dl.msgs, dl.reasons)
	}
	checkNoSecret(t, strings.Join(dl.reasons, " "))
}
