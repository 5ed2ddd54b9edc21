package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/store/query"
)

// sameTick returns n events of one 1024 ns tick, with IDs prefix-i and the
// word prefix in their messages.
func sameTick(prefix string, n int) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = event.Event{Time: day0.Add(time.Hour), Severity: event.Info, Group: "g", Stream: "s",
			Message: fmt.Sprintf("%s number %d", prefix, i), ID: fmt.Sprintf("%s-%d", prefix, i)}
	}
	return evs
}

// countMatches returns how many stored events Search finds for q.
func countMatches(t *testing.T, s *Store, q string) int {
	t.Helper()
	return len(searchAll(t, s, Request{Query: query.MustParse(q), Limit: MaxLimit}))
}

// Rowids are the time plus a sequence number that restarts at a random
// value: after a restart, an event may be given the rowid of an event
// stored before in the same tick. The multi-row INSERT holding it fails as
// a whole and its rows are inserted one by one with new sequence numbers:
// every event is stored, indexed and counted once, and live tail gets the
// positions the events were stored under.
func TestTakenRowidsAreRetried(t *testing.T) {
	s := openStore(t, t.TempDir(), nil)
	defer s.Close()
	ctx := context.Background()
	s.seq.Store(1000)
	if err := s.Write(ctx, sameTick("first", 100)); err != nil {
		t.Fatal(err)
	}
	tl := s.Tail(nil, 0)
	defer tl.Close()
	s.seq.Store(1000) // the next 100 events are given the same rowids
	if err := s.Write(ctx, sameTick("second", 150)); err != nil {
		t.Fatal(err)
	}
	if n := countMatches(t, s, "first"); n != 100 {
		t.Errorf("search for first finds %d events, want 100", n)
	}
	if n := countMatches(t, s, "second"); n != 150 {
		t.Errorf("search for second finds %d events, want 150", n)
	}
	if n := countMatches(t, s, "number"); n != 250 {
		t.Errorf("search for number finds %d events, want 250", n)
	}
	gs, err := s.Groups(ctx)
	if err != nil || len(gs) != 1 || gs[0].Counts.Total() != 250 {
		t.Errorf("Groups = %+v, %v; want g with 250 events", gs, err)
	}
	// Live tail's positions are those Search pages by.
	tailed, _ := waitTail(t, tl, 150)
	if len(tailed) != 150 {
		t.Fatalf("tail got %d events, want 150", len(tailed))
	}
	var cursors []string
	if _, _, err := s.Search(ctx, Request{Query: query.MustParse("second"), Limit: MaxLimit, cursors: &cursors}); err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, c := range cursors {
		stored[c] = true
	}
	for _, te := range tailed {
		if !stored[te.Cursor] {
			t.Fatalf("tail gave %s at %s, which Search does not know", te.Event.ID, te.Cursor)
		}
	}
}

// A batch mixing events stored before (a replay) with new ones stores,
// indexes and counts only the new ones, whatever their place in the
// multi-row INSERTs.
func TestPartlyReplayedBatch(t *testing.T) {
	s := openStore(t, t.TempDir(), nil)
	defer s.Close()
	ctx := context.Background()
	evs := corpus(t, 300)
	var old []event.Event
	for i := range evs {
		if i%3 == 0 {
			old = append(old, evs[i])
		}
	}
	if err := s.Write(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, evs); err != nil {
		t.Fatal(err)
	}
	var wantN int
	for i, e := range evs {
		wantN++
		if i%3 == 0 && e.ID == "" {
			wantN++ // without an ID, written twice
		}
	}
	got := searchAll(t, s, Request{Limit: MaxLimit})
	if len(got) != wantN {
		t.Fatalf("the store holds %d events, want %d", len(got), wantN)
	}
	seen := map[string]int{}
	for _, e := range got {
		if e.ID != "" {
			seen[e.ID]++
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s stored %d times", id, n)
		}
	}
	// The full-text index holds each stored event once.
	for _, m := range []string{"timeout", "refused"} {
		pq := query.MustParse(m)
		var wantM int
		for i := range evs {
			if pq.Match(&evs[i]) {
				wantM++
				if i%3 == 0 && evs[i].ID == "" {
					wantM++
				}
			}
		}
		if n := countMatches(t, s, m); n != wantM || wantM == 0 {
			t.Errorf("search for %s finds %d events, want %d", m, n, wantM)
		}
	}
	gs, err := s.Groups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, g := range gs {
		total += g.Counts.Total()
	}
	if total != int64(wantN) {
		t.Errorf("groups count %d events, the store holds %d", total, wantN)
	}
}

