package parse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse/cloudwatch"
	"github.com/sluicelog/sluice/internal/parse/syslog"
)

// Format names a kind of input.
type Format string

// The formats Reader understands.
const (
	// FormatAuto detects the format from the first bytes of the input.
	FormatAuto Format = "auto"
	// FormatLogplex is a Heroku Logplex drain POST body
	// (application/logplex-1): octet-counted RFC 5424 frames.
	FormatLogplex Format = "logplex"
	// FormatSyslog is a syslog stream, RFC 5424 or RFC 3164 messages,
	// octet-counted or newline-framed (detected).
	FormatSyslog Format = "syslog"
	// FormatFirehose is a Kinesis Data Firehose HTTP endpoint request body
	// whose records are CloudWatch Logs subscription documents.
	FormatFirehose Format = "firehose"
	// FormatCloudWatch is a Lambda subscription event
	// {"awslogs":{"data":...}}, or a JSON array of them.
	FormatCloudWatch Format = "cloudwatch"
	// FormatCWDocument is one CloudWatch Logs subscription document (or
	// several back to back), gzip'd or plain JSON, as a record carries it.
	FormatCWDocument Format = "cwdoc"
	// FormatEvents is sluice's own JSON event form, one per line, as
	// `sluice parse` and the file sink write it.
	FormatEvents Format = "events"
	// FormatLines is plain text, one event per line; lines that look like
	// syslog are parsed as syslog.
	FormatLines Format = "lines"
)

// Formats lists every format a user may name, for help texts and errors.
var Formats = []Format{FormatAuto, FormatLogplex, FormatSyslog, FormatFirehose, FormatCloudWatch, FormatCWDocument, FormatEvents, FormatLines}

