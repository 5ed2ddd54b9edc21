package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/store/query"
)

// Request is one page of a search.
type Request struct {
	// Query selects events; nil matches all.
	Query *query.Query
	// Since (inclusive) and Until (exclusive) bound the events' times; a
	// zero value leaves that side open.
	Since, Until time.Time
	// Limit is the page size: DefaultLimit when 0, at most MaxLimit.
	Limit int
	// Cursor is the next value of the previous page; "" for the first.
	Cursor string

	// cursors, when set, receives the position of each event returned
	// (Backfill compares them with live tail's).
	cursors *[]string
	// after, when set, is a position: only events above it are returned
	// (a tail resuming after its last event).
	after string
}

// plan is a query translated to what SQLite can do: an FTS5 expression and
// SQL conditions that select a superset of the matching events; the
// query's Match then keeps exactly the matching ones.
type plan struct {
	fts   string
	where string
	args  []any
}

func newPlan(q *query.Query) plan {
	var p plan
	if q == nil || q.Root == nil {
		return p
	}
	p.fts, _ = ftsOf(q.Root)
	if c, a, ok, _ := sqlOf(q.Root); ok {
		p.where, p.args = c, a
	}
	return p
}

// ftsOf returns an FTS5 expression that every event matching n matches, or
// ok false when the index cannot narrow n down. A term becomes a phrase
// (with a prefix on its last token for time*): the package query's
// whole-word reading ensures the index finds every message Match accepts.
func ftsOf(n query.Node) (string, bool) {
	switch n := n.(type) {
	case *query.Term:
		if !query.HasWord(n.Text) {
			return "", false
		}
		s := `"` + strings.ReplaceAll(n.Text, `"`, `""`) + `"`
		if n.Prefix {
			s += "*"
		}
		return s, true
	case *query.And:
		var parts []string
		for _, c := range n.Nodes {
			if s, ok := ftsOf(c); ok {
				parts = append(parts, s)
			}
		}
		if len(parts) == 0 {
			return "", false
		}
		return "(" + strings.Join(parts, " AND ") + ")", true
	case *query.Or:
		parts := make([]string, len(n.Nodes))
		for i, c := range n.Nodes {
			s, ok := ftsOf(c)
			if !ok {
				return "", false
			}
			parts[i] = s
		}
		return "(" + strings.Join(parts, " OR ") + ")", true
	}
	return "", false
}

// column returns the column of a filter's field, or "" when SQL cannot
// test it (facility, fields.KEY).
func column(field string) string {
	switch field {
	case "app", "host", "proc", "msgid", "stream", "source", "id":
		return "e." + field
	case "group":
		return "e.grp"
	}
	return ""
}

// sqlOf returns an SQL condition that every event matching n satisfies
// (ok), and whether it is exact (then its negation is usable too).
func sqlOf(n query.Node) (cond string, args []any, ok, exact bool) {
	switch n := n.(type) {
	case *query.Filter:
		if n.Field == "severity" {
			return "e.severity " + sqlOp(n.Op) + " ?", []any{int64(n.Severity())}, true, true
		}
		col := column(n.Field)
		if col == "" || (n.Field == "id" && n.Value == "") {
			return "", nil, false, false
		}
		if n.IsGlob() {
			return col + " GLOB ?", []any{globToSQL(n.Value)}, true, true
		}
		return col + " = ?", []any{n.Value}, true, true
	case *query.Not:
		c, a, ok, exact := sqlOf(n.Node)
		if !ok || !exact {
			return "", nil, false, false
		}
		return "NOT (" + c + ")", a, true, true
	case *query.And:
		var parts []string
		exact = true
		for _, c := range n.Nodes {
			s, a, ok, ex := sqlOf(c)
			if !ok {
				exact = false
				continue
			}
			parts = append(parts, s)
			args = append(args, a...)
			exact = exact && ex
		}
		if len(parts) == 0 {
			return "", nil, false, false
		}
		return "(" + strings.Join(parts, " AND ") + ")", args, true, exact
	case *query.Or:
		parts := make([]string, len(n.Nodes))
		exact = true
		for i, c := range n.Nodes {
			s, a, ok, ex := sqlOf(c)
			if !ok {
				return "", nil, false, false
			}
			parts[i] = s
			args = append(args, a...)
			exact = exact && ex
		}
		return "(" + strings.Join(parts, " OR ") + ")", args, true, exact
	}
	return "", nil, false, false
}

