package bench

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicelog/sluice/internal/parse/syslog"
)

// Receiver is a TCP syslog receiver that counts octet-counted frames, to
// verify that what a drain accepted arrived. A frame that does not parse as
// syslog counts as bad.
type Receiver struct {
	ln     net.Listener
	frames atomic.Int64
	bad    atomic.Int64
	conns  atomic.Int64
	wg     sync.WaitGroup
	mu     sync.Mutex
	open   map[net.Conn]bool
}

// Listen starts a receiver on addr (e.g. 127.0.0.1:0).
func Listen(addr string) (*Receiver, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	r := &Receiver{ln: ln, open: map[net.Conn]bool{}}
	r.wg.Add(1)
	go r.accept()
	return r, nil
}

// Addr is the address the receiver listens on.
func (r *Receiver) Addr() string { return r.ln.Addr().String() }

// Frames is the number of frames received so far; Bad the number that did
// not parse; Conns the number of connections accepted.
func (r *Receiver) Frames() int64 { return r.frames.Load() }

// Bad is the number of frames that did not parse as syslog.
func (r *Receiver) Bad() int64 { return r.bad.Load() }

// Conns is the number of connections accepted so far.
func (r *Receiver) Conns() int64 { return r.conns.Load() }

// WaitFor waits until at least n frames arrived or timeout passed, and
// reports whether they did.
func (r *Receiver) WaitFor(n int64, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for r.frames.Load() < n {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

func (r *Receiver) accept() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.conns.Add(1)
		r.mu.Lock()
		r.open[c] = true
		r.mu.Unlock()
		r.wg.Add(1)
		go r.serve(c)
	}
}

func (r *Receiver) serve(c net.Conn) {
	defer r.wg.Done()
	defer func() {
		r.mu.Lock()
		delete(r.open, c)
		r.mu.Unlock()
		c.Close()
	}()
	fr := syslog.NewFramer(c, syslog.FramerConfig{Mode: syslog.FramingOctetCounting, OnBadFrame: syslog.Stop})
	for {
		frame, err := fr.Next()
		if err != nil {
			var fe *syslog.FrameError
			if errors.As(err, &fe) && !errors.Is(err, io.EOF) {
				r.bad.Add(1)
			}
			return
		}
		if len(frame) == 0 || frame[0] != '<' {
			r.bad.Add(1)
		}
		r.frames.Add(1)
	}
}

// Close stops the receiver and its connections.
func (r *Receiver) Close() error {
	err := r.ln.Close()
	r.mu.Lock()
	for c := range r.open {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
	return err
}
