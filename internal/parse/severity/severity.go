// Package severity recovers a log line's real level from its text.
//
// Heroku delivers every line an app writes with syslog severity 6 (info, PRI
// 190), whatever the app meant; many other transports carry no severity at
// all. Infer reads the level the app's logger wrote into the line, and Apply
// puts it on an event according to a Mode.
//
// # Rules
//
// Infer tries these in order and stops at the first that gives a level. Only
// structural and positional markers count: a level word in the middle of
// prose ("0 errors found", "retrying after error") never does.
//
//	| # | shape                              | example                                        | severity         | source   |
//	|---|------------------------------------|------------------------------------------------|------------------|----------|
//	| 1 | JSON object (first non-blank '{'): | {"level":50,"msg":"boom"}                      | value (below)    | field    |
//	|   | the first top-level key, any case, | {"level":"warning"}  {"severity":"ERROR"}      |                  |          |
//	|   | among level severity lvl levelname | {"levelname":"CRITICAL"}  {"@l":"Warning"}     |                  |          |
//	|   | loglevel log_level log.level @l    | {"log.level":"error"}                          |                  |          |
//	|   | whose value is a level; or ECS     | {"log":{"level":"error"}}                      |                  |          |
//	|   | "log":{"level":..}. Other nested   | {"a":{"level":"error"}} -> none                |                  |          |
//	|   | keys and string contents never     | {"message":"level: error"} -> none             |                  |          |
//	|   | count; a JSON line stops here.     |                                                |                  |          |
//	| 2 | Ruby Logger: "<L>, [" at the start | E, [2024-05-01T12:00:00.123456 #12] ERROR -- : | D debug, I info, | inferred |
//	|   |                                    |                                                | W warning,       |          |
//	|   |                                    |                                                | E error, F crit, |          |
//	|   |                                    |                                                | A (ANY) none     |          |
//	| 3 | a level word in the header (below) | ERROR [main] x   WARNING:root:msg   [error] x  | the word         | inferred |
//	|   |                                    | 2024-05-01 12:00:00,123 ERROR x                |                  |          |
//	|   |                                    | 12:00:00.123 [main] ERROR com.x.Y - msg        |                  |          |
//	|   |                                    | panic: runtime error: index out of range       | crit             |          |
//	| 4 | a level key=value in the header:   | time="..." level=error msg="x"                 | value (below)    | field    |
//	|   | keys as in 1 (not @l) and at       | at=error code=H12 (Heroku router)              |                  |          |
//	| 5 | a phrase where the header ends:    |                                                |                  | inferred |
//	|   | Traceback (most recent call last): | (Python)                                       | error            |          |
//	|   | fatal error: (any case)            | fatal error: all goroutines are asleep (Go),   | crit             |          |
//	|   |                                    | PHP Fatal error:  Uncaught Exception           |                  |          |
//	|   | Parse error: (after PHP)           | PHP Parse error:  syntax error                 | error            |          |
//	|   | Completed 5xx (Rails)              | Completed 500 Internal Server Error in 12ms    | error            |          |
//	|   | Exception in thread (Java)         | Exception in thread "main" java.lang.Error     | error            |          |
//	|   | Caused by: <exception>             | Caused by: java.io.IOException: x              | error            |          |
//	|   | Task timed out after (Lambda)      | Task timed out after 3.00 seconds              | error            |          |
//	|   | Error [HRL]nn (Heroku)             | Error R14 (Memory quota exceeded)              | error            |          |
//	|   | <Name>Error / <Name>Exception      | TypeError: x   java.lang.NullPointerException  | error            |          |
//	|   | followed by ':', " (" or the end   | RuntimeError (boom):   KeyError: 'id'          |                  |          |
//	|   | A::B ( (Ruby exception, Rails)     | ActionController::RoutingError (No route ...): | error            |          |
//	|   | <Name>Warning:                     | (node:12) UnhandledPromiseRejectionWarning: x  | warning          |          |
//	|   |                                    | (node:12) [DEP0005] DeprecationWarning: x      |                  |          |
//	| 6 | logfmt level key=value anywhere:   | Processing job id=42 level=debug               | value (below)    | field    |
//	|   | keys as in 4, preceded by a blank  | severity="ERROR" (quoted or bare value)        |                  |          |
//	|   | or the start of the line, not      | path=/x?level=error -> none                    |                  |          |
//	|   | inside a quoted value              | msg="alert level=error reached" -> none        |                  |          |
//
// The header is the start of the line, up to 96 bytes, made only of: blanks;
// tokens starting with a digit or a sign and a digit (timestamps, times,
// pids: 2024-05-01T12:00:00.123Z, 12:00:00,123, +0000, 12#12:); month and
// weekday names, UTC, GMT, Z, AM, PM, npm, PHP; punctuation runs (-, ---, |,
// :); UUIDs (Lambda request ids); key=value tokens (value quoted or bare);
// and bracketed groups [..], (..), <..> (at most 64 bytes). Rules 3 and 4
// are applied token by token, so the first one met wins. Rule 3 looks at the
// level words of the header:
//
//   - an upper-case word (ERROR) counts when followed by a blank, ':', ']',
//     '[', '|', ',', '/', '!', ';' or the end of the line;
//   - any other case (Error, error) counts only when followed by ':' (not
//     "::"), a tab, or blanks and "- " (Next.js "info  - ready"), so that
//     "error count: 0" does not; but the words above error (emerg,
//     emergency, alert, crit, critical, fatal, panic) do not count before
//     ':' unless upper case ("Alert: new follower", "fatal: not a git
//     repository" are no levels; "ALERT:", "FATAL:" are), except the Go
//     runtime's exact "panic: ";
//   - after one other token and " - ", an upper-case word followed by " - "
//     (Python's "%(asctime)s - %(name)s - %(levelname)s - %(message)s");
//   - inside [..]: the whole group, any case ([error], [Warning], [ ERROR ]),
//     an upper-case word delimited by blanks, ':' or '/' ([12:00:00 ERR],
//     [2024-05-01 12:00:00,123: ERROR/MainProcess], [2024-05-01T12:00:00Z
//     WARN app]) or any case after ':' ([core:error], Apache);
//   - inside (..) and <..>: the whole group, any case ((error), <ERROR>).
//
// Level words and values (case-insensitive; the upper-case-only
// abbreviations are zerolog's, logrus's and Serilog's console forms):
//
//	| severity    | text markers (rule 3)                 | also as values (rules 1, 4, 6)       |
//	|-------------|---------------------------------------|--------------------------------------|
//	| emerg   (0) | emerg emergency                       |                                      |
//	| alert   (1) | alert                                 |                                      |
//	| crit    (2) | crit critical fatal panic; FTL FATA   | dpanic (zap)                         |
//	|             | PNC PANI                              |                                      |
//	| error   (3) | err error severe; ERRO                | eror                                 |
//	| warning (4) | warn warning; WRN                     |                                      |
//	| notice  (5) | notice                                |                                      |
//	| info    (6) | info information informational; INF   | http (winston)                       |
//	| debug   (7) | debug trace; DBG DEBU TRC TRAC VRB    | verbose silly fine finer finest      |
//
// Values also read log/slog offsets, "BASE+N"/"BASE-N" with DEBUG=-4, INFO=0,
// WARN=4, ERROR=8: below 0 debug, 0 info, 1-3 notice, 4-7 warning, 8-11
// error, 12 and above crit ("ERROR+4" is the usual slog "fatal"). JSON
// numbers are pino/bunyan levels: 10-29 debug (10 trace, 20 debug), 30-39
// info, 40-49 warning, 50-59 error, 60-99 crit (60 fatal); other numbers are
// not levels.
//
// Decisions: a panic (Go "panic: ", logger level panic/dpanic) and a fatal
// error are crit, not emerg: they end one process, not the system (logrus's
// syslog hook maps both to LOG_CRIT). Ruby's UNKNOWN (written "A, [" ...
// ANY) says nothing about severity and gives no level. JSON keys are compared
// as written, so an escaped key ("lev\u0065l") or a string value with
// escapes is not read.
package severity

