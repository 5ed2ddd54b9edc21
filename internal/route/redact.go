package route

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

// Redact masks secrets in the message (or other fields) with Replacement.
//
// Ready-made patterns (Patterns), each a hand-written scanner that looks at
// the text once and allocates nothing when it finds nothing:
//
//   - "email": e-mail addresses (local@domain.tld, the top-level domain
//     two or more letters; the whole address is masked).
//   - "bearer": the token after "Bearer " (any case, 8 characters or more),
//     and the credentials of an Authorization or Proxy-Authorization value
//     (`Authorization: Basic dXNlcjpwYXNz` keeps a known scheme such as
//     Basic, Bearer, Digest or AWS4-HMAC-SHA256 and masks the credentials up
//     to a blank, quote, comma or semicolon; also `"authorization":"..."`
//     and authorization=...).
//   - "aws_key": AWS access key ids (AKIA or ASIA and 16 upper-case letters
//     or digits, as a word of its own) and secret access keys where they
//     are labelled: 40 characters of [A-Za-z0-9/+=] after a name containing
//     "secret" and "key" in any case (aws_secret_access_key=...,
//     "SecretAccessKey": "...", AWS_SECRET_ACCESS_KEY: ...).
//   - "card": payment card numbers: 13 to 19 digits, written together or in
//     groups separated by single spaces or single dashes (the same separator
//     throughout), not part of a longer word or number, starting as a card
//     network's numbers do (3, 4, 5, 6, or 2221-2720) and passing the Luhn
//     check. Order ids, epoch timestamps (which start with 1) and dates
//     are not masked.
//
// Regex adds regular expressions (RE2 syntax): the text of each capture
// group is masked, or the whole match when there is no group (so
// `password=(\S+)` keeps "password=").
type Redact struct {
	Patterns []string
	Regex    []string
	// Replacement defaults to DefaultReplacement.
	Replacement string
	// Fields to mask in, named as Set names them; default: the message.
	// A field of any type is masked in its text (a number that is masked
	// becomes a string).
	Fields []string
}

// DefaultReplacement replaces what Redact masks when no Replacement is given.
const DefaultReplacement = "[REDACTED]"

// RedactPatterns are the names of Redact's ready-made patterns.
func RedactPatterns() []string { return []string{"email", "bearer", "aws_key", "card"} }

// span is a range of a text to mask.
type span struct{ start, end int }

type finder func(s string, spans []span) []span

type redactTransform struct {
	finders []finder
	repl    string
	targets []target
	spans   []span
	buf     []byte
}

func newRedact(s Redact) (*redactTransform, error) {
	t := &redactTransform{repl: s.Replacement}
	if t.repl == "" {
		t.repl = DefaultReplacement
	}
	for _, p := range s.Patterns {
		switch p {
		case "email":
			t.finders = append(t.finders, findEmails)
		case "bearer":
			t.finders = append(t.finders, findBearer, findAuthorization)
		case "aws_key":
			t.finders = append(t.finders, findAWSKeyIDs, findAWSSecrets)
		case "card":
			t.finders = append(t.finders, findCards)
		default:
			return nil, fmt.Errorf("unknown pattern %q; known are %s (or give a regex)", p, strings.Join(RedactPatterns(), ", "))
		}
	}
	for _, src := range s.Regex {
		re, err := regexp.Compile(src)
		if err != nil {
			return nil, fmt.Errorf("regex %q: %w", src, err)
		}
		t.finders = append(t.finders, regexFinder(re))
	}
	if len(t.finders) == 0 {
		return nil, errors.New("no patterns and no regex; name what to mask")
	}
	fields := s.Fields
	if len(fields) == 0 {
		fields = []string{"message"}
	}
	for _, name := range fields {
		tg, err := parseTarget(name)
		if err != nil {
			return nil, err
		}
		if tg.attr == targetSeverity {
			return nil, errors.New("cannot redact the severity")
		}
		t.targets = append(t.targets, tg)
	}
	return t, nil
}

// Apply masks what the patterns find in each of the fields.
func (t *redactTransform) Apply(e *event.Event, _ time.Time) bool {
	for _, tg := range t.targets {
		if tg.attr != targetField {
			p := tg.str(e)
			if out, ok := t.redact(*p); ok {
				*p = out
			}
			continue
		}
		for i := range e.Fields {
			f := &e.Fields[i]
			if f.Key != tg.key {
				continue
			}
			if out, ok := t.redact(f.Value); ok {
				f.Value = out
				if f.Type == event.Number || f.Type == event.Bool {
					f.Type = event.String
				}
			}
		}
	}
	return true
}

