package severity

import "github.com/sluicelog/sluice/internal/event"

// Word classes: where a level word counts.
const (
	wordNone   uint8 = iota
	wordMarker       // in values, and as a text marker (see the case rules)
	wordUpper        // in values, and as a text marker only in upper case (INF, WRN, ERRO)
	wordValue        // only as a JSON or logfmt value (http, silly, fine)
)

// word looks a level word up, ASCII case-insensitively, without allocating.
func word(w string) (event.Severity, uint8) {
	if len(w) < 3 || len(w) > 13 {
		return 0, wordNone
	}
	var buf [13]byte
	for i := 0; i < len(w); i++ {
		c := w[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	switch string(buf[:len(w)]) {
	case "emerg", "emergency":
		return event.Emerg, wordMarker
	case "alert":
		return event.Alert, wordMarker
	case "crit", "critical", "fatal", "panic":
		return event.Crit, wordMarker
	case "ftl", "fata", "pnc", "pani":
		return event.Crit, wordUpper
	case "dpanic":
		return event.Crit, wordValue
	case "err", "error", "severe":
		return event.Error, wordMarker
	case "erro":
		return event.Error, wordUpper
	case "eror":
		return event.Error, wordValue
	case "warn", "warning":
		return event.Warning, wordMarker
	case "wrn":
		return event.Warning, wordUpper
	case "notice":
		return event.Notice, wordMarker
	case "info", "information", "informational":
		return event.Info, wordMarker
	case "inf":
		return event.Info, wordUpper
	case "http":
		return event.Info, wordValue
	case "debug", "trace":
		return event.Debug, wordMarker
	case "dbg", "debu", "trc", "trac", "vrb":
		return event.Debug, wordUpper
	case "verbose", "silly", "fine", "finer", "finest":
		return event.Debug, wordValue
	}
	return 0, wordNone
}

// valueLevel reads a level written as a JSON string or logfmt value: any
// level word, in any case, or a log/slog name with an offset ("ERROR+2").
func valueLevel(v string) (event.Severity, bool) {
	n := 0
	for n < len(v) && isLetter(v[n]) {
		n++
	}
	sev, class := word(v[:n])
	if class == wordNone {
		return 0, false
	}
	if n == len(v) {
		return sev, true
	}
	return slogLevel(v[:n], v[n:])
}

// slogLevel reads log/slog's "BASE+N" / "BASE-N" level names: the level is
// DEBUG=-4, INFO=0, WARN=4, ERROR=8 plus the offset.
func slogLevel(base, off string) (event.Severity, bool) {
	var lvl int
	switch base {
	case "DEBUG":
		lvl = -4
	case "INFO":
		lvl = 0
	case "WARN":
		lvl = 4
	case "ERROR":
		lvl = 8
	default:
		return 0, false
	}
	if len(off) < 2 || len(off) > 4 || off[0] != '+' && off[0] != '-' {
		return 0, false
	}
	d := 0
	for i := 1; i < len(off); i++ {
		if !isDigit(off[i]) {
			return 0, false
		}
		d = d*10 + int(off[i]-'0')
	}
	if off[0] == '-' {
		d = -d
	}
	switch lvl += d; {
	case lvl < 0:
		return event.Debug, true
	case lvl == 0:
		return event.Info, true
	case lvl < 4:
		return event.Notice, true
	case lvl < 8:
		return event.Warning, true
	case lvl < 12:
		return event.Error, true
	}
	return event.Crit, true
}

// numberLevel reads a JSON number level as pino and bunyan write it, 10 to
// 99. Smaller numbers are ambiguous (syslog, npm and Python levels disagree)
// and are not read.
func numberLevel(v string) (event.Severity, bool) {
	if len(v) > 2 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(v); i++ {
		if !isDigit(v[i]) {
			return 0, false
		}
		n = n*10 + int(v[i]-'0')
	}
	switch {
	case n < 10:
		return 0, false
	case n < 30:
		return event.Debug, true
	case n < 40:
		return event.Info, true
	case n < 50:
		return event.Warning, true
	case n < 60:
		return event.Error, true
	}
	return event.Crit, true
}

// levelKey reports whether k (a JSON key as written, or a logfmt key) names
// a level, ASCII case-insensitively. It reports "log" (the ECS parent object)
// separately.
func levelKey(k string) (level, log bool) {
	if len(k) < 2 || len(k) > 9 {
		return false, false
	}
	var buf [9]byte
	for i := 0; i < len(k); i++ {
		c := k[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	switch string(buf[:len(k)]) {
	case "level", "severity", "lvl", "levelname", "loglevel", "log_level", "log.level", "@l":
		return true, false
	case "log":
		return false, true
	}
	return false, false
}

// headerWord reports whether w, a run of letters, may come before a level
// marker: month and weekday names, time zones, AM/PM, and the npm and PHP
// prefixes ("npm ERR!", "PHP Warning:").
func headerWord(w string) bool {
	switch w {
	case "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
		"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
		"UTC", "GMT", "Z", "AM", "PM", "npm", "PHP":
		return true
	}
	return false
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isUpper(w string) bool {
	for i := 0; i < len(w); i++ {
		if 'a' <= w[i] && w[i] <= 'z' {
			return false
		}
	}
	return true
}
