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
//   - RFC 5424's header field length limits (HOSTNAME 255, APP-NAME 48,
//     PROCID 128, MSGID 32) are not enforced: real senders exceed them
//     (Docker's rfc5424 log driver puts "docker/<name>/<container id>" in
//     APP-NAME and MSGID) and the full value is kept; frame size limits
//     bound them. SD-ID and PARAM-NAME are held to 32 characters. Leading
//     zeros in PRI, PRI above 191, versions other than 1 and leap seconds
//     are errors. Fractional seconds may have up to 9 digits (the RFC allows
//     6).
//   - Timestamps with a year outside 1678-2261 are errors (TIMESTAMP, in
//     RFC 5424 and in RFC 3339 timestamps of RFC 3164 lines): an event's
//     time is stored as Unix nanoseconds, which cannot hold them.
//   - After MSGID, "-" followed by SP or the end of the line is the
//     NILVALUE, and '[' starts STRUCTURED-DATA if what follows is valid
//     STRUCTURED-DATA followed by SP or the end of the line; anything else,
//     broken STRUCTURED-DATA included, is MSG, whole, with no
//     STRUCTURED-DATA (Heroku's variant has none at all). This is the
//     conservative reading: a line never fails because of its
//     STRUCTURED-DATA and loses no text, and app lines on Heroku that start
//     with '[' (Rails tagged logging "[request-id] Started GET ...",
//     gunicorn "[2024-05-01 12:00:00 +0000] [7] [ERROR] ...", delayed_job
//     "[Worker(host:x pid:4)] ...") stay messages.
//   - An SD-ELEMENT without parameters is STRUCTURED-DATA only when its
//     SD-ID is IANA-registered (timeQuality, origin, meta) or private
//     ("name@" and a private enterprise number, as "ourSDID@32473");
//     otherwise the rest of the line is MSG. RFC 5424 allows parameter-less
//     elements with any SD-ID, but real senders use registered ones (logger's
//     "[timeQuality ...]"), while "[3] Puma starting", "[nodemon] starting"
//     and "[INFO] booting" are messages. A Heroku message that begins with
//     "- ", or with a valid element that has parameters ("[x a=\"b\"] hi"),
//     is still read as NILVALUE or STRUCTURED-DATA: the grammar cannot tell
//     them apart.
//   - FramingAuto (RFC 6587 leaves detection open) picks octet counting
//     only when the stream starts, after any CR, LF and NUL bytes, with
//     "MSG-LEN SP <" (LooksOctetCounted); a stream of lines that merely
//     start with a digit ("2024-05-01 12:00:00 ...") is non-transparent.
//   - A single trailing "\n" is trimmed from an RFC 5424 line (Logplex frames
//     end in one) and a UTF-8 BOM at the start of MSG is removed.
//   - RFC 3164 lines without a valid PRI get the default RFC 3164 section
//     4.3.3 gives them, user.notice (PRI 13), with SeveritySource unset.
//     Timestamps without a year get the latest year that puts them at most a
//     week after the receive time; timestamps without a zone are read as UTC.
package syslog
