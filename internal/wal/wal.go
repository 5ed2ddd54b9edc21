package wal

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"
)

// Default sizes used when Options leaves them zero.
const (
	DefaultSegmentBytes = 64 << 20
	DefaultMaxBytes     = 1 << 30
)

// minSegmentBytes is the smallest SegmentBytes accepted.
const minSegmentBytes = 256

// ErrFull is wrapped by the error Append returns when the batch would take
// the log over Options.MaxBytes. Nothing of the batch was written; the
// caller should refuse its input and retry after subscribers catch up.
var ErrFull = errors.New("write-ahead log full")

// ErrClosed is wrapped by the errors of operations on a closed Log or Cursor.
var ErrClosed = errors.New("write-ahead log closed")

// FullError is the error (wrapping ErrFull) returned by Append when a batch
// does not fit under MaxBytes.
type FullError struct {
	Bytes    int64 // bytes of the live segments, including batches being committed
	MaxBytes int64 // the configured cap
	Batch    int64 // encoded size of the refused batch
}

// Error implements error.
func (e *FullError) Error() string {
	return fmt.Sprintf("cannot append %d bytes: %v (%d of %d bytes used)", e.Batch, ErrFull, e.Bytes, e.MaxBytes)
}

// Is makes errors.Is(err, ErrFull) true.
func (e *FullError) Is(target error) bool { return target == ErrFull }

// Options configures a Log.
type Options struct {
	// Dir holds the segment files and cursors; it is created if missing.
	Dir string
	// SegmentBytes is the preallocated size of a segment file (default
	// 64 MiB). A record larger than a segment gets a segment of its own.
	SegmentBytes int64
	// MaxBytes caps the bytes of all live segments (headers and records,
	// not the unused preallocated tail of the segment being written);
	// 0 means 1 GiB. It may be exceeded by the 32-byte header of a new
	// segment.
	MaxBytes int64
	// NoSync skips fdatasync and directory syncs. For tests only: with it,
	// a crash of the machine loses acknowledged records.
	NoSync bool
	// CursorSync is how often a cursor's acknowledged position is written
	// to disk while acks keep coming (0: every second; negative: on every
	// Ack). A crash of the process or the machine loses at most that much
	// progress, whose events are delivered again; Cursor.Close and
	// Log.Close write the last position.
	CursorSync time.Duration
	// Logger receives recovery reports and retention events; nil discards.
	Logger *slog.Logger
}

// Stats is a snapshot of the state of a Log.
type Stats struct {
	Bytes    int64  // bytes of live segments (headers and committed records)
	MaxBytes int64  // the configured cap
	Segments int    // number of live segment files
	FirstSeq uint64 // oldest retained sequence number (LastSeq+1 when empty)
	LastSeq  uint64 // last committed sequence number (0 before the first append)
	Pending  int64  // bytes queued or being committed
	Commits  uint64 // write + fdatasync rounds since Open (group commit: Appends per commit > 1)
	Cursors  []CursorStats
}

// CursorStats describes one cursor, open or only persisted.
type CursorStats struct {
	Name  string
	Acked uint64 // every record <= Acked is done
	Lag   uint64 // committed records not yet acknowledged
	Open  bool
}

// Log is a segmented write-ahead log. All methods are safe for concurrent
// use.
type Log struct {
	opts      Options
	logger    *slog.Logger
	cursorDir string
	lockFile  *os.File
	bufs      sync.Pool // of *[]byte, encoded append batches

	kick          chan struct{} // wakes the committer; buffered(1)
	committerDone chan struct{}
	closedCh      chan struct{} // closed when Close starts

	// Owned by Open and then by the committer goroutine.
	noFallocate bool

	mu           sync.Mutex
	segs         []*segment // oldest first; the last one is being written
	nextSeq      uint64     // sequence number of the next record queued
	committed    uint64     // last durable sequence number
	bytes        int64      // sum of segs[i].size
	pendingBytes int64      // queued or being committed
	commits      uint64     // flushes since Open
	pending      []*appendReq
	notify       chan struct{} // closed and replaced on every commit
	cursors      map[string]*cursorState
	closed       bool
	failed       error // sticky write/fsync failure
}

