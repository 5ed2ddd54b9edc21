package route

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

// Chain runs the steps of a subscription (or of a source's rules) on each
// event: the where rule, the pattern, then the transforms in order.
//
// A Chain is used by one goroutine at a time (Process, Next and Flush
// change the transforms' state without locking); Stats may be called from
// any goroutine. The Where it is given may be shared.
type Chain struct {
	where      *Where
	pattern    func(string) bool
	transforms []Transform
	pending    []int // indexes of the transforms that are Pending

	byWhere   atomic.Uint64
	byPattern atomic.Uint64
	dropped   []atomic.Uint64
}

// NewChain returns a chain of where (nil: every event), pattern (nil: every
// event; called with the message, e.g. a CloudWatch filter pattern's Match)
// and transforms.
func NewChain(where *Where, pattern func(message string) bool, transforms []Transform) *Chain {
	c := &Chain{where: where, pattern: pattern, transforms: transforms, dropped: make([]atomic.Uint64, len(transforms))}
	for i, t := range transforms {
		if _, ok := t.(Pending); ok {
			c.pending = append(c.pending, i)
		}
	}
	return c
}

// Process runs the chain on e, changing it in place, and reports whether
// to keep it: the where rule and the pattern match, and no transform
// dropped it.
func (c *Chain) Process(e *event.Event, now time.Time) bool {
	if c.where != nil && !c.where.Match(e) {
		c.byWhere.Add(1)
		return false
	}
	if c.pattern != nil && !c.pattern(e.Message) {
		c.byPattern.Add(1)
		return false
	}
	return c.apply(0, e, now)
}

// apply runs the transforms from index from on.
func (c *Chain) apply(from int, e *event.Event, now time.Time) bool {
	for i := from; i < len(c.transforms); i++ {
		if !c.transforms[i].Apply(e, now) {
			c.dropped[i].Add(1)
			return false
		}
	}
	return true
}

// Next returns the earliest time a transform has a summary due, zero when
// none has.
func (c *Chain) Next() time.Time {
	var next time.Time
	for _, i := range c.pending {
		if t := c.transforms[i].(Pending).Next(); !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next
}

// Flush emits the summary events due at now. A summary of transform i
// goes through the transforms after i (so that, e.g., a redact after a
// dedupe masks it too) and is emitted if they keep it. The event passed to
// emit is valid only during the call.
func (c *Chain) Flush(now time.Time, emit func(*event.Event)) {
	for _, i := range c.pending {
		c.transforms[i].(Pending).Flush(now, func(e *event.Event) {
			if c.apply(i+1, e, now) {
				emit(e)
			}
		})
	}
}

// ChainStats counts what a Chain did.
type ChainStats struct {
	// Where counts the events the where rule filtered out (including
	// those whose evaluation failed, also counted in WhereErrors).
	Where       uint64
	WhereErrors uint64
	// Pattern counts the events the pattern filtered out.
	Pattern uint64
	// Transforms has one entry per transform, in chain order.
	Transforms []TransformStats
}

// TransformStats counts what one transform of a chain did.
type TransformStats struct {
	// Index is the transform's position in the chain, from 0.
	Index int
	// Kind is "parse", "set", ..., "redact" (the transform's Kind), or its
	// Go type for a transform not built by New.
	Kind string
	// Dropped counts the events the transform dropped.
	Dropped uint64
	// Errors counts the events the transform failed on without dropping
	// them (see ErrorCounter); 0 for transforms that cannot fail.
	Errors uint64
}

// Stats returns the chain's counts so far.
func (c *Chain) Stats() ChainStats {
	s := ChainStats{Where: c.byWhere.Load(), Pattern: c.byPattern.Load(), Transforms: make([]TransformStats, len(c.transforms))}
	if c.where != nil {
		s.WhereErrors = c.where.Errors()
	}
	for i, t := range c.transforms {
		ts := TransformStats{Index: i, Dropped: c.dropped[i].Load()}
		if k, ok := t.(Kinder); ok {
			ts.Kind = k.Kind()
		} else {
			ts.Kind = fmt.Sprintf("%T", t)
		}
		if ec, ok := t.(ErrorCounter); ok {
			ts.Errors = ec.Errors()
		}
		s.Transforms[i] = ts
	}
	return s
}
