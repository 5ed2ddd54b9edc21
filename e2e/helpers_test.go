// Package e2e runs the real sluice binary as a user would: real processes,
// real sockets, real HTTP, real signals.
package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse/syslog"
)

type build struct {
	once sync.Once
	path string
	err  error
}

var raceBuild, plainBuild build

func (b *build) get(t *testing.T, flags ...string) string {
	t.Helper()
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "sluice-e2e-bin")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, "sluice")
		args := append(append([]string{"build"}, flags...), "-o", b.path, "../cmd/sluice")
		if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// sluiceBin is the binary built with the race detector, so that the
// end-to-end tests also look for data races in the running server.
func sluiceBin(t *testing.T) string { return raceBuild.get(t, "-race") }

// sluicePlainBin is the binary as users build it, for measuring memory.
func sluicePlainBin(t *testing.T) string { return plainBuild.get(t) }

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// proc is a running sluice.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	addr   string
	mu     sync.Mutex
	logs   bytes.Buffer
	exited chan struct{}
	err    error
}

// start runs `sluice serve` with args and env in dir and waits until it
// listens.
func start(t *testing.T, dir string, env []string, args ...string) *proc {
	t.Helper()
	return startBin(t, sluiceBin(t), dir, env, args...)
}

// startBin is start with a given binary.
func startBin(t *testing.T, bin, dir string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, cmd: cmd, exited: make(chan struct{})}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			p.mu.Lock()
			p.logs.Write(line)
			p.logs.WriteByte('\n')
			p.mu.Unlock()
			var rec struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(line, &rec) == nil && rec.Msg == "listening" {
				select {
				case listening <- rec.Addr:
				default:
				}
			}
		}
	}()
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("sluice logs:\n%s", p.Logs())
		}
	})
	select {
	case p.addr = <-listening:
	case <-p.exited:
		t.Fatalf("sluice exited before listening: %v\n%s", p.err, p.Logs())
	case <-time.After(30 * time.Second):
		t.Fatalf("sluice did not listen within 30s:\n%s", p.Logs())
	}
	return p
}

func (p *proc) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop() {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(40 * time.Second):
		p.t.Fatalf("sluice did not exit within 40s of SIGTERM")
	}
	if p.err != nil {
		p.t.Fatalf("sluice exited with %v after SIGTERM:\n%s", p.err, p.Logs())
	}
}

// kill ends sluice with SIGKILL, as a crash would.
func (p *proc) kill() {
	p.cmd.Process.Kill()
	<-p.exited
}

// writeConfig writes a YAML configuration into dir.
func writeConfig(t *testing.T, dir, yaml string) string {
	t.Helper()
	path := filepath.Join(dir, "sluice.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// frame makes one Logplex frame (octet-counted, RFC 5424 without SD).
func frame(proc, msg string) string {
	m := fmt.Sprintf("<190>1 %s host app %s - %s\n", time.Now().UTC().Format("2006-01-02T15:04:05.000000+00:00"), proc, msg)
	return strconv.Itoa(len(m)) + " " + m
}

// drainPost posts a Logplex body as Logplex does.
type drainPost struct {
	url, user, pass, frameID, token, requestID string
	frames                                     []string
	gzip, chunked                              bool
}

func (d drainPost) do(client *http.Client) (int, string, error) {
	body := []byte(strings.Join(d.frames, ""))
	if d.gzip {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(body)
		zw.Close()
		body = b.Bytes()
	}
	var rd io.Reader = bytes.NewReader(body)
	if d.chunked {
		rd = io.MultiReader(rd) // hides the length: net/http sends chunked
	}
	req, err := http.NewRequest(http.MethodPost, d.url, rd)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/logplex-1")
	req.Header.Set("Logplex-Msg-Count", strconv.Itoa(len(d.frames)))
	if d.frameID != "" {
		req.Header.Set("Logplex-Frame-Id", d.frameID)
	}
	if d.token != "" {
		req.Header.Set("Logplex-Drain-Token", d.token)
	}
	if d.requestID != "" {
		req.Header.Set("X-Request-Id", d.requestID)
	}
	if d.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if d.user != "" {
		req.SetBasicAuth(d.user, d.pass)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.ContentLength < 0 || len(resp.TransferEncoding) > 0 {
		return resp.StatusCode, string(b), fmt.Errorf("response without Content-Length (Logplex cannot read chunked responses)")
	}
	return resp.StatusCode, string(b), nil
}

// receiver is a TCP syslog destination that records every frame and
// insists on whole octet-counted frames.
type receiver struct {
	t       *testing.T
	ln      net.Listener
	mu      sync.Mutex
	frames  []string
	ids     map[string]int
	partial int
	conns   int
	wg      sync.WaitGroup
	open    map[net.Conn]bool
	done    chan struct{}
	// stall, when set, makes new connections accept but never read.
	stall bool
}

func listenReceiver(t *testing.T, addr string) *receiver {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{t: t, ln: ln, ids: map[string]int{}, open: map[net.Conn]bool{}, done: make(chan struct{})}
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
		r.conns++
		r.open[c] = true
		stall := r.stall
		r.mu.Unlock()
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			defer func() {
				r.mu.Lock()
				delete(r.open, c)
				r.mu.Unlock()
				c.Close()
			}()
			if stall {
				<-r.done // accept, never read, until the test ends
				return
			}
			fr := syslog.NewFramer(c, syslog.FramerConfig{Mode: syslog.FramingOctetCounting, OnBadFrame: syslog.Stop})
			for {
				f, err := fr.Next()
				if err != nil {
					var fe *syslog.FrameError
					if errors.As(err, &fe) {
						r.mu.Lock()
						r.partial++
						r.mu.Unlock()
					}
					return
				}
				r.record(string(f))
			}
		}()
	}
}

// record keeps a frame and counts its line id: the message's first word.
func (r *receiver) record(f string) {
	var e event.Event
	id := f
	if err := syslog.Parse5424(f, &e); err == nil {
		id = strings.Fields(e.Message + " ")[0]
	}
	r.mu.Lock()
	r.frames = append(r.frames, f)
	r.ids[id]++
	r.mu.Unlock()
}

// waitIDs waits until every id in want arrived.
func (r *receiver) waitIDs(want map[string]bool, timeout time.Duration) (missing []string) {
	deadline := time.Now().Add(timeout)
	for {
		missing = missing[:0]
		r.mu.Lock()
		for id := range want {
			if r.ids[id] == 0 {
				missing = append(missing, id)
			}
		}
		r.mu.Unlock()
		if len(missing) == 0 || time.Now().After(deadline) {
			return missing
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *receiver) snapshot() (frames []string, ids map[string]int, partial, conns int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids = make(map[string]int, len(r.ids))
	for k, v := range r.ids {
		ids[k] = v
	}
	return append([]string(nil), r.frames...), ids, r.partial, r.conns
}

func (r *receiver) close() {
	select {
	case <-r.done:
		return
	default:
		close(r.done)
	}
	r.ln.Close()
	r.mu.Lock()
	for c := range r.open {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// rss returns the resident set size of pid in bytes (Linux).
func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}
