package syslog

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse/syslog"
)

func field(e event.Event, key string) string {
	f, _ := e.Field(key)
	return f.Value
}

func TestTCPFramingsAndUDP(t *testing.T) {
	ing := &fakeIngester{}
	s := startSource(t, Config{}, ing)
	const line5424 = `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 42 ID47 [exampleSDID@32473 iut="3"] An application event`
	const line3164 = `<34>Oct 11 22:14:15 mymachine su: 'su root' failed`

	c, err := net.Dial("tcp", s.Addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "%s\n%s\r\nnot syslog at all\n", line5424, line3164)
	c.Close()

	c, err = net.Dial("tcp", s.Addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "%d %s%d %s", len(line5424), line5424, len(line3164), line3164)
	c.Close()

	u, err := net.Dial("udp", s.Addrs()[1].String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(u, "%s\n", line5424)
	fmt.Fprintf(u, "%s\n%s", line3164, line3164)
	u.Close()

	waitFor(t, 5*time.Second, "8 events", func() bool { return ing.count() == 8 })
	byMsg := map[string]int{}
	for _, e := range ing.snapshot() {
		byMsg[e.Message]++
		if field(e, FieldPeer) != "127.0.0.1" {
			t.Errorf("peer = %q", field(e, FieldPeer))
		}
		if !strings.HasPrefix(e.Source, "syslog:") || e.Received.IsZero() {
			t.Errorf("source %q received %v", e.Source, e.Received)
		}
		switch e.Message {
		case "An application event":
			if e.Host != "mymachine.example.com" || e.App != "evntslog" || e.Proc != "42" || e.MsgID != "ID47" || e.Severity != 5 || e.Facility != event.FacilityFromCode(20) {
				t.Errorf("5424 event: %+v", e)
			}
			if e.Group != "mymachine.example.com" || e.Stream != "evntslog" {
				t.Errorf("group/stream %q %q", e.Group, e.Stream)
			}
		case "'su root' failed":
			if e.Host != "mymachine" || e.App != "su" || e.Severity != 2 {
				t.Errorf("3164 event: %+v", e)
			}
		}
	}
	want := map[string]int{"An application event": 3, "'su root' failed": 4, "not syslog at all": 1}
	for k, n := range want {
		if byMsg[k] != n {
			t.Errorf("%d events %q, want %d (all: %v)", byMsg[k], k, n, byMsg)
		}
	}
	if got := value(s.m.messages.WithLabelValues("tcp")); got != 5 {
		t.Errorf("tcp messages = %v", got)
	}
	if got := value(s.m.messages.WithLabelValues("udp")); got != 3 {
		t.Errorf("udp messages = %v", got)
	}
}

func TestMalformedKeptRaw(t *testing.T) {
	ing := &fakeIngester{}
	s := startSource(t, Config{GroupFrom: "fixed:edge", StreamFrom: "proc"}, ing)
	c, err := net.Dial("tcp", s.Addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	// A 5424 line with a bad timestamp does not parse.
	io.WriteString(c, "<13>1 2003-13-11T22:14:15Z host app - - - broken\n")
	c.Close()
	waitFor(t, 5*time.Second, "1 event", func() bool { return ing.count() == 1 })
	e := ing.snapshot()[0]
	if e.Message != "<13>1 2003-13-11T22:14:15Z host app - - - broken" || field(e, syslog.FieldParseError) == "" {
		t.Errorf("raw event: %+v", e)
	}
	if e.Group != "edge" || e.Stream != "unknown" {
		t.Errorf("group %q stream %q", e.Group, e.Stream)
	}
	if got := value(s.m.malformed); got != 1 {
		t.Errorf("malformed = %v", got)
	}
}

// TestBackpressure: while the log is full, the source stops reading, so
// the sender's writes block; once it has room, everything arrives.
func TestBackpressure(t *testing.T) {
	ing := &fakeIngester{}
	ing.setFull(true)
	s := startSource(t, Config{BatchSize: 10}, ing)
	c, err := net.Dial("tcp", s.Addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	line := "<14>1 2024-01-02T03:04:05Z host app - - - " + strings.Repeat("x", 200) + "\n"
	sent := 0
	blocked := false
	for sent < 200_000 {
		_ = c.SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
		if _, err := io.WriteString(c, line); err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatal(err)
			}
			blocked = true
			break
		}
		sent++
	}
	if !blocked {
		t.Fatalf("wrote %d lines without blocking", sent)
	}
	read := value(s.m.bytes.WithLabelValues("tcp"))
	time.Sleep(100 * time.Millisecond)
	if again := value(s.m.bytes.WithLabelValues("tcp")); again != read {
		t.Errorf("bytes read grew from %v to %v while the log was full", read, again)
	}
	if ing.count() != 0 || value(s.m.fullWaits) == 0 {
		t.Fatalf("events %d, full waits %v", ing.count(), value(s.m.fullWaits))
	}
	if read > float64(sent*len(line)) {
		t.Fatalf("read %v bytes of %d", read, sent*len(line))
	}
	t.Logf("sender blocked after %d lines (%d bytes); sluice had read %v bytes", sent, sent*len(line), read)
	// A partly written line may be pending: finish it, then unblock.
	_ = c.SetWriteDeadline(time.Time{})
	ing.setFull(false)
	io.WriteString(c, "\n")
	c.Close()
	waitFor(t, 10*time.Second, "all lines", func() bool { return ing.count() >= sent })
	time.Sleep(50 * time.Millisecond)
	if got := ing.count(); got != sent && got != sent+1 {
		t.Errorf("got %d events, sent %d (+1 partial)", got, sent)
	}
}

// TestHostileLongLine: a 10 MB line without a newline is skipped in bounded
// memory and counted; another connection is served meanwhile.
func TestHostileLongLine(t *testing.T) {
	ing := &fakeIngester{}
	s := startSource(t, Config{MaxMessageBytes: 1024}, ing)
	hostile, err := net.Dial("tcp", s.Addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer hostile.Close()
	done := make(chan error, 1)
	go func() {
		chunk := bytes.Repeat([]byte("A"), 64<<10)
		for range 160 {
			if _, err := hostile.Write(chunk); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	good, err := net.Dial("tcp", s.Addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(good, "<14>1 2024-01-02T03:04:05Z host app - - - fine\n")
	good.Close()
	waitFor(t, 5*time.Second, "the good line", func() bool { return ing.count() == 1 })
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	io.WriteString(hostile, "\n<14>1 2024-01-02T03:04:05Z host app - - - after\n")
	hostile.Close()
	waitFor(t, 5*time.Second, "the line after", func() bool { return ing.count() == 2 })
	if got := value(s.m.frameErrors.WithLabelValues("tcp")); got != 1 {
		t.Errorf("frame errors = %v, want 1", got)
	}
}

func TestIdleTimeout(t *testing.T) {
	ing := &fakeIngester{}
	s := startSource(t, Config{IdleTimeout: 100 * time.Millisecond}, ing)
	c, err := net.Dial("tcp", s.Addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "<14>hello\n")
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read = %v, want EOF (closed by the source)", err)
	}
	if ing.count() != 1 || value(s.m.closedIdle) != 1 {
		t.Errorf("events %d, idle closes %v", ing.count(), value(s.m.closedIdle))
	}
}

func TestMaxConnections(t *testing.T) {
	ing := &fakeIngester{}
	s := startSource(t, Config{MaxConnections: 2}, ing)
	var conns []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", s.Addrs()[0].String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	waitFor(t, 5*time.Second, "2 connections", func() bool { return value(s.m.connections.WithLabelValues("tcp")) == 2 })
	extra, err := net.Dial("tcp", s.Addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	_ = extra.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := extra.Read(make([]byte, 1)); err == nil {
		t.Fatal("third connection not closed")
	}
	if got := value(s.m.rejected.WithLabelValues(rejectMaxConnections)); got != 1 {
		t.Errorf("rejected = %v", got)
	}
	conns[0].Close()
	waitFor(t, 5*time.Second, "a free slot", func() bool { return value(s.m.connections.WithLabelValues("tcp")) == 1 })
	c, err := net.Dial("tcp", s.Addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "<14>again\n")
	c.Close()
	waitFor(t, 5*time.Second, "1 event", func() bool { return ing.count() == 1 })
}

func TestMutualTLS(t *testing.T) {
	pki := newPKI(t)
	ing := &fakeIngester{}
	s := startSource(t, Config{
		Listen:         []string{"tls://127.0.0.1:0"},
		TLS:            pki.serverConfig(),
		AllowedClients: []string{"web-1", "db.example.com"},
	}, ing)
	send := func(cert *tls.Certificate, msg string) error {
		cfg := &tls.Config{RootCAs: pki.pool, ServerName: "localhost"}
		if cert != nil {
			cfg.Certificates = []tls.Certificate{*cert}
		}
		c, err := tls.Dial("tcp", s.Addrs()[0].String(), cfg)
		if err != nil {
			return err
		}
		defer c.Close()
		if _, err := io.WriteString(c, msg); err != nil {
			return err
		}
		// A rejected client learns it when reading.
		_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		_, err = c.Read(make([]byte, 1))
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil
		}
		return err
	}
	byCN := pki.issue(t, "web-1", nil, true)
	bySAN := pki.issue(t, "whatever", []string{"db.example.com"}, true)
	denied := pki.issue(t, "intruder", []string{"evil.example.com"}, true)
	if err := send(&byCN, "<14>1 - h a - - - by cn\n"); err != nil {
		t.Errorf("allowed by CN: %v", err)
	}
	if err := send(&bySAN, "<14>1 - h a - - - by san\n"); err != nil {
		t.Errorf("allowed by SAN: %v", err)
	}
	_ = send(&denied, "<14>1 - h a - - - denied\n")
	_ = send(nil, "<14>1 - h a - - - no cert\n")
	waitFor(t, 5*time.Second, "2 events", func() bool { return ing.count() == 2 })
	waitFor(t, 5*time.Second, "rejections", func() bool {
		return value(s.m.rejected.WithLabelValues(rejectNotAllowed)) == 1 && value(s.m.rejected.WithLabelValues(rejectTLSHandshake)) == 1
	})
	clients := map[string]string{}
	for _, e := range ing.snapshot() {
		clients[e.Message] = field(e, FieldClient)
	}
	if clients["by cn"] != "web-1" || clients["by san"] != "whatever" || len(clients) != 2 {
		t.Errorf("clients = %v", clients)
	}
}

func TestCloseIngestsWhatWasRead(t *testing.T) {
	ing := &fakeIngester{}
	s, err := New(Config{Listen: []string{"tcp://127.0.0.1:0"}, BatchDelay: time.Hour}, ing, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", s.Addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "<14>one\n<14>two\n")
	waitFor(t, 5*time.Second, "2 messages read", func() bool { return value(s.m.bytes.WithLabelValues("tcp")) == 16 })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if ing.count() != 2 {
		t.Errorf("%d events after Close, want 2", ing.count())
	}
	if _, err := net.Dial("tcp", s.Addrs()[0].String()); err == nil {
		t.Error("still listening after Close")
	}
}

func TestStartErrorNamesAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := "tcp://" + ln.Addr().String()
	s, err := New(Config{Listen: []string{"udp://127.0.0.1:0", addr}}, nopIngester{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Start(t.Context())
	if err == nil || !strings.Contains(err.Error(), addr) || !strings.HasPrefix(err.Error(), "cannot listen on") {
		t.Fatalf("Start = %v", err)
	}
	if len(s.Addrs()) != 0 {
		t.Errorf("addresses still bound: %v", s.Addrs())
	}
	_ = s.Close()
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "at least one address"},
		{Config{Listen: []string{"127.0.0.1:5514"}}, "cannot parse listen address"},
		{Config{Listen: []string{"http://127.0.0.1:5514"}}, "not tcp, udp or tls"},
		{Config{Listen: []string{"tls://127.0.0.1:6514"}}, "needs a TLS configuration"},
		{Config{Listen: []string{"tcp://:1"}, AllowedClients: []string{"x"}}, "client certificate verification"},
		{Config{Listen: []string{"tcp://:1"}, GroupFrom: "fixed:"}, "group_from"},
		{Config{Listen: []string{"tcp://:1"}, BatchSize: -1}, "batch_size"},
	} {
		err := tc.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
	if _, err := New(Config{Listen: []string{"udp://x"}}, nopIngester{}, nil, nil); err == nil || !strings.HasPrefix(err.Error(), "cannot create syslog source") {
		t.Errorf("New = %v", err)
	}
}

func TestSharedMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	for range 2 {
		if _, err := New(Config{Listen: []string{"tcp://127.0.0.1:0"}}, nopIngester{}, reg, nil); err != nil {
			t.Fatal(err)
		}
	}
}