func sqlOp(op query.Op) string {
	switch op {
	case query.OpLt:
		return "<"
	case query.OpLe:
		return "<="
	case query.OpGt:
		return ">"
	case query.OpGe:
		return ">="
	}
	return "="
}

// globToSQL turns a query glob (only * is special) into an SQLite GLOB
// pattern.
func globToSQL(g string) string {
	var b strings.Builder
	for i := 0; i < len(g); i++ {
		switch g[i] {
		case '?':
			b.WriteString("[?]")
		case '[':
			b.WriteString("[[]")
		default:
			b.WriteByte(g[i])
		}
	}
	return b.String()
}

const selectColumns = `e.seq, e.time, e.received, e.severity, e.severity_source, e.facility,
	e.host, e.app, e.proc, e.msgid, e.grp, e.stream, e.source, e.id, e.message, e.fields`

// pageSQL returns the query for one chunk of a day, newest first, below
// seq `before` and at or above seq `from`.
func (p *plan) pageSQL(since, until time.Time) (string, []any) {
	var b strings.Builder
	var args []any
	if p.fts != "" {
		b.WriteString("SELECT " + selectColumns + " FROM messages m JOIN events e ON e.seq = m.rowid WHERE messages MATCH ? AND m.rowid < ? AND m.rowid >= ?")
		args = append(args, p.fts)
	} else {
		b.WriteString("SELECT " + selectColumns + " FROM events e WHERE e.seq < ? AND e.seq >= ?")
	}
	args = append(args, nil, nil) // the bounds, set per chunk
	if !since.IsZero() {
		b.WriteString(" AND e.time >= ?")
		args = append(args, since.UnixNano())
	}
	if !until.IsZero() {
		b.WriteString(" AND e.time < ?")
		args = append(args, until.UnixNano())
	}
	if p.where != "" {
		b.WriteString(" AND " + p.where)
		args = append(args, p.args...)
	}
	if p.fts != "" {
		b.WriteString(" ORDER BY m.rowid DESC LIMIT ?")
	} else {
		b.WriteString(" ORDER BY e.seq DESC LIMIT ?")
	}
	args = append(args, nil)
	return b.String(), args
}

// boundsIndex is where pageSQL's bounds are in its args.
func (p *plan) boundsIndex() int {
	if p.fts != "" {
		return 1
	}
	return 0
}

// Search returns the newest events matching req, newest first, and the
// cursor of the next page ("" when there is none). It walks the days
// newest first and stops once it has Limit events.
func (s *Store) Search(ctx context.Context, req Request) (events []event.Event, next string, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	limit := req.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	curDay, curSeq := "", int64(math.MaxInt64)
	if req.Cursor != "" {
		if curDay, curSeq, err = parseCursor(req.Cursor); err != nil {
			return nil, "", err
		}
	}
	afterDay, afterSeq := "", int64(-1)
	if req.after != "" {
		if afterDay, afterSeq, err = parseCursor(req.after); err != nil {
			return nil, "", err
		}
	}
	p := newPlan(req.Query)
	sqlText, args := p.pageSQL(req.Since, req.Until)
	bi := p.boundsIndex()
	err = s.eachDay(ctx, req.Since, req.Until, func(d *day) (bool, error) {
		if curDay != "" && d.name > curDay {
			return true, nil
		}
		if d.name < afterDay {
			return false, nil
		}
		before := int64(math.MaxInt64)
		if d.name == curDay {
			before = curSeq
		}
		from := int64(0)
		if !req.Since.IsZero() && req.Since.After(d.start) {
			from = seqBase(req.Since, d.start)
		}
		if d.name == afterDay {
			from = max(from, afterSeq+1)
		}
		if !req.Until.IsZero() && req.Until.Before(d.start.Add(24*time.Hour)) {
			before = min(before, seqBase(req.Until, d.start)+1<<seqBits)
		}
		chunk := min(max(2*(limit-len(events)), 64), 1000)
		for {
			args[bi], args[bi+1], args[len(args)-1] = before, from, chunk
			n, last, err := s.scan(ctx, d, sqlText, args, func(seq int64, e *event.Event) bool {
				if req.Query.Match(e) {
					events = append(events, *e)
					if req.cursors != nil {
						*req.cursors = append(*req.cursors, formatCursor(d.name, seq))
					}
					if len(events) == limit {
						next = formatCursor(d.name, seq)
						return false
					}
				}
				return true
			})
			if err != nil || next != "" {
				return false, err
			}
			if n < chunk {
				return true, nil
			}
			before = last
			chunk = min(chunk*2, 4096)
		}
	})
	if err != nil {
		return nil, "", s.queryError("search", ctx, err)
	}
	return events, next, nil
}

