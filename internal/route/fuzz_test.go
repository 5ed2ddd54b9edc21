package route

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// addLines adds each line of a testdata file as a seed.
func addLines(f *testing.F, name string) {
	f.Helper()
	file, err := os.Open("testdata/" + name)
	if err != nil {
		f.Fatal(err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		f.Add(sc.Text())
	}
	if err := sc.Err(); err != nil {
		f.Fatal(err)
	}
}

// FuzzCompileWhere: compiling never panics, and a rule that compiles gives
// what plain expr-lang gives wherever plain expr-lang gives an answer.
func FuzzCompileWhere(f *testing.F) {
	addLines(f, "rules.txt")
	events := testEvents(f)
	f.Fuzz(func(t *testing.T, rule string) {
		if len(rule) > 300 {
			return
		}
		w, err := CompileWhere(rule)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "cannot compile rule: ") {
				t.Errorf("error %q does not start with \"cannot compile rule: \"", err)
			}
			return
		}
		for i := range events {
			e := &events[i]
			got := w.Match(e)
			if want, ok := referenceMatch(rule, e); ok && got != want {
				t.Errorf("%s on %s: got %v, plain expr-lang gives %v", rule, e.ID, got, want)
			}
		}
	})
}

// FuzzRedact: redacting never panics, keeps valid UTF-8 valid, leaves a
// text without secrets alone, and masks nothing more when run again.
func FuzzRedact(f *testing.F) {
	addLines(f, "redact.txt")
	tr, err := newRedact(Redact{Patterns: RedactPatterns(), Regex: []string{`password=(\S+)`}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, changed := tr.redact(in)
		if !changed && out != in {
			t.Fatalf("unchanged text altered: %q → %q", in, out)
		}
		if changed && !strings.Contains(out, DefaultReplacement) {
			t.Fatalf("changed text without a replacement: %q → %q", in, out)
		}
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 from valid %q: %q", in, out)
		}
		if again, _ := tr.redact(out); again != out {
			t.Errorf("not idempotent:\n%q\n→ %q\n→ %q", in, out, again)
		}
	})
}
