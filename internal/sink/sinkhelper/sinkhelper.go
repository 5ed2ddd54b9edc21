// Package sinkhelper runs one subscription: it reads events from the
// subscription's cursor on the write-ahead log, batches them by count, bytes
// and age, writes them to a sink with retries (exponential backoff with
// jitter, honouring Retry-After), dead-letters what can never be delivered,
// and acknowledges the cursor only for what is done — so a crash or a sink
// outage never loses an event, and a slow sink only falls behind.
//
// Several batches may be in flight at once (Config.Workers, e.g. one per
// syslog connection); the cursor is acknowledged in order, up to the last
// batch whose predecessors are all done.
package sinkhelper

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
	"unsafe"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/sink"
	"github.com/sluicelog/sluice/internal/wal"
)

// Cursor is the subscriber's position in the log; *wal.Cursor implements it.
type Cursor interface {
	Read(ctx context.Context, dst []wal.Record, maxRecords, maxBytes int) ([]wal.Record, error)
	Ack(seq uint64) error
	// Lag is the number of records appended but not acknowledged.
	Lag() uint64
}

// Config tunes one subscription's delivery.
type Config struct {
	// Name of the subscription, for logs, metrics and the dead-letter file.
	Name string
	// MaxEvents, MaxBytes and MaxAge bound a batch: it is written when any
	// is reached (MaxAge counts from the first event of the batch).
	MaxEvents int
	MaxBytes  int
	MaxAge    time.Duration
	// RetryInitial and RetryMax bound the exponential backoff between
	// attempts of a failing batch.
	RetryInitial, RetryMax time.Duration
	// Workers is how many batches may be in flight at once.
	Workers int
	// StopGrace is how long, after Run's context ends, a write already
	// under way may take to finish (default 5s), so that shutdown does not
	// cut a frame in half; no new attempt starts after the context ends.
	StopGrace time.Duration
	// Filter, when set, keeps only the events it returns true for.
	Filter func(*event.Event) bool
	// Route, when set, filters and transforms each event (after Filter)
	// and may emit summary events of its own (a *route.Chain).
	Route Route
	// DeadLetter receives events that can never be delivered.
	DeadLetter DeadLetter
	// Metrics, when set, counts what happens.
	Metrics *Metrics
	Logger  *slog.Logger
}

