package syslog

import (
	"bytes"
	"io"
	"strconv"
)

// FramingMode says how syslog messages are delimited in a stream
// (RFC 6587 section 3.4).
type FramingMode uint8

const (
	// FramingAuto detects the framing from the start of the stream, as
	// LooksOctetCounted says: after any CR, LF and NUL bytes, "MSG-LEN SP <"
	// (1 to 10 digits, not starting with 0) means octet counting, anything
	// else non-transparent framing. It reads at most 12 bytes past the
	// separators to decide; a stream that ends first is non-transparent.
	FramingAuto FramingMode = iota
	// FramingOctetCounting is "MSG-LEN SP SYSLOG-MSG" (RFC 6587 section
	// 3.4.1, RFC 5425).
	FramingOctetCounting
	// FramingNonTransparent is a message followed by a trailer: LF, CR LF or
	// NUL (RFC 6587 section 3.4.2).
	FramingNonTransparent
)

// String returns "auto", "octet-counting" or "non-transparent".
func (m FramingMode) String() string {
	switch m {
	case FramingAuto:
		return "auto"
	case FramingOctetCounting:
		return "octet-counting"
	case FramingNonTransparent:
		return "non-transparent"
	}
	return "invalid"
}

// BadFramePolicy says what a Framer does after a bad frame.
type BadFramePolicy uint8

const (
	// Resync reports the bad frame, skips to the next plausible frame start
	// and goes on; the bytes skipped are counted (Framer.Skipped).
	Resync BadFramePolicy = iota
	// Stop reports the bad frame and then returns the same error forever.
	Stop
)

// FramerConfig configures a Framer. The zero value is usable: auto
// detection, DefaultMaxFrameSize, Resync.
type FramerConfig struct {
	// Mode is the framing; FramingAuto detects it per stream.
	Mode FramingMode
	// MaxFrameSize is the largest message accepted, in bytes, without the
	// length prefix or trailer; DefaultMaxFrameSize when <= 0.
	MaxFrameSize int
	// OnBadFrame says what to do after a bad frame.
	OnBadFrame BadFramePolicy
}

// oversizeSkipFactor bounds the octet-counted frames that are skipped
// exactly: a length up to this many times MaxFrameSize is believed (the
// frame is just too big, and its bytes are discarded); a longer one is
// garbage, and Resync scans for the next plausible frame start instead.
const oversizeSkipFactor = 16

// Framer splits a stream into syslog frames (RFC 6587). Its buffer starts
// small and grows only as data arrives, up to MaxFrameSize plus a few bytes;
// a length prefix alone never makes it allocate.
//
// Next returns each frame; a *FrameError reports a bad frame (garbage or
// oversize length prefix, oversize line, truncated frame at the end of the
// stream). With Resync, Next may be called again after a *FrameError and
// continues with the next plausible frame; with Stop, and after any read
// error or the end of the stream (io.EOF), every later call returns the same
// error.
//
// Resynchronisation: an octet-counted frame longer than MaxFrameSize but not
// more than 16 times that is skipped exactly (its length is believed); a
// longer or malformed length prefix makes the Framer scan for the next
// plausible frame start (1 to 10 digits not preceded by a digit, SP, '<'). An
// oversize line is dropped up to the next LF or NUL. LF and CR bytes between
// octet-counted frames are tolerated.
//
// A Framer is not safe for concurrent use.
type Framer struct {
	rd     io.Reader
	mode   FramingMode
	max    int
	limit  int // most bytes buf may hold
	policy BadFramePolicy

	buf  []byte
	r, w int   // unread data is buf[r:w]
	base int64 // stream offset of buf[0]

	rerr  error // error from the reader (io.EOF included); buffered data may remain
	fatal error // returned by every later call

	skipped  int64
	frameOff int64

	// Resynchronisation state.
	discard   int64 // octet counting: bytes of an oversize frame still to drop
	scan      bool  // octet counting: looking for a plausible frame start
	prevDigit bool  // octet counting scan: the byte before buf[r] was a digit
	skipLine  bool  // non-transparent: dropping up to the next trailer
	searched  int   // non-transparent: bytes from r known to hold no trailer
}

