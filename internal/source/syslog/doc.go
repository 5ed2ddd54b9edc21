// Package syslog is the syslog listener source: it receives RFC 5424 and
// RFC 3164 messages over TCP, TLS (optionally mutual TLS) and UDP, and hands
// them to the pipeline's Ingester.
//
// # TCP and TLS
//
// Each connection has its own goroutine and its own syslog.Framer, which
// detects octet counting (RFC 6587 3.4.1, RFC 5425) or newline framing from
// the first bytes of the connection and resynchronises after a bad frame
// (counted in sluice_source_frame_errors_total). Frames are copied into a
// per-connection batch (at most BatchSize messages, batchMaxBytes bytes, or
// BatchDelay old) that becomes one string when it is ingested, so events never
// alias the Framer's reused buffer.
//
// Acknowledgement is reading progress: while an Ingest call is in flight
// for a connection, nothing more is read from it, so a slow or full
// write-ahead log fills the kernel's socket buffers and the sender's writes
// block. When the log is full (*pipeline.FullError) the same batch is retried
// after RetryAfter (bounded by maxFullWait); nothing is dropped. ErrClosed
// ends the connection.
//
// A message that does not parse is kept raw: its text becomes the message,
// its severity info, and a parse_error field says why
// (sluice_source_frames_malformed_total).
//
// # UDP
//
// One datagram is one message, or several separated by newlines. UDP is best
// effort: a reader goroutine batches datagrams and hands batches to an
// ingesting goroutine; a batch the log refuses (full), or one that cannot be
// handed over within udpHandoffWait, is dropped and counted in
// sluice_source_udp_drops_total. Datagrams the kernel dropped because the
// socket's receive buffer was full are counted with SO_RXQ_OVFL in
// sluice_source_udp_kernel_drops_total.
//
// # Events
//
// Every event has Received set to the time its batch was ingested, Source
// "syslog:" followed by the listen address as configured (for example
// "syslog:tcp://127.0.0.1:5514"), the field syslog.peer (the sender's IP
// address) and, for mutual TLS, syslog.client (the client certificate's
// common name). Group and Stream come from the host and the app by default
// (GroupFrom, StreamFrom); an empty value becomes "unknown".
package syslog
