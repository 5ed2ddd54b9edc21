package syslog

import (
	"errors"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

func TestParse3164(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	f := func(line, ts string, pri int, host, app, proc, msg string) {
		t.Helper()
		e := event.Event{MsgID: "stale"}
		if err := Parse3164(line, &e, now); err != nil {
			t.Fatalf("Parse3164(%q): %s", line, err)
		}
		if d := diffEvent(e, wantEvent(t, ts, pri, host, app, proc, "", msg)); d != "" {
			t.Fatalf("Parse3164(%q) (-want +got):\n%s", line, d)
		}
	}

	// RFC 3164 section 5.4 examples.
	f("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
		"2025-10-11T22:14:15Z", 34, "mymachine", "su", "", "'su root' failed for lonvick on /dev/pts/8")
	f("Use the BFG!", "", -1, "", "", "", "Use the BFG!")
	f("<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!", "2026-02-05T17:32:18Z", 13, "10.0.0.99", "", "", "Use the BFG!")
	f("<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to make the do-nuts.  %%  Ingredients: Mix=OK, Jelly=OK # Devices: Mixer=OK, Jelly_Injector=OK, Frier=OK # Transport: Conveyer1=OK, Conveyer2=OK # %%",
		"2025-08-24T05:34:00Z", 165, "CST", "", "", "1987 mymachine myproc[10]: %% It's time to make the do-nuts.  %%  Ingredients: Mix=OK, Jelly=OK # Devices: Mixer=OK, Jelly_Injector=OK, Frier=OK # Transport: Conveyer1=OK, Conveyer2=OK # %%")
	f("<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!",
		"", 0, "", "", "", "1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!")
	f("<0>Oct 22 10:52:01 10.1.2.3 sched[0]: That's All Folks!", "2025-10-22T10:52:01Z", 0, "10.1.2.3", "sched", "0", "That's All Folks!")

	// util-linux logger (captured from logger 2.38.1): to /dev/log without a
	// hostname, and --rfc3164 with one.
	f("<13>Nov 20 22:53:58 app[8329]: default", "2025-11-20T22:53:58Z", 13, "", "app", "8329", "default")
	f("<13>Nov 20 22:53:58 vm app[8327]: old style", "2025-11-20T22:53:58Z", 13, "vm", "app", "8327", "old style")
	f("<13>Feb  5 17:32:18 myapp[123]: msg", "2026-02-05T17:32:18Z", 13, "", "myapp", "123", "msg")
	f("<13>Feb  5 17:32:18 myapp: msg", "2026-02-05T17:32:18Z", 13, "", "myapp", "", "msg")
	// rsyslog RSYSLOG_TraditionalForwardFormat and RSYSLOG_ForwardFormat.
	f("<30>Feb  5 17:32:18 web01 systemd[1]: Started Session 5 of user root.\n", "2026-02-05T17:32:18Z", 30, "web01", "systemd", "1", "Started Session 5 of user root.")
	f("<30>2024-02-05T17:32:18.123456+01:00 web01 systemd[1]: Started Session 5 of user root.\n", "2024-02-05T16:32:18.123456Z", 30, "web01", "systemd", "1", "Started Session 5 of user root.")
	f("<30>2024-02-05T17:32:18+01:00 web01 systemd[1]: Started Session 5 of user root.", "2024-02-05T16:32:18Z", 30, "web01", "systemd", "1", "Started Session 5 of user root.")
	f("<30>2024-02-05T17:32:18Z web01 kernel: [ 0.000000] Linux version 6.1.0", "2024-02-05T17:32:18Z", 30, "web01", "kernel", "", "[ 0.000000] Linux version 6.1.0")
	// Cisco IOS.
	f("<189>237: *Jan  8 19:46:03.295: %SYS-5-CONFIG_I: Configured from console by vty0 (10.0.0.1)",
		"2026-01-08T19:46:03.295Z", 189, "", "%SYS-5-CONFIG_I", "", "Configured from console by vty0 (10.0.0.1)")
	f("<189>643: Jan  8 19:46:03.295: %LINEPROTO-5-UPDOWN: Line protocol on Interface Loopback100, changed state to up",
		"2026-01-08T19:46:03.295Z", 189, "", "%LINEPROTO-5-UPDOWN", "", "Line protocol on Interface Loopback100, changed state to up")
	f("<189>105: 000104: Mar 12 07:12:10: %SYS-5-CONFIG_I: Configured from console by console",
		"2026-03-12T07:12:10Z", 189, "", "%SYS-5-CONFIG_I", "", "Configured from console by console")
	f("<189>269614: hostname1: Apr 11 10:02:08: %LINEPROTO-5-UPDOWN: Line protocol on Interface GigabitEthernet7/0/34, changed state to up",
		"2025-04-11T10:02:08Z", 189, "hostname1", "%LINEPROTO-5-UPDOWN", "", "Line protocol on Interface GigabitEthernet7/0/34, changed state to up")
	// No PRI, bad PRI: RFC 3164 section 4.3.3 default, user.notice.
	f("Feb  5 17:32:18 host app[12]: no pri", "2026-02-05T17:32:18Z", -1, "host", "app", "12", "no pri")
	f("<192>Feb  5 17:32:18 host app: bad pri", "", -1, "", "", "", "<192>Feb  5 17:32:18 host app: bad pri")
	f("<1a>Feb  5 17:32:18 host app: bad pri", "", -1, "", "", "", "<1a>Feb  5 17:32:18 host app: bad pri")
	f("<013>Feb  5 17:32:18 host app: lenient", "2026-02-05T17:32:18Z", 13, "host", "app", "", "lenient")
	f("<191>Feb  5 17:32:18 host app: x", "2026-02-05T17:32:18Z", 191, "host", "app", "", "x")
	// Odd days, fractions, spacing.
	f("<13>Feb 05 17:32:18 host app: zero-padded", "2026-02-05T17:32:18Z", 13, "host", "app", "", "zero-padded")
	f("<13>Feb 5 17:32:18 host app: one digit", "2026-02-05T17:32:18Z", 13, "host", "app", "", "one digit")
	f("<13>Feb  5 17:32:18.123456 host app: frac", "2026-02-05T17:32:18.123456Z", 13, "host", "app", "", "frac")
	f("<13>Feb  5 17:32:18  host  app: spaces", "2026-02-05T17:32:18Z", 13, "host", "app", "", "spaces")
	f("<13> Feb  5 17:32:18 host app: lead", "2026-02-05T17:32:18Z", 13, "host", "app", "", "lead")
	f("<13>Feb 29 17:32:18 host app: leap", "2024-02-29T17:32:18Z", 13, "host", "app", "", "leap")
	// Messages the library mangles: the fallback keeps every byte.
	f("<13>Feb  5 17:32:18 host app: ", "2026-02-05T17:32:18Z", 13, "host", "app", "", "")
	f("<13>Feb  5 17:32:18 host app:", "2026-02-05T17:32:18Z", 13, "host", "app", "", "")
	f("<13>Feb  5 17:32:18 host app:msg", "2026-02-05T17:32:18Z", 13, "host", "", "", "app:msg")
	f("<13>Feb  5 17:32:18 host app[12]: msg\x00bin", "2026-02-05T17:32:18Z", 13, "host", "app", "12", "msg\x00bin")
	f("<13>Feb  5 17:32:18 host app[12]: multi\nline\r\n", "2026-02-05T17:32:18Z", 13, "host", "app", "12", "multi\nline")
	f("<13>Feb  5 17:32:18 host app[12] msg", "2026-02-05T17:32:18Z", 13, "host", "", "", "app[12] msg")
	f("<13>Feb  5 17:32:18 host just a message", "2026-02-05T17:32:18Z", 13, "host", "", "", "just a message")
	f("<13>Feb  5 17:32:18 message", "2026-02-05T17:32:18Z", 13, "", "", "", "message")
	f("<13>Feb  5 17:32:18", "2026-02-05T17:32:18Z", 13, "", "", "", "")
	f("<13>Feb 30 17:32:18 host app: not a date", "", 13, "", "", "", "Feb 30 17:32:18 host app: not a date")
	f("<13>hello world", "", 13, "", "", "", "hello world")
	f("<13>", "", 13, "", "", "", "")
	f("<13>\n", "", 13, "", "", "", "")
	// Years: the supported range's ends, and text that only looks like a
	// timestamp with a year out of range.
	f("<30>1678-01-01T00:00:00Z web01 app: x", "1678-01-01T00:00:00Z", 30, "web01", "app", "", "x")
	f("<30>2261-12-31T23:59:59Z web01 app: x", "2261-12-31T23:59:59Z", 30, "web01", "app", "", "x")
	f("<30>9999-13-01T00:00:00Z web01 app: x", "", 30, "", "", "", "9999-13-01T00:00:00Z web01 app: x")
	f("<30>9999-01-01 web01 app: x", "", 30, "", "", "", "9999-01-01 web01 app: x")
}

func TestParse3164Errors(t *testing.T) {
	f := func(line, want string) {
		t.Helper()
		e := event.Event{Host: "untouched"}
		err := Parse3164(line, &e, time.Now())
		var pe *ParseError
		if !errors.As(err, &pe) || err.Error() != want {
			t.Fatalf("Parse3164(%q):\n got %v\nwant %s", line, err, want)
		}
		if e.Host != "untouched" {
			t.Fatalf("Parse3164(%q) changed the event on error", line)
		}
	}
	const p = "cannot parse RFC 3164 line: "
	f("", p+"PRI at column 1: empty line")
	f("\n", p+"PRI at column 1: empty line")
	f("\r\n", p+"PRI at column 1: empty line")
	// Years an event time cannot hold (Unix nanoseconds).
	f("<30>9999-02-05T17:32:18.123456+01:00 web01 systemd[1]: Started", p+"TIMESTAMP at column 5: year 9999 outside the supported range 1678-2261")
	f("<30>2262-01-01T00:00:00Z web01 systemd[1]: Started", p+"TIMESTAMP at column 5: year 2262 outside the supported range 1678-2261")
	f("<30>1677-12-31T23:59:59Z web01 app: x", p+"TIMESTAMP at column 5: year 1677 outside the supported range 1678-2261")
	f("<30>0000-01-01T00:00:00Z web01 app: x", p+"TIMESTAMP at column 5: year 0 outside the supported range 1678-2261")
	f("<30>0001-01-01T00:00:00Z web01 app: x", p+"TIMESTAMP at column 5: year 1 outside the supported range 1678-2261")
	f("<30>0001-01-01T00:00:00Z", p+"TIMESTAMP at column 5: year 1 outside the supported range 1678-2261")
	f("<189>12: *9999-01-01T00:00:00Z: %SYS-5-CONFIG_I: x", p+"TIMESTAMP at column 11: year 9999 outside the supported range 1678-2261")
	f("9999-01-01T00:00:00Z host app: no pri", p+"TIMESTAMP at column 1: year 9999 outside the supported range 1678-2261")
}

func TestInferYear(t *testing.T) {
	f := func(now, stamp, want string) {
		t.Helper()
		n, _ := time.Parse(time.RFC3339, now)
		s, _ := time.Parse(time.Stamp, stamp)
		if got := inferYear(s, n).Format(time.RFC3339); got != want {
			t.Fatalf("inferYear(%q, now %s) = %s, want %s", stamp, now, got, want)
		}
	}
	f("2026-01-01T00:05:00Z", "Dec 31 23:59:00", "2025-12-31T23:59:00Z")
	f("2025-12-31T23:59:00Z", "Jan  1 00:01:00", "2026-01-01T00:01:00Z")
	f("2026-03-15T12:00:00Z", "Mar 15 23:00:00", "2026-03-15T23:00:00Z")
	f("2026-03-15T12:00:00Z", "Mar 22 12:00:00", "2026-03-22T12:00:00Z")
	f("2026-03-15T12:00:00Z", "Mar 22 12:00:01", "2025-03-22T12:00:01Z")
	f("2026-03-15T12:00:00Z", "Jan  1 00:00:00", "2026-01-01T00:00:00Z")
	f("2026-03-15T12:00:00Z", "Feb 29 00:00:00", "2024-02-29T00:00:00Z")
	f("2028-03-15T12:00:00Z", "Feb 29 00:00:00", "2028-02-29T00:00:00Z")
}

func TestParse(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	f := func(line, wantApp, wantMsg, wantErr string) {
		t.Helper()
		var e event.Event
		err := Parse(line, &e, now)
		if wantErr != "" {
			if err == nil || err.Error() != wantErr {
				t.Fatalf("Parse(%q): error %v, want %q", line, err, wantErr)
			}
			return
		}
		if err != nil {
			t.Fatalf("Parse(%q): %s", line, err)
		}
		if e.App != wantApp || e.Message != wantMsg {
			t.Fatalf("Parse(%q): app %q message %q, want %q %q", line, e.App, e.Message, wantApp, wantMsg)
		}
	}
	f(`<190>1 2024-05-01T12:00:00.123456+00:00 host app web.1 - Started GET "/"`, "app", `Started GET "/"`, "")
	f("<34>Oct 11 22:14:15 mymachine su: 'su root' failed", "su", "'su root' failed", "")
	f("<13>1 - - app - - - five", "app", "five", "")
	f("<192>1 - - app - - - five", "", "", "cannot parse RFC 5424 line: PRI at column 2: value 192 out of range 0-191")
	f("<13>1 2024-13-01T00:00:00Z h a p m -", "", "", "cannot parse RFC 5424 line: TIMESTAMP at column 12: month 13 out of range")
	f("<189>1: *Jan  8 19:46:03.295: %SYS-5-CONFIG_I: x", "%SYS-5-CONFIG_I", "x", "")
	f("<13>10 tiny", "", "10 tiny", "")
	f("<13>1", "", "1", "")
	f("1 plain", "", "1 plain", "")
	f("<13>1 9999-01-01T00:00:00Z h a p m - x", "", "", "cannot parse RFC 5424 line: TIMESTAMP at column 7: year 9999 outside the supported range 1678-2261")
	f("<13>9999-01-01T00:00:00Z h a: x", "", "", "cannot parse RFC 3164 line: TIMESTAMP at column 5: year 9999 outside the supported range 1678-2261")
	f("<13>1 - h a p m [nodemon] starting", "a", "[nodemon] starting", "")
	f("", "", "", "cannot parse RFC 3164 line: PRI at column 1: empty line")
}
