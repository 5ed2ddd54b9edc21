package syslog

import "time"

// TCP syslog has no acknowledgement: a frame the kernel accepted may still
// be lost if the destination dies before reading it from its receive
// buffer. So each connection keeps copies of the whole frames it wrote
// recently; when the connection is lost, they are sent again first on the
// next one. Delivery stays at-least-once (a destination that had read them
// sees them twice), and a destination outage loses nothing that was written
// within the window.
const (
	// inDoubtWindow is how long written frames are kept: a live destination
	// reads what it received well within it.
	inDoubtWindow = 2 * time.Second
	// inDoubtBytes bounds the copies per connection.
	inDoubtBytes = 2 << 20
)

// inDoubt holds copies of recently written frames, whole writes only.
type inDoubt struct {
	buf   []byte
	start int // buf[start:] is live
	marks []doubtMark
}

// doubtMark is the end (offset in buf) and time of one write.
type doubtMark struct {
	end int
	at  time.Time
}

// add records frames (whole frames only) written at now.
func (d *inDoubt) add(frames []byte, now time.Time) {
	if len(frames) == 0 {
		return
	}
	if len(frames) > inDoubtBytes {
		frames = nil // larger than the whole window: cannot be kept
	}
	d.buf = append(d.buf, frames...)
	d.marks = append(d.marks, doubtMark{end: len(d.buf), at: now})
	d.trim(now)
}

// trim drops the oldest writes beyond the window or the byte bound, and
// compacts the buffer now and then.
func (d *inDoubt) trim(now time.Time) {
	k := 0
	for k < len(d.marks) && (now.Sub(d.marks[k].at) > inDoubtWindow || len(d.buf)-d.start > inDoubtBytes) {
		d.start = d.marks[k].end
		k++
	}
	if k > 0 {
		d.marks = append(d.marks[:0], d.marks[k:]...)
	}
	if d.start > 0 && d.start >= len(d.buf)/2 {
		n := copy(d.buf, d.buf[d.start:])
		for i := range d.marks {
			d.marks[i].end -= d.start
		}
		d.buf, d.start = d.buf[:n], 0
	}
}

// takeInto appends the frames still in doubt at now to dst and forgets
// them.
func (d *inDoubt) takeInto(dst []byte, now time.Time) []byte {
	d.trim(now)
	dst = append(dst, d.buf[d.start:]...)
	d.buf, d.start, d.marks = d.buf[:0], 0, d.marks[:0]
	return dst
}
