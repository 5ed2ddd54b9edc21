// Package ingest receives batches of events from applications and the Go
// client (package github.com/sluicelog/sluice/client): POST /ingest, or
// POST /ingest/<group>, where the rest of the path after the mount point is
// the group (POST /ingest/app/billing writes to group "/app/billing").
//
// # Bodies
//
// A JSON body is a JSON array of events or NDJSON (one event per line), told
// apart by its first non-space byte: '[' is an array, '{' is NDJSON (so a
// single object is NDJSON of one). Content-Type may be application/json,
// application/x-ndjson (or another JSON-lines type), missing, or curl's
// default application/x-www-form-urlencoded. An event is an object
//
//	{"time":"2026-01-02T15:04:05.123Z","level":"warning","message":"disk 91% full",
//	 "group":"/app/billing","stream":"web.1","app":"billing","host":"h1","proc":"web",
//	 "fields":{"disk":"/dev/sda1","pct":91},"id":"abc-1"}
//
// of which only message (a string) is required. time is RFC 3339 or a
// number of seconds or (1e11 and more) milliseconds since 1970. level is a
// name (emerg, alert, crit, error, warning, notice, info, debug and the
// aliases err, warn, fatal, panic, trace, ...) or a syslog severity 0..7,
// and gives the event's severity with severity_source "field"; without it
// the severity is info, unset, and the Enricher may infer it from the
// message. fields keeps its key order; other keys are errors.
//
// With Content-Type: text/plain every non-blank line is one event.
//
// Query parameters group, stream, level, app, host and proc give defaults
// to the events that name none (a path group wins over the group
// parameter). Content-Encoding: gzip is decompressed.
//
// Each event gets Received (the time of the request), Source "ingest" or
// "ingest/<credentials name>", group "ingest" unless named, stream the
// credentials' name or "default" unless named; then it is enriched.
//
// # Validation
//
// An invalid event (bad JSON on its NDJSON line, not an object, bad time,
// unknown level, missing message, a message or name that is not a string,
// an unknown key, a group or stream longer than 512 bytes or with control
// characters) is rejected alone; the other events of the request are
// stored. The answer counts both and describes the first ten rejected
// events by index (array position, or position among the non-blank lines):
//
//	{"accepted":98,"rejected":2,"errors":[{"index":3,"error":"cannot parse level \"loud\": ..."}, ...]}
//
// A request with some events stored is answered 200 even when others were
// rejected: the stored ones are durable, and a 4xx would make clients take
// the whole batch for refused (and a retry would store it twice), while
// sending the rejected ones again can never help. Clients must read
// "rejected". A request whose events were all rejected is answered 400
// (same body, plus "error"): nothing was stored, retrying cannot help.
//
// An event whose group the credentials may not write to (auth groups such
// as "/app/billing*") makes the whole request 403, naming the group: nothing
// of it is stored, so that a misconfigured sender sees the problem at once.
//
// # Answers
//
// Every answer is JSON {"accepted":N,"rejected":M,"errors":[...],"error":"..."}
// with an explicit Content-Length and an X-Request-Id (the request's, or a
// new one); accepted is 0 on every answer but 200.
//
//	200 stored (also: an empty body or array); some events may be rejected
//	400 every event rejected; a body that is neither a JSON array nor NDJSON;
//	    an array that is not valid JSON (it cannot be resynchronised; an
//	    NDJSON line that is not valid JSON rejects only that line); a bad
//	    level, group or stream query parameter or path group; corrupt gzip;
//	    a body that ended early
//	401 missing or wrong credentials (WWW-Authenticate)
//	403 an event names a group the credentials may not write to
//	404 a path that is neither the mount path nor under it
//	405 a method other than POST (Allow: POST)
//	408 the body stalled until the server's read timeout
//	413 the body, as sent or decompressed, exceeds MaxBodyBytes; more than
//	    MaxEvents events; or the batch is larger than the write-ahead log's
//	    whole cap
//	415 an unsupported Content-Type or Content-Encoding
//	500 the pipeline failed otherwise
//	503 the write-ahead log is full (Retry-After in seconds), sluice is
//	    shutting down (Connection: close), or the request was canceled
//	    before its events were stored (Connection: close; counted with code
//	    "canceled")
//
// # Metrics
//
// sluice_source_requests_total{code}, sluice_source_events_accepted_total,
// sluice_source_events_rejected_total, sluice_source_received_bytes_total
// and sluice_source_request_duration_seconds, each with source="ingest".
package ingest
