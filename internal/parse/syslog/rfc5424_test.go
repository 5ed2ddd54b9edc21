package syslog

import (
	"errors"
	"strings"
	"testing"

	"github.com/sluicelog/sluice/internal/event"
)

func TestParse5424(t *testing.T) {
	f := func(line, ts string, pri int, host, app, proc, msgid, msg string, fields ...string) {
		t.Helper()
		var e event.Event
		if err := Parse5424(line, &e); err != nil {
			t.Fatalf("Parse5424(%q): %s", line, err)
		}
		if d := diffEvent(e, wantEvent(t, ts, pri, host, app, proc, msgid, msg, fields...)); d != "" {
			t.Fatalf("Parse5424(%q) (-want +got):\n%s", line, d)
		}
	}

	// Heroku Logplex: no STRUCTURED-DATA, MSG right after MSGID.
	f(`<190>1 2024-05-01T12:00:00.123456+00:00 host app web.1 - Started GET "/"`,
		"2024-05-01T12:00:00.123456Z", 190, "host", "app", "web.1", "", `Started GET "/"`)
	f("<40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up\n",
		"2012-11-30T06:45:29Z", 40, "host", "app", "web.3", "", "State changed from starting to up")
	f("<40>1 2012-11-30T06:45:26+00:00 host app web.3 - Starting process with command `bundle exec rackup config.ru -p 24405`\n",
		"2012-11-30T06:45:26Z", 40, "host", "app", "web.3", "", "Starting process with command `bundle exec rackup config.ru -p 24405`")
	f(`<158>1 2024-05-01T12:00:00.123456+00:00 host heroku router - at=info method=GET path="/" host=myapp.herokuapp.com request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 fwd="204.204.204.204" dyno=web.1 connect=0ms service=18ms status=200 bytes=13 protocol=https`+"\n",
		"2024-05-01T12:00:00.123456Z", 158, "host", "heroku", "router", "", `at=info method=GET path="/" host=myapp.herokuapp.com request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 fwd="204.204.204.204" dyno=web.1 connect=0ms service=18ms status=200 bytes=13 protocol=https`)
	f(`<172>1 2024-05-01T12:00:30.000001+00:00 host heroku router - at=error code=H12 desc="Request timeout" method=GET path="/slow" host=myapp.herokuapp.com dyno=web.1 connect=1ms service=30000ms status=503 bytes=0`+"\n",
		"2024-05-01T12:00:30.000001Z", 172, "host", "heroku", "router", "", `at=error code=H12 desc="Request timeout" method=GET path="/slow" host=myapp.herokuapp.com dyno=web.1 connect=1ms service=30000ms status=503 bytes=0`)
	f("<45>1 2024-05-01T12:00:00+00:00 host heroku web.1 - Process exited with status 137\n",
		"2024-05-01T12:00:00Z", 45, "host", "heroku", "web.1", "", "Process exited with status 137")
	f("<13>1 2024-05-01T12:00:00+00:00 host app api - Release v42 created by user@example.com\n",
		"2024-05-01T12:00:00Z", 13, "host", "app", "api", "", "Release v42 created by user@example.com")
	f("<190>1 2024-05-01T12:00:00+00:00 host app web.1 - -- separator\n",
		"2024-05-01T12:00:00Z", 190, "host", "app", "web.1", "", "-- separator")
	f("<190>1 2024-05-01T12:00:00+00:00 host app web.1 - \n",
		"2024-05-01T12:00:00Z", 190, "host", "app", "web.1", "", "")

	// RFC 5424 section 6.5, all four examples.
	f("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xef\xbb\xbf'su root' failed for lonvick on /dev/pts/8",
		"2003-10-11T22:14:15.003Z", 34, "mymachine.example.com", "su", "", "ID47", "'su root' failed for lonvick on /dev/pts/8")
	f("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
		"2003-08-24T12:14:15.000003Z", 165, "192.0.2.1", "myproc", "8710", "", "%% It's time to make the do-nuts.")
	f("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] \xef\xbb\xbfAn application event log entry...",
		"2003-10-11T22:14:15.003Z", 165, "mymachine.example.com", "evntslog", "", "ID47", "An application event log entry...",
		"exampleSDID@32473.iut=3", "exampleSDID@32473.eventSource=Application", "exampleSDID@32473.eventID=1011")
	f(`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]`,
		"2003-10-11T22:14:15.003Z", 165, "mymachine.example.com", "evntslog", "", "ID47", "",
		"exampleSDID@32473.iut=3", "exampleSDID@32473.eventSource=Application", "exampleSDID@32473.eventID=1011", "examplePriority@32473.class=high")

	// util-linux logger --rfc5424 (captured from logger 2.38.1).
	f(`<13>1 2026-11-20T22:53:58.454976+00:00 vm app - - [timeQuality tzKnown="1" isSynced="0"] msg hello`,
		"2026-11-20T22:53:58.454976Z", 13, "vm", "app", "", "", "msg hello", "timeQuality.tzKnown=1", "timeQuality.isSynced=0")
	f(`<155>1 2026-11-20T22:53:58.457154+00:00 vm app - ID47 [timeQuality tzKnown="1" isSynced="0"][zoo@123 tiger="hungry"] msg with sd`,
		"2026-11-20T22:53:58.457154Z", 155, "vm", "app", "", "ID47", "msg with sd", "timeQuality.tzKnown=1", "timeQuality.isSynced=0", "zoo@123.tiger=hungry")
	f(`<13>1 2026-11-20T22:53:58.460104+00:00 - app - - - no tq`,
		"2026-11-20T22:53:58.460104Z", 13, "", "app", "", "", "no tq")
	// rsyslog RSYSLOG_SyslogProtocol23Format.
	f("<30>1 2024-02-05T17:32:18.123456+01:00 web01 systemd 1 - - Started Session 5 of user root.\n",
		"2024-02-05T16:32:18.123456Z", 30, "web01", "systemd", "1", "", "Started Session 5 of user root.")
	f("<86>1 2024-02-05T17:32:18.123456+01:00 web01 sshd 4242 - [origin ip=\"192.0.2.7\" software=\"rsyslogd\"] Accepted publickey for deploy\n",
		"2024-02-05T16:32:18.123456Z", 86, "web01", "sshd", "4242", "", "Accepted publickey for deploy", "origin.ip=192.0.2.7", "origin.software=rsyslogd")

	// NILVALUE everywhere, PRI bounds.
	f("<0>1 - - - - - -", "", 0, "", "", "", "", "")
	f("<191>1 - - - - - -", "", 191, "", "", "", "", "")
	f("<7>1 - - - - -", "", 7, "", "", "", "", "")
	f("<7>1 - - - - - ", "", 7, "", "", "", "", "")
	f("<7>1 - - - - - - ", "", 7, "", "", "", "", "")
	f("<7>1 - - - - -\n", "", 7, "", "", "", "", "")
	f("<7>1 - - - - - -\n", "", 7, "", "", "", "", "")
	f("<7>1 - - - - - [x a=\"b\"]\n", "", 7, "", "", "", "", "", "x.a=b")
	f("<7>1 - - - - - \n\n", "", 7, "", "", "", "", "\n")
	// BOM, newlines, message bytes kept as they are.
	f("<13>1 - - - - - \xef\xbb\xbfhello", "", 13, "", "", "", "", "hello")
	f("<13>1 - - - - - \xef\xbb\xbf", "", 13, "", "", "", "", "")
	f("<13>1 - - - - - hello \xef\xbb\xbf", "", 13, "", "", "", "", "hello \xef\xbb\xbf")
	f("<13>1 - - - - - line1\nline2\n\n", "", 13, "", "", "", "", "line1\nline2\n")
	f("<13>1 - - - - - crlf\r\n", "", 13, "", "", "", "", "crlf\r")
	f("<13>1 - - - - - \xff\xfe not UTF-8", "", 13, "", "", "", "", "\xff\xfe not UTF-8")
	f("<13>1 - - - - - two  spaces ", "", 13, "", "", "", "", "two  spaces ")
	// Timestamps.
	f("<13>1 2024-05-01T12:00:00.123456789Z h a p m - x", "2024-05-01T12:00:00.123456789Z", 13, "h", "a", "p", "m", "x")
	f("<13>1 2024-05-01T12:00:00.1Z h a p m - x", "2024-05-01T12:00:00.1Z", 13, "h", "a", "p", "m", "x")
	f("<13>1 2024-05-01T12:00:00+05:30 h a p m - x", "2024-05-01T06:30:00Z", 13, "h", "a", "p", "m", "x")
	f("<13>1 2024-05-01T00:10:00-00:00 h a p m - x", "2024-05-01T00:10:00Z", 13, "h", "a", "p", "m", "x")
	f("<13>1 2024-01-01T00:10:00+01:00 h a p m - x", "2023-12-31T23:10:00Z", 13, "h", "a", "p", "m", "x")
	f("<13>1 2024-02-29T23:59:59-23:59 h a p m - x", "2024-03-01T23:58:59Z", 13, "h", "a", "p", "m", "x")
	f("<13>1 2000-02-29T00:00:00Z h a p m - x", "2000-02-29T00:00:00Z", 13, "h", "a", "p", "m", "x")
	f("<13>1 1678-01-01T00:00:00+23:59 h a p m - x", "1677-12-31T00:01:00Z", 13, "h", "a", "p", "m", "x")
	f("<13>1 2261-12-31T23:59:59.999999999-23:59 h a p m - x", "2262-01-01T23:58:59.999999999Z", 13, "h", "a", "p", "m", "x")
	// STRUCTURED-DATA: escapes, empty values, elements without params.
	f(`<13>1 - h a p m [x a="b\"c\\d\]e" z="q"][timeQuality]`, "", 13, "h", "a", "p", "m", "", `x.a=b"c\d]e`, "x.z=q", "timeQuality=")
	f(`<13>1 - h a p m [x a="\n\\"] m`, "", 13, "h", "a", "p", "m", "m", `x.a=\n\`)
	f(`<13>1 - h a p m [x a=""][x b="]"] msg`, "", 13, "h", "a", "p", "m", "msg", "x.a=", "x.b=]")
	f(`<13>1 - h a p m [x a="b"] [y]`, "", 13, "h", "a", "p", "m", "[y]", "x.a=b")
	f("<13>1 - h a p m [x@1 k=\"v\xc3\xa9 \"] m", "", 13, "h", "a", "p", "m", "m", "x@1.k=v\xc3\xa9 ")
	// Elements without parameters: registered SD-IDs and name@PEN are SD.
	f(`<13>1 - h a p m [origin][meta] msg`, "", 13, "h", "a", "p", "m", "msg", "origin=", "meta=")
	f(`<13>1 - h a p m [ourSDID@32473][x@1.3.6] msg`, "", 13, "h", "a", "p", "m", "msg", "ourSDID@32473=", "x@1.3.6=")
	// Heroku: an app line that starts with '[' but is not STRUCTURED-DATA
	// followed by SP or the end is MSG, whole.
	f("<190>1 2024-05-01T12:00:00+00:00 host app web.1 - [8a1b5c2e-1111-2222-3333-444455556666] Started GET \"/\" for 1.2.3.4 at 2024-05-01 12:00:00 +0000\n",
		"2024-05-01T12:00:00Z", 190, "host", "app", "web.1", "", `[8a1b5c2e-1111-2222-3333-444455556666] Started GET "/" for 1.2.3.4 at 2024-05-01 12:00:00 +0000`)
	f("<190>1 2024-05-01T12:00:00+00:00 host app web.1 - [2024-05-01 12:00:00 +0000] [7] [ERROR] Exception in worker process\n",
		"2024-05-01T12:00:00Z", 190, "host", "app", "web.1", "", "[2024-05-01 12:00:00 +0000] [7] [ERROR] Exception in worker process")
	f("<190>1 2024-05-01T12:00:00+00:00 host app worker.1 - [Worker(host:abc pid:4)] Job SendEmail (id=42) RUNNING\n",
		"2024-05-01T12:00:00Z", 190, "host", "app", "worker.1", "", "[Worker(host:abc pid:4)] Job SendEmail (id=42) RUNNING")
	f("<190>1 2024-05-01T12:00:00+00:00 host app web.1 - [3] Puma starting in cluster mode...\n",
		"2024-05-01T12:00:00Z", 190, "host", "app", "web.1", "", "[3] Puma starting in cluster mode...")
	f("<190>1 2024-05-01T12:00:00+00:00 host app web.1 - [nodemon] starting `node index.js`\n",
		"2024-05-01T12:00:00Z", 190, "host", "app", "web.1", "", "[nodemon] starting `node index.js`")
	f("<190>1 2024-05-01T12:00:00+00:00 host app web.1 - [INFO] booting\n", "2024-05-01T12:00:00Z", 190, "host", "app", "web.1", "", "[INFO] booting")
	f("<190>1 2024-05-01T12:00:00+00:00 host app web.1 - [user@example.com] signed in\n", "2024-05-01T12:00:00Z", 190, "host", "app", "web.1", "", "[user@example.com] signed in")
	f("<190>1 2024-05-01T12:00:00+00:00 host app web.1 - [x a=\"b\"][nodemon] restarting\n", "2024-05-01T12:00:00Z", 190, "host", "app", "web.1", "", `[x a="b"][nodemon] restarting`)
	// Broken STRUCTURED-DATA is MSG, whole: nothing is lost.
	f("<13>1 - h a p m [", "", 13, "h", "a", "p", "m", "[")
	f("<13>1 - h a p m []", "", 13, "h", "a", "p", "m", "[]")
	f("<13>1 - h a p m [x", "", 13, "h", "a", "p", "m", "[x")
	f("<13>1 - h a p m [x ]", "", 13, "h", "a", "p", "m", "[x ]")
	f("<13>1 - h a p m [x a]", "", 13, "h", "a", "p", "m", "[x a]")
	f("<13>1 - h a p m [x a=b]", "", 13, "h", "a", "p", "m", "[x a=b]")
	f(`<13>1 - h a p m [x a="b]`, "", 13, "h", "a", "p", "m", `[x a="b]`)
	f(`<13>1 - h a p m [x a="b\"]`, "", 13, "h", "a", "p", "m", `[x a="b\"]`)
	f(`<13>1 - h a p m [x a="b"`, "", 13, "h", "a", "p", "m", `[x a="b"`)
	f(`<13>1 - h a p m [x a="b"b="c"]`, "", 13, "h", "a", "p", "m", `[x a="b"b="c"]`)
	f(`<13>1 - h a p m [x  a="b"]`, "", 13, "h", "a", "p", "m", `[x  a="b"]`)
	f(`<13>1 - h a p m [x a="b"]msg`, "", 13, "h", "a", "p", "m", `[x a="b"]msg`)
	f(`<13>1 - h a p m [x a="\"q\""]msg`, "", 13, "h", "a", "p", "m", `[x a="\"q\""]msg`)
	f(`<13>1 - h a p m [x="b"]`, "", 13, "h", "a", "p", "m", `[x="b"]`)
	f(`<13>1 - h a p m [y] msg`, "", 13, "h", "a", "p", "m", "[y] msg")
	f(`<13>1 - h a p m [x@] msg`, "", 13, "h", "a", "p", "m", "[x@] msg")
	f(`<13>1 - h a p m [@1] msg`, "", 13, "h", "a", "p", "m", "[@1] msg")
	f(`<13>1 - h a p m [`+strings.Repeat("s", 33)+`]`, "", 13, "h", "a", "p", "m", "["+strings.Repeat("s", 33)+"]")
	f(`<13>1 - h a p m [x `+strings.Repeat("n", 33)+`="v"]`, "", 13, "h", "a", "p", "m", `[x `+strings.Repeat("n", 33)+`="v"]`)
	f("<13>1 - h a p m [x\x01]", "", 13, "h", "a", "p", "m", "[x\x01]")
	f("<13>1 - h a p m [x a=\"b\"]\n", "", 13, "h", "a", "p", "m", "", "x.a=b")
	// Length limits: at the limit, and beyond it (not enforced: Docker's
	// rfc5424 log driver sends 44-byte MSGIDs).
	f("<13>1 - "+strings.Repeat("h", 255)+" "+strings.Repeat("a", 48)+" "+strings.Repeat("p", 128)+" "+strings.Repeat("m", 32)+" ["+strings.Repeat("s", 32)+" "+strings.Repeat("n", 32)+`="v"] x`,
		"", 13, strings.Repeat("h", 255), strings.Repeat("a", 48), strings.Repeat("p", 128), strings.Repeat("m", 32), "x", strings.Repeat("s", 32)+"."+strings.Repeat("n", 32)+"=v")
	f("<13>1 - "+strings.Repeat("h", 256)+" "+strings.Repeat("a", 49)+" "+strings.Repeat("p", 129)+" "+strings.Repeat("m", 33)+" - x",
		"", 13, strings.Repeat("h", 256), strings.Repeat("a", 49), strings.Repeat("p", 129), strings.Repeat("m", 33), "x")
	f("<30>1 2024-05-01T12:00:00.123456+08:00 a.vm docker/billing-api-worker/0123456789ab 1787791 docker/billing-api-worker/0123456789ab - msg",
		"2024-05-01T04:00:00.123456Z", 30, "a.vm", "docker/billing-api-worker/0123456789ab", "1787791", "docker/billing-api-worker/0123456789ab", "msg")
}

func TestParse5424Errors(t *testing.T) {
	f := func(line, want string) {
		t.Helper()
		e := event.Event{Host: "untouched", Fields: []event.Field{{Key: "k", Value: "v"}}}
		err := Parse5424(line, &e)
		if err == nil {
			t.Fatalf("Parse5424(%q): no error, want %q", line, want)
		}
		if err.Error() != want {
			t.Fatalf("Parse5424(%q):\n got %q\nwant %q", line, err.Error(), want)
		}
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("Parse5424(%q): error %T is not a *ParseError", line, err)
		}
		if e.Host != "untouched" || len(e.Fields) != 1 || e.Fields[0].Key != "k" {
			t.Fatalf("Parse5424(%q) changed the event on error: %+v", line, e)
		}
	}
	const p = "cannot parse RFC 5424 line: "

	// PRI
	f("", p+"PRI at column 1: empty line")
	f("13>1 - - - - - -", p+"PRI at column 1: expected '<', found '1'")
	f("<>1 - - - - - -", p+"PRI at column 2: expected a digit, found '>'")
	f("<192>1 - - - - - -", p+"PRI at column 2: value 192 out of range 0-191")
	f("<999>1 - - - - - -", p+"PRI at column 2: value 999 out of range 0-191")
	f("<013>1 - - - - - -", p+"PRI at column 2: leading zero")
	f("<00>1 - - - - - -", p+"PRI at column 2: leading zero")
	f("<1234>1 - - - - - -", p+"PRI at column 2: more than 3 digits")
	f("<13", p+"PRI at column 4: unexpected end of line")
	f("<13 1 - - - - - -", p+"PRI at column 4: expected '>', found ' '")
	// VERSION
	f("<13>", p+"VERSION at column 5: unexpected end of line")
	f("<13> - - - - - -", p+"VERSION at column 5: expected a digit, found ' '")
	f("<13>Oct 11 22:14:15 mymachine su: hello", p+"VERSION at column 5: expected a digit, found 'O'")
	f("<13>2 - - - - - -", p+"VERSION at column 5: unsupported version 2")
	f("<13>11 - - - - - -", p+"VERSION at column 5: unsupported version 11")
	f("<13>01 - - - - - -", p+"VERSION at column 5: unsupported version 01")
	f("<13>1", p+"TIMESTAMP at column 6: unexpected end of line")
	f("<13>1- - - - - -", p+"VERSION at column 6: expected SP, found '-'")
	// TIMESTAMP
	f("<13>1 2024-13-01T12:00:00Z h a p m -", p+"TIMESTAMP at column 12: month 13 out of range")
	f("<13>1 2024-00-01T12:00:00Z h a p m -", p+"TIMESTAMP at column 12: month 0 out of range")
	f("<13>1 2024-02-30T12:00:00Z h a p m -", p+"TIMESTAMP at column 15: day 30 out of range for February 2024")
	f("<13>1 2023-02-29T12:00:00Z h a p m -", p+"TIMESTAMP at column 15: day 29 out of range for February 2023")
	f("<13>1 1900-02-29T12:00:00Z h a p m -", p+"TIMESTAMP at column 15: day 29 out of range for February 1900")
	f("<13>1 2024-04-31T12:00:00Z h a p m -", p+"TIMESTAMP at column 15: day 31 out of range for April 2024")
	f("<13>1 2024-05-00T12:00:00Z h a p m -", p+"TIMESTAMP at column 15: day 0 out of range for May 2024")
	f("<13>1 2024-05-01T24:00:00Z h a p m -", p+"TIMESTAMP at column 18: hour 24 out of range")
	f("<13>1 2024-05-01T12:60:00Z h a p m -", p+"TIMESTAMP at column 21: minute 60 out of range")
	f("<13>1 2024-05-01T23:59:60Z h a p m -", p+"TIMESTAMP at column 24: second 60 out of range")
	f("<13>1 2024-05-01 12:00:00Z h a p m -", p+"TIMESTAMP at column 17: expected 'T' after date, found ' '")
	f("<13>1 2024-05-01t12:00:00z h a p m -", p+"TIMESTAMP at column 17: expected 'T' after date, found 't'")
	f("<13>1 2024-05-01T12:00:00 h a p m -", p+"TIMESTAMP at column 26: expected 'Z' or a numeric offset, found ' '")
	f("<13>1 2024-05-01T12:00:00.Z h a p m -", p+"TIMESTAMP at column 27: expected digits after '.', found 'Z'")
	f("<13>1 2024-05-01T12:00:00.1234567890Z h a p m -", p+"TIMESTAMP at column 27: fraction of a second longer than 9 digits")
	f("<13>1 2024-05-01T12:00:00+24:00 h a p m -", p+"TIMESTAMP at column 27: offset hour 24 out of range")
	f("<13>1 2024-05-01T12:00:00+01:60 h a p m -", p+"TIMESTAMP at column 30: offset minute 60 out of range")
	f("<13>1 2024-05-01T12:00:00+0100 h a p m -", p+"TIMESTAMP at column 29: expected ':' in offset, found '0'")
	f("<13>1 2024-05-01T12:00:00ZZ h a p m -", p+"TIMESTAMP at column 27: unexpected 'Z'")
	f("<13>1 24-05-01T12:00:00Z h a p m -", p+"TIMESTAMP at column 7: expected 4-digit year, found '2'")
	f("<13>1 Oct 11 22:14:15 h a p m -", p+"TIMESTAMP at column 7: expected 4-digit year, found 'O'")
	f("<13>1 -x h a p m -", p+"TIMESTAMP at column 7: expected 4-digit year, found '-'")
	f("<13>1 2024-05-01T12:00", p+"TIMESTAMP at column 23: unexpected end of line, expected ':' after minute")
	// Years an event time cannot hold (Unix nanoseconds).
	f("<13>1 1677-12-31T23:59:59Z h a p m -", p+"TIMESTAMP at column 7: year 1677 outside the supported range 1678-2261")
	f("<13>1 2262-01-01T00:00:00Z h a p m -", p+"TIMESTAMP at column 7: year 2262 outside the supported range 1678-2261")
	f("<13>1 0000-01-01T00:00:00Z h a p m -", p+"TIMESTAMP at column 7: year 0 outside the supported range 1678-2261")
	f("<13>1 9999-12-31T23:59:59.999999999-23:59 h a p m -", p+"TIMESTAMP at column 7: year 9999 outside the supported range 1678-2261")
	f("<13>1 9999-13-31T23:59:59Z h a p m -", p+"TIMESTAMP at column 12: month 13 out of range")
	f("<13>1 2024-05-01T12:00:00Z", p+"HOSTNAME at column 27: unexpected end of line")
	// Header fields.
	f("<13>1 - ", p+"HOSTNAME at column 9: unexpected end of line")
	f("<13>1 -  a p m -", p+"HOSTNAME at column 9: empty field")
	f("<13>1 - h", p+"APP-NAME at column 10: unexpected end of line")
	f("<13>1 - h a", p+"PROCID at column 12: unexpected end of line")
	f("<13>1 - h a p", p+"MSGID at column 14: unexpected end of line")
	f("<13>1 - h\ta p m -", p+"HOSTNAME at column 10: invalid character 0x09")
	f("<13>1 - h \xc3\xa9 p m -", p+"APP-NAME at column 11: invalid character 0xc3")
	f("<13>1 - h a p\x7f m -", p+"PROCID at column 14: invalid character 0x7f")
}
