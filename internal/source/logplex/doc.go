// Package logplex receives Heroku Logplex HTTPS drains: POST /logs with an
// application/logplex-1 body of octet-counted RFC 5424 frames, as Logplex,
// log-shuttle and log-iss clients send it. It is a drop-in for heroku/log-iss's
// receiving side: basic-auth users (TOKEN_MAP), ENFORCE_SSL, the origin
// address and METADATA_ID query parameters are supported.
//
// # Acknowledgement
//
// A request is answered 200 only after the pipeline's Ingester has made its
// events durable. Every answer is plain text naming what happened and has an
// explicit Content-Length: Logplex's HTTP client (cowboy_client) reads a
// response body only by its Content-Length, so a chunked answer would break
// the next request on the connection.
//
// # How Logplex reacts to an answer
//
// Logplex's HTTP drain (logplex_http_drain.erl, handle_response_status)
// treats every 2xx as delivered, drops the batch for good on every 4xx
// (429 included), and retries on anything else (5xx, a timeout after 5 s, a
// broken connection) with the same Logplex-Frame-Id, once by default
// (http_frame_retries 1). Hence:
//
//   - A body that is partly bad is still answered 200 once what could be
//     read is stored: a 4xx would lose the good frames, a 5xx would bring the
//     same bad body back. A frame that does not parse as RFC 5424 is stored
//     raw with a parse_error field; a body whose framing breaks off (junk, a
//     truncated or oversize frame) has the frames before the break stored,
//     and the rest of the body stored raw as one more event with a
//     parse_error field and logplex.tail_bytes. The 200 body names the count
//     and the first problem; the metrics sluice_source_frames_malformed_total
//     and sluice_source_framing_errors_total count them.
//   - Refusals the sender must fix (authentication, content type, size,
//     Logplex-Msg-Count disagreeing with a cleanly framed body) are 4xx:
//     retrying cannot help.
//   - "Log full" and "shutting down" are 503, so the batch comes back.
//   - A retry of a batch already stored (same drain token and frame id,
//     within DedupeWindow) is answered 200 without storing it again.
//
// # Answers
//
//	200 stored (also: empty body, duplicate of a stored batch, malformed or
//	    badly framed frames stored raw); log-iss answers 200 too
//	400 Logplex-Msg-Count disagrees with the frames of a cleanly framed body
//	    (nothing stored), invalid Logplex-Msg-Count, oversize Logplex-Frame-Id
//	    or Logplex-Drain-Token, corrupt gzip, a body that ended early, and,
//	    with EnforceHTTPS, a request that did not come over HTTPS (log-iss's
//	    ENFORCE_SSL answer)
//	401 missing or wrong basic-auth credentials (WWW-Authenticate: Basic)
//	405 a method other than POST (Allow: POST)
//	408 the body stalled until the server's read timeout
//	413 the batch is larger than the write-ahead log's whole cap (retrying
//	    cannot help); or the body, as sent or decompressed, exceeds MaxBodyBytes, or has more
//	    than MaxFrames frames
//	415 Content-Type other than application/logplex-1 (parameters are
//	    tolerated), or a Content-Encoding other than gzip
//	500 the pipeline failed otherwise
//	503 the write-ahead log is full (Retry-After in seconds) or sluice is
//	    shutting down (Connection: close)
//
// When the request's context ends before the batch is stored (the client
// went away, or the server is shutting down) the answer is still written, as
// 503 with Connection: close, since silence would make net/http answer 200;
// the request is counted with code "canceled" and nothing is remembered, so
// Logplex's retry is stored.
//
// # Events
//
// Each frame becomes one event: group heroku/<app> (the app DrainNames maps
// the Logplex-Drain-Token to, else heroku/<drain token> when the token is a
// plain name like Logplex's d.<uuid>, else heroku),
// stream the PROCID (web.1, router), source the drain token, id
// <Logplex-Frame-Id>.<index> when the request has a frame id, Received the
// time of the request, Raw the frame as received when KeepRaw. Logplex's
// placeholder HOSTNAME "host" is replaced by the drain token, as log-iss
// does. Fields added after enrichment: logplex.drain_token, logplex.frame_id,
// http.request_id (the request's X-Request-Id), origin.ip (see
// Config.TrustedProxies; the field log-iss's [origin ip="..."] element
// becomes) and the METADATA_ID query-parameter fields (Config.QueryParams).
package logplex
