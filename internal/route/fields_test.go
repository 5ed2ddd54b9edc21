package route

import (
	"strconv"
	"testing"

	"github.com/sluicelog/sluice/internal/event"
)

func TestParse(t *testing.T) {
	f := func(spec Parse, in, want string) {
		t.Helper()
		if got := applyJSON(t, Spec{Parse: &spec}, in); got != want {
			t.Errorf("parse %+v of %s\ngot  %s\nwant %s", spec, in, got, want)
		}
	}
	// A Heroku app line logging JSON, not parsed by its source.
	f(Parse{}, `{"app":"app","proc":"web.1","message":"{\"level\":\"warn\",\"msg\":\"slow query\",\"duration_ms\":812,\"user\":{\"id\":42},\"cached\":false}"}`,
		`{"severity":6,"severity_name":"info","app":"app","proc":"web.1","message":"{\"level\":\"warn\",\"msg\":\"slow query\",\"duration_ms\":812,\"user\":{\"id\":42},\"cached\":false}","fields":{"level":"warn","msg":"slow query","duration_ms":812,"user":{"id":42},"cached":false}}`)
	// logfmt, with a prefix.
	f(Parse{Format: "logfmt", Prefix: "body."}, `{"proc":"worker.1","message":"level=error msg=\"job failed\" job=SendInvoice attempt=3"}`,
		`{"severity":6,"severity_name":"info","proc":"worker.1","message":"level=error msg=\"job failed\" job=SendInvoice attempt=3","fields":{"body.level":"error","body.msg":"job failed","body.job":"SendInvoice","body.attempt":3}}`)
	// Keys the event already has are replaced in place, not duplicated.
	f(Parse{Format: "auto"}, `{"message":"at=info status=200 bytes=13","fields":{"status":200,"dyno":"web.1"}}`,
		`{"severity":6,"severity_name":"info","message":"at=info status=200 bytes=13","fields":{"status":200,"dyno":"web.1","at":"info","bytes":13}}`)
	// A field: a Lambda JSON payload kept as raw JSON.
	f(Parse{Field: "payload", Format: "json"}, `{"group":"/aws/lambda/orders","message":"Invoke Error","fields":{"payload":{"errorType":"TimeoutError","errorMessage":"upstream timeout"}}}`,
		`{"severity":6,"severity_name":"info","message":"Invoke Error","fields":{"payload":{"errorType":"TimeoutError","errorMessage":"upstream timeout"},"errorType":"TimeoutError","errorMessage":"upstream timeout"},"group":"/aws/lambda/orders"}`)
	f(Parse{Field: "fields.body"}, `{"message":"x","fields":{"body":"a=1 b=two"}}`,
		`{"severity":6,"severity_name":"info","message":"x","fields":{"body":"a=1 b=two","a":1,"b":"two"}}`)
	// Prose, a missing field and a number field are left alone.
	f(Parse{}, `{"message":"Started GET \"/\" for 204.204.204.204 at 2026-11-20 10:00:01 +0000"}`,
		`{"severity":6,"severity_name":"info","message":"Started GET \"/\" for 204.204.204.204 at 2026-11-20 10:00:01 +0000"}`)
	f(Parse{Field: "payload"}, `{"message":"x"}`, `{"severity":6,"severity_name":"info","message":"x"}`)
	f(Parse{Field: "status"}, `{"message":"x","fields":{"status":200}}`, `{"severity":6,"severity_name":"info","message":"x","fields":{"status":200}}`)
}

func TestParseErrors(t *testing.T) {
	f := func(spec Parse, msg string, wantErrors uint64) {
		t.Helper()
		tr := mustNew(t, Spec{Parse: &spec})
		e := &event.Event{Message: msg}
		if !tr.Apply(e, testNow) {
			t.Fatal("parse dropped an event")
		}
		if len(e.Fields) != 0 {
			t.Errorf("parse %+v of %q added fields %v", spec, msg, e.Fields)
		}
		if got := tr.(ErrorCounter).Errors(); got != wantErrors {
			t.Errorf("parse %+v of %q: Errors() = %d, want %d", spec, msg, got, wantErrors)
		}
	}
	f(Parse{}, `Started GET "/" for 204.204.204.204`, 0)
	f(Parse{}, `x = y is prose`, 0)
	f(Parse{}, `{"level":"warn","msg":"truncated in trans`, 1)
	f(Parse{Format: "json"}, `level=warn msg=hi`, 1)
	f(Parse{Format: "logfmt"}, `{"level":"warn"}`, 1)
	f(Parse{Format: "logfmt"}, `Completed 500 Internal Server Error in 30012ms`, 1)
}

