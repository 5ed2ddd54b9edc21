package ingest

import (
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicelog/sluice/internal/auth"
	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/pipeline"
)

func TestFullEvent(t *testing.T) {
	env := newEnv(t, Config{})
	body := `{"time":"2026-01-02T15:04:05.123Z","level":"warn","message":"disk full","group":"/app/billing","stream":"web.1","app":"billing","host":"h1","proc":"web","fields":{"disk":"/dev/sda1","pct":91,"ok":false,"tags":["a"],"n":null},"id":"abc-1"}`
	a := env.post(t, "", "application/json", body)
	if a.status != 200 || a.body != `{"accepted":1,"rejected":0}`+"\n" {
		t.Fatalf("got %d %q", a.status, a.body)
	}
	want := event.Event{
		Time: time.Date(2026, 1, 2, 15, 4, 5, 123e6, time.UTC), Received: received,
		Severity: event.Warning, SeveritySource: event.SeverityField,
		Host: "h1", App: "billing", Proc: "web", Message: "disk full",
		Fields: []event.Field{{Key: "disk", Value: "/dev/sda1"}, {Key: "pct", Value: "91", Type: event.Number},
			{Key: "ok", Value: "false", Type: event.Bool}, {Key: "tags", Value: `["a"]`, Type: event.JSON}, {Key: "n", Value: "null", Type: event.JSON}},
		Group: "/app/billing", Stream: "web.1", Source: "ingest", ID: "abc-1",
	}
	if diff := cmp.Diff([]event.Event{want}, env.ing.events()); diff != "" {
		t.Fatal(diff)
	}
}

func TestShapes(t *testing.T) {
	tests := []struct {
		name, suffix, contentType, body string
		want                            []string // "group|stream|severity/source|message"
	}{
		{"single object", "", "", `{"message":"one"}`, []string{"ingest|default|info/|one"}},
		{"ndjson with blank lines and CRLF", "", "application/x-ndjson", "\n{\"message\":\"a\"}\r\n\n  {\"message\":\"b\",\"level\":3}\n", []string{"ingest|default|info/|a", "ingest|default|error/field|b"}},
		{"array", "", "application/json", ` [{"message":"a","level":"7"},{"message":"b","group":"g"}] `, []string{"ingest|default|debug/field|a", "g|default|info/|b"}},
		{"empty body", "", "application/json", "", nil},
		{"empty array", "", "application/json", "[ ]", nil},
		{"curl default content type", "", "application/x-www-form-urlencoded", `{"message":"c"}`, []string{"ingest|default|info/|c"}},
		{"byte order mark", "", "application/json", "\xef\xbb\xbf" + `{"message":"bom"}`, []string{"ingest|default|info/|bom"}},
		{"path group", "/app/billing", "", `{"message":"p"}` + "\n" + `{"message":"q","group":"/app/other"}`, []string{"/app/billing|default|info/|p", "/app/other|default|info/|q"}},
		{"query defaults", "?group=qg&stream=s&level=notice&app=a", "", `{"message":"q"}`, []string{"qg|s|notice/field|q"}},
		{"path beats query group", "/pg?group=qg", "", `{"message":"q"}`, []string{"/pg|default|info/|q"}},
		{"text", "?group=tg&stream=ts&level=err", "text/plain; charset=utf-8", "line one\r\n\n  \nline two", []string{"tg|ts|error/field|line one", "tg|ts|error/field|line two"}},
		{"text severity inferred", "", "text/plain", "WARNING: low memory\n", []string{"ingest|default|warning/inferred|WARNING: low memory"}},
		{"json severity inferred from message", "", "", `{"message":"ERROR: boom"}`, []string{"ingest|default|error/inferred|ERROR: boom"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, Config{})
			a := env.post(t, tt.suffix, tt.contentType, tt.body)
			if a.status != 200 || a.resp.Accepted != len(tt.want) || a.resp.Rejected != 0 {
				t.Fatalf("got %d %q", a.status, a.body)
			}
			var got []string
			for _, e := range env.ing.events() {
				got = append(got, fmt.Sprintf("%s|%s|%s/%s|%s", e.Group, e.Stream, e.Severity, e.SeveritySource, e.Message))
				if e.Received != received || e.Source != "ingest" {
					t.Errorf("received %v, source %q", e.Received, e.Source)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatal(diff)
			}
		})
	}
}

