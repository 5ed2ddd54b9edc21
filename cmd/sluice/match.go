package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse"
	"github.com/sluicelog/sluice/internal/parse/severity"
	"github.com/sluicelog/sluice/internal/route"
	"github.com/sluicelog/sluice/internal/route/filterpattern"
)

const matchUsage = `Usage: sluice match [flags] 'PATTERN' < lines
       sluice match -where 'EXPR' [flags] ['PATTERN'] < input

With a CloudWatch Logs filter pattern, reads lines on stdin and prints those
that match — the local equivalent of 'aws logs test-metric-filter'. With
-extract, prints the values a JSON or space-delimited pattern extracts from
each matching line, as JSON.

With -where, parses the input into events as 'sluice parse' does (-format,
-severity), and prints, as JSON events, those for which the expr-lang rule
is true (and whose message matches PATTERN, when one is given) — the same
test a subscription's where and pattern apply.

Exit status: 0 when something matched, 1 when nothing did, 2 for a bad
pattern, rule or flag.

Examples:
  sluice match '?ERROR ?Exception' < app.log
  sluice match 'ERROR -healthcheck' < app.log
  sluice match '{ $.level = "error" && $.latency > 500 }' < app.ndjson
  sluice match -extract '[ip, user, username, timestamp, request, status_code = 5*, bytes]' < access.log
  sluice match -where 'severity <= warning && proc != "router"' < drain-body.txt

Flags:
`

// flagName returns the name in "-name", "--name" or "-name=value".
func flagName(arg string) string {
	name := strings.TrimLeft(arg, "-")
	name, _, _ = strings.Cut(name, "=")
	return name
}

func cmdMatch(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sluice match", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, matchUsage)
		fs.PrintDefaults()
	}
	where := fs.String("where", "", "an expr-lang rule over parsed events, e.g. 'severity <= warning'")
	extract := fs.Bool("extract", false, "print the values the pattern extracts from each matching line (JSON)")
	format := fs.String("format", "auto", "with -where: input format: "+formatNames())
	sevMode := fs.String("severity", "auto", "with -where: severity recovery: auto, always, never")
	// Flags may follow the pattern: sluice match 'ERROR' -extract. A
	// pattern may start with "-" (-DEBUG): an argument that is not one of
	// the flags is the pattern.
	var positional []string
	for {
		if len(args) > 0 && strings.HasPrefix(args[0], "-") && len(args[0]) > 1 && args[0] != "--" && fs.Lookup(flagName(args[0])) == nil && flagName(args[0]) != "h" && flagName(args[0]) != "help" {
			positional = append(positional, args[0])
			args = args[1:]
			continue
		}
		if err := fs.Parse(args); err != nil {
			return exitError(2)
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) > 1 {
		fs.Usage()
		fmt.Fprintf(stderr, "sluice match: want one pattern, got %d arguments; quote the pattern: sluice match '%s'\n", len(positional), positional[0])
		return exitError(2)
	}
	if len(positional) == 0 && *where == "" {
		fs.Usage()
		fmt.Fprintln(stderr, "sluice match: want a filter pattern, or -where with a rule")
		return exitError(2)
	}
	var pattern *filterpattern.Pattern
	if len(positional) == 1 {
		p, err := filterpattern.Compile(positional[0])
		if err != nil {
			fmt.Fprintf(stderr, "sluice match: %v\n", err)
			return exitError(2)
		}
		pattern = p
	}
	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	matched := 0
	if *where == "" {
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			line := sc.Text()
			if *extract {
				vals, ok := pattern.Extract(line)
				if !ok {
					continue
				}
				matched++
				b, _ := json.Marshal(map[string]any{"line": line, "extracted": vals})
				out.Write(append(b, '\n'))
				continue
			}
			if pattern.Match(line) {
				matched++
				out.WriteString(line)
				out.WriteByte('\n')
			}
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("cannot read stdin: %w", err)
		}
	} else {
		w, err := route.CompileWhere(*where)
		if err != nil {
			fmt.Fprintf(stderr, "sluice match: -where: %v\n", err)
			return exitError(2)
		}
		f, err := parse.ParseFormat(*format)
		if err != nil {
			fmt.Fprintf(stderr, "sluice match: -format: %v\n", err)
			return exitError(2)
		}
		mode, err := severity.ParseMode(*sevMode)
		if err != nil {
			fmt.Fprintf(stderr, "sluice match: -severity: %v\n", err)
			return exitError(2)
		}
		if *extract {
			fmt.Fprintln(stderr, "sluice match: -extract works on lines, not with -where")
			return exitError(2)
		}
		rd := parse.Reader{Format: f, Enricher: parse.Enricher{Severity: mode}}
		var buf []byte
		res, err := rd.Read(stdin, func(e *event.Event) error {
			if !w.Match(e) || (pattern != nil && !pattern.Match(e.Message)) {
				return nil
			}
			matched++
			buf = e.AppendJSON(buf[:0])
			_, err := out.Write(append(buf, '\n'))
			return err
		})
		if err != nil {
			return fmt.Errorf("cannot parse %s input: %w", res.Format, err)
		}
	}
	if err := out.Flush(); err != nil {
		return err
	}
	if matched == 0 {
		return exitError(1)
	}
	return nil
}
