package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/wal"
)

// Log is the durable log events are appended to. *wal.Log implements it; a
// NATS JetStream stream can stand behind the same interface.
type Log interface {
	// Append returns after the records are durable, with the sequence
	// numbers of the first and last; or an error wrapping wal.ErrFull.
	Append(ctx context.Context, records [][]byte) (first, last uint64, err error)
}

// DefaultRetryAfter is what a full log tells senders to wait.
const DefaultRetryAfter = 5 * time.Second

// Pipeline is the Ingester every source uses: it encodes events and appends
// them to the log.
type Pipeline struct {
	log        Log
	retryAfter time.Duration
	closed     atomic.Bool
	bufs       sync.Pool

	accepted prometheus.Counter
	refused  *prometheus.CounterVec
	bytes    prometheus.Counter
}

// New returns a pipeline appending to log. Metrics are registered on reg
// when it is not nil.
func New(log Log, reg prometheus.Registerer) *Pipeline {
	p := &Pipeline{
		log:        log,
		retryAfter: DefaultRetryAfter,
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_ingest_accepted_events_total", Help: "Events written durably to the log."}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_ingest_refused_events_total", Help: "Events refused by the log, by reason (full, closed, error)."}, []string{"reason"}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_ingest_encoded_bytes_total", Help: "Bytes of encoded events written to the log."}),
	}
	if reg != nil {
		reg.MustRegister(p.accepted, p.refused, p.bytes)
	}
	return p
}

type encodeBuf struct {
	data    []byte
	offsets []int
	records [][]byte
}

// Ingest appends events to the log and returns once they are durable. It
// returns a *FullError (errors.Is ErrFull) when the log is at its cap, and
// ErrClosed after Close.
func (p *Pipeline) Ingest(ctx context.Context, events []event.Event) error {
	if len(events) == 0 {
		return nil
	}
	if p.closed.Load() {
		p.refused.WithLabelValues("closed").Add(float64(len(events)))
		return ErrClosed
	}
	b, _ := p.bufs.Get().(*encodeBuf)
	if b == nil {
		b = &encodeBuf{}
	}
	defer p.bufs.Put(b)
	b.data, b.offsets, b.records = b.data[:0], b.offsets[:0], b.records[:0]
	for i := range events {
		b.offsets = append(b.offsets, len(b.data))
		b.data = events[i].Marshal(b.data)
	}
	b.offsets = append(b.offsets, len(b.data))
	for i := range events {
		b.records = append(b.records, b.data[b.offsets[i]:b.offsets[i+1]])
	}
	_, _, err := p.log.Append(ctx, b.records)
	switch {
	case err == nil:
		p.accepted.Add(float64(len(events)))
		p.bytes.Add(float64(len(b.data)))
		return nil
	case errors.Is(err, wal.ErrFull):
		fe := &FullError{RetryAfter: p.retryAfter}
		var we *wal.FullError
		if errors.As(err, &we) {
			if we.Batch > we.MaxBytes {
				p.refused.WithLabelValues("too_large").Add(float64(len(events)))
				return fmt.Errorf("%w: %d bytes encoded, cap %d bytes; raise wal.max_bytes or send smaller batches", ErrTooLarge, we.Batch, we.MaxBytes)
			}
			fe.Bytes, fe.MaxBytes = we.Bytes, we.MaxBytes
		}
		p.refused.WithLabelValues("full").Add(float64(len(events)))
		return fe
	default:
		p.refused.WithLabelValues("error").Add(float64(len(events)))
		return fmt.Errorf("cannot write events to the log: %w", err)
	}
}

// Close makes later Ingest calls fail with ErrClosed; calls under way finish.
func (p *Pipeline) Close() { p.closed.Store(true) }

var _ Ingester = (*Pipeline)(nil)
