package e2e

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func frameID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// forwardConfig is a configuration with one Logplex drain forwarded to a
// syslog destination.
func forwardConfig(dataDir string, port int, dest string, extra string) string {
	return fmt.Sprintf(`data_dir: %s
http:
  listen: 127.0.0.1:%d
  shutdown_grace: 20s
sources:
  heroku: {type: logplex, path: /logs}
sinks:
  fwd: {type: syslog, address: "tcp://%s", connections: 4, write_timeout: 2s, connect_timeout: 1s}
subscriptions:
  - {sink: fwd, batch: {max_age: 20ms}, retry: {initial: 50ms, max: 500ms}}
%s`, dataDir, port, dest, extra)
}

// load posts numbered lines from several drains until stop is closed. Each
// line's first word is its id; ids answered 2xx are recorded in acked.
type load struct {
	prefix   string // makes ids unique across loads
	url      string
	noID     bool // like log-shuttle: no Logplex-Frame-Id
	drains   int
	frames   int
	gzip     bool
	chunked  bool
	mu       sync.Mutex
	acked    map[string]bool
	statuses map[int]int
	errs     []error
	posts    atomic.Int64
}

func (l *load) run(stop <-chan struct{}, maxPosts int) {
	l.acked = map[string]bool{}
	l.statuses = map[int]int{}
	var wg sync.WaitGroup
	for d := range l.drains {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			for n := 0; maxPosts <= 0 || n < maxPosts; n++ {
				select {
				case <-stop:
					return
				default:
				}
				var ids []string
				var frames []string
				for i := range l.frames {
					id := fmt.Sprintf("%sd%d-p%d-l%d", l.prefix, d, n, i)
					ids = append(ids, id)
					frames = append(frames, frame("web.1", id+" GET /things/"+id+" took 12ms"))
				}
				id := frameID()
				if l.noID {
					id = ""
				}
				post := drainPost{url: l.url, frameID: id, token: fmt.Sprintf("d.drain-%d", d), requestID: fmt.Sprintf("req-%d-%d", d, n),
					frames: frames, gzip: l.gzip, chunked: l.chunked}
				// Like Logplex: retry 5xx and transport errors with the same
				// frame id, up to 3 tries.
				var status int
				var err error
				var tryErrs []error
				for try := 0; try < 3; try++ {
					status, _, err = post.do(client)
					if err != nil {
						tryErrs = append(tryErrs, fmt.Errorf("%s: %w", time.Now().Format("15:04:05.000"), err))
					}
					if err == nil && status < 500 {
						break
					}
					// Like Logplex, wait before retrying (Retry-After is 1 s
					// while sluice shuts down).
					wait := 100 * time.Millisecond
					if status == http.StatusServiceUnavailable {
						wait = time.Second
					}
					time.Sleep(wait)
				}
				l.posts.Add(1)
				l.mu.Lock()
				l.errs = append(l.errs, tryErrs...)
				if err == nil {
					l.statuses[status]++
				}
				if err == nil && status/100 == 2 {
					for _, id := range ids {
						l.acked[id] = true
					}
				}
				l.mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// TestEmbeddedDefaults is the README's run command: no configuration, a
// drain body posted with curl and lines from logger, the events in the
// store and found by the API.
func TestEmbeddedDefaults(t *testing.T) {
	dir := t.TempDir()
	port, syslogPort := freePort(t), freePort(t)
	p := start(t, dir, []string{fmt.Sprintf("PORT=%d", port), fmt.Sprintf("SYSLOG_PORT=%d", syslogPort)})
	if p.addr != fmt.Sprintf("127.0.0.1:%d", port) {
		t.Fatalf("listening on %s, want 127.0.0.1:%d (loopback by default)", p.addr, port)
	}
	out, err := exec.Command("curl", "-sS", "-o", "/dev/stderr", "-w", "%{http_code}",
		"-H", "Content-Type: application/logplex-1", "-H", "Logplex-Msg-Count: 11",
		"--data-binary", "@../examples/heroku-drain.logplex", "http://"+p.addr+"/logs").Output()
	if err != nil || (string(out) != "200" && string(out) != "204") {
		t.Fatalf("curl: %v, status %s", err, out)
	}
	// The default syslog listener takes TCP and UDP from logger.
	for _, transport := range []string{"--tcp", "--udp"} {
		out, err := exec.Command("logger", transport, "--server", "127.0.0.1", "--port", fmt.Sprint(syslogPort),
			"--rfc5424", "-t", "billing", "-p", "local0.err", "disk full via "+transport).CombinedOutput()
		if err != nil {
			t.Fatalf("logger %s: %v %s", transport, err, out)
		}
	}
	// The default subscription keeps everything in the store; the API
	// finds it (curl, as a user would).
	var lines []string
	deadline := time.Now().Add(10 * time.Second)
	for len(lines) < 13 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		out, err := exec.Command("curl", "-sS", "--fail-with-body", "http://"+p.addr+"/api/v1/search?limit=1000").Output()
		if err != nil {
			t.Fatalf("curl /api/v1/search: %v %s", err, out)
		}
		var page struct{ Events []json.RawMessage }
		if err := json.Unmarshal(out, &page); err != nil {
			t.Fatalf("search answer: %v: %s", err, out)
		}
		lines = lines[:0]
		for _, e := range page.Events {
			lines = append(lines, string(e))
		}
	}
	if len(lines) != 13 {
		t.Fatalf("found %d events in the store, want 11 from the drain and 2 from logger", len(lines))
	}
	if _, err := os.Stat(filepath.Join(dir, "sluice-data", "store", time.Now().UTC().Format("2006-01-02")+".db")); err != nil {
		t.Fatalf("the store's day file: %v", err)
	}
	var crashed map[string]any
	fromLogger := 0
	for _, l := range lines {
		var e map[string]any
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("not JSON: %s", l)
		}
		if e["message"] == "State changed from up to crashed" {
			crashed = e
		}
		if strings.HasPrefix(fmt.Sprint(e["message"]), "disk full via") {
			fromLogger++
			if e["app"] != "billing" || e["severity_name"] != "error" || e["facility"] != "local0" || e["stream"] != "billing" {
				t.Fatalf("logger event: %v", e)
			}
		}
	}
	if fromLogger != 2 {
		t.Fatalf("%d events from logger, want 2 (TCP and UDP)", fromLogger)
	}
	if crashed == nil || crashed["severity_name"] != "error" {
		t.Fatalf("the crash line is missing or not an error: %v", crashed)
	}
	for _, path := range []string{"/healthz", "/health", "/readyz", "/metrics"} {
		resp, err := http.Get("http://" + p.addr + path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", path, err, resp)
		}
		resp.Body.Close()
	}
	p.stop()
}

// TestLogIssReadmeExample runs sluice with log-iss's README environment and
// checks what the destination receives, byte for byte where log-iss's
// rewriting defines it.
func TestLogIssReadmeExample(t *testing.T) {
	dir := t.TempDir()
	dest := listenReceiver(t, "127.0.0.1:0")
	port := freePort(t)
	p := start(t, dir, []string{
		fmt.Sprintf("PORT=%d", port),
		"FORWARD_DEST=" + dest.addr(),
		"TOKEN_MAP=dan:logthis,system:islogging",
		"METADATA_ID=meta@53595",
		"LOG_ISS_FIELD_PARAMS=team",
	})
	msg := "<190>1 2013-03-27T20:02:24+00:00 host token shuttle - - Hi from shuttle\n"
	body := fmt.Sprintf("%d %s", len(msg), msg)
	run := func(user string) string {
		out, err := exec.Command("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-u", user,
			"-H", "Content-Type: application/logplex-1", "-H", "Logplex-Msg-Count: 1",
			"-H", "Logplex-Drain-Token: d.12345678-abcd", "--data-binary", body,
			fmt.Sprintf("http://127.0.0.1:%d/logs?index=web&source=heroku&team=core", port)).Output()
		if err != nil {
			t.Fatalf("curl: %v", err)
		}
		return string(out)
	}
	if got := run("dan:wrong"); got != "401" {
		t.Fatalf("wrong token: status %s, want 401", got)
	}
	if got := run("system:islogging"); got != "200" {
		t.Fatalf("status %s, want 200", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	var frames []string
	for len(frames) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		frames, _, _, _ = dest.snapshot()
	}
	if len(frames) != 1 {
		t.Fatalf("destination got %d frames: %q", len(frames), frames)
	}
	want := `<190>1 2013-03-27T20:02:24+00:00 d.12345678-abcd token shuttle - [origin ip="127.0.0.1"][meta@53595 index="web" source="heroku" fields="team=core"] Hi from shuttle` + "\n"
	if frames[0] != want {
		t.Fatalf("forwarded frame\n got %q\nwant %q", frames[0], want)
	}
	p.stop()
}

// TestLogShuttleLike200kLines: chunked, gzip'd bodies of 500 frames with
// X-Request-Id and no frame id, 4 concurrent clients, 200,000 lines — all
// arrive exactly once.
func TestLogShuttleLike200kLines(t *testing.T) {
	dir := t.TempDir()
	dest := listenReceiver(t, "127.0.0.1:0")
	port := freePort(t)
	p := start(t, dir, nil, "-config", writeConfig(t, dir, forwardConfig(filepath.Join(dir, "data"), port, dest.addr(), "")))
	l := &load{url: fmt.Sprintf("http://127.0.0.1:%d/logs", port), drains: 4, frames: 500, gzip: true, chunked: true, noID: true}
	l.run(nil, 100) // 4 × 100 posts × 500 lines
	if len(l.acked) != 200_000 || len(l.errs) > 0 {
		t.Fatalf("%d lines acknowledged, statuses %v, errors %v", len(l.acked), l.statuses, l.errs)
	}
	if missing := dest.waitIDs(l.acked, 60*time.Second); len(missing) > 0 {
		t.Fatalf("%d lines never arrived, e.g. %v", len(missing), missing[:min(5, len(missing))])
	}
	_, ids, partial, _ := dest.snapshot()
	dups := 0
	for _, n := range ids {
		if n > 1 {
			dups++
		}
	}
	if dups > 0 || partial > 0 || len(ids) != 200_000 {
		t.Fatalf("%d distinct lines, %d duplicated, %d partial frames", len(ids), dups, partial)
	}
	p.stop()
}

// TestCrashKill9 kills sluice with SIGKILL under load and restarts it:
// every line that got a 2xx arrives.
func TestCrashKill9(t *testing.T) {
	dir := t.TempDir()
	dest := listenReceiver(t, "127.0.0.1:0")
	port := freePort(t)
	cfg := writeConfig(t, dir, forwardConfig(filepath.Join(dir, "data"), port, dest.addr(), ""))
	total := 0
	for round := range 3 {
		p := start(t, dir, nil, "-config", cfg)
		stop := make(chan struct{})
		l := &load{prefix: fmt.Sprintf("r%d", round), url: fmt.Sprintf("http://127.0.0.1:%d/logs", port), drains: 4, frames: 100}
		done := make(chan struct{})
		go func() { l.run(stop, 0); close(done) }()
		time.Sleep(time.Duration(700+300*round) * time.Millisecond)
		p.kill()
		close(stop)
		<-done
		total += len(l.acked)
		t.Logf("round %d: %d lines acknowledged before SIGKILL, statuses %v, %d transport errors", round, len(l.acked), l.statuses, len(l.errs))
		if len(l.acked) == 0 {
			t.Fatalf("round %d: nothing acknowledged before the kill", round)
		}
		p = start(t, dir, nil, "-config", cfg)
		if missing := dest.waitIDs(l.acked, 60*time.Second); len(missing) > 0 {
			t.Fatalf("round %d: %d acknowledged lines lost after SIGKILL, e.g. %v", round, len(missing), missing[:min(5, len(missing))])
		}
		p.stop()
	}
	_, ids, partial, _ := dest.snapshot()
	dups := 0
	for _, n := range ids {
		dups += n - 1
	}
	t.Logf("%d lines acknowledged over 3 crashes, all delivered; %d delivered more than once (replay after a crash), %d partial frames cut by the crash", total, dups, partial)
}

// TestDestinationDown: the destination is away for a while under load; POSTs
// keep getting 2xx, the backlog drains when it returns, nothing is lost and
// no partial frame arrives.
func TestDestinationDown(t *testing.T) {
	outage := 30 * time.Second
	if v := os.Getenv("SLUICE_E2E_OUTAGE"); v != "" {
		outage, _ = time.ParseDuration(v)
	}
	dir := t.TempDir()
	destAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	dest := listenReceiver(t, destAddr)
	port := freePort(t)
	p := start(t, dir, nil, "-config", writeConfig(t, dir, forwardConfig(filepath.Join(dir, "data"), port, destAddr, "")))
	stop := make(chan struct{})
	l := &load{url: fmt.Sprintf("http://127.0.0.1:%d/logs", port), drains: 2, frames: 50}
	done := make(chan struct{})
	go func() { l.run(stop, 0); close(done) }()
	time.Sleep(time.Second)
	dest.close()
	t.Logf("destination down for %s", outage)
	time.Sleep(outage)
	// The backlog shows in the lag metric while the destination is away.
	if lag := metric(t, p.addr, `sluice_subscription_lag_events{subscription="fwd"}`); lag <= 0 {
		t.Fatalf("lag metric %v during the outage, want > 0", lag)
	}
	dest2 := listenReceiver(t, destAddr)
	time.Sleep(time.Second)
	close(stop)
	<-done
	if len(l.errs) > 0 || l.statuses[200]+l.statuses[204] != int(l.posts.Load()) {
		t.Fatalf("POSTs during the outage: statuses %v, errors %v", l.statuses, l.errs)
	}
	_, before, partial1, _ := dest.snapshot()
	all := map[string]int{}
	if missing := func() []string {
		deadline := time.Now().Add(60 * time.Second)
		for {
			_, after, _, _ := dest2.snapshot()
			var m []string
			for id := range l.acked {
				if before[id]+after[id] == 0 {
					m = append(m, id)
				}
			}
			if len(m) == 0 || time.Now().After(deadline) {
				for k, v := range after {
					all[k] += v
				}
				return m
			}
			time.Sleep(100 * time.Millisecond)
		}
	}(); len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged lines never arrived", len(missing), len(l.acked))
	}
	_, _, partial2, _ := dest2.snapshot()
	if partial1+partial2 > 0 {
		t.Fatalf("%d partial frames at the destination", partial1+partial2)
	}
	t.Logf("%d lines acknowledged during a %s outage, all delivered after it", len(l.acked), outage)
	p.stop()
}

// TestStalledDestination: a destination that accepts but never reads must
// not cause a reconnect storm or unbounded memory.
func TestStalledDestination(t *testing.T) {
	dir := t.TempDir()
	dest := listenReceiver(t, "127.0.0.1:0")
	dest.mu.Lock()
	dest.stall = true
	dest.mu.Unlock()
	port := freePort(t)
	p := startBin(t, sluicePlainBin(t), dir, nil, "-config", writeConfig(t, dir, forwardConfig(filepath.Join(dir, "data"), port, dest.addr(), "")))
	stop := make(chan struct{})
	l := &load{url: fmt.Sprintf("http://127.0.0.1:%d/logs", port), drains: 4, frames: 200}
	done := make(chan struct{})
	go func() { l.run(stop, 0); close(done) }()
	var peak int64
	for range 16 {
		time.Sleep(500 * time.Millisecond)
		peak = max(peak, rss(p.cmd.Process.Pid))
	}
	close(stop)
	<-done
	_, _, _, conns := dest.snapshot()
	t.Logf("8s against a stalled destination: %d connections opened, peak RSS %d MiB, %d lines accepted", conns, peak>>20, len(l.acked))
	if conns > 4*6 {
		t.Fatalf("%d connections in 8s: a reconnect storm", conns)
	}
	if peak > 150<<20 {
		t.Fatalf("peak RSS %d MiB, over the 150 MiB budget: memory is not bounded", peak>>20)
	}
	if l.statuses[200]+l.statuses[204] == 0 {
		t.Fatalf("nothing accepted while the destination stalled: %v", l.statuses)
	}
	p.stop()
}

// TestWALFull: with the destination away the log fills, sources answer 503
// with Retry-After, and accept again once the backlog is delivered.
func TestWALFull(t *testing.T) {
	dir := t.TempDir()
	destAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	port := freePort(t)
	cfg := forwardConfig(filepath.Join(dir, "data"), port, destAddr, "wal: {max_bytes: 2MiB, segment_bytes: 256KiB}\n")
	p := start(t, dir, nil, "-config", writeConfig(t, dir, cfg))
	client := &http.Client{Timeout: 10 * time.Second}
	var full *http.Response
	acked := map[string]bool{}
	for n := 0; n < 2000 && full == nil; n++ {
		var frames []string
		var ids []string
		for i := range 100 {
			id := fmt.Sprintf("p%d-l%d", n, i)
			ids = append(ids, id)
			frames = append(frames, frame("web.1", id+" "+strings.Repeat("x", 100)))
		}
		req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("http://127.0.0.1:%d/logs", port), strings.NewReader(strings.Join(frames, "")))
		req.Header.Set("Content-Type", "application/logplex-1")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		switch resp.StatusCode {
		case 200, 204:
			for _, id := range ids {
				acked[id] = true
			}
		case 503:
			full = resp
		default:
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	if full == nil || full.Header.Get("Retry-After") == "" {
		t.Fatalf("the log never refused input: %v", full)
	}
	resp, _ := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", port))
	if resp == nil || resp.StatusCode != 503 {
		t.Fatalf("/readyz while full: %v", resp)
	}
	t.Logf("log full after %d lines: 503, Retry-After %s", len(acked), full.Header.Get("Retry-After"))
	dest := listenReceiver(t, destAddr)
	if missing := dest.waitIDs(acked, 60*time.Second); len(missing) > 0 {
		t.Fatalf("%d lines lost", len(missing))
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, _, err := drainPost{url: fmt.Sprintf("http://127.0.0.1:%d/logs", port), frames: []string{frame("web.1", "after")}}.do(client)
		if err == nil && status/100 == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still refusing after the backlog drained: %d %v", status, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.stop()
}

// TestSIGTERMUnderLoad: SIGTERM while drains are posting: no connection
// resets (only 2xx or 503), and every 2xx line is delivered after restart.
func TestSIGTERMUnderLoad(t *testing.T) {
	dir := t.TempDir()
	dest := listenReceiver(t, "127.0.0.1:0")
	port := freePort(t)
	cfg := writeConfig(t, dir, forwardConfig(filepath.Join(dir, "data"), port, dest.addr(), ""))
	p := start(t, dir, nil, "-config", cfg)
	stop := make(chan struct{})
	l := &load{url: fmt.Sprintf("http://127.0.0.1:%d/logs", port), drains: 4, frames: 100}
	done := make(chan struct{})
	var resets atomic.Int64
	go func() { l.run(stop, 0); close(done) }()
	time.Sleep(time.Second)
	p.stop()
	time.Sleep(200 * time.Millisecond) // refused connections after exit are expected; resets before it are not
	close(stop)
	<-done
	for _, err := range l.errs {
		if strings.Contains(err.Error(), "reset") || errors.Is(err, os.ErrDeadlineExceeded) {
			resets.Add(1)
		}
	}
	if resets.Load() > 0 {
		t.Fatalf("%d requests saw a reset connection during shutdown: %v", resets.Load(), l.errs)
	}
	for code := range l.statuses {
		if code/100 != 2 && code != 503 {
			t.Fatalf("status %d during shutdown", code)
		}
	}
	p = start(t, dir, nil, "-config", cfg)
	if missing := dest.waitIDs(l.acked, 60*time.Second); len(missing) > 0 {
		t.Fatalf("%d acknowledged lines lost over SIGTERM", len(missing))
	}
	if _, _, partial, _ := dest.snapshot(); partial > 0 {
		t.Fatalf("%d partial frames at the destination: shutdown cut a write", partial)
	}
	t.Logf("%d lines acknowledged, statuses %v; all delivered after restart", len(l.acked), l.statuses)
	p.stop()
}

// TestBadInput: every malformed request gets its status and a body naming
// the problem.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	cfg := fmt.Sprintf(`data_dir: %s
http: {listen: "127.0.0.1:%d", read_timeout: 2s}
auth:
  drains: {type: basic, users: {heroku: s3cret}}
sources:
  heroku: {type: logplex, path: /logs, auth: drains, max_body_bytes: 64KiB}
sinks:
  archive: {type: file, path: "%s/archive/{group}.ndjson"}
subscriptions:
  - {sink: archive}
`, filepath.Join(dir, "data"), port, dir)
	p := start(t, dir, nil, "-config", writeConfig(t, dir, cfg))
	url := fmt.Sprintf("http://127.0.0.1:%d/logs", port)
	f := func(method, contentType, user string, headers map[string]string, body string, wantStatus int, wantBody string) {
		t.Helper()
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if user != "" {
			u, pw, _ := strings.Cut(user, ":")
			req.SetBasicAuth(u, pw)
		}
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %q: %v", method, body, err)
		}
		b := new(strings.Builder)
		bufio.NewReader(resp.Body).WriteTo(b)
		resp.Body.Close()
		if resp.StatusCode != wantStatus || !strings.Contains(b.String(), wantBody) {
			t.Fatalf("%s %.60q: status %d body %q; want %d with %q", method, body, resp.StatusCode, b, wantStatus, wantBody)
		}
		if resp.ContentLength < 0 {
			t.Fatalf("response without Content-Length")
		}
	}
	good := frame("web.1", "hello")
	lp := "application/logplex-1"
	f("POST", lp, "heroku:s3cret", nil, good, 200, "")
	f("POST", lp, "", nil, good, 401, "")
	f("POST", lp, "heroku:wrong", nil, good, 401, "")
	f("GET", lp, "heroku:s3cret", nil, "", 405, "")
	f("POST", "text/plain", "heroku:s3cret", nil, good, 415, "application/logplex-1")
	f("POST", lp, "heroku:s3cret", map[string]string{"Logplex-Msg-Count": "3"}, good, 400, "3")
	f("POST", lp, "heroku:s3cret", nil, strings.Repeat(good, 2000), 413, "")
	f("POST", lp, "heroku:s3cret", nil, good+"6 hello\n", 200, "1")
	f("POST", lp, "heroku:s3cret", nil, good+"999 <190>1 trunc", 200, "")

	// A slowloris body: the read timeout ends it.
	conn, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/logplex-1\r\nAuthorization: Basic aGVyb2t1OnMzY3JldA==\r\nContent-Length: 1000\r\n\r\n12 <190>1 ")
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	reply := make([]byte, 4096)
	n, _ := conn.Read(reply)
	conn.Close()
	if !strings.Contains(string(reply[:n]), " 408 ") && !strings.Contains(string(reply[:n]), " 400 ") {
		t.Fatalf("a body that stalls past read_timeout was answered %q, want 408 or 400", reply[:n])
	}
	p.stop()
}

// metric reads one sample from /metrics.
func metric(t *testing.T, addr, series string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			var f float64
			fmt.Sscan(v, &f)
			return f
		}
	}
	t.Fatalf("no %s in /metrics", series)
	return 0
}

func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	good := writeConfig(t, dir, forwardConfig(filepath.Join(dir, "data"), 8080, "127.0.0.1:6514", ""))
	out, err := exec.Command(sluiceBin(t), "check", good).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok") {
		t.Fatalf("check of a good file: %v %s", err, out)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("http:\n  listn: x\nsinks:\n  s: {type: slack, webhook_url: x}\n  cw: {type: cloudwatch}\n"), 0o644)
	out, err = exec.Command(sluiceBin(t), "check", bad).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "listn") || !strings.Contains(string(out), "want an https:// URL") || !strings.Contains(string(out), "not built yet") {
		t.Fatalf("check of a bad file: %v %s", err, out)
	}
}

// TestBenchVerifiesDelivery runs `sluice bench` against `sluice serve`
// with its receiver as the destination: every accepted line arrives.
func TestBenchVerifiesDelivery(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	rcv := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := start(t, dir, nil, "-config", writeConfig(t, dir, forwardConfig(filepath.Join(dir, "data"), port, rcv, "")))
	out, err := exec.Command(sluiceBin(t), "bench", "-url", fmt.Sprintf("http://127.0.0.1:%d/logs", port),
		"-drains", "3", "-frames", "50", "-requests", "20", "-receiver", rcv, "-wait", "30s").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "3000 of 3000 accepted lines arrived (0 malformed frames") {
		t.Fatalf("sluice bench: %v\n%s", err, out)
	}
	p.stop()
}
