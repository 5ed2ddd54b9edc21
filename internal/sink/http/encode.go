package httpsink

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/sink/tmpl"
)

// TimeFormat is how {time} appears in a text line: RFC 3339 in UTC with
// milliseconds, the yyyy-MM-dd'T'HH:mm:ss.SSS'Z' that Sumo Logic's
// timestamp detection documents.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// lineTemplate is the line of the text encoding: sink/tmpl templates with
// {message} and {time} between them.
type lineTemplate struct {
	parts []linePart
}

type linePartKind uint8

const (
	partTemplate linePartKind = iota
	partMessage
	partTime
)

type linePart struct {
	kind linePartKind
	t    *tmpl.Template // for partTemplate
}

// parseLine parses a text line template.
func parseLine(text string) (*lineTemplate, error) {
	lt := &lineTemplate{}
	rest := text
	for rest != "" {
		i, kind, n := nextLinePlaceholder(rest)
		seg := rest
		if i >= 0 {
			seg = rest[:i]
		}
		if seg != "" {
			t, err := tmpl.Parse(seg)
			if err != nil {
				return nil, fmt.Errorf("cannot use template %q (text lines also know {message} and {time}): %w", text, err)
			}
			lt.parts = append(lt.parts, linePart{kind: partTemplate, t: t})
		}
		if i < 0 {
			break
		}
		lt.parts = append(lt.parts, linePart{kind: kind})
		rest = rest[i+n:]
	}
	return lt, nil
}

// nextLinePlaceholder finds the first {message} or {time} in s: its offset
// (-1 when none), kind and length.
func nextLinePlaceholder(s string) (int, linePartKind, int) {
	m := strings.Index(s, "{message}")
	t := strings.Index(s, "{time}")
	switch {
	case m < 0 && t < 0:
		return -1, 0, 0
	case t < 0 || (m >= 0 && m < t):
		return m, partMessage, len("{message}")
	default:
		return t, partTime, len("{time}")
	}
}

// execute appends the line for e to dst.
func (lt *lineTemplate) execute(dst []byte, e *event.Event) []byte {
	for _, p := range lt.parts {
		switch p.kind {
		case partTemplate:
			dst = p.t.Execute(dst, e)
		case partMessage:
			dst = append(dst, e.Message...)
		case partTime:
			t := e.Time
			if t.IsZero() {
				t = e.Received
			}
			if !t.IsZero() {
				dst = appendTime(dst, t)
			}
		}
	}
	return dst
}

// appendTime appends t as TimeFormat does, several times faster than
// AppendFormat (this runs once per line). Years outside 0..9999 take
// AppendFormat's path.
func appendTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(dst, TimeFormat)
	}
	hour, minute, sec := t.Clock()
	ms := t.Nanosecond() / 1e6
	dst = append(dst,
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-',
		byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':',
		byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), '.',
		byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
	return dst
}

// encoder turns events into request bodies.
type encoder struct {
	enc  Encoding
	line *lineTemplate // for text
}

// appendEvent appends the encoded event, without framing, to dst.
func (en *encoder) appendEvent(dst []byte, e *event.Event) []byte {
	if en.enc != EncodingText {
		return e.AppendJSON(dst)
	}
	start := len(dst)
	dst = en.line.execute(dst, e)
	for len(dst) > start && (dst[len(dst)-1] == '\n' || dst[len(dst)-1] == '\r') {
		dst = dst[:len(dst)-1]
	}
	if !utf8.Valid(dst[start:]) {
		fixed := bytes.ToValidUTF8(dst[start:], []byte("\uFFFD"))
		dst = append(dst[:start], fixed...)
	}
	return dst
}

// begin starts a body in dst.
func (en *encoder) begin(dst []byte) []byte {
	if en.enc == EncodingJSON {
		return append(dst, '[')
	}
	return dst
}

// add appends one encoded event to a body holding n events.
func (en *encoder) add(dst, line []byte, n int) []byte {
	if en.enc == EncodingJSON {
		if n > 0 {
			dst = append(dst, ',')
		}
		return append(dst, line...)
	}
	dst = append(dst, line...)
	return append(dst, '\n')
}

// sizeWith is the size of a body of size bodyLen holding n events once an
// encoded event of lineLen bytes is added and the body ended.
func (en *encoder) sizeWith(bodyLen, lineLen, n int) int {
	if en.enc == EncodingJSON {
		if n > 0 {
			return bodyLen + 1 + lineLen + 1
		}
		return bodyLen + lineLen + 1
	}
	return bodyLen + lineLen + 1
}

// end finishes a body.
func (en *encoder) end(dst []byte) []byte {
	if en.enc == EncodingJSON {
		return append(dst, ']')
	}
	return dst
}

// contentType is the encoding's Content-Type.
func (en *encoder) contentType() string {
	switch en.enc {
	case EncodingJSON:
		return "application/json"
	case EncodingText:
		return "text/plain; charset=utf-8"
	}
	return "application/x-ndjson"
}

// appendHeaderValue appends v made safe as a header value: control
// characters become spaces, and spaces and tabs at either end are dropped.
func appendHeaderValue(dst, v []byte) []byte {
	start := len(dst)
	for _, c := range v {
		if c < 0x20 && c != '\t' || c == 0x7f {
			c = ' '
		}
		dst = append(dst, c)
	}
	end := len(dst)
	for end > start && (dst[end-1] == ' ' || dst[end-1] == '\t') {
		end--
	}
	first := start
	for first < end && (dst[first] == ' ' || dst[first] == '\t') {
		first++
	}
	if first > start {
		copy(dst[start:], dst[first:end])
		end -= first - start
	}
	return dst[:end]
}