func (c *Config) setDefaults() {
	if c.MaxEvents <= 0 {
		c.MaxEvents = 1000
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = 1 << 20
	}
	if c.MaxAge <= 0 {
		c.MaxAge = time.Second
	}
	if c.RetryInitial <= 0 {
		c.RetryInitial = 100 * time.Millisecond
	}
	if c.RetryMax <= 0 {
		c.RetryMax = 30 * time.Second
	}
	if c.Workers <= 0 {
		c.Workers = 1
	}
	if c.StopGrace <= 0 {
		c.StopGrace = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Route filters and transforms events on their way to the sink. Process
// changes e in place and reports whether to keep it; it must not keep the
// event's strings beyond the call (their memory is reused, as a sink's
// Write may not keep them either). Stateful transforms
// emit summary events later: Next is when (zero: nothing pending), Flush
// emits those due. Summaries are not in the log: they are delivered with
// the next batch, and lost if sluice stops first.
type Route interface {
	Process(e *event.Event, now time.Time) bool
	Next() time.Time
	Flush(now time.Time, emit func(*event.Event))
}

// DeadLetter keeps events a sink refused for good, with the reason.
type DeadLetter interface {
	Write(subscription string, events []event.Event, reason error) error
}

// RetryAfterError is implemented by sink errors that carry the destination's
// Retry-After; the helper waits at least that long.
type RetryAfterError interface {
	RetryAfter() time.Duration
}

type batch struct {
	events []event.Event
	// lastSeq is the sequence number of the last record read into the
	// batch; 0 for a batch of summary events only, which acknowledges
	// nothing.
	lastSeq uint64
	bytes   int
	// started says the batch holds something (records, or summaries).
	started bool
	// arenas hold the bytes the events' strings point into (arenas[:used]
	// in use); they are reused once the batch is released (sinks may not
	// keep strings beyond Write — see sink.Sink).
	arenas []*[]byte
	used   int
}

// Arena sizes: small reads share a minimum, huge ones are not kept.
const (
	minArena = 64 << 10
	maxArena = 8 << 20
)

// newBatch returns an empty batch, a recycled one when there is one: its
// events (and the capacity of their Fields) and its arenas are reused
// rather than allocated per event — with ten subscriptions, allocation
// would otherwise keep the garbage collector busy. The free list is the
// runner's own, not a sync.Pool, which every GC cycle empties.
func (r *runner) newBatch() *batch {
	select {
	case b := <-r.free:
		return b
	default:
		return &batch{}
	}
}

// release empties b and keeps it for reuse.
func (r *runner) release(b *batch) {
	for i := range b.events {
		b.events[i].Reset()
	}
	b.events, b.lastSeq, b.bytes, b.started = b.events[:0], 0, 0, false
	kept := b.arenas[:0]
	for _, a := range b.arenas {
		if cap(*a) <= maxArena {
			kept = append(kept, a)
		}
	}
	clear(b.arenas[len(kept):])
	b.arenas, b.used = kept, 0
	select {
	case r.free <- b:
	default:
	}
}

// Run delivers from cur to s until ctx is done, then finishes the batches in
// flight (bounded by their own retries being cancelled with ctx) and returns
// ctx's error. It acknowledges cur only for events delivered or
// dead-lettered.
func Run(ctx context.Context, cur Cursor, s sink.Sink, cfg Config) error {
	cfg.setDefaults()
	r := &runner{cfg: cfg, cur: cur, sink: s, done: make(map[uint64]bool), stopping: ctx.Done(),
		free: make(chan *batch, cfg.Workers+2)}
	// Writes run under their own context: it ends StopGrace after ctx, so
	// that a write under way at shutdown can finish.
	wctx, wcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer wcancel()
	stopTimer := context.AfterFunc(ctx, func() { time.AfterFunc(cfg.StopGrace, wcancel) })
	defer stopTimer()
	work := make(chan *batch)
	var wg sync.WaitGroup
	for range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				r.deliver(wctx, b)
				r.release(b)
			}
		}()
	}
	err := r.read(ctx, work)
	close(work)
	wg.Wait()
	if cfg.Route != nil {
		// Summaries still pending (a dedupe window not yet over) are
		// delivered now, within StopGrace: after a restart the count
		// would be gone. (After a crash it is.)
		b := r.newBatch()
		cfg.Route.Flush(time.Now().Add(100*365*24*time.Hour), func(e *event.Event) {
			b.events = append(b.events, e.Clone())
		})
		if len(b.events) > 0 {
			r.deliver(wctx, b)
		}
		r.release(b)
	}
	return err
}

type runner struct {
	cfg  Config
	cur  Cursor
	sink sink.Sink

	// stopping is closed when Run's context ends: no new attempt starts.
	stopping <-chan struct{}
	// free holds released batches for reuse.
	free chan *batch

	mu        sync.Mutex
	connected bool
	// pausedUntil is when the destination asked (Retry-After) to be left
	// alone until: no worker writes before then.
	pausedUntil time.Time
	inflight    []uint64        // lastSeq of batches handed to workers, in order
	done        map[uint64]bool // lastSeq of finished batches not yet acked
}