func TestTimes(t *testing.T) {
	env := newEnv(t, Config{})
	body := `[{"message":"s","time":1700000000},{"message":"ms","time":1700000000123},{"message":"fs","time":1700000000.5},` +
		`{"message":"fms","time":1700000000123.25},{"message":"offset","time":"2026-01-02T15:04:05+02:00"},{"message":"null","time":null}]`
	a := env.post(t, "", "", body)
	if a.status != 200 || a.resp.Accepted != 6 {
		t.Fatalf("got %d %q", a.status, a.body)
	}
	want := []time.Time{
		time.Unix(1700000000, 0), time.UnixMilli(1700000000123), time.Unix(1700000000, 5e8),
		time.UnixMilli(1700000000123).Add(250 * time.Microsecond), time.Date(2026, 1, 2, 13, 4, 5, 0, time.UTC), {},
	}
	for i, e := range env.ing.events() {
		if !e.Time.Equal(want[i]) {
			t.Errorf("%s: time %v, want %v", e.Message, e.Time, want[i])
		}
	}
}

func TestRejectedEvents(t *testing.T) {
	tests := []struct{ event, err string }{
		{`{"level":"info"}`, "cannot decode event: missing message"},
		{`{"message":null}`, "cannot decode event: message is null, want a string"},
		{`{"message":42}`, "cannot decode event: message is a number, want a string"},
		{`{"message":"m","time":"yesterday"}`, `cannot parse time "yesterday": want RFC 3339 (2006-01-02T15:04:05Z) or epoch seconds or milliseconds`},
		{`{"message":"m","time":true}`, "cannot parse time: it is a boolean, want an RFC 3339 string or an epoch number"},
		{`{"message":"m","time":1e300}`, "cannot parse time 1e300: epoch number out of range"},
		{`{"message":"m","level":"loud"}`, `cannot parse level "loud": want emerg, alert, crit, error, warning, notice, info, debug (or a common alias) or 0..7`},
		{`{"message":"m","level":8}`, `cannot parse level "8": want emerg, alert, crit, error, warning, notice, info, debug (or a common alias) or 0..7`},
		{`{"message":"m","level":{}}`, "cannot parse level: it is an object, want a name or a syslog severity 0..7"},
		{`{"message":"m","fields":[1]}`, "cannot decode fields: it is an array, want an object"},
		{`{"message":"m","group":7}`, "cannot decode event: group is a number, want a string"},
		{`{"message":"m","user":"bob"}`, `cannot decode event: unknown key "user" (custom data goes under "fields")`},
		{`"just a string"`, "cannot decode event: want a JSON object, got a string"},
		{`{"message":"m","stream":"a\u0001b"}`, `cannot accept event: stream "a\x01b" contains a control character`},
		{`{"message":"m","group":"` + strings.Repeat("g", 513) + `"}`, "cannot accept event: group is longer than 512 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			env := newEnv(t, Config{})
			// Alone: every event rejected, 400.
			a := env.post(t, "", "", "["+tt.event+"]")
			want := response{Rejected: 1, Errors: []rejection{{0, tt.err}}, Error: "every event was rejected; nothing stored"}
			if a.status != 400 || !cmp.Equal(a.resp, want) {
				t.Fatalf("alone: got %d %q, want error %q", a.status, a.body, tt.err)
			}
			// Among good ones in NDJSON: only it rejected, 200.
			a = env.post(t, "", "", `{"message":"good"}`+"\n"+tt.event+"\n"+`{"message":"good too"}`)
			want = response{Accepted: 2, Rejected: 1, Errors: []rejection{{1, tt.err}}}
			if a.status != 200 || !cmp.Equal(a.resp, want) {
				t.Fatalf("among good ones: got %d %q", a.status, a.body)
			}
			if n := len(env.ing.events()); n != 2 {
				t.Fatalf("%d events stored, want 2", n)
			}
		})
	}
}

