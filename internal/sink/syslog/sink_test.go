package syslog

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/sink"
)

// leakCheck verifies, after every other cleanup, that no goroutine leaked.
func leakCheck(t *testing.T) {
	t.Helper()
	t.Cleanup(func() { goleak.VerifyNone(t) })
}

func newTestSink(t *testing.T, cfg Config) *Sink {
	t.Helper()
	s, err := New(cfg, slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// seqEvents returns n events whose messages are prefix-00000, prefix-00001…
func seqEvents(prefix string, n, size int) []event.Event {
	pad := strings.Repeat("x", max(0, size-len(prefix)-6))
	events := make([]event.Event, n)
	for i := range events {
		events[i] = event.Event{Severity: event.Info, Host: "h", App: "a", Message: fmt.Sprintf("%s-%05d%s", prefix, i, pad)}
	}
	return events
}

// messages returns the MSG part of rfc5424 frames written from seqEvents.
func messages(frames []received) []string {
	out := make([]string, len(frames))
	for i, f := range frames {
		out[i] = f.msg[strings.LastIndexByte(f.msg, ' ')+1:]
	}
	return out
}

// checkExactlyOnce checks that frames hold each event's message once.
func checkExactlyOnce(t *testing.T, frames []received, events []event.Event) {
	t.Helper()
	seen := make(map[string]int)
	for _, m := range messages(frames) {
		seen[m]++
	}
	for _, e := range events {
		if seen[e.Message] != 1 {
			t.Errorf("message %.20s… arrived %d times, want once", e.Message, seen[e.Message])
		}
		delete(seen, e.Message)
	}
	for m := range seen {
		t.Errorf("unexpected message %.20s…", m)
	}
}

// deliver writes batch as the subscription helper does: on a
// *sink.PartialError it keeps only the rest, on another error it retries
// after a pause.
func deliver(t *testing.T, s *Sink, batch []event.Event) (failures int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := s.Write(context.Background(), batch)
		if err == nil {
			return failures
		}
		if sink.IsPermanent(err) {
			t.Fatalf("Write: permanent error %v", err)
		}
		failures++
		var pe *sink.PartialError
		if errors.As(err, &pe) {
			if pe.Delivered <= 0 || pe.Delivered >= len(batch) {
				t.Fatalf("PartialError.Delivered = %d for a batch of %d", pe.Delivered, len(batch))
			}
			batch = batch[pe.Delivered:]
		}
		if time.Now().After(deadline) {
			t.Fatalf("Write still failing: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWriteFormats(t *testing.T) {
	events := append(benchEvents(), seqEvents("plain", 1, 0)...)
	// What each format makes of benchEvents()[0], a Heroku router line.
	wantFirst := map[Format]string{
		FormatRFC5424: `<158>1 2024-03-05T06:07:08.123456Z host heroku router - [origin ip="203.0.113.7"][logplex drain_token="d.34bc219c-983b-463e-a17d-3d34ee7db812"] ` + events[0].Message,
		FormatRaw:     events[0].Raw,
		FormatLogISS:  `<158>1 2024-03-05T06:07:08.123456+00:00 d.34bc219c-983b-463e-a17d-3d34ee7db812 heroku router - [origin ip="203.0.113.7"] ` + events[0].Message + "\n",
	}
	for _, f := range []Format{FormatRFC5424, FormatRaw, FormatLogISS} {
		t.Run(string(f), func(t *testing.T) {
			leakCheck(t)
			r := newReceiver(t, receiverOpts{})
			s := newTestSink(t, Config{Address: "tcp://" + r.addr(), Connections: 1, Format: f})
			if err := s.Connect(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := s.Write(context.Background(), events); err != nil {
				t.Fatal(err)
			}
			frames := r.waitFrames(len(events))
			if len(frames) != len(events) {
				t.Fatalf("got %d frames, want %d", len(frames), len(events))
			}
			if frames[0].msg != wantFirst[f] {
				t.Errorf("first frame\n got %q\nwant %q", frames[0].msg, wantFirst[f])
			}
			for i := range events {
				want := string(AppendFrame(nil, &events[i], f))
				want = want[strings.IndexByte(want, ' ')+1:]
				if frames[i].msg != want {
					t.Errorf("frame %d\n got %q\nwant %q", i, frames[i].msg, want)
				}
			}
			st := s.Stats()
			if st.Frames != uint64(len(events)) || st.Connects != 1 || st.WriteErrors != 0 {
				t.Errorf("Stats = %+v", st)
			}
		})
	}
}

func TestWriteSpreadsBatchOverConnections(t *testing.T) {
	leakCheck(t)
	r := newReceiver(t, receiverOpts{})
	s := newTestSink(t, Config{Address: "tcp://" + r.addr(), Connections: 4})
	batch := seqEvents("m", 1000, 0)
	if err := s.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	frames := r.waitFrames(len(batch))
	checkExactlyOnce(t, frames, batch)
	perConn := map[int][]string{}
	for _, f := range frames {
		perConn[f.conn] = append(perConn[f.conn], messages([]received{f})[0])
	}
	if len(perConn) != 4 {
		t.Errorf("frames arrived on %d connections, want 4", len(perConn))
	}
	for c, msgs := range perConn {
		if len(msgs) != 250 {
			t.Errorf("connection %d got %d frames, want 250", c, len(msgs))
		}
		for i := 1; i < len(msgs); i++ {
			if msgs[i] <= msgs[i-1] {
				t.Errorf("connection %d: %s after %s: chunks must keep order", c, msgs[i], msgs[i-1])
				break
			}
		}
	}
	if st := s.Stats(); st.Connects != 4 || st.Frames != 1000 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestSmallWritesRotateOverConnections(t *testing.T) {
	leakCheck(t)
	r := newReceiver(t, receiverOpts{})
	s := newTestSink(t, Config{Address: "tcp://" + r.addr(), Connections: 4})
	batch := seqEvents("m", 8, 0)
	for i := range batch {
		if err := s.Write(context.Background(), batch[i:i+1]); err != nil {
			t.Fatal(err)
		}
	}
	frames := r.waitFrames(len(batch))
	conns := map[int]int{}
	for _, f := range frames {
		conns[f.conn]++
	}
	if len(conns) != 4 {
		t.Errorf("single-event writes used %d connections, want all 4: %v", len(conns), conns)
	}
}

func TestDestinationDownThenBack(t *testing.T) {
	leakCheck(t)
	r := newReceiver(t, receiverOpts{})
	addr := r.addr()
	r.close() // down from the start

	s := newTestSink(t, Config{Address: "tcp://" + addr, Connections: 2, ConnectTimeout: time.Second,
		ReconnectMin: 300 * time.Millisecond, ReconnectMax: 600 * time.Millisecond})
	if err := s.Connect(context.Background()); err == nil {
		t.Fatal("Connect to a closed port succeeded")
	}
	batch := seqEvents("a", 200, 0)
	err := s.Write(context.Background(), batch)
	var pe *sink.PartialError
	if err == nil || errors.As(err, &pe) || sink.IsPermanent(err) {
		t.Fatalf("Write to a closed port = %v, want a plain retryable error", err)
	}
	// Within the backoff interval no connection is attempted again.
	before := s.Stats().ConnectErrors
	if err := s.Write(context.Background(), batch); err == nil || !strings.Contains(err.Error(), "next attempt in") {
		t.Fatalf("Write during backoff = %v", err)
	}
	if after := s.Stats().ConnectErrors; after != before {
		t.Errorf("ConnectErrors went from %d to %d during the backoff interval", before, after)
	}

	r2 := newReceiver(t, receiverOpts{addr: addr})
	deliver(t, s, batch)
	frames := r2.waitFrames(len(batch))
	checkExactlyOnce(t, frames, batch)

	// Down while connected: the sink notices the closed connections...
	r2.close()
	waitFor(t, "the sink to see its connections closed", func() bool { return s.liveConns() == 0 })
	batch2 := seqEvents("b", 200, 0)
	if err := s.Write(context.Background(), batch2); err == nil {
		t.Fatal("Write while the destination is down succeeded")
	}
	// ... and delivers once it is back.
	r3 := newReceiver(t, receiverOpts{addr: addr})
	deliver(t, s, batch2)
	// Frames of the first batch written within the in-doubt window before
	// the connections were lost may be sent again (at-least-once); only
	// the second batch must arrive exactly once.
	var second []received
	waitFor(t, "the second batch at the new destination", func() bool {
		frames, _, _, _ := r3.snapshot()
		second = second[:0]
		for _, f := range frames {
			if !strings.Contains(f.msg, " a-") {
				second = append(second, f)
			}
		}
		return len(second) >= len(batch2)
	})
	checkExactlyOnce(t, second, batch2)

	for i, r := range []*receiver{r2, r3} {
		frames, tails, _, _ := r.snapshot()
		if tails != 0 {
			t.Errorf("receiver %d saw %d partial frames", i+2, tails)
		}
		if i == 0 {
			checkExactlyOnce(t, frames, batch)
		}
	}
	if st := s.Stats(); st.Connects < 2 || st.Disconnects < 1 || st.ConnectErrors < 2 || st.Frames != 400 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestPeerClosesConnection(t *testing.T) {
	leakCheck(t)
	r := newReceiver(t, receiverOpts{})
	s := newTestSink(t, Config{Address: "tcp://" + r.addr(), Connections: 1, ReconnectMin: 10 * time.Millisecond})
	if err := s.Write(context.Background(), seqEvents("a", 1, 0)); err != nil {
		t.Fatal(err)
	}
	r.waitFrames(1)
	r.dropConns()
	waitFor(t, "the sink to see the close", func() bool { return s.deadConns() == 1 })
	time.Sleep(20 * time.Millisecond) // past the backoff interval (at most 15ms)
	if err := s.Write(context.Background(), seqEvents("b", 1, 0)); err != nil {
		t.Fatalf("Write after the peer closed: %v", err)
	}
	frames := r.waitFrames(2)
	if frames[1].conn != 1 {
		t.Errorf("second frame came on connection %d, want a new one", frames[1].conn)
	}
	if st := s.Stats(); st.Connects != 2 || st.Reconnects != 1 || st.Disconnects != 1 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestDeadConnectionIsNotWritten(t *testing.T) {
	leakCheck(t)
	r := newReceiver(t, receiverOpts{})
	s := newTestSink(t, Config{Address: "tcp://" + r.addr(), Connections: 1, ReconnectMin: 10 * time.Second})
	if err := s.Write(context.Background(), seqEvents("a", 1, 0)); err != nil {
		t.Fatal(err)
	}
	r.waitFrames(1)
	r.dropConns()
	waitFor(t, "the sink to see the close", func() bool { return s.deadConns() == 1 })
	err := s.Write(context.Background(), seqEvents("b", 1, 0))
	if err == nil || !strings.Contains(err.Error(), "closed by the destination") {
		t.Fatalf("Write on a closed connection within the backoff = %v", err)
	}
	if _, _, accepts, _ := r.snapshot(); accepts != 1 {
		t.Errorf("%d connections accepted, want 1", accepts)
	}
	if st := s.Stats(); st.Frames != 1 || st.Bytes == 0 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestStalledDestination(t *testing.T) {
	leakCheck(t)
	r := newReceiver(t, receiverOpts{stall: true})
	const writeTimeout = 200 * time.Millisecond
	s := newTestSink(t, Config{Address: "tcp://" + r.addr(), Connections: 2, WriteTimeout: writeTimeout,
		ReconnectMin: 100 * time.Millisecond, ReconnectMax: 2 * time.Second})
	batch := seqEvents("s", 128, 16<<10) // 2 MiB
	var writes, failures, partial int
	start := time.Now()
	for time.Since(start) < 3*time.Second {
		t0 := time.Now()
		err := s.Write(context.Background(), batch)
		if d := time.Since(t0); d > writeTimeout+time.Second {
			t.Errorf("Write took %v with WriteTimeout %v", d, writeTimeout)
		}
		writes++
		if err != nil {
			failures++
			var pe *sink.PartialError
			if errors.As(err, &pe) {
				partial++
				if pe.Delivered <= 0 || pe.Delivered >= len(batch) {
					t.Errorf("PartialError.Delivered = %d", pe.Delivered)
				}
			}
		}
		time.Sleep(time.Millisecond)
	}
	_, _, accepts, _ := r.snapshot()
	st := s.Stats()
	t.Logf("%d writes, %d failed (%d partly), %d connections accepted, stats %+v", writes, failures, partial, accepts, st)
	if failures == 0 || st.WriteErrors == 0 {
		t.Error("no write failed against a destination that never reads")
	}
	// Backoff from 100ms doubling (±50%): at most 6 dials per connection
	// in 3 s; allow 8.
	if accepts > 2*8 || st.Connects > 2*8 {
		t.Errorf("%d connections (%d connects) in 3 s: reconnect storm", accepts, st.Connects)
	}
	for _, sl := range s.slots {
		if cap(sl.buf) > maxRetained {
			t.Errorf("connection %d keeps a %d byte buffer", sl.id, cap(sl.buf))
		}
	}
}

func TestFlappingDestination(t *testing.T) {
	leakCheck(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepts int
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepts++
			_ = c.Close() // accept, then hang up at once
		}
	})
	s := newTestSink(t, Config{Address: "tcp://" + ln.Addr().String(), Connections: 2,
		ReconnectMin: 100 * time.Millisecond, ReconnectMax: 2 * time.Second})
	batch := seqEvents("f", 100, 0)
	start := time.Now()
	for time.Since(start) < time.Second {
		_ = s.Write(context.Background(), batch)
		time.Sleep(time.Millisecond)
	}
	_ = s.Close()
	_ = ln.Close()
	wg.Wait()
	// Dials at 0, ≥50, ≥150, ≥350, ≥750 ms per connection.
	if accepts > 2*6 {
		t.Errorf("%d connections in 1 s to a destination that hangs up: reconnect storm", accepts)
	}
	t.Logf("%d connections accepted, stats %+v", accepts, s.Stats())
}

// fillUntilError writes batch until Write fails: the first writes to a
// destination that never reads only fill the socket buffers.
func fillUntilError(ctx context.Context, s *Sink, batch []event.Event) error {
	for {
		if err := s.Write(ctx, batch); err != nil {
			return err
		}
	}
}

func TestWriteHonoursContext(t *testing.T) {
	batch := seqEvents("c", 128, 16<<10) // 2 MiB
	t.Run("deadline", func(t *testing.T) {
		leakCheck(t)
		r := newReceiver(t, receiverOpts{stall: true})
		s := newTestSink(t, Config{Address: "tcp://" + r.addr(), Connections: 1, WriteTimeout: time.Minute})
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		t0 := time.Now()
		err := fillUntilError(ctx, s, batch)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(t0) > 2*time.Second {
			t.Errorf("Write with a 200ms deadline = %v after %v", err, time.Since(t0))
		}
	})
	t.Run("cancel", func(t *testing.T) {
		leakCheck(t)
		r := newReceiver(t, receiverOpts{stall: true})
		s := newTestSink(t, Config{Address: "tcp://" + r.addr(), Connections: 1, WriteTimeout: time.Minute})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(200*time.Millisecond, cancel)
		t0 := time.Now()
		err := fillUntilError(ctx, s, batch)
		if !errors.Is(err, context.Canceled) || time.Since(t0) > 2*time.Second {
			t.Errorf("cancelled Write = %v after %v", err, time.Since(t0))
		}
		if st := s.Stats(); st.Connects != 1 || st.WriteErrors != 1 {
			t.Errorf("Stats = %+v (the write must have been interrupted)", st)
		}
	})
}

func TestCloseInterruptsWrite(t *testing.T) {
	leakCheck(t)
	r := newReceiver(t, receiverOpts{stall: true})
	s := newTestSink(t, Config{Address: "tcp://" + r.addr(), Connections: 1, WriteTimeout: time.Minute})
	done := make(chan error, 1)
	go func() { done <- fillUntilError(context.Background(), s, seqEvents("c", 128, 16<<10)) }()
	// Wait until a write blocks: frames stop being counted.
	waitFor(t, "a write to block", func() bool {
		n := s.Stats().Frames
		time.Sleep(50 * time.Millisecond)
		return n > 0 && s.Stats().Frames == n
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "closed") {
			t.Errorf("Write interrupted by Close = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not interrupt Write")
	}
	if err := s.Write(context.Background(), seqEvents("d", 1, 0)); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Write after Close = %v", err)
	}
}

func TestTLS(t *testing.T) {
	p := newPKI(t, "main")
	other := newPKI(t, "other")
	serverTLS := func(clientAuth tls.ClientAuthType, maxVersion uint16) *tls.Config {
		return &tls.Config{Certificates: []tls.Certificate{p.server}, ClientAuth: clientAuth, ClientCAs: p.ca, MaxVersion: maxVersion}
	}
	tests := []struct {
		name    string
		server  *tls.Config
		cfg     Config
		wantErr string // from Connect; "" means frames must arrive
	}{
		{"server certificate, CA file", serverTLS(tls.NoClientCert, 0), Config{CAFile: p.caFile}, ""},
		{"server certificate, tls.Config", serverTLS(tls.NoClientCert, 0), Config{TLS: &tls.Config{RootCAs: p.ca}}, ""},
		{"mutual TLS", serverTLS(tls.RequireAndVerifyClientCert, 0), Config{CAFile: p.caFile, CertFile: p.certFile, KeyFile: p.keyFile}, ""},
		{"mutual TLS 1.2", serverTLS(tls.RequireAndVerifyClientCert, tls.VersionTLS12), Config{CAFile: p.caFile, CertFile: p.certFile, KeyFile: p.keyFile}, ""},
		{"wrong CA", serverTLS(tls.NoClientCert, 0), Config{CAFile: other.caFile}, "certificate signed by unknown authority"},
		{"wrong server name", serverTLS(tls.NoClientCert, 0), Config{CAFile: p.caFile, ServerName: "syslog.example"}, "not syslog.example"},
		{"client certificate missing", serverTLS(tls.RequireAndVerifyClientCert, 0), Config{CAFile: p.caFile}, "rejected the TLS client certificate"},
		{"client certificate missing, TLS 1.2", serverTLS(tls.RequireAndVerifyClientCert, tls.VersionTLS12), Config{CAFile: p.caFile}, "handshake failure"},
		{"client certificate from another CA", serverTLS(tls.RequireAndVerifyClientCert, 0), Config{CAFile: p.caFile, CertFile: other.certFile, KeyFile: other.keyFile}, "rejected the TLS client certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakCheck(t)
			r := newReceiver(t, receiverOpts{tls: tt.server})
			cfg := tt.cfg
			cfg.Address = "tls://" + r.addr()
			cfg.Connections = 1
			s := newTestSink(t, cfg)
			err := s.Connect(context.Background())
			batch := seqEvents("t", 10, 0)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Connect = %v, want an error containing %q", err, tt.wantErr)
				}
				if err := s.Write(context.Background(), batch); err == nil {
					t.Error("Write succeeded")
				}
				if frames, _, _, _ := r.snapshot(); len(frames) != 0 {
					t.Errorf("receiver got %d frames", len(frames))
				}
				if st := s.Stats(); st.Connects != 0 || st.ConnectErrors == 0 {
					t.Errorf("Stats = %+v", st)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Write(context.Background(), batch); err != nil {
				t.Fatal(err)
			}
			frames := r.waitFrames(len(batch))
			checkExactlyOnce(t, frames, batch)
			for i, f := range frames {
				want := string(AppendFrame(nil, &batch[i], FormatRFC5424))
				if f.msg != want[strings.IndexByte(want, ' ')+1:] {
					t.Errorf("frame %d = %q", i, f.msg)
				}
			}
		})
	}
}

func BenchmarkWrite(b *testing.B) {
	ev := benchEvents()[0]
	batch := make([]event.Event, 1000)
	for i := range batch {
		batch[i] = ev
	}
	for _, bc := range []struct {
		format Format
		conns  int
	}{{FormatRFC5424, 1}, {FormatRFC5424, 4}, {FormatRaw, 1}, {FormatLogISS, 1}, {FormatLogISS, 4}} {
		b.Run(fmt.Sprintf("%s/conns=%d", bc.format, bc.conns), func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			var wg sync.WaitGroup
			wg.Go(func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					wg.Go(func() { _, _ = io.Copy(io.Discard, c); _ = c.Close() })
				}
			})
			s, err := New(Config{Address: "tcp://" + ln.Addr().String(), Connections: bc.conns, Format: bc.format}, nil)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for i := range batch {
				n += len(AppendFrame(nil, &batch[i], bc.format))
			}
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Write(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			_ = s.Close()
			_ = ln.Close()
			wg.Wait()
		})
	}
}
