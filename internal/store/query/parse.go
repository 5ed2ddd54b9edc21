package query

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/route/filterpattern"
)

// MaxLength is the longest query Parse accepts, in bytes.
const MaxLength = 4096

// maxDepth bounds nesting of parentheses and negations.
const maxDepth = 64

// fieldNames lists the field names a filter may use besides fields.KEY.
const fieldNames = "severity, app, host, proc, msgid, group, stream, source, id, facility"

// SyntaxError is the error Parse returns for a query it cannot read.
type SyntaxError struct {
	// Query is the query as given to Parse.
	Query string
	// Offset is the byte offset of the problem in Query.
	Offset int
	// Column is the 1-based character (rune) column of the problem.
	Column int
	// Msg says what was expected and what was found instead.
	Msg string
}

// Error returns "cannot parse query at column N: <Msg>".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("cannot parse query at column %d: %s", e.Column, e.Msg)
}

type parser struct {
	src   string
	pos   int
	depth int
}

// Parse reads a query. Errors are *SyntaxError values naming the column
// and what was expected.
func Parse(s string) (*Query, error) {
	q := &Query{src: s}
	if len(s) > MaxLength {
		return nil, &SyntaxError{Query: s, Offset: MaxLength, Column: utf8.RuneCountInString(s[:MaxLength]) + 1,
			Msg: fmt.Sprintf("the query has %d bytes, at most %d are allowed; shorten it", len(s), MaxLength)}
	}
	p := &parser{src: s}
	p.skipSpace()
	if p.eof() {
		return q, nil
	}
	if c := p.src[p.pos]; c == '{' || c == '[' {
		n, err := p.pattern(s[p.pos:], p.pos)
		if err != nil {
			return nil, err
		}
		n.whole = true
		q.Root = n
		return q, nil
	}
	n, err := p.orExpr()
	if err != nil {
		return nil, err
	}
	if !p.eof() {
		return nil, p.errAt(p.pos, "expected a term, a filter, OR or the end of the query, got %s", p.got(p.pos))
	}
	q.Root = n
	return q, nil
}

// MustParse is Parse for queries known to be valid (tests, constants); it
// panics on error.
func MustParse(s string) *Query {
	q, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return q
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) skipSpace() {
	for p.pos < len(p.src) && isSpace(p.src[p.pos]) {
		p.pos++
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func (p *parser) errAt(off int, format string, args ...any) error {
	if off > len(p.src) {
		off = len(p.src)
	}
	return &SyntaxError{Query: p.src, Offset: off, Column: utf8.RuneCountInString(p.src[:off]) + 1, Msg: fmt.Sprintf(format, args...)}
}

// got describes what is at off, for error messages.
func (p *parser) got(off int) string {
	if off >= len(p.src) {
		return "the end of the query"
	}
	end := off
	for end < len(p.src) && !isSpace(p.src[end]) && end-off < 20 {
		end++
	}
	if end == off {
		end = off + 1
	}
	return strconv.Quote(p.src[off:end])
}

// keyword reports whether the word kw (OR, AND, NOT) stands at the current
// position, followed by a space, a parenthesis or the end.
func (p *parser) keyword(kw string) bool {
	if !strings.HasPrefix(p.src[p.pos:], kw) {
		return false
	}
	end := p.pos + len(kw)
	return end == len(p.src) || isSpace(p.src[end]) || p.src[end] == '(' || p.src[end] == ')' || p.src[end] == '"' || p.src[end] == '-'
}

func (p *parser) orExpr() (Node, error) {
	var nodes []Node
	for {
		n, err := p.andExpr()
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
		p.skipSpace()
		if !p.keyword("OR") {
			break
		}
		p.pos += 2
		p.skipSpace()
	}
	if len(nodes) == 1 {
		return nodes[0], nil
	}
	var flat []Node
	for _, n := range nodes {
		if o, ok := n.(*Or); ok {
			flat = append(flat, o.Nodes...)
		} else {
			flat = append(flat, n)
		}
	}
	return &Or{Nodes: flat}, nil
}

func (p *parser) andExpr() (Node, error) {
	var nodes []Node
	for {
		p.skipSpace()
		if p.eof() || p.src[p.pos] == ')' || p.keyword("OR") {
			break
		}
		if p.keyword("AND") {
			if len(nodes) == 0 {
				return nil, p.errAt(p.pos, "expected a term or a filter before AND")
			}
			p.pos += 3
			p.skipSpace()
			if p.eof() || p.src[p.pos] == ')' || p.keyword("OR") || p.keyword("AND") {
				return nil, p.errAt(p.pos, "expected a term or a filter after AND, got %s", p.got(p.pos))
			}
			continue
		}
		n, err := p.unary()
		if err != nil {
			return nil, err
		}
		if a, ok := n.(*And); ok {
			nodes = append(nodes, a.Nodes...)
		} else {
			nodes = append(nodes, n)
		}
	}
	switch len(nodes) {
	case 0:
		return nil, p.errAt(p.pos, "expected a term or a filter, got %s", p.got(p.pos))
	case 1:
		return nodes[0], nil
	}
	return &And{Nodes: nodes}, nil
}

func (p *parser) unary() (Node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, p.errAt(p.pos, "the query nests deeper than %d levels; simplify it", maxDepth)
	}
	start := p.pos
	neg := false
	switch {
	case p.src[p.pos] == '-':
		p.pos++
		if p.eof() || isSpace(p.src[p.pos]) {
			return nil, p.errAt(start, "expected a term, a phrase or a filter right after -, got %s; write -word with no space", p.got(p.pos))
		}
		neg = true
	case p.keyword("NOT"):
		p.pos += 3
		p.skipSpace()
		if p.eof() || p.src[p.pos] == ')' {
			return nil, p.errAt(p.pos, "expected a term, a phrase or a filter after NOT, got %s", p.got(p.pos))
		}
		neg = true
	}
	if neg {
		n, err := p.unary()
		if err != nil {
			return nil, err
		}
		if inner, ok := n.(*Not); ok {
			return inner.Node, nil
		}
		return &Not{Node: n}, nil
	}
	return p.primary()
}

func (p *parser) primary() (Node, error) {
	start := p.pos
	switch p.src[p.pos] {
	case '(':
		p.pos++
		p.skipSpace()
		if !p.eof() && p.src[p.pos] == ')' {
			return nil, p.errAt(p.pos, "expected a term or a filter inside the parentheses, got \")\"")
		}
		n, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.eof() || p.src[p.pos] != ')' {
			return nil, p.errAt(p.pos, "expected \")\" to close the \"(\" at column %d, got %s", utf8.RuneCountInString(p.src[:start])+1, p.got(p.pos))
		}
		p.pos++
		return n, nil
	case ')':
		return nil, p.errAt(p.pos, "unexpected \")\": no \"(\" is open")
	case '"':
		text, err := p.quoted('"')
		if err != nil {
			return nil, err
		}
		prefix := !p.eof() && p.src[p.pos] == '*'
		if prefix {
			p.pos++
		}
		return newTerm(text, true, prefix), nil
	}
	// A field filter: name:value where name is letters, digits, '_' and
	// '.' (fields.KEY).
	i := p.pos
	for i < len(p.src) && isNameByte(p.src[i]) {
		i++
	}
	if i > p.pos && i < len(p.src) && p.src[i] == ':' {
		name := strings.ToLower(p.src[p.pos:i])
		after := i + 1
		if after == len(p.src) || isSpace(p.src[after]) || p.src[after] == ')' {
			// "ERROR:" is a term, not a filter without a value.
			return p.word()
		}
		return p.filter(name, p.pos, after)
	}
	return p.word()
}

func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.'
}

