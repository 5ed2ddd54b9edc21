package route

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

// Sample keeps one event in Rate per key: the first of a key, then every
// Rate-th (deterministic counting, not random). Keys beyond MaxKeys evict
// the least recently used one, whose count starts again.
type Sample struct {
	// Rate is N in "keep 1 in N"; 1 keeps everything.
	Rate int
	// Key is a template as Set's Value (e.g. "{app} {proc}"); empty means
	// one count for all events.
	Key string
}

type sampleTransform struct {
	rate    uint64
	key     *template
	buf     []byte
	one     uint64 // the count when there is no key
	keys    *lru[uint64]
	dropped atomic.Uint64
}

func newSample(s Sample, maxKeys int) (*sampleTransform, error) {
	if s.Rate < 1 {
		return nil, fmt.Errorf("rate must be at least 1 (keep 1 in rate events), got %d", s.Rate)
	}
	t := &sampleTransform{rate: uint64(s.Rate)}
	if s.Key != "" {
		var err error
		if t.key, err = parseTemplate(s.Key); err != nil {
			return nil, fmt.Errorf("key: %w", err)
		}
		t.keys = newLRU[uint64](maxKeys)
	}
	return t, nil
}

// Apply keeps the event when its key's count is a multiple of Rate.
func (t *sampleTransform) Apply(e *event.Event, _ time.Time) bool {
	n := &t.one
	if t.key != nil {
		t.buf = t.key.execute(t.buf[:0], e)
		var found int
		_, n, found = t.keys.get(t.buf)
		if found == lruReused {
			*n = 0
		}
	}
	keep := *n%t.rate == 0
	*n++
	if !keep {
		t.dropped.Add(1)
	}
	return keep
}

// Kind returns "sample".
func (t *sampleTransform) Kind() string { return "sample" }

// Dropped counts the events not kept.
func (t *sampleTransform) Dropped() uint64 { return t.dropped.Load() }

// Throttle passes at most Limit events per Window per key; the excess is
// dropped and counted. A key's window starts with its first event and the
// next starts with the first event after it ends (fixed windows, not a
// sliding one). Keys beyond MaxKeys evict the least recently used one,
// which then starts a new window.
type Throttle struct {
	Limit int
	// Window defaults to one minute.
	Window time.Duration
	// Key is a template as Set's Value; empty means one limit for all
	// events.
	Key string
}

// DefaultWindow is the Window of Throttle and Dedupe when none is given.
const DefaultWindow = time.Minute

type throttleWindow struct {
	end   time.Time
	count int
}

type throttleTransform struct {
	limit   int
	window  time.Duration
	key     *template
	buf     []byte
	one     throttleWindow
	keys    *lru[throttleWindow]
	dropped atomic.Uint64
}

func newThrottle(s Throttle, maxKeys int) (*throttleTransform, error) {
	if s.Limit < 1 {
		return nil, fmt.Errorf("limit must be at least 1 event per window, got %d", s.Limit)
	}
	if s.Window < 0 {
		return nil, fmt.Errorf("window must be positive, got %s", s.Window)
	}
	t := &throttleTransform{limit: s.Limit, window: s.Window}
	if t.window == 0 {
		t.window = DefaultWindow
	}
	if s.Key != "" {
		var err error
		if t.key, err = parseTemplate(s.Key); err != nil {
			return nil, fmt.Errorf("key: %w", err)
		}
		t.keys = newLRU[throttleWindow](maxKeys)
	}
	return t, nil
}

// Apply counts the event in its key's window and drops it beyond Limit.
func (t *throttleTransform) Apply(e *event.Event, now time.Time) bool {
	w := &t.one
	if t.key != nil {
		t.buf = t.key.execute(t.buf[:0], e)
		var found int
		_, w, found = t.keys.get(t.buf)
		if found == lruReused {
			*w = throttleWindow{}
		}
	}
	// A window that ended, or one from a clock that went back, starts anew.
	if !now.Before(w.end) || w.end.Sub(now) > t.window {
		*w = throttleWindow{end: now.Add(t.window)}
	}
	w.count++
	if w.count > t.limit {
		t.dropped.Add(1)
		return false
	}
	return true
}

// Kind returns "throttle".
func (t *throttleTransform) Kind() string { return "throttle" }

// Dropped counts the events over the limit.
func (t *throttleTransform) Dropped() uint64 { return t.dropped.Load() }