import (
	"strings"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse/jsonbody"
)

const (
	headerBytes  = 96 // a header token must start within the first headerBytes
	bracketBytes = 64 // longest bracketed group in a header
)

// Infer recovers a level from the text of a log line. It returns the
// severity, where it came from (event.SeverityField for a JSON or logfmt
// level key, event.SeverityInferred for a textual marker), and whether the
// line has a level at all. See the package documentation for the rules. It
// does not allocate.
func Infer(msg string) (event.Severity, event.SeveritySource, bool) {
	i := 0
	for i < len(msg) && (msg[i] == ' ' || msg[i] == '\t') {
		i++
	}
	if i < len(msg) && msg[i] == '{' {
		if sev, ok := inferJSON(msg[i:]); ok {
			return sev, event.SeverityField, true
		}
		return 0, 0, false
	}
	if sev, src, ok := inferText(msg); ok {
		return sev, src, true
	}
	if sev, ok := inferLogfmt(msg); ok {
		return sev, event.SeverityField, true
	}
	return 0, 0, false
}

// inferJSON reads the first level key at the top level of a JSON object.
func inferJSON(s string) (event.Severity, bool) {
	it := jsonbody.NewIter(s)
	for it.Next() {
		level, log := levelKey(it.RawKey())
		v := it.Value()
		switch {
		case level:
			if sev, ok := jsonLevel(v); ok {
				return sev, true
			}
		case log && v[0] == '{':
			if raw, ok := jsonbody.Lookup(v, "level"); ok {
				if sev, ok := jsonLevel(raw); ok {
					return sev, true
				}
			}
		}
	}
	return 0, false
}

