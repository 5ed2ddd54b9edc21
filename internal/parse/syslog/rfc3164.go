package syslog

import (
	"strconv"
	"strings"
	"time"

	gosyslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/ciscoios"
	"github.com/leodido/go-syslog/v4/rfc3164"

	"github.com/sluicelog/sluice/internal/event"
)

// defaultPRI3164 is what RFC 3164 section 4.3.3 gives a line without a valid
// PRI: facility user, severity notice.
const defaultPRI3164 = 13

// maxTag3164 is the longest TAG accepted (RFC 3164 says 32; the library and
// Unifi devices go to 48).
const maxTag3164 = 48

// Parse3164 parses one RFC 3164 (BSD syslog) line into e, best effort.
//
// The line is parsed with github.com/leodido/go-syslog/v4/rfc3164 (best
// effort, RFC 3339 timestamps, fractional seconds, zero-padded days, then the
// Cisco IOS message counter variant); when the library fails or its result
// does not account for the whole line, a small parser of sluice's own takes
// over, so that no text is lost. Recognised layouts:
//
//	<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8
//	<13>Feb  5 17:32:18 myapp[123]: msg                   (no HOSTNAME, as logger sends)
//	<13>2024-02-05T17:32:18.123456+01:00 host app[1]: msg (rsyslog RSYSLOG_ForwardFormat)
//	<189>237: *Jan  8 19:46:03.295: %SYS-5-CONFIG_I: msg  (Cisco IOS)
//	<189>12: 000011: router1: Apr 11 10:02:08: %SYS-5-CONFIG_I: msg
//
// A timestamp without a year gets the latest year that puts it at most a week
// after now (pass the receive time); one without a zone is read as UTC. A line without a
// timestamp has a zero e.Time and all of the text after PRI as message. A line
// without a valid PRI is user.notice with SeveritySource unset (RFC 3164
// section 4.3.3) and is parsed as if the PRI were absent. One trailing "\n" or
// "\r\n" is trimmed.
//
// It sets e.Time (UTC), e.Severity, e.SeveritySource, e.Facility, e.Host,
// e.App (the TAG), e.Proc (the PID in "tag[pid]:"), e.MsgID ("") and
// e.Message. The only errors, *ParseErrors, are for an empty line and for an
// RFC 3339 timestamp whose year is outside 1678-2261, which an event's time
// cannot hold; e is then left as it was.
func Parse3164(line string, e *event.Event, now time.Time) error {
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return &ParseError{Format: rfc3164Name, Field: fieldPRI, Column: 1, Reason: "empty line"}
	}
	pri, rest, hasPRI := parsePRI3164(line)

	// A year out of range is checked before either parser runs, so that
	// neither takes such a timestamp for text.
	tsPos := stampStart3164(rest)
	yearErr := func(year int) error {
		return &ParseError{Format: rfc3164Name, Field: fieldTimestamp, Column: len(line) - len(rest) + tsPos + 1, Reason: yearReason(year)}
	}
	if _, ok := digits(rest, tsPos, 4); ok && at(rest, tsPos+4, '-') {
		t, n, err := parseTimestamp(rest, tsPos)
		if err == nil && (n == len(rest) || rest[n] == ' ' || rest[n] == ':') && t.checkYear(tsPos) != nil {
			return yearErr(t.year)
		}
	}

	var r result3164
	if rest != "" && !r.fromLibrary(pri, rest) {
		r = result3164{}
		r.fallback(rest)
	}
	if y := r.ts.Year(); !r.ts.IsZero() && y != 0 && (y < minYear || y > maxYear) {
		return yearErr(y)
	}

	if r.ts.Year() == 0 && !r.ts.IsZero() {
		r.ts = inferYear(r.ts, now)
	}
	e.Time = r.ts
	if !r.ts.IsZero() {
		e.Time = r.ts.UTC()
	}
	e.Severity = event.Severity(pri & 7)
	e.SeveritySource = event.SeverityUnset
	if hasPRI {
		e.SeveritySource = event.SeverityPRI
	}
	e.Facility = event.FacilityFromCode(pri >> 3)
	e.Host = r.host
	e.App = r.app
	e.Proc = r.proc
	e.MsgID = ""
	e.Message = r.msg
	return nil
}

// parsePRI3164 reads "<PRIVAL>" leniently (leading zeros allowed). Without a
// valid one it returns the RFC 3164 default and the whole line.
func parsePRI3164(line string) (pri int, rest string, ok bool) {
	if len(line) < 3 || line[0] != '<' {
		return defaultPRI3164, line, false
	}
	v := 0
	p := 1
	for p < len(line) && p <= 4 && isDigit(line[p]) {
		v = v*10 + int(line[p]-'0')
		p++
	}
	if p == 1 || p > 4 || p >= len(line) || line[p] != '>' || v > 191 {
		return defaultPRI3164, line, false
	}
	return v, line[p+1:], true
}

// result3164 is what either parser found.
type result3164 struct {
	ts                   time.Time
	host, app, proc, msg string
}

