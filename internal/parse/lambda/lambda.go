// Package lambda recognises the lines AWS Lambda writes to a function's log
// group — platform lines (START, END, REPORT, INIT_START, ...), runtime
// log formats (Node.js, Python) and the JSON log format — adds their data as
// fields and sets the severity.
//
// # Text platform lines
//
// Severity source event.SeverityInferred; Message stays the original line.
//
//	line                                              severity  fields
//	START RequestId: id Version: $LATEST              debug     request_id, version
//	END RequestId: id                                 debug     request_id
//	REPORT RequestId: id Duration: 102.25 ms ...      info      request_id, duration_ms,
//	                                                            billed_duration_ms, memory_size_mb,
//	                                                            max_memory_used_mb, init_duration_ms,
//	                                                            restore_duration_ms,
//	                                                            billed_restore_duration_ms, status,
//	                                                            error_type, xray_trace_id,
//	                                                            xray_segment_id, xray_sampled
//	REPORT ... Status: timeout (any non-success)      error     (as above)
//	INIT_START / RESTORE_START Runtime Version: ...   info      runtime_version, runtime_version_arn
//	INIT_REPORT / RESTORE_REPORT ... Status: x        info      init_duration_ms / restore_duration_ms,
//	                                                            phase, status
//	                 (error when Status is not success)
//	EXTENSION / LOGS / TELEMETRY Name: x State: y     info      extension_name, extension_state,
//	                                                            events / types (text, e.g. "[INVOKE]")
//	<time> <id> Task timed out after 3.00 seconds     error     request_id, timeout_s (sets Time)
//	RequestId: id Error: Runtime exited with ...      error     request_id, error, error_type
//	LAMBDA_WARNING: ...                               warning
//
// START and END are debug because they carry nothing REPORT does not; a
// severity filter of info keeps one line per invocation. Fields appear in the
// order of the line; labels sluice does not know are skipped. Durations and
// sizes are event.Number (the unit is in the key), xray_sampled is
// event.Bool.
//
// # Runtime formats
//
// These are the function's own lines. Time and request_id come from the
// line, Severity from its level with source event.SeverityField, and Message
// becomes the application's message only (the part after the level, without
// trailing line breaks), so that it reads the same as from any other source:
//
//	2024-05-01T12:00:00.123Z<TAB>id<TAB>ERROR<TAB>msg  Node.js (levels TRACE DEBUG INFO WARN
//	                                                    ERROR FATAL); an "Invoke Error" or other
//	                                                    ERROR message ending in a JSON object adds
//	                                                    error_type and error_message
//	2024-05-01T12:00:00.123Z<TAB>id<TAB>msg            older Node.js without level (severity
//	                                                    untouched; id may be "undefined")
//	[ERROR]<TAB>2024-05-01T12:00:00.123Z<TAB>id<TAB>msg  Python (DEBUG INFO WARNING ERROR CRITICAL;
//	                                                    id may be empty during init)
//	[ERROR] Runtime.ImportModuleError: msg            Python uncaught error; error_type is the
//	                                                    leading exception name (error and above)
//
// Levels map as event.ParseSeverity does: TRACE and DEBUG debug, INFO info,
// WARN and WARNING warning, ERROR error, FATAL and CRITICAL crit.
//
// # JSON log format
//
// Application records ({"timestamp":..., "level":..., "message":...,
// "requestId":...}, recognised by having both timestamp and level or
// log_level) set Time, Severity (source field) and Message (the message
// string, or the raw JSON of a non-string message, or errorMessage when there
// is no message). Their other keys become fields in order, with requestId,
// errorType, errorMessage and stackTrace renamed request_id, error_type,
// error_message and stack_trace; objects, arrays and null are event.JSON;
// keys that are empty strings are skipped.
//
// Platform records ({"time":..., "type":"platform.report", "record":{...}})
// set Time, keep Message as the original line, and add the fields of the
// matching text line (status is always added when the record has one,
// init_type for initializationType). Severity source inferred:
//
//	platform.start, platform.runtimeDone,
//	platform.initRuntimeDone, platform.restoreRuntimeDone   debug
//	platform.report, platform.initStart, platform.initReport,
//	platform.restoreStart, platform.restoreReport,
//	platform.extension, platform.telemetrySubscription,
//	other platform.* types                                  info
//	any of the above with a status other than success       error
//	platform.logsDropped (reason, dropped_records,
//	dropped_bytes)                                          error
//
// JSON records are decoded with encoding/json and allocate; the text forms
// do not allocate.
package lambda

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse/logfmt"
)

