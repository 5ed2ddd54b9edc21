package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sluicelog/sluice/internal/api"
	"github.com/sluicelog/sluice/internal/auth"
	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/store"
)

// testAPI is the real query API over a real store, on a real socket.
type testAPI struct {
	url      string
	store    *store.Store
	srv      *httptest.Server
	closing  chan struct{}
	requests atomic.Int64 // API requests served
}

// startAPI serves the API over a new store; set, when not nil, is the
// bearer auth it requires.
func startAPI(t *testing.T, set *auth.Set) *testAPI {
	t.Helper()
	st, err := store.Open(store.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := &testAPI{store: st, closing: make(chan struct{})}
	a.srv = httptest.NewServer(a.handler(st, set))
	t.Cleanup(a.stop)
	a.url = a.srv.URL
	return a
}

func (a *testAPI) handler(st *store.Store, set *auth.Set) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(api.Prefix, api.RequireAuth(set, api.New(api.Config{Store: st, Closing: a.closing})))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.requests.Add(1)
		mux.ServeHTTP(w, r)
	})
}

// stop ends the live tails, as sluice does when it shuts down, and closes
// the server.
func (a *testAPI) stop() {
	select {
	case <-a.closing:
	default:
		close(a.closing)
	}
	a.srv.Close()
}

// restart serves the API again at the same address over the same store.
func (a *testAPI) restart(t *testing.T) {
	t.Helper()
	addr := a.srv.Listener.Addr().String()
	a.stop()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	a.closing = make(chan struct{})
	a.srv = httptest.NewUnstartedServer(a.handler(a.store, nil))
	a.srv.Listener.Close()
	a.srv.Listener = ln
	a.srv.Start()
}

// base is when the test events happened: an hour ago, within retention.
var base = time.Now().Add(-time.Hour).UTC().Truncate(time.Second)

// line makes the i-th test event: i milliseconds after base.
func line(i int, sev event.Severity, msg string) event.Event {
	return event.Event{
		Time: base.Add(time.Duration(i) * time.Millisecond), Received: base.Add(time.Duration(i) * time.Millisecond),
		Severity: sev, Host: "host", App: "app", Proc: "web.1", Message: msg,
		Group: "heroku/shop", Stream: "web.1", ID: fmt.Sprintf("id.%d", i),
	}
}

func (a *testAPI) write(t *testing.T, events ...event.Event) {
	t.Helper()
	if err := a.store.Write(context.Background(), events); err != nil {
		t.Fatal(err)
	}
}

// runCmd runs a command as run does and returns what it printed and its
// exit status.
func runCmd(t *testing.T, cmd func(context.Context, []string, io.Writer, io.Writer, func(string) string) error, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := cmd(t.Context(), args, &out, &errOut, func(k string) string { return env[k] })
	var exit exitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.As(err, &exit):
		code = int(exit)
	default:
		fmt.Fprintf(&errOut, "%v\n", err)
		code = 1
	}
	return out.String(), errOut.String(), code
}

// localTime is how a line shows base+ms.
func localTime(ms int) string {
	return base.Add(time.Duration(ms) * time.Millisecond).Local().Format("2006-01-02T15:04:05.000000-07:00")
}

