package filterpattern

import (
	"math/bits"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxNesting is the deepest nesting of objects and arrays the scanner
// follows; a message nested deeper does not match (as encoding/json, which
// gives up at 10000 too).
const maxNesting = 10000

type nodeKind uint8

const (
	nodeString nodeKind = iota
	nodeNumber
	nodeTrue
	nodeFalse
	nodeNull
	nodeObject
	nodeArray
)

// node is a JSON value a selector points to.
type node struct {
	kind nodeKind
	// text is the decoded string, or the literal of a number or boolean.
	text string
}

// scanner walks a JSON message once, validating it (RFC 8259, without
// checking that strings are valid UTF-8) and evaluating the leaves of a
// JSON pattern on the nodes its selectors point to. Values no selector
// reaches are skipped without being decoded.
type scanner struct {
	s    string
	i    int
	jp   *jsonPattern
	nest int
	// rec and recSet, when not nil, receive the text of the string,
	// number or boolean each selector found (Extract).
	rec    []string
	recSet []bool
}

// scan reports whether sc.s is a JSON object, filling st. The leaf states
// are a parameter rather than a field so that they stay on the stack:
// escape analysis does not tell the fields of a struct apart, and message
// text does escape (into regexp, and into rec).
func (sc *scanner) scan(st []leafState) bool {
	sc.ws()
	if sc.i >= len(sc.s) || sc.s[sc.i] != '{' {
		return false
	}
	if !sc.value(sc.jp.all, 0, st) {
		return false
	}
	sc.ws()
	return sc.i == len(sc.s)
}

func (sc *scanner) ws() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// value scans the value at sc.i. mask holds the selectors whose first
// depth steps led here.
func (sc *scanner) value(mask uint64, depth int, st []leafState) bool {
	if mask == 0 {
		return sc.skip()
	}
	if sc.i >= len(sc.s) {
		return false
	}
	var targets uint64
	if depth < len(sc.jp.lenMask) {
		targets = mask & sc.jp.lenMask[depth]
	}
	cont := mask &^ targets
	var n node
	switch c := sc.s[sc.i]; c {
	case '{':
		if targets != 0 {
			sc.hit(targets, &node{kind: nodeObject}, st)
		}
		return sc.object(cont, depth, st)
	case '[':
		if targets != 0 {
			sc.hit(targets, &node{kind: nodeArray}, st)
		}
		return sc.array(cont, depth, st)
	case '"':
		start := sc.i + 1
		esc, ok := sc.str()
		if !ok {
			return false
		}
		n = node{kind: nodeString, text: sc.s[start : sc.i-1]}
		if esc && targets != 0 {
			n.text = unescape(n.text)
		}
	case 't':
		if !sc.lit("true") {
			return false
		}
		n = node{kind: nodeTrue, text: "true"}
	case 'f':
		if !sc.lit("false") {
			return false
		}
		n = node{kind: nodeFalse, text: "false"}
	case 'n':
		if !sc.lit("null") {
			return false
		}
		n = node{kind: nodeNull}
	default:
		start := sc.i
		if !sc.num() {
			return false
		}
		n = node{kind: nodeNumber, text: sc.s[start:sc.i]}
	}
	if targets != 0 {
		sc.hit(targets, &n, st)
	}
	return true
}

// skip scans the value at sc.i without looking into it.
func (sc *scanner) skip() bool {
	if sc.i >= len(sc.s) {
		return false
	}
	switch sc.s[sc.i] {
	case '"':
		_, ok := sc.str()
		return ok
	case '{':
		return sc.object(0, 0, nil)
	case '[':
		return sc.array(0, 0, nil)
	case 't':
		return sc.lit("true")
	case 'f':
		return sc.lit("false")
	case 'n':
		return sc.lit("null")
	}
	return sc.num()
}

func (sc *scanner) object(cont uint64, depth int, st []leafState) bool {
	sc.i++ // {
	if sc.nest++; sc.nest > maxNesting {
		return false
	}
	sc.ws()
	if sc.i < len(sc.s) && sc.s[sc.i] == '}' {
		sc.i++
		sc.nest--
		return true
	}
	for {
		if sc.i >= len(sc.s) || sc.s[sc.i] != '"' {
			return false
		}
		kstart := sc.i + 1
		esc, ok := sc.str()
		if !ok {
			return false
		}
		key := sc.s[kstart : sc.i-1]
		sc.ws()
		if sc.i >= len(sc.s) || sc.s[sc.i] != ':' {
			return false
		}
		sc.i++
		sc.ws()
		var child uint64
		if cont != 0 {
			child = sc.jp.matchKey(cont, depth, key, esc)
		}
		if !sc.value(child, depth+1, st) {
			return false
		}
		sc.ws()
		if sc.i >= len(sc.s) {
			return false
		}
		switch sc.s[sc.i] {
		case ',':
			sc.i++
			sc.ws()
		case '}':
			sc.i++
			sc.nest--
			return true
		default:
			return false
		}
	}
}

func (sc *scanner) array(cont uint64, depth int, st []leafState) bool {
	sc.i++ // [
	if sc.nest++; sc.nest > maxNesting {
		return false
	}
	sc.ws()
	if sc.i < len(sc.s) && sc.s[sc.i] == ']' {
		sc.i++
		sc.nest--
		return true
	}
	for idx := 0; ; idx++ {
		var child uint64
		if cont != 0 {
			child = sc.jp.matchIndex(cont, depth, idx)
		}
		if !sc.value(child, depth+1, st) {
			return false
		}
		sc.ws()
		if sc.i >= len(sc.s) {
			return false
		}
		switch sc.s[sc.i] {
		case ',':
			sc.i++
			sc.ws()
		case ']':
			sc.i++
			sc.nest--
			return true
		default:
			return false
		}
	}
}

// str scans the string at sc.i (at its opening quote) and leaves sc.i
// after the closing quote. esc reports a backslash escape inside.
func (sc *scanner) str() (esc, ok bool) {
	s := sc.s
	for i := sc.i + 1; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			sc.i = i + 1
			return esc, true
		case c == '\\':
			esc = true
			if i+1 >= len(s) {
				return esc, false
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s) || !isHex(s[i+2]) || !isHex(s[i+3]) || !isHex(s[i+4]) || !isHex(s[i+5]) {
					return esc, false
				}
				i += 6
			default:
				return esc, false
			}
		case c < 0x20:
			return esc, false
		default:
			i++
		}
	}
	return esc, false
}

