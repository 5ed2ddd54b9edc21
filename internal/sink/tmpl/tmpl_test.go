package tmpl

import (
	"strings"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

func TestExecute(t *testing.T) {
	e := &event.Event{
		Time: time.Date(2026, 3, 7, 4, 5, 6, 0, time.FixedZone("x", 3600)), Severity: event.Error,
		Group: "/aws/lambda/fn", App: "web", Host: "host", Proc: "web.1", Stream: "s",
		Fields: []event.Field{{Key: "status", Value: "503", Type: event.Number}},
	}
	f := func(text, want string) {
		t.Helper()
		tp, err := Parse(text)
		if err != nil {
			t.Fatalf("Parse(%q): %v", text, err)
		}
		if got := string(tp.Execute(nil, e)); got != want {
			t.Errorf("Execute(%q) = %q, want %q", text, got, want)
		}
	}
	f("plain", "plain")
	f("", "")
	f("{group}/{date}.ndjson", "/aws/lambda/fn/2026-03-07.ndjson")
	f("logs-{app}-%Y.%m.%d", "logs-web-2026.03.07")
	f("%H:%M %j 100%%", "03:05 066 100%")
	f("{severity} {proc} {fields.status} [{fields.missing}]", "error web.1 503 []")
	f("{host}{stream}", "hosts")
}

func TestExecuteOddYears(t *testing.T) {
	tp := MustParse("%Y/%m")
	for _, y := range []int{-22, -1, 0, 12345} {
		got := string(tp.Execute(nil, &event.Event{Time: time.Date(y, 5, 1, 0, 0, 0, 0, time.UTC)}))
		if strings.Count(got, "/") != 1 || strings.Contains(got, "-") || strings.Contains(got, ".") {
			t.Errorf("year %d: %q", y, got)
		}
	}
}

func TestParseErrors(t *testing.T) {
	f := func(text, want string) {
		t.Helper()
		_, err := Parse(text)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want error containing %q", text, err, want)
		}
	}
	f("{grup}", "unknown placeholder {grup}")
	f("{group", "not closed")
	f("a}", "closes nothing")
	f("%Q", "unknown time specifier %Q")
	f("50%", "ends in %")
	f("{fields.}", "unknown placeholder")
}

func TestExecuteFuncEscapes(t *testing.T) {
	tp := MustParse("/x/{group}-%Y")
	e := &event.Event{Group: "a/b", Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	got := string(tp.ExecuteFunc(nil, e, func(dst []byte, v string) []byte {
		return append(dst, strings.ReplaceAll(v, "/", "_")...)
	}))
	if got != "/x/a_b-2026" {
		t.Errorf("got %q", got)
	}
	if tp.Static() || !tp.UsesTime() || !MustParse("x").Static() {
		t.Error("Static/UsesTime wrong")
	}
}

func BenchmarkExecute(b *testing.B) {
	tp := MustParse("logs-{app}-{fields.status}-%Y.%m.%d")
	e := &event.Event{App: "web", Time: time.Now(), Fields: []event.Field{{Key: "status", Value: "503"}}}
	var dst []byte
	b.ReportAllocs()
	for b.Loop() {
		dst = tp.Execute(dst[:0], e)
	}
}
