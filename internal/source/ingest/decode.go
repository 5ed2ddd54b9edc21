package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluicelog/sluice/internal/event"
)

// rejection is one event refused as invalid: its index in the request (the
// array position, or the count of non-blank NDJSON or text lines before
// it) and why.
type rejection struct {
	Index int    `json:"index"`
	Error string `json:"error"`
}

// batch is a decoded request body: the valid events and the invalid ones.
type batch struct {
	events []event.Event
	// index holds each valid event's index in the request.
	index    []int
	rejected []rejection // the first maxListedErrors
	nReject  int
}

func (b *batch) total() int { return len(b.events) + b.nReject }

func (b *batch) reject(index int, err error) {
	b.nReject++
	if len(b.rejected) < maxListedErrors {
		b.rejected = append(b.rejected, rejection{Index: index, Error: err.Error()})
	}
}

// decodeJSON reads a JSON array of events or NDJSON (a single object being
// NDJSON of one line), told apart by the first non-space byte. A request
// whose shape cannot be read (not JSON, an array that is not valid JSON)
// or that has more than maxEvents events is refused as a whole; an invalid
// event is rejected alone.
func decodeJSON(body []byte, maxEvents int) (*batch, *httpError) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	start := skipSpace(body, 0)
	b := &batch{}
	if start == len(body) {
		return b, nil
	}
	switch body[start] {
	case '[':
		return b, decodeArray(b, body, start, maxEvents)
	case '{':
		return b, decodeNDJSON(b, body, maxEvents)
	}
	return nil, errorf(http.StatusBadRequest, "cannot decode the request body: it starts with %q, not '[' (a JSON array of events) or '{' (NDJSON); send plain lines with Content-Type: text/plain", preview(body[start:]))
}

// decodeArray reads a JSON array of events. body must be valid JSON as a
// whole: an array whose syntax breaks cannot be resynchronised.
func decodeArray(b *batch, body []byte, i, maxEvents int) *httpError {
	if !json.Valid(body) {
		return errorf(http.StatusBadRequest, "cannot decode the JSON array of events: %v; nothing stored", syntaxError(body))
	}
	i = skipSpace(body, i+1)
	if body[i] == ']' {
		return nil
	}
	for index := 0; ; index++ {
		if index >= maxEvents {
			return errorf(http.StatusRequestEntityTooLarge, "request body has more than %d events; nothing stored", maxEvents)
		}
		end := skipValue(body, i)
		b.add(index, body[i:end])
		i = skipSpace(body, end)
		if body[i] == ']' {
			return nil
		}
		i = skipSpace(body, i+1) // the comma
	}
}

