package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sluicelog/sluice/internal/store/query"
)

// queryHelp is the part of the usage of tail and search that teaches the
// query language (internal/store/query).
const queryHelp = `Query language (words are joined with spaces; quote the whole query, or
the characters your shell would take, such as < > " ( ) *):
  timeout                        a whole word, ignoring case
  time*                          a prefix: timeout, time=3
  '"connection refused"'         a phrase (inner quotes reach sluice)
  -healthcheck  -'"GET /ping"'   exclusions; also -app:router
  error OR fatal                 OR; AND is implicit; NOT x is -x
  '(error OR fatal) -app:router' parentheses group
  'severity:<=warning'           warning or worse (emerg … debug, 0 … 7)
  app:router host:web01 proc:web.*  exact fields, * globs
  group:/aws/lambda/* stream:web.1  where events belong
  'fields.status:>=500'          structured fields (numbers compare as numbers)
  '{ $.level = "error" }'        a CloudWatch Logs filter pattern
A word that starts with - is an exclusion unless it is a flag (-json is
the flag); words after -- are all query words.
`

const searchUsage = `Usage: sluice search [flags] QUERY...

Searches the events a running sluice keeps (its store) and prints the newest
matches, oldest first, as a log reads. With no query, every event matches.
Flags may come before or after the query.

Exit status: 0 when something matched, 1 when nothing did (or sluice could not
be asked), 2 for a bad query or flag.

Examples:
  sluice search error --since 1h
  sluice search 'severity:<=warning' app:router --since 30m
  sluice search '"connection refused"' -healthcheck --limit 1000
  sluice search 'group:heroku/myapp fields.status:>=500' --since 2026-11-21T09:00:00Z --until 2026-11-21T10:00:00Z
  sluice search timeout --json | jq -r .message

` + queryHelp + `
Flags:
`

func cmdSearch(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("sluice search", flag.ContinueOnError)
	fs.SetOutput(stderr)
	// After a bad flag, the flag package's message and a hint; -h prints
	// the whole usage.
	fs.Usage = func() { fmt.Fprintln(stderr, "Run 'sluice search -h' for usage.") }
	var cf clientFlags
	cf.register(fs, getenv)
	since := fs.String("since", "", "only events after `T`: a duration ago (15m, 1h, 7d) or RFC 3339 (default: all stored)")
	until := fs.String("until", "", "only events before `T`: a duration ago or RFC 3339 (default: now)")
	limit := fs.Int("limit", 100, "print the newest `N` matches (pages through the API beyond 1000)")
	words, err := parseCommand(fs, args, searchUsage, stderr)
	if err != nil {
		return err
	}
	usageErr := func(format string, a ...any) error {
		fmt.Fprintf(stderr, "sluice search: "+format+"\n", a...)
		return exitError(2)
	}
	if *limit < 1 {
		return usageErr("--limit %d: want at least 1", *limit)
	}
	// Checked here so that a typo is reported without a round trip; the
	// server reads the same text itself, relative to its own clock.
	now := time.Now()
	for _, t := range []struct{ name, val string }{{"since", *since}, {"until", *until}} {
		if t.val == "" {
			continue
		}
		if _, err := query.ParseTime(t.val, now); err != nil {
			return usageErr("--%s: %v", t.name, err)
		}
	}
	color, err := cf.colorOn(stdout)
	if err != nil {
		return usageErr("%v", err)
	}
	c, err := cf.client()
	if err != nil {
		return usageErr("%v", err)
	}
	events, err := c.search(ctx, strings.Join(words, " "), *since, *until, *limit)
	if err != nil {
		return apiFailure("search", err, stderr)
	}
	if len(events) == 0 {
		return exitError(1)
	}
	f := &lineFormat{loc: time.Local, color: color, json: cf.json}
	return printOldestFirst(stdout, f, events)
}

// printOldestFirst prints events the API gave newest first in the order a
// log is read.
func printOldestFirst(stdout io.Writer, f *lineFormat, events []json.RawMessage) error {
	out := bufio.NewWriterSize(stdout, 64<<10)
	var line []byte
	for i := len(events) - 1; i >= 0; i-- {
		var err error
		line, err = f.append(line[:0], events[i])
		if err != nil {
			return err
		}
		if _, err := out.Write(line); err != nil {
			return err
		}
	}
	return out.Flush()
}

// apiFailure reports err of a command talking to the API and picks the exit
// status: 2 when the API refused the user's input, 1 otherwise.
func apiFailure(cmd string, err error, stderr io.Writer) error {
	if errors.Is(err, context.Canceled) {
		// Interrupted (Ctrl-C) before there was anything to print.
		return exitError(130)
	}
	fmt.Fprintf(stderr, "sluice %s: %v\n", cmd, err)
	var ae *apiError
	if errors.As(err, &ae) && ae.usage() {
		return exitError(2)
	}
	return exitError(1)
}
