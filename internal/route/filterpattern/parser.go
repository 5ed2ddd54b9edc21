package filterpattern

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxRegexes is the CloudWatch Logs quota of regexes in one JSON or
// space-delimited pattern.
const maxRegexes = 2

// parser is a cursor over a pattern being compiled.
type parser struct {
	src     string
	pos     int
	regexes int // regexes seen so far (JSON and space-delimited quota)
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) && isSpace(p.src[p.pos]) {
		p.pos++
	}
}

func (p *parser) hasPrefix(s string) bool { return strings.HasPrefix(p.src[p.pos:], s) }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isNameByte reports whether c may appear in a JSON property name after
// "$." or in a space-delimited field name: letters, digits, '-' and '_'.
func isNameByte(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }

// errAt returns a SyntaxError at byte offset off.
func (p *parser) errAt(off int, format string, args ...any) error {
	if off > len(p.src) {
		off = len(p.src)
	}
	return &SyntaxError{
		Pattern: p.src,
		Offset:  off,
		Column:  utf8.RuneCountInString(p.src[:off]) + 1,
		Msg:     fmt.Sprintf(format, args...),
	}
}

// got describes the token at off for the "got ..." part of an error.
func (p *parser) got(off int) string {
	if off >= len(p.src) {
		return "the end of the pattern"
	}
	if isSpace(p.src[off]) {
		return "a space"
	}
	rest := p.src[off:]
	for _, op := range []string{"&&", "||", "!=", "<=", ">=", "==", "..."} {
		if strings.HasPrefix(rest, op) {
			return strconv.Quote(op)
		}
	}
	n := 0
	for n < len(rest) && n < 24 && (isNameByte(rest[n]) || rest[n] == '.' || rest[n] == '*' || rest[n] == '$') {
		n++
	}
	if n == 0 {
		r, size := utf8.DecodeRuneInString(rest)
		if r == utf8.RuneError && size <= 1 {
			return fmt.Sprintf("byte 0x%02X", rest[0])
		}
		return strconv.Quote(string(r))
	}
	return strconv.Quote(rest[:n])
}

// quoted reads a double-quoted string at p.pos. Inside it, \" stands for a
// quote and \\ for a backslash; any other backslash is kept as it is.
func (p *parser) quoted() (string, error) {
	open := p.pos
	p.pos++ // the opening quote
	var b []byte
	start := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '"':
			var s string
			if b == nil {
				s = p.src[start:p.pos]
			} else {
				s = string(append(b, p.src[start:p.pos]...))
			}
			p.pos++
			return s, nil
		case c == '\\' && p.pos+1 < len(p.src) && (p.src[p.pos+1] == '"' || p.src[p.pos+1] == '\\'):
			b = append(b, p.src[start:p.pos]...)
			b = append(b, p.src[p.pos+1])
			p.pos += 2
			start = p.pos
		default:
			p.pos++
		}
	}
	return "", p.errAt(open, `unterminated quoted string; close it with "`)
}

// regex reads a %regex% at p.pos and compiles it.
func (p *parser) regex() (*regexp.Regexp, error) {
	open := p.pos
	end := strings.IndexByte(p.src[open+1:], '%')
	if end < 0 {
		return nil, p.errAt(open, "unterminated regex; close it with %%")
	}
	src := p.src[open+1 : open+1+end]
	re, off, msg := compileRegex(src)
	if re == nil {
		return nil, p.errAt(open+1+off, "%s", msg)
	}
	p.pos = open + end + 2
	return re, nil
}

// cmpOp is a comparison operator of a JSON or space-delimited condition.
type cmpOp uint8

const (
	opEq cmpOp = iota + 1
	opNe
	opLt
	opLe
	opGt
	opGe
)

var opText = [...]string{opEq: "=", opNe: "!=", opLt: "<", opLe: "<=", opGt: ">", opGe: ">="}

// operator reads a comparison operator at p.pos; ok is false when there is
// none there. "==" is an error: CloudWatch Logs does not accept it.
func (p *parser) operator() (op cmpOp, ok bool, err error) {
	switch {
	case p.hasPrefix("=="):
		return 0, false, p.errAt(p.pos, `"==" is not a filter pattern operator; use "="`)
	case p.hasPrefix("!="):
		op = opNe
	case p.hasPrefix("<="):
		op = opLe
	case p.hasPrefix(">="):
		op = opGe
	case p.hasPrefix("="):
		op = opEq
	case p.hasPrefix("<"):
		op = opLt
	case p.hasPrefix(">"):
		op = opGt
	default:
		return 0, false, nil
	}
	p.pos += len(opText[op])
	return op, true, nil
}

