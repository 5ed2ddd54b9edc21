// Package bench is `sluice bench`: a load generator that behaves like
// Heroku's Logplex towards a drain endpoint (sluice or any other drain
// receiver), and optionally counts what arrives at a TCP syslog receiver it
// runs, to verify delivery end to end.
package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Config says what load to send.
type Config struct {
	// URL of the drain endpoint, e.g. http://127.0.0.1:8080/logs.
	URL string
	// Drains is the number of concurrent drains; each has one request in
	// flight at a time on its own keep-alive connection, as Logplex does.
	Drains int
	// Frames is the number of log lines per POST.
	Frames int
	// Duration of the run; Requests, when > 0, stops each drain after that
	// many requests instead.
	Duration time.Duration
	Requests int
	// User and Password for HTTP basic auth; empty for none.
	User, Password string
	// Gzip compresses bodies (as heroku/log-shuttle may).
	Gzip bool
	// Timeout per request (Logplex uses 5 s).
	Timeout time.Duration
	// Rate, when > 0, caps the lines sent per second over all drains (a
	// steady load, e.g. to see whether a subscription keeps up with it);
	// 0 sends as fast as the target answers.
	Rate int
}

// Result sums up a run.
type Result struct {
	Elapsed  time.Duration
	Requests int64
	Lines    int64 // lines in requests answered 2xx
	Bytes    int64 // body bytes of requests answered 2xx (uncompressed)
	Errors   map[string]int64
	P50, P99 time.Duration
	Max      time.Duration
}

// String formats the result the way `sluice bench` prints it.
func (r Result) String() string {
	secs := r.Elapsed.Seconds()
	var errs []string
	for k, v := range r.Errors {
		errs = append(errs, fmt.Sprintf("%s×%d", k, v))
	}
	slices.Sort(errs)
	return fmt.Sprintf("%d requests, %d lines in %.2fs: %.0f requests/s, %.0f lines/s, %.1f MB/s; latency p50 %s p99 %s max %s; errors: %v",
		r.Requests, r.Lines, secs, float64(r.Requests)/secs, float64(r.Lines)/secs, float64(r.Bytes)/secs/1e6,
		r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond), errs)
}

