// Package syslog frames and parses syslog: RFC 6587 framing (octet counting
// and non-transparent), RFC 5424 including the variant Heroku Logplex sends
// (no STRUCTURED-DATA at all), RFC 3164 (BSD syslog, best effort) and Logplex
// request bodies (application/logplex-1).
//
// Parsers follow docs/parser-conventions.md: input is a string, output goes
// into a caller-owned *event.Event, and strings in the event are substrings of
// the input wherever possible. The RFC 5424 parser and the Logplex body parser
// allocate nothing for typical lines.
//
// Choices this package makes where the RFCs leave room:
//
//   - RFC 5424 header field length limits (HOSTNAME 255, APP-NAME 48, PROCID
//     128, MSGID 32, SD-NAME 32) are enforced as errors, as are leading zeros
//     in PRI, PRI above 191, versions other than 1 and leap seconds.
//     Fractional seconds may have up to 9 digits (the RFC allows 6).
//   - After MSGID, '[' starts STRUCTURED-DATA and "-" followed by SP or the end
//     of the line is the NILVALUE; anything else is Heroku's variant: there is
//     no STRUCTURED-DATA and the rest of the line is MSG. A Heroku message that
//     itself begins with "[x]" or "- " is therefore read as STRUCTURED-DATA;
//     the grammar cannot tell them apart.
//   - A single trailing "\n" is trimmed from an RFC 5424 line (Logplex frames
//     end in one) and a UTF-8 BOM at the start of MSG is removed.
//   - RFC 3164 lines without a valid PRI get the default RFC 3164 section
//     4.3.3 gives them, user.notice (PRI 13), with SeveritySource unset.
//     Timestamps without a year get the latest year that puts them at most a
//     week after the receive time; timestamps without a zone are read as UTC.
package syslog