// decodeNDJSON reads one event per non-blank line.
func decodeNDJSON(b *batch, body []byte, maxEvents int) *httpError {
	index := 0
	for len(body) > 0 {
		line := body
		if nl := bytes.IndexByte(body, '\n'); nl >= 0 {
			line, body = body[:nl], body[nl+1:]
		} else {
			body = nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if index >= maxEvents {
			return errorf(http.StatusRequestEntityTooLarge, "request body has more than %d events; nothing stored", maxEvents)
		}
		if !json.Valid(line) {
			b.reject(index, fmt.Errorf("cannot decode line as JSON: %v", syntaxError(line)))
		} else {
			b.add(index, line)
		}
		index++
	}
	return nil
}

// decodeText makes one event of every non-blank line; a trailing "\r" is
// not part of the message.
func decodeText(body []byte, maxEvents int) (*batch, *httpError) {
	text := string(body) // one copy; every message shares it
	n := 0
	for line := range strings.Lines(text) {
		if strings.TrimSpace(line) != "" {
			n++
		}
	}
	if n > maxEvents {
		return nil, errorf(http.StatusRequestEntityTooLarge, "request body has more than %d events (lines); nothing stored", maxEvents)
	}
	b := &batch{events: make([]event.Event, 0, n), index: make([]int, 0, n)}
	for line := range strings.Lines(text) {
		if strings.TrimSpace(line) == "" {
			continue
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		b.index = append(b.index, len(b.events))
		b.events = append(b.events, event.Event{Message: line, Severity: event.Info})
	}
	return b, nil
}

// add decodes one event (valid JSON) and keeps it or rejects it.
func (b *batch) add(index int, raw []byte) {
	var e event.Event
	if err := decodeEvent(raw, &e); err != nil {
		b.reject(index, err)
		return
	}
	b.events = append(b.events, e)
	b.index = append(b.index, index)
}

// decodeEvent reads one event object; raw must be valid JSON.
func decodeEvent(raw []byte, e *event.Event) error {
	if raw[0] != '{' {
		return fmt.Errorf("cannot decode event: want a JSON object, got %s", jsonKind(raw[0]))
	}
	e.Severity = event.Info
	hasMessage := false
	i := skipSpace(raw, 1)
	for raw[i] != '}' {
		kEnd := skipValue(raw, i)
		key := decodeString(raw[i:kEnd])
		i = skipSpace(raw, skipSpace(raw, kEnd)+1) // the colon
		vEnd := skipValue(raw, i)
		v := raw[i:vEnd]
		i = skipSpace(raw, vEnd)
		if raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
		var err error
		switch key {
		case "message":
			if v[0] != '"' {
				return fmt.Errorf("cannot decode event: message is %s, want a string", jsonKind(v[0]))
			}
			e.Message, hasMessage = decodeString(v), true
		case "time":
			e.Time, err = parseTime(v)
		case "level":
			err = parseLevel(v, e)
		case "fields":
			e.Fields, err = decodeFields(v, e.Fields[:0])
		case "group":
			err = stringValue(key, v, &e.Group)
		case "stream":
			err = stringValue(key, v, &e.Stream)
		case "app":
			err = stringValue(key, v, &e.App)
		case "host":
			err = stringValue(key, v, &e.Host)
		case "proc":
			err = stringValue(key, v, &e.Proc)
		case "id":
			err = stringValue(key, v, &e.ID)
		default:
			err = fmt.Errorf("cannot decode event: unknown key %q (custom data goes under \"fields\")", key)
		}
		if err != nil {
			return err
		}
	}
	if !hasMessage {
		return errors.New("cannot decode event: missing message")
	}
	return nil
}

// stringValue sets *dst to a string value; null leaves it alone.
func stringValue(key string, v []byte, dst *string) error {
	switch v[0] {
	case 'n':
		return nil
	case '"':
		*dst = decodeString(v)
		return nil
	}
	return fmt.Errorf("cannot decode event: %s is %s, want a string", key, jsonKind(v[0]))
}

// parseTime reads an RFC 3339 string, or a number of seconds or (from
// 1e11 on, which as seconds would be the year 5138) milliseconds since
// 1970. null is no time.
func parseTime(v []byte) (time.Time, error) {
	switch {
	case v[0] == 'n':
		return time.Time{}, nil
	case v[0] == '"':
		s := decodeString(v)
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("cannot parse time %q: want RFC 3339 (2006-01-02T15:04:05Z) or epoch seconds or milliseconds", s)
		}
		return t, nil
	case v[0] == '-' || v[0] >= '0' && v[0] <= '9':
		f, err := strconv.ParseFloat(string(v), 64)
		if err == nil && math.Abs(f) < 1e11 {
			f *= 1000
		}
		// Years 1 to 9999, as RFC 3339 can write them.
		if err != nil || f < -62135596800e3 || f > 253402300799e3 {
			return time.Time{}, fmt.Errorf("cannot parse time %s: epoch number out of range", v)
		}
		if bytes.ContainsAny(v, ".eE") {
			ms := math.Floor(f)
			return time.UnixMilli(int64(ms)).Add(time.Duration((f - ms) * 1e6)).UTC(), nil
		}
		n, _ := strconv.ParseInt(string(v), 10, 64)
		if n > -1e11 && n < 1e11 {
			return time.Unix(n, 0).UTC(), nil
		}
		return time.UnixMilli(n).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("cannot parse time: it is %s, want an RFC 3339 string or an epoch number", jsonKind(v[0]))
}

// parseLevel reads a level name (ParseSeverity's names) or a syslog
// severity number 0..7 (as a number or a string); null is no level.
func parseLevel(v []byte, e *event.Event) error {
	var s string
	switch v[0] {
	case 'n':
		return nil
	case '"':
		s = decodeString(v)
	default:
		if v[0] != '-' && (v[0] < '0' || v[0] > '9') {
			return fmt.Errorf("cannot parse level: it is %s, want a name or a syslog severity 0..7", jsonKind(v[0]))
		}
		s = string(v)
	}
	sev, ok := severityOf(s)
	if !ok {
		return fmt.Errorf("cannot parse level %q: want emerg, alert, crit, error, warning, notice, info, debug (or a common alias) or 0..7", s)
	}
	e.Severity, e.SeveritySource = sev, event.SeverityField
	return nil
}

// severityOf reads a level name or a syslog number 0..7.
func severityOf(s string) (event.Severity, bool) {
	if len(s) == 1 && s[0] >= '0' && s[0] <= '7' {
		return event.Severity(s[0] - '0'), true
	}
	return event.ParseSeverity(strings.TrimSpace(s))
}

// decodeFields reads a fields object into fields, in input order; null is
// no fields.
func decodeFields(v []byte, fields []event.Field) ([]event.Field, error) {
	switch v[0] {
	case 'n':
		return fields, nil
	case '{':
	default:
		return fields, fmt.Errorf("cannot decode fields: it is %s, want an object", jsonKind(v[0]))
	}
	i := skipSpace(v, 1)
	for v[i] != '}' {
		kEnd := skipValue(v, i)
		key := decodeString(v[i:kEnd])
		i = skipSpace(v, skipSpace(v, kEnd)+1)
		vEnd := skipValue(v, i)
		if val := v[i:vEnd]; val[0] == '"' {
			fields = append(fields, event.Field{Key: key, Value: decodeString(val)})
		} else {
			fields = append(fields, event.FieldFromJSON(key, val))
		}
		i = skipSpace(v, vEnd)
		if v[i] == ',' {
			i = skipSpace(v, i+1)
		}
	}
	return fields, nil
}

// decodeString returns the value of a valid JSON string literal.
func decodeString(v []byte) string {
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner)
	}
	var s string
	_ = json.Unmarshal(v, &s) // v is valid JSON
	return s
}

// skipSpace returns the index of the first non-space byte from i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at b[i]; b must be
// valid JSON.
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) && !strings.ContainsRune(",}] \t\r\n", rune(b[i])) {
		i++
	}
	return i
}

// skipString returns the end of the string literal starting at b[i].
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// jsonKind names the kind of JSON value that starts with c.
func jsonKind(c byte) string {
	switch c {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// syntaxError returns why invalid JSON is invalid, with the byte offset.
func syntaxError(b []byte) error {
	var v json.RawMessage
	err := json.Unmarshal(b, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%s at byte %d", strings.TrimPrefix(se.Error(), "json: "), se.Offset)
	}
	if err == nil {
		return errors.New("invalid JSON")
	}
	return err
}

// preview returns the start of b for an error message.
func preview(b []byte) string {
	if len(b) > 16 {
		b = b[:16]
	}
	return string(b)
}
