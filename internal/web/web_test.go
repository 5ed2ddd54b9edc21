package web

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/store"
)

const hostile = `<script>alert(1)</script>`

// corpus is n events over the last n seconds: event i belongs to group
// groups[i%3], stream web.(i%2+1), has severity i%8 and the message
// "request i took Nms" (every 10th: "timeout after 30s"). One more event
// has a hostile message, group, stream and field.
var groups = [...]string{"heroku/shop", "heroku/api", "/aws/lambda/orders"}

func corpus(n int, now time.Time) []event.Event {
	evs := make([]event.Event, 0, n+1)
	for i := range n {
		msg := fmt.Sprintf("request %d took %dms", i, 10+i%90)
		if i%10 == 0 {
			msg = fmt.Sprintf("timeout after 30s (request %d)", i)
		}
		t := now.Add(-time.Duration(n-i) * time.Second)
		e := event.Event{
			Time: t, Received: t.Add(time.Millisecond),
			Severity: event.Severity(i % 8), SeveritySource: event.SeverityPRI,
			Facility: event.FacilityFromCode(23),
			Host:     "host1", App: "app", Proc: fmt.Sprintf("web.%d", i%2+1),
			Message: msg, Group: groups[i%3], Stream: fmt.Sprintf("web.%d", i%2+1),
			Source: "test", ID: fmt.Sprintf("ev-%05d", i),
		}
		e.AddNumber("status", fmt.Sprint(200+(i%4)*100))
		evs = append(evs, e)
	}
	bad := event.Event{
		Time: now.Add(-500 * time.Millisecond), Received: now,
		Severity: event.Error, Host: "evil", App: hostile, Proc: hostile,
		Message: "hostile " + hostile + ` and "quotes" & <b>bold</b>`,
		Group:   "evil/" + hostile, Stream: hostile, Source: "test", ID: "ev-hostile",
	}
	bad.AddString("payload", hostile)
	return append(evs, bad)
}

type env struct {
	t     *testing.T
	store *store.Store
	srv   *httptest.Server
	now   time.Time
}

func newEnv(t *testing.T, n int, mod func(*store.Config)) *env {
	t.Helper()
	cfg := store.Config{Dir: t.TempDir()}
	if mod != nil {
		mod(&cfg)
	}
	st, err := store.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now()
	if n > 0 {
		if err := st.Write(context.Background(), corpus(n, now)); err != nil {
			t.Fatal(err)
		}
	}
	h, err := New(Config{Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, store: st, srv: srv, now: now}
}

// get fetches path and returns the response and its body.
func (e *env) get(path string, header ...string) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// Go's transport would ask for gzip and hide it; the tests look at
	// what a browser gets.
	req.Header.Set("Accept-Encoding", req.Header.Get("Accept-Encoding"))
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var rd io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = zr
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, string(b)
}

var (
	rowRE    = regexp.MustCompile(`<div class="ev s(\d)" tabindex="0" data-ev="[^"]*"><time datetime="([^"]+)" data-f="ms">[^<]*</time><span class="sv">(\w+)</span><span class="src" title="[^"]*">([^<]*)</span><span class="msg">([^<]*)</span></div>`)
	moreRE   = regexp.MustCompile(`hx-get="(/ui/rows\?[^"]+)"`)
	barRE    = regexp.MustCompile(`<g data-t0="[^"]+" data-t1="[^"]+" data-c="([^"]*)"><title>`)
	scriptRE = regexp.MustCompile(`<script[^>]*>`)
)

type shownRow struct{ sev, time, sevName, src, msg string }

func rows(body string) []shownRow {
	var out []shownRow
	for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
		out = append(out, shownRow{m[1], m[2], m[3], unescape(m[4]), unescape(m[5])})
	}
	return out
}

func unescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&#34;", `"`, "&#39;", "'").Replace(s)
}

