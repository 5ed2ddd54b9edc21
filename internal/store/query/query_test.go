package query

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

func readEvents(t testing.TB) []event.Event {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "events.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs []event.Event
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e event.Event
		if err := e.UnmarshalJSON(sc.Bytes()); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
	return evs
}

func readQueries(t testing.TB) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "queries.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestMatch(t *testing.T) {
	evs := readEvents(t)
	f := func(q string, want ...string) {
		t.Helper()
		pq, err := Parse(q)
		if err != nil {
			t.Fatalf("Parse(%q): %v", q, err)
		}
		var got []string
		for i := range evs {
			if pq.Match(&evs[i]) {
				got = append(got, evs[i].ID)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%q matches %v, want %v", q, got, want)
		}
	}
	all := []string{"r1", "r2", "w1", "l1", "l2", "s1", "s2", "u1"}
	f("", all...)
	f("   ", all...)
	// Terms: case-insensitive whole words; * makes a prefix.
	f("timeout", "r2")
	f("TIMEOUT", "r2")
	f("time")        // not inside "timeout"
	f("time*", "r2") // a prefix of "timeout"
	f("TIME*", "r2")
	f("connect", "r1", "r2", "w1") // "connect=1ms", "connect ECONNREFUSED", not "connection"
	f("connecti*", "w1")
	f(`"connection ref"*`, "w1")
	f(`"connection ref"`)
	f("*")
	f("ms", "l1", "l2")     // "102.25 ms", "duration_ms" (_ is no letter), not "18ms"
	f("runtime", "s2")      // whole word
	f("untime")             // not at a word start
	f("error", "r2", "w1")  // "at=error", "Error:"
	f("10.0.0.1", "w1")     // punctuation inside the term
	f("0.0.1", "w1")        // "10.0.0.1": after a ".", a word starts
	f("0.0.0.1")            // starts inside "10"
	f(".0.0.1", "w1")       // starts with punctuation: anywhere
	f("econnrefused", "w1") // case
	f("status=5")
	f("status=5*", "r2") // '=' is part of the term
	f(`"connection refused"`, "w1")
	f(`"Connection Refused"`, "w1")
	f(`"refused connection"`)
	f(`"request timeout"`, "r2")
	f(`"Duration: 102"`, "l2") // "102.25": '.' ends a word
	f(`"Duration: 10"`)
	f(`"Duration: 102"*`, "l2")
	f(`"Duration: 102.25"`, "l2")
	f("zeitüberschreitung", "u1") // non-ASCII lower-casing
	f("GRÖSSE")                   // no Unicode special folding of ß
	f("größe", "u1")
	f("überschritten", "u1")
	f("überschr")
	f("überschritten*", "u1")
	// Exclusion, AND, OR, NOT, parentheses.
	f("-error", "r1", "l1", "l2", "s1", "s2", "u1")
	f("error -app:heroku", "w1")
	f("timeout OR refused", "r2", "w1")
	f("timeout OR refused OR memory", "r2", "w1", "l2", "s2")
	f("status OR memory", "r1", "r2", "l2", "s2")
	f("status OR memory app:kernel", "r1", "r2", "s2") // AND binds tighter
	f("(status OR memory) app:kernel", "s2")
	f("memory AND app:kernel", "s2")
	f("memory NOT app:kernel", "l2")
	f("-(timeout OR refused) error")
	f("--timeout", "r2")
	f(`-"connection refused" error`, "r2")
	// Severity.
	f("severity:error", "r2", "w1")
	f("severity:err", "r2", "w1")
	f("severity:3", "r2", "w1")
	f("severity:<=warning", "r2", "w1", "l1", "s2")
	f("severity:<warning", "r2", "w1", "s2")
	f("severity:>=info", "r1", "l2", "s1", "u1")
	f("severity:>info", "s1")
	f("-severity:info", "r2", "w1", "l1", "s1", "s2")
	// String fields: exact, case-sensitive, * globs.
	f("app:heroku", "r1", "r2")
	f("app:Heroku")
	f("program:sshd", "s1")
	f("proc:router", "r1", "r2")
	f("proc:web.*", "w1")
	f("proc:web")
	f("host:web01", "s1")
	f("host:web0*", "s1", "u1")
	f("host:*.internal", "s2")
	f("group:/aws/lambda/*", "l1", "l2")
	f("group:/aws/lambda/orders", "l1", "l2")
	f("group:/aws/lambda")
	f("stream:2026/11/21/*", "l1", "l2")
	f(`stream:"2026/11/21/[$LATEST]abcdef"`, "l1", "l2")
	f("source:syslog", "s1", "s2", "u1")
	f("id:w1", "w1")
	f("facility:kern", "s2")
	f(`app:""`, "l1", "l2")
	f("msgid:*", all...)
	// fields.KEY.
	f("fields.status:>=500", "r2")
	f("fields.status:500")
	f("fields.status:503", "r2")
	f("fields.status:503.0", "r2")
	f("fields.status:<300", "r1")
	f("fields.level:warn", "l1")
	f("fields.level:WA*", "l1")
	f("fields.level:w*", "l1")
	f("fields.code:H1*", "r2")
	f("fields.duration_ms:>1000", "l1")
	f("fields.duration_ms:>100", "l1", "l2")
	f("-fields.duration_ms:>100", "r1", "r2", "w1", "s1", "s2", "u1")
	f("fields.service:>=18ms", "r1") // not numbers: compared as strings
	f("fields.missing:x")
	// CloudWatch Logs filter patterns, whole or in pattern:'…'.
	f(`{ $.level = "WARN" }`, "l1")
	f(`{ $.duration_ms > 1000 }`, "l1")
	f(`pattern:'{ $.level = "WARN" }'`, "l1")
	f(`pattern:"Out of"`, "s2")
	f(`pattern:'ERROR' OR timeout`, "r2")
	f(`pattern:'Error'`, "w1") // filter patterns are case-sensitive
	f(`pattern:'Accepted -deploy' OR pattern:'RSA SHA256'`, "s1")
	f(`[w1, w2 = publickey, ...]`, "s1")
	f(`[w1, w2 = password, ...]`)
}

