// Package cloudwatch receives CloudWatch Logs subscription events forwarded
// over HTTP: the event CloudWatch Logs invokes a Lambda function with,
// {"awslogs":{"data":"<base64(gzip(document))>"}}, or a JSON array of them,
// POSTed as is by a small forwarder function (optionally gzip'd as a whole,
// Content-Encoding: gzip).
//
// # Answers
//
// Every answer is JSON with an explicit Content-Length: on success
// {"accepted":N,"duplicates":M} (N events stored, M skipped because they
// were stored already), otherwise {"error":"..."} naming the problem.
//
//	200 stored, only after the Ingester returned (the fsync); events whose
//	    CloudWatch event id was stored within DedupeWindow are skipped
//	    (counted in "duplicates"); CONTROL_MESSAGE documents are
//	    acknowledged, not stored
//	400 malformed: JSON, base64, gzip or subscription document (the message
//	    names the element of a batch and the document, from
//	    cloudwatch.DecodeError), too many elements, an element over the
//	    limits (a gzip bomb), corrupt gzip body
//	401 missing or wrong bearer token (WWW-Authenticate from auth.Set)
//	403 the token is limited to groups and a log group is not one of them
//	    (named); nothing is stored
//	405 a method other than POST (Allow: POST)
//	408 the body stalled until the server's read timeout
//	413 the body, as sent or decompressed, exceeds MaxBodyBytes, or the
//	    batch is larger than the write-ahead log's whole cap
//	415 a Content-Encoding other than gzip
//	500 the pipeline failed otherwise (retry)
//	503 the write-ahead log is full (Retry-After in seconds), sluice is
//	    shutting down, or the request was canceled (Connection: close)
//
// # Events
//
// Each log event of a DATA_MESSAGE becomes one event (see
// cloudwatch.Document.AppendEvents): group the log group, stream the log
// stream, ID the CloudWatch event id, Source "cloudwatch", fields owner and
// subscription_filters, and aws.region when Config.Region is set.
// Config.Enricher then understands each event.
//
// # Metrics
//
// With the label source="cloudwatch": sluice_source_requests_total{code},
// sluice_source_records_total (documents), sluice_source_events_accepted_total,
// sluice_source_duplicates_skipped_total, sluice_source_control_messages_total,
// sluice_source_received_bytes_total and
// sluice_source_request_duration_seconds.
package cloudwatch