// ParseFormat reads a format name.
func ParseFormat(name string) (Format, error) {
	for _, f := range Formats {
		if string(f) == name {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %q; want one of %v", name, Formats)
}

// detectWindow is how many leading bytes Detect looks at.
const detectWindow = 4096

// Detect guesses the format of an input from its first bytes.
func Detect(head []byte) Format {
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) > detectWindow {
		head = head[:detectWindow]
	}
	switch {
	case len(head) == 0:
		return FormatLines
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		return FormatCWDocument
	case head[0] == '{' || head[0] == '[':
		switch {
		case bytes.Contains(head, []byte(`"awslogs"`)):
			return FormatCloudWatch
		case head[0] == '{' && bytes.Contains(head, []byte(`"records"`)) && bytes.Contains(head, []byte(`"requestId"`)):
			return FormatFirehose
		case head[0] == '{' && bytes.Contains(head, []byte(`"messageType"`)):
			return FormatCWDocument
		case head[0] == '{' && bytes.Contains(head, []byte(`"severity_name"`)):
			return FormatEvents
		}
		return FormatLines
	case head[0] >= '1' && head[0] <= '9':
		i := 0
		for i < len(head) && i < 12 && head[i] >= '0' && head[i] <= '9' {
			i++
		}
		if i+1 < len(head) && head[i] == ' ' && head[i+1] == '<' {
			if looksLikeLogplex(head[i+1:]) {
				return FormatLogplex
			}
			return FormatSyslog
		}
		return FormatLines
	case head[0] == '<':
		return FormatSyslog
	}
	return FormatLines
}

// looksLikeLogplex says whether an octet-counted stream's first message is
// a Logplex frame: RFC 5424 whose HOSTNAME is Logplex's constant "host".
func looksLikeLogplex(msg []byte) bool {
	end := bytes.IndexByte(msg, '>')
	if end < 0 || !bytes.HasPrefix(msg[end+1:], []byte("1 ")) {
		return false
	}
	rest := msg[end+3:]
	sp := bytes.IndexByte(rest, ' ')
	return sp >= 0 && bytes.HasPrefix(rest[sp+1:], []byte("host "))
}

// DefaultMaxBodyBytes bounds the whole-body formats (logplex, firehose,
// cloudwatch, cwdoc) when Reader.MaxBodyBytes is zero.
const DefaultMaxBodyBytes = 64 << 20

// maxErrors is how many errors a Result keeps; the rest are only counted.
const maxErrors = 10

// Reader reads events of one format from a stream and enriches them.
type Reader struct {
	// Format of the input; FormatAuto (or "") detects it.
	Format Format
	// Enricher understands each event.
	Enricher Enricher
	// Group and Stream, when set, override where events belong; otherwise
	// the input decides (the CloudWatch log group, the syslog host and app,
	// "heroku" and the dyno for Logplex).
	Group, Stream string
	// Source is recorded in every event's Source.
	Source string
	// IDPrefix, when set, gives each event an ID of IDPrefix.N (N counting
	// from 0), as a drain's frame id does.
	IDPrefix string
	// Now returns the time events are received; time.Now when nil.
	Now func() time.Time
	// MaxBodyBytes bounds whole-body formats; DefaultMaxBodyBytes when 0.
	MaxBodyBytes int64
	// MaxLineBytes bounds one line or syslog frame; 64 KiB when 0.
	MaxLineBytes int
}

// Result sums up what Reader.Read saw.
type Result struct {
	// Format is the format read (the detected one for FormatAuto).
	Format Format
	// Events is the number of events emitted, malformed ones included.
	Events int
	// Malformed counts inputs that did not parse: they are emitted raw
	// with a parse_error field when a line or frame was at fault, or not at
	// all when the body could not be decoded (then Read returns an error).
	Malformed int
	// Control counts CloudWatch control messages (acknowledged, not events).
	Control int
	// Errors holds the first problems, each naming where it was.
	Errors []error
}

func (r *Result) addError(err error) {
	r.Malformed++
	if len(r.Errors) < maxErrors {
		r.Errors = append(r.Errors, err)
	}
}

// Read parses in and calls emit for every event, in input order. The event
// passed to emit is reused after emit returns; emit must copy what it keeps
// (event.Clone or Marshal). An error from emit stops Read and is returned.
// Read returns an error for input it cannot read at all (a body that is not
// JSON, a body over the size limit); malformed lines and frames are counted
// in Result and emitted raw.
func (rd *Reader) Read(in io.Reader, emit func(*event.Event) error) (Result, error) {
	br := bufio.NewReaderSize(in, 64<<10)
	format := rd.Format
	if format == "" || format == FormatAuto {
		head, _ := br.Peek(detectWindow)
		format = Detect(head)
	}
	res := Result{Format: format}
	var err error
	switch format {
	case FormatLogplex, FormatFirehose, FormatCloudWatch, FormatCWDocument:
		var body []byte
		if body, err = rd.readBody(br); err != nil {
			return res, err
		}
		err = rd.readBodyFormat(format, body, &res, emit)
	case FormatSyslog:
		err = rd.readSyslog(br, &res, emit)
	case FormatEvents, FormatLines:
		err = rd.readLines(format, br, &res, emit)
	default:
		_, err = ParseFormat(string(format))
	}
	return res, err
}

func (rd *Reader) now() time.Time {
	if rd.Now != nil {
		return rd.Now()
	}
	return time.Now()
}

func (rd *Reader) readBody(br io.Reader) ([]byte, error) {
	limit := rd.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	body, err := io.ReadAll(io.LimitReader(br, limit+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read input: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("cannot read input: larger than the %d-byte limit", limit)
	}
	return body, nil
}

// finish applies the reader's defaults to a parsed event, enriches and
// emits it.
func (rd *Reader) finish(e *event.Event, received time.Time, index int, res *Result, emit func(*event.Event) error) error {
	if e.Received.IsZero() {
		e.Received = received
	}
	if rd.Group != "" {
		e.Group = rd.Group
	}
	if rd.Stream != "" {
		e.Stream = rd.Stream
	}
	if rd.Source != "" {
		e.Source = rd.Source
	}
	if rd.IDPrefix != "" && e.ID == "" {
		e.ID = rd.IDPrefix + "." + strconv.Itoa(index)
	}
	rd.Enricher.Enrich(e)
	res.Events++
	return emit(e)
}

func (rd *Reader) readBodyFormat(format Format, body []byte, res *Result, emit func(*event.Event) error) error {
	received := rd.now()
	if format == FormatLogplex {
		events, lr := syslog.ParseLogplex(string(body), nil)
		if lr.FirstError != nil {
			res.Malformed += lr.Malformed - 1
			res.addError(lr.FirstError)
		}
		if lr.FramingError != nil {
			res.addError(lr.FramingError)
		}
		for i := range events {
			e := &events[i]
			if e.Group == "" {
				e.Group = "heroku"
			}
			if e.Stream == "" {
				e.Stream = e.Proc
			}
			if err := rd.finish(e, received, i, res, emit); err != nil {
				return err
			}
		}
		return nil
	}

	dec := cloudwatch.NewDecoder(cloudwatch.DefaultLimits())
	var docs []cloudwatch.Document
	var err error
	switch format {
	case FormatFirehose:
		var req *cloudwatch.FirehoseRequest
		if req, err = dec.DecodeFirehoseRequest(body); err != nil {
			return err
		}
		docs, err = dec.DecodeRecords(req.Records, nil)
	case FormatCloudWatch:
		docs, err = dec.DecodeLambdaEvent(body, nil)
	case FormatCWDocument:
		docs, err = dec.DecodeRecord(body, nil)
	}
	if err != nil {
		return err
	}
	var events []event.Event
	index := 0
	for i := range docs {
		if docs[i].IsControl() {
			res.Control++
			continue
		}
		events = docs[i].AppendEvents(events[:0], received)
		for j := range events {
			if err := rd.finish(&events[j], received, index, res, emit); err != nil {
				return err
			}
			index++
		}
	}
	return nil
}

func (rd *Reader) maxLine() int {
	if rd.MaxLineBytes > 0 {
		return rd.MaxLineBytes
	}
	return syslog.DefaultMaxFrameSize
}

func (rd *Reader) readSyslog(br io.Reader, res *Result, emit func(*event.Event) error) error {
	fr := syslog.NewFramer(br, syslog.FramerConfig{MaxFrameSize: rd.maxLine(), OnBadFrame: syslog.Resync})
	var e event.Event
	for index := 0; ; index++ {
		frame, err := fr.Next()
		var fe *syslog.FrameError
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case errors.As(err, &fe):
			res.addError(fe)
			continue
		case err != nil:
			return fmt.Errorf("cannot read syslog input: %w", err)
		}
		received := rd.now()
		rd.parseSyslogLine(string(frame), &e, received, res)
		if err := rd.finish(&e, received, index, res, emit); err != nil {
			return err
		}
	}
}

// parseSyslogLine parses one syslog message into e; a message that does not
// parse becomes a raw event with a parse_error field.
func (rd *Reader) parseSyslogLine(line string, e *event.Event, received time.Time, res *Result) {
	e.Reset()
	if err := syslog.Parse(line, e, received); err != nil {
		res.addError(err)
		e.Reset()
		e.Message = line
		e.Severity = event.Info
		e.AddString(syslog.FieldParseError, err.Error())
		return
	}
	e.Group, e.Stream = e.Host, e.App
}

func (rd *Reader) readLines(format Format, br io.Reader, res *Result, emit func(*event.Event) error) error {
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, min(64<<10, rd.maxLine())), rd.maxLine())
	var e event.Event
	for index := 0; sc.Scan(); index++ {
		line := sc.Text()
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if line == "" {
			index--
			continue
		}
		received := rd.now()
		switch {
		case format == FormatEvents:
			e.Reset()
			if err := e.UnmarshalJSON([]byte(line)); err != nil {
				res.addError(fmt.Errorf("line %d: %w", index+1, err))
				e.Reset()
				e.Message, e.Severity = line, event.Info
				e.AddString(syslog.FieldParseError, err.Error())
			}
			// Events already enriched are emitted as they are.
			res.Events++
			if rd.Source != "" {
				e.Source = rd.Source
			}
			if err := emit(&e); err != nil {
				return err
			}
			continue
		case line[0] == '<':
			rd.parseSyslogLine(line, &e, received, res)
		default:
			e.Reset()
			e.Message, e.Severity = line, event.Info
		}
		if err := rd.finish(&e, received, index, res, emit); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("cannot read line %d: longer than the %d-byte limit", res.Events+res.Malformed+1, rd.maxLine())
		}
		return fmt.Errorf("cannot read input: %w", err)
	}
	return nil
}