// oldSchema is the layout of a day before the full-text index was filled
// by Write: a trigger filled it.
const oldSchema = `
CREATE TABLE events(
	seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, received INTEGER NOT NULL,
	severity INTEGER NOT NULL, severity_source INTEGER NOT NULL, facility INTEGER NOT NULL,
	host TEXT NOT NULL, app TEXT NOT NULL, proc TEXT NOT NULL, msgid TEXT NOT NULL,
	grp TEXT NOT NULL, stream TEXT NOT NULL, source TEXT NOT NULL, id TEXT UNIQUE,
	message TEXT NOT NULL, fields TEXT
);
CREATE INDEX events_grp ON events(grp);
CREATE INDEX events_severity ON events(severity);
CREATE INDEX events_app ON events(app);
CREATE VIRTUAL TABLE messages USING fts5(message, content='', tokenize="unicode61 remove_diacritics 0");
CREATE TRIGGER events_fts AFTER INSERT ON events BEGIN
	INSERT INTO messages(rowid, message) VALUES (new.seq, new.message);
END;
CREATE TABLE summary(
	grp TEXT NOT NULL, stream TEXT NOT NULL, severity INTEGER NOT NULL,
	n INTEGER NOT NULL, last INTEGER NOT NULL,
	PRIMARY KEY(grp, stream, severity)
) WITHOUT ROWID;
CREATE TABLE minutes(
	minute INTEGER NOT NULL, grp TEXT NOT NULL, severity INTEGER NOT NULL, n INTEGER NOT NULL,
	PRIMARY KEY(minute, grp, severity)
) WITHOUT ROWID;
INSERT INTO events VALUES(1 << 40, TIME, 0, 6, 0, 0, '', '', '', '', 'g', 's', '', 'old-1', 'old timeout', NULL);
INSERT INTO summary VALUES('g', 's', 6, 1, TIME);
`

// A day written by an earlier version (its index filled by a trigger)
// takes new events, each indexed once, and keeps its own.
func TestDayOfTheEarlierLayout(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, day0.Format(dayLayout)+".db")+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	// The old event is 16 ms into the day, as its rowid says.
	old := strings.ReplaceAll(oldSchema, "TIME", fmt.Sprint(day0.UnixNano()+(1<<40>>seqBits)<<tickShift))
	if _, err := db.Exec(old); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s := openStore(t, dir, nil)
	defer s.Close()
	evs := sameTick("new timeout", 100)
	if err := s.Write(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	if n := countMatches(t, s, "timeout"); n != 101 {
		t.Errorf("search for timeout finds %d events, want 101 (1 old, 100 new)", n)
	}
	if n := countMatches(t, s, "old"); n != 1 {
		t.Errorf("search for old finds %d events, want 1", n)
	}
	// The trigger is gone: with it every new event would be indexed twice,
	// by it and by Write (searches do not show that, but writes pay for it).
	d, err := s.acquire(day0.Format(dayLayout), false)
	if err != nil || d == nil {
		t.Fatalf("acquire = %v, %v", d, err)
	}
	defer s.release(d)
	var triggers int
	if err := d.r.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'trigger'`).Scan(&triggers); err != nil || triggers != 0 {
		t.Errorf("the day has %d triggers (%v), want none", triggers, err)
	}
}