// redact returns s with what the finders find masked, and whether anything
// was.
func (t *redactTransform) redact(s string) (string, bool) {
	if s == "" {
		return s, false
	}
	t.spans = t.spans[:0]
	for _, find := range t.finders {
		t.spans = find(s, t.spans)
	}
	if len(t.spans) == 0 {
		return s, false
	}
	t.buf = appendMasked(t.buf[:0], s, t.spans, t.repl)
	return string(t.buf), true
}

// appendMasked appends s with the spans (in any order, possibly
// overlapping) replaced by repl; overlapping and adjacent spans become one.
func appendMasked(dst []byte, s string, spans []span, repl string) []byte {
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	pos := 0
	for i := 0; i < len(spans); {
		start, end := spans[i].start, spans[i].end
		i++
		for i < len(spans) && spans[i].start <= end {
			end = max(end, spans[i].end)
			i++
		}
		if start < pos {
			start = pos
		}
		dst = append(dst, s[pos:start]...)
		dst = append(dst, repl...)
		pos = end
	}
	return append(dst, s[pos:]...)
}

// Kind returns "redact".
func (t *redactTransform) Kind() string { return "redact" }

func regexFinder(re *regexp.Regexp) finder {
	prefix, _ := re.LiteralPrefix()
	groups := re.NumSubexp() > 0
	return func(s string, spans []span) []span {
		if prefix != "" && !strings.Contains(s, prefix) {
			return spans
		}
		for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
			if !groups {
				if m[1] > m[0] {
					spans = append(spans, span{m[0], m[1]})
				}
				continue
			}
			for g := 2; g+1 < len(m); g += 2 {
				if m[g] >= 0 && m[g+1] > m[g] {
					spans = append(spans, span{m[g], m[g+1]})
				}
			}
		}
		return spans
	}
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }
func isAlnum(c byte) bool  { return isDigit(c) || isLetter(c) }
func isBlank(c byte) bool  { return c == ' ' || c == '\t' }

// wordFinder finds a word (lower-case letters) in a text, written in lower
// case, upper case or capitalised ("bearer", "BEARER", "Bearer"; also
// inside camelCase names): it searches for the word without its first
// letter in lower and in upper case (fast substring searches) and checks
// the letter before. It remembers where each of the two occurs next, so
// that finding all occurrences takes time linear in the text.
type wordFinder struct {
	s, word, restUpper string
	// lower and upper are where word[1:] and restUpper next occur at or
	// after the last search position; len(s) for nowhere, -1 for not
	// searched yet.
	lower, upper int
}

func newWordFinder(s, word, restUpper string) wordFinder {
	return wordFinder{s: s, word: word, restUpper: restUpper, lower: -1, upper: -1}
}

// next returns the index of the first occurrence at or after from, or -1.
func (f *wordFinder) next(from int) int {
	for {
		if f.lower < from+1 {
			f.lower = indexFrom(f.s, from+1, f.word[1:])
		}
		if f.upper < from+1 {
			f.upper = indexFrom(f.s, from+1, f.restUpper)
		}
		p := min(f.lower, f.upper)
		if p >= len(f.s) {
			return -1
		}
		k := p - 1
		if strings.EqualFold(f.s[k:k+len(f.word)], f.word) {
			return k
		}
		from = k + 1
	}
}

// indexFrom returns the index of sub in s at or after i, or len(s).
func indexFrom(s string, i int, sub string) int {
	if i > len(s) {
		return len(s)
	}
	if j := strings.Index(s[i:], sub); j >= 0 {
		return i + j
	}
	return len(s)
}

// findEmails finds e-mail addresses.
func findEmails(s string, spans []span) []span {
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '@')
		if j < 0 {
			break
		}
		at := i + j
		i = at + 1
		l := at
		for l > 0 && isEmailLocal(s[l-1]) {
			l--
		}
		for l < at && s[l] == '.' {
			l++
		}
		r := at + 1
		for r < len(s) && (isAlnum(s[r]) || s[r] == '-' || s[r] == '.') {
			r++
		}
		for r > at+1 && (s[r-1] == '.' || s[r-1] == '-') {
			r--
		}
		if l == at || !validDomain(s[at+1:r]) {
			continue
		}
		spans = append(spans, span{l, r})
		i = r
	}
	return spans
}

