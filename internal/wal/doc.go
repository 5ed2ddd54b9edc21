// Package wal is sluice's write-ahead log: the component that makes
// "accepted" mean "durable".
//
// Sources call [Log.Append], which returns only after the fdatasync that
// covers the records. Every subscriber reads the log through its own
// [Cursor] and acknowledges what it has delivered with [Cursor.Ack].
// Segments are deleted once every cursor has acknowledged past them, and the
// total size of the live segments is capped by [Options.MaxBytes]: when a
// batch does not fit, Append refuses it with an error wrapping [ErrFull] and
// writes nothing of it.
//
// # On-disk format
//
// The directory holds segment files, a LOCK file (flock, one process per
// directory) and a cursors/ directory.
//
// A segment file is named by the sequence number of its first record,
// "%020d.seg". Segments are preallocated to [Options.SegmentBytes] with
// fallocate (where supported), so their unused tail reads as zeros. A segment
// starts with a 32-byte header, all integers little endian:
//
//	offset  size  field
//	0       8     magic "SLUICEWL"
//	8       4     format version (1)
//	12      4     flags (0)
//	16      8     sequence number of the first record (matches the file name)
//	24      4     crc32c (Castagnoli) of bytes 0..23
//	28      4     reserved (0)
//
// Records follow back to back, each
//
//	length uint32 | crc32c(payload) uint32 | payload
//
// with 1 <= length <= [MaxRecordBytes]. A length of zero marks the end of the
// records (the zeros of preallocation); empty records therefore cannot be
// appended. Sequence numbers are not stored per record: record i of a segment
// has sequence number first+i. Sequence numbers start at 1 and are
// consecutive across segments.
//
// A cursor file cursors/<name> is 20 bytes: magic "SLCR", version uint16 (1),
// reserved uint16, acknowledged sequence number uint64, crc32c of bytes 0..15.
//
// # Recovery
//
// [Open] scans every segment, verifying every record. The last segment is
// cut at its first bad record (a zero or impossible length, a record running
// past the end of the file, or a checksum mismatch): the file is truncated
// there, preallocated again and synced, so no stale bytes can ever follow
// newly appended records. Every record before the damage is kept. A bad
// record inside an older segment cannot be a torn write (a segment is synced
// before the next one is created); it is reported as corruption, the records
// after it are skipped by readers, and the file is left untouched for
// inspection. A segment whose header is invalid is renamed to *.corrupt,
// except a header of zeros in the newest segment (a crash while the segment
// was being created), which is removed.
//
// # Group commit
//
// Append encodes and checksums its records in the caller's goroutine and
// queues them. A single committer goroutine takes everything queued (up to
// 8 MiB), writes it with one pwritev and makes it durable with one
// fdatasync, then publishes the new last committed sequence number and wakes
// the appenders and blocked readers. Batches that arrive while a commit is
// in progress form the next commit. When a segment fills up mid-commit, the
// full segment is written and synced, then the next segment is created and
// the directory synced, before any record goes to the new segment. A failed
// write or fdatasync poisons the log: the state of the page cache is unknown
// after a failed fdatasync, so every later Append fails and the process
// should restart and recover.
//
// Readers use pread on the segment files and only ever see records up to
// the last committed (fsynced) sequence number. An in-memory sparse index per
// segment (one entry per 64 KiB, built while scanning on Open and extended on
// append) lets a cursor start anywhere.
//
// # Cursors, acknowledgement and fsync policy
//
// Delivery is at-least-once. [Cursor.Read] advances an in-memory read
// position; [Cursor.Ack] persists the acknowledged position by writing
// cursors/<name>~, fdatasyncing it and renaming it over cursors/<name>. The
// directory is not synced for every Ack: after a crash the rename may be
// lost, which only means records acknowledged shortly before the crash are
// delivered again, but the file is never torn. A cursor file that is missing
// or corrupt makes the cursor start at the oldest retained record, so data is
// re-delivered, never skipped. The cursor directory is synced on Close; the
// log directory on Open and whenever a segment is created.
//
// Retention considers every known cursor, open or not: cursors persisted by
// an earlier run keep their data until they are acknowledged or removed with
// [Log.DeleteCursor]. Without any cursor nothing is deleted. A segment is
// deleted when every cursor has acknowledged its last record; the segment
// being written is never deleted. Deletion needs no fsync: a segment that
// reappears after a crash is simply deleted again.
//
// # Locking
//
// Lock order: Cursor.mu before Log.mu. Log.mu guards the segment list, each
// segment's committed size, last sequence number and index, the queue of
// pending appends, the byte accounting and the cursor table; it is held only
// for bookkeeping, never across file IO or a channel wait. File IO happens
// outside every lock except Cursor.mu (a cursor's own reads and ack file
// writes). Only the committer goroutine writes to segment files, always past
// the committed size that readers stay below, so readers never block the
// writer and the writer never blocks readers.
package wal
