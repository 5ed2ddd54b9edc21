// Package sink defines the contract every destination implements. The
// machinery around it — cursor, batching, retries with backoff, dead
// letters, metrics — lives in sink/sinkhelper, so that a sink itself is
// small: Connect, Write, Close.
package sink

import (
	"context"
	"errors"
	"fmt"

	"github.com/sluicelog/sluice/internal/event"
)

// Sink delivers batches of events to one destination.
//
// Write delivers the whole batch and returns nil, or returns an error:
//   - a *PartialError when the first Delivered events were delivered and
//     the rest were not (the helper retries only the rest);
//   - an error marked Permanent when the events can never be delivered
//     (the helper dead-letters them instead of retrying);
//   - any other error is retryable: the helper calls Connect again after a
//     backoff and retries the batch.
//
// Write is called by one goroutine at a time per sink instance, unless the
// subscription runs several workers (the server does so only for sinks
// whose Write is safe for concurrent use, such as http);
// events and their strings are valid only during the call.
type Sink interface {
	Connect(ctx context.Context) error
	Write(ctx context.Context, batch []event.Event) error
	Close() error
}

// PartialError reports that only the first Delivered events of a batch were
// delivered.
type PartialError struct {
	Delivered int
	Err       error
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("delivered %d events, then: %v", e.Delivered, e.Err)
}

func (e *PartialError) Unwrap() error { return e.Err }

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as permanent: the events it concerns are dead-lettered,
// not retried.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err, or an error it wraps, was marked Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// ItemsError reports a batch delivered in part where the failures are not a
// prefix — e.g. the per-item results of an Elasticsearch _bulk request.
// Events whose index is not in Failed were delivered. A failed event whose
// error is marked Permanent is dead-lettered with that error as the reason;
// the others are retried (only they).
type ItemsError struct {
	Failed []ItemError
}

// ItemError is the failure of the event at Index in the batch.
type ItemError struct {
	Index int
	Err   error
}

func (e *ItemsError) Error() string {
	if len(e.Failed) == 0 {
		return "no events failed"
	}
	permanent := 0
	for _, f := range e.Failed {
		if IsPermanent(f.Err) {
			permanent++
		}
	}
	return fmt.Sprintf("%d events failed (%d for good), the first: %v", len(e.Failed), permanent, e.Failed[0].Err)
}
