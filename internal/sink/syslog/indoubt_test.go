package syslog

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	parsesyslog "github.com/sluicelog/sluice/internal/parse/syslog"
)

// TestReplayAfterLostConnection: a destination takes frames into its kernel
// buffer and dies without reading them; the sink sends them again on its
// next connection, so nothing it counted as delivered is lost.
func TestReplayAfterLostConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	first := make(chan net.Conn, 1)
	second := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		first <- c // accepted, never read
		c2, err := ln.Accept()
		if err != nil {
			return
		}
		c2.SetReadDeadline(time.Now().Add(5 * time.Second))
		var got bytes.Buffer
		buf := make([]byte, 64<<10)
		for !strings.Contains(got.String(), "after") {
			n, err := c2.Read(buf)
			got.Write(buf[:n])
			if err != nil {
				break
			}
		}
		c2.Close()
		second <- got.Bytes()
	}()

	s, err := New(Config{Address: "tcp://" + ln.Addr().String(), Connections: 1, ReconnectMin: time.Millisecond}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	batch := func(prefix string, n int) []event.Event {
		var out []event.Event
		for i := range n {
			out = append(out, event.Event{Severity: event.Info, Host: "h", App: "a", Message: fmt.Sprintf("%s-%d", prefix, i)})
		}
		return out
	}
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, batch("before", 50)); err != nil {
		t.Fatalf("first write: %v", err)
	}
	// The destination dies with the frames unread in its buffer.
	c := <-first
	time.Sleep(50 * time.Millisecond)
	c.(*net.TCPConn).SetLinger(0)
	c.Close()
	time.Sleep(50 * time.Millisecond)
	// The next write notices, reconnects and sends the unread frames first.
	var werr error
	for try := 0; try < 50; try++ {
		if werr = s.Write(ctx, batch("after", 1)); werr == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if werr != nil {
		t.Fatalf("write after reconnect: %v", werr)
	}
	got := string(<-second)
	var msgs []string
	err = parsesyslog.SplitOctetCounted(got, 0, func(frame string, _ int) error {
		var e event.Event
		if err := parsesyslog.Parse5424(frame, &e); err != nil {
			return err
		}
		msgs = append(msgs, e.Message)
		return nil
	})
	if err != nil {
		t.Fatalf("the second connection got broken frames: %v", err)
	}
	want := []string{}
	for i := range 50 {
		want = append(want, fmt.Sprintf("before-%d", i))
	}
	want = append(want, "after-0")
	if strings.Join(msgs, ",") != strings.Join(want, ",") {
		t.Fatalf("second connection got %v; want the 50 unread frames again, in order, then after-0", msgs)
	}
	if s.Stats().ReplayedBytes == 0 {
		t.Fatal("ReplayedBytes is 0")
	}
}

func TestInDoubtBounds(t *testing.T) {
	var d inDoubt
	now := time.Now()
	d.add([]byte("a"), now.Add(-3*time.Second))
	d.add([]byte("bb"), now.Add(-time.Second))
	d.add([]byte("ccc"), now)
	if got := string(d.takeInto(nil, now)); got != "bbccc" {
		t.Fatalf("in doubt %q: the write older than the window should be gone", got)
	}
	big := bytes.Repeat([]byte("x"), 1<<20)
	for range 5 {
		d.add(big, now)
	}
	if got := len(d.takeInto(nil, now)); got > inDoubtBytes {
		t.Fatalf("%d bytes kept, bound %d", got, inDoubtBytes)
	}
	if got := d.takeInto(nil, now); len(got) != 0 {
		t.Fatalf("take did not forget: %d bytes", len(got))
	}
}
