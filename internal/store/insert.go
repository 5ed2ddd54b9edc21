package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"modernc.org/sqlite"

	"github.com/sluicelog/sluice/internal/event"
)

// How a batch goes into a day's database, and why this way (figures in
// store_timing_test.go):
//
//   - Events are inserted with multi-row INSERT statements (chunkSizes
//     rows each): with the transpiled SQLite, executing a statement costs
//     far more than one more row in it.
//   - The full-text index is filled by one INSERT … SELECT per batch, from
//     the rows just inserted, after every other statement of the
//     transaction. FTS5 writes its pending terms out as a new segment of
//     the index whenever a statement that needs a statement journal
//     starts (its savepoint hook), and a multi-row INSERT, an upsert or an
//     INSERT that fires a trigger is such a statement: the trigger that
//     used to fill the index made every event a segment of its own, and
//     merging those cost more than everything else together. Now a
//     transaction adds one segment, written at commit.
//   - The summary and minutes counts of the batch are added with
//     multi-row upserts too.

// chunkSizes are the row counts of the prepared multi-row INSERTs, largest
// first; a batch takes as many of the largest as fit, then of the next.
var chunkSizes = [...]int{64, 32, 16, 8, 4, 2, 1}

// multiInsert is an INSERT prepared for each of chunkSizes rows.
type multiInsert struct {
	stmts [len(chunkSizes)]*sql.Stmt
}

// prepareMulti prepares head + VALUES (?, …), … + tail for each chunk
// size.
func prepareMulti(db *sql.DB, cols int, head, tail string) (*multiInsert, error) {
	m := &multiInsert{}
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	for k, n := range chunkSizes {
		var b strings.Builder
		b.WriteString(head + " VALUES ")
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(row)
		}
		b.WriteString(" " + tail)
		st, err := db.Prepare(b.String())
		if err != nil {
			m.close()
			return nil, err
		}
		m.stmts[k] = st
	}
	return m, nil
}

func (m *multiInsert) close() {
	if m == nil {
		return
	}
	for _, st := range m.stmts {
		if st != nil {
			st.Close()
		}
	}
}

// chunk returns the statement for the next rows of a set of which left
// remain, and how many rows it takes.
func (m *multiInsert) chunk(left int) (*sql.Stmt, int) {
	k := 0
	for chunkSizes[k] > left {
		k++
	}
	return m.stmts[k], chunkSizes[k]
}

// exec inserts n rows in tx; bind appends the columns of row i to args.
func (m *multiInsert) exec(ctx context.Context, tx *sql.Tx, n int, bind func(args []any, i int) []any) error {
	var args []any
	for start := 0; start < n; {
		st, c := m.chunk(n - start)
		args = args[:0]
		for i := start; i < start+c; i++ {
			args = bind(args, i)
		}
		if _, err := tx.StmtContext(ctx, st).ExecContext(ctx, args...); err != nil {
			return err
		}
		start += c
	}
	return nil
}

// writeStmts are a day's prepared write statements.
type writeStmts struct {
	// events inserts events. An event whose ID is stored already is
	// skipped; a rowid taken already fails the statement (which is then
	// retried row by row with new rowids).
	events *multiInsert
	// stored selects which rowids of a JSON array are stored.
	stored *sql.Stmt
	// index adds the messages of the events of a JSON array of rowids to
	// the full-text index.
	index *sql.Stmt
	// summary and minutes add counts.
	summary, minutes *multiInsert
}

func prepareWrites(db *sql.DB) (*writeStmts, error) {
	ws := &writeStmts{}
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = db.Prepare(q)
		return st
	}
	multi := func(cols int, head, tail string) *multiInsert {
		if err != nil {
			return nil
		}
		var m *multiInsert
		m, err = prepareMulti(db, cols, head, tail)
		return m
	}
	ws.events = multi(16, `INSERT INTO events(seq, time, received, severity, severity_source, facility,
		host, app, proc, msgid, grp, stream, source, id, message, fields)`, `ON CONFLICT(id) DO NOTHING`)
	ws.summary = multi(5, `INSERT INTO summary(grp, stream, severity, n, last)`,
		`ON CONFLICT DO UPDATE SET n = n + excluded.n, last = max(last, excluded.last)`)
	ws.minutes = multi(4, `INSERT INTO minutes(minute, grp, severity, n)`, `ON CONFLICT DO UPDATE SET n = n + excluded.n`)
	ws.stored = prep(`SELECT e.seq FROM json_each(?) AS j CROSS JOIN events AS e ON e.seq = j.value`)
	ws.index = prep(`INSERT INTO messages(rowid, message)
		SELECT e.seq, e.message FROM json_each(?) AS j CROSS JOIN events AS e ON e.seq = j.value`)
	if err != nil {
		ws.close()
		return nil, err
	}
	return ws, nil
}

func (ws *writeStmts) close() {
	ws.events.close()
	ws.summary.close()
	ws.minutes.close()
	for _, st := range []*sql.Stmt{ws.stored, ws.index} {
		if st != nil {
			st.Close()
		}
	}
}

// pendingRow is an event of a batch on its way into a day.
type pendingRow struct {
	index  int   // in the batch
	time   int64 // ns
	base   int64 // rowid with sequence number 0
	seq    int64 // rowid, once chosen
	fields any   // JSON text, or nil
}

// dayWriter inserts a batch's events of one day in transaction tx.
type dayWriter struct {
	s     *Store
	d     *day
	tx    *sql.Tx
	batch []event.Event
	rows  []pendingRow
	// stored lists the positions in rows of the events inserted (not
	// skipped as duplicates), in order.
	stored []int
	args   []any
	buf    []byte
}