// Enrich recognises a message from a Lambda log group (see the package
// documentation), appends its fields to e.Fields and sets e.Severity,
// e.SeveritySource and, where the line says, e.Time and e.Message. It
// returns false, leaving e unchanged, when the message is none of Lambda's
// formats.
func Enrich(e *event.Event) bool {
	m := e.Message
	if len(m) < 4 {
		return false
	}
	switch m[0] {
	case 'S':
		if rest, ok := strings.CutPrefix(m, "START "); ok {
			labels(e, rest)
			setSeverity(e, event.Debug)
			return true
		}
	case 'E':
		if rest, ok := strings.CutPrefix(m, "END "); ok {
			labels(e, rest)
			setSeverity(e, event.Debug)
			return true
		}
		return extension(e, m, "EXTENSION")
	case 'R':
		if rest, ok := strings.CutPrefix(m, "REPORT "); ok {
			setSeverity(e, statusSeverity(labels(e, rest), event.Info))
			return true
		}
		if rest, ok := strings.CutPrefix(m, "RESTORE_START "); ok {
			labels(e, rest)
			setSeverity(e, event.Info)
			return true
		}
		if rest, ok := strings.CutPrefix(m, "RESTORE_REPORT "); ok {
			setSeverity(e, statusSeverity(labels(e, rest), event.Info))
			return true
		}
		if rest, ok := strings.CutPrefix(m, "RequestId: "); ok {
			return runtimeError(e, rest)
		}
	case 'I':
		if rest, ok := strings.CutPrefix(m, "INIT_START "); ok {
			labels(e, rest)
			setSeverity(e, event.Info)
			return true
		}
		if rest, ok := strings.CutPrefix(m, "INIT_REPORT "); ok {
			setSeverity(e, statusSeverity(labels(e, rest), event.Info))
			return true
		}
	case 'L':
		if strings.HasPrefix(m, "LAMBDA_WARNING: ") {
			setSeverity(e, event.Warning)
			return true
		}
		return extension(e, m, "LOGS")
	case 'T':
		return extension(e, m, "TELEMETRY")
	case '[':
		return python(e, m)
	case '{':
		return jsonRecord(e, m)
	default:
		if '0' <= m[0] && m[0] <= '9' {
			return timestamped(e, m)
		}
	}
	return false
}

func setSeverity(e *event.Event, s event.Severity) {
	e.Severity = s
	e.SeveritySource = event.SeverityInferred
}

// statusSeverity is sev for an empty or success status and error otherwise.
func statusSeverity(status string, sev event.Severity) event.Severity {
	if status == "" || status == "success" {
		return sev
	}
	return event.Error
}

// extension handles "EXTENSION\tName: x\tState: Ready\tEvents: [INVOKE]" and
// the LOGS and TELEMETRY forms.
func extension(e *event.Event, m, kw string) bool {
	rest, ok := strings.CutPrefix(m, kw)
	if !ok || rest == "" || (rest[0] != '\t' && rest[0] != ' ') {
		return false
	}
	labels(e, rest)
	setSeverity(e, event.Info)
	return true
}

// Kinds of label values.
const (
	kindToken  = iota // up to the next whitespace
	kindNumber        // a number and an optional unit: 102.25 ms
	kindList          // [A, B] or a token
	kindBool          // true/false
)

