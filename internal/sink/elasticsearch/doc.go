// Package elasticsearch is the Elasticsearch / OpenSearch sink: it indexes
// events with the _bulk API (POST <url>/_bulk, NDJSON, plain net/http),
// including Amazon OpenSearch Service and OpenSearch Serverless with AWS
// SigV4 signing.
//
// # Documents
//
// Each event becomes one action line and one document line:
//
//	{"index":{"_index":"sluice-2026.03.07","_id":"1234-5"}}
//	{"@timestamp":"2026-03-07T04:05:06.123456789Z","time":"2026-03-07T04:05:06.123456789Z","severity":6,"severity_name":"info","app":"web","message":"…","id":"1234-5"}
//
// The document is the event's JSON form (event.AppendJSON: time, received,
// severity, severity_name, host, app, message, fields, group, stream,
// source, id, …) with "@timestamp" spliced in as its first key, so the JSON
// is written once. @timestamp is the event's Time in UTC, RFC 3339 with
// nanoseconds (a date field keeps milliseconds, date_nanos all of them);
// for an event without a Time it is when sluice received it (Received), and
// for one without either the time of the write. The index name's %Y/%m/%d
// use the same time.
//
// The index is Config.Index, a template (package tmpl, e.g.
// "logs-{app}-%Y.%m.%d"; default "sluice-%Y.%m.%d"), written with the
// "index" action; or Config.DataStream (e.g. "logs-sluice-default"), written
// with the "create" action, the only one data streams accept. Values taken
// from the event are lowercased and the characters index names may not
// contain (\ / * ? " < > | , # : space, control characters) become '_';
// names are cut to 255 bytes. An event whose name is still invalid (empty,
// or starting with '-', '_' or '+' because a value does) is refused for
// good, before anything is sent.
//
// # Ids, replays and 409
//
// The _id is the event's ID (Logplex frame id and index, CloudWatch event
// id, …), so that events delivered again after a crash (the write-ahead log
// is at-least-once) do not become duplicates: with "index" the replay
// replaces the document with an identical one; with "create" it is
// answered 409 version_conflict_engine_exception, which this sink counts
// as success (Stats.Duplicates): the document exists, so the event was
// delivered. A 409 of any other kind, or for the index action, is a
// failure. An id longer than the 512 bytes Elasticsearch allows is sent as
// "sha256:<hex of its SHA-256>", as stable. Events without an ID get an id
// chosen by the destination — and each replay of such an event is a new
// document, a duplicate. Config.OmitID sends no ids at all, for
// destinations that refuse them (OpenSearch Serverless time-series
// collections), with the same consequence for every event.
//
// # Requests
//
// A batch is sent as one request, or several when its NDJSON exceeds
// Config.MaxBulkBytes (default 5 MiB, uncompressed), one after another.
// Bodies are gzip'd (level 1) with Content-Encoding: gzip unless
// Config.DisableGzip; Content-Type is application/x-ndjson. The request
// asks for filter_path=errors,items.*.status,items.*.error (response
// filtering, in both Elasticsearch and OpenSearch), which shrinks the
// response to what is read; a server that ignores it answers in full,
// which reads the same, and one that refuses it (400 naming filter_path,
// as some Elasticsearch-compatible servers do) gets the request again
// without it, and no more after that. Each request is bounded by
// Config.Timeout (default 30s).
//
// Several URLs are used round-robin. A URL that gives no HTTP response
// (connection refused or reset, timeout, TLS failure) is marked down for
// 10 s and the same body is sent to the next URL at once; URLs marked down
// are tried last. A request that timed out may have been processed: with
// ids, sending it again creates no duplicates.
//
// # Results
//
// The response's "errors" false means every action succeeded. Otherwise
// each item is read, in order:
//   - 2xx: indexed; 409 for create: already there (see above);
//   - 429 (es_rejected_execution_exception: the write queue is full) and
//     5xx: retried — only these events, by the subscription helper after
//     its backoff;
//   - any other status (400 mapper_parsing_exception, …): refused for good,
//     with "<status> <type>: <reason> (caused by <type>: <reason>)" from the
//     response as the reason the events are dead-lettered with.
//
// Write reports these as a *sink.ItemsError. A whole request refused is
// handled by its status:
//   - 413: the request is sent again as two halves, recursively (at most
//     log2(events) levels); later requests are kept under half the refused
//     size. A single event still refused is dead-lettered;
//   - 408, 429, 5xx and connection errors: retryable, with the
//     destination's Retry-After (seconds or an HTTP date) as the error's
//     RetryAfter(), which the helper honours;
//   - 401, 403, 404, 3xx and other 4xx: permanent, with a message saying
//     what to check (credentials; privileges or access policy; the URL or
//     the data stream's index template; the redirect target).
//
// When a later request of a batch fails after earlier ones succeeded, the
// events of the failed and unsent requests are reported in the
// *sink.ItemsError with that request's error (wrapped so that its
// RetryAfter still reaches the helper).
//
// # Authentication
//
// One of: HTTP basic auth (Username, Password); an API key
// ("Authorization: ApiKey <base64 of id:api_key>"; Config.APIKey is either
// that encoded value, or "id:api_key", encoded here); or AWS SigV4
// (Config.AWS) for the service "es" (Amazon OpenSearch Service) or "aoss"
// (OpenSearch Serverless), with the region from the config or the SDK's
// default, and credentials from the SDK's default chain (AWS_ACCESS_KEY_ID
// / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, shared files and profiles,
// SSO, web identity, ECS task role, EC2 instance role), cached until they
// expire. The signature covers the body exactly as sent (gzip'd), whose
// SHA-256 is also sent as X-Amz-Content-Sha256 (OpenSearch Serverless
// requires it), and the Content-Type, Content-Encoding and Content-Length.
// TLS: the system roots or Config.CAFile, an optional client certificate,
// InsecureSkipVerify for tests.
//
// # Readings where the documentation leaves a choice
//
//   - "errors": false is trusted: the items are then not read. A 2xx
//     answer without "errors", or with a different number of items than
//     actions, is not a bulk response; the request is retried (the URL may
//     point at a proxy that answers for an unreachable cluster).
//   - Only a 409 of type version_conflict_engine_exception (or
//     document_already_exists_exception, its name before 6.0) to a create
//     means "already there"; Elasticsearch 1.x's string errors have no type
//     and count as failures.
//   - MaxBulkBytes counts the NDJSON before compression: the safe reading,
//     since Elasticsearch's HTTP layer decompresses a request before it
//     applies http.max_content_length. A proxy's limit on the compressed
//     body (Amazon OpenSearch Service: 10 or 100 MiB by instance type) is
//     learnt from its 413.
//   - Redirects are not followed (a redirected POST loses its body or
//     becomes a GET); they are permanent errors naming the target.
//   - A request that got no response (timeout, reset) may have been
//     processed; it goes to the next URL at once rather than failing the
//     batch, relying on ids to avoid duplicates.
package elasticsearch
