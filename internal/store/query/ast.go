package query

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/route/filterpattern"
)

// Query is a parsed query. The zero Query, and one parsed from an empty
// string, matches every event.
type Query struct {
	// Root is the top of the AST; nil matches every event.
	Root Node
	src  string
}

// Node is one node of the AST: *And, *Or, *Not, *Term, *Filter or
// *Pattern. Nodes are built by Parse, which precomputes what Match needs;
// do not build them by hand.
type Node interface {
	// Match reports whether e satisfies the node.
	Match(e *event.Event) bool
	// String returns the node in the query language; Parse reads it back
	// to an equal node.
	String() string
}

// And matches when every one of Nodes matches (implicit AND, or AND).
type And struct{ Nodes []Node }

// Or matches when at least one of Nodes matches.
type Or struct{ Nodes []Node }

// Not matches when Node does not (-x, NOT x).
type Not struct{ Node Node }

// Term is a word or a quoted phrase, matched against the message ignoring
// case as whole words, or as a whole-word prefix when it ends in * (see the
// package documentation).
type Term struct {
	// Text is the term as the user meant it: unquoted, escapes resolved,
	// without the * of a prefix.
	Text string
	// Phrase is true when the term was quoted.
	Phrase bool
	// Prefix is true when the term ended in * (time*, "connection ref"*).
	Prefix bool

	lower    string // Text in lower case
	ascii    bool   // lower is all ASCII
	boundary bool   // Text starts with a letter or digit: match at word starts only
	end      bool   // Text ends with a letter or digit and is no prefix: match at word ends only
}

// Op is the comparison of a Filter.
type Op uint8

// The comparisons.
const (
	// OpEq is field:value (field:=value): equal, or a glob when the value
	// holds *.
	OpEq Op = iota
	OpLt    // field:<value
	OpLe    // field:<=value
	OpGt    // field:>value
	OpGe    // field:>=value
)

var opStrings = [...]string{"", "<", "<=", ">", ">="}

// String returns "", "<", "<=", ">" or ">=", as written after the colon.
func (o Op) String() string { return opStrings[o] }

// Filter compares one field of the event with a value.
type Filter struct {
	// Field is severity, app, host, proc, msgid, group, stream, source,
	// id, facility, or fields.KEY.
	Field string
	// Key is KEY for fields.KEY filters, else "".
	Key string
	// Op is the comparison.
	Op Op
	// Value is the value as written (unquoted). For severity it is the
	// name or number the user wrote; Severity has its meaning.
	Value string

	severity event.Severity
	glob     bool    // Value holds '*' (OpEq only)
	lower    string  // lower-case Value, for fields.*
	num      float64 // Value as a number when isNum
	isNum    bool
}

// Severity returns the severity a severity filter compares with.
func (f *Filter) Severity() event.Severity { return f.severity }

// IsGlob reports whether the value holds * and so matches as a glob.
func (f *Filter) IsGlob() bool { return f.glob }

// Pattern is a CloudWatch Logs filter pattern, matched against the
// message by internal/route/filterpattern.
type Pattern struct {
	// Source is the pattern as written.
	Source string
	// Compiled is the compiled pattern.
	Compiled *filterpattern.Pattern
	// whole is true when the pattern was the whole query ({…} or […]).
	whole bool
}

// Match reports whether e matches the query.
func (q *Query) Match(e *event.Event) bool {
	if q == nil || q.Root == nil {
		return true
	}
	return q.Root.Match(e)
}

// String returns the query as it was given to Parse.
func (q *Query) String() string {
	if q == nil {
		return ""
	}
	return q.src
}

// Canonical returns the query in a normal form: what Parse reads back to an
// equal AST; "" for a query that matches everything.
func (q *Query) Canonical() string {
	if q == nil || q.Root == nil {
		return ""
	}
	return q.Root.String()
}

