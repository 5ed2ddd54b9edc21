// Package logfmt parses logfmt lines (key=value key2="quoted \"x\" value"
// flag) into event fields without allocating for typical lines.
//
// # Shape
//
// Log bodies are often prose ("Started GET / for 1.2.3.4"), so AppendFields
// only accepts a line that looks like logfmt as a whole. A line is logfmt
// when all of these hold:
//
//   - every token (tokens are separated by ASCII whitespace: space, tab, CR,
//     LF, VT, FF) is key=value, key="quoted value", key= (empty value) or a
//     bare key;
//   - the first token is a key=value pair (not a bare key);
//   - there are no more bare keys than key=value pairs.
//
// A key starts with an ASCII letter, '_' or '@' and continues with ASCII
// letters, digits and any of "_-.#/@:$"; bytes 0x80 and above (UTF-8) are
// also accepted anywhere in a key. An unquoted value runs to the next
// whitespace and must not contain '"'; it may contain '='. A quoted value
// ends at the first unescaped '"', which must be followed by whitespace or the
// end of the line.
//
// # Values
//
// Quoted values are unescaped as JSON strings are (\" \\ \/ \b \f \n \r \t
// \uXXXX with surrogate pairs); an unknown or malformed escape is kept as
// written. Unescaping allocates only when the value contains a backslash;
// every other key and value is a substring of the line.
//
// Field types: an unquoted value that is a JSON number literal (200, -1.5,
// 1e9) is event.Number; unquoted true and false are event.Bool; everything
// else, including every quoted value, is event.String. A bare key is
// event.Bool "true"; key= is the empty event.String.
package logfmt

import (
	"strings"
	"unicode/utf8"

	"github.com/sluicelog/sluice/internal/event"
)

// AppendFields appends the fields of the logfmt line s to dst, in the order
// they appear, and reports whether s is logfmt-shaped (see the package
// documentation). When it is not, dst is returned with its original length
// and ok is false.
func AppendFields(dst []event.Field, s string) ([]event.Field, bool) {
	n0 := len(dst)
	pairs, bare := 0, 0
	i := 0
	for {
		i = skipSpace(s, i)
		if i >= len(s) {
			break
		}
		t, next, ok := scan(s, i)
		if !ok || (!t.eq && pairs == 0) {
			return dst[:n0], false
		}
		i = next
		if !t.eq {
			bare++
			dst = append(dst, event.Field{Key: t.key, Value: "true", Type: event.Bool})
			continue
		}
		pairs++
		dst = append(dst, t.field())
	}
	if pairs == 0 || bare > pairs {
		return dst[:n0], false
	}
	return dst, true
}

// Value returns the value of the first token of s whose key is key, as
// AppendFields would have parsed it ("true" for a bare key), without
// building fields. It does not check that the whole line is logfmt-shaped; it
// stops at the first token that is not valid logfmt. It allocates only when
// the value found is quoted and contains escapes.
func Value(s, key string) (string, bool) {
	i := 0
	for {
		i = skipSpace(s, i)
		if i >= len(s) {
			return "", false
		}
		t, next, ok := scan(s, i)
		if !ok {
			return "", false
		}
		i = next
		if t.key != key {
			continue
		}
		if !t.eq {
			return "true", true
		}
		return t.field().Value, true
	}
}

// IsNumber reports whether s is a JSON number literal
// (-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?), the rule AppendFields
// uses for event.Number values.
func IsNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i >= len(s) {
		return false
	}
	switch {
	case s[i] == '0':
		i++
	case '1' <= s[i] && s[i] <= '9':
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		d := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == d {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == d {
			return false
		}
	}
	return i == len(s)
}

// token is one scanned logfmt token.
type token struct {
	key    string
	val    string // raw: for a quoted value, the text between the quotes
	eq     bool   // key=value (as opposed to a bare key)
	quoted bool
	esc    bool // quoted value contains a backslash
}

// field converts a key=value token into a field.
func (t token) field() event.Field {
	if t.quoted {
		v := t.val
		if t.esc {
			v = unescape(v)
		}
		return event.Field{Key: t.key, Value: v, Type: event.String}
	}
	typ := event.String
	switch {
	case t.val == "true" || t.val == "false":
		typ = event.Bool
	case IsNumber(t.val):
		typ = event.Number
	}
	return event.Field{Key: t.key, Value: t.val, Type: typ}
}

// scan reads the token starting at s[i], which is not whitespace, and
// returns it with the index just after it. ok is false when the token is
// not valid logfmt.
func scan(s string, i int) (t token, next int, ok bool) {
	start := i
	if !isKeyStart(s[i]) {
		return t, i, false
	}
	i++
	for i < len(s) && isKeyByte(s[i]) {
		i++
	}
	t.key = s[start:i]
	if i == len(s) || isSpace(s[i]) {
		return t, i, true
	}
	if s[i] != '=' {
		return t, i, false
	}
	t.eq = true
	i++
	if i < len(s) && s[i] == '"' {
		i++
		vs := i
		for i < len(s) {
			c := s[i]
			if c == '"' {
				break
			}
			if c == '\\' {
				t.esc = true
				i++
			}
			i++
		}
		if i >= len(s) {
			return t, i, false // unterminated quote
		}
		t.val = s[vs:i]
		t.quoted = true
		i++
		if i < len(s) && !isSpace(s[i]) {
			return t, i, false
		}
		return t, i, true
	}
	vs := i
	for i < len(s) && !isSpace(s[i]) {
		if s[i] == '"' {
			return t, i, false
		}
		i++
	}
	t.val = s[vs:i]
	return t, i, true
}

// unescape decodes JSON-style escapes in the body of a quoted value. Unknown
// or malformed escapes are kept as written.
func unescape(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case '"', '\\', '/':
			b.WriteByte(s[i])
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, n := decodeU(s[i-1:])
			if n == 0 {
				b.WriteString(`\u`)
				continue
			}
			b.WriteRune(r)
			i += n - 2
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// decodeU decodes a \uXXXX escape (and a following low surrogate escape)
// at the start of s, returning the rune and the bytes consumed; n is 0 when s
// does not start with a valid \uXXXX escape.
func decodeU(s string) (r rune, n int) {
	r1, ok := hex4(s)
	if !ok {
		return 0, 0
	}
	if r1 < 0xD800 || r1 > 0xDFFF {
		return r1, 6
	}
	if r1 <= 0xDBFF {
		if r2, ok := hex4(s[6:]); ok && 0xDC00 <= r2 && r2 <= 0xDFFF {
			return 0x10000 + (r1-0xD800)<<10 + (r2 - 0xDC00), 12
		}
	}
	return utf8.RuneError, 6
}

// hex4 reads a \uXXXX escape at the start of s.
func hex4(s string) (rune, bool) {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[2:6]) {
		r <<= 4
		switch {
		case '0' <= c && c <= '9':
			r |= rune(c - '0')
		case 'a' <= c && c <= 'f':
			r |= rune(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isKeyStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '@' || c >= 0x80
}

func isKeyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '-' || c == '.' || c == '#' || c == '/' || c == '@' || c == ':' || c == '$' ||
		c >= 0x80
}
