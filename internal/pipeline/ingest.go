// Package pipeline connects sources to the write-ahead log and the log to
// the subscriptions that deliver from it.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

// Ingester is what sources hand events to. Ingest returns only after the
// events are durable (the fsync that covers them has completed); then, and
// only then, may the source acknowledge them to the sender.
type Ingester interface {
	Ingest(ctx context.Context, events []event.Event) error
}

// ErrFull is returned (wrapped in a *FullError) when the write-ahead log has
// reached its size cap: sources refuse input (HTTP 503 with Retry-After, TCP
// reading pauses) until subscribers catch up.
var ErrFull = errors.New("write-ahead log is full")

// FullError says the log is full and when to try again.
type FullError struct {
	// RetryAfter is a hint for the sender (HTTP Retry-After).
	RetryAfter time.Duration
	// Bytes and MaxBytes are the log's size and cap when it refused.
	Bytes, MaxBytes int64
}

func (e *FullError) Error() string {
	return fmt.Sprintf("write-ahead log is full (%d of %d bytes): subscribers are behind; retry after %s", e.Bytes, e.MaxBytes, e.RetryAfter)
}

// Is makes errors.Is(err, ErrFull) true for a *FullError.
func (e *FullError) Is(target error) bool { return target == ErrFull }

// ErrTooLarge is returned when one batch is larger than the whole log may
// ever hold (wal.max_bytes): retrying cannot help, so sources answer 413.
var ErrTooLarge = errors.New("batch is larger than the write-ahead log's cap")

// ErrClosed is returned by Ingest once the pipeline is shutting down.
var ErrClosed = errors.New("sluice is shutting down")
