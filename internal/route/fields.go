package route

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse/jsonbody"
	"github.com/sluicelog/sluice/internal/parse/logfmt"
)

// Parse reads the message (or a field) as JSON or logfmt and adds its keys
// as fields. A key the event already has is replaced (the first field of
// that name takes the new value), so parsing a body the source already
// parsed does not duplicate fields.
type Parse struct {
	// Format is "json", "logfmt" or "auto" (the default: JSON when the text
	// starts with '{', logfmt otherwise).
	Format string
	// Field to parse: "message" (the default) or a field name.
	Field string
	// Prefix is put before every key found, e.g. "body.".
	Prefix string
}

const (
	formatAuto = iota
	formatJSON
	formatLogfmt
)

type parseTransform struct {
	from   target
	format int
	prefix string
	errors atomic.Uint64
}

func newParse(s Parse) (*parseTransform, error) {
	t := &parseTransform{prefix: s.Prefix}
	switch s.Format {
	case "", "auto":
		t.format = formatAuto
	case "json":
		t.format = formatJSON
	case "logfmt":
		t.format = formatLogfmt
	default:
		return nil, fmt.Errorf("unknown format %q; use json, logfmt or auto", s.Format)
	}
	field := s.Field
	if field == "" {
		field = "message"
	}
	var err error
	if t.from, err = parseTarget(field); err != nil {
		return nil, err
	}
	if t.from.attr == targetSeverity {
		return nil, errors.New("cannot parse the severity; name the message or a field")
	}
	return t, nil
}

// Apply adds the fields; a text that is not of the format is counted
// (Errors) and the event kept unchanged. With format auto, only a text that
// starts with '{' but is not JSON is counted: prose is not an error.
func (t *parseTransform) Apply(e *event.Event, _ time.Time) bool {
	f, ok := t.from.get(e)
	if !ok || (f.Type != event.String && f.Type != event.JSON) {
		return true
	}
	s := strings.TrimSpace(f.Value)
	if s == "" {
		return true
	}
	format := t.format
	if format == formatAuto {
		switch {
		case s[0] == '{':
			format = formatJSON
		case strings.IndexByte(s, '=') >= 0:
			format = formatLogfmt
		default:
			return true
		}
	}
	n := len(e.Fields)
	var fields []event.Field
	if format == formatJSON {
		var err error
		if fields, err = jsonbody.AppendFields(e.Fields, s); err != nil {
			t.errors.Add(1)
			return true
		}
	} else {
		if fields, ok = logfmt.AppendFields(e.Fields, s); !ok {
			if t.format == formatLogfmt {
				t.errors.Add(1)
			}
			return true
		}
	}
	if t.prefix != "" {
		for i := n; i < len(fields); i++ {
			fields[i].Key = t.prefix + fields[i].Key
		}
	}
	e.Fields = mergeFields(fields, n)
	return true
}

// mergeFields moves each field from fields[n:] whose key is in fields[:n]
// onto the first field with that key.
func mergeFields(fields []event.Field, n int) []event.Field {
	out := n
	for i := n; i < len(fields); i++ {
		f := fields[i]
		replaced := false
		for j := range n {
			if fields[j].Key == f.Key {
				fields[j] = f
				replaced = true
				break
			}
		}
		if !replaced {
			fields[out] = f
			out++
		}
	}
	clear(fields[out:])
	return fields[:out]
}

// Kind returns "parse".
func (t *parseTransform) Kind() string { return "parse" }

// Errors counts texts that were not of the format.
func (t *parseTransform) Errors() uint64 { return t.errors.Load() }

// Set sets a top-level attribute or a field to a template's expansion or an
// expression's value. Exactly one of Value and Expr is set.
//
// Field names: message, host, app, proc, msgid, group, stream, severity (a
// name or a number 0-7), or a field ("fields.KEY", or any other plain name
// KEY). An expression's value becomes a field as: a string a String field, a
// number a Number, a bool a Bool, a time an RFC 3339 String, a list or map
// JSON; nil deletes the field (and empties an attribute).
type Set struct {
	Field string
	// Value is a template: the placeholders of internal/sink/tmpl ({app},
	// {fields.KEY}, %Y, ...) and {message}, e.g. "{app}-{fields.region}".
	Value string
	// Expr is an expr-lang expression over the event, e.g. `upper(app)`.
	Expr string
}

type setTransform struct {
	to     target
	tmpl   *template
	static string
	prog   *program
	buf    []byte
	errors atomic.Uint64
}