// Match implements Node.
func (n *And) Match(e *event.Event) bool {
	for _, c := range n.Nodes {
		if !c.Match(e) {
			return false
		}
	}
	return true
}

// Match implements Node.
func (n *Or) Match(e *event.Event) bool {
	for _, c := range n.Nodes {
		if c.Match(e) {
			return true
		}
	}
	return false
}

// Match implements Node.
func (n *Not) Match(e *event.Event) bool { return !n.Node.Match(e) }

// Match implements Node.
func (n *Term) Match(e *event.Event) bool {
	return containsWords(e.Message, n.lower, n.ascii, n.boundary, n.end)
}

// Match implements Node.
func (n *Pattern) Match(e *event.Event) bool { return n.Compiled.Match(e.Message) }

// Match implements Node.
func (f *Filter) Match(e *event.Event) bool {
	switch f.Field {
	case "severity":
		return compareInts(int(e.Severity), int(f.severity), f.Op)
	case "app":
		return f.matchString(e.App)
	case "host":
		return f.matchString(e.Host)
	case "proc":
		return f.matchString(e.Proc)
	case "msgid":
		return f.matchString(e.MsgID)
	case "group":
		return f.matchString(e.Group)
	case "stream":
		return f.matchString(e.Stream)
	case "source":
		return f.matchString(e.Source)
	case "id":
		return f.matchString(e.ID)
	case "facility":
		return f.matchString(e.Facility.String())
	}
	for i := range e.Fields {
		if e.Fields[i].Key == f.Key && f.matchField(e.Fields[i].Value) {
			return true
		}
	}
	return false
}

func compareInts(a, b int, op Op) bool {
	switch op {
	case OpLt:
		return a < b
	case OpLe:
		return a <= b
	case OpGt:
		return a > b
	case OpGe:
		return a >= b
	}
	return a == b
}

func (f *Filter) matchString(v string) bool {
	if f.glob {
		return globMatch(f.Value, v)
	}
	return v == f.Value
}

func (f *Filter) matchField(v string) bool {
	if f.isNum && (f.Op != OpEq || !f.glob) {
		if n, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
			switch f.Op {
			case OpLt:
				return n < f.num
			case OpLe:
				return n <= f.num
			case OpGt:
				return n > f.num
			case OpGe:
				return n >= f.num
			}
			return n == f.num
		}
	}
	switch f.Op {
	case OpLt:
		return v < f.Value
	case OpLe:
		return v <= f.Value
	case OpGt:
		return v > f.Value
	case OpGe:
		return v >= f.Value
	}
	if f.glob {
		return globMatch(f.lower, strings.ToLower(v))
	}
	return strings.EqualFold(v, f.Value)
}

// globMatch reports whether s matches pattern, where * matches any run of
// bytes (empty included) and every other byte only itself.
func globMatch(pattern, s string) bool {
	px, sx := 0, 0
	starPx, starSx := -1, 0
	for sx < len(s) || px < len(pattern) {
		if px < len(pattern) {
			if pattern[px] == '*' {
				starPx, starSx = px, sx
				px++
				continue
			}
			if sx < len(s) && pattern[px] == s[sx] {
				px++
				sx++
				continue
			}
		}
		if starPx >= 0 && starSx < len(s) {
			starSx++
			px, sx = starPx+1, starSx
			continue
		}
		return false
	}
	return true
}

// IsWordRune reports whether r is part of a word: a letter, a digit (any
// Unicode number) or a private-use character — the token characters of
// SQLite's unicode61 tokenizer, so that Match and the store's full-text
// index agree on where words start.
func IsWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r)
}

// HasWord reports whether s holds at least one word rune: a term without
// any (":::") cannot be looked up in a word index.
func HasWord(s string) bool {
	for _, r := range s {
		if IsWordRune(r) {
			return true
		}
	}
	return false
}

func wordBefore(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return IsWordRune(r)
}

func wordAfter(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return IsWordRune(r)
}

