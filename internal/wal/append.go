package wal

import (
	"context"
	"encoding/binary"
	"fmt"
	"runtime"
)

// maxCommitBytes bounds the bytes one commit takes from the queue, to bound
// the latency of the appenders in it.
const maxCommitBytes = 8 << 20

// maxPooledBuf is the largest encoded batch buffer kept for reuse.
const maxPooledBuf = 1 << 20

// appendReq is one queued Append. The committer owns it once queued; done
// is closed after err is set.
type appendReq struct {
	bufp  *[]byte // encoded records: length | crc32c | payload ...
	first uint64
	n     int
	err   error
	done  chan struct{}
}

// Append writes records to the log and returns their sequence numbers once
// the fdatasync covering them has completed. Concurrent Appends are group
// committed: one write and one fdatasync for everything queued. Records may
// not be empty and may be at most MaxRecordBytes long; the caller may reuse
// them as soon as Append returns.
//
// When the batch would take the live segments over MaxBytes, Append returns
// a *FullError (errors.Is(err, ErrFull)) and writes nothing. If ctx is done
// after the batch was queued, Append returns ctx's error, but the records
// may still be committed (a retry then duplicates them, as at-least-once
// delivery allows). An empty batch returns 0, 0, nil.
func (l *Log) Append(ctx context.Context, records [][]byte) (first, last uint64, err error) {
	if len(records) == 0 {
		return 0, 0, nil
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, fmt.Errorf("cannot append %d records: %w", len(records), err)
	}
	size := 0
	for i, r := range records {
		if len(r) == 0 {
			return 0, 0, fmt.Errorf("cannot append record %d of %d: empty records are not allowed", i, len(records))
		}
		if len(r) > MaxRecordBytes {
			return 0, 0, fmt.Errorf("cannot append record %d of %d: %d bytes is over the limit of %d", i, len(records), len(r), MaxRecordBytes)
		}
		size += recordHeaderSize + len(r)
	}
	bufp, _ := l.bufs.Get().(*[]byte)
	if bufp == nil {
		bufp = new([]byte)
	}
	buf := (*bufp)[:0]
	if cap(buf) < size {
		buf = make([]byte, 0, size)
	}
	for _, r := range records {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(r)))
		buf = binary.LittleEndian.AppendUint32(buf, crc32c(r))
		buf = append(buf, r...)
	}
	*bufp = buf
	req := &appendReq{bufp: bufp, n: len(records), done: make(chan struct{})}

	l.mu.Lock()
	switch {
	case l.closed:
		l.mu.Unlock()
		l.putBuf(bufp)
		return 0, 0, fmt.Errorf("cannot append %d records: %w", len(records), ErrClosed)
	case l.failed != nil:
		err := l.failed
		l.mu.Unlock()
		l.putBuf(bufp)
		return 0, 0, fmt.Errorf("cannot append %d records: %w", len(records), err)
	case l.bytes+l.pendingBytes+int64(size) > l.opts.MaxBytes:
		err := &FullError{Bytes: l.bytes + l.pendingBytes, MaxBytes: l.opts.MaxBytes, Batch: int64(size)}
		l.mu.Unlock()
		l.putBuf(bufp)
		return 0, 0, err
	}
	req.first = l.nextSeq
	l.nextSeq += uint64(len(records))
	l.pendingBytes += int64(size)
	l.pending = append(l.pending, req)
	l.mu.Unlock()
	select {
	case l.kick <- struct{}{}:
	default:
	}

	first, last = req.first, req.first+uint64(req.n)-1
	select {
	case <-req.done:
	case <-ctx.Done():
		select {
		case <-req.done:
		default:
			return 0, 0, fmt.Errorf("cannot append records %d-%d: %w (they may still be committed)", first, last, ctx.Err())
		}
	}
	if req.err != nil {
		return 0, 0, req.err
	}
	return first, last, nil
}

func (l *Log) putBuf(bufp *[]byte) {
	if cap(*bufp) <= maxPooledBuf {
		l.bufs.Put(bufp)
	}
}

// commitLoop is the committer goroutine: it commits queued batches into
// active and the segments after it until the log is closed and the queue is
// empty.
func (l *Log) commitLoop(active *segment) {
	defer close(l.committerDone)
	c := committer{l: l, seg: active}
	c.resetIndex()
	var reqs []*appendReq
	for {
		var ok bool
		reqs, ok = l.takePending(reqs[:0])
		if !ok {
			return
		}
		c.commit(reqs)
		clear(reqs)
		// Let the appenders just woken queue their next batches, so they
		// share the next fdatasync instead of each waiting for one more.
		runtime.Gosched()
	}
}

// takePending waits for queued batches and takes up to maxCommitBytes of
// them. It reports false when the log is closed and nothing is queued.
func (l *Log) takePending(dst []*appendReq) ([]*appendReq, bool) {
	for {
		l.mu.Lock()
		if len(l.pending) > 0 {
			n, total := 0, 0
			for n < len(l.pending) && (n == 0 || total+len(*l.pending[n].bufp) <= maxCommitBytes) {
				total += len(*l.pending[n].bufp)
				n++
			}
			dst = append(dst, l.pending[:n]...)
			rest := copy(l.pending, l.pending[n:])
			clear(l.pending[rest:])
			l.pending = l.pending[:rest]
			l.mu.Unlock()
			return dst, true
		}
		closed := l.closed
		l.mu.Unlock()
		if closed {
			return dst, false
		}
		<-l.kick
	}
}

