package filterpattern

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// term is one word, quoted phrase or regex of a term pattern.
type term struct {
	text string
	re   *regexp.Regexp
	// any is set for a phrase of only spaces (`" "`), which the AWS guide
	// documents as matching every event.
	any bool
}

// in reports whether the term occurs in msg. Matching is case-sensitive.
func (t *term) in(msg string) bool {
	switch {
	case t.any:
		return true
	case t.re != nil:
		return t.re.MatchString(msg)
	default:
		return strings.Contains(msg, t.text)
	}
}

// termsPattern is a compiled term pattern: every required term must occur,
// no excluded term may occur, and when there are only ?terms, one of them
// must occur.
type termsPattern struct {
	required []term
	excluded []term
	optional []term
}

func (tp *termsPattern) match(msg string) bool {
	for i := range tp.required {
		if !tp.required[i].in(msg) {
			return false
		}
	}
	for i := range tp.excluded {
		if tp.excluded[i].in(msg) {
			return false
		}
	}
	if len(tp.optional) == 0 {
		return true
	}
	for i := range tp.optional {
		if tp.optional[i].in(msg) {
			return true
		}
	}
	return false
}

// parseTerms parses a term pattern: terms separated by spaces, each a word
// of letters, digits and '_', a "quoted phrase" or a %regex%, optionally
// prefixed by '?' (optional) or '-' (excluded).
func (p *parser) parseTerms() (*termsPattern, []string, error) {
	tp := &termsPattern{}
	for {
		p.skipSpace()
		if p.eof() {
			break
		}
		prefix := p.peek()
		if prefix == '?' || prefix == '-' {
			p.pos++
			if p.eof() || isSpace(p.peek()) || p.peek() == '?' || p.peek() == '-' {
				return nil, nil, p.errAt(p.pos, "expected a term right after %q, got %s; write %cterm with no space", string(prefix), p.got(p.pos), prefix)
			}
		} else {
			prefix = 0
		}
		t, err := p.term()
		if err != nil {
			return nil, nil, err
		}
		switch prefix {
		case '?':
			tp.optional = append(tp.optional, t)
		case '-':
			tp.excluded = append(tp.excluded, t)
		default:
			tp.required = append(tp.required, t)
		}
	}
	var warnings []string
	if len(tp.optional) > 0 && len(tp.required)+len(tp.excluded) > 0 {
		// "If you combine "?" with other filter patterns, all question
		// mark terms will be ignored."
		warnings = append(warnings, "the ?terms are ignored: CloudWatch Logs ignores ?terms in a pattern that also has plain or -excluded terms; use only ?terms to match any of them")
		tp.optional = nil
	}
	return tp, warnings, nil
}

// term parses one word, quoted phrase or regex at p.pos.
func (p *parser) term() (term, error) {
	switch p.peek() {
	case '"':
		s, err := p.quoted()
		if err != nil {
			return term{}, err
		}
		if !p.eof() && !isSpace(p.peek()) {
			return term{}, p.errAt(p.pos, "expected a space after the quoted phrase, got %s", p.got(p.pos))
		}
		if strings.TrimSpace(s) == "" {
			return term{any: true}, nil
		}
		return term{text: s}, nil
	case '%':
		re, err := p.regex()
		if err != nil {
			return term{}, err
		}
		if !p.eof() && !isSpace(p.peek()) {
			return term{}, p.errAt(p.pos, "expected a space after the regex, got %s", p.got(p.pos))
		}
		return term{re: re}, nil
	}
	start := p.pos
	for p.pos < len(p.src) {
		r, size := utf8.DecodeRuneInString(p.src[p.pos:])
		if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			break
		}
		p.pos += size
	}
	if p.pos < len(p.src) && !isSpace(p.src[p.pos]) {
		end := p.pos
		for end < len(p.src) && !isSpace(p.src[end]) {
			end++
		}
		word := p.src[start:end]
		hint := ""
		if !strings.ContainsAny(word, `"\`) {
			hint = `; put the term in double quotes: "` + word + `"`
		}
		return term{}, p.errAt(p.pos, "unquoted terms may contain only letters, digits and _, got %s%s", p.got(p.pos), hint)
	}
	return term{text: p.src[start:p.pos]}, nil
}
