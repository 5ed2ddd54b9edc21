package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/sink"
)

const (
	seqBits    = 26
	seqMask    = 1<<seqBits - 1
	tickShift  = 10 // rowid time unit: 1024 ns
	sqliteCPK  = 1555
	maxRetries = 64
)

// eventTime is the time an event is stored and searched under: its Time,
// else when it was received. An event whose Time is past retention (before
// the day of cutoff) or more than a day ahead of now — a replayed archive,
// a sender with a wrong clock — is filed under when it was received
// instead (refiled true), so that it is kept and found with what arrived
// with it; its own time is kept in fields.original_time.
func eventTime(e *event.Event, now, cutoff time.Time) (t time.Time, refiled bool) {
	if !e.Time.IsZero() {
		if !e.Time.Truncate(24*time.Hour).Add(24*time.Hour).After(cutoff) || e.Time.After(now.Add(24*time.Hour)) {
			refiled = true
		} else {
			return e.Time, false
		}
	}
	if !e.Received.IsZero() {
		return e.Received, refiled
	}
	return now, refiled
}

// originalTime is the field a refiled event keeps its own time in.
const originalTime = "original_time"

// seqBase returns the rowid of time t in the day starting at start, with
// sequence number 0.
func seqBase(t, start time.Time) int64 {
	ns := t.Sub(start).Nanoseconds()
	if ns < 0 {
		ns = 0
	}
	return (ns >> tickShift) << seqBits
}

// Write implements sink.Sink: it stores the batch in one transaction per
// day. Events with an ID already stored are skipped, so a replay adds no
// duplicate; events without an ID are always stored. Events whose time is
// past Retention are stored under the time they were received (see
// eventTime), and dropped only when that too is past Retention. When some days fail, Write returns a
// *sink.ItemsError naming the events to retry.
func (s *Store) Write(ctx context.Context, batch []event.Event) error {
	now := s.cfg.Now()
	cutoff := now.Add(-s.cfg.Retention)
	byDay := map[string][]int{}
	for i := range batch {
		t, _ := eventTime(&batch[i], now, cutoff)
		t = t.UTC()
		if !t.Truncate(24 * time.Hour).Add(24 * time.Hour).After(cutoff) {
			continue // even its arrival is past retention
		}
		name := t.Format(dayLayout)
		byDay[name] = append(byDay[name], i)
	}
	names := make([]string, 0, len(byDay))
	for n := range byDay {
		names = append(names, n)
	}
	slices.Sort(names)
	var failed []sink.ItemError
	var firstErr error
	for _, n := range names {
		err := s.writeDay(ctx, n, batch, byDay[n], now)
		if err == nil {
			continue
		}
		if firstErr == nil {
			firstErr = err
		}
		for _, i := range byDay[n] {
			failed = append(failed, sink.ItemError{Index: i, Err: err})
		}
	}
	switch {
	case len(failed) == 0:
		return nil
	case len(names) == 1:
		return firstErr
	}
	return &sink.ItemsError{Failed: failed}
}

type summaryKey struct {
	grp, stream string
	sev         event.Severity
}

type minuteKey struct {
	minute int64
	grp    string
	sev    event.Severity
}

func (s *Store) writeDay(ctx context.Context, name string, batch []event.Event, idx []int, now time.Time) error {
	d, err := s.acquire(name, true)
	if err != nil {
		return fmt.Errorf("cannot store events: %w", err)
	}
	defer s.release(d)
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("cannot store events in %s: %w", d.path, err)
	}
	defer tx.Rollback()
	w := dayWriter{s: s, d: d, tx: tx, batch: batch, rows: make([]pendingRow, len(idx))}
	cutoff := now.Add(-s.cfg.Retention)
	for j, i := range idx {
		e := &batch[i]
		t, refiled := eventTime(e, now, cutoff)
		r := &w.rows[j]
		r.index, r.time, r.base = i, t.UnixNano(), seqBase(t, d.start)
		fields := e.Fields
		if refiled {
			// A copy: the batch is the caller's.
			fields = append(fields[:len(fields):len(fields)], event.Field{Key: originalTime, Value: e.Time.UTC().Format(time.RFC3339Nano)})
		}
		if len(fields) > 0 {
			w.buf = appendFields(w.buf[:0], fields)
			r.fields = string(w.buf)
		}
	}
	if err := w.insertEvents(ctx); err != nil {
		return fmt.Errorf("cannot store events in %s: %w", d.path, err)
	}
	if err := w.count(ctx); err != nil {
		return fmt.Errorf("cannot store events in %s: %w", d.path, err)
	}
	if err := w.index(ctx); err != nil {
		return fmt.Errorf("cannot store events in %s: %w", d.path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("cannot store events in %s: %w", d.path, err)
	}
	// Live tail sees an event once it is committed, so a tail that
	// backfills from the store and then follows misses nothing between.
	// Whether anyone tails is asked after the commit: a tail opened
	// during the transaction gets its events here, since its backfill may
	// have run before the commit.
	tailing := s.tail.active()
	var stored []storedEvent // for live tail, when someone is tailing
	if tailing {
		stored = make([]storedEvent, len(w.stored))
		for k, j := range w.stored {
			stored[k] = storedEvent{index: w.rows[j].index, seq: w.rows[j].seq}
		}
	}
	if len(stored) > 0 {
		s.tail.publish(name, batch, stored)
	}
	return nil
}

// appendFields appends fields as a JSON object, as the event's JSON form
// writes them (repeated keys get "#2", "#3", ...).
func appendFields(dst []byte, fields []event.Field) []byte {
	e := event.Event{Fields: fields}
	j := e.AppendJSON(nil)
	// The JSON form of an event with only fields is
	// {"severity":0,"severity_name":"emerg","fields":{...}}.
	const prefix = `{"severity":0,"severity_name":"emerg","fields":`
	return append(dst, j[len(prefix):len(j)-1]...)
}

// decodeFields reads what appendFields wrote.
func decodeFields(s string) ([]event.Field, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var out []event.Field
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, event.FieldFromJSON(key, v))
	}
	return out, nil
}

var _ sink.Sink = (*Store)(nil)
