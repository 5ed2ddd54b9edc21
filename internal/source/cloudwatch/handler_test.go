package cloudwatch

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/auth"
	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse/cloudwatch"
	"github.com/sluicelog/sluice/internal/pipeline"
)

func tokens() *auth.Set { return auth.NewBearer("fwd", []string{"tok-1", "tok-2"}, nil) }

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

func forwarderBatch(t *testing.T) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", "forwarder-batch.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func field(e event.Event, key string) string {
	f, _ := e.Field(key)
	return f.Value
}

func TestCloudWatchLambdaEvent(t *testing.T) {
	env := newEnv(t, Config{Auth: tokens(), Region: "eu-central-1"})
	// The single event of the parse package's testdata, as Lambda gets it.
	a := env.post(t, http.MethodPost, readParseTestdata(t, "lambda-event.json"), bearer("tok-2"))
	if a.status != http.StatusOK || a.accepted == 0 || a.duplicates != 0 {
		t.Fatalf("got %d %s", a.status, a.raw)
	}
	got := env.ing.events()
	if len(got) != a.accepted {
		t.Fatalf("stored %d, answered %d", len(got), a.accepted)
	}
	report := false
	for _, e := range got {
		if e.Source != SourceName || e.Group != "/aws/lambda/fn" || e.ID == "" || field(e, FieldRegion) != "eu-central-1" || field(e, "owner") != "123456789012" {
			t.Fatalf("event %+v", e)
		}
		report = report || field(e, "duration_ms") != ""
	}
	if !report {
		t.Fatal("REPORT line not enriched")
	}
}

func TestCloudWatchBatchAndDuplicates(t *testing.T) {
	env := newEnv(t, Config{})
	body := forwarderBatch(t)
	a := env.post(t, http.MethodPost, body, nil)
	if a.status != http.StatusOK || a.accepted == 0 || a.duplicates != 0 {
		t.Fatalf("got %d %s", a.status, a.raw)
	}
	first := a.accepted
	if n := metric(t, env.h.m.control); n != 1 {
		t.Fatalf("control %v", n)
	}
	// The forwarder retries: nothing is stored twice.
	a = env.post(t, http.MethodPost, gz(body), map[string]string{"Content-Encoding": "gzip"})
	if a.status != http.StatusOK || a.accepted != 0 || a.duplicates != first {
		t.Fatalf("retry: %d %s", a.status, a.raw)
	}
	if n := len(env.ing.events()); n != first {
		t.Fatalf("stored %d, want %d", n, first)
	}
	// A request repeating part of the events stores only the new ones.
	vpc := lambdaEvent(gz(readParseTestdata(t, "cwl-vpc-flow-extracted.json")))
	doc := `{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"s","subscriptionFilters":[],"logEvents":[{"id":"new-1","timestamp":1,"message":"m"},{"id":"new-1","timestamp":1,"message":"m"}]}`
	a = env.post(t, http.MethodPost, batch(vpc, lambdaEvent(gz([]byte(doc)))), nil)
	if a.status != http.StatusOK || a.accepted != 1 || a.duplicates != 3 {
		t.Fatalf("partial: %d %s", a.status, a.raw)
	}
}

func TestCloudWatchAuth(t *testing.T) {
	env := newEnv(t, Config{Auth: tokens()})
	body := readParseTestdata(t, "lambda-event.json")
	for _, hdr := range []map[string]string{nil, bearer("nope"), bearer(""), {"Authorization": "Basic dG9rLTE6"}} {
		a := env.post(t, http.MethodPost, body, hdr)
		if a.status != http.StatusUnauthorized || a.header.Get("WWW-Authenticate") != `Bearer realm="sluice"` || !strings.Contains(a.err, "bearer token") {
			t.Fatalf("%v: %d %v %s", hdr, a.status, a.header, a.raw)
		}
	}
	if n := len(env.ing.events()); n != 0 {
		t.Fatalf("stored %d", n)
	}
}

