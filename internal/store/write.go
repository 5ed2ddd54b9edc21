package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"modernc.org/sqlite"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/sink"
)

const insertSQL = `INSERT INTO events(seq, time, received, severity, severity_source, facility,
	host, app, proc, msgid, grp, stream, source, id, message, fields)
	VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`

const (
	seqBits    = 26
	seqMask    = 1<<seqBits - 1
	tickShift  = 10 // rowid time unit: 1024 ns
	sqliteCPK  = 1555
	maxRetries = 64
)

// eventTime is the time an event is stored and searched under: its Time,
// else when it was received.
func eventTime(e *event.Event, now time.Time) time.Time {
	if !e.Time.IsZero() {
		return e.Time
	}
	if !e.Received.IsZero() {
		return e.Received
	}
	return now
}

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
// duplicate; events without an ID are always stored. Events older than
// Retention are dropped. When some days fail, Write returns a
// *sink.ItemsError naming the events to retry.
func (s *Store) Write(ctx context.Context, batch []event.Event) error {
	now := s.cfg.Now()
	cutoff := now.Add(-s.cfg.Retention)
	byDay := map[string][]int{}
	for i := range batch {
		t := eventTime(&batch[i], now).UTC()
		if !t.Truncate(24 * time.Hour).Add(24 * time.Hour).After(cutoff) {
			continue // its day is past retention
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
	stmt := tx.StmtContext(ctx, d.insert)
	summary := map[summaryKey][2]int64{}
	minutes := map[minuteKey]int64{}
	var fieldsBuf []byte
	args := make([]any, 16)
	for _, i := range idx {
		e := &batch[i]
		t := eventTime(e, now)
		base := seqBase(t, d.start)
		var fields any
		if len(e.Fields) > 0 {
			fieldsBuf = appendFields(fieldsBuf[:0], e.Fields)
			fields = string(fieldsBuf)
		}
		var id any
		if e.ID != "" {
			id = e.ID
		}
		recv := int64(0)
		if !e.Received.IsZero() {
			recv = e.Received.UnixNano()
		}
		args[1], args[2], args[3], args[4], args[5] = t.UnixNano(), recv, int64(e.Severity), int64(e.SeveritySource), int64(e.Facility)
		args[6], args[7], args[8], args[9], args[10] = e.Host, e.App, e.Proc, e.MsgID, e.Group
		args[11], args[12], args[13], args[14], args[15] = e.Stream, e.Source, id, e.Message, fields
		inserted := false
		for try := 0; ; try++ {
			args[0] = base | int64(s.seq.Add(1)&seqMask)
			res, err := stmt.ExecContext(ctx, args...)
			if err != nil {
				var se *sqlite.Error
				if errors.As(err, &se) && se.Code() == sqliteCPK && try < maxRetries {
					continue // the rowid is taken: take the next sequence number
				}
				return fmt.Errorf("cannot store events in %s: %w", d.path, err)
			}
			n, _ := res.RowsAffected()
			inserted = n == 1
			break
		}
		if !inserted {
			continue // a duplicate ID: stored before
		}
		k := summaryKey{e.Group, e.Stream, e.Severity}
		v := summary[k]
		v[0]++
		v[1] = max(v[1], t.UnixNano())
		summary[k] = v
		minutes[minuteKey{t.Unix() / 60, e.Group, e.Severity}]++
	}
	for k, v := range summary {
		if _, err := tx.ExecContext(ctx, `INSERT INTO summary VALUES(?, ?, ?, ?, ?)
			ON CONFLICT DO UPDATE SET n = n + excluded.n, last = max(last, excluded.last)`,
			k.grp, k.stream, int64(k.sev), v[0], v[1]); err != nil {
			return fmt.Errorf("cannot store events in %s: %w", d.path, err)
		}
	}
	for k, n := range minutes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO minutes VALUES(?, ?, ?, ?)
			ON CONFLICT DO UPDATE SET n = n + excluded.n`, k.minute, k.grp, int64(k.sev), n); err != nil {
			return fmt.Errorf("cannot store events in %s: %w", d.path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("cannot store events in %s: %w", d.path, err)
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
