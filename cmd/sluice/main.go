// Command sluice receives, understands, keeps and routes logs.
//
//	sluice serve   [-config FILE]    run sluice
//	sluice check   FILE             validate a configuration file
//	sluice parse   [flags] < input   print what sluice makes of input, one JSON event per line
//	sluice match   'PATTERN' < lines print the lines a CloudWatch filter pattern (or -where rule) matches
//	sluice bench   [flags]          send Logplex load to a drain endpoint
//	sluice tail    [-f] [QUERY]      print (and follow) the newest stored events of a running sluice
//	sluice search  QUERY [flags]     search the events a running sluice keeps
//	sluice version                  print the version
//
// Run `sluice help` or `sluice COMMAND -h` for details.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

const usage = `sluice — one place where logs arrive, get understood, and go where they are needed.

Usage:
  sluice serve [-config FILE]
        run sluice: with no file, a Heroku drain at http://127.0.0.1:8080/logs
        (or a drop-in heroku/log-iss when its environment variables are set)
  sluice check [-print] FILE
        validate a configuration file, reporting every problem at once
  sluice parse [-format F] [-severity MODE] [-group G] [-source S] < input
        print what sluice makes of input, one JSON event per line
  sluice match [-where EXPR] [-extract] ['PATTERN'] < input
        print the lines a CloudWatch Logs filter pattern matches (exit 1 when
        none), or the parsed events an expr-lang rule matches
  sluice tail [-f] [-n N] [--server URL] [QUERY...]
        print the newest events a running sluice keeps, oldest first; with -f
        keep printing new ones as they arrive (like heroku logs --tail)
  sluice search [--since T] [--until T] [--limit N] [--json] QUERY...
        print the newest events matching a query (exit 1 when none)
  sluice bench [-url URL] [-drains N] [-frames N] [-duration D] [-receiver ADDR]
        send Heroku Logplex load to a drain endpoint and measure it
  sluice version
        print the version

Run 'sluice COMMAND -h' for the flags of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command and returns the process exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, args := args[0], args[1:]
	var err error
	switch cmd {
	case "parse":
		err = cmdParse(ctx, args, stdin, stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "sluice", buildVersion())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case "bench":
		err = cmdBench(ctx, args, stdout, stderr)
	case "serve":
		err = cmdServe(ctx, args, stdout, stderr)
	case "check":
		err = cmdCheck(args, stdout, stderr)
	case "match":
		err = cmdMatch(ctx, args, stdin, stdout, stderr)
	case "tail":
		err = cmdTail(ctx, args, stdout, stderr, os.Getenv)
	case "search":
		err = cmdSearch(ctx, args, stdout, stderr, os.Getenv)
	case "send":
		fmt.Fprintf(stderr, "sluice %s: not built yet in this version of sluice\n", cmd)
		return 2
	default:
		fmt.Fprintf(stderr, "sluice: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	var exit exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &exit):
		return int(exit)
	default:
		// A command's failure is a message to the person who ran it, not a
		// log record: plain text, naming the command.
		fmt.Fprintf(stderr, "sluice %s: %v\n", cmd, err)
		return 1
	}
}

// exitError ends a command with a status, its reasons already printed.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
