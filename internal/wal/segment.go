package wal

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

const (
	segmentMagic   = "SLUICEWL"
	segmentVersion = 1
	// headerSize is the size of the segment header; records start there.
	headerSize = 32
	// recordHeaderSize is the size of a record's length and checksum.
	recordHeaderSize = 8
	// indexInterval is the distance in bytes between sparse index entries.
	indexInterval = 64 << 10
	segmentSuffix = ".seg"
	// segmentNameLen is len("%020d.seg").
	segmentNameLen = 20 + len(segmentSuffix)
)

// MaxRecordBytes is the largest record payload Append accepts, and the
// largest record length recovery believes.
const MaxRecordBytes = 64 << 20

// crc32c returns the Castagnoli CRC of b (hardware accelerated where the
// CPU supports it).
func crc32c(b []byte) uint32 {
	return crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli))
}

// segment is one segment file. first, path and f never change; last, size,
// index and deleted are guarded by Log.mu and written only by the committer
// (and by Open before the committer starts).
type segment struct {
	first uint64
	path  string
	f     *os.File

	last    uint64       // sequence number of the last committed record; first-1 when empty
	size    int64        // file offset just past the last committed record
	index   []indexEntry // sparse: one entry per indexInterval bytes, first record included
	deleted bool         // removed by retention; cursors must seek again
}

// indexEntry says that record seq starts at file offset off.
type indexEntry struct {
	seq uint64
	off int64
}

// lookup returns the index entry of the last record at or before seq
// (seq must be in [s.first, s.last]). Caller holds Log.mu.
func (s *segment) lookup(seq uint64) indexEntry {
	i := sort.Search(len(s.index), func(i int) bool { return s.index[i].seq > seq }) - 1
	if i < 0 {
		return indexEntry{seq: s.first, off: headerSize}
	}
	return s.index[i]
}

func segmentName(first uint64) string {
	return fmt.Sprintf("%020d%s", first, segmentSuffix)
}

// parseSegmentName returns the first sequence number encoded in a segment
// file name.
func parseSegmentName(name string) (uint64, bool) {
	if len(name) != segmentNameLen || !strings.HasSuffix(name, segmentSuffix) {
		return 0, false
	}
	digits := name[:20]
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || n == 0 {
		return 0, false
	}
	return n, true
}

func encodeHeader(first uint64) []byte {
	h := make([]byte, headerSize)
	copy(h, segmentMagic)
	binary.LittleEndian.PutUint32(h[8:], segmentVersion)
	binary.LittleEndian.PutUint64(h[16:], first)
	binary.LittleEndian.PutUint32(h[24:], crc32c(h[:24]))
	return h
}

// headerStatus classifies a segment header.
type headerStatus int

const (
	headerOK   headerStatus = iota
	headerZero              // short or all zeros: the segment was being created
	headerBad               // anything else
)

func checkHeader(h []byte, first uint64) (headerStatus, string) {
	if len(h) < headerSize {
		for _, b := range h {
			if b != 0 {
				return headerBad, fmt.Sprintf("short header (%d bytes)", len(h))
			}
		}
		return headerZero, fmt.Sprintf("short header (%d bytes)", len(h))
	}
	h = h[:headerSize]
	zero := true
	for _, b := range h {
		if b != 0 {
			zero = false
			break
		}
	}
	switch {
	case zero:
		return headerZero, "header is all zeros"
	case string(h[:8]) != segmentMagic:
		return headerBad, "bad magic"
	case binary.LittleEndian.Uint32(h[24:]) != crc32c(h[:24]):
		return headerBad, "header checksum mismatch"
	case binary.LittleEndian.Uint32(h[8:]) != segmentVersion:
		return headerBad, fmt.Sprintf("unsupported version %d", binary.LittleEndian.Uint32(h[8:]))
	case binary.LittleEndian.Uint32(h[12:]) != 0 || binary.LittleEndian.Uint32(h[28:]) != 0:
		return headerBad, "unknown flags or reserved bits set"
	case binary.LittleEndian.Uint64(h[16:]) != first:
		return headerBad, fmt.Sprintf("header says first sequence number %d", binary.LittleEndian.Uint64(h[16:]))
	}
	return headerOK, ""
}

// scanResult describes the valid records of a segment.
type scanResult struct {
	last  uint64
	end   int64 // offset just past the last valid record
	index []indexEntry
	// bad is empty when the records end cleanly (zeros or end of file, or
	// maxSeq reached), else why the record at end is bad.
	bad string
}