// label matches a known "Label:" at the start of s and returns the field key,
// the kind of its value and the length of the label with its colon; n is 0
// when s does not start with a known label.
func label(s string) (key string, kind, n int) {
	try := func(l, k string, kd int) bool {
		if strings.HasPrefix(s, l) {
			key, kind, n = k, kd, len(l)
			return true
		}
		return false
	}
	switch s[0] {
	case 'R':
		_ = try("RequestId:", "request_id", kindToken) ||
			try("Restore Duration:", "restore_duration_ms", kindNumber) ||
			try("Runtime Version ARN:", "runtime_version_arn", kindToken) ||
			try("Runtime Version:", "runtime_version", kindToken)
	case 'V':
		try("Version:", "version", kindToken)
	case 'D':
		try("Duration:", "duration_ms", kindNumber)
	case 'B':
		_ = try("Billed Duration:", "billed_duration_ms", kindNumber) ||
			try("Billed Restore Duration:", "billed_restore_duration_ms", kindNumber)
	case 'M':
		_ = try("Memory Size:", "memory_size_mb", kindNumber) ||
			try("Max Memory Used:", "max_memory_used_mb", kindNumber)
	case 'I':
		try("Init Duration:", "init_duration_ms", kindNumber)
	case 'S':
		_ = try("Status:", "status", kindToken) ||
			try("SegmentId:", "xray_segment_id", kindToken) ||
			try("Sampled:", "xray_sampled", kindBool) ||
			try("State:", "extension_state", kindToken)
	case 'E':
		_ = try("Error Type:", "error_type", kindToken) ||
			try("Events:", "events", kindList)
	case 'X':
		try("XRAY TraceId:", "xray_trace_id", kindToken)
	case 'P':
		try("Phase:", "phase", kindToken)
	case 'N':
		try("Name:", "extension_name", kindToken)
	case 'T':
		try("Types:", "types", kindList)
	}
	return key, kind, n
}

// labels adds the fields of "Label: value" pairs in s, separated by tabs,
// newlines or spaces, and returns the value of Status: if any.
func labels(e *event.Event, s string) (status string) {
	for {
		s = trimSpace(s)
		if s == "" {
			return status
		}
		key, kind, n := label(s)
		if n == 0 {
			s = s[tokenEnd(s):]
			continue
		}
		s = trimBlank(s[n:])
		var v string
		switch kind {
		case kindList:
			if strings.HasPrefix(s, "[") {
				if j := strings.IndexByte(s, ']'); j > 0 {
					v, s = s[:j+1], s[j+1:]
					e.AddString(key, v)
					continue
				}
			}
			v, s = s[:tokenEnd(s)], s[tokenEnd(s):]
			e.AddString(key, v)
		case kindNumber:
			v, s = s[:tokenEnd(s)], s[tokenEnd(s):]
			if u := trimBlank(s); u != "" {
				if unit := u[:tokenEnd(u)]; isUnit(unit) {
					s = u[len(unit):]
				}
			}
			if logfmt.IsNumber(v) {
				e.AddNumber(key, v)
			}
		case kindBool:
			v, s = s[:tokenEnd(s)], s[tokenEnd(s):]
			if v == "true" || v == "false" {
				e.Fields = append(e.Fields, event.Field{Key: key, Value: v, Type: event.Bool})
			} else if v != "" {
				e.AddString(key, v)
			}
		default:
			v, s = s[:tokenEnd(s)], s[tokenEnd(s):]
			if v != "" {
				e.AddString(key, v)
			}
			if key == "status" {
				status = v
			}
		}
	}
}

func isUnit(s string) bool {
	switch s {
	case "ms", "MB", "s", "GB", "KB", "kB", "us":
		return true
	}
	return false
}

// runtimeError handles "RequestId: id Error: Runtime exited with error:
// signal: killed\nRuntime.ExitError"; s follows "RequestId: ".
func runtimeError(e *event.Event, s string) bool {
	id, rest, ok := strings.Cut(s, " ")
	if !ok || !isRequestID(id) {
		return false
	}
	msg, ok := strings.CutPrefix(trimBlank(rest), "Error: ")
	if !ok {
		return false
	}
	e.AddString("request_id", id)
	msg = strings.TrimRight(msg, " \t\r\n")
	var typ string
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
		if t := strings.TrimSpace(msg[i+1:]); isIdentifier(t) {
			msg, typ = strings.TrimRight(msg[:i], " \t\r"), t
		}
	}
	e.AddString("error", msg)
	if typ != "" {
		e.AddString("error_type", typ)
	}
	setSeverity(e, event.Error)
	return true
}