func TestSet(t *testing.T) {
	const in = `{"host":"host","app":"app","proc":"web.1","message":"Completed 500 Internal Server Error in 30012ms","fields":{"status":500,"region":"eu"}}`
	f := func(spec Set, want string) {
		t.Helper()
		if got := applyJSON(t, Spec{Set: &spec}, in); got != want {
			t.Errorf("set %+v\ngot  %s\nwant %s", spec, got, want)
		}
	}
	f(Set{Field: "group", Value: "heroku/{app}-{fields.region}"},
		`{"severity":6,"severity_name":"info","host":"host","app":"app","proc":"web.1","message":"Completed 500 Internal Server Error in 30012ms","fields":{"status":500,"region":"eu"},"group":"heroku/app-eu"}`)
	f(Set{Field: "team", Value: "payments"},
		`{"severity":6,"severity_name":"info","host":"host","app":"app","proc":"web.1","message":"Completed 500 Internal Server Error in 30012ms","fields":{"status":500,"region":"eu","team":"payments"}}`)
	f(Set{Field: "fields.region", Expr: `upper(fields.region)`},
		`{"severity":6,"severity_name":"info","host":"host","app":"app","proc":"web.1","message":"Completed 500 Internal Server Error in 30012ms","fields":{"status":500,"region":"EU"}}`)
	f(Set{Field: "slow", Expr: `fields.status >= 500 && message contains "ms"`},
		`{"severity":6,"severity_name":"info","host":"host","app":"app","proc":"web.1","message":"Completed 500 Internal Server Error in 30012ms","fields":{"status":500,"region":"eu","slow":true}}`)
	f(Set{Field: "status_class", Expr: `fields.status / 100`},
		`{"severity":6,"severity_name":"info","host":"host","app":"app","proc":"web.1","message":"Completed 500 Internal Server Error in 30012ms","fields":{"status":500,"region":"eu","status_class":5}}`)
	f(Set{Field: "tags", Expr: `[app, proc]`},
		`{"severity":6,"severity_name":"info","host":"host","app":"app","proc":"web.1","message":"Completed 500 Internal Server Error in 30012ms","fields":{"status":500,"region":"eu","tags":["app","web.1"]}}`)
	f(Set{Field: "region", Expr: `nil`},
		`{"severity":6,"severity_name":"info","host":"host","app":"app","proc":"web.1","message":"Completed 500 Internal Server Error in 30012ms","fields":{"status":500}}`)
	f(Set{Field: "message", Value: "[{fields.status}] {proc}"},
		`{"severity":6,"severity_name":"info","host":"host","app":"app","proc":"web.1","message":"[500] web.1","fields":{"status":500,"region":"eu"}}`)
	f(Set{Field: "message", Value: "{message} [{proc} {fields.region}]"},
		`{"severity":6,"severity_name":"info","host":"host","app":"app","proc":"web.1","message":"Completed 500 Internal Server Error in 30012ms [web.1 eu]","fields":{"status":500,"region":"eu"}}`)
	f(Set{Field: "severity", Expr: `fields.status >= 500 ? "error" : "info"`},
		`{"severity":3,"severity_name":"error","severity_source":"field","host":"host","app":"app","proc":"web.1","message":"Completed 500 Internal Server Error in 30012ms","fields":{"status":500,"region":"eu"}}`)
	f(Set{Field: "severity", Value: "4"},
		`{"severity":4,"severity_name":"warning","severity_source":"field","host":"host","app":"app","proc":"web.1","message":"Completed 500 Internal Server Error in 30012ms","fields":{"status":500,"region":"eu"}}`)
	f(Set{Field: "host", Expr: `nil`},
		`{"severity":6,"severity_name":"info","app":"app","proc":"web.1","message":"Completed 500 Internal Server Error in 30012ms","fields":{"status":500,"region":"eu"}}`)
}