// Open opens (creating if needed) the log in opts.Dir and recovers it: every
// segment is verified, a torn tail is truncated at its first bad record and
// everything before it is kept. Only one Log may have a directory open.
func Open(opts Options) (*Log, error) {
	if opts.Dir == "" {
		return nil, errors.New("cannot open wal: Options.Dir is empty")
	}
	if opts.SegmentBytes == 0 {
		opts.SegmentBytes = DefaultSegmentBytes
	}
	if opts.SegmentBytes < minSegmentBytes {
		return nil, fmt.Errorf("cannot open wal %s: SegmentBytes %d is below the minimum of %d", opts.Dir, opts.SegmentBytes, minSegmentBytes)
	}
	if opts.MaxBytes == 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.MaxBytes < 0 {
		return nil, fmt.Errorf("cannot open wal %s: MaxBytes %d is negative", opts.Dir, opts.MaxBytes)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	l := &Log{
		opts:          opts,
		logger:        logger,
		cursorDir:     filepath.Join(opts.Dir, "cursors"),
		kick:          make(chan struct{}, 1),
		committerDone: make(chan struct{}),
		closedCh:      make(chan struct{}),
		notify:        make(chan struct{}),
		cursors:       make(map[string]*cursorState),
	}
	if err := os.MkdirAll(l.cursorDir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot open wal: %w", err)
	}
	if !opts.NoSync {
		// Dir may have just been created: make its entry durable.
		if err := syncDir(filepath.Dir(filepath.Clean(opts.Dir))); err != nil {
			return nil, fmt.Errorf("cannot open wal: %w", err)
		}
		if err := syncDir(opts.Dir); err != nil {
			return nil, fmt.Errorf("cannot open wal: %w", err)
		}
	}
	lockPath := filepath.Join(opts.Dir, "LOCK")
	lf, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot open wal: %w", err)
	}
	if err := lockFile(lf); err != nil {
		lf.Close()
		return nil, fmt.Errorf("cannot open wal: cannot lock %s (is another process using the directory?): %w", lockPath, err)
	}
	l.lockFile = lf
	if err := l.recover(); err != nil {
		for _, s := range l.segs {
			s.f.Close()
		}
		lf.Close()
		return nil, err
	}
	l.removeSegments(l.retentionLocked()) // no other goroutine yet
	go l.commitLoop(l.segs[len(l.segs)-1])
	return l, nil
}