// num scans a JSON number: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?.
func (sc *scanner) num() bool {
	s, i := sc.s, sc.i
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i >= len(s):
		return false
	case s[i] == '0':
		i++
	case s[i] >= '1' && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == start {
			return false
		}
	}
	sc.i = i
	return true
}

func (sc *scanner) lit(word string) bool {
	if !strings.HasPrefix(sc.s[sc.i:], word) {
		return false
	}
	sc.i += len(word)
	return true
}

// hit records that the selectors in targets point to n.
func (sc *scanner) hit(targets uint64, n *node, states []leafState) {
	for m := targets; m != 0; m &= m - 1 {
		b := trailingZeros(m)
		sel := &sc.jp.sels[b]
		if sc.rec != nil {
			switch {
			case sel.wild:
				// The first string, number or boolean a wildcard selects.
				if n.kind <= nodeFalse && !sc.recSet[b] {
					sc.rec[b], sc.recSet[b] = n.text, true
				}
			case n.kind <= nodeFalse:
				sc.rec[b], sc.recSet[b] = n.text, true
			default:
				sc.recSet[b] = false
			}
		}
		for _, l := range sel.leaves {
			r := sc.jp.leaves[l].holds(n)
			st := &states[l]
			st.found = true
			if sel.wild {
				// A wildcard selector matches when any node it selects does.
				st.sat = st.sat || r
			} else {
				// A repeated key: the last one counts, as in encoding/json.
				st.sat = r
			}
		}
	}
}

func trailingZeros(m uint64) int { return bits.TrailingZeros64(m) }

// unescape decodes the escapes of a JSON string body that str validated.
// Unpaired surrogates become U+FFFD.
func unescape(raw string) string {
	b := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			b = append(b, c)
			i++
			continue
		}
		switch raw[i+1] {
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
			r := hex4(raw[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					r2 = hex4(raw[i+2 : i+6])
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r = d
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			b = utf8.AppendRune(b, r)
			continue
		default: // " \ /
			b = append(b, raw[i+1])
		}
		i += 2
	}
	return string(b)
}

func hex4(s string) rune {
	var r rune
	for i := 0; i < 4; i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// unescapedEqual reports whether the escaped JSON string body raw decodes
// to s.
func unescapedEqual(raw, s string) bool { return unescape(raw) == s }
