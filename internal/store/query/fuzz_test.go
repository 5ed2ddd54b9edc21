package query

import (
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzParse parses arbitrary queries: nothing may panic, errors must be
// SyntaxErrors that point into the query, the canonical form must read
// back to itself, and Match must run on real events.
func FuzzParse(f *testing.F) {
	for _, q := range readQueries(f) {
		f.Add(q)
	}
	evs := readEvents(f)
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) = %v, not a *SyntaxError", s, err)
			}
			if se.Offset < 0 || se.Offset > len(s) || se.Column < 1 || se.Column > utf8.RuneCountInString(s)+1 {
				t.Fatalf("Parse(%q): error position out of range: %+v", s, se)
			}
			return
		}
		c := q.Canonical()
		q2, err := Parse(c)
		if err != nil {
			t.Fatalf("Parse(%q) canonical %q does not parse: %v", s, c, err)
		}
		if c2 := q2.Canonical(); c2 != c {
			t.Fatalf("Parse(%q) canonical %q reads back as %q", s, c, c2)
		}
		for i := range evs {
			if q.Match(&evs[i]) != q2.Match(&evs[i]) {
				t.Fatalf("%q and its canonical form %q disagree on event %s", s, c, evs[i].ID)
			}
		}
	})
}
