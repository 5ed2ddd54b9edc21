package logplex

import (
	"context"
	"sync"
	"time"
)

// dedupe remembers the frame ids (per drain token) of accepted batches for a
// window, so that Logplex's retry of a batch already stored is answered
// without storing it again. Memory is bounded: at most maxIDs ids are kept, the
// oldest forgotten first.
//
// A batch whose frame id is being ingested by another request at the same
// time (Logplex gave up waiting and retried while the first attempt was
// still waiting for the fsync) waits for that request: if it stored the
// batch, the retry is a duplicate; if not, the retry proceeds.
type dedupe struct {
	window time.Duration
	maxIDs int

	mu       sync.Mutex
	seen     map[string]seenEntry
	order    []orderEntry // insertion order, oldest first from head
	head     int
	inflight map[string]chan struct{}
}

type seenEntry struct {
	at     time.Time
	frames int
}

type orderEntry struct {
	key string
	at  time.Time
}

func newDedupe(window time.Duration, maxIDs int) *dedupe {
	return &dedupe{
		window:   window,
		maxIDs:   maxIDs,
		seen:     make(map[string]seenEntry),
		inflight: make(map[string]chan struct{}),
	}
}

// dedupeKey joins a drain token and a frame id.
func dedupeKey(token, frameID string) string {
	return token + "\x00" + frameID
}

// acquire looks key up. If it was accepted within the window, dup is true
// and frames is how many frames it had. Otherwise the caller owns key until
// it calls release(accepted, frames); concurrent acquires of the same key
// wait for that. err is the context's error when ctx ends while waiting.
func (d *dedupe) acquire(ctx context.Context, key string, now func() time.Time) (frames int, dup bool, release func(accepted bool, frames int), err error) {
	for {
		d.mu.Lock()
		d.expireLocked(now())
		if e, ok := d.seen[key]; ok {
			d.mu.Unlock()
			return e.frames, true, nil, nil
		}
		wait, busy := d.inflight[key]
		if !busy {
			done := make(chan struct{})
			d.inflight[key] = done
			d.mu.Unlock()
			return 0, false, func(accepted bool, frames int) {
				d.mu.Lock()
				delete(d.inflight, key)
				if accepted {
					d.addLocked(key, now(), frames)
				}
				d.mu.Unlock()
				close(done)
			}, nil
		}
		d.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return 0, false, nil, ctx.Err()
		}
	}
}

func (d *dedupe) addLocked(key string, at time.Time, frames int) {
	d.seen[key] = seenEntry{at: at, frames: frames}
	d.order = append(d.order, orderEntry{key: key, at: at})
	for len(d.seen) > d.maxIDs {
		d.popLocked()
	}
}

// expireLocked forgets ids older than the window.
func (d *dedupe) expireLocked(now time.Time) {
	cutoff := now.Add(-d.window)
	for d.head < len(d.order) && !d.order[d.head].at.After(cutoff) {
		d.popLocked()
	}
}

// popLocked forgets the oldest id and compacts the order queue when half of
// it is spent.
func (d *dedupe) popLocked() {
	if d.head >= len(d.order) {
		return
	}
	o := d.order[d.head]
	d.order[d.head] = orderEntry{}
	d.head++
	if e, ok := d.seen[o.key]; ok && e.at.Equal(o.at) {
		delete(d.seen, o.key)
	}
	if d.head > 1024 && d.head*2 > len(d.order) {
		n := copy(d.order, d.order[d.head:])
		clear(d.order[n:])
		d.order = d.order[:n]
		d.head = 0
	}
}

// len returns how many ids are remembered.
func (d *dedupe) len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.seen)
}
