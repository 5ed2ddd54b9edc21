package elasticsearch

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/sink/tmpl"
)

// maxIDBytes is the longest _id Elasticsearch and OpenSearch accept.
const maxIDBytes = 512

// maxIndexBytes is the longest index name Elasticsearch accepts.
const maxIndexBytes = 255

// invalidIndexChars may not appear in an index name (besides upper case
// letters, control characters and a leading '-', '_' or '+'); ':' is
// deprecated since 7.0.
const invalidIndexChars = `\/*?"<>| ,#:`

// The bulk actions used: index (replace a document with the same _id) for
// indices, create (only add) for data streams, which accept nothing else.
const (
	actionIndex  = `{"index":{"_index":`
	actionCreate = `{"create":{"_index":`
)

// appendItem appends one bulk action and its document, each a line:
//
//	{"index":{"_index":"sluice-2026.03.07","_id":"<event ID>"}}
//	{"@timestamp":"2026-03-07T04:05:06.000000000Z","time":…,"severity":6,…}
//
// action is actionIndex or actionCreate; index is the index or data stream
// name; the _id is left out when id is empty. The document is the event's
// JSON form with "@timestamp" (ts, RFC 3339 with nanoseconds, UTC) spliced
// in as its first key, so the JSON is written once.
func appendItem(dst []byte, action string, index []byte, id string, ts time.Time, e *event.Event) []byte {
	dst = append(dst, action...)
	dst = appendQuotedBytes(dst, index)
	if id != "" {
		dst = append(dst, `,"_id":`...)
		dst = appendID(dst, id)
	}
	dst = append(dst, "}}\n"...)
	dst = append(dst, `{"@timestamp":"`...)
	dst = ts.UTC().AppendFormat(dst, event.TimeFormat)
	dst = append(dst, '"')
	// AppendJSON starts its object with '{' and always writes a key
	// ("severity" at least): turn that '{' into the ',' after @timestamp.
	brace := len(dst)
	dst = e.AppendJSON(dst)
	dst[brace] = ','
	return append(dst, '\n')
}

// appendID writes id as a JSON string. An id longer than the 512 bytes
// Elasticsearch allows is replaced by "sha256:" and its hash in hex, which
// is as stable (a replay still finds the document) and short enough.
func appendID(dst []byte, id string) []byte {
	if len(id) <= maxIDBytes {
		return event.AppendQuoted(dst, id)
	}
	sum := sha256.Sum256([]byte(id))
	dst = append(dst, `"sha256:`...)
	dst = hex.AppendEncode(dst, sum[:])
	return append(dst, '"')
}

// appendQuotedBytes is event.AppendQuoted for a name already made of
// allowed characters (no quotes, backslashes or control characters), which
// holds for every name indexNamer produces.
func appendQuotedBytes(dst, s []byte) []byte {
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// eventTime is the @timestamp of e: its Time, else when sluice received
// it, else now (data streams require a @timestamp).
func eventTime(e *event.Event, now time.Time) time.Time {
	switch {
	case !e.Time.IsZero():
		return e.Time
	case !e.Received.IsZero():
		return e.Received
	}
	return now
}

// indexNamer expands the index (or data stream) template for an event.
type indexNamer struct {
	t *tmpl.Template
	// static is the name when the template has no placeholder.
	static []byte
}

func newIndexNamer(t *tmpl.Template) indexNamer {
	n := indexNamer{t: t}
	if t.Static() {
		n.static = []byte(t.String())
	}
	return n
}

// name appends the index name for e to dst. Values taken from the event
// are made safe (appendIndexValue); a name longer than 255 bytes is cut. It
// returns a description of the problem when the result is still not a
// valid name (empty, ".", "..", or starting with '-', '_' or '+').
func (n *indexNamer) name(dst []byte, e *event.Event) ([]byte, string) {
	if n.static != nil {
		return append(dst, n.static...), ""
	}
	start := len(dst)
	dst = n.t.ExecuteFunc(dst, e, appendIndexValue)
	name := dst[start:]
	if len(name) > maxIndexBytes {
		cut := maxIndexBytes
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		dst = dst[:start+cut]
		name = dst[start:]
	}
	switch {
	case len(name) == 0:
		return dst, "the name is empty"
	case string(name) == "." || string(name) == "..":
		return dst, "the name is " + string(name)
	case name[0] == '-' || name[0] == '_' || name[0] == '+':
		return dst, "the name " + string(name) + " starts with " + string(name[:1]) + " (not allowed in index names)"
	}
	return dst, ""
}

// appendIndexValue appends a value taken from an event to an index name:
// lowercased, with characters not allowed in index names (and invalid
// UTF-8) replaced by '_'.
func appendIndexValue(dst []byte, v string) []byte {
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			switch {
			case c >= 'A' && c <= 'Z':
				c += 'a' - 'A'
			case c < 0x20 || c == 0x7f || strings.IndexByte(invalidIndexChars, c) >= 0:
				c = '_'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(v[i:])
		i += size
		if r == utf8.RuneError || r == '\u2028' || r == '\u2029' { // invalid UTF-8 or a literal U+FFFD
			dst = append(dst, '_')
			continue
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
	}
	return dst
}

// invalidNameChar returns the first character of name not allowed in an
// index name, or -1.
func invalidNameChar(name string) rune {
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError || (r < utf8.RuneSelf && strings.IndexByte(invalidIndexChars, byte(r)) >= 0) {
			return r
		}
	}
	return -1
}