// valueKind says how a condition compares.
type valueKind uint8

const (
	// valText compares text, with a '*' wildcard allowed at either end.
	valText valueKind = iota
	// valNumber compares numerically (text equality when the other side
	// is not a number).
	valNumber
	// valRegex searches with a regex.
	valRegex
)

// cond is one comparison: an operator and the value on its right.
type cond struct {
	op   cmpOp
	kind valueKind
	// text is the value without its wildcard stars (valText) or the number
	// as written (valNumber).
	text string
	// lead and trail say a '*' wildcard came before or after text.
	lead, trail bool
	num         number
	re          *regexp.Regexp
}

// isUnquotedValueByte reports whether c may appear in a value that is not
// in double quotes: letters, digits and _ - + . * : / (the AWS guide's
// examples use 123.123.* and *.html*; '@', '$' and '\' must be quoted).
func isUnquotedValueByte(c byte) bool {
	return isAlnum(c) || strings.IndexByte("_-+.*:/", c) >= 0
}

// isValueEnd reports whether c may directly follow an unquoted value.
func isValueEnd(c byte) bool {
	return isSpace(c) || strings.IndexByte(")}],&|", c) >= 0
}

// value reads the value of a condition after operator op.
func (p *parser) value(op cmpOp) (cond, error) {
	p.skipSpace()
	off := p.pos
	ordering := op != opEq && op != opNe
	c := cond{op: op}
	switch p.peek() {
	case '"':
		s, err := p.quoted()
		if err != nil {
			return c, err
		}
		if ordering {
			return c, p.errAt(off, "expected a number after %q, got a quoted string; %q compares numbers", opText[op], opText[op])
		}
		c.kind = valText
		c.setWildcards(s)
		return c, nil
	case '%':
		if ordering {
			return c, p.errAt(off, "expected a number after %q, got a regex; a regex can only follow = or !=", opText[op])
		}
		if p.regexes == maxRegexes {
			return c, p.errAt(off, "a JSON or space-delimited pattern may have at most %d regexes (the CloudWatch Logs quota)", maxRegexes)
		}
		re, err := p.regex()
		if err != nil {
			return c, err
		}
		p.regexes++
		c.kind, c.re = valRegex, re
		return c, nil
	}
	for p.pos < len(p.src) && isUnquotedValueByte(p.src[p.pos]) {
		p.pos++
	}
	tok := p.src[off:p.pos]
	if tok == "" && (p.eof() || isValueEnd(p.peek())) {
		return c, p.errAt(off, "expected a value after %q, got %s", opText[op], p.got(off))
	}
	if p.pos < len(p.src) && !isValueEnd(p.src[p.pos]) {
		end := p.pos
		for end < len(p.src) && !isValueEnd(p.src[end]) && p.src[end] != '"' {
			end++
		}
		return c, p.errAt(p.pos, "unquoted values may contain only letters, digits and _ - + . * : /, got %s; put the value in double quotes: \"%s\"", p.got(p.pos), p.src[off:end])
	}
	if n, ok := parseNumber(tok); ok {
		c.kind, c.num, c.text = valNumber, n, tok
		return c, nil
	}
	if ordering {
		return c, p.errAt(off, "expected a number after %q, got %q", opText[op], tok)
	}
	c.kind = valText
	c.setWildcards(tok)
	return c, nil
}

// setWildcards sets text, lead and trail from a value that may start or
// end with the '*' wildcard. A '*' elsewhere is a literal star.
func (c *cond) setWildcards(s string) {
	if strings.HasPrefix(s, "*") {
		c.lead = true
		s = s[1:]
	}
	if strings.HasSuffix(s, "*") {
		c.trail = true
		s = s[:len(s)-1]
	}
	c.text = s
}

