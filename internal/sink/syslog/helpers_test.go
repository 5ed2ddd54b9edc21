package syslog

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// receiver is a syslog destination on 127.0.0.1 that parses octet-counted
// frames strictly. A malformed frame fails the test; a frame cut short by
// the end of the stream is recorded as a truncated tail.
type receiver struct {
	t       *testing.T
	ln      net.Listener
	stall   bool // accept but never read
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   []net.Conn
	frames  []received
	tails   int     // connections that ended inside a frame
	hsErrs  []error // TLS handshake failures
	accepts int
}

type received struct {
	conn int // index of the connection, in accept order
	msg  string
}

type receiverOpts struct {
	addr  string      // default 127.0.0.1:0
	tls   *tls.Config // serve TLS
	stall bool        // accept connections, never read; tiny receive buffer
}

func newReceiver(t *testing.T, o receiverOpts) *receiver {
	t.Helper()
	if o.addr == "" {
		o.addr = "127.0.0.1:0"
	}
	lc := net.ListenConfig{}
	if o.stall {
		// A small receive buffer (inherited by accepted connections) makes
		// the sender's writes block after little data.
		lc.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
			})
			return errors.Join(err, serr)
		}
	}
	var ln net.Listener
	var err error
	for range 50 { // the port of a receiver just closed may take a moment
		if ln, err = lc.Listen(context.Background(), "tcp", o.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("cannot listen: %v", err)
	}
	if o.tls != nil {
		ln = tls.NewListener(ln, o.tls)
	}
	r := &receiver{t: t, ln: ln, stall: o.stall}
	r.wg.Add(1)
	go r.accept()
	t.Cleanup(r.close)
	return r
}

func (r *receiver) addr() string { return r.ln.Addr().String() }

func (r *receiver) accept() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		id := len(r.conns)
		r.conns = append(r.conns, c)
		r.accepts++
		r.mu.Unlock()
		if r.stall {
			continue
		}
		r.wg.Add(1)
		go r.serve(c, id)
	}
}

// serve reads frames "MSG-LEN SP MSG" strictly: MSG-LEN is a non-zero
// digit followed by at most 8 digits.
func (r *receiver) serve(c net.Conn, id int) {
	defer r.wg.Done()
	br := bufio.NewReader(c)
	for {
		n, started, err := readLen(br)
		if err == nil {
			buf := make([]byte, n)
			if _, err = io.ReadFull(br, buf); err == nil {
				r.mu.Lock()
				r.frames = append(r.frames, received{id, string(buf)})
				r.mu.Unlock()
				continue
			}
		}
		var perr parseError
		switch {
		case errors.As(err, &perr):
			r.t.Errorf("receiver: connection %d: malformed frame: %v", id, err)
		case isHandshakeError(err):
			r.mu.Lock()
			r.hsErrs = append(r.hsErrs, err)
			r.mu.Unlock()
		case !started && err != nil:
			// The stream ended between two frames: EOF, reset, or closed
			// here.
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, net.ErrClosed):
			r.mu.Lock()
			r.tails++
			r.mu.Unlock()
		default:
			r.t.Errorf("receiver: connection %d: %v", id, err)
		}
		return
	}
}

type parseError string

func (e parseError) Error() string { return string(e) }

// readLen reads "MSG-LEN SP"; started says whether any byte of a frame
// was read.
func readLen(br *bufio.Reader) (n int, started bool, err error) {
	digits := 0
	for {
		c, err := br.ReadByte()
		if err != nil {
			return 0, digits > 0, err
		}
		switch {
		case c == ' ' && digits > 0:
			return n, true, nil
		case c >= '0' && c <= '9' && !(c == '0' && digits == 0) && digits < 9:
			n = n*10 + int(c-'0')
			digits++
		default:
			return 0, true, parseError(fmt.Sprintf("unexpected byte %q after %d length digits", c, digits))
		}
	}
}

func isHandshakeError(err error) bool {
	var rec tls.RecordHeaderError
	var cv *tls.CertificateVerificationError
	var alert tls.AlertError
	return errors.As(err, &rec) || errors.As(err, &cv) || errors.As(err, &alert) ||
		(err != nil && len(err.Error()) > 4 && err.Error()[:4] == "tls:")
}

// dropConns closes the connections accepted so far, keeping the listener.
func (r *receiver) dropConns() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		_ = c.Close()
	}
}

// close stops listening, closes every connection and waits for the
// goroutines.
func (r *receiver) close() {
	_ = r.ln.Close()
	r.dropConns()
	r.wg.Wait()
}

func (r *receiver) snapshot() (frames []received, tails, accepts int, hsErrs []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.frames...), r.tails, r.accepts, append([]error(nil), r.hsErrs...)
}

// waitFrames waits until n frames arrived and returns them.
func (r *receiver) waitFrames(n int) []received {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		frames, _, _, _ := r.snapshot()
		if len(frames) >= n {
			return frames
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("receiver: got %d frames, want %d", len(frames), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// liveConns counts the idle connections that are up. Only for tests,
// while no Write runs.
func (s *Sink) liveConns() int {
	n := 0
	for _, sl := range s.slots {
		if sl.c != nil && !sl.c.isDead() {
			n++
		}
	}
	return n
}

// deadConns counts the idle connections whose reader saw them end. Only
// for tests, while no Write runs.
func (s *Sink) deadConns() int {
	n := 0
	for _, sl := range s.slots {
		if sl.c != nil && sl.c.isDead() {
			n++
		}
	}
	return n
}

// pki is a test CA with a server and a client certificate, as PEM files.
type pki struct {
	caFile, certFile, keyFile string // CA, client certificate and key
	ca                        *x509.CertPool
	server                    tls.Certificate
}

func newPKI(t *testing.T, name string) *pki {
	t.Helper()
	dir := t.TempDir()
	caKey := newKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name + " test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
		key := newKey(t)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: cn},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
			DNSNames:     []string{"localhost"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	p := &pki{ca: x509.NewCertPool()}
	p.ca.AddCert(caCert)
	srvDER, srvKey := leaf(2, "server", x509.ExtKeyUsageServerAuth)
	p.server = tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}
	cliDER, cliKey := leaf(3, "client", x509.ExtKeyUsageClientAuth)
	keyDER, err := x509.MarshalPKCS8PrivateKey(cliKey)
	if err != nil {
		t.Fatal(err)
	}
	p.caFile = writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", caDER)
	p.certFile = writePEM(t, filepath.Join(dir, "client.pem"), "CERTIFICATE", cliDER)
	p.keyFile = writePEM(t, filepath.Join(dir, "client-key.pem"), "PRIVATE KEY", keyDER)
	return p
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writePEM(t *testing.T, path, typ string, der []byte) string {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