// read fills batches from the cursor and hands them to the workers.
func (r *runner) read(ctx context.Context, work chan<- *batch) error {
	var recs []wal.Record
	cur := r.newBatch()
	var deadline time.Time
	readErrors := 0
	for {
		readCtx := ctx
		var cancel context.CancelFunc
		wake := deadline
		if !cur.started {
			wake = time.Time{}
		}
		if r.cfg.Route != nil {
			if next := r.cfg.Route.Next(); !next.IsZero() && (wake.IsZero() || next.Before(wake)) {
				wake = next
			}
		}
		if !wake.IsZero() {
			readCtx, cancel = context.WithDeadline(ctx, wake)
		}
		var err error
		recs, err = r.cur.Read(readCtx, recs[:0], r.cfg.MaxEvents-len(cur.events), r.cfg.MaxBytes-cur.bytes)
		if cancel != nil {
			cancel()
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				// A read error (damage on disk, a closed log) is not the
				// end of the subscription: say so loudly and try again.
				readErrors++
				wait := min(r.cfg.RetryInitial<<min(readErrors, 16), r.cfg.RetryMax)
				r.cfg.Logger.Error("cannot read the subscription's events from the log; retrying",
					"subscription", r.cfg.Name, "retry_in", wait.String(), "err", err)
				r.cfg.Metrics.readError(r.cfg.Name)
				select {
				case <-time.After(wait):
				case <-ctx.Done():
					return ctx.Err()
				}
				continue
			}
		}
		readErrors = 0
		// One copy of the records for the whole read: events decoded from
		// it share it, instead of one allocation per event.
		total := 0
		for _, rec := range recs {
			total += len(rec.Data)
		}
		var data string
		if len(recs) > 0 {
			data = r.arenaFor(cur, recs, total)
		}
		off := 0
		now := time.Now()
		start := func() {
			if !cur.started {
				cur.started = true
				deadline = now.Add(r.cfg.MaxAge)
			}
		}
		for _, rec := range recs {
			start()
			cur.lastSeq = rec.Seq
			cur.bytes += len(rec.Data)
			n := len(cur.events)
			if n < cap(cur.events) {
				cur.events = cur.events[:n+1]
			} else {
				cur.events = append(cur.events, event.Event{})
			}
			e := &cur.events[n]
			rd := data[off : off+len(rec.Data)]
			off += len(rec.Data)
			if err := e.UnmarshalString(rd); err != nil {
				// A record that does not decode is a bug or disk damage that
				// the checksum did not catch; keep going, loudly.
				r.cfg.Logger.Error("cannot decode event from the log; skipping it",
					"subscription", r.cfg.Name, "seq", rec.Seq, "err", err)
				r.cfg.Metrics.decodeError(r.cfg.Name)
				cur.events = cur.events[:n]
				continue
			}
			if (r.cfg.Filter != nil && !r.cfg.Filter(e)) || (r.cfg.Route != nil && !r.cfg.Route.Process(e, now)) {
				r.cfg.Metrics.filtered(r.cfg.Name)
				cur.events = cur.events[:n]
				continue
			}
		}
		if r.cfg.Route != nil {
			if next := r.cfg.Route.Next(); !next.IsZero() && !now.Before(next) {
				r.cfg.Route.Flush(now, func(e *event.Event) {
					start()
					cur.events = append(cur.events, e.Clone())
				})
			}
		}
		full := len(cur.events) >= r.cfg.MaxEvents || cur.bytes >= r.cfg.MaxBytes
		expired := cur.started && !time.Now().Before(deadline)
		if cur.started && (full || expired) {
			if cur.lastSeq != 0 {
				r.mu.Lock()
				r.inflight = append(r.inflight, cur.lastSeq)
				r.mu.Unlock()
			}
			select {
			case work <- cur:
			case <-ctx.Done():
				return ctx.Err()
			}
			cur = r.newBatch()
		}
	}
}

// arenaFor copies the records of one read into an arena the batch owns,
// and returns them as one string the decoded events share.
func (r *runner) arenaFor(b *batch, recs []wal.Record, total int) string {
	if b.used == len(b.arenas) {
		b.arenas = append(b.arenas, new([]byte))
	}
	arena := b.arenas[b.used]
	b.used++
	if cap(*arena) < total {
		*arena = make([]byte, 0, max(total, minArena))
	}
	buf := (*arena)[:0]
	for _, rec := range recs {
		buf = append(buf, rec.Data...)
	}
	*arena = buf
	return unsafe.String(unsafe.SliceData(buf), len(buf))
}

