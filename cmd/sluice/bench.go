package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/sluicelog/sluice/internal/bench"
)

const benchUsage = `Usage: sluice bench [flags]

Sends realistic Heroku Logplex traffic to a drain endpoint (sluice or any
other drain receiver) and reports requests/s, lines/s, MB/s, latency
percentiles and errors. With -receiver it also runs a TCP syslog receiver
and waits until every accepted line has arrived there (point the drain's
forwarding at it), reporting lines delivered and malformed frames.

Flags:
`

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sluice bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, benchUsage); fs.PrintDefaults() }
	var cfg bench.Config
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080/logs", "drain endpoint")
	fs.IntVar(&cfg.Drains, "drains", 4, "concurrent drains, one request in flight each")
	fs.IntVar(&cfg.Frames, "frames", 100, "log lines per POST")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long to send")
	fs.IntVar(&cfg.Requests, "requests", 0, "requests per drain (instead of -duration)")
	fs.StringVar(&cfg.User, "user", "", "basic auth user")
	fs.StringVar(&cfg.Password, "password", "", "basic auth password (the drain token)")
	fs.BoolVar(&cfg.Gzip, "gzip", false, "gzip request bodies, as log-shuttle can")
	fs.DurationVar(&cfg.Timeout, "timeout", 5*time.Second, "per-request timeout (Logplex uses 5s)")
	fs.IntVar(&cfg.Rate, "rate", 0, "cap on lines sent per second over all drains (0: as fast as the target answers)")
	receiver := fs.String("receiver", "", "run a TCP syslog receiver on this address (e.g. 127.0.0.1:6514) and verify delivery")
	wait := fs.Duration("wait", 60*time.Second, "with -receiver: how long to wait for delivery after sending")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.Requests > 0 && !isFlagSet(fs, "duration") {
		cfg.Duration = 0
	}
	var rcv *bench.Receiver
	if *receiver != "" {
		var err error
		if rcv, err = bench.Listen(*receiver); err != nil {
			return fmt.Errorf("cannot start the receiver: %w", err)
		}
		defer rcv.Close()
		fmt.Fprintf(stdout, "receiver listening on %s\n", rcv.Addr())
	}
	res, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, res)
	if rcv != nil {
		start := time.Now()
		ok := rcv.WaitFor(res.Lines, *wait)
		fmt.Fprintf(stdout, "receiver: %d of %d accepted lines arrived (%d malformed frames, %d connections) %s after sending\n",
			rcv.Frames(), res.Lines, rcv.Bad(), rcv.Conns(), time.Since(start).Round(time.Millisecond))
		if !ok || rcv.Bad() > 0 {
			return exitError(1)
		}
	}
	return nil
}

func isFlagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