func (s *Store) queryError(what string, ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("cannot %s: the query took longer than %v: narrow the time range (since/until) or add terms and filters: %w", what, s.cfg.QueryTimeout, context.DeadlineExceeded)
	}
	return fmt.Errorf("cannot %s: %w", what, err)
}

// eachDay calls fn with each day overlapping [since, until), newest first,
// until fn returns false or an error.
func (s *Store) eachDay(ctx context.Context, since, until time.Time, fn func(*day) (bool, error)) error {
	for _, name := range s.dayNames() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !until.IsZero() && name > until.UTC().Format(dayLayout) {
			continue
		}
		if !since.IsZero() && name < since.UTC().Format(dayLayout) {
			break
		}
		d, err := s.acquire(name, false)
		if err != nil {
			return err
		}
		if d == nil {
			continue // removed by retention meanwhile
		}
		more, err := fn(d)
		s.release(d)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// scan runs a query on d's read pool and calls fn with each event until
// fn returns false; it returns the rows read and the last seq read.
func (s *Store) scan(ctx context.Context, d *day, sqlText string, args []any, fn func(seq int64, e *event.Event) bool) (n int, last int64, err error) {
	rows, err := d.r.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	var (
		e                        event.Event
		tm, recv, sev, ssrc, fac int64
		id, fields               sql.NullString
	)
	for rows.Next() {
		if err := rows.Scan(&last, &tm, &recv, &sev, &ssrc, &fac, &e.Host, &e.App, &e.Proc, &e.MsgID,
			&e.Group, &e.Stream, &e.Source, &id, &e.Message, &fields); err != nil {
			return n, last, err
		}
		n++
		e.Time = time.Unix(0, tm).UTC()
		e.Received = time.Time{}
		if recv != 0 {
			e.Received = time.Unix(0, recv).UTC()
		}
		e.Severity, e.SeveritySource, e.Facility = event.Severity(sev), event.SeveritySource(ssrc), event.Facility(fac)
		e.ID = id.String
		e.Fields = nil
		if fields.Valid {
			if e.Fields, err = decodeFields(fields.String); err != nil {
				return n, last, fmt.Errorf("cannot read the fields of event %d in %s: %w", last, d.path, err)
			}
		}
		if !fn(last, &e) {
			return n, last, nil
		}
	}
	return n, last, rows.Err()
}

func formatCursor(day string, seq int64) string {
	return day + "." + strconv.FormatInt(seq, 10)
}

// CursorError is a Request.Cursor that is not one Search made.
type CursorError struct{ Cursor string }

func (e *CursorError) Error() string {
	return fmt.Sprintf("cannot read cursor %q: pass the next value of an earlier search unchanged", e.Cursor)
}

func parseCursor(c string) (string, int64, error) {
	name, seqText, ok := strings.Cut(c, ".")
	seq, err := strconv.ParseInt(seqText, 10, 64)
	if _, terr := time.Parse(dayLayout, name); !ok || err != nil || terr != nil || seq < 0 {
		return "", 0, &CursorError{Cursor: c}
	}
	return name, seq, nil
}
