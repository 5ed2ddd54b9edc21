package parse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
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
		if !syslog.LooksOctetCounted(head) {
			return FormatLines
		}
		sp := bytes.IndexByte(head, ' ')
		if looksLikeLogplex(head[sp+1:]) {
			return FormatLogplex
		}
		return FormatSyslog
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
		// Frames are parsed one at a time into one event, so memory does
		// not grow with the number of frames in the body.
		var e event.Event
		index := 0
		err := syslog.SplitOctetCounted(string(body), rd.maxLine(), func(frame string, _ int) error {
			e.Reset()
			if err := syslog.Parse5424(frame, &e); err != nil {
				keepRaw(&e, strings.TrimSuffix(frame, "\n"), err, res)
			}
			e.Group, e.Stream = "heroku", e.Proc
			index++
			return rd.finish(&e, received, index-1, res, emit)
		})
		var fe *syslog.FrameError
		if errors.As(err, &fe) {
			res.addError(fe)
			return nil
		}
		return err
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
		keepRaw(e, line, err, res)
		return
	}
	e.Group, e.Stream = e.Host, e.App
}

// keepRaw turns e into the raw form of input that did not parse: the text
// as the message, severity info, and the error in a parse_error field.
func keepRaw(e *event.Event, text string, err error, res *Result) {
	res.addError(err)
	e.Reset()
	e.Message = text
	e.Severity = event.Info
	e.AddString(syslog.FieldParseError, err.Error())
}

func (rd *Reader) readLines(format Format, in io.Reader, res *Result, emit func(*event.Event) error) error {
	br := bufio.NewReaderSize(in, min(64<<10, rd.maxLine()+2))
	var e event.Event
	index := 0
	for lineNo := 1; ; lineNo++ {
		line, err := readLine(br, rd.maxLine())
		if errors.Is(err, errLineTooLong) {
			res.addError(fmt.Errorf("line %d: longer than the %d-byte limit; skipped", lineNo, rd.maxLine()))
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("cannot read input: %w", err)
		}
		if line != "" {
			if perr := rd.readLine(format, line, lineNo, index, &e, res, emit); perr != nil {
				return perr
			}
			index++
		}
		if err != nil {
			return nil
		}
	}
}

func (rd *Reader) readLine(format Format, line string, lineNo, index int, e *event.Event, res *Result, emit func(*event.Event) error) error {
	received := rd.now()
	switch {
	case format == FormatEvents:
		e.Reset()
		if err := e.UnmarshalJSON([]byte(line)); err != nil {
			keepRaw(e, line, fmt.Errorf("line %d: %w", lineNo, err), res)
		}
		// Events already enriched are emitted as they are.
		res.Events++
		if rd.Source != "" {
			e.Source = rd.Source
		}
		return emit(e)
	case line[0] == '<':
		rd.parseSyslogLine(line, e, received, res)
	default:
		e.Reset()
		e.Message, e.Severity = line, event.Info
	}
	return rd.finish(e, received, index, res, emit)
}

var errLineTooLong = errors.New("line too long")

// readLine returns the next line without its line ending. A line longer
// than max is skipped up to its end and reported as errLineTooLong; io.EOF
// comes with the last line if it has no line ending.
func readLine(br *bufio.Reader, max int) (string, error) {
	var buf []byte
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > max+2 { // +2: the CR LF ending is not content
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		// At the end of input, the next call returns io.EOF.
		line := strings.TrimRight(string(buf), "\r\n")
		if tooLong || len(line) > max {
			return "", errLineTooLong
		}
		return line, err
	}
}
