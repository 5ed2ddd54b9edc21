package wal

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

const (
	cursorMagic    = "SLCR"
	cursorVersion  = 1
	cursorFileSize = 20
	cursorTmpSufix = "~" // not a valid name character
	maxCursorName  = 200
	// minReadBytes and maxReadBytes bound the size of one pread.
	minReadBytes = 64 << 10
	maxReadBytes = 8 << 20
)

// Record is one record read from the log.
type Record struct {
	Seq  uint64
	Data []byte // valid until the next Read on the same cursor
}

// cursorState is what the Log knows of a cursor, open or not. Guarded by
// Log.mu.
type cursorState struct {
	name  string
	acked uint64
	open  bool
	// durable is the acknowledged position on disk, synced is when it was
	// written. Segments are deleted only behind durable positions.
	durable uint64
	synced  time.Time
}

// defaultCursorSync is how often an acknowledged position is written to
// disk while acks keep coming (Options.CursorSync): writing (and
// fdatasync'ing) it on every Ack made ten subscriptions' cursors compete
// with the log's own group commit. A crash loses at most this much of a
// cursor's progress — those events are delivered again (at-least-once) —
// and Close writes the last position.
const defaultCursorSync = time.Second

// Cursor is a subscriber's position in the log: a durable acknowledged
// position, persisted in Dir/cursors/<name>, and an in-memory read position.
// Its methods are safe for concurrent use, but records returned by Read are
// only valid until the next Read.
type Cursor struct {
	l    *Log
	st   *cursorState
	path string

	closeCh chan struct{} // closed by Close: wakes a blocked Read

	mu     sync.Mutex
	closed bool
	next   uint64 // sequence number of the next record to return
	// Cached position: record posSeq (<= next) starts at posOff in posSeg.
	posSeg *segment
	posOff int64
	posSeq uint64
	buf    []byte
}

// validName reports whether name is a valid cursor name.
func validName(name string) bool {
	if name == "" || len(name) > maxCursorName || name == "." || name == ".." {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '.', c == '-':
		default:
			return false
		}
	}
	return true
}

// OpenCursor opens the cursor name ([A-Za-z0-9_.-]+). A new cursor starts at
// the oldest retained record and is persisted at once, so that retention
// keeps its records from now on. A cursor can be open only once at a time.
func (l *Log) OpenCursor(name string) (*Cursor, error) {
	if !validName(name) {
		return nil, fmt.Errorf("cannot open cursor %q: invalid name (want 1 to %d of [A-Za-z0-9_.-], not . or ..)", name, maxCursorName)
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, fmt.Errorf("cannot open cursor %q: %w", name, ErrClosed)
	}
	st := l.cursors[name]
	if st != nil && st.open {
		l.mu.Unlock()
		return nil, fmt.Errorf("cannot open cursor %q: already open", name)
	}
	isNew := st == nil
	if isNew {
		st = &cursorState{name: name, acked: l.oldestLocked() - 1}
		st.durable = st.acked
		l.cursors[name] = st
	}
	st.open = true
	acked := st.acked
	l.mu.Unlock()

	c := &Cursor{l: l, st: st, path: filepath.Join(l.cursorDir, name), next: acked + 1, closeCh: make(chan struct{})}
	if isNew {
		if err := l.writeCursor(c.path, acked); err != nil {
			l.mu.Lock()
			delete(l.cursors, name)
			l.mu.Unlock()
			return nil, fmt.Errorf("cannot open cursor %q: %w", name, err)
		}
	}
	return c, nil
}

