package pipeline

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicelog/sluice/internal/event"
)

// Rules filter and transform events before they reach the log (a source's
// rules, a *route.Chain): Process changes e in place and reports whether to
// keep it; Next and Flush hand over summary events of stateful transforms
// (dedupe) once they are due.
type Rules interface {
	Process(e *event.Event, now time.Time) bool
	Next() time.Time
	Flush(now time.Time, emit func(*event.Event))
}

// RulesIngester applies a source's rules to every batch before passing what
// is kept on, so that dropped lines never cost disk. Summary events due are
// added to the next batch that arrives.
type RulesIngester struct {
	next    Ingester
	dropped prometheus.Counter

	// mu serialises the rules, whose state (samples, dedupe windows) is
	// shared by every request of the source.
	mu    sync.Mutex
	rules Rules
}

// NewRulesIngester returns an Ingester applying rules before next; dropped
// (may be nil) counts the events the rules drop.
func NewRulesIngester(next Ingester, rules Rules, dropped prometheus.Counter) *RulesIngester {
	return &RulesIngester{next: next, rules: rules, dropped: dropped}
}

// Ingest applies the rules to copies of events and ingests those kept.
// The sender is answered as if every event had been kept: a line dropped
// by a rule was accepted.
//
// The caller's events are left as they were, because sources retry a
// batch the log refused as full, and senders retry a request answered 503:
// the rules then see the original events again. That is also why a
// source's rules must be stateless (config refuses sample, dedupe and
// throttle there): a refused attempt would count as seen, and the retry be
// dropped.
func (r *RulesIngester) Ingest(ctx context.Context, events []event.Event) error {
	now := time.Now()
	bp := keptPool.Get().(*[]event.Event)
	defer func() {
		clear(*bp)
		*bp = (*bp)[:0]
		keptPool.Put(bp)
	}()
	kept := (*bp)[:0]
	r.mu.Lock()
	for i := range events {
		kept = append(kept, events[i])
		e := &kept[len(kept)-1]
		// Transforms change fields in place: give the copy its own.
		e.Fields = append([]event.Field(nil), e.Fields...)
		if !r.rules.Process(e, now) {
			kept = kept[:len(kept)-1]
		}
	}
	dropped := len(events) - len(kept)
	if next := r.rules.Next(); !next.IsZero() && !now.Before(next) {
		r.rules.Flush(now, func(e *event.Event) { kept = append(kept, e.Clone()) })
	}
	r.mu.Unlock()
	*bp = kept
	if dropped > 0 && r.dropped != nil {
		r.dropped.Add(float64(dropped))
	}
	if len(kept) == 0 {
		return nil
	}
	return r.next.Ingest(ctx, kept)
}

var keptPool = sync.Pool{New: func() any { return new([]event.Event) }}
