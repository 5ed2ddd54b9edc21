// Package httpsink delivers batches of events to a generic HTTP endpoint,
// with a preset for Sumo Logic's HTTP Logs and Metrics Source.
//
// # Requests
//
// A batch becomes one or more requests (POST by default, or PUT). Header
// values are templates (package sink/tmpl), e.g.
//
//	X-Sumo-Category: heroku/{app}
//
// so a batch is first split into groups of events whose headers render the
// same, in the order each group first appears, keeping the order of events
// within a group. Each group is then cut into requests whose body, before
// compression, is at most Config.MaxBytes; an event that alone is larger is
// sent in a request of its own (the endpoint decides whether to take it). A
// header whose value renders empty is not sent, so that the endpoint's own
// default applies (Sumo Logic's source category, for instance); control
// characters in rendered values become spaces.
//
// Requests are sent one after the other, not in parallel: the order of
// events reaches the endpoint as it is in the log, and endpoints such as
// Sumo Logic's ask for batches on a single connection rather than many.
//
// # Body encodings
//
//   - ndjson (default): the event's JSON form (package event) per line,
//     Content-Type application/x-ndjson;
//   - json: one JSON array of the events' JSON forms, application/json;
//   - text: one line per event, text/plain; charset=utf-8 — the message, or
//     the line Template: the placeholders of package sink/tmpl plus
//     {message} and {time} (the event time, or the receive time when the
//     event has none, in RFC 3339 UTC with milliseconds, e.g.
//     2026-03-07T04:05:06.789Z; empty when neither is known). Invalid UTF-8
//     becomes U+FFFD; trailing line breaks are removed; line breaks inside a
//     message are kept, so a stack trace stays together for receivers that
//     group continuation lines (Sumo Logic's multiline processing).
//
// With Gzip the body is compressed (Content-Encoding: gzip); MaxBytes
// always counts uncompressed bytes.
//
// # Results
//
// 2xx is success. 408, 429 and 5xx are retried, honouring Retry-After
// (delay-seconds or an HTTP-date; capped at MaxRetryAfter): the error is a
// *StatusError whose RetryAfter method the delivery helper reads. Other
// statuses (3xx — redirects are not followed — and other 4xx) are permanent
// (sink.Permanent): the error names the status and the first
// BodyExcerptBytes bytes of the response body, and the events are
// dead-lettered. Connection errors and timeouts are retried.
//
// When a batch needs several requests, they are sent until one fails with a
// retryable error; the rest are then not sent (an endpoint that refuses or
// times out would most likely do so again) and are retried with it. A
// permanent failure does not stop the others. When some events were
// delivered and others not, or some failed for good, Write returns a
// *sink.ItemsError naming the failed events by index, so that only they
// are retried or dead-lettered; when nothing was delivered and nothing
// failed for good, it returns the retryable error itself (so Retry-After
// applies).
//
// # Secrets
//
// The URL is a secret (Sumo Logic's carries its token in the path): errors,
// Config.String and Config.LogValue show only scheme://host. Passwords,
// tokens and the value of an Authorization header (taken literally, not as
// a template) are never shown.
//
// # Sumo Logic
//
// ApplyPreset("sumologic") configures what Sumo Logic's documentation for
// the HTTP Logs and Metrics Source describes ("Upload Logs to an HTTP
// Source", "HTTP Logs and Metrics Source", "Collecting Multiline Logs",
// "Timestamps, Time Zones, Time Ranges, and Date Formats"):
//
//   - POST to the source's URL (https://[SumoEndpoint]/receiver/v1/http/
//     [UniqueHTTPCollectorCode]), the log lines as the body; compressed data
//     may only be sent with POST.
//   - Gzip on (Content-Encoding: gzip): Sumo strongly recommends compressed
//     data.
//   - X-Sumo-Category {group} (heroku/<app>, /aws/lambda/<fn>, …),
//     X-Sumo-Host {host}, X-Sumo-Name {app}. They override the source's
//     defaults per request; empty values are not sent, so the source's
//     configured defaults apply. Every distinct combination is a request of
//     its own, so these are values with few variants per batch: the dyno
//     or process ({proc}, e.g. web.1, router) goes into the line instead,
//     or a batch from a Heroku app with many dynos would become many small
//     requests, against Sumo's advice to batch.
//   - Text lines "{time} {proc} {message}" (two spaces where an event has
//     no proc). Sumo treats each line as a message (multiline processing,
//     on by default, groups continuation lines using a common anchor at the
//     start of each line, such as a timestamp) and takes a message's time
//     from the leftmost timestamp in a documented format. {time} is exactly
//     the documented yyyy-MM-dd'T'HH:mm:ss.SSS'Z' (fractions are documented
//     as 1 to 3 digits); the event JSON form's nanosecond time is not a
//     documented format, which is why the preset does not use ndjson.
//     Metadata other than the message and proc travels in the X-Sumo-*
//     headers. Set encoding ndjson to send the whole JSON form instead
//     (Sumo parses JSON at search time).
//   - MaxBytes 1,000,000: Sumo recommends 100 KB to 1 MB before
//     compression and allows "up to but not exceeding 1MB of uncompressed
//     data"; the largest size keeps requests few (the source "isn't
//     designed to support large numbers of connections"), and 1,000,000
//     bytes is within 1 MB whether MB means 10^6 or 2^20.
//
// Sumo's "Troubleshooting HTTP Sources" lists the statuses a source
// answers: 200; 401 (missing or invalid URL token: permanent here, the
// events are dead-lettered until the URL is fixed); 408 (accepted, but
// processing timed out after 30 seconds — "the data sent prior to the
// timeout may not all be successfully ingested": retried, so some lines
// may arrive twice, the at-least-once reading); 429 (throttled, "data will
// be dropped … the sending HTTP client must re-send": retried); 503 and 504
// (retried). It does not say whether a Retry-After header accompanies 429;
// one is honoured when present. An ingest budget that stops collection
// still answers 200: such events are lost at Sumo, not here.
package httpsink
