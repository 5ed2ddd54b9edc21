package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sluiceBinary builds the real binary once per test run.
func sluiceBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sluice")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type parsed struct {
	events []map[string]any
	stderr string
	code   int
}

func runParse(t *testing.T, bin string, stdin []byte, args ...string) parsed {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"parse"}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	p := parsed{stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		p.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run sluice parse: %v", err)
	}
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("sluice parse printed a line that is not JSON: %q: %v", sc.Text(), err)
		}
		p.events = append(p.events, m)
	}
	return p
}

func field(e map[string]any, key string) any {
	f, _ := e["fields"].(map[string]any)
	return f[key]
}

func TestParseHerokuDrainBody(t *testing.T) {
	bin := sluiceBinary(t)
	body, err := os.ReadFile("../../examples/heroku-drain.logplex")
	if err != nil {
		t.Fatal(err)
	}
	p := runParse(t, bin, body, "-id", "0123456789abcdef0123456789abcdef")
	if p.code != 0 {
		t.Fatalf("exit %d, stderr: %s", p.code, p.stderr)
	}
	if len(p.events) != 11 {
		t.Fatalf("got %d events, want the 11 frames of the body", len(p.events))
	}
	type want struct {
		sev, src, app, proc string
		fieldKey            string
		fieldVal            any
	}
	wants := []want{
		{"info", "inferred", "heroku", "router", "status", 200.0},
		{"error", "inferred", "heroku", "router", "code", "H12"},
		{"info", "pri", "app", "web.1", "", nil},
		{"error", "inferred", "app", "web.1", "", nil},
		{"warning", "field", "app", "web.1", "duration_ms", 812.0},
		{"error", "field", "app", "worker.1", "job", "SendInvoice"},
		{"error", "inferred", "heroku", "web.1", "", nil},
		{"error", "inferred", "heroku", "web.1", "exit_status", 1.0},
		{"error", "inferred", "heroku", "web.2", "code", "R14"},
		{"", "", "app", "heroku-postgres", "source", "DATABASE"},
		{"", "inferred", "heroku", "logplex", "dropped", 500.0},
	}
	for i, w := range wants {
		e := p.events[i]
		if w.sev != "" && e["severity_name"] != w.sev {
			t.Errorf("event %d (%v): severity %v, want %s", i, e["message"], e["severity_name"], w.sev)
		}
		if w.src != "" && e["severity_source"] != w.src {
			t.Errorf("event %d (%v): severity_source %v, want %s", i, e["message"], e["severity_source"], w.src)
		}
		if e["app"] != w.app || e["proc"] != w.proc || e["stream"] != w.proc || e["group"] != "heroku" {
			t.Errorf("event %d: app/proc/group/stream = %v/%v/%v/%v", i, e["app"], e["proc"], e["group"], e["stream"])
		}
		if w.fieldKey != "" && field(e, w.fieldKey) != w.fieldVal {
			t.Errorf("event %d: field %s = %#v, want %#v (fields %v)", i, w.fieldKey, field(e, w.fieldKey), w.fieldVal, e["fields"])
		}
		if e["id"] != "0123456789abcdef0123456789abcdef."+strconv.Itoa(i) {
			t.Errorf("event %d: id %v", i, e["id"])
		}
	}
	if got := p.events[2]["message"]; got != `Started GET "/" for 204.204.204.204 at 2024-05-01 12:00:01 +0000` {
		t.Errorf("Heroku message body lost or changed: %q", got)
	}
	if got := p.events[0]["time"]; got != "2024-05-01T12:00:00.123456000Z" {
		t.Errorf("time = %v", got)
	}
	// The recovered severity keeps the PRI's.
	if got := field(p.events[3], "pri_severity"); got != "info" {
		t.Errorf("pri_severity = %v, want info", got)
	}
}

func TestParseFirehoseAndCloudWatchExamples(t *testing.T) {
	bin := sluiceBinary(t)
	for _, name := range []string{"firehose-request.json", "cloudwatch-event.json"} {
		body, err := os.ReadFile("../../examples/" + name)
		if err != nil {
			t.Fatal(err)
		}
		p := runParse(t, bin, body)
		if p.code != 0 || len(p.events) == 0 {
			t.Fatalf("%s: exit %d, %d events, stderr: %s", name, p.code, len(p.events), p.stderr)
		}
		var report map[string]any
		for _, e := range p.events {
			if !strings.HasPrefix(e["group"].(string), "/aws/lambda/") || e["stream"] == "" || e["id"] == "" || e["time"] == nil {
				t.Fatalf("%s: event lacks CloudWatch group/stream/id/time: %v", name, e)
			}
			if strings.HasPrefix(e["message"].(string), "REPORT ") {
				report = e
			}
		}
		if report == nil {
			t.Fatalf("%s: no REPORT line among %d events", name, len(p.events))
		}
		if _, ok := field(report, "duration_ms").(float64); !ok {
			t.Fatalf("%s: REPORT without numeric duration_ms: %v", name, report["fields"])
		}
	}
}