func isEmailLocal(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

// validDomain says whether d is labels separated by single dots, the last
// of two or more letters.
func validDomain(d string) bool {
	dot := strings.LastIndexByte(d, '.')
	if dot <= 0 || strings.Contains(d, "..") || d[0] == '.' {
		return false
	}
	tld := d[dot+1:]
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if !isLetter(tld[i]) {
			return false
		}
	}
	return true
}

// isTokenChar says whether c may be in an RFC 6750 bearer token
// (token68: letters, digits, - . _ ~ + / and trailing =).
func isTokenChar(c byte) bool {
	return isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '='
}

// findBearer finds the tokens after "Bearer ".
func findBearer(s string, spans []span) []span {
	words := newWordFinder(s, "bearer", "EARER")
	for i := 0; ; {
		k := words.next(i)
		if k < 0 {
			return spans
		}
		i = k + len("bearer")
		if k > 0 && isAlnum(s[k-1]) {
			continue
		}
		q := i
		for q < len(s) && isBlank(s[q]) {
			q++
		}
		if q == i {
			continue
		}
		r := q
		for r < len(s) && isTokenChar(s[r]) {
			r++
		}
		if r-q >= 8 {
			spans = append(spans, span{q, r})
			i = r
		}
	}
}

// findAuthorization finds the credentials of Authorization values.
func findAuthorization(s string, spans []span) []span {
	words := newWordFinder(s, "authorization", "UTHORIZATION")
	for i := 0; ; {
		k := words.next(i)
		if k < 0 {
			return spans
		}
		p := k + len("authorization")
		i = p
		if p < len(s) && (s[p] == '"' || s[p] == '\'') {
			p++
		}
		for p < len(s) && isBlank(s[p]) {
			p++
		}
		if p >= len(s) || (s[p] != ':' && s[p] != '=') {
			continue
		}
		p++
		for p < len(s) && isBlank(s[p]) {
			p++
		}
		if p < len(s) && (s[p] == '"' || s[p] == '\'') {
			p++
		}
		// A scheme (Basic, Bearer, AWS4-HMAC-SHA256, ...) followed by
		// blanks stays readable.
		w := p
		for w < len(s) && (isAlnum(s[w]) || s[w] == '-') {
			w++
		}
		q := p
		if w < len(s) && isBlank(s[w]) && isAuthScheme(s[p:w]) {
			q = w
			for q < len(s) && isBlank(s[q]) {
				q++
			}
		}
		r := q
		for r < len(s) && !isBlank(s[r]) && s[r] != '"' && s[r] != '\'' && s[r] != ',' && s[r] != ';' && s[r] != '\n' && s[r] != '\r' {
			r++
		}
		if r > q {
			spans = append(spans, span{q, r})
			i = r
		}
	}
}

// isAuthScheme says whether w is an HTTP authentication scheme (the IANA
// registry's, and the common non-registered ones), in any case.
func isAuthScheme(w string) bool {
	for _, scheme := range [...]string{
		"basic", "bearer", "digest", "dpop", "hoba", "mutual", "negotiate", "ntlm", "oauth",
		"privatetoken", "scram-sha-1", "scram-sha-256", "vapid", "aws4-hmac-sha256",
		"token", "apikey", "sharedaccesssignature", "sharedkey",
	} {
		if strings.EqualFold(w, scheme) {
			return true
		}
	}
	return false
}

// findAWSKeyIDs finds AWS access key ids (AKIA..., ASIA...).
func findAWSKeyIDs(s string, spans []span) []span {
	for _, prefix := range [...]string{"AKIA", "ASIA"} {
		for i := 0; ; {
			j := strings.Index(s[i:], prefix)
			if j < 0 {
				break
			}
			k := i + j
			i = k + len(prefix)
			end := k + 20
			if end > len(s) || (k > 0 && isAlnum(s[k-1])) || (end < len(s) && isAlnum(s[end])) {
				continue
			}
			ok := true
			for _, c := range []byte(s[k+4 : end]) {
				if !isDigit(c) && (c < 'A' || c > 'Z') {
					ok = false
					break
				}
			}
			if ok {
				spans = append(spans, span{k, end})
				i = end
			}
		}
	}
	return spans
}

func isIdentChar(c byte) bool { return isAlnum(c) || c == '_' || c == '-' || c == '.' }

