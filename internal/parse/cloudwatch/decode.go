// Package cloudwatch decodes what CloudWatch Logs subscriptions deliver:
// subscription documents (DATA_MESSAGE and CONTROL_MESSAGE), Lambda-style
// {"awslogs":{"data":...}} events, and Kinesis Data Firehose HTTP endpoint
// requests whose records hold gzip'd documents. Documents turn into
// event.Events with Document.AppendEvents.
//
// A Decoder keeps a gzip reader and buffers for reuse; the package-level
// functions make a Decoder per call.
package cloudwatch

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// Default limits.
const (
	// DefaultMaxRecords is the default limit on records in a Firehose
	// request (and on elements of a batched Lambda event).
	DefaultMaxRecords = 10_000
	// DefaultMaxRecordBytes is the default limit on a base64-decoded record:
	// Firehose's own record limit, 1,000 KiB.
	DefaultMaxRecordBytes = 1000 * 1024
	// DefaultMaxDecompressedBytes is the default limit on the decompressed
	// size of one record or Lambda event, 16 MiB.
	DefaultMaxDecompressedBytes = 16 << 20
)

// Limits bound the work a request can cause. A zero or negative field means
// its default.
type Limits struct {
	// MaxRecords is the most records a Firehose request (or elements a
	// batched Lambda event) may hold.
	MaxRecords int
	// MaxRecordBytes is the most bytes a record's (or awslogs.data's) data
	// may have after base64 decoding.
	MaxRecordBytes int
	// MaxDecompressedBytes is the most bytes one record or Lambda event may
	// decompress to; it protects against gzip bombs.
	MaxDecompressedBytes int
}

// DefaultLimits returns the default limits: 10,000 records, 1,000 KiB per
// record, 16 MiB decompressed per record.
func DefaultLimits() Limits {
	return Limits{
		MaxRecords:           DefaultMaxRecords,
		MaxRecordBytes:       DefaultMaxRecordBytes,
		MaxDecompressedBytes: DefaultMaxDecompressedBytes,
	}
}