// containsWords reports whether msg contains lower (a lower-case term),
// ignoring case, where boundary demands that it start a word and end that
// it end one.
func containsWords(msg, lower string, ascii, boundary, end bool) bool {
	if lower == "" {
		return true
	}
	if !ascii {
		return indexWords(strings.ToLower(msg), lower, boundary, end)
	}
	n := len(lower)
	c0 := lower[0]
	u0 := c0
	if 'a' <= c0 && c0 <= 'z' {
		u0 -= 'a' - 'A'
	}
	for i := 0; i+n <= len(msg); i++ {
		c := msg[i]
		if c != c0 && c != u0 {
			// Skip ahead to the next candidate.
			j := strings.IndexByte(msg[i:len(msg)-n+1], c0)
			if u0 != c0 {
				if k := strings.IndexByte(msg[i:len(msg)-n+1], u0); k >= 0 && (j < 0 || k < j) {
					j = k
				}
			}
			if j < 0 {
				return false
			}
			i += j
		}
		if !asciiFoldEqual(msg[i+1:i+n], lower[1:]) {
			continue
		}
		if boundary && i > 0 && wordBefore(msg[:i]) || end && wordAfter(msg[i+n:]) {
			continue
		}
		return true
	}
	return false
}

// asciiFoldEqual reports whether s equals the lower-case ASCII lower,
// ignoring the case of ASCII letters in s.
func asciiFoldEqual(s, lower string) bool {
	for i := 0; i < len(lower); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func indexWords(msg, lower string, boundary, end bool) bool {
	for off := 0; off <= len(msg); {
		j := strings.Index(msg[off:], lower)
		if j < 0 {
			return false
		}
		i := off + j
		if (!boundary || i == 0 || !wordBefore(msg[:i])) && (!end || !wordAfter(msg[i+len(lower):])) {
			return true
		}
		_, size := utf8.DecodeRuneInString(msg[i:])
		off = i + size
	}
	return false
}

// String implements Node.
func (n *And) String() string {
	parts := make([]string, len(n.Nodes))
	for i, c := range n.Nodes {
		parts[i] = c.String()
		if _, ok := c.(*Or); ok {
			parts[i] = "(" + parts[i] + ")"
		}
	}
	return strings.Join(parts, " ")
}

// String implements Node.
func (n *Or) String() string {
	parts := make([]string, len(n.Nodes))
	for i, c := range n.Nodes {
		parts[i] = c.String()
		if _, ok := c.(*Or); ok {
			parts[i] = "(" + parts[i] + ")"
		}
	}
	return strings.Join(parts, " OR ")
}

// String implements Node.
func (n *Not) String() string {
	switch n.Node.(type) {
	case *And, *Or:
		return "-(" + n.Node.String() + ")"
	}
	return "-" + n.Node.String()
}

// String implements Node.
func (n *Term) String() string {
	s := n.Text
	if n.Phrase || needsQuotes(n.Text) {
		s = quote(n.Text)
	}
	if n.Prefix {
		s += "*"
	}
	return s
}

// String implements Node.
func (f *Filter) String() string {
	v := f.Value
	if needsQuotes(v) || v == "" || strings.ContainsAny(v[:1], "<>=") {
		v = quote(v)
	}
	return f.Field + ":" + f.Op.String() + v
}

// String implements Node.
func (n *Pattern) String() string {
	if n.whole {
		return n.Source
	}
	if !strings.Contains(n.Source, `'`) {
		return "pattern:'" + n.Source + "'"
	}
	return "pattern:'" + strings.ReplaceAll(n.Source, `'`, `\'`) + "'"
}

func needsQuotes(s string) bool {
	if s == "" || s == "OR" || s == "AND" || s == "NOT" {
		return true
	}
	switch s[0] {
	case '-', '{', '[':
		return true
	}
	return strings.HasSuffix(s, "*") || strings.ContainsAny(s, " \t\r\n\"():'\\")
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}