func TestSearchPageShowsMatchesNewestFirstWithHistogram(t *testing.T) {
	e := newEnv(t, 300, nil)
	resp, body := e.get("/?q=timeout&since=1h&mode=search")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d:\n%s", resp.StatusCode, body)
	}
	got := rows(body)
	if len(got) != 30 {
		t.Fatalf("%d rows, want the 30 timeouts:\n%s", len(got), body)
	}
	for i, r := range got {
		n := 290 - 10*i // newest first
		if want := fmt.Sprintf("timeout after 30s (request %d)", n); r.msg != want {
			t.Errorf("row %d: message %q, want %q", i, r.msg, want)
		}
		if want := fmt.Sprint(n % 8); r.sev != want || r.sevName != event.Severity(n%8).String() {
			t.Errorf("row %d: severity %s %s, want %s", i, r.sev, r.sevName, want)
		}
		if want := groups[n%3] + fmt.Sprintf(" web.%d", n%2+1); r.src != want {
			t.Errorf("row %d: source %q, want %q", i, r.src, want)
		}
	}
	if !strings.Contains(body, "<b>30</b> matching events in the last hour") {
		t.Errorf("no count line of 30 matching events in the last hour:\n%s", body)
	}
	bars := barRE.FindAllStringSubmatch(body, -1)
	if len(bars) < 30 || len(bars) > 61 {
		t.Fatalf("%d histogram bars, want about 60", len(bars))
	}
	var total int
	for _, b := range bars {
		var n int
		fmt.Sscanf(b[1], "%d", &n)
		total += n
	}
	if total != 30 {
		t.Errorf("the histogram's bars count %d events, want 30", total)
	}
	if !strings.Contains(body, `<rect class="s`) {
		t.Error("the histogram has no severity segments")
	}
	if strings.Contains(body, "Load more") {
		t.Error("a Load more button under a complete result")
	}
	if !strings.Contains(body, `<input id="q" name="q" type="search" value="timeout" autofocus`) {
		t.Error("the search box does not hold the query or is not focused")
	}
}

func TestLoadMoreWalksAllPagesWithoutOverlap(t *testing.T) {
	e := newEnv(t, 450, nil)
	_, body := e.get("/?mode=search&since=1h")
	seen := map[string]bool{}
	pages := 0
	for {
		pages++
		for _, r := range rows(body) {
			if seen[r.msg] {
				t.Fatalf("page %d shows %q again", pages, r.msg)
			}
			seen[r.msg] = true
		}
		m := moreRE.FindStringSubmatch(body)
		if m == nil {
			break
		}
		if !strings.Contains(body, ">Load more</button>") {
			t.Fatal("a next page without a Load more button")
		}
		var resp *http.Response
		resp, body = e.get(strings.ReplaceAll(m[1], "&amp;", "&"))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("next page: status %d: %s", resp.StatusCode, body)
		}
	}
	if len(seen) != 451 || pages != 5 {
		t.Errorf("%d events on %d pages, want 451 on 5 (100 a page)", len(seen), pages)
	}
	if resp, body := e.get("/ui/rows?cursor=bogus"); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "cannot read cursor") {
		t.Errorf("a bad cursor: status %d: %s", resp.StatusCode, body)
	}
	if !strings.Contains(body, "End of results.") {
		t.Errorf("the last page does not say it is the end:\n%s", body)
	}
}

