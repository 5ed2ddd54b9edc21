package route

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

// Dedupe passes the first event of a key and drops the further ones within
// Window after it (counted). When a window ends with N > 0 events dropped,
// a summary event follows through Pending.Flush: a copy of the first event
// whose message is
//
//	<message> (repeated N times)
//
// ("(repeated 1 time)" for N = 1), with the field dedupe.count = N
// (a number), its ID suffixed with ".repeated" (so that a destination
// de-duplicating by ID keeps both) and no Raw frame (so that pass-through
// sinks send the new message). The first event after a window ends starts
// a new window.
//
// Windows are in processing time (the now given to Apply), not event time.
// At most MaxKeys keys are remembered; a key evicted with events dropped
// still gets its summary when its window ends.
type Dedupe struct {
	// Key is a template as Set's Value; default DefaultDedupeKey.
	Key string
	// Window defaults to DefaultWindow (one minute).
	Window time.Duration
}

// DefaultDedupeKey is the Key of Dedupe when none is given: events are the
// same when host, app, proc and message are.
const DefaultDedupeKey = "{host} {app} {proc} {message}"

// DedupeCountField is the field of a summary event holding how many events
// were dropped.
const DedupeCountField = "dedupe.count"

// dedupeWindow is one key's window: its end, how many events it dropped,
// and the first event, binary-encoded into a buffer the slot keeps.
type dedupeWindow struct {
	end   time.Time
	count int
	// gen tells a summary queued for this slot whether the slot still
	// holds the window it was queued for.
	gen   uint32
	first []byte
}

// summary is a queued summary: of the window in slot (if gen still
// matches), or a summary event built when its window was cut short.
type summary struct {
	due  time.Time
	slot int32
	gen  uint32
	ev   *event.Event
}

type dedupeTransform struct {
	key     *template
	window  time.Duration
	keys    *lru[dedupeWindow]
	buf     []byte
	queue   []summary // a min-heap on due
	dropped atomic.Uint64
}

func newDedupe(s Dedupe, maxKeys int) (*dedupeTransform, error) {
	if s.Window < 0 {
		return nil, fmt.Errorf("window must be positive, got %s", s.Window)
	}
	t := &dedupeTransform{window: s.Window, keys: newLRU[dedupeWindow](maxKeys)}
	if t.window == 0 {
		t.window = DefaultWindow
	}
	key := s.Key
	if key == "" {
		key = DefaultDedupeKey
	}
	var err error
	if t.key, err = parseTemplate(key); err != nil {
		return nil, fmt.Errorf("key: %w", err)
	}
	return t, nil
}

// Apply passes the first event of a window and drops the others.
func (t *dedupeTransform) Apply(e *event.Event, now time.Time) bool {
	t.buf = t.key.execute(t.buf[:0], e)
	slot, w, found := t.keys.get(t.buf)
	switch {
	case found == lruHit && now.Before(w.end) && w.end.Sub(now) <= t.window:
		w.count++
		if w.count == 1 {
			t.push(summary{due: w.end, slot: slot, gen: w.gen})
		}
		t.dropped.Add(1)
		return false
	case found != lruNew && w.count > 0:
		// The window ended (or its slot goes to another key) before its
		// summary was flushed: build the summary now, send it when due.
		ev := w.summary()
		t.push(summary{due: w.end, ev: &ev})
	}
	w.end, w.count = now.Add(t.window), 0
	w.gen++
	w.first = e.Marshal(w.first[:0])
	return true
}

// summary returns the summary event of w, which has count > 0.
func (w *dedupeWindow) summary() event.Event {
	var ev event.Event
	if err := ev.Unmarshal(w.first); err != nil {
		panic("BUG: cannot decode the event dedupe encoded: " + err.Error())
	}
	n := strconv.Itoa(w.count)
	if w.count == 1 {
		ev.Message += " (repeated 1 time)"
	} else {
		ev.Message += " (repeated " + n + " times)"
	}
	ev.SetField(event.Field{Key: DedupeCountField, Value: n, Type: event.Number})
	if ev.ID != "" {
		ev.ID += ".repeated"
	}
	ev.Raw = ""
	w.count = 0
	return ev
}

// Next returns when the earliest summary is due, zero if none is.
func (t *dedupeTransform) Next() time.Time {
	for len(t.queue) > 0 {
		s := t.queue[0]
		if s.ev != nil || t.live(s) {
			return s.due
		}
		t.pop()
	}
	return time.Time{}
}

// live says whether s still refers to a window with events dropped.
func (t *dedupeTransform) live(s summary) bool {
	w := t.keys.at(s.slot)
	return w.gen == s.gen && w.count > 0
}

// Flush emits the summaries due at now.
func (t *dedupeTransform) Flush(now time.Time, emit func(e *event.Event)) {
	for len(t.queue) > 0 && !t.queue[0].due.After(now) {
		s := t.pop()
		if s.ev != nil {
			emit(s.ev)
			continue
		}
		if !t.live(s) {
			continue
		}
		ev := t.keys.at(s.slot).summary()
		emit(&ev)
	}
}

// Kind returns "dedupe".
func (t *dedupeTransform) Kind() string { return "dedupe" }

// Dropped counts the repeated events dropped.
func (t *dedupeTransform) Dropped() uint64 { return t.dropped.Load() }

func (t *dedupeTransform) push(s summary) {
	t.queue = append(t.queue, s)
	q := t.queue
	i := len(q) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !q[i].due.Before(q[parent].due) {
			break
		}
		q[i], q[parent] = q[parent], q[i]
		i = parent
	}
}

func (t *dedupeTransform) pop() summary {
	q := t.queue
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q[last] = summary{}
	q = q[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(q) && q[l].due.Before(q[m].due) {
			m = l
		}
		if r < len(q) && q[r].due.Before(q[m].due) {
			m = r
		}
		if m == i {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	t.queue = q
	return top
}