// jsonLevel reads a raw JSON value as a level: a string without escapes or
// a number.
func jsonLevel(raw string) (event.Severity, bool) {
	if raw[0] == '"' {
		v := raw[1 : len(raw)-1]
		if strings.IndexByte(v, '\\') >= 0 {
			return 0, false
		}
		return valueLevel(v)
	}
	return numberLevel(raw)
}

// inferLogfmt finds a level key=value anywhere in the line. Quoted values
// (key="...") are skipped whole: a key=value inside one is text.
func inferLogfmt(s string) (event.Severity, bool) {
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '=')
		if j < 0 {
			break
		}
		eq := i + j
		k := eq
		for k > 0 && eq-k <= 9 && isKeyByte(s[k-1]) {
			k--
		}
		if k == 0 || s[k-1] == ' ' || s[k-1] == '\t' {
			if sev, _, ok := kvLevel(s, k, eq); ok {
				return sev, true
			}
		}
		i = eq + 1
		if i < len(s) && s[i] == '"' {
			i = closingQuote(s, i+1) + 1
		}
	}
	return 0, false
}

// closingQuote returns the index of the '"' that ends a quoted value whose
// text starts at s[q] (backslash escapes skipped), or len(s) if there is
// none.
func closingQuote(s string, q int) int {
	for q < len(s) && s[q] != '"' {
		if s[q] == '\\' {
			q++
		}
		q++
	}
	return min(q, len(s))
}

func isKeyByte(c byte) bool {
	return isLetter(c) || isDigit(c) || c == '_' || c == '.' || c == '-' || c == '@'
}

// kvLevel reads the logfmt pair whose key is s[k:eq]: it returns the level
// if the key is a level key and the value a level, and the index after the
// value.
func kvLevel(s string, k, eq int) (event.Severity, int, bool) {
	var v string
	end := eq + 1
	if end < len(s) && s[end] == '"' {
		q := closingQuote(s, end+1)
		if q == len(s) {
			return 0, len(s), false
		}
		v, end = s[end+1:q], q+1
	} else {
		for end < len(s) && s[end] != ' ' && s[end] != '\t' {
			end++
		}
		v = s[eq+1 : end]
	}
	key := s[k:eq]
	level, _ := levelKey(key)
	if !level && key != "at" || key == "@l" {
		return 0, end, false
	}
	sev, ok := valueLevel(v)
	return sev, end, ok
}