// Run sends load until the duration passes, every drain has sent its
// requests, or ctx ends.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.URL == "" {
		return Result{}, errors.New("cannot run: no URL; point -url at a drain endpoint such as http://127.0.0.1:8080/logs")
	}
	if cfg.Drains <= 0 {
		cfg.Drains = 1
	}
	if cfg.Frames <= 0 {
		cfg.Frames = 100
	}
	if cfg.Duration <= 0 && cfg.Requests <= 0 {
		cfg.Duration = 10 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	// The deadline stops new requests; requests in flight finish, so that
	// every request sent is counted with its answer.
	var deadline time.Time
	if cfg.Duration > 0 {
		deadline = time.Now().Add(cfg.Duration)
	}
	transport := &http.Transport{MaxIdleConnsPerHost: cfg.Drains, MaxConnsPerHost: cfg.Drains, DisableCompression: true}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: cfg.Timeout}

	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      = map[string]int64{}
		requests  atomic.Int64
		lines     atomic.Int64
		bytesSent atomic.Int64
	)
	var limiter *rate.Limiter
	if cfg.Rate > 0 {
		limiter = rate.NewLimiter(rate.Limit(cfg.Rate), max(cfg.Rate/10, cfg.Frames))
	}
	start := time.Now()
	var wg sync.WaitGroup
	for d := range cfg.Drains {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := newGenerator(d)
			// Bodies are made before the clock starts, so that the load
			// generator spends its CPU on HTTP, not on formatting.
			bodies := make([][]byte, 16)
			stamps := make([][]int, len(bodies))
			for i := range bodies {
				bodies[i] = append([]byte(nil), g.body(cfg.Frames)...)
				stamps[i] = slices.Clone(g.stamps)
			}
			var lat []time.Duration
			local := map[string]int64{}
			for n := 0; cfg.Requests <= 0 || n < cfg.Requests; n++ {
				if ctx.Err() != nil || (!deadline.IsZero() && time.Now().After(deadline)) {
					break
				}
				if limiter != nil && limiter.WaitN(ctx, cfg.Frames) != nil {
					break
				}
				body := bodies[n%len(bodies)]
				restamp(body, stamps[n%len(bodies)], time.Now())
				status, took, err := post(ctx, client, cfg, g, body)
				if ctx.Err() != nil && err != nil {
					break // interrupted: not an error of the target
				}
				requests.Add(1)
				lat = append(lat, took)
				switch {
				case err != nil:
					local["transport"]++
				case status/100 != 2:
					local[strconv.Itoa(status)]++
				default:
					lines.Add(int64(cfg.Frames))
					bytesSent.Add(int64(len(body)))
				}
			}
			mu.Lock()
			latencies = append(latencies, lat...)
			for k, v := range local {
				errs[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res := Result{Elapsed: time.Since(start), Requests: requests.Load(), Lines: lines.Load(), Bytes: bytesSent.Load(), Errors: errs}
	slices.Sort(latencies)
	if n := len(latencies); n > 0 {
		res.P50 = latencies[n*50/100]
		res.P99 = latencies[min(n-1, n*99/100)]
		res.Max = latencies[n-1]
	}
	return res, nil
}

func post(ctx context.Context, client *http.Client, cfg Config, g *generator, body []byte) (int, time.Duration, error) {
	payload := body
	if cfg.Gzip {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(body)
		zw.Close()
		payload = b.Bytes()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.URL, bytes.NewReader(payload))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/logplex-1")
	req.Header.Set("User-Agent", "Logplex/v123 (sluice bench)")
	req.Header.Set("Logplex-Msg-Count", strconv.Itoa(cfg.Frames))
	req.Header.Set("Logplex-Frame-Id", g.frameID())
	req.Header.Set("Logplex-Drain-Token", g.token)
	if cfg.Gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if cfg.User != "" || cfg.Password != "" {
		req.SetBasicAuth(cfg.User, cfg.Password)
	}
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, time.Since(t0), err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, time.Since(t0), nil
}

// generator makes realistic Logplex bodies: router lines, Rails app lines,
// JSON lines and platform lines, each an octet-counted RFC 5424 frame
// without structured data, as Logplex sends them.
type generator struct {
	token string
	n     int
	buf   []byte
	frame []byte
	// stamps are the offsets of the timestamps in buf.
	stamps []int
}

// tsLayout is the frames' timestamp: fixed width, so a body made ahead
// can be stamped again in place.
const tsLayout = "2006-01-02T15:04:05.000000+00:00"

// restamp writes the current time over every timestamp of body: a
// receiver sees lines of now, as from a live drain, not lines of when the
// bodies were made (a store files events by their time).
func restamp(body []byte, stamps []int, now time.Time) {
	var ts [len(tsLayout)]byte
	now.UTC().AppendFormat(ts[:0], tsLayout)
	for _, off := range stamps {
		copy(body[off:], ts[:])
	}
}

func newGenerator(drain int) *generator {
	return &generator{token: fmt.Sprintf("d.%08x-bench-%04d", drain*2654435761, drain)}
}

func (g *generator) frameID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

var appLines = []string{
	`Started GET "/users/%d" for 204.204.204.204 at 2024-05-01 12:00:01 +0000`,
	`Processing by UsersController#show as HTML`,
	`  Parameters: {"id"=>"%d"}`,
	`Completed 200 OK in 12ms (Views: 8.1ms | ActiveRecord: 1.2ms | Allocations: 3301)`,
	`{"level":"info","time":"2024-05-01T12:00:01.123Z","msg":"request served","path":"/api/items/%d","status":200,"duration_ms":7}`,
	`E, [2024-05-01T12:00:02.000000 #4] ERROR -- : PG::ConnectionBad: could not connect to server (attempt %d)`,
}

func (g *generator) body(frames int) []byte {
	g.buf = g.buf[:0]
	g.stamps = g.stamps[:0]
	for range frames {
		g.n++
		ts := time.Now().UTC().Format(tsLayout)
		g.frame = g.frame[:0]
		switch {
		case g.n%4 == 0:
			g.frame = fmt.Appendf(g.frame, `<158>1 %s host heroku router - at=info method=GET path="/users/%d" host=myapp.herokuapp.com request_id=%08x-6a83-4c12-8269-97c8e32cdb22 fwd="204.204.204.204" dyno=web.%d connect=1ms service=%dms status=200 bytes=%d protocol=https`+"\n",
				ts, g.n, g.n, 1+g.n%4, g.n%97, 1000+g.n%5000)
		case g.n%251 == 0:
			g.frame = fmt.Appendf(g.frame, "<45>1 %s host heroku web.%d - Process running mem=%dM(%d.1%%)\n", ts, 1+g.n%4, 500+g.n%100, 100+g.n%10)
		default:
			line := appLines[g.n%len(appLines)]
			msg := line
			if bytes.Contains([]byte(line), []byte("%d")) {
				msg = fmt.Sprintf(line, g.n)
			}
			g.frame = fmt.Appendf(g.frame, "<190>1 %s host app web.%d - %s\n", ts, 1+g.n%4, msg)
		}
		g.buf = strconv.AppendInt(g.buf, int64(len(g.frame)), 10)
		g.buf = append(g.buf, ' ')
		g.stamps = append(g.stamps, len(g.buf)+bytes.Index(g.frame, []byte(ts)))
		g.buf = append(g.buf, g.frame...)
	}
	return g.buf
}
