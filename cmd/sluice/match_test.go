package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// runMatch runs the real binary's match command.
func runMatch(t *testing.T, bin string, stdin []byte, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"match"}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// TestMatch: `sluice match` prints the lines a filter pattern matches, with
// the exit status of grep: 0 matched, 1 nothing did, 2 a bad pattern.
func TestMatch(t *testing.T) {
	bin := sluiceBinary(t)
	lines := []byte(`2026-11-20T10:00:00Z INFO request served path=/ status=200
2026-11-20T10:00:01Z ERROR payment failed: card declined
2026-11-20T10:00:02Z ERROR healthcheck failed
{"level":"error","latency":812,"msg":"slow"}
{"level":"info","latency":12,"msg":"fast"}
127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 503 2326
`)
	f := func(want string, wantCode int, args ...string) {
		t.Helper()
		out, errOut, code := runMatch(t, bin, lines, args...)
		if out != want || code != wantCode {
			t.Errorf("sluice match %q: exit %d, printed\n%s(stderr %s)\nwant exit %d and\n%s", args, code, out, errOut, wantCode, want)
		}
	}
	f("2026-11-20T10:00:01Z ERROR payment failed: card declined\n", 0, "ERROR -healthcheck")
	f("2026-11-20T10:00:01Z ERROR payment failed: card declined\n2026-11-20T10:00:02Z ERROR healthcheck failed\n", 0, "?ERROR ?Exception")
	f(`{"level":"error","latency":812,"msg":"slow"}`+"\n", 0, `{ $.level = "error" && $.latency > 500 }`)
	f(`127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 503 2326`+"\n", 0, "[ip, id, user, timestamp, request, status = 5*, size]")
	f("", 1, "NOTHING_LIKE_THIS")
	f("", 1, `{ $.level = "fatal" }`)

	// A bad pattern: exit 2 with the column.
	_, errOut, code := runMatch(t, bin, lines, `{ $.level = }`)
	if code != 2 || !strings.Contains(errOut, "column") {
		t.Errorf("bad pattern: exit %d, stderr %q", code, errOut)
	}
	// -extract prints what a space-delimited pattern extracts, after the pattern too.
	out, _, code := runMatch(t, bin, lines, "[ip, id, user, timestamp, request, status = 5*, size]", "-extract")
	var got struct {
		Line      string            `json:"line"`
		Extracted map[string]string `json:"extracted"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.Extracted["$status"] != "503" || got.Extracted["$user"] != "frank" {
		t.Errorf("-extract: exit %d, %s", code, out)
	}
}

// TestMatchWhere: with -where, input is parsed as `sluice parse` would and
// the rule decides, as a subscription's where would.
func TestMatchWhere(t *testing.T) {
	bin := sluiceBinary(t)
	body, err := os.ReadFile("../../examples/heroku-to-slack.logplex")
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runMatch(t, bin, body, "-where", `severity <= error && proc != "router" && app == "app"`)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var procs []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		procs = append(procs, e["proc"].(string))
	}
	if strings.Join(procs, " ") != "web.1 web.1 worker.1 postgres.1234" {
		t.Errorf("matched procs %v", procs)
	}
	// Where and a pattern on the message together.
	out, _, code = runMatch(t, bin, body, "-where", `severity <= error`, "PG")
	if code != 0 || strings.Count(out, "\n") != 2 {
		t.Errorf("where + pattern: exit %d\n%s", code, out)
	}
	// A bad rule: exit 2, naming the column and a suggestion.
	_, errOut, code = runMatch(t, bin, body, "-where", `sevrity <= error`)
	if code != 2 || !strings.Contains(errOut, "column 1") || !strings.Contains(errOut, "severity") {
		t.Errorf("bad rule: exit %d, %q", code, errOut)
	}
	if _, _, code = runMatch(t, bin, body, "-where", `app == "nope"`); code != 1 {
		t.Errorf("no match: exit %d, want 1", code)
	}
}

// TestMatchDashPattern: an exclusion pattern is not taken for a flag.
func TestMatchDashPattern(t *testing.T) {
	bin := sluiceBinary(t)
	in := []byte("DEBUG cache miss\nERROR disk full\n")
	for _, args := range [][]string{{"-DEBUG"}, {"--", "-DEBUG"}} {
		out, errOut, code := runMatch(t, bin, in, args...)
		if code != 0 || out != "ERROR disk full\n" {
			t.Errorf("sluice match %q: exit %d, %q (stderr %q)", args, code, out, errOut)
		}
	}
	if _, _, code := runMatch(t, bin, in, "-where", "true", "-format", "nope"); code != 2 {
		t.Errorf("bad -format: exit %d, want 2", code)
	}
}