// inferText applies the Ruby Logger, header and phrase rules, and the
// logfmt rule to key=value tokens in the header.
func inferText(s string) (event.Severity, event.SeveritySource, bool) {
	if len(s) >= 4 && s[1] == ',' && s[2] == ' ' && s[3] == '[' {
		switch s[0] {
		case 'D':
			return event.Debug, event.SeverityInferred, true
		case 'I':
			return event.Info, event.SeverityInferred, true
		case 'W':
			return event.Warning, event.SeverityInferred, true
		case 'E':
			return event.Error, event.SeverityInferred, true
		case 'F':
			return event.Crit, event.SeverityInferred, true
		}
	}
	php := false
	for i := 0; i < len(s) && i < headerBytes; {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '[' || c == '(' || c == '<':
			closer := byte(']')
			if c == '(' {
				closer = ')'
			} else if c == '<' {
				closer = '>'
			}
			end := min(len(s), i+1+bracketBytes)
			j := strings.IndexByte(s[i+1:end], closer)
			if j < 0 {
				return 0, 0, false
			}
			group := s[i+1 : i+1+j]
			if sev, ok := groupLevel(group, c == '['); ok {
				return sev, event.SeverityInferred, true
			}
			i += j + 2
		case isDigit(c) || (c == '+' || c == '-') && i+1 < len(s) && isDigit(s[i+1]):
			for i < len(s) && s[i] != ' ' && s[i] != '\t' && s[i] != '[' {
				i++
			}
		case isLetter(c):
			j := i + 1
			for j < len(s) && isLetter(s[j]) {
				j++
			}
			k := j
			for k < len(s) && isKeyByte(s[k]) {
				k++
			}
			if k < len(s) && s[k] == '=' {
				sev, end, ok := kvLevel(s, i, k)
				if ok {
					return sev, event.SeverityField, true
				}
				i = end
				continue
			}
			w := s[i:j]
			if sev, class := word(w); class == wordMarker || class == wordUpper {
				if markerAt(s, j, w, sev, class) {
					return sev, event.SeverityInferred, true
				}
			} else if k == j && headerWord(w) && (j == len(s) || s[j] == ' ' || s[j] == '\t' || s[j] == ',') {
				php = php || w == "PHP"
				i = j
				continue
			}
			if isUUID(s[i:]) {
				i += 36
				continue
			}
			if sev, ok := pythonLevel(s, i); ok {
				return sev, event.SeverityInferred, true
			}
			if sev, ok := phraseLevel(s[i:], php); ok {
				return sev, event.SeverityInferred, true
			}
			return 0, 0, false
		case c == '-' || c == '|' || c == ':' || c == '*' || c == '#' || c == '.' || c == '~' || c == '=':
			for i < len(s) && s[i] != ' ' && s[i] != '\t' {
				if isLetter(s[i]) || isDigit(s[i]) {
					return 0, 0, false
				}
				i++
			}
		default:
			return 0, 0, false
		}
	}
	return 0, 0, false
}

// markerAt reports whether w, a level word of severity sev and the given
// class ending at s[j], is followed as rule 3 requires.
func markerAt(s string, j int, w string, sev event.Severity, class uint8) bool {
	upper := isUpper(w)
	if !upper && class != wordMarker {
		return false
	}
	if j == len(s) {
		return upper
	}
	d := s[j]
	if d == ':' {
		if !upper && sev <= event.Crit {
			// "Alert: new follower", "Panic: the musical", "fatal: not a
			// git repository": prose or a CLI, not a logger. Only the Go
			// runtime's exact "panic: " counts.
			return w == "panic" && j+1 < len(s) && s[j+1] == ' '
		}
		return j+1 == len(s) || s[j+1] != ':'
	}
	if upper {
		switch d {
		case ' ', '\t', ']', '[', '|', ',', '/', '!', ';':
			return true
		}
		return false
	}
	if d == '\t' {
		return true
	}
	if d != ' ' {
		return false
	}
	for j < len(s) && s[j] == ' ' {
		j++
	}
	return j+1 < len(s) && s[j] == '-' && s[j+1] == ' '
}

// groupLevel reads the level in a bracketed group of the header, as rule 3
// says.
func groupLevel(g string, square bool) (event.Severity, bool) {
	t := strings.Trim(g, " ")
	if sev, class := word(t); class == wordMarker || class == wordUpper && isUpper(t) {
		return sev, true
	}
	if !square {
		return 0, false
	}
	for k := 0; k < len(g); {
		if !isLetter(g[k]) {
			k++
			continue
		}
		e := k + 1
		for e < len(g) && isLetter(g[e]) {
			e++
		}
		prev, next := byte(' '), byte(' ')
		if k > 0 {
			prev = g[k-1]
		}
		if e < len(g) {
			next = g[e]
		}
		if (prev == ' ' || prev == ':') && (next == ' ' || next == ':' || next == '/') {
			w := g[k:e]
			sev, class := word(w)
			if (class == wordMarker || class == wordUpper) && isUpper(w) || class == wordMarker && prev == ':' {
				return sev, true
			}
		}
		k = e
	}
	return 0, false
}