func TestHostileValuesAreShownAsText(t *testing.T) {
	e := newEnv(t, 10, nil)
	for path, status := range map[string]int{
		"/?mode=search&since=1h":  http.StatusOK,
		"/?mode=search&q=hostile": http.StatusOK,
		// A query in the URL is reflected in the search box, the title,
		// the links and, when it is not valid, the error.
		"/?q=" + url.QueryEscape(`"\"><script>alert(2)</script>"`) + "&mode=search": http.StatusOK,
		"/?q=" + url.QueryEscape(`"><script>alert(2)</script>`) + "&mode=search":    http.StatusBadRequest,
		"/?q=" + url.QueryEscape(`"><script>alert(2)</script>`) + "&mode=tail":      http.StatusBadRequest,
		"/?q=" + url.QueryEscape(`<script>alert(2)</script>`) + "&mode=tail":        http.StatusOK,
		"/ui/groups": http.StatusOK,
		"/ui/streams?group=" + url.QueryEscape("evil/"+hostile): http.StatusOK,
	} {
		resp, body := e.get(path)
		if resp.StatusCode != status {
			t.Errorf("%s: status %d, want %d", path, resp.StatusCode, status)
		}
		for _, s := range scriptRE.FindAllString(body, -1) {
			if !strings.Contains(s, `src="/static/`) {
				t.Errorf("%s: a script element that is not one of ours: %s", path, s)
			}
		}
		if strings.Contains(body, "<script>alert") || !strings.Contains(body, "&lt;script&gt;alert(") {
			t.Errorf("%s: the hostile text is not escaped:\n%s", path, body)
		}
		if strings.Contains(body, "<b>bold</b>") {
			t.Errorf("%s: HTML of a message became markup", path)
		}
	}
	_, body := e.get("/?mode=search&q=hostile")
	got := rows(body)
	if len(got) != 1 || got[0].msg != `hostile `+hostile+` and "quotes" & <b>bold</b>` || got[0].src != "evil/"+hostile+" "+hostile {
		t.Fatalf("the hostile event is not shown as text: %+v\n%s", got, body)
	}
	// The expanded view is built in the browser from data-ev, escaped as
	// an attribute: its JSON must come back intact.
	if !strings.Contains(body, `&#34;payload&#34;:&#34;\u003cscript\u003ealert(1)\u003c/script\u003e&#34;`) &&
		!strings.Contains(body, `&#34;payload&#34;:&#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34;`) {
		t.Errorf("the event's JSON is not in data-ev, escaped:\n%s", body)
	}
}

func TestSidebarGroupsAndStreams(t *testing.T) {
	e := newEnv(t, 90, nil)
	resp, body := e.get("/ui/groups?mode=search&since=6h&q=timeout")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	for _, g := range groups {
		// 30 events each; the link keeps the mode and range but replaces
		// the query.
		href := "/?" + url.Values{"q": {"group:" + g}, "since": {"6h"}, "mode": {"search"}}.Encode()
		want := fmt.Sprintf(`<a class="name" href="%s" title="%s · 30 events: `, attr(href), g)
		if !strings.Contains(body, want) {
			t.Errorf("no link for group %s (%s) in:\n%s", g, want, body)
		}
		if !strings.Contains(body, `/ui/streams?group=`+url.QueryEscape(g)) {
			t.Errorf("group %s cannot be expanded", g)
		}
	}
	if !regexp.MustCompile(`<span class="total" title="30 events: \d+ emerg, [^"]+ stored">30</span>`).MatchString(body) {
		t.Errorf("no total count:\n%s", body)
	}
	if !strings.Contains(body, `/h</span>`) || !strings.Contains(body, `ago</time>`) && !strings.Contains(body, `just now</time>`) {
		t.Error("no rate or last-event time")
	}
	if !strings.Contains(body, `<span class="pill s3" title="15 errors or worse">15 err</span><span class="pill s4" title="4 warnings">4 warn</span>`) {
		t.Errorf("no count of errors in colour:\n%s", body)
	}
	if !strings.Contains(body, `<rect class="s0" x="0.00" y="0" width=`) {
		t.Error("no severity bar")
	}
	if !strings.Contains(body, "evil/&lt;script&gt;") {
		t.Error("the hostile group is missing or not escaped")
	}

	resp, body = e.get("/ui/streams?group=heroku%2Fshop&mode=tail")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("streams: status %d: %s", resp.StatusCode, body)
	}
	for _, s := range []string{"web.1", "web.2"} {
		href := "/?" + url.Values{"q": {"group:heroku/shop stream:" + s}, "mode": {"tail"}}.Encode()
		if !strings.Contains(body, `href="`+attr(href)+`" title="`+s+` · 15 events`) {
			t.Errorf("no link for stream %s (%s) in:\n%s", s, href, body)
		}
	}
	if _, body := e.get("/ui/streams?group=nope"); !strings.Contains(body, "No streams.") {
		t.Errorf("an unknown group does not say it has no streams: %s", body)
	}
	if resp, body := e.get("/ui/streams"); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "no group given") {
		t.Errorf("streams without a group: %d %s", resp.StatusCode, body)
	}

	// The page marks the group its query selects.
	_, body = e.get("/?q=" + url.QueryEscape("group:heroku/api"))
	if !strings.Contains(body, `<li class="group active">`) {
		t.Error("the selected group is not marked")
	}
	if got := rows(body); len(got) != 30 {
		t.Errorf("group:heroku/api shows %d rows, want 30", len(got))
	}
}

