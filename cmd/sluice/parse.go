package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse"
	"github.com/sluicelog/sluice/internal/parse/severity"
)

const parseUsage = `Usage: sluice parse [flags] < input

Reads input on stdin and prints what sluice makes of it: one JSON event per
line, in the form every JSON output of sluice uses. Problems are reported on
stderr, naming where they are; lines and frames that do not parse are still
printed, raw, with a parse_error field. Exit status 1 when anything was
malformed, 0 otherwise.

Formats (-format, detected from the first bytes when auto):
  logplex     Heroku drain POST body (application/logplex-1)
  syslog      syslog stream: RFC 5424 or RFC 3164, octet-counted or one per line
  firehose    Kinesis Data Firehose HTTP endpoint request body (CloudWatch Logs records)
  cloudwatch  Lambda subscription event {"awslogs":{"data":...}} or a JSON array of them
  cwdoc       a CloudWatch Logs subscription document, gzip'd or plain JSON
  events      sluice's own JSON events, one per line
  lines       plain text lines (lines that look like syslog are parsed as syslog)

Flags:
`

func cmdParse(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sluice parse", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, parseUsage)
		fs.PrintDefaults()
	}
	format := fs.String("format", "auto", "input format: "+formatNames())
	sevMode := fs.String("severity", "auto", "severity recovery from the text: auto (when the transport gave only its default), always, never")
	group := fs.String("group", "", "set every event's group (default: from the input)")
	stream := fs.String("stream", "", "set every event's stream (default: from the input)")
	source := fs.String("source", "", "set every event's source")
	id := fs.String("id", "", "give events ids ID.0, ID.1, ... (as a Logplex-Frame-Id does)")
	noFields := fs.Bool("no-body-fields", false, "do not turn JSON and logfmt messages into fields")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected arguments %q: input is read from stdin", fs.Args())
	}
	f, err := parse.ParseFormat(*format)
	if err != nil {
		return fmt.Errorf("-format: %w", err)
	}
	mode, err := severity.ParseMode(*sevMode)
	if err != nil {
		return fmt.Errorf("-severity: %w", err)
	}
	rd := parse.Reader{
		Format:   f,
		Enricher: parse.Enricher{Severity: mode, NoBodyFields: *noFields},
		Group:    *group, Stream: *stream, Source: *source, IDPrefix: *id,
	}
	out := bufio.NewWriterSize(stdout, 64<<10)
	var buf []byte
	res, err := rd.Read(stdin, func(e *event.Event) error {
		buf = e.AppendJSON(buf[:0])
		buf = append(buf, '\n')
		_, err := out.Write(buf)
		return err
	})
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	for _, e := range res.Errors {
		fmt.Fprintf(stderr, "sluice parse: %v\n", e)
	}
	if res.Malformed > len(res.Errors) {
		fmt.Fprintf(stderr, "sluice parse: ... and %d more problems\n", res.Malformed-len(res.Errors))
	}
	if err != nil {
		return fmt.Errorf("cannot parse %s input: %w", res.Format, err)
	}
	if res.Malformed > 0 {
		fmt.Fprintf(stderr, "sluice parse: %s input: %d events, %d malformed\n", res.Format, res.Events, res.Malformed)
		return exitError(1)
	}
	return nil
}

func formatNames() string {
	names := make([]string, len(parse.Formats))
	for i, f := range parse.Formats {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}
