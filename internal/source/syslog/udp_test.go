package syslog

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// TestUDPDropsCounted: while the log is full, UDP messages are dropped and
// counted, and the reader goes on.
func TestUDPDropsCounted(t *testing.T) {
	ing := &fakeIngester{}
	ing.setFull(true)
	s := startSource(t, Config{Listen: []string{"udp://127.0.0.1:0"}, BatchSize: 10, MaxMessageBytes: 1024}, ing)
	u, err := net.Dial("udp", s.Addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	for i := range 100 {
		fmt.Fprintf(u, "<14>1 - h a - - - dropped %d", i)
	}
	waitFor(t, 5*time.Second, "100 drops", func() bool { return value(s.m.udpDrops.WithLabelValues(dropFull)) == 100 })
	ing.setFull(false)
	fmt.Fprintf(u, "<14>1 - h a - - - kept")
	waitFor(t, 5*time.Second, "the kept message", func() bool { return ing.count() == 1 })
	if got := value(s.m.frameErrors.WithLabelValues("udp")); got != 0 {
		t.Errorf("frame errors = %v", got)
	}
	// A datagram over MaxMessageBytes is counted, not stored.
	fmt.Fprintf(u, "<14>1 - h a - - - %s", strings.Repeat("x", 2000))
	waitFor(t, 5*time.Second, "the oversize datagram", func() bool { return value(s.m.udpDrops.WithLabelValues(dropTooLong)) == 1 })
}

// TestUDPKernelDrops: with a tiny receive buffer and a slow log, the
// kernel drops datagrams, and SO_RXQ_OVFL makes them visible.
func TestUDPKernelDrops(t *testing.T) {
	ing := &fakeIngester{delay: 300 * time.Millisecond}
	s := startSource(t, Config{Listen: []string{"udp://127.0.0.1:0"}, UDPReadBuffer: 4096, BatchSize: 5}, ing)
	u, err := net.Dial("udp", s.Addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	msg := "<14>1 - h a - - - " + strings.Repeat("y", 500)
	for range 3000 {
		_, _ = u.Write([]byte(msg))
	}
	time.Sleep(1500 * time.Millisecond)
	// The counter arrives with the next datagram read.
	_, _ = u.Write([]byte(msg))
	waitFor(t, 5*time.Second, "kernel drops", func() bool { return value(s.m.kernelDrops) > 0 })
	t.Logf("kernel drops %v, busy drops %v, stored %d", value(s.m.kernelDrops), value(s.m.udpDrops.WithLabelValues(dropBusy)), ing.count())
}
