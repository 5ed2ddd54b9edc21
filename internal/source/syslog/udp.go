package syslog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/pipeline"
)

// maxDatagram is the largest UDP payload.
const maxDatagram = 65535

// setupUDP sets SO_RCVBUF (when rcvbuf > 0) and turns on SO_RXQ_OVFL, with
// which the kernel reports with every datagram how many it has dropped.
func setupUDP(uc *net.UDPConn, rcvbuf int) error {
	if rcvbuf > 0 {
		if err := uc.SetReadBuffer(rcvbuf); err != nil {
			return fmt.Errorf("cannot set UDP receive buffer: %w", err)
		}
	}
	rc, err := uc.SyscallConn()
	if err != nil {
		return fmt.Errorf("cannot set SO_RXQ_OVFL: %w", err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RXQ_OVFL, 1)
	}); err != nil {
		return fmt.Errorf("cannot set SO_RXQ_OVFL: %w", err)
	}
	if serr != nil {
		return fmt.Errorf("cannot set SO_RXQ_OVFL: %w", serr)
	}
	return nil
}

// udpBatch is what the UDP reader hands to the ingesting goroutine.
type udpBatch struct {
	data  string
	ends  []int
	peers []string
}

// serveUDP reads datagrams from one socket. Batches go to an ingesting
// goroutine; the reader never waits for it longer than udpHandoffWait.
func (s *Source) serveUDP(uc *net.UDPConn, la listenAddr) {
	defer s.wg.Done()
	queue := make(chan *udpBatch, 2)
	ingested := make(chan struct{})
	go func() {
		defer close(ingested)
		s.ingestUDP(queue, la)
	}()
	defer func() {
		close(queue)
		<-ingested
	}()

	var (
		buf         = make([]byte, maxDatagram+1)
		oob         = make([]byte, unix.CmsgSpace(4))
		pending     []byte
		ends        []int
		peers       []string
		flushAt     time.Time
		lastAddr    netip.Addr
		lastPeer    string
		lastDrops   uint32
		messages    = s.m.messages.WithLabelValues(transportUDP)
		bytesRead   = s.m.bytes.WithLabelValues(transportUDP)
		frameErrors = s.m.frameErrors.WithLabelValues(transportUDP)
	)
	handoff := func() {
		if len(ends) == 0 {
			return
		}
		b := &udpBatch{data: string(pending), ends: ends, peers: peers}
		n := len(ends)
		pending, ends, peers = pending[:0], nil, nil
		select {
		case queue <- b:
			return
		default:
		}
		t := time.NewTimer(udpHandoffWait)
		defer t.Stop()
		select {
		case queue <- b:
		case <-t.C:
			s.m.udpDrops.WithLabelValues(dropBusy).Add(float64(n))
			s.log.Warn("UDP syslog messages dropped: ingest too slow", slog.String("listen", la.raw), slog.Int("messages", n))
		}
	}
	for {
		deadline := time.Time{}
		if len(ends) > 0 {
			deadline = flushAt
		}
		_ = uc.SetReadDeadline(deadline)
		n, oobn, flags, addr, err := uc.ReadMsgUDPAddrPort(buf, oob)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				handoff()
				continue
			}
			handoff()
			if !errors.Is(err, net.ErrClosed) {
				s.log.Error("cannot read UDP syslog datagram", slog.String("listen", la.raw), slog.Any("error", err))
			}
			return
		}
		if oobn > 0 {
			if d, ok := rxqOverflow(oob[:oobn]); ok {
				if d != lastDrops {
					s.m.kernelDrops.Add(float64(d - lastDrops))
					lastDrops = d
				}
			}
		}
		bytesRead.Add(float64(n))
		if n > s.cfg.MaxMessageBytes || n > maxDatagram || flags&unix.MSG_TRUNC != 0 {
			frameErrors.Inc()
			s.m.udpDrops.WithLabelValues(dropTooLong).Inc()
			continue
		}
		if a := addr.Addr(); a != lastAddr || lastPeer == "" {
			lastAddr, lastPeer = a, a.Unmap().String()
		}
		before := len(ends)
		for line := range bytes.SplitSeq(buf[:n], []byte{'\n'}) {
			line = bytes.TrimRight(line, "\r\x00")
			if len(line) == 0 {
				continue
			}
			if len(ends) == 0 {
				flushAt = time.Now().Add(s.cfg.BatchDelay)
			}
			pending = append(pending, line...)
			ends = append(ends, len(pending))
			peers = append(peers, lastPeer)
		}
		messages.Add(float64(len(ends) - before))
		if len(ends) >= s.cfg.BatchSize || len(pending) >= batchMaxBytes {
			handoff()
		}
	}
}

// rxqOverflow returns the drop count of an SO_RXQ_OVFL control message.
func rxqOverflow(oob []byte) (uint32, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SO_RXQ_OVFL && len(m.Data) >= 4 {
			return binary.NativeEndian.Uint32(m.Data), true
		}
	}
	return 0, false
}

// ingestUDP parses and ingests the batches of one UDP socket, best effort:
// a batch the log refuses is dropped and counted.
func (s *Source) ingestUDP(queue <-chan *udpBatch, la listenAddr) {
	source := la.source
	var events []event.Event
	for b := range queue {
		n := len(b.ends)
		if cap(events) < n {
			events = make([]event.Event, n)
		}
		events = events[:n]
		now := time.Now()
		start := 0
		for i, end := range b.ends {
			s.build(b.data[start:end], &events[i], now, source, b.peers[i], "")
			start = end
		}
		err := s.ing.Ingest(s.ctx, events)
		if err == nil {
			continue
		}
		reason := dropFailed
		var full *pipeline.FullError
		switch {
		case errors.As(err, &full):
			reason = dropFull
		case errors.Is(err, pipeline.ErrClosed), s.ctx.Err() != nil:
			reason = dropClosed
		}
		s.m.udpDrops.WithLabelValues(reason).Add(float64(n))
		s.log.Warn("UDP syslog messages dropped", slog.String("listen", la.raw), slog.Int("messages", n), slog.String("reason", reason), slog.Any("error", err))
	}
}
