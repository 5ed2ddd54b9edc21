// Package heroku recognises Heroku's own log lines in events parsed from
// Logplex frames — router, platform (dyno manager and API), Logplex and
// add-on (Heroku Postgres, Redis, Kafka) lines — adds their data as fields
// and infers their severity.
//
// Enrich sets Severity with SeveritySource event.SeverityInferred and keeps
// Facility; Message is never changed. Strings added to Fields are substrings
// of Message, except the unescaped quoted logfmt values and the derived
// metric keys described below.
//
// # Which lines are Heroku's
//
//   - App "heroku", Proc "router": router lines (logfmt).
//   - App "heroku", any other Proc (web.1, worker.2, scheduler.1234, run.42,
//     release.7, api, slug-compiler, logplex, ...): platform lines. Every
//     such line is Heroku's, so Enrich returns true even for a message it
//     does not know (severity info).
//   - Proc "heroku-postgres", "heroku-redis", "heroku-kafka" (any
//     "heroku-*"), whatever the App: add-on metrics in logfmt with a
//     source= or sample#/measure#/count# key.
//   - Proc "postgres" or "postgres.N" (or "heroku-*"), message
//     "[ATTACHMENT] [N-M] ...": Heroku Postgres server log lines.
//
// Everything else — in particular app lines (App "app", Proc "web.1") — is
// not Heroku's: Enrich returns false and leaves the event as it was.
//
// # Router lines
//
// Every logfmt key becomes a field (status=200 and bytes=13 are
// event.Number). connect=1ms and service=18ms stay as text and also add
// Number fields connect_ms and service_ms, appended after the logfmt fields.
// Severity is the most severe of:
//
//	at=error (H codes)   error
//	status >= 500        error
//	at=warning (H27...)  warning
//	status 400..499      notice   (client errors are ordinary traffic: bots,
//	                               404s; warning would flood alerting)
//	otherwise            info
//
// # Platform lines
//
//	message                                         severity  fields
//	State changed from up to crashed                error     state_from, state_to
//	State changed from X to Y (Y not crashed)       info      state_from, state_to
//	Process exited with status 0                    info      exit_status
//	Process exited with status 143 (SIGTERM)        notice    exit_status
//	Process exited with status N (other)            error     exit_status
//	Error R15 (Memory quota vastly exceeded)        crit      code, desc
//	Error R10/R12/R13/R14/R16/R17/R99 (desc) -> ... error     code, desc, detail
//	Error L11, L15 (tail session buffer overflow)   warning   code, desc, detail, dropped, since
//	Error L10, L12, L13, L14 (drain data loss)      error     code, desc, detail, dropped, since
//	Error <other code> (desc)                       error     code, desc, detail
//	Process running mem=560M(109.3%)                warning   mem_mb, mem_pct
//	Stopping ... with SIGKILL                       warning   signal
//	Stopping all processes with SIGTERM             info      signal
//	Cycling, Restarting                             notice
//	Starting process with command `cmd` [by user u] info      command, user
//	Idling, Unidling, Scaled to ..., Release v42
//	created by user u, Deploy ..., anything else    info      user (when "by user u")
//	source=web.1 dyno=... sample#memory_total=21MB  info      logfmt keys, unit fields
//
// L10 and friends mean Logplex discarded lines meant for a drain (that is
// data loss for sluice), so they are errors; L11 and L15 only concern a
// `heroku logs --tail` session and are warnings. R15 means the dyno was
// killed for memory use, hence crit. A SIGTERM exit status (143) is what most
// processes report on every restart or deploy, so it is a notice, not an
// error.
//
// # Add-on lines
//
// Metrics (source=DATABASE addon=postgresql-... sample#db_size=14597903bytes
// ...) keep every logfmt key. A sample#/measure# value that is a number
// followed by a unit (14597903bytes, 4045992kB, 21.00MB, 348836pages) also
// adds a Number field named key_unit with the unit in lower case
// (sample#db_size_bytes=14597903, sample#memory-total_kb=4045992); those keys
// are built with one allocation per line. Severity info.
//
// Heroku Postgres log lines ([DATABASE] [14-1] sql_error_code = 28000 FATAL:
// no pg_hba.conf entry ...) add source (the attachment, DATABASE), pg_line
// (14-1), sql_error_code and pg_level, with the severity of the Postgres
// level:
//
//	DEBUG1..DEBUG5                                  debug
//	LOG, INFO, STATEMENT, DETAIL, HINT, CONTEXT,
//	QUERY, LOCATION (continuation lines)            info
//	NOTICE                                          notice
//	WARNING                                         warning
//	ERROR                                           error
//	FATAL (the session ends)                        crit
//	PANIC (the server restarts)                     emerg
//	no level found                                  info
package heroku

