package syslog

import (
	"bytes"
	"fmt"
	"net"
	"runtime"
	"testing"
	"time"
)

// FuzzConnection feeds arbitrary bytes through a connection (net.Pipe):
// the source never panics, and input with any message byte becomes events
// or counted frame errors.
func FuzzConnection(f *testing.F) {
	for _, seed := range []string{
		"<14>1 2024-01-02T03:04:05Z host app 1 - - hello\n",
		"47 <14>1 2024-01-02T03:04:05Z host app 1 - - hello",
		"<34>Oct 11 22:14:15 mymachine su: 'su root' failed\r\n<13>x\x00",
		"99999999999 <14>junk\n12 <14>truncated",
		"5 <1>ab\n\n\n3 <1",
		"\n\r\x00",
		"2000 <" + string(bytes.Repeat([]byte("x"), 300)),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ing := &fakeIngester{}
		s, err := New(Config{Listen: []string{"tcp://127.0.0.1:0"}, MaxMessageBytes: 256, BatchSize: 3}, ing, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		server, client := net.Pipe()
		c := s.newConn(server, s.addrs[0])
		wrote := make(chan error, 1)
		go func() {
			// Write in two pieces, so that frames straddle reads.
			half := len(data) / 2
			_, err := client.Write(data[:half])
			if err == nil {
				_, err = client.Write(data[half:])
			}
			client.Close()
			wrote <- err
		}()
		watchdog := time.AfterFunc(5*time.Second, func() {
			buf := make([]byte, 1<<20)
			panic(fmt.Sprintf("hang on %q:\n%s", data, buf[:runtime.Stack(buf, true)]))
		})
		defer watchdog.Stop()
		c.serve() // closes server, which ends a blocked write
		if err := <-wrote; err != nil {
			t.Fatalf("the source stopped reading early: %v", err)
		}

		events := ing.snapshot()
		frameErrors := value(s.m.frameErrors.WithLabelValues(transportTCP))
		if value(s.m.messages.WithLabelValues(transportTCP)) != float64(len(events)) {
			t.Fatalf("messages counted %v, events %d", value(s.m.messages.WithLabelValues(transportTCP)), len(events))
		}
		if bytes.ContainsFunc(data, func(r rune) bool { return r != '\n' && r != '\r' && r != 0 }) && len(events) == 0 && frameErrors == 0 {
			t.Fatalf("input %q: no event and no frame error", data)
		}
		for _, e := range events {
			if e.Group == "" || e.Stream == "" || e.Source == "" || field(e, FieldPeer) != "pipe" {
				t.Fatalf("event %+v", e)
			}
			if len(e.Message) > 256 {
				t.Fatalf("message of %d bytes passed a 256-byte limit", len(e.Message))
			}
		}
	})
}