// pythonLevel reads the level of Python's logging cookbook format
// "%(asctime)s - %(name)s - %(levelname)s - %(message)s" at the name token
// that starts at s[i]: "app.db - ERROR - msg".
func pythonLevel(s string, i int) (event.Severity, bool) {
	j := i
	for j < len(s) && s[j] != ' ' && s[j] != '\t' {
		j++
	}
	if !strings.HasPrefix(s[j:], " - ") {
		return 0, false
	}
	j += 3
	k := j
	for k < len(s) && isLetter(s[k]) {
		k++
	}
	w := s[j:k]
	if sev, class := word(w); class == wordMarker && isUpper(w) && strings.HasPrefix(s[k:], " - ") {
		return sev, true
	}
	return 0, false
}

// isUUID reports whether s starts with a UUID (8-4-4-4-12 hex digits)
// followed by a blank or the end.
func isUUID(s string) bool {
	if len(s) < 36 || len(s) > 36 && s[36] != ' ' && s[36] != '\t' {
		return false
	}
	for i := 0; i < 36; i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if c := s[i]; !isDigit(c) && !('a' <= c && c <= 'f') && !('A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// phraseLevel applies rule 5 to s, which starts where the header ends.
func phraseLevel(s string, php bool) (event.Severity, bool) {
	switch s[0] {
	case 'T':
		if strings.HasPrefix(s, "Traceback (most recent call last):") || strings.HasPrefix(s, "Task timed out after ") {
			return event.Error, true
		}
	case 'f', 'F':
		if len(s) >= 12 && strings.EqualFold(s[:12], "fatal error:") {
			return event.Crit, true
		}
	case 'C':
		if len(s) >= 14 && strings.HasPrefix(s, "Completed 5") && isDigit(s[11]) && isDigit(s[12]) && s[13] == ' ' {
			return event.Error, true
		}
		if rest, ok := strings.CutPrefix(s, "Caused by: "); ok && len(rest) > 0 {
			if sev, ok := exceptionLevel(rest); ok && sev == event.Error {
				return sev, true
			}
			return 0, false
		}
	case 'E':
		if strings.HasPrefix(s, "Exception in thread ") {
			return event.Error, true
		}
		if len(s) >= 9 && strings.HasPrefix(s, "Error ") && (s[6] == 'H' || s[6] == 'R' || s[6] == 'L') &&
			isDigit(s[7]) && isDigit(s[8]) && (len(s) == 9 || s[9] == ' ') {
			return event.Error, true
		}
	case 'P':
		if php && strings.HasPrefix(s, "Parse error:") {
			return event.Error, true
		}
	}
	return exceptionLevel(s)
}

// exceptionLevel recognises an exception or warning class name at the start
// of s: Java and Python dotted names, Ruby A::B paths, JavaScript errors.
func exceptionLevel(s string) (event.Severity, bool) {
	i, last, ruby := 0, 0, false
scan:
	for i < len(s) {
		c := s[i]
		switch {
		case isLetter(c) || isDigit(c) || c == '_' || c == '$':
			i++
		case c == '.' && i+1 < len(s) && isLetter(s[i+1]):
			i++
			last = i
		case c == ':' && i+2 < len(s) && s[i+1] == ':' && isLetter(s[i+2]):
			i += 2
			last, ruby = i, true
		default:
			break scan
		}
	}
	name := s[last:i]
	if name == "" || name[0] < 'A' || name[0] > 'Z' {
		return 0, false
	}
	rest := s[i:]
	colon := len(rest) > 0 && rest[0] == ':' && (len(rest) == 1 || rest[1] != ':')
	paren := strings.HasPrefix(rest, " (")
	switch {
	case strings.HasSuffix(name, "Error") || strings.HasSuffix(name, "Exception"):
		if colon || paren || rest == "" {
			return event.Error, true
		}
	case strings.HasSuffix(name, "Warning"):
		if colon {
			return event.Warning, true
		}
	case ruby && paren:
		return event.Error, true
	}
	return 0, false
}