// TestLineFormat: lines read like `heroku logs`, in the local zone, with
// the severity when it is not info, and colours only when asked.
func TestLineFormat(t *testing.T) {
	zone := time.FixedZone("", 3600)
	f := func(color bool, raw, want string) {
		t.Helper()
		lf := lineFormat{loc: zone, color: color}
		got, err := lf.append(nil, []byte(raw))
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if string(got) != want+"\n" {
			t.Errorf("%s:\n got %q\nwant %q", raw, got, want+"\n")
		}
	}
	// Heroku: the app's group, then app[dyno]; info has no tag.
	f(false, `{"time":"2026-11-21T10:00:00.123456789Z","severity":6,"severity_name":"info","host":"d.1","app":"app","proc":"web.1","message":"GET / 200","group":"heroku/shop","stream":"web.1"}`,
		`2026-11-21T11:00:00.123456+01:00 heroku/shop app[web.1]: GET / 200`)
	f(false, `{"time":"2026-11-21T10:00:00Z","severity":3,"severity_name":"error","app":"heroku","proc":"router","message":"at=error code=H12","group":"heroku/shop","stream":"router"}`,
		`2026-11-21T11:00:00.000000+01:00 ERROR heroku/shop heroku[router]: at=error code=H12`)
	// syslog: host and program[pid].
	f(false, `{"time":"2026-11-21T10:00:00Z","severity":4,"severity_name":"warning","host":"web01","app":"nginx","proc":"812","message":"upstream slow","group":"web01","stream":"nginx"}`,
		`2026-11-21T11:00:00.000000+01:00 WARNING web01 nginx[812]: upstream slow`)
	// CloudWatch: group and log stream, no app.
	f(false, `{"time":"2026-11-21T10:00:00Z","severity":7,"severity_name":"debug","message":"START RequestId: 1","group":"/aws/lambda/fn","stream":"2026/11/21/[$LATEST]abc"}`,
		`2026-11-21T11:00:00.000000+01:00 DEBUG /aws/lambda/fn 2026/11/21/[$LATEST]abc: START RequestId: 1`)
	// No group: the host; no time: the receive time.
	f(false, `{"received":"2026-11-21T10:00:00.5Z","severity":6,"host":"box","app":"cron","message":"ran"}`,
		`2026-11-21T11:00:00.500000+01:00 box cron: ran`)
	// Only a message, no time at all.
	f(false, `{"severity":6,"message":"bare"}`, `- bare`)
	// Long lines are whole; multi-line messages keep their newlines and
	// tabs; control characters cannot drive the terminal.
	long := strings.Repeat("x", 100000)
	f(false, `{"time":"2026-11-21T10:00:00Z","severity":6,"app":"a","message":"`+long+`"}`,
		`2026-11-21T11:00:00.000000+01:00 a: `+long)
	f(false, `{"time":"2026-11-21T10:00:00Z","severity":6,"app":"a","message":"panic: x\n\tmain.go:12\u001b[2J\r\u009b31m bell\u0007 ünï"}`,
		`2026-11-21T11:00:00.000000+01:00 a: panic: x`+"\n\t"+`main.go:12\x1b[2J\x0d\u009b31m bell\x07 ünï`)

	// Colours by severity; the reset ends the line.
	f(true, `{"time":"2026-11-21T10:00:00Z","severity":2,"app":"a","message":"m"}`, "2026-11-21T11:00:00.000000+01:00 \x1b[1;31mCRIT a: m\x1b[0m")
	f(true, `{"time":"2026-11-21T10:00:00Z","severity":0,"app":"a","message":"m"}`, "2026-11-21T11:00:00.000000+01:00 \x1b[1;31mEMERG a: m\x1b[0m")
	f(true, `{"time":"2026-11-21T10:00:00Z","severity":3,"app":"a","message":"m"}`, "2026-11-21T11:00:00.000000+01:00 \x1b[31mERROR a: m\x1b[0m")
	f(true, `{"time":"2026-11-21T10:00:00Z","severity":4,"app":"a","message":"m"}`, "2026-11-21T11:00:00.000000+01:00 \x1b[33mWARNING a: m\x1b[0m")
	f(true, `{"time":"2026-11-21T10:00:00Z","severity":5,"app":"a","message":"m"}`, "2026-11-21T11:00:00.000000+01:00 \x1b[36mNOTICE a: m\x1b[0m")
	f(true, `{"time":"2026-11-21T10:00:00Z","severity":6,"app":"a","message":"m"}`, "2026-11-21T11:00:00.000000+01:00 a: m")
	f(true, `{"time":"2026-11-21T10:00:00Z","severity":7,"app":"a","message":"m"}`, "2026-11-21T11:00:00.000000+01:00 \x1b[2mDEBUG a: m\x1b[0m")

	// --json: the API's bytes, unchanged.
	lf := lineFormat{json: true}
	raw := `{"time":"2026-11-21T10:00:00.000000000Z","severity":6,"message":"m","extra_key_from_a_newer_server":1}`
	if got, _ := lf.append(nil, []byte(raw)); string(got) != raw+"\n" {
		t.Errorf("--json: %q", got)
	}
	// A newer server's extra keys do not break text lines either.
	f(false, raw, `2026-11-21T11:00:00.000000+01:00 m`)
}

