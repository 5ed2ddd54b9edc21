package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

const dayLayout = "2006-01-02"

// schema is the layout of one day's database. seq is the rowid: the time
// in the day in units of 1024 ns, shifted left 26 bits, plus a sequence
// number, so that rowid order is time order and "newest first" is a
// backward walk of the primary key (and of the full-text index, whose
// doclists are in rowid order). An index on (grp) is therefore an index on
// (grp, time), and so on; no separate time index is needed.
//
// The full-text index is filled by Write (insert.go), not by a trigger;
// files made by earlier versions lose their trigger (events_fts) when
// opened. columnsize=0: FTS5 keeps no per-row token counts (used only for
// ranking, which the store does not do), one B-tree insert per event
// less. automerge 16: FTS5 merges the segments of a level of the index
// (each transaction adds one) when there are 16 of them, not 4, so each
// posting is rewritten fewer times as the day grows: on a day of 2M events
// writing costs a quarter less; a term is then looked up in a few more
// segments, which costs searches little (see store_timing_test.go).
const schema = `
CREATE TABLE IF NOT EXISTS events(
	seq INTEGER PRIMARY KEY,
	time INTEGER NOT NULL,
	received INTEGER NOT NULL,
	severity INTEGER NOT NULL,
	severity_source INTEGER NOT NULL,
	facility INTEGER NOT NULL,
	host TEXT NOT NULL,
	app TEXT NOT NULL,
	proc TEXT NOT NULL,
	msgid TEXT NOT NULL,
	grp TEXT NOT NULL,
	stream TEXT NOT NULL,
	source TEXT NOT NULL,
	id TEXT UNIQUE,
	message TEXT NOT NULL,
	fields TEXT
);
CREATE INDEX IF NOT EXISTS events_grp ON events(grp);
CREATE INDEX IF NOT EXISTS events_severity ON events(severity);
CREATE INDEX IF NOT EXISTS events_app ON events(app);
CREATE VIRTUAL TABLE IF NOT EXISTS messages USING fts5(message, content='', columnsize=0, tokenize="unicode61 remove_diacritics 0");
INSERT INTO messages(messages, rank) VALUES('automerge', 16);
DROP TRIGGER IF EXISTS events_fts;
CREATE TABLE IF NOT EXISTS summary(
	grp TEXT NOT NULL, stream TEXT NOT NULL, severity INTEGER NOT NULL,
	n INTEGER NOT NULL, last INTEGER NOT NULL,
	PRIMARY KEY(grp, stream, severity)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS minutes(
	minute INTEGER NOT NULL, grp TEXT NOT NULL, severity INTEGER NOT NULL, n INTEGER NOT NULL,
	PRIMARY KEY(minute, grp, severity)
) WITHOUT ROWID;
`

// Store keeps events in one SQLite database per UTC day and answers
// searches over them. It implements sink.Sink. All methods are safe for
// concurrent use; searches run on their own connections while a Write is
// under way.
type Store struct {
	cfg  Config
	seq  atomic.Uint32 // low bits of new rowids
	tail broker        // live tail

	mu     sync.Mutex
	days   map[string]*day // by name (2006-01-02)
	closed bool

	stop chan struct{}
	done chan struct{}
}

// day is one day's database; refs counts the users holding it, so that
// retention removes its files only when the last one lets go.
type day struct {
	name  string
	start time.Time
	path  string

	refs   int
	doomed bool

	openOnce sync.Once
	openErr  error
	w        *sql.DB     // one connection: writes
	r        *sql.DB     // a pool: reads
	ws       *writeStmts // prepared on w
}

// Open opens (creating when needed) the store in cfg.Dir, applies retention
// once and starts applying it every RetentionInterval until Close.
func Open(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cannot open store: %w", err)
	}
	cfg = cfg.withDefaults()
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot open store: %w", err)
	}
	s := &Store{cfg: cfg, days: map[string]*day{}, stop: make(chan struct{}), done: make(chan struct{})}
	s.seq.Store(uint32(cfg.Now().UnixNano()))
	names, err := s.listFiles()
	if err != nil {
		return nil, fmt.Errorf("cannot open store: %w", err)
	}
	for _, n := range names {
		s.days[n] = s.newDay(n)
	}
	if err := s.ApplyRetention(); err != nil {
		cfg.Logger.Warn("store retention failed", "err", err)
	}
	go s.retentionLoop()
	return s, nil
}

func (s *Store) newDay(name string) *day {
	start, _ := time.Parse(dayLayout, name)
	return &day{name: name, start: start, path: filepath.Join(s.cfg.Dir, name+".db")}
}

// listFiles returns the names of the day databases in the directory.
func (s *Store) listFiles() ([]string, error) {
	ents, err := os.ReadDir(s.cfg.Dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		n, ok := strings.CutSuffix(e.Name(), ".db")
		if !ok || e.IsDir() {
			continue
		}
		if _, err := time.Parse(dayLayout, n); err == nil && len(n) == len(dayLayout) {
			names = append(names, n)
		}
	}
	return names, nil
}

func (s *Store) retentionLoop() {
	defer close(s.done)
	t := time.NewTicker(s.cfg.RetentionInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if err := s.ApplyRetention(); err != nil {
				s.cfg.Logger.Warn("store retention failed", "err", err)
			}
		}
	}
}

