package syslog

import (
	"strings"

	"github.com/sluicelog/sluice/internal/event"
)

// FieldParseError is the field a frame that could not be parsed carries: the
// parse error's text.
const FieldParseError = "parse_error"

// LogplexResult sums up one Logplex body.
type LogplexResult struct {
	// Frames is the number of frames found (compare with the
	// Logplex-Msg-Count header).
	Frames int
	// Malformed is the number of frames whose framing was fine but whose
	// RFC 5424 parse failed; they are kept as raw events.
	Malformed int
	// FirstError is the first parse error, a *ParseError; nil if none.
	FirstError error
	// FramingError is the *FrameError that ended the body early (junk,
	// garbage length, oversize or truncated frame), naming the offset; the
	// frames before it are kept. Nil if the whole body was read.
	FramingError error
}

// ParseLogplex parses a Heroku Logplex POST body (application/logplex-1:
// octet-counted RFC 5424 frames, usually without STRUCTURED-DATA) and appends
// one event per frame to dst, reusing the elements (and their Fields
// capacity) between len(dst) and cap(dst). Each appended event is Reset
// first, then filled by Parse5424.
//
// A frame that fails to parse is kept, never dropped: its Message is the raw
// frame without its trailing "\n", Severity is event.Info with
// SeveritySource event.SeverityUnset, and it has a String field
// "parse_error" with the error text. Frames longer than DefaultMaxFrameSize
// end the body with a FramingError.
func ParseLogplex(body string, dst []event.Event) ([]event.Event, LogplexResult) {
	var res LogplexResult
	p := 0
	for {
		frame, off, next, err := nextOctetFrame(body, p, DefaultMaxFrameSize)
		if err != nil {
			res.FramingError = err
			return dst, res
		}
		if off < 0 {
			return dst, res
		}
		p = next
		res.Frames++

		n := len(dst)
		if n < cap(dst) {
			dst = dst[:n+1]
		} else {
			dst = append(dst, event.Event{})
		}
		e := &dst[n]
		e.Reset()
		if err := Parse5424(frame, e); err != nil {
			e.Message = strings.TrimSuffix(frame, "\n")
			e.Severity = event.Info
			e.SeveritySource = event.SeverityUnset
			e.AddString(FieldParseError, err.Error())
			res.Malformed++
			if res.FirstError == nil {
				res.FirstError = err
			}
		}
	}
}