func TestBadNDJSONLine(t *testing.T) {
	env := newEnv(t, Config{})
	a := env.post(t, "", "", `{"message":"a"}`+"\n"+`{"message":"b"`+"\n"+`{"message":"c"} x`+"\n"+`{"message":"d"}`)
	want := response{Accepted: 2, Rejected: 2, Errors: []rejection{
		{1, "cannot decode line as JSON: unexpected end of JSON input at byte 14"},
		{2, "cannot decode line as JSON: invalid character 'x' after top-level value at byte 17"},
	}}
	if a.status != 200 || !cmp.Equal(a.resp, want) {
		t.Fatalf("got %d %q", a.status, a.body)
	}
}

func TestManyRejectedListsTen(t *testing.T) {
	env := newEnv(t, Config{})
	var b strings.Builder
	for i := range 25 {
		if i%2 == 0 {
			b.WriteString(`{"message":"ok"}` + "\n")
		} else {
			b.WriteString(`{"message":"bad","level":"x"}` + "\n")
		}
	}
	a := env.post(t, "", "", b.String())
	if a.status != 200 || a.resp.Accepted != 13 || a.resp.Rejected != 12 || len(a.resp.Errors) != 10 || a.resp.Errors[9].Index != 19 {
		t.Fatalf("got %d %q", a.status, a.body)
	}
}

func TestRefusedRequests(t *testing.T) {
	tests := []struct {
		name, method, suffix, contentType, encoding, body string
		cfg                                               Config
		status                                            int
		err                                               string
	}{
		{"not json", "", "", "", "", "hello", Config{}, 400, `cannot decode the request body: it starts with "hello", not '[' (a JSON array of events) or '{' (NDJSON); send plain lines with Content-Type: text/plain`},
		{"broken array", "", "", "", "", `[{"message":"a"},`, Config{}, 400, "cannot decode the JSON array of events: unexpected end of JSON input at byte 17; nothing stored"},
		{"method", http.MethodGet, "", "", "", "", Config{}, 405, "method GET is not allowed: POST events"},
		{"content type", "", "", "application/xml", "", "<a/>", Config{}, 415, `unsupported Content-Type "application/xml": want application/json, application/x-ndjson or text/plain`},
		{"content encoding", "", "", "", "br", "x", Config{}, 415, `unsupported Content-Encoding "br": want gzip or none`},
		{"corrupt gzip", "", "", "", "gzip", "this is not gzip at all", Config{}, 400, "cannot decompress the gzip request body: gzip: invalid header"},
		{"body too large", "", "", "", "", strings.Repeat(" ", 101), Config{MaxBodyBytes: 100}, 413, "request body of 101 bytes is larger than the 100-byte limit"},
		{"gzip too large", "", "", "", "gzip", gzipped(strings.Repeat(" ", 1000)), Config{MaxBodyBytes: 100}, 413, "decompressed request body is larger than the 100-byte limit"},
		{"too many events", "", "", "", "", `{"message":"1"}` + "\n" + `{"message":"2"}` + "\n" + `{"message":"3"}`, Config{MaxEvents: 2}, 413, "request body has more than 2 events; nothing stored"},
		{"too many array events", "", "", "", "", `[{"message":"1"},{"message":"2"},{"message":"3"}]`, Config{MaxEvents: 2}, 413, "request body has more than 2 events; nothing stored"},
		{"too many lines", "", "", "text/plain", "", "1\n2\n3\n", Config{MaxEvents: 2}, 413, "request body has more than 2 events (lines); nothing stored"},
		{"bad query level", "", "?level=loud", "", "", `{"message":"m"}`, Config{}, 400, `cannot parse query parameter level "loud": want emerg, alert, crit, error, warning, notice, info, debug or 0..7`},
		{"bad path group", "", "/" + strings.Repeat("g", 600), "", "", `{"message":"m"}`, Config{}, 400, "group is longer than 512 bytes"},
		{"all rejected", "", "", "", "", `{"msg":"m"}`, Config{}, 400, "every event was rejected; nothing stored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, tt.cfg)
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			req, err := http.NewRequest(method, env.url+tt.suffix, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.encoding != "" {
				req.Header.Set("Content-Encoding", tt.encoding)
			}
			a := do(t, req)
			if a.status != tt.status || a.resp.Error != tt.err || a.resp.Accepted != 0 {
				t.Fatalf("got %d %q\nwant %d %q", a.status, a.body, tt.status, tt.err)
			}
			if tt.status == 405 && a.header.Get("Allow") != "POST" {
				t.Errorf("Allow %q", a.header.Get("Allow"))
			}
			if n := len(env.ing.events()); n != 0 {
				t.Fatalf("%d events stored", n)
			}
		})
	}
}

