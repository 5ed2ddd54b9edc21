package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

const tailUsage = `Usage: sluice tail [-f] [-n N] [flags] [QUERY...]

Prints the newest N events a running sluice keeps that match the query,
oldest first, like 'heroku logs'. With -f, keeps printing matching events as
they arrive, like 'heroku logs --tail', until interrupted (Ctrl-C); when the
connection drops it reconnects, saying so on stderr, and resumes after the
last line it printed. With no query, every event matches. Flags may come
before or after the query.

Lines read: TIME [SEVERITY] GROUP APP[PROC]: MESSAGE, the time in the local
zone, the severity when it is not info (coloured on a terminal).

Examples:
  sluice tail -f
  sluice tail -f 'severity:<=warning' app:router
  sluice tail -n 500 group:heroku/myapp -healthcheck
  sluice tail -f '"connection refused" OR timeout' --server https://logs.example.com --token "$TOKEN"
  sluice tail -f --json 'fields.status:>=500' | jq .

` + queryHelp + `
Flags:
`

// maxBackfill is the most stored events the tail API sends before the
// live ones.
const maxBackfill = 1000

func cmdTail(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("sluice tail", flag.ContinueOnError)
	fs.SetOutput(stderr)
	// After a bad flag, the flag package's message and a hint; -h prints
	// the whole usage.
	fs.Usage = func() { fmt.Fprintln(stderr, "Run 'sluice tail -h' for usage.") }
	var cf clientFlags
	cf.register(fs, getenv)
	var followFlag bool
	var lines int
	fs.BoolVar(&followFlag, "f", false, "follow: keep printing new matching events until interrupted")
	fs.BoolVar(&followFlag, "follow", false, "the same as -f")
	fs.IntVar(&lines, "n", 100, "print the newest `N` stored matches first (at most 1000 with -f)")
	fs.IntVar(&lines, "lines", 100, "the same as -n")
	words, err := parseCommand(fs, args, tailUsage, stderr)
	if err != nil {
		return err
	}
	usageErr := func(format string, a ...any) error {
		fmt.Fprintf(stderr, "sluice tail: "+format+"\n", a...)
		return exitError(2)
	}
	if lines < 0 {
		return usageErr("-n %d: want 0 or more", lines)
	}
	if followFlag && lines > maxBackfill {
		return usageErr("-n %d: with -f at most %d stored events come first; use 'sluice search --limit %d' for more", lines, maxBackfill, lines)
	}
	color, err := cf.colorOn(stdout)
	if err != nil {
		return usageErr("%v", err)
	}
	c, err := cf.client()
	if err != nil {
		return usageErr("%v", err)
	}
	f := &lineFormat{loc: time.Local, color: color, json: cf.json}
	q := strings.Join(words, " ")
	if !followFlag {
		if lines == 0 {
			return nil
		}
		events, err := c.search(ctx, q, "", "", lines)
		if err != nil {
			return apiFailure("tail", err, stderr)
		}
		return printOldestFirst(stdout, f, events)
	}
	fl := follower{c: c, q: q, backfill: lines, format: f, stdout: stdout, stderr: stderr}
	if err := fl.run(ctx); err != nil {
		return apiFailure("tail", err, stderr)
	}
	return nil
}

// follower prints a live tail, reconnecting when the connection drops.
type follower struct {
	c        *apiClient
	q        string
	backfill int
	// lastID is the position of the last event shown: a reconnection
	// resumes after it.
	lastID string
	format *lineFormat
	stdout io.Writer
	stderr io.Writer

	// idle is how long a stream may stay silent before it is taken for
	// dead; the server sends a keepalive every 15 s. Zero means 45 s.
	idle time.Duration
	// retryMin and retryMax bound the wait between reconnection attempts,
	// doubling from one to the other. Zero means 500 ms and 10 s.
	retryMin, retryMax time.Duration
}

// fatalError is a failure a reconnection cannot fix.
type fatalError struct{ error }

func (e fatalError) Unwrap() error { return e.error }

