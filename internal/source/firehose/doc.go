// Package firehose receives Amazon (Kinesis) Data Firehose deliveries to an
// HTTP endpoint destination, as specified in "HTTP endpoint delivery request
// and response specifications" of the Firehose developer guide, whose
// records are CloudWatch Logs subscription documents (gzip'd, as a
// subscription filter with a Firehose destination writes them, or plain).
//
// # Request
//
// POST with a JSON body {"requestId":"…","timestamp":…,"records":[{"data":
// "<base64>"}]}, gzip'd as a whole when Content-Encoding is gzip, and the
// headers X-Amz-Firehose-Request-Id (the same across retries),
// X-Amz-Firehose-Access-Key (checked in constant time against
// Config.Auth; several keys allow rotation), X-Amz-Firehose-Source-Arn
// (arn:aws:firehose:REGION:ACCOUNT:deliverystream/NAME) and
// X-Amz-Firehose-Common-Attributes ({"commonAttributes":{"name":"value"}}).
//
// # Response
//
// Every answer is what Firehose requires: Content-Type application/json,
// an explicit Content-Length, no Content-Encoding, and the body
//
//	{"requestId":"<the request's id>","timestamp":<ms since the epoch>}
//
// with "errorMessage" (at most 8192 characters) added on failure. Firehose
// treats only 200 as delivered; it retries every other status with
// exponential back-off except 413, which it treats as a permanent failure
// (the batch is not retried, nor sent to its error bucket).
//
//	200 stored (only after the Ingester returned, i.e. the fsync); also a
//	    retry of a request already stored (same request id and source ARN,
//	    within DedupeWindow), which is not stored again, and a request of
//	    CONTROL_MESSAGE documents only, which are acknowledged, not stored
//	400 malformed: body JSON, base64, gzip or subscription document (the
//	    message names the record, e.g. "records[3]", from
//	    cloudwatch.DecodeError), too many records, a record over the limits
//	    (a gzip bomb), a bad X-Amz-Firehose-Common-Attributes, a request id
//	    in the body that differs from the header's, corrupt gzip body
//	401 missing or wrong X-Amz-Firehose-Access-Key
//	403 the access key is limited to groups and a log group is not one of
//	    them (named); nothing is stored
//	405 a method other than POST (Allow: POST)
//	408 the body stalled until the server's read timeout
//	413 the body, as sent or decompressed, exceeds MaxBodyBytes, or the
//	    batch is larger than the write-ahead log's whole cap
//	415 a Content-Encoding other than gzip
//	500 the pipeline failed otherwise (transient: Firehose retries)
//	503 the write-ahead log is full (Retry-After in seconds), sluice is
//	    shutting down, or the request was canceled (Connection: close)
//
// # Events
//
// Each log event of a DATA_MESSAGE becomes one event (see
// cloudwatch.Document.AppendEvents): group the log group, stream the log
// stream, ID the CloudWatch event id, Source "firehose", fields owner and
// subscription_filters, plus aws.region (from the ARN, else
// Config.Region), aws.account and firehose.stream (from the ARN) and
// firehose.<name> per common attribute. Config.Enricher then understands
// each event (Lambda START/END/REPORT lines, JSON bodies, severity).
//
// # Metrics
//
// With the label source="firehose": sluice_source_requests_total{code},
// sluice_source_records_total, sluice_source_events_accepted_total,
// sluice_source_duplicates_skipped_total (events of retried requests),
// sluice_source_control_messages_total, sluice_source_received_bytes_total
// and sluice_source_request_duration_seconds.
package firehose