// timestamped handles lines that start with an RFC 3339 time and a request
// id: "Task timed out" and the Node.js runtime format.
func timestamped(e *event.Event, m string) bool {
	i := strings.IndexAny(m, " \t")
	if i < 0 {
		return false
	}
	t, err := time.Parse(time.RFC3339Nano, m[:i])
	if err != nil {
		return false
	}
	sep := m[i]
	id, rest, ok := strings.Cut(m[i+1:], m[i:i+1])
	if !ok || !(isRequestID(id) || id == "undefined") {
		return false
	}
	if after, ok := strings.CutPrefix(rest, "Task timed out after "); ok {
		e.Time = t
		addRequestID(e, id)
		if secs, _, _ := strings.Cut(after, " "); logfmt.IsNumber(secs) {
			e.AddNumber("timeout_s", secs)
		}
		setSeverity(e, event.Error)
		return true
	}
	if sep != '\t' {
		return false
	}
	e.Time = t
	addRequestID(e, id)
	if level, msg, ok := strings.Cut(rest, "\t"); ok {
		if sev, ok := levelSeverity(level); ok {
			e.Message = trimEOL(msg)
			e.Severity, e.SeveritySource = sev, event.SeverityField
			if sev <= event.Error {
				errorObject(e, msg)
			}
			return true
		}
	}
	e.Message = trimEOL(rest)
	return true
}

// errorObject adds error_type and error_message from a Node.js error message
// that ends in a JSON object: "Invoke Error \t{"errorType":"Error",...}".
func errorObject(e *event.Event, msg string) {
	i := strings.Index(msg, "\t{")
	if i < 0 || !strings.Contains(msg[i:], `"errorType"`) {
		return
	}
	var v struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal([]byte(msg[i+1:]), &v) != nil {
		return
	}
	if v.ErrorType != "" {
		e.AddString("error_type", v.ErrorType)
	}
	if v.ErrorMessage != "" {
		e.AddString("error_message", v.ErrorMessage)
	}
}

// python handles "[LEVEL]\ttime\tid\tmsg" and "[LEVEL] msg".
func python(e *event.Event, m string) bool {
	j := strings.IndexByte(m, ']')
	if j < 2 || j+1 >= len(m) {
		return false
	}
	sev, ok := levelSeverity(m[1:j])
	if !ok {
		return false
	}
	rest := m[j+2:]
	switch m[j+1] {
	case '\t':
		ts, r, ok := strings.Cut(rest, "\t")
		if !ok {
			return false
		}
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return false
		}
		id, msg, ok := strings.Cut(r, "\t")
		if !ok || (id != "" && !isRequestID(id)) {
			return false
		}
		e.Time = t
		addRequestID(e, id)
		e.Message = trimEOL(msg)
	case ' ':
		e.Message = trimEOL(rest)
		if sev <= event.Error {
			if i := strings.IndexByte(rest, ':'); i > 0 && isIdentifier(rest[:i]) {
				e.AddString("error_type", rest[:i])
			}
		}
	default:
		return false
	}
	e.Severity, e.SeveritySource = sev, event.SeverityField
	return true
}

func addRequestID(e *event.Event, id string) {
	if id != "" && id != "undefined" {
		e.AddString("request_id", id)
	}
}

// levelSeverity reads a runtime log level without allocating for the
// upper-case names the runtimes write.
func levelSeverity(l string) (event.Severity, bool) {
	switch l {
	case "TRACE", "DEBUG":
		return event.Debug, true
	case "INFO":
		return event.Info, true
	case "WARN", "WARNING":
		return event.Warning, true
	case "ERROR":
		return event.Error, true
	case "FATAL", "CRITICAL":
		return event.Crit, true
	}
	if l == "" || len(l) > 13 {
		return 0, false
	}
	return event.ParseSeverity(l)
}

// isRequestID reports whether s looks like a Lambda request id: hex digits
// and dashes (a UUID), 8 to 64 bytes, with at least one dash.
func isRequestID(s string) bool {
	if len(s) < 8 || len(s) > 64 {
		return false
	}
	dash := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-':
			dash = true
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return dash
}

// isIdentifier reports whether s is a dotted name such as
// Runtime.ImportModuleError or KeyError.
func isIdentifier(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// trimEOL drops trailing line breaks: the runtimes end every message with one.
func trimEOL(s string) string { return strings.TrimRight(s, "\r\n") }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// trimSpace drops leading spaces, tabs and line breaks.
func trimSpace(s string) string {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	return s
}

// trimBlank drops leading spaces only, so that a value never runs into the
// next tab-separated label.
func trimBlank(s string) string {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	return s
}

// tokenEnd returns the index of the first whitespace byte in s, or len(s).
func tokenEnd(s string) int {
	for i := 0; i < len(s); i++ {
		if isSpace(s[i]) {
			return i
		}
	}
	return len(s)
}