// word reads an unquoted term: everything up to a space or a parenthesis.
func (p *parser) word() (Node, error) {
	start := p.pos
	for p.pos < len(p.src) && !isSpace(p.src[p.pos]) && p.src[p.pos] != '(' && p.src[p.pos] != ')' {
		p.pos++
	}
	if p.pos == start {
		return nil, p.errAt(start, "expected a term, got %s", p.got(start))
	}
	text := p.src[start:p.pos]
	if len(text) > 1 && text[len(text)-1] == '*' {
		return newTerm(text[:len(text)-1], false, true), nil
	}
	return newTerm(text, false, false), nil
}

// quoted reads a string in q quotes at the current position; \q is a
// quote and \\ a backslash, other backslashes are kept.
func (p *parser) quoted(q byte) (string, error) {
	start := p.pos
	p.pos++
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '\\' && p.pos+1 < len(p.src) && (p.src[p.pos+1] == q || p.src[p.pos+1] == '\\'):
			b.WriteByte(p.src[p.pos+1])
			p.pos += 2
			continue
		case c == q:
			p.pos++
			return b.String(), nil
		}
		b.WriteByte(c)
		p.pos++
	}
	return "", p.errAt(start, "expected a closing %c for the string that starts here", q)
}

func newTerm(text string, phrase, prefix bool) *Term {
	lower := strings.ToLower(text)
	t := &Term{Text: text, Phrase: phrase, Prefix: prefix, lower: lower, ascii: true}
	for i := 0; i < len(lower); i++ {
		if lower[i] >= utf8.RuneSelf {
			t.ascii = false
			break
		}
	}
	if r, _ := utf8.DecodeRuneInString(text); text != "" && IsWordRune(r) {
		t.boundary = true
	}
	if r, _ := utf8.DecodeLastRuneInString(text); text != "" && IsWordRune(r) && !prefix {
		t.end = true
	}
	return t
}