// committer is the state of the committer goroutine.
type committer struct {
	l       *Log
	seg     *segment     // the segment being written
	iov     [][]byte     // data to write at start
	start   int64        // file offset of iov
	off     int64        // file offset after iov
	seq     uint64       // sequence number of the next record
	lastIdx int64        // offset of the last index entry of seg
	newIdx  []indexEntry // index entries for the records in iov
}

func (c *committer) resetIndex() {
	c.lastIdx = -indexInterval
	if n := len(c.seg.index); n > 0 {
		c.lastIdx = c.seg.index[n-1].off
	}
}

// commit writes and syncs reqs, then completes them.
func (c *committer) commit(reqs []*appendReq) {
	l := c.l
	var total int64
	for _, r := range reqs {
		total += int64(len(*r.bufp))
	}
	l.mu.Lock()
	err := l.failed
	l.mu.Unlock()
	// c.seg.size and c.seg.last are only written by this goroutine.
	c.start, c.off, c.seq = c.seg.size, c.seg.size, c.seg.last+1
	if err == nil && reqs[0].first != c.seq {
		err = fmt.Errorf("cannot commit: internal error: batch starts at %d, log at %d", reqs[0].first, c.seq)
	}
	var written int64
	if err == nil {
		written, err = c.write(reqs)
	}
	if err != nil {
		l.mu.Lock()
		if l.failed == nil {
			l.failed = err
			l.logger.Error("wal: write failed; refusing further appends", "err", err)
		}
		err = l.failed
		l.pendingBytes -= total - written
		l.mu.Unlock()
		c.iov = c.iov[:0]
		c.newIdx = c.newIdx[:0]
	}
	for _, r := range reqs {
		if err != nil {
			r.err = fmt.Errorf("cannot append records %d-%d: %w", r.first, r.first+uint64(r.n)-1, err)
		}
		l.putBuf(r.bufp)
		r.bufp = nil
		close(r.done)
	}
}

// write lays out reqs over the current and, when it fills up, new
// segments, and flushes them. It returns the number of record bytes made
// durable.
func (c *committer) write(reqs []*appendReq) (int64, error) {
	segBytes := c.l.opts.SegmentBytes
	var written int64
	for _, r := range reqs {
		b := *r.bufp
		for len(b) > 0 {
			n := 0
			for n < len(b) {
				rec := int64(recordHeaderSize) + int64(binary.LittleEndian.Uint32(b[n:]))
				if c.off+rec > segBytes && c.off > headerSize {
					break // full; an oversized record gets a segment of its own
				}
				if c.off-c.lastIdx >= indexInterval {
					c.newIdx = append(c.newIdx, indexEntry{seq: c.seq, off: c.off})
					c.lastIdx = c.off
				}
				n += int(rec)
				c.off += rec
				c.seq++
			}
			if n > 0 {
				c.iov = append(c.iov, b[:n])
				b = b[n:]
			}
			if len(b) > 0 {
				w, err := c.flush()
				written += w
				if err != nil {
					return written, err
				}
				if err := c.roll(); err != nil {
					return written, err
				}
			}
		}
	}
	w, err := c.flush()
	return written + w, err
}

// flush writes and syncs c.iov, then publishes the records to readers.
func (c *committer) flush() (int64, error) {
	if len(c.iov) == 0 {
		return 0, nil
	}
	l := c.l
	if err := pwritev(c.seg.f, c.iov, c.start); err != nil {
		return 0, fmt.Errorf("cannot write %s at offset %d: %w", c.seg.path, c.start, err)
	}
	if !l.opts.NoSync {
		if err := fdatasync(c.seg.f); err != nil {
			return 0, fmt.Errorf("cannot fdatasync %s: %w", c.seg.path, err)
		}
	}
	n := c.off - c.start
	l.mu.Lock()
	c.seg.size = c.off
	c.seg.last = c.seq - 1
	c.seg.index = append(c.seg.index, c.newIdx...)
	l.committed = c.seq - 1
	l.bytes += n
	l.pendingBytes -= n
	l.commits++
	close(l.notify)
	l.notify = make(chan struct{})
	l.mu.Unlock()
	clear(c.iov)
	c.iov = c.iov[:0]
	c.newIdx = c.newIdx[:0]
	c.start = c.off
	return n, nil
}

// roll seals the current segment and starts a new one at c.seq.
func (c *committer) roll() error {
	l := c.l
	old := c.seg
	// Give back the unused preallocated tail; a crash before this reaches
	// the disk leaves zeros that recovery reads as the end of the records.
	if err := old.f.Truncate(old.size); err != nil {
		l.logger.Warn("wal: cannot trim sealed segment", "file", old.path, "offset", old.size, "err", err)
	}
	s, err := l.createSegment(c.seq)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.segs = append(l.segs, s)
	l.bytes += s.size
	victims := l.retentionLocked()
	l.mu.Unlock()
	l.removeSegments(victims)
	c.seg = s
	c.start, c.off = s.size, s.size
	c.resetIndex()
	return nil
}
