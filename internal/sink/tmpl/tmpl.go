// Package tmpl expands the templates sinks use for file paths, index names,
// HTTP headers and digest keys: {name} placeholders take a value from the
// event, %Y-style specifiers its time (UTC).
//
//	./archive/{group}/{date}.ndjson
//	logs-{app}-%Y.%m.%d
//	X-Sumo-Category: heroku/{app}/{fields.level}
//
// Placeholders: {group} {stream} {app} {host} {proc} {msgid} {source}
// {severity} (its name) {facility} {id} {date} (the event's UTC day,
// 2006-01-02) and {fields.KEY} (the value of field KEY; empty when absent).
// Time specifiers: %Y year, %m month, %d day, %H hour, %M minute, %j day of
// the year, %% a percent sign. A template is parsed once, with an error
// naming what is wrong, and expanded without allocating beyond dst.
package tmpl

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

// Template is a parsed template.
type Template struct {
	text  string
	parts []part
}

type partKind uint8

const (
	literal partKind = iota
	eventValue
	fieldValue
	timeSpec
)

type part struct {
	kind partKind
	s    string // literal text, value name, field key
	spec byte   // for timeSpec
}

// Names are the placeholders other than {fields.KEY}.
var Names = []string{"group", "stream", "app", "host", "proc", "msgid", "source", "severity", "facility", "id", "date"}

// Parse parses text.
func Parse(text string) (*Template, error) {
	t := &Template{text: text}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, part{kind: literal, s: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch c {
		case '{':
			end := strings.IndexByte(text[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("cannot parse template %q: the { at offset %d is not closed with }", text, i)
			}
			name := text[i+1 : i+end]
			flush()
			switch {
			case strings.HasPrefix(name, "fields.") && len(name) > len("fields."):
				t.parts = append(t.parts, part{kind: fieldValue, s: name[len("fields."):]})
			case slices.Contains(Names, name):
				t.parts = append(t.parts, part{kind: eventValue, s: name})
			default:
				return nil, fmt.Errorf("cannot parse template %q: unknown placeholder {%s}; known are {%s} and {fields.KEY}", text, name, strings.Join(Names, "} {"))
			}
			i += end
		case '}':
			return nil, fmt.Errorf("cannot parse template %q: the } at offset %d closes nothing (write placeholders as {name})", text, i)
		case '%':
			if i+1 >= len(text) {
				return nil, fmt.Errorf("cannot parse template %q: it ends in %%; write %%%% for a percent sign", text)
			}
			s := text[i+1]
			switch s {
			case '%':
				lit.WriteByte('%')
			case 'Y', 'm', 'd', 'H', 'M', 'j':
				flush()
				t.parts = append(t.parts, part{kind: timeSpec, spec: s})
			default:
				return nil, fmt.Errorf("cannot parse template %q: unknown time specifier %%%c; known are %%Y %%m %%d %%H %%M %%j and %%%%", text, s)
			}
			i++
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return t, nil
}

// MustParse is Parse for templates known to be valid; it panics otherwise.
func MustParse(text string) *Template {
	t, err := Parse(text)
	if err != nil {
		panic("BUG: " + err.Error())
	}
	return t
}

// String returns the template as written.
func (t *Template) String() string { return t.text }

// Static reports whether the template expands to the same text for every
// event.
func (t *Template) Static() bool {
	for _, p := range t.parts {
		if p.kind != literal {
			return false
		}
	}
	return true
}

// UsesTime reports whether the expansion depends on the event's time.
func (t *Template) UsesTime() bool {
	for _, p := range t.parts {
		if p.kind == timeSpec || (p.kind == eventValue && p.s == "date") {
			return true
		}
	}
	return false
}

// Execute appends the expansion for e to dst.
func (t *Template) Execute(dst []byte, e *event.Event) []byte {
	return t.ExecuteFunc(dst, e, nil)
}

// ExecuteFunc appends the expansion for e to dst, passing every value taken
// from the event (not literals, not times) through escape when it is not
// nil — e.g. to make a value safe as one path element.
func (t *Template) ExecuteFunc(dst []byte, e *event.Event, escape func(dst []byte, value string) []byte) []byte {
	for _, p := range t.parts {
		switch p.kind {
		case literal:
			dst = append(dst, p.s...)
		case timeSpec:
			dst = appendTime(dst, e.Time.UTC(), p.spec)
		case eventValue:
			if p.s == "date" {
				dst = e.Time.UTC().AppendFormat(dst, time.DateOnly)
				continue
			}
			v := Value(e, p.s)
			if escape != nil {
				dst = escape(dst, v)
			} else {
				dst = append(dst, v...)
			}
		case fieldValue:
			f, _ := e.Field(p.s)
			if escape != nil {
				dst = escape(dst, f.Value)
			} else {
				dst = append(dst, f.Value...)
			}
		}
	}
	return dst
}

// Value returns the value of the placeholder name (one of Names other than
// date) for e.
func Value(e *event.Event, name string) string {
	switch name {
	case "group":
		return e.Group
	case "stream":
		return e.Stream
	case "app":
		return e.App
	case "host":
		return e.Host
	case "proc":
		return e.Proc
	case "msgid":
		return e.MsgID
	case "source":
		return e.Source
	case "severity":
		return e.Severity.String()
	case "facility":
		return e.Facility.String()
	case "id":
		return e.ID
	}
	return ""
}

func appendTime(dst []byte, t time.Time, spec byte) []byte {
	switch spec {
	case 'Y':
		return appendInt(dst, t.Year(), 4)
	case 'm':
		return appendInt(dst, int(t.Month()), 2)
	case 'd':
		return appendInt(dst, t.Day(), 2)
	case 'H':
		return appendInt(dst, t.Hour(), 2)
	case 'M':
		return appendInt(dst, t.Minute(), 2)
	case 'j':
		return appendInt(dst, t.YearDay(), 3)
	}
	return dst
}

// appendInt appends v zero-padded to width digits; a negative v (a year
// before 1 AD from a bad timestamp) is written as 0 so that it cannot add
// a "-" or break a path into more elements.
func appendInt(dst []byte, v, width int) []byte {
	v = max(v, 0)
	var b [8]byte
	i := len(b)
	for v > 0 || i > len(b)-width {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if i == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
}
