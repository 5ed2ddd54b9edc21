// Package query parses the search language of sluice's store, live tail,
// API and CLI — what users of Papertrail, Heroku and Vector type — into an
// AST, and matches events against it.
//
//	timeout                      a term (whole words)
//	time*                        a prefix
//	"connection refused"         a phrase
//	-healthcheck  -"GET /ping"   exclusions (also -app:router, -(a OR b))
//	error OR fatal               OR between terms; AND is implicit (AND may
//	                             be written); NOT x is -x
//	(error OR fatal) -app:router parentheses group
//	severity:<=warning           field filters: severity:error, app:router,
//	host:web01 proc:web.*        host:, proc:, msgid:, group:, stream:,
//	group:/aws/lambda/*          source:, id:, facility: (program: is app:)
//	fields.status:>=500          structured fields: fields.KEY
//	fields.level:error
//	pattern:'{ $.level = "error" }'  a CloudWatch Logs filter pattern
//	{ $.latency > 500 }          a whole query that starts with { or [ is a
//	[ip, user, ..., status=5*]   CloudWatch Logs filter pattern
//
// # Semantics
//
// Terms and phrases match the message ignoring case, as whole words: the
// message must contain the text; when the text starts with a letter or
// digit, at the start of a word (after the start of the message or a
// character that is not a letter or digit), and when it ends with one, at
// the end of a word. A trailing * makes it a prefix: time* matches
// "Timeout" and "time=3"; time matches "time=3" and "Time:" but not
// "timeout" or "runtime"; "10.0.0.1" matches "from 10.0.0.1:22" but not
// "110.0.0.1"; "connection ref"* matches "connection refused". A phrase is a
// term that may hold spaces and the characters the language uses
// (: ( ) - "); inside it \" is a quote and \\ a backslash. This is the
// reading a full-text index (SQLite FTS5 with unicode61 tokens: a phrase
// query, with a prefix on the last token for *) answers, so the store and
// live tail agree: the store asks its index for a superset and keeps what
// Match accepts. Whole words rather than prefixes by default because a
// prefix lookup merges the lists of every word with that prefix and is
// about 40 times slower on a large store (12 ms instead of 0.3 ms over 2 M
// events).
//
// Field filters compare an event's field to a value:
//
//   - severity takes a name (emerg … debug, and the aliases
//     event.ParseSeverity knows: err, warn, fatal, …) or a number 0–7, with
//     : (equal), :<, :<=, :>, :>= in syslog numbering — 0 is the most
//     severe, so severity:<=warning means "warning or worse", as in
//     sluice's where rules.
//   - app, host, proc, msgid, group, stream, source, id and facility match
//     the whole value exactly, case-sensitively; * in the value matches any
//     run of characters (proc:web.*, group:/aws/lambda/*). An empty value
//     (app:"") matches events without one.
//   - fields.KEY: equality ignores case (fields.level:error matches
//     "ERROR"), * globs; when the value and the field are both numbers,
//     they compare as numbers (fields.status:500 matches 500.0), and :<,
//     :<=, :>, :>= compare numbers as numbers and other values as strings.
//     An event without the field matches no filter on it (and so matches
//     its exclusion). A key repeated in the event matches if any of its
//     values does.
//
// Precedence: - binds tightest, then AND (implicit), then OR, so
// "a b OR c" is "(a AND b) OR c", as in SQL. The words AND, OR and NOT are
// operators only in capitals; quote them ("or") to search for them.
//
// Time ranges are not part of the query: callers pass since/until, which
// ParseTime reads (RFC 3339 or a duration ago such as 30m, 1h, 7d).
//
// A Query is immutable after Parse and safe for concurrent use.
package query