// NewFramer returns a Framer reading from r.
func NewFramer(r io.Reader, cfg FramerConfig) *Framer {
	max := cfg.MaxFrameSize
	if max <= 0 {
		max = DefaultMaxFrameSize
	}
	limit := max + maxLengthDigits + 6
	return &Framer{
		rd:     r,
		mode:   cfg.Mode,
		max:    max,
		limit:  limit,
		policy: cfg.OnBadFrame,
		buf:    make([]byte, min(4096, limit)),
	}
}

// Mode returns the framing in use: the configured one, or the detected one
// once Next has been called (FramingAuto until then, and for an empty
// stream).
func (f *Framer) Mode() FramingMode { return f.mode }

// Skipped returns how many bytes resynchronisation has discarded so far.
func (f *Framer) Skipped() int64 { return f.skipped }

// Offset returns the stream offset where the frame last returned by Next
// starts (for octet counting, its length prefix).
func (f *Framer) Offset() int64 { return f.frameOff }

// Next returns the next frame, without its length prefix or trailer. The
// slice is valid until the next call. At the end of the stream it returns
// io.EOF.
func (f *Framer) Next() ([]byte, error) {
	if f.fatal != nil {
		return nil, f.fatal
	}
	if f.mode == FramingAuto {
		if err := f.detect(); err != nil {
			return nil, err
		}
	}
	if f.mode == FramingOctetCounting {
		return f.nextOctet()
	}
	return f.nextLine()
}

// detect sets f.mode from the start of the stream (FramingAuto). Leading
// CR, LF and NUL bytes are dropped; they are empty frames in either framing.
// It returns an error only when the stream ends or fails before any other
// byte.
func (f *Framer) detect() error {
	for {
		for f.r < f.w && isFrameSeparator(f.buf[f.r]) {
			f.r++
		}
		if f.r < f.w {
			break
		}
		if !f.fill() {
			return f.end()
		}
	}
	for {
		if octet, decided := octetHead(f.buf[f.r:f.w]); decided {
			f.mode = FramingNonTransparent
			if octet {
				f.mode = FramingOctetCounting
			}
			return nil
		}
		if !f.fill() {
			// The stream ended (or failed) before it could look octet
			// counted; nextLine returns what there is.
			f.mode = FramingNonTransparent
			return nil
		}
	}
}

func isFrameSeparator(c byte) bool { return c == '\n' || c == '\r' || c == 0 }

// LooksOctetCounted reports whether a stream that starts with head uses RFC
// 6587 octet counting: after any leading CR, LF and NUL bytes, 1 to 10
// digits not starting with 0, SP and '<' (the start of PRI). Anything else,
// including a head too short to tell (at most 12 bytes past the separators
// are needed), means non-transparent framing. It is the rule FramingAuto
// applies.
func LooksOctetCounted(head []byte) bool {
	i := 0
	for i < len(head) && isFrameSeparator(head[i]) {
		i++
	}
	octet, decided := octetHead(head[i:])
	return octet && decided
}

// octetHead applies LooksOctetCounted's rule to head, which starts after the
// separators: decided is false when head is a prefix of both kinds of
// stream.
func octetHead(head []byte) (octet, decided bool) {
	if len(head) == 0 {
		return false, false
	}
	if head[0] < '1' || head[0] > '9' {
		return false, true
	}
	i := 1
	for i < len(head) && isDigit(head[i]) {
		if i == maxLengthDigits {
			return false, true
		}
		i++
	}
	switch {
	case i == len(head):
		return false, false
	case head[i] != ' ':
		return false, true
	case i+1 == len(head):
		return false, false
	}
	return head[i+1] == '<', true
}

