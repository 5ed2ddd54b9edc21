package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// TimeFormat is how times appear in the JSON form: RFC 3339 in UTC with
// nanoseconds, fixed width so that lexical order is time order.
const TimeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// AppendJSON appends the JSON form of e (one object, no trailing newline) to
// dst. Keys appear in this order, empty ones omitted: time, received,
// severity, severity_name, severity_source, facility, host, app, proc, msgid,
// message, fields, group, stream, source, id. Invalid UTF-8 is replaced by
// U+FFFD, so the output is always valid JSON.
func (e *Event) AppendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	if !e.Time.IsZero() {
		dst = append(dst, `"time":"`...)
		dst = e.Time.UTC().AppendFormat(dst, TimeFormat)
		dst = append(dst, `",`...)
	}
	if !e.Received.IsZero() {
		dst = append(dst, `"received":"`...)
		dst = e.Received.UTC().AppendFormat(dst, TimeFormat)
		dst = append(dst, `",`...)
	}
	dst = append(dst, `"severity":`...)
	dst = strconv.AppendUint(dst, uint64(e.Severity), 10)
	dst = append(dst, `,"severity_name":"`...)
	dst = append(dst, e.Severity.String()...)
	dst = append(dst, '"')
	if e.SeveritySource != SeverityUnset {
		dst = append(dst, `,"severity_source":"`...)
		dst = append(dst, e.SeveritySource.String()...)
		dst = append(dst, '"')
	}
	if e.Facility != FacilityNone {
		dst = append(dst, `,"facility":"`...)
		dst = append(dst, e.Facility.String()...)
		dst = append(dst, '"')
	}
	dst = appendKV(dst, "host", e.Host)
	dst = appendKV(dst, "app", e.App)
	dst = appendKV(dst, "proc", e.Proc)
	dst = appendKV(dst, "msgid", e.MsgID)
	dst = appendKV(dst, "message", e.Message)
	if len(e.Fields) > 0 {
		dst = append(dst, `,"fields":{`...)
		for i, f := range e.Fields {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendFieldKey(dst, e.Fields, i)
			dst = append(dst, ':')
			dst = f.appendJSONValue(dst)
		}
		dst = append(dst, '}')
	}
	dst = appendKV(dst, "group", e.Group)
	dst = appendKV(dst, "stream", e.Stream)
	dst = appendKV(dst, "source", e.Source)
	dst = appendKV(dst, "id", e.ID)
	return append(dst, '}')
}

// appendFieldKey writes the key of fields[i]. A key used by an earlier field
// too (RFC 5424 allows repeated parameters, JSON bodies may repeat keys) gets
// a suffix "#2", "#3", ..., so that the object has unique keys, as strict
// consumers such as Elasticsearch require, and no value is lost.
func appendFieldKey(dst []byte, fields []Field, i int) []byte {
	key := fields[i].Key
	n := 1
	for j := range i {
		if fields[j].Key == key {
			n++
		}
	}
	if n == 1 {
		return AppendQuoted(dst, key)
	}
	return AppendQuoted(dst, key+"#"+strconv.Itoa(n))
}

func appendKV(dst []byte, key, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, key...)
	dst = append(dst, '"', ':')
	return AppendQuoted(dst, value)
}

// appendJSONValue writes the field's value as its type says, falling back to
// a JSON string when the text does not fit the type, so output stays valid.
func (f Field) appendJSONValue(dst []byte) []byte {
	switch f.Type {
	case Number:
		if IsJSONNumber(f.Value) {
			return append(dst, f.Value...)
		}
	case Bool:
		if f.Value == "true" || f.Value == "false" {
			return append(dst, f.Value...)
		}
	case JSON:
		// json.Valid lets invalid UTF-8 inside strings through; the output
		// must be valid UTF-8 for every consumer.
		v := strings.ToValidUTF8(f.Value, "\ufffd")
		if json.Valid([]byte(v)) {
			return appendCompact(dst, v)
		}
	}
	return AppendQuoted(dst, f.Value)
}

func appendCompact(dst []byte, raw string) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(raw)); err != nil {
		return AppendQuoted(dst, raw)
	}
	return append(dst, b.Bytes()...)
}

// IsJSONNumber reports whether s is a JSON number literal (RFC 8259 section 6).
func IsJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	return i == len(s)
}

const hexDigits = "0123456789abcdef"