import (
	"strings"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse/logfmt"
)

// Enrich recognises Heroku's own lines (router, platform, Logplex and add-on
// lines, see the package documentation), appends their fields to e.Fields and
// sets e.Severity with e.SeveritySource = event.SeverityInferred. It returns
// false, leaving e unchanged, for lines that are not Heroku's, such as app
// lines.
func Enrich(e *event.Event) bool {
	if isAddonProc(e.Proc) && enrichAddon(e) {
		return true
	}
	if e.App != "heroku" {
		return false
	}
	if e.Proc == "router" {
		enrichRouter(e)
	} else {
		enrichPlatform(e)
	}
	return true
}

func setSeverity(e *event.Event, s event.Severity) {
	e.Severity = s
	e.SeveritySource = event.SeverityInferred
}

func enrichRouter(e *event.Event) {
	n0 := len(e.Fields)
	e.Fields, _ = logfmt.AppendFields(e.Fields, e.Message)
	sev := event.Info
	var connect, service string
	for _, f := range e.Fields[n0:] {
		switch f.Key {
		case "at":
			switch f.Value {
			case "error":
				sev = min(sev, event.Error)
			case "warning", "warn":
				sev = min(sev, event.Warning)
			}
		case "status":
			switch n := atoi(f.Value); {
			case n >= 500:
				sev = min(sev, event.Error)
			case n >= 400:
				sev = min(sev, event.Notice)
			}
		case "connect":
			connect = f.Value
		case "service":
			service = f.Value
		}
	}
	if v, ok := numberWithUnit(connect, "ms"); ok {
		e.AddNumber("connect_ms", v)
	}
	if v, ok := numberWithUnit(service, "ms"); ok {
		e.AddNumber("service_ms", v)
	}
	setSeverity(e, sev)
}

func enrichPlatform(e *event.Event) {
	m := strings.TrimRight(e.Message, " \t\r\n")
	sev := event.Info
	switch {
	case strings.HasPrefix(m, "State changed from "):
		from, to, ok := strings.Cut(m[len("State changed from "):], " to ")
		if ok {
			to, _, _ = strings.Cut(to, " ")
			e.AddString("state_from", from)
			e.AddString("state_to", to)
			if to == "crashed" {
				sev = event.Error
			}
		}
	case strings.HasPrefix(m, "Process exited with status "):
		st, _, _ := strings.Cut(m[len("Process exited with status "):], " ")
		if logfmt.IsNumber(st) {
			e.AddNumber("exit_status", st)
			switch st {
			case "0":
			case "143":
				sev = event.Notice
			default:
				sev = event.Error
			}
		}
	case strings.HasPrefix(m, "Error "):
		sev = errorCode(e, m[len("Error "):])
	case strings.HasPrefix(m, "Process running mem="):
		sev = event.Warning
		rest := m[len("Process running mem="):]
		if i := strings.IndexByte(rest, 'M'); i > 0 && logfmt.IsNumber(rest[:i]) {
			e.AddNumber("mem_mb", rest[:i])
			rest = rest[i+1:]
			if strings.HasPrefix(rest, "(") {
				if j := strings.Index(rest, "%)"); j > 1 && logfmt.IsNumber(rest[1:j]) {
					e.AddNumber("mem_pct", rest[1:j])
				}
			}
		}
	case strings.HasPrefix(m, "Starting process with command "):
		rest := m[len("Starting process with command "):]
		if strings.HasPrefix(rest, "`") {
			if j := strings.LastIndexByte(rest, '`'); j > 0 {
				e.AddString("command", rest[1:j])
			}
		}
		addUser(e, m)
	case strings.HasPrefix(m, "Stopping "):
		if i := strings.Index(m, " with SIG"); i >= 0 {
			sig, _, _ := strings.Cut(m[i+len(" with "):], " ")
			e.AddString("signal", sig)
			if sig == "SIGKILL" {
				sev = event.Warning
			}
		}
	case m == "Cycling" || m == "Restarting":
		sev = event.Notice
	case strings.HasPrefix(m, "source="):
		n0 := len(e.Fields)
		var ok bool
		if e.Fields, ok = logfmt.AppendFields(e.Fields, m); ok {
			addUnitFields(e, n0)
		}
	default:
		addUser(e, m)
	}
	setSeverity(e, sev)
}

