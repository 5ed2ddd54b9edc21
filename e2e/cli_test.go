package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runCLI runs the real binary (sluice search, sluice tail) with env added
// to the test's environment.
func runCLI(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(sluiceBin(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run sluice %q: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

// lines splits output into its lines.
func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// logplexFrame is one octet-counted Logplex frame with the given time.
func logplexFrame(at time.Time, app, proc, msg string) string {
	m := fmt.Sprintf("<190>1 %s host %s %s - %s\n", at.UTC().Format("2006-01-02T15:04:05.000000+00:00"), app, proc, msg)
	return strconv.Itoa(len(m)) + " " + m
}

// postDrain posts frames to sluice's default Logplex drain, as Logplex does.
func postDrain(t *testing.T, addr string, frames ...string) {
	t.Helper()
	status, body, err := drainPost{url: "http://" + addr + "/logs", frameID: frameID(), frames: frames}.do(http.DefaultClient)
	if err != nil || status/100 != 2 {
		t.Fatalf("drain POST: %v %d %s", err, status, body)
	}
}

// sendLogger sends one line with the system's logger over TCP or UDP.
func sendLogger(t *testing.T, transport string, port int, msg string) {
	t.Helper()
	out, err := exec.Command("logger", "--rfc5424", "-n", "127.0.0.1", "-P", strconv.Itoa(port), transport,
		"-t", "billing", "-p", "local0.err", msg).CombinedOutput()
	if err != nil {
		t.Fatalf("logger %s: %v %s", transport, err, out)
	}
}

// localMicros is how the CLI prints t: the local zone, microseconds.
func localMicros(t time.Time) string {
	return t.Local().Format("2006-01-02T15:04:05.000000-07:00")
}

// tailing is a `sluice tail -f` subprocess whose lines the test reads.
type tailing struct {
	cmd    *exec.Cmd
	lines  chan string
	stderr *syncWriter
	exited chan error
}

// syncWriter collects a subprocess's stderr for reading while it runs.
type syncWriter struct {
	ch  chan struct{}
	buf bytes.Buffer
}

func newSyncWriter() *syncWriter {
	w := &syncWriter{ch: make(chan struct{}, 1)}
	w.ch <- struct{}{}
	return w
}

func (w *syncWriter) Write(p []byte) (int, error) {
	<-w.ch
	defer func() { w.ch <- struct{}{} }()
	return w.buf.Write(p)
}

func (w *syncWriter) String() string {
	<-w.ch
	defer func() { w.ch <- struct{}{} }()
	return w.buf.String()
}

func startTail(t *testing.T, env []string, args ...string) *tailing {
	t.Helper()
	cmd := exec.Command(sluiceBin(t), append([]string{"tail", "-f"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	tl := &tailing{cmd: cmd, lines: make(chan string, 1000), stderr: newSyncWriter(), exited: make(chan error, 1)}
	cmd.Stderr = tl.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			tl.lines <- sc.Text()
		}
		io.Copy(io.Discard, stdout)
		tl.exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})
	return tl
}

// next returns the next line printed, failing after timeout.
func (tl *tailing) next(t *testing.T, timeout time.Duration) string {
	t.Helper()
	select {
	case l := <-tl.lines:
		return l
	case <-time.After(timeout):
		t.Fatalf("sluice tail -f printed no line within %s; stderr:\n%s", timeout, tl.stderr.String())
		return ""
	}
}

// interrupt sends SIGINT, as Ctrl-C does, and wants a clean exit.
func (tl *tailing) interrupt(t *testing.T) {
	t.Helper()
	tl.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-tl.exited:
		if err != nil {
			t.Errorf("sluice tail -f after SIGINT: %v (want exit 0); stderr:\n%s", err, tl.stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("sluice tail -f did not exit within 5s of SIGINT")
	}
}

// TestCLISearchAndTail: `sluice serve` with no configuration fed by a
// Logplex drain and logger over TCP and UDP; `sluice search` and `sluice
// tail` find what arrived, as a user at a terminal would run them.
func TestCLISearchAndTail(t *testing.T) {
	dir := t.TempDir()
	port, syslogPort := freePort(t), freePort(t)
	p := start(t, dir, []string{fmt.Sprintf("PORT=%d", port), fmt.Sprintf("SYSLOG_PORT=%d", syslogPort)})
	env := []string{"SLUICE_URL=http://" + p.addr, "SLUICE_TOKEN=", "NO_COLOR="}

	now := time.Now().Truncate(time.Microsecond)
	older, failed, routed := now.Add(-2*time.Hour), now.Add(-2*time.Second), now.Add(-time.Second)
	postDrain(t, p.addr,
		logplexFrame(older, "app", "web.1", "checkout clie2e started"),
		logplexFrame(failed, "app", "web.1", "Error: connect ECONNREFUSED 10.0.0.1:5432 clie2e"),
		logplexFrame(routed, "heroku", "router", `at=info method=GET path="/" status=200 clie2e`),
	)
	sendLogger(t, "-T", syslogPort, "disk full via tcp clie2e")
	sendLogger(t, "-d", syslogPort, "disk full via udp clie2e")

	// Stored within moments (the store's batches are 0.2 s).
	var out, errOut string
	var code int
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, errOut, code = runCLI(t, env, "search", "clie2e")
		if len(lines(out)) == 5 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	got := lines(out)
	if code != 0 || len(got) != 5 {
		t.Fatalf("sluice search clie2e: exit %d, %d lines, want 5 (3 from the drain, 2 from logger):\n%s%s", code, len(got), out, errOut)
	}
	// Oldest first, in the local zone with microseconds, like heroku logs.
	if want := localMicros(older) + " heroku app[web.1]: checkout clie2e started"; got[0] != want {
		t.Errorf("first line:\n got %s\nwant %s", got[0], want)
	}
	if want := localMicros(failed) + " ERROR heroku app[web.1]: Error: connect ECONNREFUSED 10.0.0.1:5432 clie2e"; got[1] != want {
		t.Errorf("second line:\n got %s\nwant %s", got[1], want)
	}
	if want := localMicros(routed) + " heroku heroku[router]: "; !strings.HasPrefix(got[2], want) {
		t.Errorf("third line:\n got %s\nwant %s…", got[2], want)
	}
	for _, l := range got[3:] {
		if !strings.Contains(l, " ERROR ") || !strings.Contains(l, " billing: disk full via ") {
			t.Errorf("logger line: %s", l)
		}
	}

	// --json: the API's events, one per line.
	out, errOut, code = runCLI(t, env, "search", "ECONNREFUSED", "--json")
	var e map[string]any
	if code != 0 || len(lines(out)) != 1 || json.Unmarshal([]byte(out), &e) != nil {
		t.Fatalf("search --json: exit %d\n%s%s", code, out, errOut)
	}
	if e["message"] != "Error: connect ECONNREFUSED 10.0.0.1:5432 clie2e" || e["severity_name"] != "error" || e["group"] != "heroku" || e["proc"] != "web.1" {
		t.Errorf("search --json: %v", e)
	}

	// --since after the query; several words are one query.
	out, _, code = runCLI(t, env, "search", "clie2e", "--since", "1h")
	if got := lines(out); code != 0 || len(got) != 4 || strings.Contains(out, "checkout") {
		t.Errorf("search clie2e --since 1h: exit %d\n%s", code, out)
	}
	out, _, code = runCLI(t, env, "search", "clie2e", "severity:<=error", "--since", "1h", "-tcp")
	if got := lines(out); code != 0 || len(got) != 2 || !strings.Contains(got[0], "ECONNREFUSED") || !strings.Contains(got[1], "via udp") {
		t.Errorf("search clie2e severity:<=error --since 1h -tcp: exit %d\n%s", code, out)
	}

	// A bad query: exit 2, and where it is wrong.
	out, errOut, code = runCLI(t, env, "search", "(clie2e", "--since", "1h")
	if code != 2 || out != "" || !strings.Contains(errOut, "column") {
		t.Errorf("bad query: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// Nothing matched: exit 1, like grep.
	out, errOut, code = runCLI(t, env, "search", "nosuchwordanywhere")
	if code != 1 || out != "" || errOut != "" {
		t.Errorf("no match: exit %d, %q %q", code, out, errOut)
	}
	// tail without -f: the newest N, oldest first.
	out, _, code = runCLI(t, env, "tail", "-n", "2", "clie2e", "-app:billing")
	if got := lines(out); code != 0 || len(got) != 2 || !strings.Contains(got[0], "ECONNREFUSED") || !strings.Contains(got[1], "router") {
		t.Errorf("tail -n 2: exit %d\n%s", code, out)
	}

	// tail -f: the backfill, then lines as they arrive.
	tl := startTail(t, env, "-n", "3", "clie2e")
	for i, want := range []string{"router", "disk full via", "disk full via"} {
		if l := tl.next(t, 10*time.Second); !strings.Contains(l, want) {
			t.Errorf("backfill line %d: %s, want %s", i, l, want)
		}
	}
	// The backfill is all there is until something new arrives.
	select {
	case l := <-tl.lines:
		t.Errorf("a line after the backfill: %s", l)
	case <-time.After(300 * time.Millisecond):
	}
	sent := time.Now()
	postDrain(t, p.addr, logplexFrame(sent, "app", "web.2", "live clie2e line"), logplexFrame(sent, "app", "web.2", "not for this tail"))
	l := tl.next(t, 5*time.Second)
	if took := time.Since(sent); took > time.Second {
		t.Errorf("a line sent to the drain took %s to reach sluice tail -f, want under 1s", took)
	}
	if want := localMicros(sent) + " heroku app[web.2]: live clie2e line"; l != want {
		t.Errorf("live line:\n got %s\nwant %s", l, want)
	}
	sent = time.Now()
	sendLogger(t, "-T", syslogPort, "live over tcp clie2e")
	if l := tl.next(t, 5*time.Second); !strings.Contains(l, "ERROR") || !strings.Contains(l, "billing: live over tcp clie2e") {
		t.Errorf("live logger line: %s", l)
	}
	if took := time.Since(sent); took > time.Second {
		t.Errorf("a logger line took %s to reach sluice tail -f, want under 1s", took)
	}
	tl.interrupt(t)
	if s := tl.stderr.String(); s != "" {
		t.Errorf("tail -f stderr: %s", s)
	}

	// Nothing listening: say so, and what to do.
	closed := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	for _, cmd := range [][]string{{"search", "x", "--server", closed}, {"tail", "-f", "--server", closed}} {
		_, errOut, code = runCLI(t, env, cmd...)
		if code != 1 || !strings.Contains(errOut, "cannot reach sluice at "+closed) || !strings.Contains(errOut, "sluice serve") {
			t.Errorf("%q: exit %d, %q", cmd, code, errOut)
		}
	}
	p.stop()
}

// TestCLITailFollowsRestart: when sluice restarts, `sluice tail -f` says it
// lost the connection, reconnects by itself, shows what was stored
// meanwhile and goes on printing.
func TestCLITailFollowsRestart(t *testing.T) {
	dir := t.TempDir()
	port, syslogPort := freePort(t), freePort(t)
	serveEnv := []string{fmt.Sprintf("PORT=%d", port), fmt.Sprintf("SYSLOG_PORT=%d", syslogPort)}
	p := start(t, dir, serveEnv)
	env := []string{"SLUICE_URL=http://" + p.addr, "SLUICE_TOKEN="}

	// Printed once, whether it is stored before the tail connects (the
	// backfill) or after (live).
	postDrain(t, p.addr, logplexFrame(time.Now(), "app", "web.1", "before the restart"))
	tl := startTail(t, env, "-n", "1")
	if l := tl.next(t, 5*time.Second); !strings.HasSuffix(l, "before the restart") {
		t.Fatalf("line before the restart: %s", l)
	}
	p.stop()
	p = start(t, dir, serveEnv)
	// Stored right after the restart, likely before the tail is back: it
	// resumes after the last line it showed, so this is printed (once).
	postDrain(t, p.addr, logplexFrame(time.Now(), "app", "web.1", "while reconnecting"))
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(tl.stderr.String(), "reconnected") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	errOut := tl.stderr.String()
	if !strings.Contains(errOut, "lost the connection to http://"+p.addr) || !strings.Contains(errOut, "reconnected to http://"+p.addr+"; resuming after the last line shown") {
		t.Fatalf("stderr does not tell of the restart:\n%s", errOut)
	}
	if l := tl.next(t, 5*time.Second); !strings.HasSuffix(l, "while reconnecting") {
		t.Fatalf("line stored while the tail reconnected: %s", l)
	}
	postDrain(t, p.addr, logplexFrame(time.Now(), "app", "web.1", "after the restart"))
	if l := tl.next(t, 5*time.Second); !strings.HasSuffix(l, "after the restart") {
		t.Errorf("line after the restart: %s", l)
	}
	tl.interrupt(t)
	p.stop()
}
