package api

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/auth"
	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/store"
)

var now = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// fixture is a store with 300 events over the last 5 hours (one a minute):
// event i has severity i%8, group heroku/app{i%3}, stream web.{i%2+1},
// message "request {i} ok" or, every 10th, "request {i} failed: timeout".
func fixture(t *testing.T, cfg Config) (*httptest.Server, *store.Store) {
	t.Helper()
	st, err := store.Open(store.Config{Dir: t.TempDir(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var batch []event.Event
	for i := range 300 {
		msg := fmt.Sprintf("request %d ok", i)
		if i%10 == 0 {
			msg = fmt.Sprintf("request %d failed: timeout", i)
		}
		e := event.Event{Time: now.Add(-time.Duration(300-i) * time.Minute), Severity: event.Severity(i % 8), Message: msg,
			Group: fmt.Sprintf("heroku/app%d", i%3), Stream: fmt.Sprintf("web.%d", i%2+1), ID: fmt.Sprint("e", i)}
		e.AddNumber("status", fmt.Sprint(200+i%4*100))
		batch = append(batch, e)
	}
	if err := st.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	cfg.Store = st
	cfg.Now = func() time.Time { return now }
	srv := httptest.NewServer(RequireAuth(nil, New(cfg)))
	t.Cleanup(srv.Close)
	return srv, st
}

func get(t *testing.T, u string, out any) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == 200 && out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: %v in %s", u, err, b)
		}
	}
	if resp.StatusCode != 200 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("%s: error answer is %s, want JSON", u, resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode, string(b)
}

type searchResult struct {
	Events []struct {
		Message  string         `json:"message"`
		Severity int            `json:"severity"`
		Group    string         `json:"group"`
		ID       string         `json:"id"`
		Time     time.Time      `json:"time"`
		Fields   map[string]any `json:"fields"`
	} `json:"events"`
	Next string `json:"next"`
}

func TestSearchPagesThroughTheMatchesNewestFirst(t *testing.T) {
	srv, _ := fixture(t, Config{})
	// failed: every 10th event, 30 in all; pages of 7.
	var ids []string
	cursor := ""
	for page := 0; ; page++ {
		var r searchResult
		code, body := get(t, srv.URL+"/api/v1/search?limit=7&q=failed&cursor="+url.QueryEscape(cursor), &r)
		if code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		for _, e := range r.Events {
			if !strings.Contains(e.Message, "failed") {
				t.Fatalf("%q does not match", e.Message)
			}
			ids = append(ids, e.ID)
		}
		if r.Next == "" {
			break
		}
		cursor = r.Next
		if page > 10 {
			t.Fatal("too many pages")
		}
	}
	if len(ids) != 30 || ids[0] != "e290" || ids[29] != "e0" {
		t.Fatalf("got %d ids %v, want e290 … e0", len(ids), ids)
	}
}

func TestSearchFiltersAndTimeRange(t *testing.T) {
	srv, _ := fixture(t, Config{})
	var r searchResult
	// Events of the last hour (i >= 240) of app1 with severity <= error.
	q := url.QueryEscape("group:heroku/app1 severity:<=error fields.status:>=300")
	if code, body := get(t, srv.URL+"/api/v1/search?since=1h&limit=1000&q="+q, &r); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	want := 0
	for i := 240; i < 300; i++ {
		if i%3 == 1 && i%8 <= 3 && 200+i%4*100 >= 300 {
			want++
		}
	}
	if len(r.Events) != want || want == 0 {
		t.Fatalf("got %d events, want %d", len(r.Events), want)
	}
	for _, e := range r.Events {
		if e.Group != "heroku/app1" || e.Severity > 3 || e.Time.Before(now.Add(-time.Hour)) {
			t.Fatalf("event out of the query: %+v", e)
		}
	}
	// An absolute range.
	r = searchResult{}
	u := srv.URL + "/api/v1/search?since=" + url.QueryEscape(now.Add(-10*time.Minute).Format(time.RFC3339)) + "&until=" + url.QueryEscape(now.Add(-5*time.Minute).Format(time.RFC3339))
	if code, body := get(t, u, &r); code != 200 || len(r.Events) != 5 {
		t.Fatalf("%d %s: %d events, want 5", code, body, len(r.Events))
	}
}

func TestBadRequestsSayWhatIsWrong(t *testing.T) {
	srv, _ := fixture(t, Config{})
	for _, c := range []struct {
		path string
		code int
		want string
	}{
		{"/api/v1/search?q=" + url.QueryEscape(`severity:<=bogus`), 400, "column 12"},
		{"/api/v1/search?q=" + url.QueryEscape(`"unclosed`), 400, "q: "},
		{"/api/v1/search?limit=0", 400, "limit"},
		{"/api/v1/search?limit=5000", 400, "1 to 1000"},
		{"/api/v1/search?since=yesterday", 400, "since"},
		{"/api/v1/search?since=1h&until=2h", 400, "must be before until"},
		{"/api/v1/search?cursor=nonsense", 400, "cursor"},
		{"/api/v1/histogram?buckets=-1", 400, "buckets"},
		{"/api/v1/streams", 400, "group: required"},
		{"/api/v1/tail?backfill=100000", 400, "backfill"},
		{"/api/v1/tail?since=1h", 400, "tail takes no since"},
		{"/api/v1/nothing", 404, "no API endpoint"},
	} {
		code, body := get(t, srv.URL+c.path, nil)
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s, want %d with %q", c.path, code, body, c.code, c.want)
		}
	}
	resp, err := http.Post(srv.URL+"/api/v1/search", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Fatalf("POST: %d Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

func TestWithoutAStoreEveryEndpointSays503(t *testing.T) {
	srv := httptest.NewServer(New(Config{}))
	defer srv.Close()
	for _, p := range []string{"search", "histogram", "groups", "streams?group=x", "tail"} {
		code, body := get(t, srv.URL+"/api/v1/"+p, nil)
		if code != 503 || !strings.Contains(body, "no store is configured") {
			t.Errorf("%s: %d %s", p, code, body)
		}
	}
}

func TestBearerAuth(t *testing.T) {
	st, err := store.Open(store.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv := httptest.NewServer(RequireAuth(auth.NewBearer("readers", []string{"s3cret"}, nil), New(Config{Store: st})))
	defer srv.Close()
	for _, c := range []struct {
		header string
		code   int
	}{{"", 401}, {"Bearer wrong", 401}, {"Bearer s3cret", 200}} {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/groups", nil)
		if c.header != "" {
			req.Header.Set("Authorization", c.header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Fatalf("%q: %d %s", c.header, resp.StatusCode, b)
		}
		if c.code == 401 && (!strings.Contains(resp.Header.Get("WWW-Authenticate"), "Bearer") || !strings.Contains(string(b), "--token")) {
			t.Fatalf("401 without a challenge or advice: %v %s", resp.Header, b)
		}
	}
}

func TestHistogramGroupsStreams(t *testing.T) {
	srv, _ := fixture(t, Config{})
	var h struct {
		Interval        string  `json:"interval"`
		IntervalSeconds float64 `json:"interval_seconds"`
		Buckets         []struct {
			Start  time.Time        `json:"start"`
			Total  int64            `json:"total"`
			Counts map[string]int64 `json:"counts"`
		} `json:"buckets"`
	}
	if code, body := get(t, srv.URL+"/api/v1/histogram?since=6h&buckets=6&q=failed", &h); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	var total, errs int64
	for _, b := range h.Buckets {
		total += b.Total
		errs += b.Counts["emerg"] + b.Counts["warning"] // i%10==0 → severity 0, 2, 4, 6…
	}
	if h.Interval != "1h0m0s" || h.IntervalSeconds != 3600 || total != 30 {
		t.Fatalf("histogram %+v: total %d, want 30 in 1h buckets", h, total)
	}
	if errs == 0 {
		t.Fatalf("counts by severity name missing: %+v", h.Buckets)
	}
	var g struct {
		Groups []struct {
			Name     string           `json:"name"`
			Total    int64            `json:"total"`
			LastHour int64            `json:"last_hour"`
			Counts   map[string]int64 `json:"counts"`
		} `json:"groups"`
	}
	if code, body := get(t, srv.URL+"/api/v1/groups", &g); code != 200 || len(g.Groups) != 3 {
		t.Fatalf("%d %s", code, body)
	}
	for _, gr := range g.Groups {
		var sum int64
		for _, n := range gr.Counts {
			sum += n
		}
		if gr.Total != 100 || sum != 100 || gr.LastHour < 19 || gr.LastHour > 21 {
			t.Fatalf("group %+v", gr)
		}
	}
	var s struct {
		Streams []struct {
			Group, Name string
			Total       int64
		} `json:"streams"`
	}
	if code, body := get(t, srv.URL+"/api/v1/streams?group=heroku/app0", &s); code != 200 || len(s.Streams) != 2 || s.Streams[0].Total+s.Streams[1].Total != 100 {
		t.Fatalf("%d %s", code, body)
	}
}

// sse reads Server-Sent Events from r: data of unnamed messages to data,
// named events to named.
func sse(r io.Reader, data chan<- string, named chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	name := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			if name == "" {
				data <- strings.TrimPrefix(line, "data: ")
			} else {
				named <- name + " " + strings.TrimPrefix(line, "data: ")
			}
		case line == "":
			name = ""
		case strings.HasPrefix(line, ":"):
			named <- "comment" + line
		}
	}
	close(data)
}

func TestTailBackfillsThenFollows(t *testing.T) {
	closing := make(chan struct{})
	srv, st := fixture(t, Config{Closing: closing, Keepalive: 100 * time.Millisecond})
	resp, err := http.Get(srv.URL + "/api/v1/tail?backfill=3&q=failed")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	data, named := make(chan string, 100), make(chan string, 100)
	go sse(resp.Body, data, named)
	next := func() string {
		select {
		case d := <-data:
			var e struct{ Message string }
			if err := json.Unmarshal([]byte(d), &e); err != nil {
				t.Fatalf("%v: %s", err, d)
			}
			return e.Message
		case <-time.After(2 * time.Second):
			t.Fatal("no event within 2s")
		}
		return ""
	}
	for _, want := range []string{"request 270 failed: timeout", "request 280 failed: timeout", "request 290 failed: timeout"} {
		if got := next(); got != want {
			t.Fatalf("backfill: got %q, want %q", got, want)
		}
	}
	if err := st.Write(context.Background(), []event.Event{
		{Time: now, Message: "new request failed", ID: "n1"}, {Time: now, Message: "new request ok", ID: "n2"},
		{Time: now, Message: "<script>\nfailed twice</script>", ID: "n3"}}); err != nil {
		t.Fatal(err)
	}
	if got := next(); got != "new request failed" {
		t.Fatalf("live: %q", got)
	}
	if got := next(); got != "<script>\nfailed twice</script>" {
		t.Fatalf("live: %q", got)
	}
	// Keepalives arrive while nothing happens.
	deadline := time.After(2 * time.Second)
	for got := ""; got != "comment: keepalive"; {
		select {
		case got = <-named:
		case <-deadline:
			t.Fatal("no keepalive")
		}
	}
	// Shutdown ends the stream.
	close(closing)
	select {
	case _, ok := <-data:
		for ok {
			_, ok = <-data
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the stream did not end at shutdown")
	}
}

func TestTailTellsASlowReaderWhatItMissed(t *testing.T) {
	srv, st := fixture(t, Config{TailBuffer: 10})
	resp, err := http.Get(srv.URL + "/api/v1/tail")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if line, _ := br.ReadString('\n'); line != "retry: 2000\n" {
		t.Fatalf("first line %q", line)
	}
	// 200 events stored at once: the tail holds 10 for the reader, the
	// other 190 are dropped and counted.
	var batch []event.Event
	for i := range 200 {
		batch = append(batch, event.Event{Time: now, Message: fmt.Sprint("burst ", i), ID: fmt.Sprint("s", i)})
	}
	if err := st.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	data, named := make(chan string, 1000), make(chan string, 1000)
	go sse(br, data, named)
	var got, dropped int
	deadline := time.After(3 * time.Second)
	for got+dropped < 200 {
		select {
		case <-data:
			got++
		case n := <-named:
			var d struct{ Dropped int }
			if strings.HasPrefix(n, "dropped ") {
				if err := json.Unmarshal([]byte(strings.TrimPrefix(n, "dropped ")), &d); err != nil {
					t.Fatal(err)
				}
				dropped += d.Dropped
			}
		case <-deadline:
			t.Fatalf("got %d, dropped %d of 200", got, dropped)
		}
	}
	if got != 10 || dropped != 190 {
		t.Fatalf("got %d, dropped %d; want the newest 10 and 190 dropped", got, dropped)
	}
}

// TestTailResumesAfterLastEventID: a client that lost its connection and
// comes back with the id of the last event it got sees what it missed, and
// nothing twice.
func TestTailResumesAfterLastEventID(t *testing.T) {
	srv, st := fixture(t, Config{})
	// The fixture's newest event is e299 (1 minute ago); take its id.
	resp, err := http.Get(srv.URL + "/api/v1/tail?backfill=1")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(resp.Body)
	var lastID string
	for lastID == "" {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if id, ok := strings.CutPrefix(line, "id: "); ok {
			lastID = strings.TrimSpace(id)
		}
	}
	resp.Body.Close()
	// While disconnected: three more events.
	if err := st.Write(context.Background(), []event.Event{
		{Time: now.Add(-30 * time.Second), Message: "missed one", ID: "m1"},
		{Time: now.Add(-20 * time.Second), Message: "missed two", ID: "m2"},
		{Time: now.Add(-10 * time.Second), Message: "missed three", ID: "m3"},
	}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/tail", nil)
	req.Header.Set("Last-Event-ID", lastID)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, named := make(chan string, 100), make(chan string, 100)
	go sse(resp.Body, data, named)
	var got []string
	for len(got) < 3 {
		select {
		case d := <-data:
			var e struct{ Message string }
			_ = json.Unmarshal([]byte(d), &e)
			got = append(got, e.Message)
		case <-time.After(2 * time.Second):
			t.Fatalf("got %q, want the three missed events", got)
		}
	}
	if strings.Join(got, ",") != "missed one,missed two,missed three" {
		t.Fatalf("resumed with %q", got)
	}
	// Nothing else from before (the fixture's events are below lastID).
	select {
	case d := <-data:
		t.Fatalf("unexpected %s", d)
	case <-time.After(200 * time.Millisecond):
	}
}