// DeleteCursor forgets a cursor that is not open and removes its file, so
// that it no longer holds back segment deletion.
func (l *Log) DeleteCursor(name string) error {
	if !validName(name) {
		return fmt.Errorf("cannot delete cursor %q: invalid name", name)
	}
	l.mu.Lock()
	st := l.cursors[name]
	switch {
	case l.closed:
		l.mu.Unlock()
		return fmt.Errorf("cannot delete cursor %q: %w", name, ErrClosed)
	case st == nil:
		l.mu.Unlock()
		return fmt.Errorf("cannot delete cursor %q: %w", name, fs.ErrNotExist)
	case st.open:
		l.mu.Unlock()
		return fmt.Errorf("cannot delete cursor %q: it is open", name)
	}
	delete(l.cursors, name)
	victims := l.retentionLocked()
	l.mu.Unlock()
	l.removeSegments(victims)
	if err := os.Remove(filepath.Join(l.cursorDir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot delete cursor %q: %w", name, err)
	}
	return nil
}

// loadCursors reads every cursor file. A corrupt file is reported and the
// cursor starts at the oldest retained record (Open clamps it).
func (l *Log) loadCursors() error {
	entries, err := os.ReadDir(l.cursorDir)
	if err != nil {
		return fmt.Errorf("cannot open wal: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(l.cursorDir, name)
		if strings.HasSuffix(name, cursorTmpSufix) {
			os.Remove(path) // an Ack interrupted by a crash
			continue
		}
		if !validName(name) || !e.Type().IsRegular() {
			l.logger.Warn("wal: ignoring unexpected file in cursor directory", "file", path)
			continue
		}
		acked, err := readCursor(path)
		if err != nil {
			l.logger.Error("wal: corrupt cursor file; the cursor restarts at the oldest retained record",
				"file", path, "err", err)
			acked = 0
		}
		l.cursors[name] = &cursorState{name: name, acked: acked, durable: acked}
	}
	return nil
}

func readCursor(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("cannot read cursor file %s: %w", path, err)
	}
	switch {
	case len(b) != cursorFileSize:
		return 0, fmt.Errorf("cannot read cursor file %s: %d bytes, want %d", path, len(b), cursorFileSize)
	case string(b[:4]) != cursorMagic:
		return 0, fmt.Errorf("cannot read cursor file %s: bad magic", path)
	case binary.LittleEndian.Uint32(b[16:]) != crc32c(b[:16]):
		return 0, fmt.Errorf("cannot read cursor file %s: checksum mismatch", path)
	case binary.LittleEndian.Uint16(b[4:]) != cursorVersion:
		return 0, fmt.Errorf("cannot read cursor file %s: unsupported version %d", path, binary.LittleEndian.Uint16(b[4:]))
	}
	return binary.LittleEndian.Uint64(b[8:]), nil
}

// writeCursor persists acked to path: write path~, fdatasync it, rename it
// over path. The directory is not synced (see the package documentation).
func (l *Log) writeCursor(path string, acked uint64) error {
	b := make([]byte, cursorFileSize)
	copy(b, cursorMagic)
	binary.LittleEndian.PutUint16(b[4:], cursorVersion)
	binary.LittleEndian.PutUint64(b[8:], acked)
	binary.LittleEndian.PutUint32(b[16:], crc32c(b[:16]))
	tmp := path + cursorTmpSufix
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("cannot write cursor file: %w", err)
	}
	_, err = f.Write(b)
	if err == nil && !l.opts.NoSync {
		err = fdatasync(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot write cursor file %s: %w", path, err)
	}
	return nil
}

// Read appends to dst records from the cursor's read position: up to
// maxRecords records and maxBytes bytes of data, but always at least one
// record. It blocks until a record is committed or ctx is done, then
// returns ctx.Err(). Read advances the read position, not the acknowledged
// one. The Data of the records is valid until the next Read on this cursor.
func (c *Cursor) Read(ctx context.Context, dst []Record, maxRecords, maxBytes int) ([]Record, error) {
	maxRecords = max(maxRecords, 1)
	maxBytes = max(maxBytes, 0)
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if c.closed {
			return dst, fmt.Errorf("cannot read cursor %q: %w", c.st.name, ErrClosed)
		}
		sp, wait, err := c.locate()
		if err != nil {
			return dst, err
		}
		if wait != nil {
			c.mu.Unlock()
			select {
			case <-wait:
			case <-c.l.closedCh:
			case <-c.closeCh:
			case <-ctx.Done():
			}
			c.mu.Lock()
			if err := ctx.Err(); err != nil {
				return dst, err
			}
			continue
		}
		n := len(dst)
		dst, err = c.read(sp, dst, maxRecords, maxBytes)
		if err != nil || len(dst) > n {
			return dst, err
		}
	}
}