func TestPathNotUnderMount(t *testing.T) {
	h, err := New(Config{}, &fakeIngester{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	env := newEnv(t, Config{})
	env.srv.Config.Handler = h
	a := env.post(t, "x", "", `{"message":"m"}`) // /ingestx
	if a.status != 404 || a.resp.Error != `path "/ingestx" is not under /ingest` {
		t.Fatalf("got %d %q", a.status, a.body)
	}
}

func TestGzip(t *testing.T) {
	env := newEnv(t, Config{})
	a := env.post(t, "", "application/x-ndjson", gzipped(`{"message":"a"}`+"\n"+`{"message":"b"}`), "Content-Encoding", "gzip")
	if a.status != 200 || a.resp.Accepted != 2 {
		t.Fatalf("got %d %q", a.status, a.body)
	}
	a = env.post(t, "", "text/plain", gzipped("x\ny\nz\n"), "Content-Encoding", "x-gzip")
	if a.status != 200 || a.resp.Accepted != 3 {
		t.Fatalf("got %d %q", a.status, a.body)
	}
}

func TestAuthAndGroups(t *testing.T) {
	set := auth.NewBearer("apps", []string{"s3cret"}, []string{"/app/billing*", "exact"})
	env := newEnv(t, Config{Auth: set})

	a := env.post(t, "/app/billing", "", `{"message":"m"}`)
	if a.status != 401 || a.header.Get("WWW-Authenticate") != `Bearer realm="sluice"` || a.resp.Error != "unauthorized: missing or wrong credentials" {
		t.Fatalf("no token: got %d %q", a.status, a.body)
	}
	a = env.post(t, "/app/billing", "", `{"message":"m"}`, "Authorization", "Bearer wrong")
	if a.status != 401 {
		t.Fatalf("wrong token: got %d %q", a.status, a.body)
	}

	// One event of a forbidden group refuses the whole request.
	a = env.post(t, "/app/billing", "", `{"message":"ok"}`+"\n"+`{"message":"no","group":"/app/payroll"}`, "Authorization", "Bearer s3cret")
	if a.status != 403 || a.resp.Error != `credentials "apps" may not write to group "/app/payroll"; nothing stored` {
		t.Fatalf("forbidden group: got %d %q", a.status, a.body)
	}
	// The default group is not allowed either.
	a = env.post(t, "", "", `{"message":"ok"}`, "Authorization", "Bearer s3cret")
	if a.status != 403 || a.resp.Error != `credentials "apps" may not write to group "ingest"; nothing stored` {
		t.Fatalf("default group: got %d %q", a.status, a.body)
	}
	if n := len(env.ing.events()); n != 0 {
		t.Fatalf("%d events stored after refusals", n)
	}

	a = env.post(t, "/app/billing/api", "", `{"message":"ok"}`+"\n"+`{"message":"too","group":"exact","stream":"s"}`, "Authorization", "Bearer s3cret")
	if a.status != 200 || a.resp.Accepted != 2 {
		t.Fatalf("allowed: got %d %q", a.status, a.body)
	}
	got := env.ing.events()
	if got[0].Group != "/app/billing/api" || got[0].Stream != "apps" || got[0].Source != "ingest/apps" || got[1].Group != "exact" || got[1].Stream != "s" {
		t.Fatalf("events %+v", got)
	}
}

func TestIngestErrors(t *testing.T) {
	tests := []struct {
		err            error
		status         int
		header, value  string
		wantErrMessage string
	}{
		{&pipeline.FullError{RetryAfter: 1500 * time.Millisecond, Bytes: 10, MaxBytes: 10}, 503, "Retry-After", "2", "cannot store the batch: write-ahead log is full (10 of 10 bytes): subscribers are behind; retry after 1.5s"},
		{pipeline.ErrClosed, 503, "Connection", "close", "cannot store the batch: sluice is shutting down"},
		{fmt.Errorf("%w: 99 bytes", pipeline.ErrTooLarge), 413, "", "", "cannot store the batch: batch is larger than the write-ahead log's cap: 99 bytes"},
		{errors.New("disk on fire"), 500, "", "", "cannot store the batch: disk on fire"},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			env := newEnv(t, Config{})
			env.ing.err = tt.err
			a := env.post(t, "", "", `{"message":"m"}`+"\n"+`{"message":"bad","level":"x"}`)
			if a.status != tt.status || a.resp.Error != tt.wantErrMessage || a.resp.Accepted != 0 {
				t.Fatalf("got %d %q", a.status, a.body)
			}
			if tt.header == "Connection" {
				if !a.close {
					t.Fatal("connection not closed")
				}
			} else if tt.header != "" && a.header.Get(tt.header) != tt.value {
				t.Fatalf("%s: %q, want %q", tt.header, a.header.Get(tt.header), tt.value)
			}
		})
	}
}

func TestCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed")
	}
	env := newEnv(t, Config{Auth: auth.NewBearer("apps", []string{"tok"}, nil)})
	// The documented command line: curl's default Content-Type is
	// application/x-www-form-urlencoded, read as JSON.
	out, err := exec.Command(curl, "-sS", "-H", "Authorization: Bearer tok", "-d", `{"message":"hello from curl","level":"notice"}`, env.url+"/myapp").CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v: %s", err, out)
	}
	if string(out) != `{"accepted":1,"rejected":0}`+"\n" {
		t.Fatalf("curl got %q", out)
	}
	e := env.ing.events()[0]
	if e.Group != "/myapp" || e.Severity != event.Notice || e.Message != "hello from curl" {
		t.Fatalf("event %+v", e)
	}
}

func TestMetrics(t *testing.T) {
	env := newEnv(t, Config{})
	env.post(t, "", "", `{"message":"a"}`+"\n"+`{"message":"b","level":"x"}`)
	env.post(t, "", "", "junk")
	src := map[string]string{"source": "ingest"}
	for name, want := range map[string]float64{
		"sluice_source_events_accepted_total":    1,
		"sluice_source_events_rejected_total":    1,
		"sluice_source_received_bytes_total":     float64(len(`{"message":"a"}`+"\n"+`{"message":"b","level":"x"}`) + 4),
		"sluice_source_request_duration_seconds": 2,
	} {
		if got := counter(t, env.reg, name, src); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	for code, want := range map[string]float64{"200": 1, "400": 1} {
		if got := counter(t, env.reg, "sluice_source_requests_total", map[string]string{"source": "ingest", "code": code}); got != want {
			t.Errorf("requests code %s = %v, want %v", code, got, want)
		}
	}
	// A second source on the same registry shares the collectors.
	if _, err := New(Config{Path: "/other"}, &fakeIngester{}, env.reg, nil); err != nil {
		t.Fatal(err)
	}
}

func TestNew(t *testing.T) {
	if _, err := New(Config{}, nil, nil, nil); err == nil || err.Error() != "cannot create ingest source: no ingester" {
		t.Errorf("nil ingester: %v", err)
	}
	_, err := New(Config{Path: "ingest/", MaxBodyBytes: -1, MaxEvents: -1, Auth: auth.NewFirehoseKeys("k", []string{"x"}, nil)}, &fakeIngester{}, nil, nil)
	want := "cannot create ingest source: path \"ingest/\" must start with / and not end with /\n" +
		"auth: the ingest source accepts bearer tokens or basic auth, not Firehose access keys\n" +
		"max_body_bytes -1 is negative\nmax_events -1 is negative"
	if err == nil || err.Error() != want {
		t.Errorf("got %v", err)
	}
	h, err := New(Config{}, &fakeIngester{}, nil, nil)
	if err != nil || h.Path() != DefaultPath {
		t.Errorf("defaults: %v %v", h, err)
	}
}