func TestSetErrorsKeepTheEvent(t *testing.T) {
	f := func(spec Set, in string) {
		t.Helper()
		tr := mustNew(t, Spec{Set: &spec})
		e := jsonEvent(t, in)
		before := eventJSON(e)
		if !tr.Apply(e, testNow) {
			t.Fatal("set dropped an event")
		}
		if got := eventJSON(e); got != before {
			t.Errorf("set %+v changed the event to %s", spec, got)
		}
		if tr.(ErrorCounter).Errors() != 1 {
			t.Errorf("set %+v: Errors() = %d, want 1", spec, tr.(ErrorCounter).Errors())
		}
	}
	f(Set{Field: "severity", Value: "{fields.level}"}, `{"message":"x","fields":{"level":"loud"}}`)
	f(Set{Field: "severity", Expr: `fields.level`}, `{"message":"x"}`)
	f(Set{Field: "n", Expr: `fields.count + 1`}, `{"message":"x"}`)
	f(Set{Field: "n", Expr: `1.0 / 0`}, `{"message":"x"}`)
}

func TestRename(t *testing.T) {
	f := func(spec Rename, in, want string) {
		t.Helper()
		if got := applyJSON(t, Spec{Rename: &spec}, in); got != want {
			t.Errorf("rename %+v of %s\ngot  %s\nwant %s", spec, in, got, want)
		}
	}
	// Field to field keeps the place; an existing field of the new name goes.
	f(Rename{From: "msg", To: "summary"}, `{"message":"{}","fields":{"level":"warn","msg":"slow query","summary":"old","ms":812}}`,
		`{"severity":6,"severity_name":"info","message":"{}","fields":{"level":"warn","summary":"slow query","ms":812}}`)
	// Field to message: the field goes.
	f(Rename{From: "fields.msg", To: "message"}, `{"message":"{\"msg\":\"slow query\"}","fields":{"msg":"slow query"}}`,
		`{"severity":6,"severity_name":"info","message":"slow query"}`)
	// Attribute to field: the attribute is emptied.
	f(Rename{From: "host", To: "fields.hostname"}, `{"host":"ip-10-0-0-1","message":"x"}`,
		`{"severity":6,"severity_name":"info","message":"x","fields":{"hostname":"ip-10-0-0-1"}}`)
	f(Rename{From: "proc", To: "stream"}, `{"proc":"web.1","message":"x"}`,
		`{"severity":6,"severity_name":"info","message":"x","stream":"web.1"}`)
	// Severity: from a field when it names one; to a field as a copy.
	f(Rename{From: "level", To: "severity"}, `{"message":"x","fields":{"level":"WARN"}}`,
		`{"severity":4,"severity_name":"warning","severity_source":"field","message":"x"}`)
	f(Rename{From: "severity", To: "level"}, `{"severity":3,"message":"x"}`,
		`{"severity":3,"severity_name":"error","message":"x","fields":{"level":"error"}}`)
	// Nothing to rename.
	f(Rename{From: "msg", To: "summary"}, `{"message":"x"}`, `{"severity":6,"severity_name":"info","message":"x"}`)
	f(Rename{From: "host", To: "fields.hostname"}, `{"message":"x"}`, `{"severity":6,"severity_name":"info","message":"x"}`)
}

func TestDelete(t *testing.T) {
	f := func(spec Delete, in, want string) {
		t.Helper()
		if got := applyJSON(t, Spec{Delete: &spec}, in); got != want {
			t.Errorf("delete %+v of %s\ngot  %s\nwant %s", spec, in, got, want)
		}
	}
	f(Delete{Fields: []string{"pri_severity", "fields.connect", "missing"}},
		`{"proc":"router","message":"x","fields":{"connect":"1ms","pri_severity":"info","connect_ms":1,"connect":"2ms"}}`,
		`{"severity":6,"severity_name":"info","proc":"router","message":"x","fields":{"connect_ms":1}}`)
	f(Delete{Fields: []string{"host", "msgid"}}, `{"host":"host","msgid":"ID47","message":"x"}`,
		`{"severity":6,"severity_name":"info","message":"x"}`)
}