func (p *parser) filter(name string, nameOff, valOff int) (Node, error) {
	p.pos = valOff
	if name == "pattern" {
		if c := p.src[p.pos]; c != '\'' && c != '"' {
			return nil, p.errAt(p.pos, "expected a quoted filter pattern after pattern: (pattern:'{ $.level = \"error\" }'), got %s", p.got(p.pos))
		}
		off := p.pos + 1
		src, err := p.quoted(p.src[p.pos])
		if err != nil {
			return nil, err
		}
		return p.pattern(src, off)
	}
	if name == "program" {
		name = "app"
	}
	f := &Filter{Field: name}
	switch {
	case strings.HasPrefix(name, "fields."):
		f.Field = "fields." + p.src[nameOff+len("fields."):valOff-1]
		f.Key = f.Field[len("fields."):]
		if f.Key == "" {
			return nil, p.errAt(nameOff, "expected a field name after fields. (fields.status:500)")
		}
	case !isKnownField(name):
		return nil, p.errAt(nameOff, "unknown field %q: want %s, fields.KEY or pattern; to search for the text, quote it: %s",
			p.src[nameOff:valOff-1], fieldNames, quote(p.src[nameOff:valOff]+p.peekValue()))
	}
	opOff := p.pos
	switch {
	case strings.HasPrefix(p.src[p.pos:], "<="):
		f.Op, p.pos = OpLe, p.pos+2
	case strings.HasPrefix(p.src[p.pos:], ">="):
		f.Op, p.pos = OpGe, p.pos+2
	case strings.HasPrefix(p.src[p.pos:], "<"):
		f.Op, p.pos = OpLt, p.pos+1
	case strings.HasPrefix(p.src[p.pos:], ">"):
		f.Op, p.pos = OpGt, p.pos+1
	case strings.HasPrefix(p.src[p.pos:], "="):
		p.pos++
	}
	valStart := p.pos
	if p.eof() || isSpace(p.src[p.pos]) || p.src[p.pos] == ')' {
		return nil, p.errAt(p.pos, "expected a value after %s:%s, got %s", f.Field, f.Op, p.got(p.pos))
	}
	if p.src[p.pos] == '"' {
		v, err := p.quoted('"')
		if err != nil {
			return nil, err
		}
		f.Value = v
	} else {
		for p.pos < len(p.src) && !isSpace(p.src[p.pos]) && p.src[p.pos] != ')' && p.src[p.pos] != '(' {
			p.pos++
		}
		f.Value = p.src[valStart:p.pos]
	}
	if f.Op != OpEq && f.Field != "severity" && f.Key == "" {
		return nil, p.errAt(opOff, "%s: comparisons (%s) work on severity and fields.KEY only; use %s:VALUE or a glob (%s:web*)", f.Field, f.Op, f.Field, f.Field)
	}
	f.lower = strings.ToLower(f.Value)
	f.glob = f.Op == OpEq && strings.Contains(f.Value, "*")
	if n, err := strconv.ParseFloat(strings.TrimSpace(f.Value), 64); err == nil && !f.glob {
		f.num, f.isNum = n, true
	}
	if f.Field == "severity" {
		s, ok := event.ParseSeverity(f.Value)
		if !ok {
			n, err := strconv.Atoi(f.Value)
			if err != nil || n < 0 || n > int(event.Debug) {
				return nil, p.errAt(valStart, "severity: expected a severity name (emerg, alert, crit, error, warning, notice, info, debug) or a number 0-7, got %q", f.Value)
			}
			s = event.Severity(n)
		}
		f.severity, f.glob = s, false
	}
	return f, nil
}

// peekValue returns the value text after the current position, for hints.
func (p *parser) peekValue() string {
	end := p.pos
	for end < len(p.src) && !isSpace(p.src[end]) && p.src[end] != ')' {
		end++
	}
	return p.src[p.pos:end]
}

func isKnownField(name string) bool {
	switch name {
	case "severity", "app", "host", "proc", "msgid", "group", "stream", "source", "id", "facility":
		return true
	}
	return false
}

// pattern compiles a filter pattern that starts at byte off of the query.
func (p *parser) pattern(src string, off int) (*Pattern, error) {
	c, err := filterpattern.Compile(src)
	if err != nil {
		var se *filterpattern.SyntaxError
		if errors.As(err, &se) {
			return nil, p.errAt(off+se.Offset, "in the filter pattern: %s", se.Msg)
		}
		return nil, p.errAt(off, "in the filter pattern: %v", err)
	}
	return &Pattern{Source: src, Compiled: c}, nil
}

// ParseTime reads a time as the API and CLI take it for since and until:
// RFC 3339 (2026-11-21T10:00:00Z, fractional seconds allowed), "now", or a
// duration before now: Go durations (90s, 30m, 1h30m) and whole days or
// weeks (2d, 7d, 1w).
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "now" {
		return now, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if d, ok := parseAgo(s); ok {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("cannot parse time %q: want RFC 3339 (2026-11-21T10:00:00Z) or a duration ago (30m, 1h, 7d)", s)
}

func parseAgo(s string) (time.Duration, bool) {
	if s == "" || s[0] == '-' || s[0] == '+' {
		return 0, false
	}
	if u := s[len(s)-1]; u == 'd' || u == 'w' {
		n, err := strconv.Atoi(s[:len(s)-1])
		if err != nil || n < 0 || n > 100000 {
			return 0, false
		}
		d := time.Duration(n) * 24 * time.Hour
		if u == 'w' {
			d *= 7
		}
		return d, true
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, false
	}
	return d, true
}
