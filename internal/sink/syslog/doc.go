// Package syslog is the syslog sink: it forwards events over TCP or TLS
// (RFC 5425) to a syslog receiver, one octet-counted frame per event
// (RFC 6587 section 3.4.1: "MSG-LEN SP SYSLOG-MSG"), over a pool of
// persistent connections.
//
// # Formats
//
//   - rfc5424 builds "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [SP MSG]"
//     from the event: PRI from Facility and Severity (event.PRI; user when
//     there is no facility), Time (else Received) in UTC with microseconds,
//     the NILVALUE for empty fields, header fields reduced to PRINTUSASCII
//     ('_' for anything else) and cut to the RFC limits (255/48/128/32
//     bytes). Every field whose key is "SD-ID.PARAM-NAME" (split at the last
//     '.', both parts valid SD-NAMEs; this is how the syslog parser names
//     SD-PARAMs) becomes a PARAM of an SD-ELEMENT, one element per SD-ID in
//     order of first appearance, values escaped ('"', '\', ']'); that
//     includes "origin.ip" and "logplex.drain_token". SD-ELEMENTs without
//     parameters are not reproduced (use raw or logiss for that).
//   - raw sends Event.Raw unchanged: the frame as it was received, without
//     its length prefix. Events without Raw are sent as rfc5424.
//   - logiss reproduces what heroku/log-iss forwards, byte for byte
//     (cmd/forwarder/fixer.go; its test vectors are in this package's
//     tests). Event.Raw is split like github.com/bmizerany/lpx does: six
//     header fields, each up to the next SP, then the rest b. Written are
//     PRI+VERSION, TIMESTAMP, HOSTNAME (the drain token instead when it is
//     Logplex's default "host" and a token is known; cut to 255 bytes),
//     APP-NAME, PROCID, MSGID (cut to 48, 128, 32 bytes), each followed by
//     SP, then [origin ip="…"] when the address is known, then b: as b[1:]
//     when it starts with "- " (NILVALUE STRUCTURED-DATA), otherwise after
//     an SP unless it starts with '[' (its STRUCTURED-DATA thus follows the
//     origin element). A trailing "\n" is kept and the length re-counted.
//     Unlike log-iss, the ip is escaped as an RFC 5424 PARAM-VALUE. Events
//     without a usable Raw (missing, or not starting with "<PRI>VERSION")
//     are built as rfc5424 — leaving out the "origin" and "logplex" SD-IDs,
//     which the rewrite itself uses — and rewritten the same way.
//     log-iss's METADATA_ID element (query parameters of the drain URL) is
//     written after the origin element when Config.MetadataID is set, from
//     the fields "<MetadataID>.<param>" the logplex source records.
//
// Fields read from events, which sources set: "origin.ip" (FieldOriginIP,
// the sender's address — log-iss uses X-Forwarded-For, else the peer
// address) and "logplex.drain_token" (FieldDrainToken, the
// Logplex-Drain-Token header). When "logplex.drain_token" is absent,
// Event.Source is taken as the drain token, so sources that do not set the
// field must not use a Source that cannot stand as a hostname.
//
// # Concurrency
//
// The sink contract has one goroutine call Write at a time (the helper owns
// one cursor per subscription and retries the undelivered tail of a
// batch), so one Write spreads its batch over the pool rather than relying
// on the caller to run N delivery goroutines: it takes every idle
// connection (as many as give each at least 32 events), splits the batch
// into contiguous chunks in order and writes them in parallel, one
// goroutine per extra chunk. Because chunks are contiguous, a failure still
// maps onto "the first Delivered events" of *sink.PartialError. Small batches
// use one connection; successive Writes rotate through the pool (the idle
// list is FIFO), so every connection stays in use. Write is nevertheless
// safe for concurrent use: concurrent calls share the pool, each taking
// free connections. With more than one connection the destination may
// receive events out of order, as with log-iss's parallel forwarders;
// configure one connection where order matters.
//
// Memory is bounded per connection: frames are encoded into the
// connection's own buffer, written out every 256 KiB, and a buffer larger
// than 1 MiB (one huge frame) is not kept.
//
// # Connections
//
// Dials are bounded by ConnectTimeout (TCP and TLS handshake). A connection
// that is down is re-dialled by the next Write or Connect that needs it, at
// most once per backoff interval (exponential from ReconnectMin to
// ReconnectMax, factor 2, ±50% jitter). The backoff is reset only when a
// healthy connection is lost — one on which a write still succeeded 10 s
// after it was established — so a destination that accepts and drops
// connections, or accepts and stops reading, sees attempts at growing
// intervals, never a storm. Every write of a batch on a connection
// has one deadline (WriteTimeout, or ctx's deadline if sooner; cancelling
// ctx interrupts it). A failed or timed-out write closes the connection: a
// frame that was partly written is never followed by anything else on that
// connection (the receiver sees a truncated last frame, then the end of the
// stream), and it is re-sent only on another connection.
//
// TLS uses Config.TLSConfig: a CA bundle (or the system pool), an optional
// client certificate for mutual TLS, the server name (default: the host of
// Address), TLS 1.2 or later. A TLS 1.3 server rejects a client
// certificate only after the client has finished its handshake; when the
// server asked for one, connecting waits up to 300 ms for such a rejection,
// so that a mutual-TLS misconfiguration fails the connect instead of
// silently swallowing what is written.
//
// Each connection has a goroutine reading from it. Syslog receivers send
// nothing, so the read returns only when the destination closes (EOF) or
// resets (RST) the connection, or it fails; the connection is then marked
// dead and closed at once, and Write checks this before every write, so it
// reconnects (or fails) instead of writing into a dead socket.
//
// # Delivery guarantee
//
// Syslog over TCP or TLS has no application-level acknowledgement: a write
// that succeeds means only that the local kernel accepted the bytes into
// the socket's send buffer. Nothing tells the sender whether the receiver
// read, let alone stored, them. If the connection then breaks, whatever was
// still in flight — in the local send buffer, on the wire, or in the
// receiver's socket buffer unread — is lost without any error reaching the
// sender; a reset (RST) seen after a write is the typical sign, and is
// counted in Stats.Resets.
//
// Sluice's guarantee is therefore at-least-once up to the local kernel.
// Write reports an event delivered once its whole frame has been handed to
// the kernel; an event whose frame was not (connection refused, write
// timeout, reset or close noticed before the write) is reported not
// delivered (*sink.PartialError counts only the leading events whose frames
// were handed over completely) and the subscription helper re-sends it, on a
// new connection, after its own backoff — never losing it, possibly
// duplicating it.
//
// A frame reported delivered could still be lost if the connection breaks
// afterwards, with the frame unread in the destination's buffers. So each
// connection keeps copies of the whole frames it wrote in the last 2 s (at
// most 2 MiB, inDoubtWindow and inDoubtBytes); when the connection is lost,
// those are written again first on the next connection (counted in
// Stats.ReplayedBytes). A destination that dies or restarts therefore loses
// nothing written within that window — it may see those frames twice. What
// remains: frames left unread longer than the window by a destination that
// then dies, and the copies themselves if sluice stops before reconnecting.
// Closing that gap needs an application acknowledgement (RELP, or an HTTP
// destination with a status per request).
package syslog