// fromLibrary parses "<pri>rest" with go-syslog and keeps the result only if
// it is consistent with the input: a timestamp was found, the message is the
// end of the line, and TAG, PID and HOSTNAME sit right before it.
func (r *result3164) fromLibrary(pri int, rest string) bool {
	in := make([]byte, 0, len(rest)+5)
	in = append(in, '<')
	in = strconv.AppendInt(in, int64(pri), 10)
	in = append(in, '>')
	in = append(in, rest...)
	// The plain machine first; the Cisco one reads RFC 3339 timestamps badly
	// but knows "<189>237: *Jan  8 19:46:03.295: ...".
	m := rfc3164.NewMachine(rfc3164.WithBestEffort(), rfc3164.WithSecondFractions(), rfc3164.WithLenientDay(),
		rfc3164.WithEmbeddedNewlines(), rfc3164.WithRFC3339())
	if msg, err := m.Parse(in); r.check(rest, msg, err) {
		return true
	}
	*r = result3164{}
	c := rfc3164.NewMachine(rfc3164.WithBestEffort(), rfc3164.WithLenientDay(), rfc3164.WithEmbeddedNewlines(),
		rfc3164.WithCiscoIOSComponents(ciscoios.DisableSequenceNumber|ciscoios.DisableHostname))
	msg, err := c.Parse(in)
	return r.check(rest, msg, err)
}

// check validates one library result against rest, the line after PRI, and
// keeps it. The message must be the end of rest, preceded by "tag[pid]: " or
// "tag: " when there is a TAG, preceded by HOSTNAME and spaces when there is
// one. The strings kept are substrings of rest, not the library's copies.
func (r *result3164) check(rest string, msg gosyslog.Message, err error) bool {
	m, _ := msg.(*rfc3164.SyslogMessage)
	if err != nil || m == nil || m.Timestamp == nil || m.Message == nil {
		return false
	}
	if !strings.HasSuffix(rest, *m.Message) {
		return false
	}
	r.msg = rest[len(rest)-len(*m.Message):]
	head := rest[:len(rest)-len(r.msg)]
	if m.Appname != nil {
		var ok bool
		if head, ok = strings.CutSuffix(head, ": "); !ok {
			return false
		}
		if m.ProcID != nil {
			if head, ok = strings.CutSuffix(head, "]"); !ok {
				return false
			}
			if head, ok = strings.CutSuffix(head, *m.ProcID); !ok {
				return false
			}
			r.proc = rest[len(head) : len(head)+len(*m.ProcID)]
			if head, ok = strings.CutSuffix(head, "["); !ok {
				return false
			}
		}
		if head, ok = strings.CutSuffix(head, *m.Appname); !ok {
			return false
		}
		r.app = rest[len(head) : len(head)+len(*m.Appname)]
	} else if m.ProcID != nil {
		return false
	}
	if m.Hostname != nil {
		head = strings.TrimRight(head, " ")
		if !strings.HasSuffix(head, *m.Hostname) {
			return false
		}
		head = head[:len(head)-len(*m.Hostname)]
		r.host = rest[len(head) : len(head)+len(*m.Hostname)]
	}
	if strings.TrimSpace(head) == "" {
		return false // no timestamp text before the rest
	}
	r.ts = *m.Timestamp
	return true
}

