package syslog

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

// These tests use real senders: util-linux logger, rsyslog (omfwd, with
// rsyslog-gnutls for TLS) and syslog-ng's loggen. scripts/test installs
// them; a test skips only when its sender is not installed.

func needBinary(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed: %v", name, err)
	}
	return p
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func hostname(t *testing.T) string {
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestLogger sends with util-linux logger in every framing and format it
// has and checks every field of every event.
func TestLogger(t *testing.T) {
	logger := needBinary(t, "logger")
	ing := &fakeIngester{}
	s := startSource(t, Config{}, ing)
	tcpPort, udpPort := strconv.Itoa(port(s, 0)), strconv.Itoa(port(s, 1))
	cases := []struct {
		name string
		args []string
	}{
		{"tcp-5424", []string{"--tcp", "--port", tcpPort, "--rfc5424"}},
		{"tcp-5424-octet", []string{"--tcp", "--port", tcpPort, "--rfc5424", "--octet-count"}},
		{"tcp-3164", []string{"--tcp", "--port", tcpPort, "--rfc3164"}},
		{"tcp-3164-octet", []string{"--tcp", "--port", tcpPort, "--rfc3164", "--octet-count"}},
		{"udp-5424", []string{"--udp", "--port", udpPort, "--rfc5424"}},
		{"udp-3164", []string{"--udp", "--port", udpPort, "--rfc3164"}},
	}
	for i, tc := range cases {
		args := append([]string{"--server", "127.0.0.1", "-t", "app-" + tc.name, "--id=" + strconv.Itoa(1000+i), "-p", "local3.warning"}, tc.args...)
		args = append(args, "hello from "+tc.name, "with words")
		run(t, logger, args...)
	}
	waitFor(t, 10*time.Second, "an event per logger run", func() bool { return ing.count() == len(cases) })
	got := map[string]event.Event{}
	for _, e := range ing.snapshot() {
		got[e.App] = e
	}
	host := hostname(t)
	for i, tc := range cases {
		e, ok := got["app-"+tc.name]
		if !ok {
			t.Errorf("%s: no event (got %v)", tc.name, got)
			continue
		}
		if e.Message != "hello from "+tc.name+" with words" || e.Proc != strconv.Itoa(1000+i) ||
			e.Severity != event.Warning || e.Facility != event.FacilityFromCode(19) || e.SeveritySource != event.SeverityPRI {
			t.Errorf("%s: %+v", tc.name, e)
		}
		if e.Host != host || e.Group != host || e.Stream != e.App {
			t.Errorf("%s: host %q group %q stream %q, want host %q", tc.name, e.Host, e.Group, e.Stream, host)
		}
		if e.Time.IsZero() || time.Since(e.Time).Abs() > time.Minute {
			t.Errorf("%s: time %v", tc.name, e.Time)
		}
		if _, bad := e.Field("parse_error"); bad {
			t.Errorf("%s: parse error %+v", tc.name, e.Fields)
		}
	}
	if v := value(s.m.malformed); v != 0 {
		t.Errorf("malformed = %v", v)
	}
}

// freeUDPPort returns a UDP port that was free a moment ago.
func freeUDPPort(t *testing.T) int {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// TestRsyslogForwarding runs rsyslogd with an imudp input (logger sends to
// it) and omfwd actions to sluice: TCP with newline framing
// (RSYSLOG_ForwardFormat), TCP octet-counted (RFC 5424) and TLS via gtls
// with a client certificate (mutual TLS, allow-listed).
func TestRsyslogForwarding(t *testing.T) {
	rsyslogd := needBinary(t, "rsyslogd")
	logger := needBinary(t, "logger")
	_, gtlsErr := os.Stat("/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so")
	withTLS := gtlsErr == nil

	pki := newPKI(t)
	dir := t.TempDir()
	listen := []string{"tcp://127.0.0.1:0", "tcp://127.0.0.1:0"}
	if withTLS {
		listen = append(listen, "tls://127.0.0.1:0")
	}
	ing := &fakeIngester{}
	s := startSource(t, Config{Listen: listen, TLS: pki.serverConfig(), AllowedClients: []string{"rsyslog-client"}}, ing)
	inPort := freeUDPPort(t)
	conf := fmt.Sprintf(`global(workDirectory=%q)
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="%d")
action(type="omfwd" target="127.0.0.1" port="%d" protocol="tcp" template="RSYSLOG_ForwardFormat")
action(type="omfwd" target="127.0.0.1" port="%d" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
`, dir, inPort, port(s, 0), port(s, 1))
	if withTLS {
		caFile, certFile, keyFile := pki.writePEM(t, dir, pki.issue(t, "rsyslog-client", nil, true))
		conf = fmt.Sprintf(`global(DefaultNetstreamDriverCAFile=%q DefaultNetstreamDriverCertFile=%q DefaultNetstreamDriverKeyFile=%q)
`, caFile, certFile, keyFile) + conf + fmt.Sprintf(`action(type="omfwd" target="127.0.0.1" port="%d" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"
       StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name" StreamDriverPermittedPeers="localhost")
`, port(s, 2))
	} else {
		t.Log("rsyslog-gnutls is not installed: TLS forwarding not tested")
	}
	confFile := filepath.Join(dir, "rsyslog.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(rsyslogd, "-n", "-f", confFile, "-i", filepath.Join(dir, "rsyslogd.pid"))
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		kill := time.AfterFunc(10*time.Second, func() { _ = cmd.Process.Kill() })
		_ = cmd.Wait()
		kill.Stop()
		t.Logf("rsyslogd output:\n%s", out.String())
	}()
	send := func(tag, msg string) {
		run(t, logger, "--udp", "--server", "127.0.0.1", "--port", strconv.Itoa(inPort), "--rfc3164", "-t", tag, "-p", "daemon.err", msg)
	}
	// rsyslogd takes a moment to bind: probe until a message arrives.
	waitFor(t, 20*time.Second, "rsyslogd to forward", func() bool {
		send("probe", "probe")
		time.Sleep(100 * time.Millisecond)
		return ing.count() > 0
	})
	time.Sleep(300 * time.Millisecond)
	before := ing.count()
	const n = 50
	for i := range n {
		send("relayed", "message number "+strconv.Itoa(i))
	}
	want := before + n*len(listen)
	waitFor(t, 20*time.Second, "every forwarded message", func() bool { return ing.count() >= want })
	perListener := map[string]int{}
	host := hostname(t)
	bad := 0
	for _, e := range ing.snapshot() {
		if e.App != "relayed" {
			continue
		}
		perListener[e.Source]++
		if bad > 5 {
			continue
		}
		bad++
		// rsyslog's %msg% keeps the space after "tag:" of the 3164 input.
		if !strings.HasPrefix(strings.TrimSpace(e.Message), "message number ") || e.Severity != event.Error || e.Facility != event.FacilityFromCode(3) || e.Host != host {
			t.Errorf("event from %s: %+v", e.Source, e)
		} else if strings.HasPrefix(e.Source, "syslog:tls") != (field(e, FieldClient) == "rsyslog-client") {
			t.Errorf("event from %s has client %q", e.Source, field(e, FieldClient))
		} else {
			bad--
		}
	}
	if len(perListener) != len(listen) {
		t.Errorf("events per listener: %v", perListener)
	}
	for l, c := range perListener {
		if c != n {
			t.Errorf("%s: %d events, want %d", l, c, n)
		}
	}
	if v := value(s.m.malformed) + value(s.m.frameErrors.WithLabelValues("tcp")) + value(s.m.frameErrors.WithLabelValues("tls")); v != 0 {
		t.Errorf("malformed and frame errors = %v", v)
	}
}

// countIngester counts events and keeps the last one.
type countIngester struct {
	n    atomic.Int64
	last atomic.Pointer[event.Event]
}

func (c *countIngester) Ingest(_ context.Context, events []event.Event) error {
	c.n.Add(int64(len(events)))
	e := events[len(events)-1].Clone()
	c.last.Store(&e)
	return nil
}

// loggen returns syslog-ng's loggen: from PATH, or unpacked from the
// syslog-ng-core package into /opt/syslog-ng (it conflicts with rsyslog,
// so scripts/test unpacks it rather than installing it).
func loggen(t *testing.T) *exec.Cmd {
	if p, err := exec.LookPath("loggen"); err == nil {
		return exec.Command(p)
	}
	const root = "/opt/syslog-ng/usr"
	if _, err := os.Stat(root + "/bin/loggen"); err != nil {
		t.Skip("loggen is not installed (syslog-ng-core)")
	}
	cmd := exec.Command(root + "/bin/loggen")
	cmd.Env = append(os.Environ(), "SYSLOGNG_PREFIX="+root, "LD_LIBRARY_PATH="+root+"/lib/syslog-ng")
	return cmd
}

// TestLoggenLoad sends with loggen over TCP, RFC 3164 with newline
// framing and RFC 5424 octet-counted, and checks that every message
// arrived.
func TestLoggenLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	ing := &countIngester{}
	s := startSource(t, Config{Listen: []string{"tcp://127.0.0.1:0"}}, ing)
	const n = 100_000
	for _, proto := range [][]string{nil, {"--syslog-proto"}} {
		before := ing.n.Load()
		cmd := loggen(t)
		// loggen stops at --interval (10 s by default) even with --number:
		// on a busy machine it would send fewer than asked.
		cmd.Args = append(cmd.Args, "--inet", "--stream", "--rate", "50000", "--number", strconv.Itoa(n), "--active-connections", "2", "--interval", "300")
		cmd.Args = append(cmd.Args, proto...)
		cmd.Args = append(cmd.Args, "127.0.0.1", strconv.Itoa(port(s, 0)))
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
		}
		// loggen --number sends n messages per active connection; what it
		// reports having sent is what must arrive.
		sent := int64(2 * n)
		if m := regexp.MustCompile(`count=(\d+)`).FindAllStringSubmatch(string(out), -1); len(m) > 0 {
			sent, _ = strconv.ParseInt(m[len(m)-1][1], 10, 64)
		}
		if sent != 2*n {
			t.Logf("loggen reports %d messages sent, asked for %d", sent, 2*n)
		}
		want := before + sent
		waitFor(t, 30*time.Second, "every loggen message", func() bool { return ing.n.Load() >= want })
		time.Sleep(100 * time.Millisecond)
		if got := ing.n.Load(); got != want {
			t.Errorf("%v: received %d, want %d", proto, got-before, want-before)
		}
		last := ing.last.Load()
		if _, bad := last.Field("parse_error"); bad || last.Message == "" {
			t.Errorf("%v: last event %+v", proto, last)
		}
		t.Logf("loggen %v: %d messages in %s; %s", proto, sent, time.Since(start).Round(time.Millisecond), strings.TrimSpace(lastLine(string(out))))
	}
	if v := value(s.m.malformed) + value(s.m.frameErrors.WithLabelValues("tcp")); v != 0 {
		t.Errorf("malformed and frame errors = %v", v)
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
