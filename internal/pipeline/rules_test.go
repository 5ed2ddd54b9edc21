package pipeline

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/route"
)

// collector keeps what reaches it, as the log would.
type collector struct {
	mu   sync.Mutex
	got  []string
	apps []string
}

func (c *collector) Ingest(_ context.Context, events []event.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range events {
		c.got = append(c.got, e.Proc+":"+e.Message)
		c.apps = append(c.apps, e.App)
	}
	return nil
}

// TestRulesIngester: a source's rules drop and change events before the
// log; the caller's events are left alone (sources retry them as they are).
func TestRulesIngester(t *testing.T) {
	drop, err := route.New(route.Spec{Drop: &route.Drop{Where: `proc == "router"`}})
	if err != nil {
		t.Fatal(err)
	}
	set, err := route.New(route.Spec{Set: &route.Set{Field: "app", Value: "renamed"}})
	if err != nil {
		t.Fatal(err)
	}
	next := &collector{}
	ing := NewRulesIngester(next, route.NewChain(nil, nil, []route.Transform{drop, set}), nil)
	events := []event.Event{
		{Proc: "router", Message: "at=info"},
		{Proc: "web.1", Message: "hello"},
		{Proc: "router", Message: "at=error"},
		{Proc: "web.2", Message: "bye"},
	}
	if err := ing.Ingest(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(next.got); got != "[web.1:hello web.2:bye]" || next.apps[0] != "renamed" {
		t.Fatalf("log got %s", got)
	}
	if events[0].Proc != "router" || events[2].Message != "at=error" || len(events) != 4 {
		t.Fatalf("the caller's slice was rearranged: %+v", events)
	}
	if events[1].App != "" {
		t.Fatalf("the rules changed the caller's event (a retry would see it changed): %+v", events[1])
	}
	// Everything dropped: nothing reaches the log, no error.
	next.got = nil
	if err := ing.Ingest(context.Background(), []event.Event{{Proc: "router"}}); err != nil || next.got != nil {
		t.Fatalf("all dropped: err %v, log got %v", err, next.got)
	}
}

// TestRulesIngesterSummaries: a dedupe rule's summary reaches the log with
// the next batch once its window is over.
func TestRulesIngesterSummaries(t *testing.T) {
	dd, err := route.New(route.Spec{Dedupe: &route.Dedupe{Key: "{message}", Window: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	next := &collector{}
	ing := NewRulesIngester(next, route.NewChain(nil, nil, []route.Transform{dd}), nil)
	same := func() []event.Event {
		return []event.Event{{Proc: "web.1", Message: "boom"}, {Proc: "web.1", Message: "boom"}}
	}
	ing.Ingest(context.Background(), same())
	time.Sleep(60 * time.Millisecond)
	ing.Ingest(context.Background(), []event.Event{{Proc: "web.1", Message: "other"}})
	next.mu.Lock()
	defer next.mu.Unlock()
	if len(next.got) != 3 || next.got[0] != "web.1:boom" || next.got[1] != "web.1:other" {
		t.Fatalf("log got %q; want boom, other and a summary of boom", next.got)
	}
	t.Logf("summary: %s", next.got[2])
}