func (l Limits) withDefaults() Limits {
	if l.MaxRecords <= 0 {
		l.MaxRecords = DefaultMaxRecords
	}
	if l.MaxRecordBytes <= 0 {
		l.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if l.MaxDecompressedBytes <= 0 {
		l.MaxDecompressedBytes = DefaultMaxDecompressedBytes
	}
	return l
}

// What a DecodeError is about.
const (
	// InputFirehoseRequest is a Firehose HTTP endpoint request body; Index
	// is a record index.
	InputFirehoseRequest = "Firehose request"
	// InputRecord is one record's data decoded on its own.
	InputRecord = "record"
	// InputLambdaEvent is a Lambda-style event body; Index is the element
	// index when the body is an array.
	InputLambdaEvent = "Lambda event"
)

// DecodeError describes bad input precisely enough to answer 400 naming the
// record: which input, which record or element, which document inside it,
// and why.
type DecodeError struct {
	// Input is InputFirehoseRequest, InputRecord or InputLambdaEvent.
	Input string
	// Index is the record (Firehose) or element (batched Lambda event)
	// index, -1 when not applicable.
	Index int
	// Document is the index of the JSON document inside the record's
	// decompressed data, -1 when not applicable.
	Document int
	// Reason says what is wrong.
	Reason string
}

// Error returns e.g. "cannot decode Firehose request: records[3]: document 1:
// unknown messageType \"FOO\"".
func (e *DecodeError) Error() string {
	b := make([]byte, 0, 64+len(e.Reason))
	b = append(b, "cannot decode "...)
	b = append(b, e.Input...)
	b = append(b, ": "...)
	if e.Index >= 0 {
		if e.Input == InputLambdaEvent {
			b = append(b, "element "...)
			b = strconv.AppendInt(b, int64(e.Index), 10)
		} else {
			b = append(b, "records["...)
			b = strconv.AppendInt(b, int64(e.Index), 10)
			b = append(b, ']')
		}
		b = append(b, ": "...)
	}
	if e.Document >= 0 {
		b = append(b, "document "...)
		b = strconv.AppendInt(b, int64(e.Document), 10)
		b = append(b, ": "...)
	}
	b = append(b, e.Reason...)
	return string(b)
}

// recordError is a problem in one record's data, before the caller knows
// which input and index it belongs to.
type recordError struct {
	doc    int
	reason string
}

func (d *Decoder) wrap(input string, index int, re *recordError) *DecodeError {
	return &DecodeError{Input: input, Index: index, Document: re.doc, Reason: re.reason}
}

// Decoder decodes Firehose requests, records and Lambda events, reusing a
// gzip reader and buffers between calls. Make one with NewDecoder. It is not
// safe for concurrent use; use one per goroutine (or a sync.Pool).
type Decoder struct {
	lim Limits
	gz  gzip.Reader
	br  bytes.Reader
	buf []byte // decompressed data
}

// NewDecoder returns a Decoder that enforces lim.
func NewDecoder(lim Limits) *Decoder {
	return &Decoder{lim: lim.withDefaults()}
}

// Limits returns the limits d enforces, defaults filled in.
func (d *Decoder) Limits() Limits { return d.lim }

// DecodeRecord decodes one record's data (see Decoder.DecodeRecord) with the
// given limits.
func DecodeRecord(data []byte, lim Limits, dst []Document) ([]Document, error) {
	return NewDecoder(lim).DecodeRecord(data, dst)
}

// DecodeRecord decodes the subscription documents in one record's data and
// appends them to dst. The data is gzip (possibly several concatenated gzip
// members) or, when it does not start with the gzip magic bytes, plain
// JSON; the decompressed content may hold several documents, back to back
// or separated by whitespace. Control messages are included (see
// Document.IsControl). Errors are *DecodeError with Input InputRecord.
//
// Documents in dst's spare capacity are reused (their LogEvents capacity
// too); the returned documents share no memory with data.
func (d *Decoder) DecodeRecord(data []byte, dst []Document) ([]Document, error) {
	dst, re := d.decodeRecord(data, false, dst)
	if re != nil {
		return dst, d.wrap(InputRecord, -1, re)
	}
	return dst, nil
}

// DecodeRecords decodes every record of a Firehose request (see
// Decoder.DecodeRecord), appending the documents to dst. Errors are
// *DecodeError with Input InputFirehoseRequest and Index the record; the
// slice returned with an error holds the documents decoded before it.
func (d *Decoder) DecodeRecords(records [][]byte, dst []Document) ([]Document, error) {
	for i, rec := range records {
		var re *recordError
		dst, re = d.decodeRecord(rec, false, dst)
		if re != nil {
			return dst, d.wrap(InputFirehoseRequest, i, re)
		}
	}
	return dst, nil
}

func (d *Decoder) decodeRecord(data []byte, mustGzip bool, dst []Document) ([]Document, *recordError) {
	var plain []byte
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		var re *recordError
		plain, re = d.gunzip(data)
		if re != nil {
			return dst, re
		}
	} else {
		if mustGzip {
			return dst, &recordError{-1, "awslogs.data is not gzip data"}
		}
		if len(data) == 0 {
			return dst, &recordError{-1, "data is empty"}
		}
		if len(data) > d.lim.MaxDecompressedBytes {
			return dst, &recordError{-1, "data is " + strconv.Itoa(len(data)) +
				" bytes, more than the limit of " + strconv.Itoa(d.lim.MaxDecompressedBytes)}
		}
		plain = data
	}
	return d.decodeDocuments(plain, dst)
}

// gunzip decompresses data into d.buf, reading at most
// MaxDecompressedBytes+1 bytes. The result is valid until the next call.
func (d *Decoder) gunzip(data []byte) ([]byte, *recordError) {
	d.br.Reset(data)
	if err := d.gz.Reset(&d.br); err != nil {
		return nil, gzipError(err)
	}
	limit := d.lim.MaxDecompressedBytes
	buf := d.buf[:0]
	if cap(buf) == 0 {
		n := min(limit+1, max(4*len(data), 32<<10))
		buf = make([]byte, 0, n)
	}
	for {
		if len(buf) == cap(buf) {
			// len(buf) <= limit here, so the new capacity is larger.
			n := min(limit+1, 2*cap(buf))
			nb := make([]byte, len(buf), n)
			copy(nb, buf)
			buf = nb
		}
		n, err := d.gz.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > limit {
			return nil, &recordError{-1, "decompressed data exceeds the limit of " + strconv.Itoa(limit) + " bytes"}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, gzipError(err)
		}
	}
	if cap(buf) <= maxKeptBuffer {
		d.buf = buf[:0]
	} else {
		d.buf = nil // do not keep a huge buffer alive in a pooled Decoder
	}
	return buf, nil
}

// maxKeptBuffer is the largest decompression buffer a Decoder keeps for
// the next record.
const maxKeptBuffer = 4 << 20

func gzipError(err error) *recordError {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &recordError{-1, "gzip data is truncated"}
	}
	return &recordError{-1, "invalid gzip data: " + err.Error()}
}