// deliver writes one batch until it is delivered or dead-lettered, or Run
// is stopping; then it marks the batch done. A batch that is not done is not
// acknowledged: it is delivered again after a restart.
func (r *runner) deliver(ctx context.Context, b *batch) {
	events := b.events
	wait := r.cfg.RetryInitial
	for attempt := 1; len(events) > 0; attempt++ {
		if r.isStopping() && attempt > 1 {
			return
		}
		err := r.write(ctx, events)
		if err == nil {
			r.cfg.Metrics.delivered(r.cfg.Name, len(events))
			break
		}
		if ctx.Err() != nil || (r.isStopping() && errors.Is(err, context.Canceled)) {
			return
		}
		var items *sink.ItemsError
		itemsRetryAfter := time.Duration(0)
		if errors.As(err, &items) && len(items.Failed) == 0 {
			r.cfg.Metrics.delivered(r.cfg.Name, len(events))
			break // nothing failed after all
		}
		perEvent := errors.As(err, &items)
		if perEvent && !validItems(items, len(events)) {
			// A sink bug: which events failed is unknown, so none is
			// counted as delivered; the whole batch is retried.
			r.cfg.Logger.Error("BUG: sink reported failed events by indexes outside the batch; retrying the whole batch",
				"subscription", r.cfg.Name, "events", len(events), "err", err)
			perEvent = false
		}
		if perEvent {
			retry, ra, ok := r.splitItems(ctx, events, items)
			itemsRetryAfter = ra
			if !ok {
				return
			}
			if len(retry) == 0 {
				break
			}
			events = retry
		}
		var partial *sink.PartialError
		if errors.As(err, &partial) && partial.Delivered > 0 {
			r.cfg.Metrics.delivered(r.cfg.Name, partial.Delivered)
			events = events[min(partial.Delivered, len(events)):]
			err = partial.Err
		}
		if sink.IsPermanent(err) {
			if !r.deadLetter(ctx, events, err) {
				return
			}
			break
		}
		r.cfg.Metrics.retried(r.cfg.Name, len(events))
		r.markDisconnected()
		retryAfter := itemsRetryAfter
		var ra RetryAfterError
		if errors.As(err, &ra) {
			retryAfter = max(retryAfter, ra.RetryAfter())
		}
		if limit := 10 * r.cfg.RetryMax; retryAfter > limit {
			r.cfg.Logger.Warn("the destination asked to wait longer than 10 × retry.max; waiting that instead",
				"subscription", r.cfg.Name, "retry_after", retryAfter.String(), "waiting", limit.String())
			retryAfter = limit
		}
		if retryAfter > 0 {
			// The destination asked for a pause: every worker keeps it.
			r.pause(retryAfter)
		}
		delay := max(jitter(wait), retryAfter)
		r.cfg.Logger.Warn("cannot deliver batch; will retry",
			"subscription", r.cfg.Name, "events", len(events), "attempt", attempt, "retry_in", delay.String(), "err", err)
		if !r.sleep(delay) {
			return
		}
		wait = min(wait*2, r.cfg.RetryMax)
	}
	r.finish(b.lastSeq)
}

// validItems reports whether every failed index is inside a batch of n
// events, and none repeats.
func validItems(items *sink.ItemsError, n int) bool {
	seen := make(map[int]bool, len(items.Failed))
	for _, f := range items.Failed {
		if f.Index < 0 || f.Index >= n || seen[f.Index] {
			return false
		}
		seen[f.Index] = true
	}
	return true
}

// splitItems handles a batch delivered in part (ItemsError): it counts what
// was delivered, dead-letters what failed for good (grouped by reason) and
// returns the events to retry, with the longest Retry-After of their errors.
// It reports false when dead letters could not be written before Run
// stopped.
func (r *runner) splitItems(ctx context.Context, events []event.Event, items *sink.ItemsError) ([]event.Event, time.Duration, bool) {
	var retryAfter time.Duration
	failed := make(map[int]bool, len(items.Failed))
	var retry []event.Event
	var reasons []string
	permanent := map[string][]event.Event{}
	errs := map[string]error{}
	for _, f := range items.Failed {
		if f.Index < 0 || f.Index >= len(events) || failed[f.Index] {
			continue
		}
		failed[f.Index] = true
		if sink.IsPermanent(f.Err) {
			reason := f.Err.Error()
			if _, ok := permanent[reason]; !ok {
				reasons = append(reasons, reason)
				errs[reason] = f.Err
			}
			permanent[reason] = append(permanent[reason], events[f.Index])
			continue
		}
		retry = append(retry, events[f.Index])
		var ra RetryAfterError
		if errors.As(f.Err, &ra) {
			retryAfter = max(retryAfter, ra.RetryAfter())
		}
	}
	r.cfg.Metrics.delivered(r.cfg.Name, len(events)-len(failed))
	for _, reason := range reasons {
		if !r.deadLetter(ctx, permanent[reason], errs[reason]) {
			return nil, 0, false
		}
	}
	return retry, retryAfter, true
}