func TestCanonical(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		q, err := Parse(in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if got := q.Canonical(); got != want {
			t.Errorf("Parse(%q).Canonical() = %q, want %q", in, got, want)
		}
		if q.String() != in {
			t.Errorf("Parse(%q).String() = %q", in, q.String())
		}
		q2, err := Parse(want)
		if err != nil {
			t.Fatalf("Parse(%q) (canonical): %v", want, err)
		}
		if q2.Canonical() != want {
			t.Errorf("canonical %q reparsed as %q", want, q2.Canonical())
		}
	}
	f("", "")
	f("timeout", "timeout")
	f(`  "connection refused"  `, `"connection refused"`)
	f("a b OR c", "a b OR c")
	f("a (b OR c)", "a (b OR c)")
	f("a AND b", "a b")
	f("(a b) c", "a b c")
	f("a OR (b OR c)", "a OR b OR c")
	f("NOT a", "-a")
	f("-(a OR b) -(c d)", "-(a OR b) -(c d)")
	f("--a", "a")
	f("severity:<=warn", "severity:<=warn")
	f("time*", "time*")
	f(`"a b"*`, `"a b"*`)
	f(`"a*"`, `"a*"`)
	f("**", `"*"*`)
	f("*", `"*"`)
	f("app:=router", "app:router")
	f(`app:"my app"`, `app:"my app"`)
	f(`app:">x"`, `app:">x"`)
	f("PROGRAM:x", "app:x")
	f("fields.Status:>=500", "fields.Status:>=500")
	f("ERROR:", `"ERROR:"`)
	f(`"a \"b\" \\ c"`, `"a \"b\" \\ c"`)
	f(`say"hi"`, `"say\"hi\""`)
	f("or and", "or and")
	f(`"OR"`, `"OR"`)
	f(`pattern:'{ $.a = "b" }' x`, `pattern:'{ $.a = "b" }' x`)
	f(`{ $.a = 1 }`, `{ $.a = 1 }`)
	f(`[a, b]`, `[a, b]`)
}