func TestSeverity(t *testing.T) {
	f := func(spec Severity, in, want string) {
		t.Helper()
		if got := applyJSON(t, Spec{Severity: &spec}, in); got != want {
			t.Errorf("severity %+v of %s\ngot  %s\nwant %s", spec, in, got, want)
		}
	}
	g := func(level string, want event.Severity) {
		t.Helper()
		f(Severity{From: "level"}, `{"message":"x","fields":{"level":`+level+`}}`,
			`{"severity":`+strconv.Itoa(int(want))+`,"severity_name":"`+want.String()+`","severity_source":"field","message":"x","fields":{"level":`+level+`}}`)
	}
	g(`"ERROR"`, event.Error)
	g(`"warn"`, event.Warning)
	g(`"fatal"`, event.Crit)
	g(`"panic"`, event.Emerg)
	g(`"Notice"`, event.Notice)
	g(`"trace"`, event.Debug)
	g(`"5"`, event.Notice)
	g(`3`, event.Error)
	g(`0`, event.Emerg)
	// Not a severity: unchanged.
	f(Severity{From: "level"}, `{"message":"x","fields":{"level":"loud"}}`, `{"severity":6,"severity_name":"info","message":"x","fields":{"level":"loud"}}`)
	f(Severity{From: "level"}, `{"message":"x","fields":{"level":30}}`, `{"severity":6,"severity_name":"info","message":"x","fields":{"level":30}}`)
	f(Severity{From: "level"}, `{"message":"x"}`, `{"severity":6,"severity_name":"info","message":"x"}`)
	// Expressions.
	f(Severity{Expr: `fields.status >= 500 ? "error" : fields.status >= 400 ? "warning" : "info"`},
		`{"proc":"router","message":"x","fields":{"status":503}}`,
		`{"severity":3,"severity_name":"error","severity_source":"field","proc":"router","message":"x","fields":{"status":503}}`)
	f(Severity{Expr: `fields.status >= 500 ? err : notice`},
		`{"proc":"router","message":"x","fields":{"status":404}}`,
		`{"severity":5,"severity_name":"notice","severity_source":"field","proc":"router","message":"x","fields":{"status":404}}`)
	f(Severity{Expr: `message startsWith "FATAL" ? "fatal" : nil`},
		`{"message":"FATAL: could not write to file"}`,
		`{"severity":2,"severity_name":"crit","severity_source":"field","message":"FATAL: could not write to file"}`)
	f(Severity{Expr: `message startsWith "FATAL" ? "fatal" : nil`},
		`{"message":"ok"}`, `{"severity":6,"severity_name":"info","message":"ok"}`)
}

func TestDrop(t *testing.T) {
	tr := mustNew(t, Spec{Drop: &Drop{Where: `message startsWith "DEBUG " || fields.level == "debug"`}})
	var kept []event.Event
	events := testEvents(t)
	for i := range events {
		if tr.Apply(&events[i], testNow) {
			kept = append(kept, events[i])
		}
	}
	if got, want := ids(kept), "h.0 h.1 h.2 h.3 h.5 h.6 h.7 h.9 h.10 l.0 l.1 l.2 l.3 l.4 l.5"; got != want {
		t.Errorf("kept %s\nwant %s", got, want)
	}
	if got := tr.(Dropper).Dropped(); got != 2 {
		t.Errorf("Dropped() = %d, want 2", got)
	}
}

