// Package jsonbody reads log messages that are JSON objects: it turns the
// top-level members of an object into event fields (AppendFields), finds one
// member (Lookup), and exposes the walker both use (Iter) to other parsers,
// such as severity inference, that want to stop at the first interesting key.
//
// The walker is a hand-written validating scanner: it accepts exactly the
// inputs encoding/json accepts (json.Valid, including its nesting limit of
// 10000) whose top-level value is an object, and it decodes keys and string
// values exactly as encoding/json does (escapes, surrogate pairs, invalid
// UTF-8 replaced by U+FFFD). It never builds a tree: nested objects and arrays
// are validated and kept as raw text. Keys, values and fields are substrings
// of the input unless a string contains escapes or invalid UTF-8; only then is
// a decoded copy allocated.
package jsonbody

import (
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/sluicelog/sluice/internal/event"
)

// maxDepth is encoding/json's nesting limit: the top-level object counts as
// depth 1, and 10000 nested levels are accepted, 10001 are not.
const maxDepth = 10000

// SyntaxError says why a message is not one JSON object.
type SyntaxError struct {
	// Offset is the 0-based byte offset of the offending byte, or the length
	// of the input when it ended too early.
	Offset int
	// Reason describes the problem, e.g. "invalid character 'x' after object key".
	Reason string
}

// Error returns "cannot parse JSON body: at byte offset N: <reason>".
func (e *SyntaxError) Error() string {
	return "cannot parse JSON body: at byte offset " + strconv.Itoa(e.Offset) + ": " + e.Reason
}

// errCode says why scanning stopped: the low byte is one of the err*
// constants, the high byte the byte a literal expected. The *SyntaxError is
// built only when asked for (Iter.Err), so that callers that only want to
// know whether a key is there (Lookup, severity inference on lines truncated
// in transit) never allocate.
type errCode uint16

const (
	errNone errCode = iota
	errBeginObject
	errBeginKey
	errAfterKey
	errBeginValue
	errAfterMember
	errAfterElement
	errAfterTop
	errString
	errEscape
	errUnicodeEscape
	errNumber
	errFraction
	errExponent
	errTrue
	errFalse
	errNull
	errDepth
)

var errWhat = [...]string{
	errBeginObject:   "looking for beginning of object",
	errBeginKey:      "looking for beginning of object key string",
	errAfterKey:      "after object key",
	errBeginValue:    "looking for beginning of value",
	errAfterMember:   "after object key:value pair",
	errAfterElement:  "after array element",
	errAfterTop:      "after top-level value",
	errString:        "in string literal",
	errEscape:        "in string escape code",
	errUnicodeEscape: "in \\u hexadecimal character escape",
	errNumber:        "in numeric literal",
	errFraction:      "after decimal point in numeric literal",
	errExponent:      "in exponent of numeric literal",
	errTrue:          "in literal true",
	errFalse:         "in literal false",
	errNull:          "in literal null",
}

// syntaxError builds the error for code at s[off] (or the end of s).
func syntaxError(s string, off int, code errCode) *SyntaxError {
	c := code & 0xff
	if c == errDepth {
		return &SyntaxError{Offset: off, Reason: "exceeded maximum nesting depth of " + strconv.Itoa(maxDepth)}
	}
	what := errWhat[c]
	if c == errTrue || c == errFalse || c == errNull {
		what += " (expecting " + strconv.QuoteRune(rune(code>>8)) + ")"
	}
	if off >= len(s) {
		return &SyntaxError{Offset: len(s), Reason: "unexpected end of input " + what}
	}
	return &SyntaxError{Offset: off, Reason: "invalid character " + quoteByte(s[off]) + " " + what}
}

func quoteByte(c byte) string {
	if c < utf8.RuneSelf {
		return strconv.QuoteRuneToASCII(rune(c))
	}
	return "byte 0x" + strconv.FormatUint(uint64(c), 16)
}

// String flags, as found by scanString.
const (
	flagEscape   uint8 = 1 << iota // contains a backslash escape
	flagNonASCII                   // contains a byte >= 0x80
)

// strClass is 1 for the bytes that end the fast path of scanString: '"',
// '\\' and control characters. It is never written.
var strClass = [256]uint8{
	0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1, 8: 1, 9: 1, 10: 1, 11: 1, 12: 1, 13: 1, 14: 1, 15: 1,
	16: 1, 17: 1, 18: 1, 19: 1, 20: 1, 21: 1, 22: 1, 23: 1, 24: 1, 25: 1, 26: 1, 27: 1, 28: 1, 29: 1, 30: 1, 31: 1,
	'"': 1, '\\': 1,
}