// decodeDocuments decodes the JSON documents in data (back to back or
// separated by whitespace) and appends them to dst.
func (d *Decoder) decodeDocuments(data []byte, dst []Document) ([]Document, *recordError) {
	pos := skipSpace(data, 0)
	if pos == len(data) {
		return dst, &recordError{-1, "data holds no JSON document"}
	}
	// Usually data is one document: decode it in one go, without looking
	// for where it ends first.
	multi := false
	for n := 0; pos < len(data); n++ {
		var doc *Document
		dst, doc = nextDocument(dst)
		end := len(data)
		if multi {
			end = valueEnd(data, pos)
		}
		err := json.Unmarshal(data[pos:end], doc)
		if err != nil && !multi {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				// A syntax error leaves doc untouched. Is it text after
				// the first document, i.e. are there several?
				if e := valueEnd(data, pos); skipSpace(data, e) < len(data) {
					multi, end = true, e
					err = json.Unmarshal(data[pos:end], doc)
				}
			}
		}
		if err != nil {
			return dst[:len(dst)-1], &recordError{n, describeJSONError(err, pos)}
		}
		if reason := validate(doc); reason != "" {
			return dst[:len(dst)-1], &recordError{n, reason}
		}
		pos = skipSpace(data, end)
	}
	return dst, nil
}

// nextDocument appends a zero Document to dst, reusing the spare capacity of
// dst and of a reused document's slices.
func nextDocument(dst []Document) ([]Document, *Document) {
	if len(dst) == cap(dst) {
		dst = append(dst, Document{})
		return dst, &dst[len(dst)-1]
	}
	dst = dst[:len(dst)+1]
	doc := &dst[len(dst)-1]
	// encoding/json decodes into existing slice elements without zeroing
	// them first, so clear the reused log events.
	events := doc.LogEvents[:cap(doc.LogEvents)]
	clear(events)
	filters := doc.SubscriptionFilters[:0]
	*doc = Document{LogEvents: events[:0], SubscriptionFilters: filters}
	return dst, doc
}

func validate(doc *Document) string {
	switch doc.MessageType {
	case DataMessage, ControlMessage:
		return ""
	case "":
		return "messageType is missing"
	default:
		return "unknown messageType " + strconv.Quote(doc.MessageType)
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// valueEnd returns the index just past the JSON value starting at b[i]
// (b[i] is not whitespace). It only tracks nesting and strings; the value
// is validated by encoding/json afterwards, so on malformed input it merely
// returns some end within b.
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '{', '[':
	case '"':
		return stringEnd(b, i+1)
	default:
		// A scalar: up to the next delimiter.
		for i < len(b) {
			switch b[i] {
			case ' ', '\n', '\r', '\t', '{', '[', '"', ',', ']', '}':
				return i
			}
			i++
		}
		return i
	}
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		case '"':
			i = stringEnd(b, i+1)
			continue
		}
		i++
	}
	return len(b)
}

// stringEnd returns the index just past the closing quote of the string
// whose contents start at b[i], or len(b).
func stringEnd(b []byte, i int) int {
	for {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return len(b)
		}
		q += i
		// The quote is escaped when preceded by an odd number of
		// backslashes.
		bs := 0
		for j := q - 1; j >= i && b[j] == '\\'; j-- {
			bs++
		}
		if bs%2 == 0 {
			return q + 1
		}
		i = q + 1
	}
}

// describeJSONError words an encoding/json error for people: JSON types
// instead of Go types, offsets counted from the start of the input (base is
// where the decoded value started).
func describeJSONError(err error, base int) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var fe *fieldError
	switch {
	case errors.As(err, &se):
		return "invalid JSON at offset " + strconv.FormatInt(int64(base)+se.Offset, 10) + ": " + se.Error()
	case errors.As(err, &te):
		// Value is a JSON type ("string") or, for a number that does not
		// fit, "number 1.5".
		got, ok := strings.CutPrefix(te.Value, "number ")
		if !ok {
			got = te.Value
		}
		if got == "bool" {
			got = "boolean"
		}
		s := "want " + kindOfType(te.Type) + ", got " + got
		if te.Field != "" {
			s = te.Field + ": " + s
		}
		return s
	case errors.As(err, &fe):
		return fe.reason
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "invalid JSON: unexpected end of input"
	default:
		return err.Error()
	}
}

// kindOfType names the JSON type a Go type decodes from.
func kindOfType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	default:
		return "object"
	}
}

// jsonKind names the JSON type of the value that starts data (after
// whitespace).
func jsonKind(data []byte) string {
	i := skipSpace(data, 0)
	if i == len(data) {
		return "nothing"
	}
	switch data[i] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return "number"
	default:
		return "invalid JSON"
	}
}
