package pipeline

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/wal"
)

func TestIngestIsDurableAndRefusesWhenFull(t *testing.T) {
	l, err := wal.Open(wal.Options{Dir: t.TempDir(), MaxBytes: 64 << 10, SegmentBytes: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p := New(l, nil)
	batch := func(n, size int) []event.Event {
		out := make([]event.Event, n)
		for i := range out {
			out[i] = event.Event{Severity: event.Info, Message: strings.Repeat("x", size)}
		}
		return out
	}
	// Fill the log: the refusal says full, with a Retry-After.
	var full *FullError
	for i := 0; i < 100 && full == nil; i++ {
		if err := p.Ingest(context.Background(), batch(10, 200)); err != nil && !errors.As(err, &full) {
			t.Fatal(err)
		}
	}
	if full == nil || !errors.Is(full, ErrFull) || full.RetryAfter <= 0 || full.MaxBytes != 64<<10 {
		t.Fatalf("never refused as full: %v", full)
	}
	// What was accepted reads back, event for event.
	cur, err := l.OpenCursor("check")
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close()
	recs, err := cur.Read(context.Background(), nil, 1, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var e event.Event
	if err := e.Unmarshal(recs[0].Data); err != nil || len(e.Message) != 200 {
		t.Fatalf("record 1: %v %q", err, e.Message)
	}
	// A batch larger than the whole log can never be stored: not "full".
	err = p.Ingest(context.Background(), batch(1, 100<<10))
	if !errors.Is(err, ErrTooLarge) || errors.Is(err, ErrFull) {
		t.Fatalf("oversize batch: %v, want ErrTooLarge", err)
	}
	p.Close()
	if err := p.Ingest(context.Background(), batch(1, 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}