// AppendQuoted appends s as a JSON string. Control characters, quotes,
// backslashes, U+2028 and U+2029 are escaped; invalid UTF-8 becomes U+FFFD.
func AppendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// MarshalJSON implements json.Marshaler with AppendJSON.
func (e Event) MarshalJSON() ([]byte, error) {
	return e.AppendJSON(nil), nil
}

// jsonEvent mirrors the JSON form for decoding.
type jsonEvent struct {
	Time           *string         `json:"time"`
	Received       *string         `json:"received"`
	Severity       *int            `json:"severity"`
	SeverityName   *string         `json:"severity_name"`
	SeveritySource string          `json:"severity_source"`
	Facility       string          `json:"facility"`
	Host           string          `json:"host"`
	App            string          `json:"app"`
	Proc           string          `json:"proc"`
	MsgID          string          `json:"msgid"`
	Message        string          `json:"message"`
	Fields         json.RawMessage `json:"fields"`
	Group          string          `json:"group"`
	Stream         string          `json:"stream"`
	Source         string          `json:"source"`
	ID             string          `json:"id"`
}

// UnmarshalJSON reads the JSON form written by AppendJSON, so that output of
// sluice can be read by sluice again. Unknown keys are errors; the order of
// fields is kept.
func (e *Event) UnmarshalJSON(data []byte) error {
	var j jsonEvent
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("cannot decode event JSON: %w", err)
	}
	e.Reset()
	var err error
	if j.Time != nil {
		if e.Time, err = time.Parse(time.RFC3339Nano, *j.Time); err != nil {
			return fmt.Errorf("cannot decode event JSON: time: %w", err)
		}
	}
	if j.Received != nil {
		if e.Received, err = time.Parse(time.RFC3339Nano, *j.Received); err != nil {
			return fmt.Errorf("cannot decode event JSON: received: %w", err)
		}
	}
	e.Severity = Info
	switch {
	case j.Severity != nil:
		if *j.Severity < 0 || *j.Severity > int(Debug) {
			return fmt.Errorf("cannot decode event JSON: severity %d out of range 0..7", *j.Severity)
		}
		e.Severity = Severity(*j.Severity)
	case j.SeverityName != nil:
		s, ok := ParseSeverity(*j.SeverityName)
		if !ok {
			return fmt.Errorf("cannot decode event JSON: unknown severity_name %q", *j.SeverityName)
		}
		e.Severity = s
	}
	switch j.SeveritySource {
	case "":
	case "pri":
		e.SeveritySource = SeverityPRI
	case "inferred":
		e.SeveritySource = SeverityInferred
	case "field":
		e.SeveritySource = SeverityField
	default:
		return fmt.Errorf("cannot decode event JSON: unknown severity_source %q (want pri, inferred or field)", j.SeveritySource)
	}
	if j.Facility != "" {
		f, ok := ParseFacility(j.Facility)
		if !ok {
			return fmt.Errorf("cannot decode event JSON: unknown facility %q", j.Facility)
		}
		e.Facility = f
	}
	e.Host, e.App, e.Proc, e.MsgID, e.Message = j.Host, j.App, j.Proc, j.MsgID, j.Message
	e.Group, e.Stream, e.Source, e.ID = j.Group, j.Stream, j.Source, j.ID
	if len(j.Fields) > 0 && string(j.Fields) != "null" {
		if e.Fields, err = decodeFields(e.Fields, j.Fields); err != nil {
			return fmt.Errorf("cannot decode event JSON: fields: %w", err)
		}
	}
	return nil
}

// decodeFields reads a JSON object into fields, keeping key order.
func decodeFields(dst []Field, raw json.RawMessage) ([]Field, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return dst, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return dst, fmt.Errorf("want an object, got %s", raw)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return dst, err
		}
		key := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return dst, err
		}
		dst = append(dst, FieldFromJSON(key, v))
	}
	return dst, nil
}

// FieldFromJSON makes a field from a raw JSON value: strings are unquoted,
// numbers and booleans keep their literal text, objects, arrays and null stay
// raw JSON.
func FieldFromJSON(key string, raw []byte) Field {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return Field{Key: key, Type: JSON, Value: "null"}
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			return Field{Key: key, Value: s}
		}
	case 't', 'f':
		return Field{Key: key, Value: string(raw), Type: Bool}
	case '{', '[', 'n':
		return Field{Key: key, Value: string(raw), Type: JSON}
	default:
		return Field{Key: key, Value: string(raw), Type: Number}
	}
	return Field{Key: key, Value: string(raw), Type: JSON}
}
