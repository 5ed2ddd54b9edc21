package syslog

import "strconv"

// ParseError describes why a syslog line could not be parsed: which field,
// where and why.
type ParseError struct {
	// Format is "RFC 5424" or "RFC 3164"; empty means "RFC 5424".
	Format string
	// Field names the part of the line that is wrong, as the RFC names it:
	// PRI, VERSION, TIMESTAMP, HOSTNAME, APP-NAME, PROCID, MSGID,
	// STRUCTURED-DATA or MSG.
	Field string
	// Column is the 1-based byte offset in the line of the offending byte.
	Column int
	// Reason says what is wrong.
	Reason string
}

// Error returns e.g. "cannot parse RFC 5424 line: TIMESTAMP at column 12:
// month 13 out of range".
func (e *ParseError) Error() string {
	format := e.Format
	if format == "" {
		format = rfc5424Name
	}
	return "cannot parse " + format + " line: " + e.Field + " at column " + strconv.Itoa(e.Column) + ": " + e.Reason
}

// FrameError describes a framing problem in a stream or body: a garbage or
// oversize length prefix, an oversize line, a truncated frame or junk
// between frames.
type FrameError struct {
	// Offset is the byte offset in the stream or body where the bad frame
	// starts (for octet counting, where its length prefix starts).
	Offset int64
	// Reason says what is wrong.
	Reason string
}

// Error returns e.g. "cannot split syslog frames: at byte 120: frame length
// has more than 10 digits".
func (e *FrameError) Error() string {
	return "cannot split syslog frames: at byte " + strconv.FormatInt(e.Offset, 10) + ": " + e.Reason
}

const (
	rfc5424Name = "RFC 5424"
	rfc3164Name = "RFC 3164"
)

// The names of the fields in a ParseError.
const (
	fieldPRI       = "PRI"
	fieldVersion   = "VERSION"
	fieldTimestamp = "TIMESTAMP"
	fieldHostname  = "HOSTNAME"
	fieldAppName   = "APP-NAME"
	fieldProcID    = "PROCID"
	fieldMsgID     = "MSGID"
	fieldSD        = "STRUCTURED-DATA"
	fieldMsg       = "MSG"
)

// perr returns a *ParseError for an RFC 5424 line; pos is the 0-based offset.
func perr(field string, pos int, reason string) *ParseError {
	return &ParseError{Field: field, Column: pos + 1, Reason: reason}
}

// describeByte names a byte for an error message: 'x' or 0x01.
func describeByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	const hex = "0123456789abcdef"
	return "0x" + string([]byte{hex[c>>4], hex[c&15]})
}