func newSet(s Set) (*setTransform, error) {
	to, err := parseTarget(s.Field)
	if err != nil {
		return nil, err
	}
	t := &setTransform{to: to}
	switch {
	case (s.Value == "") == (s.Expr == ""):
		return nil, errors.New("set exactly one of value (a template) and expr (an expression)")
	case s.Value != "":
		if t.tmpl, err = parseTemplate(s.Value); err != nil {
			return nil, err
		}
		if t.tmpl.static() {
			t.static = string(t.tmpl.execute(nil, &event.Event{}))
		}
		if to.attr == targetSeverity && t.tmpl.static() {
			if _, ok := parseSeverityValue(t.static); !ok {
				return nil, fmt.Errorf("value %q is not a severity; use a name (error, warning, ...) or a number 0-7", t.static)
			}
		}
	default:
		if t.prog, err = compileProgram(s.Expr); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Apply sets the value; a failing expression or a value that is not a
// severity leaves the event unchanged and is counted (Errors).
func (t *setTransform) Apply(e *event.Event, _ time.Time) bool {
	if t.prog == nil {
		v := t.static
		if !t.tmpl.static() {
			t.buf = t.tmpl.execute(t.buf[:0], e)
			v = string(t.buf)
		}
		if !t.to.set(e, event.Field{Value: v, Type: event.String}) {
			t.errors.Add(1)
		}
		return true
	}
	out, err := t.prog.run(e)
	if err != nil {
		t.errors.Add(1)
		return true
	}
	if out == nil {
		if t.to.attr == targetSeverity {
			t.errors.Add(1)
		} else {
			t.to.clear(e)
		}
		return true
	}
	f, ok := anyField(out)
	if !ok || !t.to.set(e, f) {
		t.errors.Add(1)
	}
	return true
}

// anyField turns an expression's value into a field value.
func anyField(v any) (event.Field, bool) {
	switch v := v.(type) {
	case string:
		return event.Field{Value: v, Type: event.String}, true
	case bool:
		return event.Field{Value: strconv.FormatBool(v), Type: event.Bool}, true
	case int:
		return event.Field{Value: strconv.Itoa(v), Type: event.Number}, true
	case int64:
		return event.Field{Value: strconv.FormatInt(v, 10), Type: event.Number}, true
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return event.Field{}, false
		}
		return event.Field{Value: formatFloat(v), Type: event.Number}, true
	case time.Time:
		return event.Field{Value: v.Format(time.RFC3339Nano), Type: event.String}, true
	case time.Duration:
		return event.Field{Value: v.String(), Type: event.String}, true
	}
	b, err := json.Marshal(v)
	if err != nil {
		return event.Field{}, false
	}
	return event.Field{Value: string(b), Type: event.JSON}, true
}

// formatFloat writes v as encoding/json does: plain decimals, exponents only
// for very small and very large magnitudes.
func formatFloat(v float64) string {
	abs := math.Abs(v)
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// Kind returns "set".
func (t *setTransform) Kind() string { return "set" }

// Errors counts events the value could not be set on.
func (t *setTransform) Errors() uint64 { return t.errors.Load() }

// Rename moves a value from one name to another: field to field, a
// top-level attribute to a field (the attribute is emptied), a field to an
// attribute (the field is deleted), or attribute to attribute. Names are
// read as Set's are. Renaming from severity copies its name (the severity
// stays); renaming to severity sets it when the value names one. An event
// without the From value is left alone; a field already named To is
// replaced.
type Rename struct {
	From, To string
}

type renameTransform struct {
	from, to target
	errors   atomic.Uint64
}

func newRename(s Rename) (*renameTransform, error) {
	from, err := parseTarget(s.From)
	if err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	to, err := parseTarget(s.To)
	if err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	if from == to {
		return nil, fmt.Errorf("from and to are both %s", from)
	}
	return &renameTransform{from: from, to: to}, nil
}

// Apply renames.
func (t *renameTransform) Apply(e *event.Event, _ time.Time) bool {
	f, ok := t.from.get(e)
	if !ok {
		return true
	}
	if t.from.attr == targetField && t.to.attr == targetField {
		// Keep the field's place: rename it where it is.
		deleteFields(e, t.to.key)
		for i := range e.Fields {
			if e.Fields[i].Key == t.from.key {
				e.Fields[i].Key = t.to.key
				break
			}
		}
		return true
	}
	if !t.to.set(e, f) {
		t.errors.Add(1)
		return true
	}
	t.from.clear(e)
	return true
}

// Kind returns "rename".
func (t *renameTransform) Kind() string { return "rename" }

// Errors counts values renamed to severity that were not severities.
func (t *renameTransform) Errors() uint64 { return t.errors.Load() }

// Delete removes fields (every field of each name) and empties top-level
// attributes named as Set names them; the severity cannot be deleted.
type Delete struct {
	Fields []string
}

type deleteTransform struct {
	targets []target
}

func newDelete(s Delete) (*deleteTransform, error) {
	if len(s.Fields) == 0 {
		return nil, errors.New("fields is empty; name the fields to delete")
	}
	t := &deleteTransform{}
	for _, name := range s.Fields {
		tg, err := parseTarget(name)
		if err != nil {
			return nil, err
		}
		if tg.attr == targetSeverity {
			return nil, errors.New("cannot delete the severity; every event has one")
		}
		t.targets = append(t.targets, tg)
	}
	return t, nil
}

// Apply deletes.
func (t *deleteTransform) Apply(e *event.Event, _ time.Time) bool {
	for _, tg := range t.targets {
		tg.clear(e)
	}
	return true
}

// Kind returns "delete".
func (t *deleteTransform) Kind() string { return "delete" }

// Severity sets the event's severity (and its SeveritySource to "field")
// from a field or an expression whose value names a severity: a name in any
// case as loggers write it ("ERROR", "warn", "fatal" → crit, "panic" →
// emerg, "trace" → debug) or a syslog number 0-7 ("5" → notice). Exactly
// one of From and Expr is set. A missing field leaves the event alone; a
// value that is not a severity too, and is counted (Errors).
type Severity struct {
	// From is a field name ("level", "fields.level").
	From string
	// Expr is an expr-lang expression, e.g. `fields["status"] >= 500 ? "error" : "info"`.
	Expr string
}

type severityTransform struct {
	from   target
	prog   *program
	errors atomic.Uint64
}

func newSeverity(s Severity) (*severityTransform, error) {
	t := &severityTransform{}
	switch {
	case (s.From == "") == (s.Expr == ""):
		return nil, errors.New("set exactly one of from (a field) and expr (an expression)")
	case s.From != "":
		var err error
		if t.from, err = parseTarget(s.From); err != nil {
			return nil, err
		}
		if t.from.attr == targetSeverity {
			return nil, errors.New("from is the severity itself; name a field")
		}
	default:
		var err error
		if t.prog, err = compileProgram(s.Expr); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Apply sets the severity.
func (t *severityTransform) Apply(e *event.Event, _ time.Time) bool {
	var v string
	if t.prog == nil {
		f, ok := t.from.get(e)
		if !ok {
			return true
		}
		v = f.Value
	} else {
		out, err := t.prog.run(e)
		if err != nil {
			t.errors.Add(1)
			return true
		}
		switch out := out.(type) {
		case nil:
			return true
		case string:
			v = out
		case int:
			if out < 0 || out > 7 {
				t.errors.Add(1)
				return true
			}
			e.Severity, e.SeveritySource = event.Severity(out), event.SeverityField
			return true
		default:
			f, ok := anyField(out)
			if !ok {
				t.errors.Add(1)
				return true
			}
			v = f.Value
		}
	}
	sev, ok := parseSeverityValue(v)
	if !ok {
		t.errors.Add(1)
		return true
	}
	e.Severity, e.SeveritySource = sev, event.SeverityField
	return true
}

// Kind returns "severity".
func (t *severityTransform) Kind() string { return "severity" }

// Errors counts values that were not severities and failing expressions.
func (t *severityTransform) Errors() uint64 { return t.errors.Load() }

// Drop drops the events for which Where (an expr-lang rule, as a
// subscription's where) is true. An evaluation that fails keeps the event.
type Drop struct {
	Where string
}

type dropTransform struct {
	where   *Where
	dropped atomic.Uint64
}

func newDrop(s Drop) (*dropTransform, error) {
	if s.Where == "" {
		return nil, errors.New("where is empty; give the rule for the events to drop")
	}
	w, err := CompileWhere(s.Where)
	if err != nil {
		return nil, err
	}
	return &dropTransform{where: w}, nil
}

// Apply drops the event when the rule is true.
func (t *dropTransform) Apply(e *event.Event, _ time.Time) bool {
	if t.where.Match(e) {
		t.dropped.Add(1)
		return false
	}
	return true
}

// Kind returns "drop".
func (t *dropTransform) Kind() string { return "drop" }

// Dropped counts the events dropped.
func (t *dropTransform) Dropped() uint64 { return t.dropped.Load() }

// Errors counts evaluations of the rule that failed.
func (t *dropTransform) Errors() uint64 { return t.where.Errors() }