func skipWS(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// scanString validates the string starting at s[i] == '"' and returns the
// index just after its closing quote and its flags.
func scanString(s string, i int) (int, uint8, errCode) {
	var flags, acc uint8
	i++
	for {
		for i < len(s) {
			c := s[i]
			if strClass[c] != 0 {
				break
			}
			acc |= c
			i++
		}
		if acc >= utf8.RuneSelf {
			flags |= flagNonASCII
		}
		if i >= len(s) {
			return i, flags, errString
		}
		switch s[i] {
		case '"':
			return i + 1, flags, errNone
		case '\\':
			flags |= flagEscape
			if i+1 >= len(s) {
				return i + 1, flags, errEscape
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for j := i + 2; j < i+6; j++ {
					if j >= len(s) || !isHex(s[j]) {
						return j, flags, errUnicodeEscape
					}
				}
				i += 6
			default:
				return i + 1, flags, errEscape
			}
		default:
			return i, flags, errString
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// scanNumber validates the number literal starting at s[i] ('-' or a digit)
// and returns the index just after it.
func scanNumber(s string, i int) (int, errCode) {
	if s[i] == '-' {
		i++
	}
	switch {
	case i >= len(s):
		return i, errNumber
	case s[i] == '0':
		i++
	case isDigit(s[i]):
		for i++; i < len(s) && isDigit(s[i]); i++ {
		}
	default:
		return i, errNumber
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			return i, errFraction
		}
		for i++; i < len(s) && isDigit(s[i]); i++ {
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			return i, errExponent
		}
		for i++; i < len(s) && isDigit(s[i]); i++ {
		}
	}
	return i, errNone
}

// scanLiteral validates true, false or null at s[i]; code is its error.
func scanLiteral(s string, i int, lit string, code errCode) (int, errCode) {
	for j := 1; j < len(lit); j++ {
		if i+j >= len(s) || s[i+j] != lit[j] {
			return i + j, code | errCode(lit[j])<<8
		}
	}
	return i + len(lit), errNone
}

// scanValue validates the value starting at s[i] (no leading whitespace),
// nested depth levels deep (the top-level object is depth 1), and returns
// the index just after it and, for a string, its flags.
func scanValue(s string, i, depth int) (int, uint8, errCode) {
	if i >= len(s) {
		return i, 0, errBeginValue
	}
	var code errCode
	switch c := s[i]; c {
	case '"':
		return scanString(s, i)
	case '{', '[':
		i, code = skipContainer(s, i, depth)
	case 't':
		i, code = scanLiteral(s, i, "true", errTrue)
	case 'f':
		i, code = scanLiteral(s, i, "false", errFalse)
	case 'n':
		i, code = scanLiteral(s, i, "null", errNull)
	default:
		if c != '-' && !isDigit(c) {
			return i, 0, errBeginValue
		}
		i, code = scanNumber(s, i)
	}
	return i, 0, code
}

// skipContainer validates the object or array starting at s[i] ('{' or
// '['), which is depth levels deep, and returns the index just after it. It
// does not recurse: open containers are kept as bits (and, past 64 levels,
// in a slice), so only pathological nesting allocates.
func skipContainer(s string, i, depth int) (int, errCode) {
	const (
		stOpen  = iota // s[i] opens a container
		stKey          // expecting an object key
		stValue        // expecting a value
		stAfter        // after a value
	)
	var (
		bits uint64 // bit n: the container n levels down (n < 64) is an object
		deep []bool // containers 64 levels down and more
		n    int    // open containers
		code errCode
	)
	st := stOpen
	for {
		switch st {
		case stOpen:
			if depth+n > maxDepth {
				return i, errDepth
			}
			obj := s[i] == '{'
			switch {
			case n >= 64:
				deep = append(deep[:n-64], obj)
			case obj:
				bits |= 1 << n
			default:
				bits &^= 1 << n
			}
			n++
			i = skipWS(s, i+1)
			if i < len(s) && (obj && s[i] == '}' || !obj && s[i] == ']') {
				i++
				n--
				if n == 0 {
					return i, errNone
				}
				st = stAfter
			} else if obj {
				st = stKey
			} else {
				st = stValue
			}
		case stKey:
			if i >= len(s) || s[i] != '"' {
				return i, errBeginKey
			}
			if i, _, code = scanString(s, i); code != errNone {
				return i, code
			}
			i = skipWS(s, i)
			if i >= len(s) || s[i] != ':' {
				return i, errAfterKey
			}
			i = skipWS(s, i+1)
			st = stValue
		case stValue:
			if i < len(s) && (s[i] == '{' || s[i] == '[') {
				st = stOpen
				continue
			}
			if i, _, code = scanValue(s, i, depth+n); code != errNone {
				return i, code
			}
			st = stAfter
		case stAfter:
			i = skipWS(s, i)
			var obj bool
			if n <= 64 {
				obj = bits>>(n-1)&1 != 0
			} else {
				obj = deep[n-65]
			}
			switch {
			case i >= len(s):
				return i, afterCode(obj)
			case s[i] == ',':
				i = skipWS(s, i+1)
				if obj {
					st = stKey
				} else {
					st = stValue
				}
			case obj && s[i] == '}' || !obj && s[i] == ']':
				i++
				n--
				if n == 0 {
					return i, errNone
				}
			default:
				return i, afterCode(obj)
			}
		}
	}
}

func afterCode(obj bool) errCode {
	if obj {
		return errAfterMember
	}
	return errAfterElement
}

// Iter walks the top-level members of one JSON object, in order, validating
// as it goes:
//
//	it := jsonbody.NewIter(msg)
//	for it.Next() {
//		use(it.RawKey(), it.Value())
//	}
//	if err := it.Err(); err != nil { ... }
//
// Each member's value is validated before Next returns it; the rest of the
// input is only validated as far as Next is called. Next returns false at the
// end of the object once the input is known to be exactly one JSON object
// (followed only by whitespace), and at the first error. Walking does not
// allocate, also on invalid input; only Err does, to build the error. The
// member accessors (RawKey, Key, KeyIs, Value, Field) describe the member
// the last Next returned; after Next returns false they return zero values.
type Iter struct {
	s        string
	pos      int // next byte to read; the error's offset after an error
	state    uint8
	keyFlags uint8
	valFlags uint8
	code     errCode
	key      string // raw key, without quotes
	val      string // raw value
}

const (
	iterBegin uint8 = iota
	iterMembers
	iterDone
)

// NewIter returns an Iter over the object in s; leading and trailing JSON
// whitespace is allowed.
func NewIter(s string) Iter { return Iter{s: s} }

// Next advances to the next member and reports whether there is one.
func (it *Iter) Next() bool {
	s, i := it.s, it.pos
	switch it.state {
	case iterBegin:
		i = skipWS(s, i)
		if i >= len(s) || s[i] != '{' {
			return it.fail(i, errBeginObject)
		}
		i = skipWS(s, i+1)
		if i < len(s) && s[i] == '}' {
			return it.end(i + 1)
		}
	case iterMembers:
		i = skipWS(s, i)
		switch {
		case i >= len(s):
			return it.fail(i, errAfterMember)
		case s[i] == ',':
			i = skipWS(s, i+1)
		case s[i] == '}':
			return it.end(i + 1)
		default:
			return it.fail(i, errAfterMember)
		}
	default:
		return false
	}
	if i >= len(s) || s[i] != '"' {
		return it.fail(i, errBeginKey)
	}
	end, flags, code := scanString(s, i)
	if code != errNone {
		return it.fail(end, code)
	}
	it.key, it.keyFlags = s[i+1:end-1], flags
	i = skipWS(s, end)
	if i >= len(s) || s[i] != ':' {
		return it.fail(i, errAfterKey)
	}
	i = skipWS(s, i+1)
	end, flags, code = scanValue(s, i, 2)
	if code != errNone {
		return it.fail(end, code)
	}
	it.val, it.valFlags = s[i:end], flags
	it.pos, it.state = end, iterMembers
	return true
}

func (it *Iter) fail(off int, code errCode) bool {
	it.pos, it.code, it.state = off, code, iterDone
	it.key, it.val = "", ""
	return false
}

// end finishes the walk after the closing brace at s[i-1].
func (it *Iter) end(i int) bool {
	if j := skipWS(it.s, i); j < len(it.s) {
		return it.fail(j, errAfterTop)
	}
	it.pos, it.state = i, iterDone
	it.key, it.val = "", ""
	return false
}

// Err returns the error that ended the walk, a *SyntaxError, or nil (also
// when the walk is not over yet).
func (it *Iter) Err() error {
	if it.code == errNone {
		return nil
	}
	return syntaxError(it.s, it.pos, it.code)
}

// RawKey returns the current member's key as written, without its quotes
// and with escapes not decoded.
func (it *Iter) RawKey() string { return it.key }

// Key returns the current member's key, decoded as encoding/json decodes it.
// It allocates only when the key has escapes or invalid UTF-8.
func (it *Iter) Key() string { return decode(it.key, it.keyFlags) }

// KeyIs reports whether the current member's decoded key is k, without
// allocating for keys up to 64 bytes.
func (it *Iter) KeyIs(k string) bool {
	if it.keyFlags == 0 {
		return it.key == k
	}
	var buf [64]byte
	return string(appendDecoded(buf[:0], it.key, it.keyFlags)) == k
}

// Value returns the current member's value as written: a string with its
// quotes, a number, true, false, null, or a whole object or array.
func (it *Iter) Value() string { return it.val }

// Field returns the current member as an event field: strings decoded
// (event.String), numbers as their literal text (event.Number), true and
// false (event.Bool), and objects, arrays and null as raw text (event.JSON).
func (it *Iter) Field() event.Field {
	if it.val == "" {
		return event.Field{}
	}
	f := event.Field{Key: it.Key(), Value: it.val}
	switch it.val[0] {
	case '"':
		f.Type = event.String
		f.Value = decode(it.val[1:len(it.val)-1], it.valFlags)
	case 't', 'f':
		f.Type = event.Bool
	case '{', '[', 'n':
		f.Type = event.JSON
	default:
		f.Type = event.Number
	}
	return f
}

// AppendFields appends one field per top-level member of the JSON object s,
// in input order (see Iter.Field for how values are typed), and returns the
// extended slice. Duplicate keys are kept, each as its own field. If s is
// not exactly one JSON object (surrounding whitespace is allowed), it returns
// dst unchanged and a *SyntaxError naming the byte offset and the reason.
//
// Fields share memory with s; only strings with escapes or invalid UTF-8 are
// copied.
func AppendFields(dst []event.Field, s string) ([]event.Field, error) {
	n := len(dst)
	it := NewIter(s)
	for it.Next() {
		dst = append(dst, it.Field())
	}
	if err := it.Err(); err != nil {
		return dst[:n], err
	}
	return dst, nil
}

// Lookup returns the raw value (as Iter.Value) of the first top-level member
// of the JSON object s whose decoded key is key. It stops at that member:
// the members before it are validated, the rest of s is not. It reports
// false when there is no such member or s is not valid JSON before it.
func Lookup(s, key string) (raw string, ok bool) {
	it := NewIter(s)
	for it.Next() {
		if it.KeyIs(key) {
			return it.val, true
		}
	}
	return "", false
}

// decode returns the string with raw content s (validated, between quotes)
// decoded as encoding/json decodes it.
func decode(s string, flags uint8) string {
	if flags == 0 || flags == flagNonASCII && utf8.ValidString(s) {
		return s
	}
	var buf [128]byte
	return string(appendDecoded(buf[:0], s, flags))
}

// appendDecoded appends the decoding of the validated string content s.
func appendDecoded(b []byte, s string, flags uint8) []byte {
	if flags == 0 {
		return append(b, s...)
	}
	for i := 0; i < len(s); {
		// Copy the run of plain ASCII.
		j := i
		for j < len(s) && s[j] != '\\' && s[j] < utf8.RuneSelf {
			j++
		}
		b = append(b, s[i:j]...)
		if i = j; i >= len(s) {
			break
		}
		if c := s[i]; c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			b = utf8.AppendRune(b, r) // RuneError for each invalid byte
			i += size
			continue
		}
		switch c := s[i+1]; c {
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r := hex4(s[i+2:])
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2 = hex4(s[i+2:])
				}
				if d := utf16.DecodeRune(r, r2); d != unicode.ReplacementChar {
					b = utf8.AppendRune(b, d)
					i += 6
					continue
				}
				r = unicode.ReplacementChar
			}
			b = utf8.AppendRune(b, r)
			continue
		default: // '"', '\\', '/'
			b = append(b, c)
		}
		i += 2
	}
	return b
}

// hex4 reads the four validated hex digits at the start of s.
func hex4(s string) rune {
	var r rune
	for _, c := range []byte(s[:4]) {
		switch {
		case c <= '9':
			c -= '0'
		case c <= 'F':
			c -= 'A' - 10
		default:
			c -= 'a' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