// errorCode handles "Error R14 (Memory quota exceeded)", "Error R10 (Boot
// timeout) -> Web process failed to bind ..." and "Error L10 (output buffer
// overflow): 500 messages dropped since 2013-11-01T12:00:00+00:00.". s
// follows "Error ".
func errorCode(e *event.Event, s string) event.Severity {
	code, rest, _ := strings.Cut(s, " ")
	if !isCode(code) {
		return event.Error
	}
	e.AddString("code", code)
	if strings.HasPrefix(rest, "(") {
		if j := strings.IndexByte(rest, ')'); j > 0 {
			e.AddString("desc", rest[1:j])
			rest = rest[j+1:]
		}
	}
	var detail string
	switch {
	case strings.HasPrefix(rest, " -> "):
		detail = rest[len(" -> "):]
	case strings.HasPrefix(rest, ": "):
		detail = rest[len(": "):]
	}
	if detail != "" {
		e.AddString("detail", detail)
	}
	if code[0] == 'L' {
		if n, since, ok := dropped(detail); ok {
			e.AddNumber("dropped", n)
			if since != "" {
				e.AddString("since", since)
			}
		}
	}
	switch code {
	case "R15":
		return event.Crit
	case "L11", "L15":
		return event.Warning
	}
	return event.Error
}

// dropped finds "N messages dropped since T" or "dropped N messages since T"
// in a Logplex error's detail.
func dropped(s string) (n, since string, ok bool) {
	if i := strings.Index(s, " messages dropped"); i > 0 {
		j := strings.LastIndexByte(s[:i], ' ') + 1
		n, s = s[j:i], s[i+len(" messages dropped"):]
	} else if i := strings.Index(s, "dropped "); i >= 0 {
		var rest string
		n, rest, _ = strings.Cut(s[i+len("dropped "):], " ")
		if !strings.HasPrefix(rest, "messages") {
			return "", "", false
		}
		s = rest
	}
	if !logfmt.IsNumber(n) {
		return "", "", false
	}
	if i := strings.Index(s, "since "); i >= 0 {
		since = strings.TrimRight(s[i+len("since "):], ". \t")
		since, _, _ = strings.Cut(since, " ")
	}
	return n, since, true
}

// addUser adds the user of "... by user someone@example.com".
func addUser(e *event.Event, m string) {
	if i := strings.LastIndex(m, " by user "); i >= 0 {
		u, _, _ := strings.Cut(m[i+len(" by user "):], " ")
		if u != "" {
			e.AddString("user", u)
		}
	}
}

func isAddonProc(p string) bool {
	return strings.HasPrefix(p, "heroku-") || p == "postgres" || strings.HasPrefix(p, "postgres.")
}

func enrichAddon(e *event.Event) bool {
	if strings.HasPrefix(e.Message, "[") {
		return postgresLog(e)
	}
	n0 := len(e.Fields)
	fields, ok := logfmt.AppendFields(e.Fields, e.Message)
	if !ok || !hasMetricKey(fields[n0:]) {
		e.Fields = fields[:n0]
		return false
	}
	e.Fields = fields
	addUnitFields(e, n0)
	setSeverity(e, event.Info)
	return true
}

func hasMetricKey(fs []event.Field) bool {
	for _, f := range fs {
		if f.Key == "source" || isMetricKey(f.Key) || strings.HasPrefix(f.Key, "count#") {
			return true
		}
	}
	return false
}

func isMetricKey(k string) bool {
	return strings.HasPrefix(k, "sample#") || strings.HasPrefix(k, "measure#")
}