func (f *Framer) nextOctet() ([]byte, error) {
	for {
		if f.discard > 0 {
			n := min(int64(f.w-f.r), f.discard)
			f.r += int(n)
			f.discard -= n
			f.skipped += n
			if f.discard > 0 {
				if !f.fill() {
					return nil, f.end()
				}
				continue
			}
		}
		if f.scan && !f.scanOctet() {
			if !f.fill() {
				f.skipRest()
				return nil, f.end()
			}
			continue
		}
		for f.r < f.w && (f.buf[f.r] == '\n' || f.buf[f.r] == '\r') {
			f.r++
		}
		if f.r == f.w {
			if !f.fill() {
				return nil, f.end()
			}
			continue
		}

		off := f.base + int64(f.r)
		i, n := 0, 0
		for {
			if f.w-f.r <= i && !f.need(i+1) {
				break
			}
			c := f.buf[f.r+i]
			if !isDigit(c) {
				break
			}
			if i == maxLengthDigits {
				return nil, f.garbage(off, "frame length has more than 10 digits")
			}
			n = n*10 + int(c-'0')
			i++
		}
		switch {
		case f.w-f.r <= i && f.rerr != io.EOF:
			return nil, f.end()
		case f.w-f.r <= i:
			return nil, f.truncated(off, "truncated frame: no SP after frame length")
		case i == 0:
			return nil, f.garbage(off, "expected a frame length, found "+describeByte(f.buf[f.r]))
		case f.buf[f.r] == '0':
			return nil, f.garbage(off, "frame length starts with 0")
		case f.buf[f.r+i] != ' ':
			return nil, f.garbage(off, "expected SP after frame length, found "+describeByte(f.buf[f.r+i]))
		case n > f.max && n <= oversizeSkipFactor*f.max:
			err := f.bad(off, "frame of "+strconv.Itoa(n)+" bytes exceeds maximum of "+strconv.Itoa(f.max))
			if f.policy == Resync {
				f.r += i + 1
				f.skipped += int64(i + 1)
				f.discard = int64(n)
			}
			return nil, err
		case n > f.max:
			return nil, f.garbage(off, "frame length "+strconv.Itoa(n)+" is implausible (maximum "+strconv.Itoa(f.max)+")")
		}
		if !f.need(i + 1 + n) {
			if f.rerr != io.EOF {
				return nil, f.end()
			}
			got := f.w - f.r - i - 1
			return nil, f.truncated(off, "truncated frame: "+strconv.Itoa(got)+" of "+strconv.Itoa(n)+" bytes")
		}
		frame := f.buf[f.r+i+1 : f.r+i+1+n]
		f.r += i + 1 + n
		f.frameOff = off
		return frame, nil
	}
}

// scanOctet looks for a plausible frame start: a length of 1 to 10 digits
// not preceded by a digit, starting with 1-9, followed by SP and '<'. It
// drops what it passes over and reports whether it found one; false means
// more data is needed.
func (f *Framer) scanOctet() bool {
	j := f.r
	for j < f.w {
		c := f.buf[j]
		if c >= '1' && c <= '9' && !f.prevDigit {
			k := j
			for k < f.w && isDigit(f.buf[k]) && k-j <= maxLengthDigits {
				k++
			}
			if k-j <= maxLengthDigits {
				if k+1 >= f.w {
					f.skipTo(j) // undecided: keep the candidate, read more
					return false
				}
				if f.buf[k] == ' ' && f.buf[k+1] == '<' {
					f.skipTo(j)
					f.scan = false
					return true
				}
			}
		}
		f.prevDigit = isDigit(c)
		j++
	}
	f.skipTo(j)
	return false
}