// scanSegment verifies the records of f (of fileSize bytes) from the
// header on, stopping at the first bad record, at the end of the file or
// after record maxSeq.
func scanSegment(f *os.File, first uint64, fileSize int64, maxSeq uint64) (scanResult, error) {
	res := scanResult{last: first - 1, end: headerSize}
	if fileSize <= headerSize {
		return res, nil
	}
	r := bufio.NewReaderSize(io.NewSectionReader(f, headerSize, fileSize-headerSize), 1<<20)
	var big []byte
	lastIdx := int64(-indexInterval)
	for res.last < maxSeq {
		off := res.end
		if fileSize-off < recordHeaderSize {
			// Fewer bytes than a record header: zeros are the clean end.
			rest := make([]byte, fileSize-off)
			if _, err := io.ReadFull(r, rest); err != nil {
				return res, fmt.Errorf("cannot read %s at offset %d: %w", f.Name(), off, err)
			}
			for _, b := range rest {
				if b != 0 {
					res.bad = "truncated record header"
					break
				}
			}
			return res, nil
		}
		h, err := r.Peek(recordHeaderSize)
		if err != nil {
			return res, fmt.Errorf("cannot read %s at offset %d: %w", f.Name(), off, err)
		}
		length := binary.LittleEndian.Uint32(h)
		sum := binary.LittleEndian.Uint32(h[4:])
		switch {
		case length == 0 && sum == 0:
			return res, nil
		case length == 0:
			res.bad = "zero length with a non-zero checksum"
			return res, nil
		case length > MaxRecordBytes:
			res.bad = fmt.Sprintf("bad record length %d", length)
			return res, nil
		case off+recordHeaderSize+int64(length) > fileSize:
			res.bad = fmt.Sprintf("record length %d runs past the end of the file (%d bytes)", length, fileSize)
			return res, nil
		}
		n := recordHeaderSize + int(length)
		var payload []byte
		if n <= r.Size() {
			rec, err := r.Peek(n)
			if err != nil {
				return res, fmt.Errorf("cannot read %s at offset %d: %w", f.Name(), off, err)
			}
			payload = rec[recordHeaderSize:]
		} else {
			if cap(big) < n {
				big = make([]byte, n)
			}
			big = big[:n]
			if _, err := io.ReadFull(r, big); err != nil {
				return res, fmt.Errorf("cannot read %s at offset %d: %w", f.Name(), off, err)
			}
			payload = big[recordHeaderSize:]
			n = 0 // already consumed
		}
		if crc32c(payload) != sum {
			res.bad = "checksum mismatch"
			return res, nil
		}
		if n > 0 {
			if _, err := r.Discard(n); err != nil {
				return res, fmt.Errorf("cannot read %s at offset %d: %w", f.Name(), off, err)
			}
		}
		res.last++
		if off-lastIdx >= indexInterval {
			res.index = append(res.index, indexEntry{seq: res.last, off: off})
			lastIdx = off
		}
		res.end = off + recordHeaderSize + int64(length)
	}
	return res, nil
}

// createSegment creates, preallocates and initialises the segment file for
// first, and syncs the directory so that the file survives a crash.
func (l *Log) createSegment(first uint64) (*segment, error) {
	path := filepath.Join(l.opts.Dir, segmentName(first))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot create segment: %w", err)
	}
	fail := func(err error) (*segment, error) {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	if err := l.preallocate(f, headerSize, l.opts.SegmentBytes); err != nil {
		return fail(err)
	}
	if _, err := f.WriteAt(encodeHeader(first), 0); err != nil {
		return fail(fmt.Errorf("cannot write segment header: %w", err))
	}
	// The header reaches the disk with the fdatasync of the first commit
	// into this segment; the directory entry needs its own sync.
	if err := l.syncDir(); err != nil {
		return fail(err)
	}
	return &segment{first: first, path: path, f: f, last: first - 1, size: headerSize}, nil
}

// preallocate makes f at least size bytes long with zeros past from,
// using fallocate where the file system supports it.
func (l *Log) preallocate(f *os.File, from, size int64) error {
	ok, err := preallocate(f, from, size-from)
	if err != nil {
		return fmt.Errorf("cannot preallocate %s to %d bytes: %w", f.Name(), size, err)
	}
	if !ok && !l.noFallocate {
		l.noFallocate = true // only read and written by Open and the committer
		l.logger.Info("wal: fallocate not supported, segment files grow as written", "dir", l.opts.Dir)
	}
	return nil
}

// syncDir fsyncs the log directory (unless NoSync).
func (l *Log) syncDir() error {
	if l.opts.NoSync {
		return nil
	}
	return syncDir(l.opts.Dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("cannot sync directory %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cannot sync directory %s: %w", dir, err)
	}
	return nil
}