// addUnitFields adds key_unit Number fields for the sample#/measure# fields
// from e.Fields[n0:] whose values carry a unit (14597903bytes). All new keys
// share one allocation.
func addUnitFields(e *event.Event, n0 int) {
	end := len(e.Fields)
	size := 0
	for _, f := range e.Fields[n0:end] {
		if _, unit, ok := splitUnit(f); ok {
			size += len(f.Key) + 1 + len(unit)
		}
	}
	if size == 0 {
		return
	}
	var b strings.Builder
	b.Grow(size)
	for _, f := range e.Fields[n0:end] {
		if _, unit, ok := splitUnit(f); ok {
			b.WriteString(f.Key)
			b.WriteByte('_')
			for i := 0; i < len(unit); i++ {
				c := unit[i]
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				b.WriteByte(c)
			}
		}
	}
	keys := b.String()
	for i := n0; i < end; i++ {
		f := e.Fields[i]
		if num, unit, ok := splitUnit(f); ok {
			n := len(f.Key) + 1 + len(unit)
			e.AddNumber(keys[:n], num)
			keys = keys[n:]
		}
	}
}

// splitUnit splits the value of a sample#/measure# String field such as
// "14597903bytes" into its number and its unit (1 to 8 ASCII letters).
func splitUnit(f event.Field) (num, unit string, ok bool) {
	if f.Type != event.String || !isMetricKey(f.Key) {
		return "", "", false
	}
	v := f.Value
	i := len(v)
	for i > 0 && isLetter(v[i-1]) {
		i--
	}
	if i == len(v) || len(v)-i > 8 || !logfmt.IsNumber(v[:i]) {
		return "", "", false
	}
	return v[:i], v[i:], true
}

// postgresLog handles "[DATABASE] [14-1] sql_error_code = 00000 LOG:  ...".
func postgresLog(e *event.Event) bool {
	m := e.Message
	j := strings.IndexByte(m, ']')
	if j < 2 {
		return false
	}
	source := m[1:j]
	rest := strings.TrimLeft(m[j+1:], " ")
	if !strings.HasPrefix(rest, "[") {
		return false
	}
	j = strings.IndexByte(rest, ']')
	if j < 2 {
		return false
	}
	line := rest[1:j]
	rest = strings.TrimLeft(rest[j+1:], " ")
	var code string
	if v, ok := strings.CutPrefix(rest, "sql_error_code = "); ok {
		code, rest, _ = strings.Cut(v, " ")
	}
	var level string
	sev := event.Info
	for rest != "" {
		var tok string
		tok, rest, _ = strings.Cut(strings.TrimLeft(rest, " \t"), " ")
		if l, ok := strings.CutSuffix(tok, ":"); ok {
			if s, ok := pgSeverity(l); ok {
				level, sev = l, s
				break
			}
		}
	}
	e.AddString("source", source)
	e.AddString("pg_line", line)
	if code != "" {
		e.AddString("sql_error_code", code)
	}
	if level != "" {
		e.AddString("pg_level", level)
	}
	setSeverity(e, sev)
	return true
}

func pgSeverity(level string) (event.Severity, bool) {
	switch level {
	case "LOG", "INFO", "STATEMENT", "DETAIL", "HINT", "CONTEXT", "QUERY", "LOCATION":
		return event.Info, true
	case "NOTICE":
		return event.Notice, true
	case "WARNING":
		return event.Warning, true
	case "ERROR":
		return event.Error, true
	case "FATAL":
		return event.Crit, true
	case "PANIC":
		return event.Emerg, true
	case "DEBUG", "DEBUG1", "DEBUG2", "DEBUG3", "DEBUG4", "DEBUG5":
		return event.Debug, true
	}
	return 0, false
}

// isCode reports whether s looks like a Heroku error code: an upper-case
// letter and two or three digits (H12, R14, L10).
func isCode(s string) bool {
	if len(s) < 3 || len(s) > 4 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// numberWithUnit returns the number of "18ms" when the unit is unit.
func numberWithUnit(s, unit string) (string, bool) {
	n, ok := strings.CutSuffix(s, unit)
	return n, ok && logfmt.IsNumber(n)
}

// atoi reads a small non-negative decimal integer; -1 when s is not one.
func atoi(s string) int {
	if s == "" || len(s) > 9 {
		return -1
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
