package filterpattern

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
)

// regexSymbols are the symbol characters the AWS guide allows in a regex
// besides letters and digits. The space is not in the guide's list, but its
// own example %^starting|^initializing|^shutting down% has one.
const regexSymbols = ":_#=@/;,- "

// regexOperators are the operators the AWS guide allows in a regex.
const regexOperators = `^$?[]{}|\*+.`

// compileRegex checks src (the text between the % signs) against the regex
// subset CloudWatch Logs supports and compiles it with Go's regexp (RE2).
// On error it returns a nil Regexp, the byte offset in src of the problem
// and a message.
//
// The subset maps onto RE2 almost unchanged: "{m, n}" loses its spaces,
// "{,n}" becomes "{0,n}", a '{' that does not start a repetition is a
// literal, and the (?s) flag lets '.' match a newline ("matches any single
// character").
func compileRegex(src string) (*regexp.Regexp, int, string) {
	if src == "" {
		return nil, 0, "empty regex; write a regex between the % signs, as in %ERROR [0-9]+%"
	}
	var b strings.Builder
	b.Grow(len(src) + 8)
	b.WriteString("(?s)")
	inClass := false
	classFirst := 0 // offset of the first member of the current class
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c >= 0x80:
			return nil, i, "multi-byte characters are not supported in a CloudWatch Logs regex; match them with . or \\S"
		case c == '(' || c == ')':
			return nil, i, fmt.Sprintf("%q is not supported in a CloudWatch Logs regex (no subpatterns); to match the character write \\x%02X", c, c)
		case c == '\\':
			if i+1 == len(src) {
				return nil, i, `a regex cannot end with \; write \\ to match a backslash`
			}
			n := src[i+1]
			switch {
			case strings.IndexByte("dDsSwW", n) >= 0:
				b.WriteByte('\\')
				b.WriteByte(n)
				i++
			case n == 'x':
				if i+3 >= len(src) || !isHex(src[i+2]) || !isHex(src[i+3]) {
					return nil, i, `\x must be followed by two hexadecimal digits, as in \x3A`
				}
				b.WriteString(src[i : i+4])
				i += 3
			case n == '(' || n == ')':
				return nil, i + 1, fmt.Sprintf("%q is not supported in a CloudWatch Logs regex, even escaped; write \\x%02X", n, n)
			case isAlnum(n):
				return nil, i, fmt.Sprintf(`\%c is not a supported escape; use \d \D \s \S \w \W, \xhh, or \ before an operator`, n)
			case n >= 0x80:
				return nil, i + 1, "multi-byte characters are not supported in a CloudWatch Logs regex; match them with . or \\S"
			case strings.IndexByte(regexSymbols, n) >= 0 || strings.IndexByte(regexOperators, n) >= 0:
				b.WriteByte('\\')
				b.WriteByte(n)
				i++
			default:
				return nil, i + 1, fmt.Sprintf("%q is not supported in a CloudWatch Logs regex; write \\x%02X", n, n)
			}
		case inClass:
			if c == ']' && i > classFirst {
				inClass = false
			} else if !isAlnum(c) && strings.IndexByte(regexSymbols, c) < 0 && strings.IndexByte(regexOperators, c) < 0 {
				return nil, i, fmt.Sprintf("%q is not supported in a CloudWatch Logs regex; write \\x%02X", c, c)
			}
			b.WriteByte(c)
		case c == '[':
			inClass = true
			classFirst = i + 1
			if classFirst < len(src) && src[classFirst] == '^' {
				classFirst++
			}
			b.WriteByte(c)
		case c == '{':
			if rep, n := repetition(src[i:]); n > 0 {
				b.WriteString(rep)
				i += n - 1
			} else {
				b.WriteString(`\{`)
			}
		case c == '}':
			b.WriteString(`\}`)
		case isAlnum(c) || strings.IndexByte(regexSymbols, c) >= 0 || strings.IndexByte(regexOperators, c) >= 0:
			b.WriteByte(c)
		default:
			return nil, i, fmt.Sprintf("%q is not supported in a CloudWatch Logs regex; write \\x%02X", c, c)
		}
	}
	if inClass {
		return nil, len(src), "missing ] to close the character class"
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		msg := err.Error()
		var se *syntax.Error
		if errors.As(err, &se) {
			msg = se.Code.String()
		}
		return nil, 0, "invalid regex %" + src + "%: " + msg
	}
	return re, 0, ""
}

func isHex(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// repetition parses a "{m}", "{m,}", "{m,n}" or "{,n}" repetition, with
// optional spaces, at the start of s. It returns the RE2 form and the
// number of bytes consumed, or 0 when s does not start with one.
func repetition(s string) (string, int) {
	i := 1
	skip := func() {
		for i < len(s) && s[i] == ' ' {
			i++
		}
	}
	digits := func() string {
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		return s[start:i]
	}
	skip()
	m := digits()
	skip()
	comma := false
	var n string
	if i < len(s) && s[i] == ',' {
		comma = true
		i++
		skip()
		n = digits()
		skip()
	}
	if i >= len(s) || s[i] != '}' || m == "" && n == "" {
		return "", 0
	}
	i++
	if m == "" {
		m = "0"
	}
	// Keep counts small enough for strconv and RE2 to judge; RE2 rejects
	// counts over 1000 with its own error.
	if len(m) > 6 || len(n) > 6 {
		m, n = strconv.Itoa(1001), ""
		comma = false
	}
	switch {
	case !comma:
		return "{" + m + "}", i
	case n == "":
		return "{" + m + ",}", i
	default:
		return "{" + m + "," + n + "}", i
	}
}