// recover loads the segments and cursors found in the directory.
func (l *Log) recover() error {
	dir := l.opts.Dir
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("cannot open wal: %w", err)
	}
	var firsts []uint64
	for _, e := range entries {
		if first, ok := parseSegmentName(e.Name()); ok && e.Type().IsRegular() {
			firsts = append(firsts, first)
		}
	}
	slices.Sort(firsts)
	var highestName uint64
	if len(firsts) > 0 {
		highestName = firsts[len(firsts)-1]
	}
	dirty := false // a file was removed or renamed: sync the directory
	var bads []string
	for i, first := range firsts {
		path := filepath.Join(dir, segmentName(first))
		maxSeq := ^uint64(0)
		if i+1 < len(firsts) {
			maxSeq = firsts[i+1] - 1
		}
		s, bad, err := l.openSegment(path, first, maxSeq, i == len(firsts)-1)
		if err != nil {
			return err
		}
		if s == nil {
			dirty = true
			continue
		}
		l.segs = append(l.segs, s)
		bads = append(bads, bad)
	}

	// Report corruption in older segments and gaps between segments.
	for i, s := range l.segs {
		if i == len(l.segs)-1 {
			break
		}
		if bads[i] != "" {
			l.logger.Error("wal: corrupt record in a sealed segment; the records after it are lost",
				"file", s.path, "offset", s.size, "seq", s.last+1, "reason", bads[i])
		}
		if next := l.segs[i+1]; s.last+1 != next.first {
			l.logger.Error("wal: records missing between segments", "file", s.path,
				"next_file", next.path, "first_missing", s.last+1, "last_missing", next.first-1)
		}
	}

	if err := l.loadCursors(); err != nil {
		return err
	}

	if len(l.segs) == 0 {
		first := max(highestName, 1)
		for _, c := range l.cursors {
			first = max(first, c.acked+1)
		}
		s, err := l.createSegment(first)
		if err != nil {
			return fmt.Errorf("cannot open wal: %w", err)
		}
		l.segs = append(l.segs, s)
	} else {
		// Cut the newest segment at the end of its valid records and
		// preallocate it again, so no stale byte can follow new records.
		s := l.segs[len(l.segs)-1]
		if bad := bads[len(bads)-1]; bad != "" {
			l.logger.Warn("wal: truncating torn tail", "file", s.path, "offset", s.size,
				"seq", s.last+1, "reason", bad)
		}
		if err := s.f.Truncate(s.size); err != nil {
			return fmt.Errorf("cannot truncate %s at offset %d: %w", s.path, s.size, err)
		}
		if err := l.preallocate(s.f, s.size, l.opts.SegmentBytes); err != nil {
			return fmt.Errorf("cannot open wal: %w", err)
		}
		if !l.opts.NoSync {
			if err := s.f.Sync(); err != nil {
				return fmt.Errorf("cannot sync %s: %w", s.path, err)
			}
		}
	}
	if dirty {
		if err := l.syncDir(); err != nil {
			return fmt.Errorf("cannot open wal: %w", err)
		}
	}

	for _, s := range l.segs {
		l.bytes += s.size
	}
	last := l.segs[len(l.segs)-1]
	l.committed = last.last
	l.nextSeq = last.last + 1
	oldest := l.segs[0].first
	for _, c := range l.cursors {
		switch {
		case c.acked+1 < oldest:
			c.acked = oldest - 1 // acknowledged records were deleted
		case c.acked > l.committed:
			l.logger.Warn("wal: cursor is ahead of the log; records it acknowledged are gone",
				"cursor", c.name, "acked", c.acked, "last_seq", l.committed)
			c.acked = l.committed
		}
		c.durable = c.acked
	}
	return nil
}

// openSegment opens and scans one segment file. It returns a nil segment
// when the file was removed or set aside because its header is invalid.
func (l *Log) openSegment(path string, first, maxSeq uint64, newest bool) (*segment, string, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, "", fmt.Errorf("cannot open segment: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, "", fmt.Errorf("cannot open segment: %w", err)
	}
	h := make([]byte, headerSize)
	n, err := f.ReadAt(h, 0)
	if err != nil && n < headerSize && int64(n) < st.Size() {
		f.Close()
		return nil, "", fmt.Errorf("cannot read header of %s: %w", path, err)
	}
	status, why := checkHeader(h[:n], first)
	if status != headerOK {
		f.Close()
		if status == headerZero && newest {
			l.logger.Info("wal: removing segment that was being created", "file", path, "reason", why)
			if err := os.Remove(path); err != nil {
				return nil, "", fmt.Errorf("cannot remove %s: %w", path, err)
			}
			return nil, "", nil
		}
		l.logger.Error("wal: invalid segment header; setting the file aside", "file", path,
			"reason", why, "renamed_to", path+".corrupt")
		if err := os.Rename(path, path+".corrupt"); err != nil {
			return nil, "", fmt.Errorf("cannot set aside %s: %w", path, err)
		}
		return nil, "", nil
	}
	res, err := scanSegment(f, first, st.Size(), maxSeq)
	if err != nil {
		f.Close()
		return nil, "", err
	}
	return &segment{first: first, path: path, f: f, last: res.last, size: res.end, index: res.index}, res.bad, nil
}

