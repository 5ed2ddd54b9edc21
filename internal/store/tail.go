package store

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/store/query"
)

// DefaultTailBuffer is how many matching events a Tail holds for its
// reader before it drops the oldest.
const DefaultTailBuffer = 10000

// TailEvent is an event as live tail delivers it, with its position in the
// store.
type TailEvent struct {
	// Cursor is the event's position ("DAY.SEQ", as Search's cursors).
	Cursor string
	Event  event.Event
}

// storedEvent is an event of a batch just committed: its index in the
// batch and its rowid.
type storedEvent struct {
	index int
	seq   int64
}

// broker hands every newly stored event to the tails whose query matches
// it. Writes never wait for a reader: a tail that falls behind loses its
// oldest pending events and is told how many.
type broker struct {
	n    atomic.Int32 // open tails: Write skips all tail work when 0
	mu   sync.Mutex
	subs map[*Tail]struct{}
}

func (b *broker) active() bool { return b.n.Load() > 0 }

// publish gives the events of batch at stored (committed in day) to every
// matching tail, as copies: the batch's strings belong to the caller.
func (b *broker) publish(day string, batch []event.Event, stored []storedEvent) {
	b.mu.Lock()
	subs := make([]*Tail, 0, len(b.subs))
	for t := range b.subs {
		subs = append(subs, t)
	}
	b.mu.Unlock()
	for _, t := range subs {
		var add []TailEvent
		for _, se := range stored {
			e := &batch[se.index]
			if t.q.Match(e) {
				add = append(add, TailEvent{Cursor: formatCursor(day, se.seq), Event: e.Clone()})
			}
		}
		if len(add) > 0 {
			t.push(add)
		}
	}
}

// Tail is a live subscription to newly stored events that match a query.
// Its methods are safe for concurrent use.
type Tail struct {
	q      *query.Query
	b      *broker
	max    int
	notify chan struct{}

	mu      sync.Mutex
	pending []TailEvent
	dropped int64
	closed  bool
}

// Tail subscribes to the events stored from now on that match q (nil: all).
// At most buffer events wait for Take (DefaultTailBuffer when <= 0); when
// more arrive, the oldest are dropped and counted. Close it when done.
func (s *Store) Tail(q *query.Query, buffer int) *Tail {
	if buffer <= 0 {
		buffer = DefaultTailBuffer
	}
	t := &Tail{q: q, b: &s.tail, max: buffer, notify: make(chan struct{}, 1)}
	s.tail.mu.Lock()
	if s.tail.subs == nil {
		s.tail.subs = map[*Tail]struct{}{}
	}
	s.tail.subs[t] = struct{}{}
	s.tail.n.Add(1)
	s.tail.mu.Unlock()
	return t
}

func (t *Tail) push(add []TailEvent) {
	t.mu.Lock()
	if !t.closed {
		t.pending = append(t.pending, add...)
		if over := len(t.pending) - t.max; over > 0 {
			t.dropped += int64(over)
			t.pending = slices.Delete(t.pending, 0, over)
		}
	}
	t.mu.Unlock()
	select {
	case t.notify <- struct{}{}:
	default:
	}
}

// Ready is signalled when Take has something to return.
func (t *Tail) Ready() <-chan struct{} { return t.notify }

// Take returns the pending events, oldest first, and how many were dropped
// since the last Take because the reader fell behind.
func (t *Tail) Take() ([]TailEvent, int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out, dropped := t.pending, t.dropped
	t.pending, t.dropped = nil, 0
	return out, dropped
}

// Close ends the subscription.
func (t *Tail) Close() {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.closed, t.pending = true, nil
	t.mu.Unlock()
	t.b.mu.Lock()
	delete(t.b.subs, t)
	t.b.mu.Unlock()
	t.b.n.Add(-1)
}

// Backfill returns the newest n stored events matching q, oldest first,
// with their positions. Open the Tail first and skip those of its events
// whose Cursor is among the backfilled ones: then nothing is missed or
// shown twice between the two. (Positions follow the events' times, not
// their arrival, so a late event may sit below the newest backfilled one.)
//
// after, when not "", is the Cursor of the last event a tail showed before
// it lost its connection: then the backfill is the newest n events above
// it, so that a reconnecting tail resumes where it was. (Events stored
// since with older times than that event are not among them.)
func (s *Store) Backfill(ctx context.Context, q *query.Query, n int, after string) ([]TailEvent, error) {
	if n <= 0 {
		return nil, nil
	}
	var cursors []string
	events, _, err := s.Search(ctx, Request{Query: q, Limit: n, cursors: &cursors, after: after})
	if err != nil {
		return nil, err
	}
	out := make([]TailEvent, len(events))
	for i := range events {
		out[len(events)-1-i] = TailEvent{Cursor: cursors[i], Event: events[i]}
	}
	return out, nil
}