// run follows the tail until ctx is done (nil: the user stopped it) or a
// failure a reconnection cannot fix.
func (fl *follower) run(ctx context.Context) error {
	retryMin, retryMax := orDefault(fl.retryMin, 500*time.Millisecond), orDefault(fl.retryMax, 10*time.Second)
	wait := retryMin
	everConnected := false
	lost := false // since the last connection, a loss was reported
	lastMsg := ""
	backfill := fl.backfill
	for {
		connected := false
		err := fl.stream(ctx, backfill, func() {
			connected = true
			wait = retryMin
			if lost {
				if fl.lastID != "" {
					fmt.Fprintf(fl.stderr, "sluice tail: reconnected to %s; resuming after the last line shown\n", fl.c.server())
				} else {
					fmt.Fprintf(fl.stderr, "sluice tail: reconnected to %s; lines may have been missed\n", fl.c.server())
				}
				lost, lastMsg = false, ""
			}
		})
		if ctx.Err() != nil {
			return nil
		}
		var fe fatalError
		if errors.As(err, &fe) {
			return fe.error
		}
		var ae *apiError
		if errors.As(err, &ae) && ae.status != 0 && ae.status < 500 {
			// The server refuses the request itself (bad query, token): the
			// same request would be refused again.
			return err
		}
		if !everConnected && !connected {
			// Never got a stream: a wrong --server, or sluice is not running;
			// say so now rather than retry forever.
			return err
		}
		everConnected = true
		// Re-backfilling would print lines twice: the stream resumes after
		// the last event shown (after=), else the gap is announced.
		backfill = 0
		msg := err.Error()
		switch {
		case !lost:
			fmt.Fprintf(fl.stderr, "sluice tail: lost the connection to %s: %v; reconnecting\n", fl.c.server(), err)
		case msg != lastMsg:
			fmt.Fprintf(fl.stderr, "sluice tail: still cannot reconnect: %v; retrying\n", err)
		}
		lost, lastMsg = true, msg
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		wait = min(2*wait, retryMax)
	}
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// stream reads one tail connection until it ends; it always returns an
// error, which says why. connected is called once the stream is open.
func (fl *follower) stream(ctx context.Context, backfill int, connected func()) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	v := url.Values{}
	v.Set("q", fl.q)
	v.Set("backfill", strconv.Itoa(backfill))
	if fl.lastID != "" {
		v.Set("after", fl.lastID)
	}
	resp, err := fl.c.get(ctx, "tail", v, "text/event-stream")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		return fatalError{fmt.Errorf("%s answered %s with Content-Type %q, not an event stream: is --server the address of sluice?", fl.c.server(), resp.Request.URL.Path, resp.Header.Get("Content-Type"))}
	}
	connected()

	// A connection that died without a FIN (a laptop's sleep, a NAT
	// timeout) would otherwise wait forever: keepalives come every 15 s.
	idle := orDefault(fl.idle, 45*time.Second)
	var silent atomic.Bool
	watchdog := time.AfterFunc(idle, func() { silent.Store(true); cancel() })
	defer watchdog.Stop()
	activity := func() { watchdog.Reset(idle) }

	out := bufio.NewWriterSize(fl.stdout, 64<<10)
	rd := newSSEReader(resp.Body)
	var line []byte
	for {
		m, err := rd.next(activity)
		if err != nil {
			if ferr := out.Flush(); ferr != nil {
				return fatalError{ferr}
			}
			switch {
			case silent.Load():
				return fmt.Errorf("nothing received for %s (not even a keepalive)", idle)
			case errors.Is(err, io.EOF):
				return errors.New("sluice ended the stream (restarting?)")
			}
			return err
		}
		switch m.event {
		case "", "message":
			if m.id != "" {
				fl.lastID = m.id
			}
			line, err = fl.format.append(line[:0], m.data)
			if err != nil {
				fmt.Fprintf(fl.stderr, "sluice tail: %v\n", err)
				continue
			}
			if _, err := out.Write(line); err != nil {
				return fatalError{err}
			}
			// Flush only when the next message is not at hand: a burst is
			// written in a few large writes, a quiet stream line by line.
			if !rd.ready() {
				if err := out.Flush(); err != nil {
					return fatalError{err}
				}
			}
		case "dropped":
			var d struct {
				Dropped int64 `json:"dropped"`
			}
			json.Unmarshal(m.data, &d)
			if err := out.Flush(); err != nil {
				return fatalError{err}
			}
			fmt.Fprintf(fl.stderr, "sluice tail: %d matching events were dropped: this tail fell behind (a narrower query, or a faster terminal, keeps up)\n", d.Dropped)
		}
	}
}