// inferYear puts a timestamp parsed without a year (year 0) in the latest
// year that makes it at most a week later than now: a line from December
// received in January belongs to the previous year, and a sender's clock (or
// time zone) a few hours ahead does not move a line a year back. February 29
// goes to the latest such leap year.
func inferYear(t, now time.Time) time.Time {
	limit := now.Add(7 * 24 * time.Hour)
	var c time.Time
	for y := now.Year() + 1; y >= now.Year()-8; y-- {
		c = time.Date(y, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
		if c.Day() == t.Day() && !c.After(limit) {
			break
		}
	}
	return c
}

// fallback is sluice's own reading of rest, the line after PRI, for what the
// library cannot do (RFC 3339 timestamps with fractions, empty messages,
// NUL bytes, tags without a space after the colon, ...):
//
//	[counter: [counter: ]][*]TIMESTAMP[:] [HOSTNAME ][TAG[[PID]]: ]MSG
//
// Without a recognisable timestamp all of rest is the message (RFC 3164
// section 4.3.2).
func (r *result3164) fallback(s string) {
	p := skipCounters3164(s)
	if end := wordEnd(s, p); end > p+1 && s[end-1] == ':' && !isDigit(s[p]) {
		// Cisco "logging origin-id hostname": "host1: *Apr 11 10:02:08: ..."
		q := skipSpaces(s, end)
		if at(s, q, '*') || at(s, q, '.') {
			q++
		}
		if _, _, ok := stamp3164(s, q); ok {
			r.host = s[p : end-1]
			p = q
		}
	}
	if at(s, p, '*') || at(s, p, '.') { // Cisco: clock not in sync
		p++
	}
	ts, n, ok := stamp3164(s, p)
	if !ok {
		var t timestamp
		var err *ParseError
		if t, n, err = parseTimestamp(s, p); err == nil && (n == len(s) || s[n] == ' ' || s[n] == ':') {
			ts, ok = t.time(), true
		}
	}
	if !ok {
		r.msg = s
		return
	}
	r.ts = ts
	p = n
	if at(s, p, ':') {
		p++
	}
	p = skipSpaces(s, p)

	end1 := wordEnd(s, p)
	if r.tag(s[p:end1]) {
		r.msg = afterSP(s, end1)
		return
	}
	if end1 == len(s) || r.host != "" {
		r.msg = s[p:] // a single word: the message
		return
	}
	r.host = s[p:end1]
	p2 := skipSpaces(s, end1)
	end2 := wordEnd(s, p2)
	if r.tag(s[p2:end2]) {
		r.msg = afterSP(s, end2)
		return
	}
	r.msg = s[p2:]
}

// skipCounters3164 returns the offset in s, the line after PRI, after
// leading blanks and up to two Cisco IOS counters ("237: ", "000104: ").
func skipCounters3164(s string) int {
	p := skipSpaces(s, 0)
	for range 2 { // Cisco IOS message counter and sequence number
		d := p
		for d < len(s) && isDigit(s[d]) {
			d++
		}
		if d == p || !at(s, d, ':') {
			break
		}
		p = skipSpaces(s, d+1)
	}
	return p
}

// stampStart3164 returns where an RFC 3339 timestamp would start in s, the
// line after PRI: after blanks, Cisco counters and a '*' or '.'.
func stampStart3164(s string) int {
	p := skipCounters3164(s)
	if at(s, p, '*') || at(s, p, '.') {
		p++
	}
	return p
}

// tag recognises "name:" and "name[pid]:" and keeps name and pid. Like the
// library, a name is up to 48 printable bytes other than SP, ':' and '['.
func (r *result3164) tag(w string) bool {
	if len(w) < 2 || w[len(w)-1] != ':' {
		return false
	}
	name, pid := w[:len(w)-1], ""
	hasPID := false
	if i := strings.IndexByte(name, '['); i >= 0 {
		if name[len(name)-1] != ']' {
			return false
		}
		name, pid, hasPID = name[:i], name[i+1:len(name)-1], true
		if strings.ContainsAny(pid, "[]") {
			return false
		}
	}
	if name == "" || len(name) > maxTag3164 || strings.ContainsAny(name, ":[") {
		return false
	}
	for i := 0; i < len(name); i++ {
		if name[i] < 33 || name[i] > 126 {
			return false
		}
	}
	r.app = name
	if hasPID {
		r.proc = pid
	}
	return true
}

// stamp3164 reads "Mmm dd hh:mm:ss[.fraction]" (the day space- or
// zero-padded, or a single digit) at s[p:], as a time in year 0 UTC.
func stamp3164(s string, p int) (time.Time, int, bool) {
	if p+3 > len(s) {
		return time.Time{}, p, false
	}
	month := 0
	for i, m := range [...]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"} {
		if strings.EqualFold(s[p:p+3], m) {
			month = i + 1
			break
		}
	}
	if month == 0 || !at(s, p+3, ' ') {
		return time.Time{}, p, false
	}
	p += 4
	if at(s, p, ' ') { // "Feb  5"
		p++
	}
	day := 0
	start := p
	for p < len(s) && isDigit(s[p]) && p-start < 2 {
		day = day*10 + int(s[p]-'0')
		p++
	}
	if p == start || day < 1 || day > daysIn(month, 0) || !at(s, p, ' ') {
		return time.Time{}, p, false
	}
	p++
	h, ok1 := digits(s, p, 2)
	m, ok2 := digits(s, p+3, 2)
	sec, ok3 := digits(s, p+6, 2)
	if !ok1 || !ok2 || !ok3 || s[p+2] != ':' || s[p+5] != ':' || h > 23 || m > 59 || sec > 59 {
		return time.Time{}, p, false
	}
	p += 8
	nsec := 0
	if at(s, p, '.') && p+1 < len(s) && isDigit(s[p+1]) {
		p++
		start := p
		for p < len(s) && isDigit(s[p]) {
			if p-start < 9 {
				nsec = nsec*10 + int(s[p]-'0')
			}
			p++
		}
		for i := min(p-start, 9); i < 9; i++ {
			nsec *= 10
		}
	}
	return time.Date(0, time.Month(month), day, h, m, sec, nsec, time.UTC), p, true
}

func skipSpaces(s string, p int) int {
	for p < len(s) && s[p] == ' ' {
		p++
	}
	return p
}

func wordEnd(s string, p int) int {
	if i := strings.IndexByte(s[p:], ' '); i >= 0 {
		return p + i
	}
	return len(s)
}

// afterSP returns s after offset end, skipping the one SP there.
func afterSP(s string, end int) string {
	if end < len(s) && s[end] == ' ' {
		end++
	}
	return s[end:]
}
