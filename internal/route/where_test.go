package route

import (
	"sync"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

func TestWhere(t *testing.T) {
	events := testEvents(t)
	f := func(rule, want string) {
		t.Helper()
		w, err := CompileWhere(rule)
		if err != nil {
			t.Fatalf("CompileWhere(%q): %v", rule, err)
		}
		var matched []event.Event
		for i := range events {
			if w.Match(&events[i]) {
				matched = append(matched, events[i])
			}
		}
		if got := ids(matched); got != want {
			t.Errorf("%s\nmatched %q\nwant    %q", rule, got, want)
		}
		if w.Errors() != 0 {
			t.Errorf("%s: %d run-time errors: %v", rule, w.Errors(), w.LastError())
		}
	}
	// The three rules of the performance budget.
	f(`severity <= warning && proc != "router"`, "h.5 h.6 h.7 h.10 l.2 l.5")
	f(`app == "app" && message contains "timeout"`, "h.10")
	f(`fields["status"] >= 500`, "h.1 h.2")

	// Severity: numbers, constants, aliases.
	f(`severity == error`, "h.1 h.2 h.5 h.7 h.10 l.2")
	f(`severity == err && app == "heroku"`, "h.1 h.2")
	f(`severity < 3`, "")
	f(`severity >= debug`, "h.4 h.8 l.0 l.3")
	f(`warn == severity`, "h.6 l.5")
	f(`severity in [emerg, alert, crit, err]`, "h.1 h.2 h.5 h.7 h.10 l.2")
	f(`not (severity > warning)`, "h.1 h.2 h.5 h.6 h.7 h.10 l.2 l.5")

	// Attributes.
	f(`proc == "router" && fields.at == "error"`, "h.1")
	f(`proc startsWith "worker."`, "h.7 h.8")
	f(`stream endsWith ".2"`, "h.10")
	f(`facility == "syslog"`, "h.9")
	f(`group == "/aws/lambda/orders" && message matches "^(START|END|REPORT) "`, "l.0 l.3 l.4")
	f(`group startsWith "heroku/" && id in ["h.0", "h.9", "l.1"]`, "h.0 h.9")
	f(`"router" == proc || "heroku" != app && message contains "Started"`, "h.0 h.1 h.2 h.3")
	f(`host == "host" && source == "" && msgid == ""`, "h.0 h.1 h.2 h.3 h.4 h.5 h.6 h.7 h.8 h.9 h.10")
	f(`time > date("2026-11-20T10:00:03Z")`, "h.7 h.8 h.9 h.10 l.5")
	f(`time.IsZero()`, "l.0 l.1 l.2 l.3 l.4")

	// Fields.
	f(`fields["status"] == 503`, "h.1")
	f(`fields["status"] != 200 && proc == "router"`, "h.1 h.2")
	f(`fields.status != 200`, "h.1 h.2 h.3 h.4 h.5 h.6 h.7 h.8 h.9 h.10 l.0 l.1 l.2 l.3 l.4 l.5")
	f(`fields["duration_ms"] > 1000`, "l.4")
	f(`fields["duration_ms"] >= 812.0 && fields["duration_ms"] <= 812`, "h.6")
	f(`fields.retry == true`, "h.7")
	f(`fields.retry != true && has("retry")`, "")
	f(`fields.user == "{\"id\":42}"`, "h.6")
	f(`fields.user contains "42"`, "h.6")
	f(`fields["code"] in ["H12", "H13"]`, "h.1")
	f(`fields.desc matches "(?i)timeout"`, "h.1")
	f(`fields["request_id"] == nil && group == "heroku/myapp"`, "h.3 h.4 h.5 h.6 h.7 h.8 h.9 h.10")
	f(`fields.request_id != nil && fields.request_id startsWith "6bc2"`, "l.0 l.3 l.4")
	f(`fields["level"] == "error" || fields["at"] == "error"`, "h.1 h.7")
	f(`has("pri_severity") && severity == debug`, "h.4 h.8")
	f(`fields["status"] > "2"`, "") // a number field is not a string
	f(`fields["status"] >= -1 && fields.status < 1e3`, "h.0 h.1 h.2")

	// The virtual machine for the rest.
	f(`lower(fields.method ?? "") == "post"`, "h.2")
	f(`len(message) > 200`, "h.1")
	f(`(fields.attempt ?? 0) + 1 > 3`, "h.7")
	f(`upper(app) == "HEROKU" and proc != "router"`, "h.9")
	f(`any(["timeout", "timed out"], message contains #)`, "h.1 h.5 h.10 l.2")
	f(`let s = fields.service_ms; s != nil && s > 100`, "h.1 h.2")
}

func TestWhereAgreesWithPlainExpr(t *testing.T) {
	events := testEvents(t)
	events = append(events, event.Event{ID: "x", Fields: []event.Field{
		{Key: "n", Value: "12.5", Type: event.Number}, {Key: "b", Value: "false", Type: event.Bool},
		{Key: "j", Value: `[1,2]`, Type: event.JSON}, {Key: "s", Value: "12.5", Type: event.String},
		{Key: "null", Value: "null", Type: event.JSON}, {Key: "n", Value: "1", Type: event.Number},
	}})
	f := func(rule string) {
		t.Helper()
		w, err := CompileWhere(rule)
		if err != nil {
			t.Fatalf("CompileWhere(%q): %v", rule, err)
		}
		for i := range events {
			e := &events[i]
			want, _ := referenceMatch(rule, e)
			if got := w.Match(e); got != want {
				t.Errorf("%s on %s: got %v, plain expr-lang gives %v", rule, e.ID, got, want)
			}
		}
	}
	for _, rule := range []string{
		`severity <= warning && proc != "router"`, `severity != 6`, `3 > severity`, `severity in [3, 4]`,
		`app == "web" && message contains "timeout"`, `message startsWith "START" || message endsWith "ms"`,
		`host < "i"`, `host >= "host"`, `proc in ["web.1", "worker.1"]`, `proc not in ["web.1"]`,
		`!(proc == "router") and not (app == "heroku")`, `message matches "[0-9]{4,}ms"`,
		`fields["status"] >= 500`, `fields["status"] == 200`, `fields["status"] != 200`, `fields.n == 12.5`,
		`fields.n != 1`, `fields.b == false`, `fields.b != false`, `fields.j == "[1,2]"`, `fields.s == "12.5"`,
		`fields.s != "12.5"`, `fields.null == nil`, `fields.null != nil`, `fields.missing == nil`,
		`fields.missing != nil`, `fields.s in ["12.5", "x"]`, `fields.j contains "2"`, `fields.s < "2"`,
		`fields.at == "info" && fields.status == 200`, `has("n") || has("status")`, `200 == fields.status`,
		`"info" == fields.at`, `fields.status == nil`, `nil == fields.status`,
		`severity in [3, 4, 9]`, `severity not in [6]`, `proc in []`, `severity in []`, `has("status")`,
		`!has("level") && has("msg")`,
	} {
		f(rule)
	}
}

func TestWhereFailsAtRunTime(t *testing.T) {
	w, err := CompileWhere(`fields.attempt + 1 > 2`)
	if err != nil {
		t.Fatal(err)
	}
	if !w.Match(eventByID(t, "h.7")) {
		t.Error("want a match for attempt=3")
	}
	if w.Match(eventByID(t, "h.0")) {
		t.Error("want no match without attempt")
	}
	want := `cannot evaluate rule "fields.attempt + 1 > 2": column 16: invalid operation: <nil> + int`
	if w.Errors() != 1 || w.LastError() == nil || w.LastError().Error() != want {
		t.Errorf("Errors() = %d, LastError() = %v; want one error: %s", w.Errors(), w.LastError(), want)
	}
}

func TestCompileWhereErrors(t *testing.T) {
	f := func(rule, want string) {
		t.Helper()
		w, err := CompileWhere(rule)
		if err == nil {
			t.Fatalf("CompileWhere(%q) = %v, want error %q", rule, w, want)
		}
		if err.Error() != want {
			t.Errorf("CompileWhere(%q)\nerror %q\nwant  %q", rule, err, want)
		}
	}
	f(`severity <= warning && sevrity > 1`, "cannot compile rule: line 1, column 24: unknown name sevrity (did you mean severity?)")
	f(`mesage contains "x"`, "cannot compile rule: line 1, column 1: unknown name mesage (did you mean message?)")
	f(`porc == "router"`, "cannot compile rule: line 1, column 1: unknown name porc (did you mean proc?)")
	f(`severity <= warnin`, "cannot compile rule: line 1, column 13: unknown name warnin (did you mean warning?)")
	f(`level == "error"`, "cannot compile rule: line 1, column 1: unknown name level")
	f(`severity`, "cannot compile rule: expected bool, but got int; a rule is a condition, e.g. severity <= warning")
	f(`message`, "cannot compile rule: expected bool, but got string; a rule is a condition, e.g. severity <= warning")
	f(`severity == "error"`, "cannot compile rule: line 1, column 10: invalid operation: == (mismatched types int and string)")
	f(`app == "web" &&`, "cannot compile rule: line 1, column 15: unexpected token EOF")
	f(`message matches "(unclosed"`, "cannot compile rule: line 1, column 9: cannot use \"(unclosed\" as a regular expression: error parsing regexp: missing closing ): `(unclosed`")
	f(`len(fields) > 1`, `cannot compile rule: line 1, column 5: fields can only be indexed, as fields["KEY"] or fields.KEY`)
	f(`$env.host == "x"`, "cannot compile rule: line 1, column 1: $env is not available in sluice rules; use the names directly")
	f("app == \"web\" &&\n  sevrity > 1", "cannot compile rule: line 2, column 3: unknown name sevrity (did you mean severity?)")
	f(``, "cannot compile rule: line 1, column 1: unexpected token EOF")
	f(`let app = "web"; app == "web"`, "cannot compile rule: line 1, column 5: cannot use app as a variable name: it is a name of the event (or a severity); choose another")
}

func TestWhereString(t *testing.T) {
	const rule = `severity <= warning && proc != "router"`
	w, err := CompileWhere(rule)
	if err != nil {
		t.Fatal(err)
	}
	if w.String() != rule {
		t.Errorf("String() = %q, want %q", w.String(), rule)
	}
}

// TestWhereConcurrent evaluates rules from several goroutines at once
// (run with -race) and checks each gets what a single goroutine gets.
func TestWhereConcurrent(t *testing.T) {
	events := testEvents(t)
	rules := []string{
		`severity <= warning && proc != "router"`,
		`fields["status"] >= 500`,
		`lower(app) == "heroku" || len(message) > 100`,
		`fields.attempt + 1 > 2`,
	}
	for _, rule := range rules {
		w, err := CompileWhere(rule)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]bool, len(events))
		for i := range events {
			want[i] = w.Match(&events[i])
		}
		var wg sync.WaitGroup
		errs := make(chan string, 8)
		for range 8 {
			wg.Go(func() {
				for n := range 200 {
					i := n % len(events)
					if got := w.Match(&events[i]); got != want[i] {
						errs <- events[i].ID
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for id := range errs {
			t.Errorf("%s on %s: concurrent result differs", rule, id)
		}
	}
}

// TestWhereAllocations checks the typical rules allocate nothing.
func TestWhereAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful with -race")
	}
	events := testEvents(t)
	f := func(rule string) {
		t.Helper()
		w, err := CompileWhere(rule)
		if err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(100, func() {
			for i := range events {
				w.Match(&events[i])
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per %d events, want 0", rule, allocs, len(events))
		}
	}
	f(`severity <= warning && proc != "router"`)
	f(`app == "web" && message contains "timeout"`)
	f(`fields["status"] >= 500`)
	f(`has("status") && severity in [3, 4]`)
	f(`fields.at == "error" || fields.retry == true || fields.duration_ms > 100`)
}

func TestWhereTimeNow(t *testing.T) {
	w, err := CompileWhere(`now() - time < duration("1h")`)
	if err != nil {
		t.Fatal(err)
	}
	e := &event.Event{Time: time.Now().Add(-time.Minute)}
	if !w.Match(e) {
		t.Error("want a match for an event a minute old")
	}
	e.Time = time.Now().Add(-2 * time.Hour)
	if w.Match(e) {
		t.Error("want no match for an event two hours old")
	}
}
