// Package dedupe recognises retried deliveries (Firehose request ids,
// CloudWatch event ids) so that sources answer them without storing the
// same input twice.
package dedupe

import (
	"context"
	"sync"
	"time"
)

// Window remembers the keys of accepted input for a window, so that a retry
// of input already stored is answered without storing it again. Memory is
// bounded: at most maxIDs keys are kept, the oldest forgotten first.
//
// A key being ingested by another request at the same time (the sender gave
// up waiting and retried while the first attempt still waited for the
// fsync) makes the second request wait for the first: if the first stored
// it, it is a duplicate; if not, the second proceeds.
type Window struct {
	window time.Duration
	maxIDs int

	mu       sync.Mutex
	seen     map[string]seenEntry
	order    []orderEntry // insertion order, oldest first from head
	head     int
	inflight map[string]*claim
}

type seenEntry struct {
	at time.Time
	n  int // how many events the key stood for
}

type orderEntry struct {
	key string
	at  time.Time
}

// claim is one request's hold on keys it is ingesting; done is closed when
// it lets go of them.
type claim struct{ done chan struct{} }

// New returns a Window remembering at most maxIDs keys for window.
func New(window time.Duration, maxIDs int) *Window {
	return &Window{
		window:   window,
		maxIDs:   maxIDs,
		seen:     make(map[string]seenEntry),
		inflight: make(map[string]*claim),
	}
}

// Acquire looks keys up. dup[i] is true when keys[i] was accepted within the
// window (or appears earlier in keys); n is the sum of the event counts the
// duplicate keys were remembered with. The caller owns the other keys until
// it calls release(accepted, counts) with counts parallel to keys (nil means
// 1 each); concurrent Acquires of the same keys wait for that. err is the
// context's error when ctx ends while waiting.
func (d *Window) Acquire(ctx context.Context, keys []string, now func() time.Time) (dup []bool, n int, release func(accepted bool, counts []int), err error) {
	dup = make([]bool, len(keys))
	for {
		d.mu.Lock()
		d.expireLocked(now())
		var wait *claim
		for _, k := range keys {
			if c, busy := d.inflight[k]; busy {
				wait = c
				break
			}
		}
		if wait == nil {
			break // d.mu stays locked
		}
		d.mu.Unlock()
		select {
		case <-wait.done:
		case <-ctx.Done():
			return nil, 0, nil, ctx.Err()
		}
	}
	c := &claim{done: make(chan struct{})}
	owned := make([]int, 0, len(keys))
	for i, k := range keys {
		if e, ok := d.seen[k]; ok {
			dup[i] = true
			n += e.n
			continue
		}
		if d.inflight[k] == c {
			dup[i] = true // the same key twice in one request
			n++
			continue
		}
		d.inflight[k] = c
		owned = append(owned, i)
	}
	d.mu.Unlock()
	release = func(accepted bool, counts []int) {
		d.mu.Lock()
		at := now()
		for _, i := range owned {
			delete(d.inflight, keys[i])
			if accepted {
				cnt := 1
				if counts != nil {
					cnt = counts[i]
				}
				d.addLocked(keys[i], at, cnt)
			}
		}
		d.mu.Unlock()
		close(c.done)
	}
	return dup, n, release, nil
}

func (d *Window) addLocked(key string, at time.Time, n int) {
	d.seen[key] = seenEntry{at: at, n: n}
	d.order = append(d.order, orderEntry{key: key, at: at})
	for len(d.seen) > d.maxIDs {
		d.popLocked()
	}
}

// expireLocked forgets keys older than the window.
func (d *Window) expireLocked(now time.Time) {
	cutoff := now.Add(-d.window)
	for d.head < len(d.order) && !d.order[d.head].at.After(cutoff) {
		d.popLocked()
	}
}

// popLocked forgets the oldest key and compacts the order queue when half
// of it is spent.
func (d *Window) popLocked() {
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

// Len is the number of keys remembered.
func (d *Window) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.seen)
}