// match reports whether the value v satisfies the condition.
func (c *cond) match(v string) bool {
	switch c.kind {
	case valRegex:
		return c.re.MatchString(v) == (c.op == opEq)
	case valNumber:
		n, isNum := parseNumber(v)
		switch c.op {
		case opEq, opNe:
			var eq bool
			if isNum {
				eq = compareNumbers(n, c.num) == 0
			} else {
				eq = v == c.text
			}
			return eq == (c.op == opEq)
		}
		if !isNum {
			return false
		}
		r := compareNumbers(n, c.num)
		switch c.op {
		case opLt:
			return r < 0
		case opLe:
			return r <= 0
		case opGt:
			return r > 0
		default:
			return r >= 0
		}
	default:
		var eq bool
		switch {
		case c.lead && c.trail:
			eq = strings.Contains(v, c.text)
		case c.lead:
			eq = strings.HasSuffix(v, c.text)
		case c.trail:
			eq = strings.HasPrefix(v, c.text)
		default:
			eq = v == c.text
		}
		return eq == (c.op == opEq)
	}
}

// number is a parsed numeric value. Integers that fit in int64 compare
// exactly; anything else compares as float64.
type number struct {
	f     float64
	i     int64
	isInt bool
}

// parseNumber parses s when it is an integer or decimal with an optional
// sign and exponent: [+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?.
func parseNumber(s string) (number, bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	intStart := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intDigits := i - intStart
	isInt := true
	if i < len(s) && s[i] == '.' {
		isInt = false
		i++
		fracStart := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if intDigits == 0 && i == fracStart {
			return number{}, false
		}
	} else if intDigits == 0 {
		return number{}, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		isInt = false
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		expStart := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == expStart {
			return number{}, false
		}
	}
	if i != len(s) {
		return number{}, false
	}
	if isInt && intDigits <= 18 {
		v, err := strconv.ParseInt(s, 10, 64)
		if err == nil {
			return number{f: float64(v), i: v, isInt: true}, true
		}
	}
	// A range error still yields ±Inf, which compares correctly.
	f, _ := strconv.ParseFloat(s, 64)
	return number{f: f}, true
}

// compareNumbers returns -1, 0 or 1 as a is less than, equal to or greater
// than b.
func compareNumbers(a, b number) int {
	if a.isInt && b.isInt {
		switch {
		case a.i < b.i:
			return -1
		case a.i > b.i:
			return 1
		}
		return 0
	}
	switch {
	case a.f < b.f:
		return -1
	case a.f > b.f:
		return 1
	}
	return 0
}

// boolExpr is an && / || tree over conditions (leaves) of a JSON pattern or
// of one space-delimited field.
type boolExpr struct {
	op   exprOp
	leaf int // index of the leaf when op == exprLeaf
	kids []*boolExpr
}

type exprOp uint8

const (
	exprLeaf exprOp = iota
	exprAnd
	exprOr
)

// join combines l and r under op, flattening runs of the same operator.
func join(op exprOp, l, r *boolExpr) *boolExpr {
	if l.op == op {
		l.kids = append(l.kids, r)
		return l
	}
	return &boolExpr{op: op, kids: []*boolExpr{l, r}}
}

// binary parses `operand (sep operand)*` for && and ||, with && binding
// tighter, as `() > && > ||` in the AWS guide. operand parses a leaf or a
// parenthesised expression.
func (p *parser) orExpr(operand func() (*boolExpr, error)) (*boolExpr, error) {
	l, err := p.andExpr(operand)
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		if !p.hasPrefix("||") {
			return l, nil
		}
		p.pos += 2
		r, err := p.andExpr(operand)
		if err != nil {
			return nil, err
		}
		l = join(exprOr, l, r)
	}
}

func (p *parser) andExpr(operand func() (*boolExpr, error)) (*boolExpr, error) {
	l, err := operand()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		if !p.hasPrefix("&&") {
			return l, nil
		}
		p.pos += 2
		r, err := operand()
		if err != nil {
			return nil, err
		}
		l = join(exprAnd, l, r)
	}
}

// paren parses "( expr )" at p.pos for operand functions.
func (p *parser) paren(operand func() (*boolExpr, error)) (*boolExpr, error) {
	open := p.pos
	p.pos++
	e, err := p.orExpr(operand)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.peek() != ')' {
		return nil, p.errAt(p.pos, "expected && or || or ) to close the ( at column %d, got %s", utf8.RuneCountInString(p.src[:open])+1, p.got(p.pos))
	}
	p.pos++
	return e, nil
}