func TestNewErrors(t *testing.T) {
	f := func(spec Spec, want string) {
		t.Helper()
		_, err := New(spec)
		if err == nil || err.Error() != want {
			t.Errorf("New(%s)\nerror %v\nwant  %s", spec.Kind(), err, want)
		}
	}
	f(Spec{}, "cannot build transform: set exactly one of parse, set, rename, delete, severity, drop, sample, dedupe, throttle, redact")
	f(Spec{Parse: &Parse{}, Drop: &Drop{}}, "cannot build transform: set exactly one of parse, set, rename, delete, severity, drop, sample, dedupe, throttle, redact")
	f(Spec{Parse: &Parse{Format: "xml"}}, `cannot build parse transform: unknown format "xml"; use json, logfmt or auto`)
	f(Spec{Parse: &Parse{Field: "severity"}}, "cannot build parse transform: cannot parse the severity; name the message or a field")
	f(Spec{Set: &Set{Field: "x"}}, "cannot build set transform: set exactly one of value (a template) and expr (an expression)")
	f(Spec{Set: &Set{Field: "x", Value: "a", Expr: "b"}}, "cannot build set transform: set exactly one of value (a template) and expr (an expression)")
	f(Spec{Set: &Set{Value: "a"}}, "cannot build set transform: field name is empty; write a top-level name (message, host, app, proc, msgid, group, stream, severity) or a field key")
	f(Spec{Set: &Set{Field: "fields.", Value: "a"}}, `cannot build set transform: field name "fields." has no key after "fields."`)
	f(Spec{Set: &Set{Field: "x", Value: "{application}"}}, `cannot build set transform: cannot parse template "{application}": unknown placeholder {application}; known are {group} {stream} {app} {host} {proc} {msgid} {source} {severity} {facility} {id} {date} and {fields.KEY}, and {message}`)
	f(Spec{Set: &Set{Field: "x", Value: "{message} {apps}"}}, `cannot build set transform: in template "{message} {apps}": cannot parse template " {apps}": unknown placeholder {apps}; known are {group} {stream} {app} {host} {proc} {msgid} {source} {severity} {facility} {id} {date} and {fields.KEY}, and {message}`)
	f(Spec{Set: &Set{Field: "x", Expr: "upper(ap)"}}, "cannot build set transform: cannot compile rule: line 1, column 7: unknown name ap (did you mean app?)")
	f(Spec{Set: &Set{Field: "severity", Value: "loud"}}, `cannot build set transform: value "loud" is not a severity; use a name (error, warning, ...) or a number 0-7`)
	f(Spec{Rename: &Rename{From: "a", To: "fields.a"}}, "cannot build rename transform: from and to are both fields.a")
	f(Spec{Rename: &Rename{From: "", To: "a"}}, "cannot build rename transform: from: field name is empty; write a top-level name (message, host, app, proc, msgid, group, stream, severity) or a field key")
	f(Spec{Delete: &Delete{}}, "cannot build delete transform: fields is empty; name the fields to delete")
	f(Spec{Delete: &Delete{Fields: []string{"severity"}}}, "cannot build delete transform: cannot delete the severity; every event has one")
	f(Spec{Severity: &Severity{}}, "cannot build severity transform: set exactly one of from (a field) and expr (an expression)")
	f(Spec{Severity: &Severity{From: "severity"}}, "cannot build severity transform: from is the severity itself; name a field")
	f(Spec{Drop: &Drop{}}, "cannot build drop transform: where is empty; give the rule for the events to drop")
	f(Spec{Drop: &Drop{Where: "severity"}}, "cannot build drop transform: cannot compile rule: expected bool, but got int; a rule is a condition, e.g. severity <= warning")
	f(Spec{Sample: &Sample{}}, "cannot build sample transform: rate must be at least 1 (keep 1 in rate events), got 0")
	f(Spec{Sample: &Sample{Rate: 10, Key: "{app"}}, `cannot build sample transform: key: cannot parse template "{app": the { at offset 0 is not closed with }`)
	f(Spec{Throttle: &Throttle{}}, "cannot build throttle transform: limit must be at least 1 event per window, got 0")
	f(Spec{Throttle: &Throttle{Limit: 1, Window: -1}}, "cannot build throttle transform: window must be positive, got -1ns")
	f(Spec{Dedupe: &Dedupe{Window: -1}}, "cannot build dedupe transform: window must be positive, got -1ns")
	f(Spec{Redact: &Redact{}}, "cannot build redact transform: no patterns and no regex; name what to mask")
	f(Spec{Redact: &Redact{Patterns: []string{"ssn"}}}, `cannot build redact transform: unknown pattern "ssn"; known are email, bearer, aws_key, card (or give a regex)`)
	f(Spec{Redact: &Redact{Regex: []string{"(a"}}}, "cannot build redact transform: regex \"(a\": error parsing regexp: missing closing ): `(a`")
	f(Spec{Redact: &Redact{Patterns: []string{"email"}, Fields: []string{"severity"}}}, "cannot build redact transform: cannot redact the severity")
}