func (f *Framer) nextLine() ([]byte, error) {
	for {
		if f.skipLine {
			i := indexTrailer(f.buf[f.r:f.w])
			if i < 0 {
				f.skipRest()
				if !f.fill() {
					return nil, f.end()
				}
				continue
			}
			f.skipTo(f.r + i + 1)
			f.skipLine = false
		}
		if i := indexTrailer(f.buf[f.r+f.searched : f.w]); i >= 0 {
			start := f.r
			end := f.r + f.searched + i
			trailer := f.buf[end]
			f.r = end + 1
			f.searched = 0
			line := f.buf[start:end]
			if trailer == '\n' && len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			if len(line) == 0 {
				continue
			}
			if len(line) > f.max {
				// Already skipped: the next call starts after this line.
				if f.policy == Resync {
					f.skipped += int64(end + 1 - start)
				}
				return nil, f.bad(f.base+int64(start), "line exceeds maximum of "+strconv.Itoa(f.max)+" bytes")
			}
			f.frameOff = f.base + int64(start)
			return line, nil
		}
		f.searched = f.w - f.r
		if f.searched > f.max+1 { // +1: a CR before the LF
			err := f.bad(f.base+int64(f.r), "line exceeds maximum of "+strconv.Itoa(f.max)+" bytes")
			if f.policy == Resync {
				f.skipRest()
				f.skipLine = true
			}
			return nil, err
		}
		if !f.fill() {
			if f.rerr == io.EOF && f.r < f.w {
				// The last line, without a trailer.
				line := bytes.TrimSuffix(f.buf[f.r:f.w], []byte{'\r'})
				f.frameOff = f.base + int64(f.r)
				f.r = f.w
				f.searched = 0
				if len(line) > f.max {
					if f.policy == Resync {
						f.skipped += int64(len(line))
					}
					return nil, f.bad(f.frameOff, "line exceeds maximum of "+strconv.Itoa(f.max)+" bytes")
				}
				if len(line) > 0 {
					return line, nil
				}
			}
			return nil, f.end()
		}
	}
}

// indexTrailer returns the index of the first LF or NUL in b, or -1.
func indexTrailer(b []byte) int {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		i = len(b)
	}
	if j := bytes.IndexByte(b[:i], 0); j >= 0 {
		return j
	}
	if i == len(b) {
		return -1
	}
	return i
}

// bad returns a *FrameError and, with Stop, makes it final.
func (f *Framer) bad(off int64, reason string) error {
	err := &FrameError{Offset: off, Reason: reason}
	if f.policy == Stop {
		f.fatal = err
	}
	return err
}

// garbage reports a bad length prefix at buf[r] and, with Resync, starts
// scanning for the next plausible frame start after its first byte.
func (f *Framer) garbage(off int64, reason string) error {
	err := f.bad(off, reason)
	if f.policy == Resync {
		f.prevDigit = isDigit(f.buf[f.r])
		f.skipTo(f.r + 1)
		f.scan = true
	}
	return err
}

// truncated reports a frame cut short by the end of the stream and drops
// what is left of it.
func (f *Framer) truncated(off int64, reason string) error {
	err := f.bad(off, reason)
	f.skipRest()
	return err
}

func (f *Framer) skipTo(j int) {
	f.skipped += int64(j - f.r)
	f.r = j
}

func (f *Framer) skipRest() {
	f.skipTo(f.w)
	f.searched = 0
}

// end returns the reader's error (io.EOF at the end) and makes it final.
func (f *Framer) end() error {
	err := f.rerr
	if err == nil {
		err = io.ErrNoProgress
	}
	f.fatal = err
	return err
}

// need makes sure buf[r:] holds at least k bytes (k <= limit); false means
// the stream ended or failed first.
func (f *Framer) need(k int) bool {
	for f.w-f.r < k {
		if !f.fill() {
			return false
		}
	}
	return true
}

// fill reads more data, first moving the unread bytes to the front of buf
// and growing buf (up to limit) if it is full. It reports whether any bytes
// were added.
func (f *Framer) fill() bool {
	if f.rerr != nil {
		return false
	}
	if f.r > 0 {
		copy(f.buf, f.buf[f.r:f.w])
		f.base += int64(f.r)
		f.w -= f.r
		f.r = 0
	}
	if f.w == len(f.buf) {
		if len(f.buf) >= f.limit {
			return false
		}
		nb := make([]byte, min(2*len(f.buf), f.limit))
		copy(nb, f.buf[:f.w])
		f.buf = nb
	}
	for range 100 {
		n, err := f.rd.Read(f.buf[f.w:])
		f.w += n
		if err != nil {
			f.rerr = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	f.rerr = io.ErrNoProgress
	return false
}