// findAWSSecrets finds 40-character secret access keys after a label.
func findAWSSecrets(s string, spans []span) []span {
	words := newWordFinder(s, "secret", "ECRET")
	for i := 0; ; {
		k := words.next(i)
		if k < 0 {
			return spans
		}
		// The name around "secret"; the search goes on after it.
		l, r := k, k+len("secret")
		for l > 0 && isIdentChar(s[l-1]) {
			l--
		}
		for r < len(s) && isIdentChar(s[r]) {
			r++
		}
		i = r
		key := newWordFinder(s[l:r], "key", "EY")
		if key.next(0) < 0 {
			continue
		}
		p := r
		if p < len(s) && (s[p] == '"' || s[p] == '\'') {
			p++
		}
		for p < len(s) && isBlank(s[p]) {
			p++
		}
		if p >= len(s) || (s[p] != ':' && s[p] != '=') {
			continue
		}
		p++
		if p < len(s) && s[p] == '>' {
			p++
		}
		for p < len(s) && isBlank(s[p]) {
			p++
		}
		if p < len(s) && (s[p] == '"' || s[p] == '\'') {
			p++
		}
		q := p
		for q < len(s) && (isAlnum(s[q]) || s[q] == '/' || s[q] == '+' || s[q] == '=') {
			q++
		}
		if q-p == 40 {
			spans = append(spans, span{p, q})
		}
		// A label inside the value is not one: go on after the value.
		i = max(i, q)
	}
}

// findCards finds payment card numbers.
func findCards(s string, spans []span) []span {
	// groups holds the digit groups of one run: digits separated by
	// single spaces or dashes.
	var groupsBuf [24]span
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		// A number that continues a word or a decimal is not a card.
		if i > 0 && (isLetter(s[i-1]) || s[i-1] == '_' || s[i-1] == '.' || s[i-1] == ',') {
			for i < len(s) && isDigit(s[i]) {
				i++
			}
			continue
		}
		groups := groupsBuf[:0]
		for {
			start := i
			for i < len(s) && isDigit(s[i]) {
				i++
			}
			if len(groups) < cap(groups) {
				groups = append(groups, span{start, i})
			}
			if i+1 < len(s) && (s[i] == ' ' || s[i] == '-') && isDigit(s[i+1]) {
				i++
				continue
			}
			break
		}
		// The run must not go on as a word or decimal.
		if i < len(s) && (isLetter(s[i]) || s[i] == '_' || ((s[i] == '.' || s[i] == ',') && i+1 < len(s) && isDigit(s[i+1]))) {
			continue
		}
		spans = cardsInRun(s, groups, spans)
	}
	return spans
}

// cardsInRun finds card numbers made of consecutive groups of a run: one
// group of 13-19 digits, or groups of 3 digits or more (the first of 4 or
// more) all separated by the same separator. From each group on, the
// longest such number that is a card is taken.
func cardsInRun(s string, groups []span, spans []span) []span {
	for a := 0; a < len(groups); a++ {
		digits, best := 0, -1
		var sep byte
		for b := a; b < len(groups); b++ {
			n := groups[b].end - groups[b].start
			if b > a {
				c := s[groups[b].start-1]
				if b == a+1 {
					sep = c
				}
				if c != sep || n < 3 || groups[a].end-groups[a].start < 4 {
					break
				}
			}
			digits += n
			if digits > 19 {
				break
			}
			if digits >= 13 && isCard(s[groups[a].start:groups[b].end]) {
				best = b
			}
		}
		if best >= 0 {
			spans = append(spans, span{groups[a].start, groups[best].end})
			a = best
		}
	}
	return spans
}

// isCard checks the issuer prefix and the Luhn checksum of the digits of
// n (separators skipped).
func isCard(n string) bool {
	var d [19]byte
	k := 0
	for i := 0; i < len(n); i++ {
		if isDigit(n[i]) {
			if k == len(d) {
				return false
			}
			d[k] = n[i] - '0'
			k++
		}
	}
	if k < 13 {
		return false
	}
	switch d[0] {
	case 3:
		if d[1] != 0 && d[1] < 4 {
			return false
		}
	case 4, 5, 6:
	case 2:
		p := int(d[0])*1000 + int(d[1])*100 + int(d[2])*10 + int(d[3])
		if p < 2221 || p > 2720 {
			return false
		}
	default:
		return false
	}
	sum := 0
	for i := range k {
		v := int(d[k-1-i])
		if i%2 == 1 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return sum%10 == 0
}
