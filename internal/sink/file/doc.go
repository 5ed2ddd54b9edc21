// Package file is the simplest destination: events appended, one line
// each, to files named by a path template, with rotation, compression and
// retention of rotated files.
//
// # Paths
//
// Config.Path is a template of package internal/sink/tmpl, expanded per
// event: {group} {stream} {app} {host} {proc} {msgid} {source} {severity}
// {facility} {id} {fields.KEY} and {date} (the event's UTC day), %Y %m %d
// %H %M %j from the event's Time in UTC — else Received, else now; a time
// outside the years 1 to 9999 counts as missing. Every value taken from the
// event becomes one safe path element: only ASCII letters, digits, '.',
// '-', '_' and '@' stay, anything else becomes '_', leading slashes are
// dropped, a leading dot becomes '_' (so neither "." nor ".." can result),
// an empty value becomes "_", and values are cut to 200 bytes. Events
// therefore cannot write outside the directories the template names.
//
// # Formats
//
//   - ndjson (default): the event's JSON form (event.AppendJSON) and "\n".
//     `jq` reads the files, and so does `sluice parse -format events <
//     FILE` (parse.Reader with parse.FormatEvents), which gives back the
//     same events. Event.Raw is not part of the JSON form. parse.Reader
//     skips lines over its MaxLineBytes (64 KiB by default), so events
//     with larger messages do not read back that way.
//   - raw: Event.Raw when it is not empty — the frame as received, e.g. a
//     syslog message without its octet count — else Event.Message. One
//     trailing LF is removed, then one trailing CR; every LF left becomes
//     the four bytes "#012" and every CR "#015" (rsyslog's escapes for
//     control characters), so that one event stays one line; then "\n"
//     ends the line. Nothing else is changed. A raw file of syslog frames
//     reads back with `sluice parse -format syslog`.
//
// # Rotation
//
// A file is rotated before a line would make it larger than MaxFileBytes
// (a line larger than that goes alone into a fresh file), and when the
// sink opened it MaxFileAge ago or longer (the age of an empty file starts
// with its first line; a file found on disk when the sink starts counts as
// opened when the sink first writes to it; closing a file to stay within
// MaxOpenFiles does not restart its age). Age is checked when a Write
// touches the file and, at most once a second, for every file the sink
// opened, so that files nothing is written to any more are rotated too —
// but only when some Write happens.
//
// A rotated file is complete before it is renamed: its buffer flushed,
// fsynced (whatever Sync says), closed; after the rename its directory is
// fsynced. It is named <stem>.<UTC timestamp>[.<n>]<ext>: ext is the
// template file name's literal extension, from its last dot, when no
// placeholder follows that dot and something precedes it; stem is the
// rest. The timestamp is the rotation time as 20060102T150405Z; n (1, 2, …)
// tells apart rotations within one second. So with the template
// "{group}/{date}.ndjson":
//
//	web/2026-11-20.ndjson → web/2026-11-20.20261120T101500Z.ndjson
//	                      → web/2026-11-20.20261120T101500Z.1.ndjson
//
// and with "{group}/{stream}" (no extension) "web/web.1" becomes
// "web/web.1.20261120T101500Z". The next line goes to a new file under the
// live name.
//
// # Compression
//
// With Compress, each rotated file is gzipped by one background goroutine:
// written to <rotated>.gz.tmp, fsynced, renamed to <rotated>.gz, the
// directory fsynced, then <rotated> removed — so at every moment the data
// is in <rotated> or in a complete <rotated>.gz. `zcat f.gz | jq` reads it.
// Close waits up to CloseTimeout for the queue, then cuts it short.
//
// New recovers what a crash (or a cut-short Close) left behind, in every
// directory the template can expand to (found by matching directory names
// against the template, from its literal root): a .gz.tmp is removed; a
// rotated file whose .gz exists is removed; with Compress, a rotated file
// without .gz is compressed (again) in the background.
//
// # Retention
//
// After each rotation of a path, and at New for every path found, the
// rotated files of that path (compressed or not) are ordered by the
// timestamp and n in their names: beyond the newest MaxFiles, and those
// rotated more than MaxAge ago, are deleted. Live files are never deleted.
//
// # Durability
//
// Sync batch (default) fsyncs every file a batch wrote — and, for a file
// the batch created, its directory and those created for it — before Write
// returns: an acknowledged event survives a machine crash. Sync interval
// flushes to the operating system before Write returns and fsyncs in the
// background every SyncInterval: a machine crash (not a process crash)
// loses up to SyncInterval of events although they were acknowledged; a
// failed background fsync is logged and returned by the next Write. Sync
// never leaves it to the operating system. A process crash loses nothing
// in any mode: Write always flushes its buffers.
//
// A Write that fails part-way reports the events written before the
// failing one as delivered (*sink.PartialError) when they are on disk; when
// buffered lines may have been lost it fails the whole batch, which the
// helper retries (at-least-once: lines may then appear twice).
package file