// span is a committed range of one segment, from record seq at off.
type span struct {
	seg   *segment
	off   int64
	seq   uint64
	limit int64  // committed size of seg
	last  uint64 // last committed record of seg
}

// locate resolves the read position to a span, or returns the channel to
// wait on when there is nothing to read. Caller holds c.mu.
func (c *Cursor) locate() (span, <-chan struct{}, error) {
	l := c.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return span{}, nil, fmt.Errorf("cannot read cursor %q: %w", c.st.name, ErrClosed)
	}
	if c.next > l.committed {
		return span{}, l.notify, nil
	}
	s := c.posSeg
	if s == nil || s.deleted || c.posSeq > c.next || c.next > s.last {
		s, c.posOff, c.posSeq = l.seekLocked(c.next)
		c.posSeg = s
		if c.posSeq > c.next {
			l.logger.Error("wal: cursor skips records that are gone", "cursor", c.st.name,
				"first_missing", c.next, "last_missing", c.posSeq-1)
			c.next = c.posSeq
		}
	} else if e := s.lookup(c.next); e.seq > c.posSeq {
		c.posOff, c.posSeq = e.off, e.seq // jump ahead instead of reading through
	}
	return span{seg: s, off: c.posOff, seq: c.posSeq, limit: s.size, last: s.last}, nil, nil
}

// seekLocked returns the segment holding seq (seq <= l.committed) and the
// indexed record at or before it. When seq is gone (deleted, or lost to
// corruption) it returns the first record after it. Caller holds l.mu.
func (l *Log) seekLocked(seq uint64) (*segment, int64, uint64) {
	i := 0
	for lo, hi := 0, len(l.segs); lo < hi; {
		m := int(uint(lo+hi) >> 1)
		if l.segs[m].first <= seq {
			i, lo = m, m+1
		} else {
			hi = m
		}
	}
	for s := l.segs[i]; ; s = l.segs[i] {
		switch {
		case seq < s.first:
			return s, headerSize, s.first
		case seq <= s.last:
			e := s.lookup(seq)
			return s, e.off, e.seq
		case i+1 < len(l.segs):
			i++
		default:
			// Not reached: seq <= committed = the newest segment's last.
			return s, s.size, s.last + 1
		}
	}
}

// read parses records of sp into dst. Caller holds c.mu.
func (c *Cursor) read(sp span, dst []Record, maxRecords, maxBytes int) ([]Record, error) {
	want0 := int64(maxBytes) + int64(maxRecords)*recordHeaderSize
	want0 = min(max(want0, minReadBytes), maxReadBytes)
	need := int64(0) // the size of a record that did not fit
	for {
		want := min(max(want0, need), sp.limit-sp.off)
		if int64(cap(c.buf)) < want {
			c.buf = make([]byte, want)
		}
		buf := c.buf[:want]
		if _, err := sp.seg.f.ReadAt(buf, sp.off); err != nil {
			if errors.Is(err, os.ErrClosed) {
				err = ErrClosed
			} else if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return dst, fmt.Errorf("cannot read %s at offset %d: %w", sp.seg.path, sp.off, err)
		}
		p, seq := 0, sp.seq
		count, bytes := 0, 0
		need = 0
		for count < maxRecords && seq <= sp.last && p+recordHeaderSize <= len(buf) {
			length := int(binary.LittleEndian.Uint32(buf[p:]))
			off := sp.off + int64(p)
			if length == 0 || length > MaxRecordBytes || off+recordHeaderSize+int64(length) > sp.limit {
				return dst, fmt.Errorf("cannot read record %d in %s at offset %d: bad length %d", seq, sp.seg.path, off, length)
			}
			end := p + recordHeaderSize + length
			if end > len(buf) {
				if count == 0 {
					need = int64(recordHeaderSize + length)
				}
				break
			}
			if seq >= c.next {
				if count > 0 && bytes+length > maxBytes {
					break
				}
				data := buf[p+recordHeaderSize : end]
				if crc32c(data) != binary.LittleEndian.Uint32(buf[p+4:]) {
					return dst, fmt.Errorf("cannot read record %d in %s at offset %d: checksum mismatch", seq, sp.seg.path, off)
				}
				dst = append(dst, Record{Seq: seq, Data: data})
				count++
				bytes += length
			}
			p = end
			seq++
		}
		c.posOff, c.posSeq = sp.off+int64(p), seq
		c.next = max(c.next, seq)
		if need == 0 {
			return dst, nil
		}
		// Nothing returned yet and the next record does not fit: read
		// again from that record with a buffer that holds it.
		sp.off, sp.seq = c.posOff, c.posSeq
	}
}