// errClosed is returned by operations on a closed store.
var errClosed = errors.New("the store is closed")

// acquire returns the day named name, opened, and holds it until release.
// With create, a missing day is created; without, a missing day is nil.
func (s *Store) acquire(name string, create bool) (*day, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errClosed
	}
	d := s.days[name]
	if d == nil {
		if !create {
			s.mu.Unlock()
			return nil, nil
		}
		d = s.newDay(name)
		s.days[name] = d
	}
	d.refs++
	s.mu.Unlock()
	d.openOnce.Do(func() { d.openErr = d.open(s.cfg.ReadConns) })
	if d.openErr != nil {
		s.release(d)
		return nil, fmt.Errorf("cannot open %s: %w", d.path, d.openErr)
	}
	return d, nil
}

func (s *Store) release(d *day) {
	s.mu.Lock()
	d.refs--
	last := d.refs == 0 && d.doomed
	s.mu.Unlock()
	if last {
		d.remove(s)
	}
}

// dayNames returns the known days, newest first.
func (s *Store) dayNames() []string {
	s.mu.Lock()
	names := make([]string, 0, len(s.days))
	for n := range s.days {
		names = append(names, n)
	}
	s.mu.Unlock()
	slices.Sort(names)
	slices.Reverse(names)
	return names
}

func (d *day) open(readConns int) error {
	const common = "&_pragma=busy_timeout(10000)&_pragma=temp_store(memory)"
	w, err := sql.Open("sqlite", "file:"+d.path+"?_pragma=synchronous(NORMAL)&_pragma=cache_size(-32000)&_txlock=immediate"+common)
	if err != nil {
		return err
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	// 8 KiB pages: a transaction writes fewer, larger WAL frames (a few per
	// cent faster to write, no slower to search). The page size of a
	// database is fixed once it is in WAL mode, so it is set first, here,
	// and not in the DSN (the driver sorts _pragma values by name); it is
	// ignored for a file that exists already.
	if _, err := w.Exec("PRAGMA page_size = 8192; PRAGMA journal_mode = WAL;" + schema); err != nil {
		w.Close()
		return err
	}
	d.ws, err = prepareWrites(w)
	if err != nil {
		w.Close()
		return err
	}
	r, err := sql.Open("sqlite", "file:"+d.path+"?_pragma=query_only(1)&_pragma=cache_size(-16000)&_pragma=mmap_size(268435456)"+common)
	if err != nil {
		w.Close()
		return err
	}
	r.SetMaxOpenConns(readConns)
	r.SetMaxIdleConns(2)
	r.SetConnMaxIdleTime(time.Minute)
	d.w, d.r = w, r
	return nil
}

func (d *day) close() {
	if d.ws != nil {
		d.ws.close()
	}
	if d.r != nil {
		d.r.Close()
	}
	if d.w != nil {
		d.w.Close()
	}
}

// remove closes the day's databases and deletes its files.
func (d *day) remove(s *Store) {
	d.close()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(d.path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.cfg.Logger.Warn("store retention cannot remove a file", "path", d.path+suffix, "err", err)
		}
	}
}

// doom removes day name from the store; its files go when its last user
// releases it.
func (s *Store) doom(name string) {
	s.mu.Lock()
	d := s.days[name]
	if d == nil {
		s.mu.Unlock()
		return
	}
	delete(s.days, name)
	d.doomed = true
	now := d.refs == 0
	s.mu.Unlock()
	if now {
		d.remove(s)
	}
}

// ApplyRetention deletes the days older than Retention, then the oldest
// days until the store takes at most MaxBytes (keeping the newest day). Open
// and a background loop call it; callers may too.
func (s *Store) ApplyRetention() error {
	cutoff := s.cfg.Now().Add(-s.cfg.Retention)
	names := s.dayNames() // newest first
	kept := names[:0:0]
	for _, n := range names {
		d := s.newDay(n)
		if !d.start.Add(24 * time.Hour).After(cutoff) {
			s.doom(n)
			continue
		}
		kept = append(kept, n)
	}
	if s.cfg.MaxBytes <= 0 || len(kept) <= 1 {
		return nil
	}
	sizes := make([]int64, len(kept))
	var total int64
	for i, n := range kept {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if fi, err := os.Stat(filepath.Join(s.cfg.Dir, n+".db"+suffix)); err == nil {
				sizes[i] += fi.Size()
			}
		}
		total += sizes[i]
	}
	for i := len(kept) - 1; i > 0 && total > s.cfg.MaxBytes; i-- {
		s.doom(kept[i])
		total -= sizes[i]
	}
	if total > s.cfg.MaxBytes {
		return fmt.Errorf("cannot keep the store under %d bytes: the newest day alone takes %d; raise max_bytes", s.cfg.MaxBytes, total)
	}
	return nil
}

// Close stops retention and closes every database. Operations after Close
// return an error.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	days := s.days
	s.days = map[string]*day{}
	s.mu.Unlock()
	close(s.stop)
	<-s.done
	for _, d := range days {
		d.close()
	}
	return nil
}

// Connect implements sink.Sink; the store is ready once Open returned.
func (s *Store) Connect(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("cannot connect to the store: %w", errClosed)
	}
	return nil
}