// openPTY returns both ends of a new pseudo-terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// TestColorChoice: --color auto colours a terminal unless $NO_COLOR is
// set, and never a pipe or a file; always and never mean it.
func TestColorChoice(t *testing.T) {
	_, tty := openPTY(t)
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	f := func(mode, noColor string, stdout io.Writer, want bool) {
		t.Helper()
		cf := clientFlags{color: mode, getenv: func(k string) string {
			if k == "NO_COLOR" {
				return noColor
			}
			return ""
		}}
		got, err := cf.colorOn(stdout)
		if err != nil || got != want {
			t.Errorf("--color %s, NO_COLOR=%q, stdout %T: %v %v, want %v", mode, noColor, stdout, got, err, want)
		}
	}
	f("auto", "", tty, true)
	f("auto", "1", tty, false)
	f("auto", "", devnull, false) // a character device, not a terminal
	f("auto", "", &bytes.Buffer{}, false)
	f("always", "1", &bytes.Buffer{}, true)
	f("never", "", tty, false)
	if _, err := (&clientFlags{color: "sometimes", getenv: os.Getenv}).colorOn(tty); err == nil || !strings.Contains(err.Error(), "auto, always or never") {
		t.Errorf("--color sometimes: %v", err)
	}
}

// TestParseInterleaved: flags before, between and after query words; words
// that look like flags but are not are exclusions of the query language.
func TestParseInterleaved(t *testing.T) {
	f := func(args string, wantWords []string, wantFlags string) {
		t.Helper()
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var cf clientFlags
		cf.register(fs, os.Getenv)
		follow := fs.Bool("f", false, "")
		n := fs.Int("n", 100, "")
		since := fs.String("since", "", "")
		words, err := parseInterleaved(fs, strings.Fields(args))
		if err != nil {
			t.Fatalf("%s: %v", args, err)
		}
		flags := fmt.Sprintf("f=%v n=%d since=%s json=%v server=%s", *follow, *n, *since, cf.json, cf.server)
		if !slices.Equal(words, wantWords) || flags != wantFlags {
			t.Errorf("%s:\n got %q %s\nwant %q %s", args, words, flags, wantWords, wantFlags)
		}
	}
	f("error --since 1h", []string{"error"}, "f=false n=100 since=1h json=false server=")
	f("--since=1h error", []string{"error"}, "f=false n=100 since=1h json=false server=")
	f("-f severity:<=warning app:router", []string{"severity:<=warning", "app:router"}, "f=true n=100 since= json=false server=")
	f("severity:<=warning -n 5 app:router -f", []string{"severity:<=warning", "app:router"}, "f=true n=5 since= json=false server=")
	f("error -healthcheck -app:router --json", []string{"error", "-healthcheck", "-app:router"}, "f=false n=100 since= json=true server=")
	f(`-"GET /ping" -n=3 x`, []string{`-"GET`, `/ping"`, "x"}, "f=false n=3 since= json=false server=")
	f("a --server http://h:1 -- -json -f", []string{"a", "-json", "-f"}, "f=false n=100 since= json=false server=http://h:1")
	f("", nil, "f=false n=100 since= json=false server=")

	// A flag that wants a value at the end is an error, not a query word.
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.String("since", "", "")
	if _, err := parseInterleaved(fs, []string{"error", "--since"}); err == nil {
		t.Error("--since without a value: no error")
	}
	if _, err := parseInterleaved(fs, []string{"error", "-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}

// TestSearch: sluice search against the real API: newest matches, oldest
// first; flags after the query; exit 1 when nothing matched, 2 for a bad
// query with its column.
func TestSearch(t *testing.T) {
	a := startAPI(t, nil)
	a.write(t,
		line(0, event.Info, "GET /cart 200"),
		line(1, event.Error, "payment failed: card declined"),
		line(2, event.Warning, "slow query took 812ms"),
		line(3, event.Error, "payment failed: timeout"),
	)
	env := map[string]string{"SLUICE_URL": a.url}
	out, errOut, code := runCmd(t, cmdSearch, env, "payment", "--since", "2h")
	want := localTime(1) + " ERROR heroku/shop app[web.1]: payment failed: card declined\n" +
		localTime(3) + " ERROR heroku/shop app[web.1]: payment failed: timeout\n"
	if code != 0 || out != want {
		t.Errorf("search payment --since 2h: exit %d\n%s(stderr %s)\nwant\n%s", code, out, errOut, want)
	}
	// Several words are one query; an exclusion after a flag.
	out, _, code = runCmd(t, cmdSearch, env, "--limit", "5", "severity:<=warning", "-timeout")
	if code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(out, "card declined") || !strings.Contains(out, "slow query") {
		t.Errorf("severity:<=warning -timeout: exit %d\n%s", code, out)
	}
	// --limit keeps the newest.
	out, _, _ = runCmd(t, cmdSearch, env, "--limit", "1")
	if out != localTime(3)+" ERROR heroku/shop app[web.1]: payment failed: timeout\n" {
		t.Errorf("--limit 1:\n%s", out)
	}
	// --json: one event per line, oldest first, as the API has it.
	out, _, code = runCmd(t, cmdSearch, env, "payment", "--json")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], `{"time":"`) || !strings.Contains(lines[0], `"id":"id.1"`) || !strings.Contains(lines[1], `"id":"id.3"`) {
		t.Errorf("--json: exit %d\n%s", code, out)
	}
	// --since after the events: nothing, exit 1, no output.
	out, errOut, code = runCmd(t, cmdSearch, env, "payment", "--since", "30m")
	if code != 1 || out != "" || errOut != "" {
		t.Errorf("no match: exit %d, %q %q", code, out, errOut)
	}
	// --until before the events.
	if _, _, code = runCmd(t, cmdSearch, env, "--until", base.Add(-time.Second).Format(time.RFC3339)); code != 1 {
		t.Errorf("--until before everything: exit %d", code)
	}
	// A bad query: exit 2 and the API's message naming the column.
	_, errOut, code = runCmd(t, cmdSearch, env, "payment", "(failed")
	if code != 2 || !strings.Contains(errOut, "column") {
		t.Errorf("bad query: exit %d, stderr %q", code, errOut)
	}
	// Bad flags: exit 2 without asking the server.
	before := a.requests.Load()
	for _, args := range [][]string{{"--since", "yesterday"}, {"--until", "1x"}, {"--limit", "0"}, {"--color", "rainbow"}, {"--nope"}, {"--server", "ftp://x"}} {
		_, errOut, code = runCmd(t, cmdSearch, env, append([]string{"x"}, args...)...)
		if code != 2 || errOut == "" {
			t.Errorf("%q: exit %d, stderr %q", args, code, errOut)
		}
	}
	if n := a.requests.Load() - before; n != 0 {
		t.Errorf("bad flags made %d requests", n)
	}
	// --server wins over $SLUICE_URL; "host:port" is enough.
	out, _, code = runCmd(t, cmdSearch, map[string]string{"SLUICE_URL": "http://127.0.0.1:1"}, "declined", "--server", strings.TrimPrefix(a.url, "http://"))
	if code != 0 || !strings.Contains(out, "card declined") {
		t.Errorf("--server host:port: exit %d %q", code, out)
	}
	// -h: the usage with the query language.
	_, errOut, code = runCmd(t, cmdSearch, nil, "-h")
	if code != 0 || !strings.Contains(errOut, "severity:<=warning") || !strings.Contains(errOut, "--since") {
		t.Errorf("-h: exit %d\n%s", code, errOut)
	}
}

// TestSearchPaging: a limit beyond the API's page size is fetched a page at
// a time with the cursor; the result is the newest N, oldest first, each
// once.
func TestSearchPaging(t *testing.T) {
	a := startAPI(t, nil)
	const n = 2500
	events := make([]event.Event, n)
	for i := range events {
		events[i] = line(i, event.Info, fmt.Sprintf("req%05d done", i))
	}
	a.write(t, events...)
	env := map[string]string{"SLUICE_URL": a.url}
	f := func(limit, wantFirst, wantLines int, wantRequests int64) {
		t.Helper()
		before := a.requests.Load()
		args := []string{"done"}
		if limit > 0 {
			args = append(args, "--limit", fmt.Sprint(limit))
		}
		out, errOut, code := runCmd(t, cmdSearch, env, args...)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if code != 0 || len(lines) != wantLines {
			t.Fatalf("--limit %d: exit %d, %d lines, stderr %s", limit, code, len(lines), errOut)
		}
		for i, l := range lines {
			if want := fmt.Sprintf("req%05d done", wantFirst+i); !strings.HasSuffix(l, want) {
				t.Fatalf("--limit %d: line %d is %q, want %q", limit, i, l, want)
			}
		}
		if got := a.requests.Load() - before; got != wantRequests {
			t.Errorf("--limit %d: %d requests, want %d", limit, got, wantRequests)
		}
	}
	f(0, n-100, 100, 1) // the default
	f(1000, n-1000, 1000, 1)
	f(2100, n-2100, 2100, 3)
	f(5000, 0, n, 3) // all there is
}

// TestAPIErrors: what a user sees when sluice cannot be asked.
func TestAPIErrors(t *testing.T) {
	// Nothing listens: say what to do.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	for _, cmd := range []func(context.Context, []string, io.Writer, io.Writer, func(string) string) error{cmdSearch, cmdTail} {
		_, errOut, code := runCmd(t, cmd, map[string]string{"SLUICE_URL": closed}, "error")
		if code != 1 || !strings.Contains(errOut, "cannot reach sluice at "+closed) || !strings.Contains(errOut, "sluice serve") || !strings.Contains(errOut, "$SLUICE_URL") {
			t.Errorf("closed port: exit %d, %q", code, errOut)
		}
	}

	// Bearer auth configured: without a token, say how to pass one; with
	// the token from the environment, the answer.
	a := startAPI(t, auth.NewBearer("api", []string{"s3cret"}, nil))
	a.write(t, line(0, event.Info, "hello"))
	_, errOut, code := runCmd(t, cmdSearch, map[string]string{"SLUICE_URL": a.url}, "hello")
	if code != 1 || !strings.Contains(errOut, "401") || !strings.Contains(errOut, "--token or $SLUICE_TOKEN") {
		t.Errorf("no token: exit %d, %q", code, errOut)
	}
	_, errOut, code = runCmd(t, cmdSearch, map[string]string{"SLUICE_URL": a.url}, "hello", "--token", "wrong")
	if code != 1 || !strings.Contains(errOut, "did not accept") {
		t.Errorf("wrong token: exit %d, %q", code, errOut)
	}
	out, errOut, code := runCmd(t, cmdSearch, map[string]string{"SLUICE_URL": a.url, "SLUICE_TOKEN": "s3cret"}, "hello")
	if code != 0 || !strings.Contains(out, "hello") {
		t.Errorf("$SLUICE_TOKEN: exit %d, %q %q", code, out, errOut)
	}
	// The token is not shown by -h.
	_, errOut, _ = runCmd(t, cmdSearch, map[string]string{"SLUICE_TOKEN": "s3cret"}, "-h")
	if strings.Contains(errOut, "s3cret") {
		t.Errorf("-h shows the token:\n%s", errOut)
	}

	// No store configured: the API's 503 message.
	mux := http.NewServeMux()
	mux.Handle(api.Prefix, api.New(api.Config{}))
	noStore := httptest.NewServer(mux)
	defer noStore.Close()
	_, errOut, code = runCmd(t, cmdSearch, map[string]string{"SLUICE_URL": noStore.URL}, "x")
	if code != 1 || !strings.Contains(errOut, "store") {
		t.Errorf("no store: exit %d, %q", code, errOut)
	}

	// Not sluice at all.
	other := httptest.NewServer(http.NotFoundHandler())
	defer other.Close()
	_, errOut, code = runCmd(t, cmdSearch, map[string]string{"SLUICE_URL": other.URL}, "x")
	if code != 1 || !strings.Contains(errOut, "404") || !strings.Contains(errOut, "no sluice API") {
		t.Errorf("not sluice: exit %d, %q", code, errOut)
	}
}