// bind appends the columns of rows[j] to w.args, with a new rowid.
func (w *dayWriter) bind(j int) {
	r := &w.rows[j]
	e := &w.batch[r.index]
	r.seq = r.base | int64(w.s.seq.Add(1)&seqMask)
	var id any
	if e.ID != "" {
		id = e.ID
	}
	recv := int64(0)
	if !e.Received.IsZero() {
		recv = e.Received.UnixNano()
	}
	w.args = append(w.args, r.seq, r.time, recv, int64(e.Severity), int64(e.SeveritySource), int64(e.Facility),
		e.Host, e.App, e.Proc, e.MsgID, e.Group, e.Stream, e.Source, id, e.Message, r.fields)
}

// insertEvents inserts w.rows and sets w.stored.
func (w *dayWriter) insertEvents(ctx context.Context) error {
	w.stored = make([]int, 0, len(w.rows))
	for start := 0; start < len(w.rows); {
		st, n := w.d.ws.events.chunk(len(w.rows) - start)
		w.args = w.args[:0]
		for j := start; j < start+n; j++ {
			w.bind(j)
		}
		res, err := w.tx.StmtContext(ctx, st).ExecContext(ctx, w.args...)
		switch {
		case isRowidTaken(err):
			for j := start; j < start+n; j++ {
				if err := w.insertOne(ctx, j); err != nil {
					return err
				}
			}
		case err != nil:
			return err
		default:
			affected, err := res.RowsAffected()
			if err != nil {
				return err
			}
			switch affected {
			case int64(n):
				for j := start; j < start+n; j++ {
					w.stored = append(w.stored, j)
				}
			case 0: // all stored before: a replay
			default:
				if err := w.findStored(ctx, start, n); err != nil {
					return err
				}
			}
		}
		start += n
	}
	return nil
}

// isRowidTaken reports whether err is the failure of an INSERT that chose
// a rowid already stored: two events of the same 1024 ns tick whose
// sequence numbers (the low 26 bits) met, which is rare but possible
// after a restart.
func isRowidTaken(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqliteCPK
}

// insertOne inserts rows[j] alone, taking new rowids while the chosen one
// is taken.
func (w *dayWriter) insertOne(ctx context.Context, j int) error {
	st, _ := w.d.ws.events.chunk(1)
	stmt := w.tx.StmtContext(ctx, st)
	for try := 0; ; try++ {
		w.args = w.args[:0]
		w.bind(j)
		res, err := stmt.ExecContext(ctx, w.args...)
		if isRowidTaken(err) && try < maxRetries {
			continue
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			w.stored = append(w.stored, j)
		}
		return nil // else a duplicate ID: stored before
	}
}

// findStored adds to w.stored those of rows[start:start+n] that the last
// INSERT stored (the others had IDs stored before).
func (w *dayWriter) findStored(ctx context.Context, start, n int) error {
	rows, err := w.tx.StmtContext(ctx, w.d.ws.stored).QueryContext(ctx, w.seqsJSON(start, start+n, nil))
	if err != nil {
		return err
	}
	defer rows.Close()
	got := make(map[int64]bool, n)
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			return err
		}
		got[seq] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for j := start; j < start+n; j++ {
		if got[w.rows[j].seq] {
			w.stored = append(w.stored, j)
		}
	}
	return nil
}

// seqsJSON returns the rowids of rows[from:to], or of the rows at
// positions only when only is not nil, as a JSON array.
func (w *dayWriter) seqsJSON(from, to int, only []int) string {
	b := w.buf[:0]
	b = append(b, '[')
	add := func(j int) {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, w.rows[j].seq, 10)
	}
	if only != nil {
		for _, j := range only {
			add(j)
		}
	} else {
		for j := from; j < to; j++ {
			add(j)
		}
	}
	b = append(b, ']')
	w.buf = b
	return string(b)
}

// index adds the messages of the stored events to the full-text index, in
// one statement (see the top of this file).
func (w *dayWriter) index(ctx context.Context) error {
	if len(w.stored) == 0 {
		return nil
	}
	_, err := w.tx.StmtContext(ctx, w.d.ws.index).ExecContext(ctx, w.seqsJSON(0, 0, w.stored))
	return err
}

// count adds the stored events to the summary and minutes tables.
func (w *dayWriter) count(ctx context.Context) error {
	if len(w.stored) == 0 {
		return nil
	}
	summary := map[summaryKey][2]int64{}
	minutes := map[minuteKey]int64{}
	for _, j := range w.stored {
		r := &w.rows[j]
		e := &w.batch[r.index]
		k := summaryKey{e.Group, e.Stream, e.Severity}
		v := summary[k]
		v[0]++
		v[1] = max(v[1], r.time)
		summary[k] = v
		minutes[minuteKey{r.time / 60e9, e.Group, e.Severity}]++
	}
	type sumRow struct {
		k summaryKey
		v [2]int64
	}
	srows := make([]sumRow, 0, len(summary))
	for k, v := range summary {
		srows = append(srows, sumRow{k, v})
	}
	err := w.d.ws.summary.exec(ctx, w.tx, len(srows), func(args []any, i int) []any {
		r := &srows[i]
		return append(args, r.k.grp, r.k.stream, int64(r.k.sev), r.v[0], r.v[1])
	})
	if err != nil {
		return err
	}
	type minRow struct {
		k minuteKey
		n int64
	}
	mrows := make([]minRow, 0, len(minutes))
	for k, n := range minutes {
		mrows = append(mrows, minRow{k, n})
	}
	return w.d.ws.minutes.exec(ctx, w.tx, len(mrows), func(args []any, i int) []any {
		r := &mrows[i]
		return append(args, r.k.minute, r.k.grp, int64(r.k.sev), r.n)
	})
}
