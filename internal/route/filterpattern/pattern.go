package filterpattern

import (
	"fmt"
	"unicode/utf8"
)

// MaxPatternLength is the longest filter pattern, in characters, that
// Compile accepts: the CloudWatch Logs limit on filterPattern.
const MaxPatternLength = 1024

// Kind says which of the three filter pattern syntaxes a Pattern uses.
type Kind uint8

// The filter pattern syntaxes.
const (
	// KindTerms is a pattern of terms, quoted phrases and regexes matched
	// anywhere in the message ("unstructured" in the AWS guide). The empty
	// pattern is a KindTerms pattern that matches every message.
	KindTerms Kind = iota + 1
	// KindJSON is a pattern in braces over the fields of a JSON message.
	KindJSON
	// KindSpaceDelimited is a pattern in brackets over the space-delimited
	// fields of a message.
	KindSpaceDelimited
)

// String returns "terms", "json" or "space-delimited".
func (k Kind) String() string {
	switch k {
	case KindTerms:
		return "terms"
	case KindJSON:
		return "json"
	case KindSpaceDelimited:
		return "space-delimited"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Pattern is a compiled CloudWatch Logs filter pattern. It is immutable and
// safe for concurrent use.
type Pattern struct {
	src      string
	kind     Kind
	terms    *termsPattern
	json     *jsonPattern
	delim    *delimPattern
	warnings []string
}

// SyntaxError is the error Compile returns for a pattern it cannot parse.
type SyntaxError struct {
	// Pattern is the pattern as given to Compile.
	Pattern string
	// Offset is the byte offset of the problem in Pattern.
	Offset int
	// Column is the 1-based character (rune) column of the problem.
	Column int
	// Msg says what was expected and what was found instead.
	Msg string
}

// Error returns "cannot parse filter pattern at column N: <Msg>".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("cannot parse filter pattern at column %d: %s", e.Column, e.Msg)
}

// Compile parses a filter pattern. Errors are *SyntaxError values that name
// the column and what was expected, e.g.
// `cannot parse filter pattern at column 9: expected a value after "=", got "&&"`.
func Compile(pattern string) (*Pattern, error) {
	if n := utf8.RuneCountInString(pattern); n > MaxPatternLength {
		return nil, &SyntaxError{Pattern: pattern, Offset: len(pattern), Column: n + 1,
			Msg: fmt.Sprintf("the pattern has %d characters, CloudWatch Logs allows at most %d; shorten it or split it over several subscriptions", n, MaxPatternLength)}
	}
	p := &parser{src: pattern}
	p.skipSpace()
	pat := &Pattern{src: pattern}
	var err error
	switch {
	case p.eof():
		pat.kind, pat.terms = KindTerms, &termsPattern{}
	case p.src[p.pos] == '{':
		pat.kind = KindJSON
		pat.json, err = p.parseJSON()
	case p.src[p.pos] == '[':
		pat.kind = KindSpaceDelimited
		pat.delim, err = p.parseDelimited()
	default:
		pat.kind = KindTerms
		pat.terms, pat.warnings, err = p.parseTerms()
	}
	if err != nil {
		return nil, err
	}
	return pat, nil
}

// Match reports whether message matches the pattern.
func (p *Pattern) Match(message string) bool {
	switch p.kind {
	case KindJSON:
		return p.json.match(message)
	case KindSpaceDelimited:
		return p.delim.run(message, nil)
	default:
		return p.terms.match(message)
	}
}

// Extract reports whether message matches the pattern and, for JSON and
// space-delimited patterns, returns the values `aws logs test-metric-filter`
// shows as extractedValues: "$name" for each named field of a
// space-delimited pattern, "$N" (the 1-based field number) for fields under
// an ellipsis and for unnamed fields, and for JSON patterns the selector as
// written ("$.a.b", "$.users[0].id") for each selector that found a string,
// number or boolean. The map is empty for term patterns; it is nil when ok
// is false.
func (p *Pattern) Extract(message string) (values map[string]string, ok bool) {
	values = map[string]string{}
	switch p.kind {
	case KindJSON:
		ok = p.json.extract(message, values)
	case KindSpaceDelimited:
		ok = p.delim.run(message, values)
	default:
		ok = p.terms.match(message)
	}
	if !ok {
		return nil, false
	}
	return values, true
}

// String returns the pattern exactly as it was given to Compile.
func (p *Pattern) String() string { return p.src }

// Kind returns the syntax of the pattern.
func (p *Pattern) Kind() Kind { return p.kind }

// Warnings returns notes about parts of a valid pattern that have no
// effect, for `sluice check` to show; for example, that ?terms are ignored
// in a pattern that also has plain or excluded terms.
func (p *Pattern) Warnings() []string { return p.warnings }
