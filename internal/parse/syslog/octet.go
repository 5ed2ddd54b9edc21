package syslog

import "strconv"

// DefaultMaxFrameSize is the largest frame accepted when no limit is
// configured: 64 KiB.
const DefaultMaxFrameSize = 64 << 10

// maxLengthDigits is the most digits a frame length may have; more is
// garbage, whatever MaxFrameSize is.
const maxLengthDigits = 10

// SplitOctetCounted splits body, a sequence of RFC 6587 octet-counted frames
// ("MSG-LEN SP MSG", as in Heroku's application/logplex-1), calling fn with
// each frame and the byte offset in body where its length prefix starts.
// Frames are substrings of body. LF and CR bytes between frames are
// tolerated.
//
// A frame longer than maxFrame (DefaultMaxFrameSize when maxFrame <= 0), a
// garbage or missing length prefix, junk between frames or a truncated last
// frame stop the split with a *FrameError naming the offset. An error from fn
// stops it too and is returned as is.
func SplitOctetCounted(body string, maxFrame int, fn func(frame string, offset int) error) error {
	if maxFrame <= 0 {
		maxFrame = DefaultMaxFrameSize
	}
	p := 0
	for {
		frame, off, next, err := nextOctetFrame(body, p, maxFrame)
		if err != nil {
			return err
		}
		if off < 0 {
			return nil
		}
		if err := fn(frame, off); err != nil {
			return err
		}
		p = next
	}
}

// nextOctetFrame returns the frame that starts at or after body[p:] (after
// LF/CR separators), its offset and the offset after it. At the end of body
// it returns offset -1.
func nextOctetFrame(body string, p, maxFrame int) (frame string, off, next int, err error) {
	for p < len(body) && (body[p] == '\n' || body[p] == '\r') {
		p++
	}
	if p == len(body) {
		return "", -1, p, nil
	}
	start := p
	n := 0
	for p < len(body) && isDigit(body[p]) {
		if p-start == maxLengthDigits {
			return "", start, p, &FrameError{Offset: int64(start), Reason: "frame length has more than 10 digits"}
		}
		n = n*10 + int(body[p]-'0')
		p++
	}
	switch {
	case p == start:
		return "", start, p, &FrameError{Offset: int64(start), Reason: "expected a frame length, found " + describeByte(body[p])}
	case body[start] == '0':
		return "", start, p, &FrameError{Offset: int64(start), Reason: "frame length starts with 0"}
	case p == len(body):
		return "", start, p, &FrameError{Offset: int64(start), Reason: "truncated frame: no SP after frame length"}
	case body[p] != ' ':
		return "", start, p, &FrameError{Offset: int64(start), Reason: "expected SP after frame length, found " + describeByte(body[p])}
	case n > maxFrame:
		return "", start, p, &FrameError{Offset: int64(start), Reason: "frame of " + strconv.Itoa(n) + " bytes exceeds maximum of " + strconv.Itoa(maxFrame)}
	}
	p++
	if len(body)-p < n {
		return "", start, p, &FrameError{Offset: int64(start), Reason: "truncated frame: " + strconv.Itoa(len(body)-p) + " of " + strconv.Itoa(n) + " bytes"}
	}
	return body[p : p+n], start, p + n, nil
}
