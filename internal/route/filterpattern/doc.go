// Package filterpattern compiles and matches CloudWatch Logs filter
// patterns, the syntax of metric filters, subscription filters,
// FilterLogEvents and Live Tail, as the AWS guide "Filter pattern syntax
// for metric filters, subscription filters, filter log events, and Live
// Tail" describes it:
//
//   - term patterns: words, "quoted phrases" and %regexes% that must all
//     occur in the message, -terms that must not, ?terms of which one must
//     (ERROR -Exiting, ?ERROR ?WARN, "INTERNAL SERVER ERROR");
//   - JSON patterns: { $.a.b = "x" && ($.n > 5e2 || $.list[*] = %re%) },
//     with IS NULL, IS TRUE, IS FALSE and NOT EXISTS;
//   - space-delimited patterns: [ip, user, ..., status = 5*, bytes > 1000].
//
// Compile parses a pattern once; Match is then safe for concurrent use and
// does not allocate in the common case: term patterns, space-delimited
// patterns (unless more than 32 fields follow an ellipsis), and JSON
// patterns of up to 16 conditions whose selected keys and strings hold no
// backslash escapes. JSON messages are not
// decoded: a hand-written scanner walks the message once, validating it,
// following only the paths the pattern's selectors name (a bit set of
// selectors per level) and skipping everything else.
//
// # Regexes
//
// A %regex% is checked against the subset the guide allows (letters,
// digits, the symbols : _ # = @ / ; , - and space, the operators
// ^ $ ? [ ] { } | \ * + . and the escapes \d \D \s \S \w \W \xhh) and then
// compiled with Go's regexp (RE2), whose syntax is a superset: the only
// rewrites are "{m, n}" without spaces, "{,n}" as "{0,n}", a '{' that does
// not start a repetition as a literal, and the (?s) flag so that '.'
// matches any character, newline included. Anything outside the subset,
// ( and ) included, is a compile error that suggests \xhh.
//
// # Readings chosen
//
// Where the guide is silent or contradicts itself, this package reads it
// as follows.
//
//  1. ?terms next to plain or -excluded terms are ignored, as the guide's
//     note says ("?ERROR ?ARGUMENTS REQUEST" matches "[INFO] REQUEST
//     FAILED"). The AWS CDK's FilterPattern.anyTermGroup writes
//     `?"A" "B" ?"C" "D"` for (A and B) or (C and D), which the guide's
//     reading turns into "B and D"; Pattern.Warnings says so.
//  2. Terms match anywhere in the message, inside words too ("ERROR"
//     matches "ERRORCODE", as in the 2014 guide), case-sensitively.
//  3. An unquoted term is letters, digits and '_' (Unicode letters and
//     digits included); anything else must be quoted, as CloudWatch Logs
//     rejects it ("Invalid character(s) in term"). The '-' or '?' must
//     touch its term: the 2014 guide's prose `"ERROR" - "Exiting"` is read
//     as ERROR -Exiting and the spaced form is an error.
//  4. In a quoted phrase or value, \" is a quote and \\ a backslash (how
//     the CDK quotes terms); other backslashes are literal. A phrase that
//     is empty or only spaces (`" "`, `""`) matches every message, as does
//     the empty pattern.
//  5. A term, phrase or regex must be followed by a space or the end.
//  6. A %regex% in a term pattern is a term like the others (it can be
//     combined, -excluded or ?optional). Regexes search anywhere in their
//     text (%AUTHORIZED% matches "UNAUTHORIZED"), so %a{3,5}% also finds
//     "aaaaaa"; ^ and $ anchor at the ends of the message, the JSON value
//     or the field. The space is allowed although the guide's list of
//     symbols omits it (its own example %^shutting down% has one); \n, \t,
//     \b and other escapes are not (write \x0A). A regex ends at the first
//     '%': match a percent sign with \x25. The quota of 2 regexes applies
//     to JSON and space-delimited patterns, not to term patterns.
//  7. A JSON pattern matches only a message that is a JSON object from
//     start to end (whitespace around it allowed; RFC 8259, strings not
//     checked for valid UTF-8, at most 10000 levels of nesting). Text
//     before the JSON, as Lambda's runtimes write, means no match; so does
//     invalid JSON, even for NOT EXISTS.
//  8. Selector names are letters, digits, '-' and '_'; others are written
//     $.['name'] or $.["name"] (also without the dot), and end at the
//     first matching quote. An index must follow a property. .* and [*]
//     are the same wildcard: any member of an object or element of an
//     array, one level deep. A condition on a wildcard selector holds when
//     it holds for one of the selected values (for != too); NOT EXISTS
//     holds when nothing is selected. The quotas are enforced: one
//     wildcard per selector, three conditions on wildcard selectors per
//     pattern.
//  9. When an object repeats a key, the last one counts (as encoding/json).
//  10. Comparisons need a value: a string, a number or a boolean. On null,
//     an object, an array or a missing property every comparison is false,
//     != included (as the guide says for arrays: "both {$.users = 1} and
//     {$.users != 1} will fail"). Booleans compare as the text true and
//     false, so `= *` means "is a string, number or boolean".
//  11. Unquoted values (JSON and space-delimited) may hold letters, digits
//     and _ - + . * : / (the guide's examples 123.123.* and *.html*; it
//     says '@', '$' and '\' must be quoted). '*' is a wildcard only at the
//     start or end of a value ("Ev*ent will only match the actual string
//     Ev*ent"), quoted or not (the CIS benchmark's
//     $.errorCode = "*UnauthorizedOperation" relies on it); a literal
//     leading or trailing '*' cannot be matched except by a regex.
//  12. An unquoted value in number syntax, [+-]?(\d+(\.\d*)?|\.\d+)
//     ([eE][+-]?\d+)?, compares as a number: integers exactly, others as
//     float64. It also compares numerically with a string that holds a
//     number ({"status": "404"} matches $.status > 400); = and != compare
//     text when the other side is not a number, and <, <=, >, >= are then
//     false. A quoted value always compares as text ("404" equals the JSON
//     number 404 by its text, not 404.0).
//  13. The keywords IS, NOT, EXISTS, NULL, TRUE and FALSE are
//     case-insensitive. IS NOT and EXISTS are errors ("currently aren't
//     supported"), and so is "==".
//  14. Space-delimited fields are separated by runs of whitespace (tabs
//     too: Lambda's Node.js lines are tab-separated). A field that starts
//     with '"' runs to the next '"' not escaped by '\', one that starts
//     with '[' to the next ']', and its value is without them (the
//     backslashes stay); a field whose quote or bracket is never closed is
//     an ordinary field.
//  15. Without an ellipsis a message needs at least as many fields as the
//     pattern has entries, and the last entry takes the rest of the line:
//     the guide's [w1=ERROR, w2] matches "ERROR 09/25/2014 12:00:02 Failed
//     to process request", and [timestamp=*Z, request_id="*-*", event] is
//     how Lambda logs are commonly subscribed. (The 2014 guide's claim that
//     [w1=ERROR, w2] does not match "ERROR WARN message" contradicts that.)
//     With an ellipsis the entries before it take the first fields, those
//     after it the last ones; only one ellipsis is allowed (as in the CDK).
//  16. The conditions of an entry must name that entry's field: the 2014
//     guide's [..., status_code = 4* && bytes > 1000] is an error, as
//     CloudWatch Logs rejects it. Field names are letters, digits, '-' and
//     '_' and unique; an empty entry (as in [..., status_code=4*,]) is an
//     unnamed field. Parentheses may group conditions.
//  17. Extract returns what `aws logs test-metric-filter` calls
//     extractedValues: "$name" for named fields and "$N" (1-based
//     position) for unnamed fields and those under the ellipsis, as in the
//     2014 guide's example; for JSON, each selector as written with the
//     value it found (the last one, or for a wildcard the first).
//  18. Patterns are at most 1024 characters (the API limit) and use at
//     most 64 different JSON selectors.
package filterpattern
