package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/store/query"
)

func tailEvent(i int, msg string) event.Event {
	return event.Event{Time: day0.Add(24*time.Hour + time.Duration(i)*time.Second), Message: msg,
		Group: "g", Severity: event.Info, ID: fmt.Sprintf("t-%d", i)}
}

// wait returns what t delivers until it has want events or a second passed.
func waitTail(t *testing.T, tl *Tail, want int) ([]TailEvent, int64) {
	t.Helper()
	var got []TailEvent
	var dropped int64
	deadline := time.After(time.Second)
	for len(got)+int(dropped) < want {
		select {
		case <-tl.Ready():
			evs, d := tl.Take()
			got, dropped = append(got, evs...), dropped+d
		case <-deadline:
			return got, dropped
		}
	}
	return got, dropped
}

func TestTailDeliversMatchingStoredEvents(t *testing.T) {
	s := openStore(t, t.TempDir(), nil)
	ctx := context.Background()
	tl := s.Tail(query.MustParse("error"), 0)
	defer tl.Close()
	all := s.Tail(nil, 0)
	defer all.Close()
	batch := []event.Event{tailEvent(1, "an error here"), tailEvent(2, "fine"), tailEvent(3, "error again")}
	if err := s.Write(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// A replay of the same ids stores nothing and tails nothing.
	if err := s.Write(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// The batch's strings belong to the caller: tails hold copies.
	for i := range batch {
		batch[i].Message = "overwritten"
	}
	got, dropped := waitTail(t, tl, 2)
	if dropped != 0 || len(got) != 2 || got[0].Event.Message != "an error here" || got[1].Event.Message != "error again" {
		t.Fatalf("matching tail got %+v, dropped %d", got, dropped)
	}
	got, _ = waitTail(t, all, 4)
	if len(got) != 3 {
		t.Fatalf("tail of everything got %d events, want 3 (the replay adds none)", len(got))
	}
	// Each position is the event's position in search.
	page, _, err := s.Search(ctx, Request{Query: query.MustParse("fine")})
	if err != nil || len(page) != 1 || page[0].ID != got[1].Event.ID {
		t.Fatalf("search: %v %+v", err, page)
	}
}

func TestTailDropsOldestWhenTheReaderFallsBehind(t *testing.T) {
	s := openStore(t, t.TempDir(), nil)
	tl := s.Tail(nil, 5)
	defer tl.Close()
	var batch []event.Event
	for i := range 12 {
		batch = append(batch, tailEvent(i, fmt.Sprintf("line %d", i)))
	}
	if err := s.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	got, dropped := waitTail(t, tl, 12)
	if dropped != 7 || len(got) != 5 || got[0].Event.Message != "line 7" || got[4].Event.Message != "line 11" {
		t.Fatalf("got %d events from %q, dropped %d; want the newest 5 and 7 dropped", len(got), got[0].Event.Message, dropped)
	}
}

// TestBackfillThenTailMissesNothing writes from one goroutine while tails
// open with a backfill: every event is shown exactly once per tail.
func TestBackfillThenTailMissesNothing(t *testing.T) {
	s := openStore(t, t.TempDir(), nil)
	ctx := context.Background()
	const total = 600
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < total; i += 10 {
			var b []event.Event
			for j := i; j < i+10; j++ {
				b = append(b, tailEvent(j, fmt.Sprintf("line %d", j)))
			}
			if err := s.Write(ctx, b); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 5 {
		tl := s.Tail(nil, 0)
		bf, err := s.Backfill(ctx, nil, MaxLimit, "")
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		backfilled := map[string]bool{}
		for _, te := range bf {
			seen[te.Event.ID]++
			backfilled[te.Cursor] = true
		}
		for i := 1; i < len(bf); i++ {
			if bf[i].Event.Time.Before(bf[i-1].Event.Time) {
				t.Fatalf("backfill not oldest first at %d", i)
			}
		}
		deadline := time.After(5 * time.Second)
	collect:
		for len(seen) < total {
			select {
			case <-tl.Ready():
				evs, dropped := tl.Take()
				if dropped != 0 {
					t.Fatalf("dropped %d", dropped)
				}
				for _, te := range evs {
					if !backfilled[te.Cursor] {
						seen[te.Event.ID]++
					}
				}
			case <-deadline:
				break collect
			}
		}
		tl.Close()
		if len(bf) < total && len(seen) != total {
			t.Fatalf("saw %d distinct events of %d", len(seen), total)
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("event %s shown %d times", id, n)
			}
		}
	}
	wg.Wait()
	if n := s.tail.n.Load(); n != 0 {
		t.Fatalf("%d tails still registered after Close", n)
	}
}

func BenchmarkWriteWithTail(b *testing.B) {
	s := openStore(b, b.TempDir(), nil)
	evs := corpus(b, 1000)
	tl := s.Tail(query.MustParse("error"), 0)
	defer tl.Close()
	go func() {
		for range tl.Ready() {
			tl.Take()
		}
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range evs {
			evs[j].ID = fmt.Sprintf("b%d-%d", i, j)
		}
		if err := s.Write(context.Background(), evs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
}

// TestOldAndFutureEventsAreFiledUnderTheirArrival: a replayed archive or a
// wrong clock does not lose events to retention.
func TestOldAndFutureEventsAreFiledUnderTheirArrival(t *testing.T) {
	s := openStore(t, t.TempDir(), func(c *Config) { c.Retention = 7 * 24 * time.Hour })
	recv := testNow().Add(-time.Minute)
	old := time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC)
	future := testNow().Add(72 * time.Hour)
	batch := []event.Event{
		{Time: old, Received: recv, Message: "from the archive", ID: "old"},
		{Time: future, Received: recv, Message: "from a fast clock", ID: "future"},
		{Time: recv.Add(-time.Hour), Received: recv, Message: "on time", ID: "ok"},
	}
	if err := s.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if len(batch[0].Fields) != 0 {
		t.Fatal("Write changed the caller's event")
	}
	got, _, err := s.Search(context.Background(), Request{Since: recv.Add(-2 * time.Hour)})
	if err != nil || len(got) != 3 {
		t.Fatalf("%v: %d events, want 3", err, len(got))
	}
	for _, e := range got {
		f, hasOriginal := e.Field("original_time")
		switch e.ID {
		case "old":
			if !e.Time.Equal(recv) || f.Value != "2024-05-01T12:00:00.123456Z" {
				t.Errorf("old event: time %v, original_time %q", e.Time, f.Value)
			}
		case "future":
			if !e.Time.Equal(recv) || !hasOriginal {
				t.Errorf("future event: time %v, original_time %q", e.Time, f.Value)
			}
		case "ok":
			if hasOriginal || !e.Time.Equal(recv.Add(-time.Hour)) {
				t.Errorf("on-time event refiled: %+v", e)
			}
		}
	}
}