func TestParseErrors(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		_, err := Parse(in)
		if err == nil {
			t.Fatalf("Parse(%q) succeeded, want an error %q", in, want)
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("Parse(%q) = %v, not a *SyntaxError", in, err)
		}
		if err.Error() != want {
			t.Errorf("Parse(%q) = %q,\n want %q", in, err.Error(), want)
		}
	}
	f("a OR", `cannot parse query at column 5: expected a term or a filter, got the end of the query`)
	f("OR a", `cannot parse query at column 1: expected a term or a filter, got "OR"`)
	f("(a", `cannot parse query at column 3: expected ")" to close the "(" at column 1, got the end of the query`)
	f("a)", `cannot parse query at column 2: expected a term, a filter, OR or the end of the query, got ")"`)
	f("()", `cannot parse query at column 2: expected a term or a filter inside the parentheses, got ")"`)
	f(`"abc`, `cannot parse query at column 1: expected a closing " for the string that starts here`)
	f("- a", `cannot parse query at column 1: expected a term, a phrase or a filter right after -, got " "; write -word with no space`)
	f("a -", `cannot parse query at column 3: expected a term, a phrase or a filter right after -, got the end of the query; write -word with no space`)
	f("NOT", `cannot parse query at column 4: expected a term, a phrase or a filter after NOT, got the end of the query`)
	f("AND a", `cannot parse query at column 1: expected a term or a filter before AND`)
	f("a AND", `cannot parse query at column 6: expected a term or a filter after AND, got the end of the query`)
	f("severity:loud", `cannot parse query at column 10: severity: expected a severity name (emerg, alert, crit, error, warning, notice, info, debug) or a number 0-7, got "loud"`)
	f("severity:8", `cannot parse query at column 10: severity: expected a severity name (emerg, alert, crit, error, warning, notice, info, debug) or a number 0-7, got "8"`)
	f("severity:<=", `cannot parse query at column 12: expected a value after severity:<=, got the end of the query`)
	f("app:>x", `cannot parse query at column 5: app: comparisons (>) work on severity and fields.KEY only; use app:VALUE or a glob (app:web*)`)
	f("colour:red", `cannot parse query at column 1: unknown field "colour": want severity, app, host, proc, msgid, group, stream, source, id, facility, fields.KEY or pattern; to search for the text, quote it: "colour:red"`)
	f("a https://x.org", `cannot parse query at column 3: unknown field "https": want severity, app, host, proc, msgid, group, stream, source, id, facility, fields.KEY or pattern; to search for the text, quote it: "https://x.org"`)
	f("fields.:1", `cannot parse query at column 1: expected a field name after fields. (fields.status:500)`)
	f("pattern:x", `cannot parse query at column 9: expected a quoted filter pattern after pattern: (pattern:'{ $.level = "error" }'), got "x"`)
	f(`pattern:'{ $.a = }'`, `cannot parse query at column 18: in the filter pattern: expected a value after "=", got "}"`)
	f(`{ $.a = `, `cannot parse query at column 9: in the filter pattern: expected a value after "=", got the end of the pattern`)
	f(strings.Repeat("(", 100)+"a", `cannot parse query at column 65: the query nests deeper than 64 levels; simplify it`)
	f(strings.Repeat("a ", 2049), `cannot parse query at column 4097: the query has 4098 bytes, at most 4096 are allowed; shorten it`)
}

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	f := func(in string, want time.Time) {
		t.Helper()
		got, err := ParseTime(in, now)
		if err != nil {
			t.Fatalf("ParseTime(%q): %v", in, err)
		}
		if !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, want %v", in, got, want)
		}
	}
	f("now", now)
	f("1h", now.Add(-time.Hour))
	f("30m", now.Add(-30*time.Minute))
	f("1h30m", now.Add(-90*time.Minute))
	f("90s", now.Add(-90*time.Second))
	f("2d", now.Add(-48*time.Hour))
	f("7d", now.Add(-7*24*time.Hour))
	f("1w", now.Add(-7*24*time.Hour))
	f("2026-11-20T08:00:00Z", time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC))
	f("2026-11-20T08:00:00.5+01:00", time.Date(2026, 11, 20, 7, 0, 0, 5e8, time.UTC))
	bad := func(in string) {
		t.Helper()
		_, err := ParseTime(in, now)
		want := `cannot parse time "` + in + `": want RFC 3339 (2026-11-21T10:00:00Z) or a duration ago (30m, 1h, 7d)`
		if err == nil || err.Error() != want {
			t.Errorf("ParseTime(%q) = %v, want %q", in, err, want)
		}
	}
	bad("")
	bad("yesterday")
	bad("-1h")
	bad("1y")
	bad("2026-11-20")
	bad("d")
}

func TestGlob(t *testing.T) {
	f := func(p, s string, want bool) {
		t.Helper()
		if got := globMatch(p, s); got != want {
			t.Errorf("globMatch(%q, %q) = %v", p, s, got)
		}
	}
	f("", "", true)
	f("*", "", true)
	f("*", "abc", true)
	f("a*", "abc", true)
	f("*c", "abc", true)
	f("a*c", "abc", true)
	f("a*c", "ac", true)
	f("a*c", "acb", false)
	f("a**b", "ab", true)
	f("/aws/lambda/*", "/aws/lambda/fn", true)
	f("/aws/lambda/*", "/aws/lambdax", false)
	f("*a*b*", "xxaxxbxx", true)
	f("*a*b*", "xxbxxaxx", false)
	f("abc", "ab", false)
}

func TestQueriesFileParses(t *testing.T) {
	for _, q := range readQueries(t) {
		if _, err := Parse(q); err != nil {
			t.Errorf("Parse(%q): %v", q, err)
		}
	}
}
