// Package store is sluice's embedded log store: every event it is given,
// kept in one SQLite database per UTC day (modernc.org/sqlite, pure Go),
// searchable with the query language of package query, counted per
// severity over time (Histogram) and per group and stream (Groups,
// Streams).
//
// # Writing
//
// The store is a sink (Connect, Write, Close): the server runs it under
// sinkhelper with its own cursor on the write-ahead log, so it may lag but
// never slows ingest. Write stores a batch in one transaction per day
// file. An event goes to the day of its Time (else Received); an event
// whose Time is past Retention or more than a day ahead goes to the day it
// was received, its own time kept in fields.original_time, and is dropped
// only when that too is past Retention. An event whose ID is already
// stored is skipped (INSERT … ON CONFLICT(id) DO NOTHING), so the replay
// after a crash adds no duplicate; events without an ID are always stored
// (a replay stores them again). Databases use WAL journal mode with
// synchronous=NORMAL: a power loss may lose the last transactions although
// Write returned, never corrupt a database.
//
// A transaction inserts its events with multi-row INSERTs, then adds the
// counts, then fills the full-text index with one statement, so that FTS5
// adds one segment to the index per transaction (insert.go says why). The
// one writer takes about 13 µs of CPU per event over a day of 2M events
// (BenchmarkIndexDay: 70,000 to 80,000 events/s). Rowids follow event
// time, so events arriving in time order are appended; events much older
// than those around them (a replay, a late batch) are inserted among
// pages written before and cost several times more.
//
// # Layout of a day (2026-11-21.db)
//
//   - events: time (ns), received, severity, severity_source, facility,
//     host, app, proc, msgid, grp, stream, source, id (UNIQUE, NULL when
//     empty), message, fields (the JSON object of the event's JSON form).
//     Its rowid (seq) is the time within the day in units of 1024 ns,
//     shifted left 26 bits, plus a sequence number: rowid order is time
//     order, so "newest first" walks the primary key (or the full-text
//     index, whose doclists are in rowid order) backwards and stops at the
//     page size, and an index on (grp) is an index on (grp, time). Indexes:
//     grp, severity, app (each implicitly followed by time), id.
//   - messages: a contentless FTS5 table (content set to "",
//     columnsize=0, automerge 16; store.go says why), filled by Write.
//     The message is stored once, in events; contentless and external
//     content tables index the same and are the same size, and we never
//     delete or update rows (retention deletes files), which is the one
//     thing contentless tables cannot do. detail=full is kept so phrases
//     are answered by the index. Tokenizer: unicode61 with
//     remove_diacritics 0 and no extra tokenchars, so that words split at
//     every punctuation character ("10.0.0.1" is 10 0 0 1, "/aws/lambda/fn"
//     is aws lambda fn): a term is looked up as a phrase ("10.0.0.1"; with
//     a prefix on its last token for time*), which finds it inside URLs, paths,
//     key=value pairs and JSON alike; tokenchars such as _.-:/ would make
//     "lambda" miss "/aws/lambda/fn".
//   - summary (grp, stream, severity → count, last time) and minutes
//     (minute, grp, severity → count), updated in the insert transaction:
//     Groups, Streams and most histograms read these, not the events.
//
// # Searching
//
// Search walks the days newest first. Terms and phrases become an FTS5
// MATCH (AND, OR; exclusions are not given to the index), field filters
// SQL conditions (severity comparisons, exact values, globs as GLOB, their
// negations), and query.Match filters what SQL cannot express (fields.*,
// filter patterns, exclusions of terms) and checks the whole-word
// reading exactly; so the store returns exactly what live tail's Match
// accepts. Pages are keyset-paginated: the cursor is "DAY.SEQ" of the last
// event returned; the next page continues below it, so pages never
// overlap or skip, even while events are written. Events of the same 1024
// ns tick are ordered by arrival. Each Search, Histogram, Groups and
// Streams runs under QueryTimeout.
//
// # Retention
//
// At Open and every RetentionInterval: days that ended more than Retention
// ago are deleted, then the oldest days until all files (with their -wal
// and -shm) take at most MaxBytes. The newest day is never deleted. A day
// being searched is deleted when the search lets go of it.
package store