// oldestLocked returns the oldest retained sequence number.
func (l *Log) oldestLocked() uint64 { return l.segs[0].first }

// retentionLocked unlinks from l.segs every segment that all cursors have
// acknowledged, never the newest, and returns them for removeSegments.
// Caller holds l.mu (or is Open).
func (l *Log) retentionLocked() []*segment {
	if len(l.cursors) == 0 {
		return nil
	}
	minAcked := ^uint64(0)
	for _, c := range l.cursors {
		minAcked = min(minAcked, c.durable)
	}
	var victims []*segment
	for len(l.segs) > 1 && l.segs[0].last <= minAcked {
		s := l.segs[0]
		s.deleted = true
		l.bytes -= s.size
		victims = append(victims, s)
		l.segs[0] = nil
		l.segs = l.segs[1:]
	}
	return victims
}

// removeSegments closes and deletes segments unlinked by retentionLocked.
// Readers never touch them: every cursor has acknowledged past them.
func (l *Log) removeSegments(segs []*segment) {
	for _, s := range segs {
		s.f.Close()
		if err := os.Remove(s.path); err != nil {
			l.logger.Warn("wal: cannot remove segment", "file", s.path, "err", err)
			continue
		}
		l.logger.Debug("wal: removed segment", "file", s.path, "first_seq", s.first, "last_seq", s.last)
	}
}

// Stats returns a snapshot of the log's size, sequence numbers and cursors.
func (l *Log) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := Stats{
		Bytes:    l.bytes,
		MaxBytes: l.opts.MaxBytes,
		Segments: len(l.segs),
		LastSeq:  l.committed,
		Pending:  l.pendingBytes,
		Commits:  l.commits,
		Cursors:  make([]CursorStats, 0, len(l.cursors)),
	}
	if len(l.segs) > 0 {
		st.FirstSeq = l.oldestLocked()
	}
	for _, c := range l.cursors {
		st.Cursors = append(st.Cursors, CursorStats{Name: c.name, Acked: c.acked, Lag: l.committed - min(c.acked, l.committed), Open: c.open})
	}
	sort.Slice(st.Cursors, func(i, j int) bool { return st.Cursors[i].Name < st.Cursors[j].Name })
	return st
}

// Close waits for queued appends to be committed, stops the committer,
// wakes blocked readers (their Read returns ErrClosed) and closes the files.
// Closing a closed Log does nothing.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	close(l.closedCh)
	l.mu.Unlock()

	select {
	case l.kick <- struct{}{}:
	default:
	}
	<-l.committerDone

	l.mu.Lock()
	segs := l.segs
	failed := l.failed
	var dirty []*cursorState
	for _, c := range l.cursors {
		if c.acked > c.durable {
			dirty = append(dirty, c)
		}
	}
	l.mu.Unlock()
	var errs []error
	for _, c := range dirty {
		// Positions acknowledged since their last write (cursors left
		// open): write them, or their events are delivered again.
		if err := l.writeCursor(filepath.Join(l.cursorDir, c.name), c.acked); err != nil {
			errs = append(errs, fmt.Errorf("cannot close wal: %w", err))
		}
	}
	for _, s := range segs {
		if err := s.f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
			errs = append(errs, fmt.Errorf("cannot close %s: %w", s.path, err))
		}
	}
	if !l.opts.NoSync {
		// Make the latest cursor renames durable.
		if err := syncDir(l.cursorDir); err != nil {
			errs = append(errs, fmt.Errorf("cannot close wal: %w", err))
		}
	}
	if failed != nil {
		errs = append(errs, fmt.Errorf("cannot close wal cleanly: %w", failed))
	}
	if err := l.lockFile.Close(); err != nil {
		errs = append(errs, fmt.Errorf("cannot close wal: %w", err))
	}
	return errors.Join(errs...)
}