func (r *runner) isStopping() bool {
	select {
	case <-r.stopping:
		return true
	default:
		return false
	}
}

// sleep waits d, or less when Run is stopping; it reports whether the full
// wait passed.
func (r *runner) sleep(d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-r.stopping:
		return false
	}
}

// pause makes every worker wait d before its next write.
func (r *runner) pause(d time.Duration) {
	until := time.Now().Add(d)
	r.mu.Lock()
	if until.After(r.pausedUntil) {
		r.pausedUntil = until
	}
	r.mu.Unlock()
}

func (r *runner) write(ctx context.Context, events []event.Event) error {
	r.mu.Lock()
	connected := r.connected
	paused := time.Until(r.pausedUntil)
	r.mu.Unlock()
	if paused > 0 && !r.sleep(paused) {
		return context.Canceled
	}
	if !connected {
		if err := r.sink.Connect(ctx); err != nil {
			return fmt.Errorf("cannot connect: %w", err)
		}
		r.mu.Lock()
		r.connected = true
		r.mu.Unlock()
	}
	return r.sink.Write(ctx, events)
}

func (r *runner) markDisconnected() {
	r.mu.Lock()
	r.connected = false
	r.mu.Unlock()
}

// deadLetter keeps events the sink refused for good. It reports whether they
// are safely written; until they are, the batch is not acknowledged (the
// dead-letter file is their last copy), and writing is retried.
func (r *runner) deadLetter(ctx context.Context, events []event.Event, reason error) bool {
	r.cfg.Logger.Error("sink refused events for good; writing them to the dead-letter file",
		"subscription", r.cfg.Name, "events", len(events), "err", reason)
	if r.cfg.DeadLetter == nil {
		r.cfg.Metrics.deadLettered(r.cfg.Name, len(events))
		return true
	}
	wait := r.cfg.RetryInitial
	for {
		err := r.cfg.DeadLetter.Write(r.cfg.Name, events, reason)
		if err == nil {
			r.cfg.Metrics.deadLettered(r.cfg.Name, len(events))
			return true
		}
		r.cfg.Logger.Error("cannot write dead letters; the events stay in the log and writing is retried",
			"subscription", r.cfg.Name, "events", len(events), "retry_in", wait.String(), "err", err)
		if ctx.Err() != nil || !r.sleep(wait) {
			return false
		}
		wait = min(wait*2, r.cfg.RetryMax)
	}
}

// finish marks a batch done and acknowledges the cursor up to the last batch
// whose predecessors are all done.
func (r *runner) finish(lastSeq uint64) {
	if lastSeq == 0 {
		return // summaries only: nothing to acknowledge
	}
	r.mu.Lock()
	r.done[lastSeq] = true
	var ack uint64
	for len(r.inflight) > 0 && r.done[r.inflight[0]] {
		ack = r.inflight[0]
		delete(r.done, ack)
		r.inflight = r.inflight[1:]
	}
	r.mu.Unlock()
	if ack == 0 {
		return
	}
	if err := r.cur.Ack(ack); err != nil {
		r.cfg.Logger.Error("cannot acknowledge the cursor; events may be delivered again after a restart",
			"subscription", r.cfg.Name, "seq", ack, "err", err)
	}
}

// jitter spreads d over [d/2, d) so that retries of many subscriptions do
// not synchronise.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)))
}