// Ack marks every record <= seq as done and persists that position (see the
// package documentation for the fsync policy). It may free segments. Acking
// at or below the current position does nothing; acking past the read
// position moves the read position too.
func (c *Cursor) Ack(seq uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return fmt.Errorf("cannot ack cursor %q: %w", c.st.name, ErrClosed)
	}
	l := c.l
	l.mu.Lock()
	closed, committed, acked := l.closed, l.committed, c.st.acked
	l.mu.Unlock()
	switch {
	case closed:
		return fmt.Errorf("cannot ack cursor %q: %w", c.st.name, ErrClosed)
	case seq <= acked:
		return nil
	case seq > committed:
		return fmt.Errorf("cannot ack cursor %q at %d: beyond the last committed record %d", c.st.name, seq, committed)
	}
	l.mu.Lock()
	c.st.acked = seq
	every := l.opts.CursorSync
	if every == 0 {
		every = defaultCursorSync
	}
	due := every < 0 || time.Since(c.st.synced) >= every
	l.mu.Unlock()
	c.next = max(c.next, seq+1)
	if !due {
		return nil
	}
	if err := c.persist(); err != nil {
		return fmt.Errorf("cannot ack cursor %q at %d: %w", c.st.name, seq, err)
	}
	return nil
}

// persist writes the acknowledged position to disk, then lets retention
// delete the segments every cursor is durably past. Caller holds c.mu.
func (c *Cursor) persist() error {
	l := c.l
	l.mu.Lock()
	acked := c.st.acked
	l.mu.Unlock()
	if err := l.writeCursor(c.path, acked); err != nil {
		return err
	}
	l.mu.Lock()
	c.st.durable = max(c.st.durable, acked)
	c.st.synced = time.Now()
	victims := l.retentionLocked()
	l.mu.Unlock()
	l.removeSegments(victims)
	return nil
}

// Rewind moves the read position back to the first record not yet
// acknowledged, typically after a failed delivery.
func (c *Cursor) Rewind() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.l.mu.Lock()
	c.next = c.st.acked + 1
	c.l.mu.Unlock()
}

// Acked returns the acknowledged position: every record <= Acked is done.
func (c *Cursor) Acked() uint64 {
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	return c.st.acked
}

// Lag returns the number of committed records not yet acknowledged.
func (c *Cursor) Lag() uint64 {
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	return c.l.committed - min(c.st.acked, c.l.committed)
}

// Close closes the cursor; a blocked Read returns ErrClosed. Its
// acknowledged position stays persisted and keeps holding back segment
// deletion (see Log.DeleteCursor).
func (c *Cursor) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.l.mu.Lock()
	dirty := c.st.acked > c.st.durable && !c.l.closed
	c.l.mu.Unlock()
	var err error
	if dirty {
		if err = c.persist(); err != nil {
			err = fmt.Errorf("cannot close cursor %q: %w", c.st.name, err)
		}
	}
	c.closed = true
	close(c.closeCh)
	c.l.mu.Lock()
	c.st.open = false
	c.l.mu.Unlock()
	c.buf = nil
	return err
}