// attr is s as html/template writes it in an attribute.
func attr(s string) string { return strings.NewReplacer("&", "&amp;", "+", "&#43;").Replace(s) }

func TestFilterValueRoundTrips(t *testing.T) {
	f := func(v, want string) {
		t.Helper()
		if got := filterValue(v); got != want {
			t.Errorf("filterValue(%q) = %q, want %q", v, got, want)
		}
	}
	f("heroku/shop", "heroku/shop")
	f("/aws/lambda/orders", "/aws/lambda/orders")
	f("my group", `"my group"`)
	f(`a"b\c`, `"a\"b\\c"`)
	f("(x)", `"(x)"`)
	f("<=x", `"<=x"`)
	f("", `""`)
	// The sidebar's links must select exactly their group, whatever its name.
	e := newEnv(t, 0, nil)
	var evs []event.Event
	for i, g := range []string{"my group", `we"ird\name`, "(paren)", ">gt", "plain"} {
		evs = append(evs, event.Event{Time: e.now.Add(-time.Second), Message: "m", Group: g, Stream: "s " + g, ID: fmt.Sprint(i)})
	}
	if err := e.store.Write(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		_, body := e.get("/?mode=search&q=" + url.QueryEscape(groupQuery(ev.Group, ev.Stream)))
		got := rows(body)
		if len(got) != 1 || got[0].src != ev.Group+" "+ev.Stream {
			t.Errorf("%s: rows %+v, want its one event", groupQuery(ev.Group, ev.Stream), got)
		}
	}
}

func TestBadQueryPointsAtTheProblem(t *testing.T) {
	e := newEnv(t, 10, nil)
	resp, body := e.get("/?mode=search&q=" + url.QueryEscape(`error (app:router`))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
	want := "Cannot read the query at column 18: expected &#34;)&#34; to close the &#34;(&#34; at column 7, got the end of the query"
	if !strings.Contains(body, want) {
		t.Errorf("no error text %q in:\n%s", want, body)
	}
	if !strings.Contains(body, "<pre><span>error (app:router</span><mark> </mark><span></span>\n<span class=\"caret\">                 ^</span></pre>") {
		t.Errorf("the error does not point at the end of the query:\n%s", body)
	}
	if len(rows(body)) != 0 {
		t.Error("rows shown for a bad query")
	}

	_, body = e.get("/?mode=search&q=" + url.QueryEscape(`bogus:field x`))
	if !strings.Contains(body, `<mark>b</mark><span>ogus:field x</span>`) || !strings.Contains(body, "unknown field") {
		t.Errorf("an unknown field is not pointed at:\n%s", body)
	}

	// Live tail does not start on a bad query.
	_, body = e.get("/?mode=tail&q=" + url.QueryEscape(`-`))
	if strings.Contains(body, "data-src=") || !strings.Contains(body, "Cannot read the query at column 1") {
		t.Errorf("live tail with a bad query:\n%s", body)
	}

	resp, body = e.get("/?mode=search&since=yesterday")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Cannot read the time range: since &#34;yesterday&#34;") {
		t.Errorf("a bad since: %d\n%s", resp.StatusCode, body)
	}
	resp, body = e.get("/?mode=search&since=1h&until=2h")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "the time range is empty") {
		t.Errorf("since after until: %d\n%s", resp.StatusCode, body)
	}
}

