package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"

	"github.com/sluicelog/sluice/internal/config"
	"github.com/sluicelog/sluice/internal/server"
)

const serveUsage = `Usage: sluice serve [-config FILE]

Runs sluice. The configuration comes from, in this order:
  -config FILE       a YAML file (see docs/configuration.md)
  log-iss variables  FORWARD_DEST, TOKEN_MAP, PORT, ... : a drop-in heroku/log-iss
  nothing            embedded defaults: a Logplex drain at http://127.0.0.1:${PORT:-8080}/logs,
                     everything kept in ./sluice-data (events as NDJSON files)

SIGTERM or SIGINT shut down gracefully: new requests get 503, requests in
flight finish, everything acknowledged is on disk.

Flags:
`

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sluice serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, serveUsage); fs.PrintDefaults() }
	path := fs.String("config", "", "configuration file (YAML)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file until shutdown (for `go tool pprof`)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg, origin, err := loadConfig(*path)
	if err != nil {
		return err
	}
	logger, err := newLogger(cfg.Log, stderr)
	if err != nil {
		return err
	}
	logger.Info("starting sluice", "version", buildVersion(), "config", origin, "data_dir", cfg.DataDir)
	tuneGC()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("cannot create the CPU profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cannot start the CPU profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	srv, err := server.New(cfg, logger)
	if err != nil {
		return fmt.Errorf("cannot start: %w", err)
	}
	return srv.Run(ctx)
}

// loadConfig finds the configuration: a file, log-iss's environment, or the
// embedded defaults.
func loadConfig(path string) (*config.Config, string, error) {
	env := os.LookupEnv
	if path != "" {
		cfg, err := config.Load(path, env)
		if err != nil {
			return nil, "", err
		}
		return cfg, path, nil
	}
	cfg, ok, err := config.FromLogIssEnv(env)
	if err != nil {
		return nil, "", err
	}
	if ok {
		return cfg, "log-iss environment", nil
	}
	cfg = config.Default(env)
	if err := cfg.Validate(); err != nil {
		return nil, "", fmt.Errorf("the embedded defaults do not validate (is PORT set to something odd?): %w", err)
	}
	return cfg, "embedded defaults", nil
}

// tuneGC trades memory for CPU: sluice's heap is small (tens of MiB at full
// load) and short-lived garbage dominates, so collecting at 4× the live heap
// instead of 2× halves GC work; a soft limit of 64 MiB makes the collector
// work harder only when the heap nears it, keeping peak RSS under 100 MiB.
// GOGC and GOMEMLIMIT, when set, win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(64 << 20)
	}
}

func newLogger(c config.LogConfig, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if c.Level != "" {
		if err := level.UnmarshalText([]byte(c.Level)); err != nil {
			return nil, fmt.Errorf("log.level: %w", err)
		}
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch strings.ToLower(c.Format) {
	case "", "json":
		h = slog.NewJSONHandler(w, opts)
	case "text":
		h = slog.NewTextHandler(w, opts)
	default:
		return nil, fmt.Errorf("log.format: unknown format %q; want json or text", c.Format)
	}
	logger := slog.New(h)
	for k, v := range c.Attrs {
		logger = logger.With(k, v)
	}
	return logger, nil
}

const checkUsage = `Usage: sluice check [-print] FILE

Validates a configuration file and reports every problem at once, each with
its place in the file. Exit status 0 when the file is valid, 1 otherwise.

Flags:
`

func cmdCheck(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sluice check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, checkUsage); fs.PrintDefaults() }
	print := fs.Bool("print", false, "print the configuration with defaults filled in (secrets redacted)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("want exactly one configuration file")
	}
	cfg, err := config.Load(fs.Arg(0), os.LookupEnv)
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(stderr, line)
		}
		return exitError(1)
	}
	if *print {
		fmt.Fprint(stdout, cfg.Redacted())
	}
	fmt.Fprintf(stdout, "%s: ok (%d sources, %d sinks, %d subscriptions)\n", fs.Arg(0), len(cfg.Sources), len(cfg.Sinks), len(cfg.Subscriptions))
	return nil
}
