package filterpattern

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// seedMessages are real messages of each kind the patterns are about.
func seedMessages(t testing.TB) []string {
	var msgs []string
	for _, name := range []string{"heroku-router.log", "app.ndjson", "apache-access.log", "aws-space-delimited.log", "vpc-flow.log", "lambda-node.log", "cloudtrail.ndjson"} {
		msgs = append(msgs, readLines(t, name)...)
	}
	for _, name := range []string{"aws-json-event.json", "aws-json-compound.json"} {
		msgs = append(msgs, readTestdata(t, name))
	}
	return msgs
}

// FuzzCompileMatch compiles arbitrary patterns and matches the ones that
// compile against arbitrary messages: nothing may panic, errors must be
// SyntaxErrors that point into the pattern, and Match, Extract and String
// must agree.
func FuzzCompileMatch(f *testing.F) {
	patterns := readLines(f, "aws-patterns.txt")
	msgs := seedMessages(f)
	for i, p := range patterns {
		f.Add(p, msgs[i%len(msgs)])
	}
	f.Fuzz(func(t *testing.T, pattern, message string) {
		p, err := Compile(pattern)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Compile(%q) = %v, not a *SyntaxError", pattern, err)
			}
			if se.Offset < 0 || se.Offset > len(pattern) || se.Column < 1 || se.Column > utf8.RuneCountInString(pattern)+2 {
				t.Fatalf("Compile(%q): error position out of range: %+v", pattern, se)
			}
			return
		}
		if p.String() != pattern {
			t.Fatalf("String() = %q, want %q", p.String(), pattern)
		}
		m := p.Match(message)
		vals, ok := p.Extract(message)
		if ok != m || ok != (vals != nil) {
			t.Fatalf("Compile(%q): Match(%q) = %v, Extract = %v, %v", pattern, message, m, vals, ok)
		}
		if m && p.Kind() == KindJSON && !isJSONObject(message) {
			t.Fatalf("Compile(%q) matches %q, which is not a JSON object", pattern, message)
		}
		if p.Kind() == KindTerms && len(vals) != 0 {
			t.Fatalf("Compile(%q).Extract(%q) = %v for a term pattern", pattern, message, vals)
		}
		if p.Kind() == KindSpaceDelimited && m {
			for k := range vals {
				if !strings.HasPrefix(k, "$") {
					t.Fatalf("Compile(%q).Extract(%q): key %q", pattern, message, k)
				}
			}
		}
	})
}

// FuzzJSONScanner compares the JSON scanner with encoding/json on
// arbitrary messages: which are JSON objects, and the values selectors
// find in them.
func FuzzJSONScanner(f *testing.F) {
	for _, m := range seedMessages(f) {
		f.Add(m)
	}
	for _, m := range []string{`{"a":{"b":"\u00e9"},"c":[[1],2],"d.e":true,"é":"x","q\"":null,"n":-0.5e-3}`, `{"a":1,"a":{"b":2}}`, `{"a":"\ud83d"}`} {
		f.Add(m)
	}
	p, err := Compile(differentialPattern)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		checkScanner(t, p.json, msg)
	})
}