func TestLiveTailPage(t *testing.T) {
	e := newEnv(t, 10, nil)
	resp, body := e.get("/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, want := range []string{
		`<body class="mode-tail">`,
		`<div id="tail" class="rows" data-src="/api/v1/tail?backfill=200"></div>`,
		`<span id="tdot" class="dot" data-state="connecting"`,
		`<button type="button" id="tpause"`,
		`<a href="/?mode=tail" data-mode="tail" class="on" aria-current="page">Live</a>`,
		`hx-get="/ui/groups?mode=tail" hx-trigger="every 10s"`,
		`hx-get="/ui/histogram?mode=tail" hx-trigger="every 10s"`,
		`<option value="1h" selected>Last hour</option>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("no %s in:\n%s", want, body)
		}
	}
	_, body = e.get("/?q=timeout")
	if !strings.Contains(body, `<option value="24h" selected>Last 24 hours</option>`) || !strings.Contains(body, `<body class="mode-search">`) {
		t.Error("a URL with a query is not a search of the last 24 hours")
	}
	_, body = e.get("/?mode=tail&q=" + url.QueryEscape(`app:web "a b"`) + "&since=15m")
	want := `data-src="/api/v1/tail?backfill=200&amp;q=app%3Aweb&#43;%22a&#43;b%22"`
	if !strings.Contains(body, want) {
		t.Errorf("no %s in:\n%s", want, body)
	}
	if !strings.Contains(body, `<option value="15m" selected>`) {
		t.Error("the range picker does not show 15m")
	}
	_, body = e.get("/?mode=search&since=2026-01-01T00:00:00Z&until=2026-01-02T00:00:00Z")
	if !strings.Contains(body, `<option value="custom" selected>`) || !strings.Contains(body, `value="2026-01-01T00:00:00Z"`) ||
		strings.Contains(body, `<select id="range" name="since"`) {
		t.Errorf("a custom range is not shown as one:\n%s", body)
	}
	if !strings.Contains(body, "No events match") {
		t.Error("an empty result does not say so")
	}

	resp, body = e.get("/ui/histogram?mode=tail&since=15m")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<svg class="chart"`) || !strings.Contains(body, "in the last 15 minutes") {
		t.Errorf("histogram fragment: %d\n%s", resp.StatusCode, body)
	}
}

func TestHeadersAndNoInlineCode(t *testing.T) {
	e := newEnv(t, 20, nil)
	for _, path := range []string{"/", "/?mode=search&since=1h", "/ui/groups", "/ui/streams?group=heroku%2Fshop", "/ui/histogram", "/nope"} {
		resp, body := e.get(path)
		c := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(c, want) {
				t.Errorf("%s: CSP %q lacks %s", path, c, want)
			}
		}
		if strings.Contains(c, "unsafe") {
			t.Errorf("%s: CSP allows unsafe code: %s", path, c)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", path)
		}
		// What the CSP would block must not be needed.
		if strings.Contains(body, " style=") || strings.Contains(body, "<style") || strings.Contains(body, " hx-on") || strings.Contains(body, " onclick") {
			t.Errorf("%s: inline style or code", path)
		}
		for _, s := range scriptRE.FindAllString(body, -1) {
			if !strings.Contains(s, ` src="/static/`) {
				t.Errorf("%s: inline script %s", path, s)
			}
		}
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") && resp.Header.Get("Cache-Control") != "no-store" && resp.StatusCode != 404 {
			t.Errorf("%s: Cache-Control %q, want no-store", path, resp.Header.Get("Cache-Control"))
		}
	}
	resp, _ := e.get("/nope")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/nope: status %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/", strings.NewReader("x"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: status %d, want 405", resp.StatusCode)
	}
}