func TestCloudWatchBadInput(t *testing.T) {
	lambda := lambdaEvent(gz(readParseTestdata(t, "cwl-lambda.json")))
	tests := []struct {
		name   string
		cfg    Config
		body   []byte
		hdr    map[string]string
		method string
		status int
		want   string
	}{
		{name: "malformed JSON", body: []byte(`{"awslogs":`), status: 400, want: "invalid JSON"},
		{name: "bad base64 in element 3", body: batch(lambda, lambda, lambda, `{"awslogs":{"data":"!!!!"}}`), status: 400, want: "element 3: awslogs.data is not valid base64"},
		{name: "not gzip", body: []byte(lambdaEvent([]byte(`{"messageType":"DATA_MESSAGE"}`))), status: 400, want: "not gzip"},
		{name: "gzip bomb", cfg: Config{Limits: cloudwatch.Limits{MaxDecompressedBytes: 1 << 20}}, body: batch(lambda, lambdaEvent(gz(make([]byte, 2<<20)))), status: 400, want: "element 1: decompressed data exceeds"},
		{name: "body gzip bomb", cfg: Config{MaxBodyBytes: 1 << 20}, body: gz(append([]byte(lambda), bytes.Repeat([]byte(" "), 2<<20)...)), hdr: map[string]string{"Content-Encoding": "gzip"}, status: 413, want: "decompressed request body"},
		{name: "too many elements", cfg: Config{Limits: cloudwatch.Limits{MaxRecords: 2}}, body: batch(lambda, lambda, lambda), status: 400, want: "3 elements, more than the limit of 2"},
		{name: "body too large", cfg: Config{MaxBodyBytes: 100}, body: []byte(lambda), status: 413, want: "100-byte limit"},
		{name: "wrong method", method: http.MethodGet, status: 405, want: "POST"},
		{name: "unsupported encoding", body: []byte(lambda), hdr: map[string]string{"Content-Encoding": "zstd"}, status: 415, want: "Content-Encoding"},
		{name: "forbidden group", cfg: Config{Auth: auth.NewBearer("vpc", []string{"t"}, []string{"vpc-*"})}, body: forwarderBatch(t), hdr: bearer("t"), status: 403, want: `"/aws/lambda/fn"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, tc.cfg)
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			a := env.post(t, method, tc.body, tc.hdr)
			if a.status != tc.status || !strings.Contains(a.err, tc.want) {
				t.Fatalf("got %d %s; want %d with %q", a.status, a.raw, tc.status, tc.want)
			}
			if n := len(env.ing.events()); n != 0 {
				t.Fatalf("stored %d", n)
			}
		})
	}
}

func TestCloudWatchIngestErrors(t *testing.T) {
	body := readParseTestdata(t, "lambda-event.json")
	tests := []struct {
		err        error
		status     int
		retryAfter string
	}{
		{&pipeline.FullError{RetryAfter: time.Second}, 503, "1"},
		{pipeline.ErrClosed, 503, "5"},
		{pipeline.ErrTooLarge, 413, ""},
		{errors.New("boom"), 500, ""},
	}
	for _, tc := range tests {
		env := newEnv(t, Config{})
		env.ing.setErr(tc.err)
		a := env.post(t, http.MethodPost, body, nil)
		if a.status != tc.status || a.header.Get("Retry-After") != tc.retryAfter {
			t.Fatalf("%v: %d %q %s", tc.err, a.status, a.header.Get("Retry-After"), a.raw)
		}
		// Nothing is remembered: the retry is stored.
		env.ing.setErr(nil)
		if a := env.post(t, http.MethodPost, body, nil); a.status != 200 || a.accepted == 0 || a.duplicates != 0 {
			t.Fatalf("retry: %d %s", a.status, a.raw)
		}
	}
}

func TestCloudWatchConcurrentRetries(t *testing.T) {
	h, err := New(Config{}, &fakeIngester{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	body := forwarderBatch(t)
	done := make(chan *httptest.ResponseRecorder, 8)
	for range 8 {
		go func() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/cloudwatch", bytes.NewReader(body)))
			done <- w
		}()
	}
	sum := 0
	for range 8 {
		w := <-done
		sum += checkAnswer(t, w.Code, w.Header(), w.Body.Bytes()).accepted
	}
	if n := len(h.ing.(*fakeIngester).events()); n != sum || n == 0 {
		t.Fatalf("stored %d, answered %d", n, sum)
	}
}

func TestCloudWatchConfig(t *testing.T) {
	if _, err := New(Config{Auth: auth.NewFirehoseKeys("k", []string{"k"}, nil)}, &fakeIngester{}, nil, nil); err == nil || !strings.HasPrefix(err.Error(), "cannot create cloudwatch source: ") {
		t.Fatalf("firehose keys: %v", err)
	}
	h, err := New(Config{}, &fakeIngester{}, nil, nil)
	if err != nil || h.Path() != "/cloudwatch" || h.cfg.MaxBodyBytes != 16<<20 || h.cfg.DedupeWindow != 10*time.Minute {
		t.Fatalf("defaults: %v %+v", err, h.cfg)
	}
}

func TestCloudWatchCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed")
	}
	env := newEnv(t, Config{Auth: tokens()})
	cmd := exec.Command(curl, "-sS", "-i", "--data-binary", "@-", "-H", "Content-Type: application/json", "-H", "Authorization: Bearer tok-1", env.url)
	cmd.Stdin = bytes.NewReader(forwarderBatch(t))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("curl: %v", err)
	}
	head, payload, _ := strings.Cut(strings.ReplaceAll(string(out), "\r\n", "\n"), "\n\n")
	if !strings.HasPrefix(head, "HTTP/1.1 200") || !strings.Contains(head, "Content-Length: ") || !strings.HasPrefix(payload, `{"accepted":`) || !strings.HasSuffix(payload, `,"duplicates":0}`) {
		t.Fatalf("curl got:\n%s", out)
	}
}
