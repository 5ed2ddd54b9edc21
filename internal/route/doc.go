// Package route decides which events a subscription (or a source's rules)
// passes on and how it changes them: `where` rules in expr-lang
// (CompileWhere), transforms (New: parse, set, rename, delete, severity,
// drop, sample, dedupe, throttle, redact) and the Chain that runs a rule, a
// pattern matcher and transforms in order. CloudWatch Logs filter patterns
// live in the sub-package filterpattern; a Chain takes one as a plain
// func(message string) bool.
//
// # Rules
//
// A rule is an expr-lang (github.com/expr-lang/expr) expression that must
// be boolean, e.g.
//
//	severity <= warning && proc != "router"
//	app == "web" && message contains "timeout"
//	fields["status"] >= 500
//
// Names:
//
//   - severity: the syslog number, 0 (emergency) to 7 (debug), so
//     `severity <= warning` means warning or worse. The constants
//     emergency, alert, critical, error, warning, notice, info, debug and
//     the aliases emerg, crit, err, warn are the numbers.
//   - facility: its name ("local0", "user"; "" when the input had none).
//   - host, app, proc, msgid, message, group, stream, source, id: strings.
//   - time: the event's time (time.Time; zero when unknown).
//   - fields["k"] (or fields.k): the value of the first field named k: a
//     number as float64, a bool as bool, a string as string, a JSON object,
//     array or null as its raw JSON text; nil when there is no such field.
//   - has("k"): whether the event has a field named k.
//
// These names are reserved: `let` cannot declare a variable of the same
// name. The rest of expr-lang works as usual: contains, startsWith,
// endsWith, matches, in, lower, upper, len, now(), duration(), ...
//
// A rule that fails at run time (e.g. `fields["n"] + 1 > 2` where n is
// missing) is false for that event, and the failure is counted
// (Where.Errors). One deliberate difference from plain expr-lang: comparing
// a field with a constant never fails — `fields["status"] >= 500` is false
// for an event without a numeric status, and `fields["path"] contains "x"`
// is false for a field that is not text — because rules run over all kinds
// of events and such failures would only be noise.
//
// # Speed
//
// A map environment built per event costs microseconds; instead an
// expression runs against a small struct of accessor functions
// (reused through a sync.Pool) and is patched at compile time (expr.Patch):
// each name becomes a call of an accessor, and each comparison of an
// attribute or field with a constant — including &&, || and not of such
// comparisons — becomes one Go function. A rule made only of those, as the
// three above, is run as that function without the expr-lang virtual
// machine: tens of nanoseconds and no allocation per event. Anything else
// runs on the virtual machine with the same accessors.
//
// # Transforms
//
// A transform changes an event in place and says whether to keep it. Those
// that drop events count them (Dropper); those that can fail on an event
// count that (ErrorCounter). Stateful ones remember at most MaxKeys keys.
// Dedupe emits summary events later (Pending); their exact form is in
// Dedupe's documentation.
package route