func TestStaticAssets(t *testing.T) {
	e := newEnv(t, 0, nil)
	_, page := e.get("/")
	for _, name := range []string{"htmx.min.js", "sluice.js", "sluice.css", "favicon.svg"} {
		m := regexp.MustCompile(`"(/static/` + regexp.QuoteMeta(name) + `\?v=[0-9a-f]{12})"`).FindStringSubmatch(page)
		if m == nil {
			t.Errorf("the page does not refer to %s with a hash", name)
			continue
		}
		resp, body := e.get(m[1], "Accept-Encoding", "gzip")
		want, _ := staticFS.ReadFile("static/" + name)
		if resp.StatusCode != http.StatusOK || body != string(want) {
			t.Errorf("%s: status %d, %d bytes, want %d", name, resp.StatusCode, len(body), len(want))
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", name, cc)
		}
		ct := resp.Header.Get("Content-Type")
		if want := map[string]string{"js": "text/javascript", "css": "text/css", "svg": "image/svg+xml"}[name[strings.LastIndexByte(name, '.')+1:]]; !strings.HasPrefix(ct, want) {
			t.Errorf("%s: Content-Type %q, want %s", name, ct, want)
		}
		if name == "htmx.min.js" && resp.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("%s is not compressed for a browser that takes gzip", name)
		}
		etag := resp.Header.Get("ETag")
		resp, _ = e.get(m[1], "If-None-Match", etag)
		if resp.StatusCode != http.StatusNotModified {
			t.Errorf("%s with If-None-Match %s: status %d, want 304", name, etag, resp.StatusCode)
		}
		resp, body = e.get("/static/"+name+"?v=old", "Accept-Encoding", "identity")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-cache" || body != string(want) || resp.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s with an old hash: status %d, Cache-Control %q, encoding %q", name, resp.StatusCode, resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Encoding"))
		}
	}
	if resp, _ := e.get("/static/nope.js"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown asset: status %d", resp.StatusCode)
	}
	if resp, _ := e.get("/static/README.md"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the assets' README is served: status %d", resp.StatusCode)
	}
}

func TestStoreErrorsAreShown(t *testing.T) {
	// A query timeout this short makes every store query fail as a slow
	// one does.
	e := newEnv(t, 50, func(c *store.Config) { c.QueryTimeout = time.Nanosecond })
	resp, body := e.get("/?mode=search&q=timeout&since=1h")
	if resp.StatusCode != http.StatusGatewayTimeout {
		t.Errorf("status %d, want 504", resp.StatusCode)
	}
	if !strings.Contains(body, `<div class="error" role="alert">cannot `) || !strings.Contains(body, "narrow the time range") {
		t.Errorf("the store's timeout is not shown with what to do:\n%s", body)
	}
	resp, body = e.get("/ui/groups")
	if resp.StatusCode != http.StatusInternalServerError && resp.StatusCode != http.StatusOK || !strings.Contains(body, `class="error"`) {
		t.Errorf("groups: status %d:\n%s", resp.StatusCode, body)
	}
}

func TestNoStore(t *testing.T) {
	h, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, path := range []string{"/", "/ui/groups", "/ui/rows", "/ui/streams?group=x", "/ui/histogram"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "This sluice keeps no events") {
			t.Errorf("%s: status %d: %s", path, resp.StatusCode, b)
		}
		if path == "/" && strings.Contains(string(b), "data-src=") {
			t.Error("live tail starts without a store")
		}
	}
}

func TestFormatting(t *testing.T) {
	c := func(n int64, want string) {
		t.Helper()
		if got := formatCount(n); got != want {
			t.Errorf("formatCount(%d) = %q, want %q", n, got, want)
		}
	}
	c(0, "0")
	c(999, "999")
	c(1000, "1,000")
	c(1234567, "1,234,567")
	c(-1234, "-1,234")
	s := func(n int64, want string) {
		t.Helper()
		if got := formatShort(n); got != want {
			t.Errorf("formatShort(%d) = %q, want %q", n, got, want)
		}
	}
	s(9999, "9,999")
	s(12345, "12.3k")
	s(4_500_000, "4.5M")
	i := func(d time.Duration, want string) {
		t.Helper()
		if got := formatInterval(d); got != want {
			t.Errorf("formatInterval(%v) = %q, want %q", d, got, want)
		}
	}
	i(time.Second, "1s")
	i(30*time.Second, "30s")
	i(time.Minute, "1m")
	i(5*time.Minute, "5m")
	i(time.Hour, "1h")
	i(24*time.Hour, "24h")
	now := time.Now()
	a := func(ago time.Duration, want string) {
		t.Helper()
		if got := formatAgo(now, now.Add(-ago)); got != want {
			t.Errorf("formatAgo(%v) = %q, want %q", ago, got, want)
		}
	}
	a(time.Second, "just now")
	a(30*time.Second, "30s ago")
	a(5*time.Minute, "5m ago")
	a(3*time.Hour, "3h ago")
	a(72*time.Hour, "3d ago")
}