// TestParseLoggerOutput captures what util-linux logger really sends over
// TCP (octet-counted RFC 5424, and RFC 3164 lines) and parses it.
func TestParseLoggerOutput(t *testing.T) {
	logger, err := exec.LookPath("logger")
	if err != nil {
		t.Fatalf("util-linux logger is needed (Debian package bsdutils; scripts/test installs it): %v", err)
	}
	bin := sluiceBinary(t)
	capture := func(args ...string) []byte {
		t.Helper()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		got := make(chan []byte, 1)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				got <- nil
				return
			}
			defer c.Close()
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			b, _ := io.ReadAll(c)
			got <- b
		}()
		port := ln.Addr().(*net.TCPAddr).Port
		cmd := exec.Command(logger, append([]string{"--tcp", "--server", "127.0.0.1", "--port", strconv.Itoa(port)}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("logger %v: %v\n%s", args, err, out)
		}
		return <-got
	}

	raw := capture("--octet-count", "--rfc5424", "-t", "billing", "-p", "local3.err", "--sd-id", "zoo@32473", "--sd-param", `tiger="hungry \"very\""`, "charge failed for invoice 42")
	p := runParse(t, bin, raw)
	if p.code != 0 || len(p.events) != 1 {
		t.Fatalf("rfc5424 from logger %q: exit %d, events %v, stderr %s", raw, p.code, p.events, p.stderr)
	}
	e := p.events[0]
	if e["app"] != "billing" || e["severity_name"] != "error" || e["facility"] != "local3" ||
		e["message"] != "charge failed for invoice 42" || field(e, "zoo@32473.tiger") != `hungry "very"` || e["group"] != e["host"] || e["stream"] != "billing" {
		t.Fatalf("rfc5424 from logger %q parsed as %v", raw, e)
	}

	raw = capture("--rfc3164", "-t", "cron", "-p", "user.warning", "backup took 3h")
	p = runParse(t, bin, raw, "-format", "syslog")
	if p.code != 0 || len(p.events) != 1 {
		t.Fatalf("rfc3164 from logger %q: exit %d, events %v, stderr %s", raw, p.code, p.events, p.stderr)
	}
	e = p.events[0]
	if e["app"] != "cron" || e["severity_name"] != "warning" || e["facility"] != "user" || e["message"] != "backup took 3h" {
		t.Fatalf("rfc3164 from logger %q parsed as %v", raw, e)
	}
}

func TestParseMalformedInput(t *testing.T) {
	bin := sluiceBinary(t)
	f := func(in, format string, wantCode int, wantStderr string, wantEvents int) {
		t.Helper()
		args := []string{}
		if format != "" {
			args = append(args, "-format", format)
		}
		p := runParse(t, bin, []byte(in), args...)
		if p.code != wantCode || !strings.Contains(p.stderr, wantStderr) || len(p.events) != wantEvents {
			t.Fatalf("parse %q: exit %d (want %d), %d events (want %d), stderr %q (want it to contain %q)",
				in, p.code, wantCode, len(p.events), wantEvents, p.stderr, wantStderr)
		}
	}
	// A bad frame among good ones: the good ones are printed, the bad one raw.
	f("21 <13>1 - - - - - - ok\n6 hello\n", "logplex", 1, "cannot parse RFC 5424 line", 2)
	// A length prefix that lies.
	f("99999 <13>1 - - - - - - x\n", "logplex", 1, "at byte 0: frame of 99999 bytes exceeds maximum of 65536", 0)
	f(`{"requestId":"r1","timestamp":1,"records":[{"data":"!!"}]}`, "firehose", 1, "records[0]", 0)
	f(`{"awslogs":{}}`, "cloudwatch", 1, "awslogs.data", 0)
	f("x", "yaml", 1, `unknown format "yaml"`, 0)
	f("", "", 0, "", 0)
}
