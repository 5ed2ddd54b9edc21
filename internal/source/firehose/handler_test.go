package firehose

import (
	"bytes"
	"errors"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/sluicelog/sluice/internal/auth"
	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse/cloudwatch"
	"github.com/sluicelog/sluice/internal/pipeline"
	cwsource "github.com/sluicelog/sluice/internal/source/cloudwatch"
	"github.com/sluicelog/sluice/internal/source/logplex"
)

const (
	awsRequestID = "ed4acda5-034f-9f42-bba1-f29aea6d7d8f" // the specification's example
	streamARN    = "arn:aws:firehose:eu-west-1:123456789012:deliverystream/logs-to-sluice"
)

func keys() *auth.Set {
	return auth.NewFirehoseKeys("aws", []string{"old-key", "new-key"}, nil)
}

func field(e event.Event, key string) string {
	f, _ := e.Field(key)
	return f.Value
}

func metric(t *testing.T, c prometheus.Metric) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func TestFirehoseCWLExample(t *testing.T) {
	env := newEnv(t, Config{Auth: keys(), Region: "us-east-1"})
	hdr := headers(awsRequestID, "new-key")
	hdr.Set(headerSourceARN, streamARN)
	hdr.Set(headerCommonAttributes, `{"commonAttributes":{"env":"prod","team":"core"}}`)
	body := readParseTestdata(t, "firehose-cwl.json")
	before := time.Now().UnixMilli()
	a := env.post(t, http.MethodPost, body, hdr)
	if a.status != http.StatusOK || a.resp.RequestID != awsRequestID || a.resp.Timestamp < before {
		t.Fatalf("got %d %s", a.status, a.raw)
	}
	got := env.ing.events()
	if len(got) == 0 {
		t.Fatal("nothing stored")
	}
	groups := map[string]int{}
	var report *event.Event
	for i := range got {
		e := &got[i]
		groups[e.Group]++
		if e.Source != SourceName || e.ID == "" || e.Stream == "" {
			t.Fatalf("event %d: %+v", i, e)
		}
		if field(*e, FieldRegion) != "eu-west-1" || field(*e, FieldAccount) != "123456789012" ||
			field(*e, FieldStream) != "logs-to-sluice" || field(*e, "firehose.env") != "prod" ||
			field(*e, "firehose.team") != "core" || field(*e, "owner") == "" {
			t.Fatalf("event %d fields: %+v", i, e.Fields)
		}
		if strings.HasPrefix(e.Message, "REPORT ") {
			report = e
		}
	}
	if groups["CloudTrail"] == 0 || groups["vpc-flow-logs"] == 0 || groups["/aws/lambda/fn"] == 0 || groups[""] != 0 {
		t.Fatalf("groups %v", groups)
	}
	if report == nil || field(*report, "duration_ms") == "" || field(*report, "request_id") == "" {
		t.Fatalf("REPORT line not enriched: %+v", report)
	}
	if n := metric(t, env.h.m.control); n != 2 { // records[2], and one in records[4..6]
		t.Fatalf("control messages %v, want 2", n)
	}
	if n := metric(t, env.h.m.accepted); n != float64(len(got)) {
		t.Fatalf("accepted %v, stored %d", n, len(got))
	}
	if n := metric(t, env.h.m.records); n != 7 {
		t.Fatalf("records %v, want 7", n)
	}
}

func TestFirehoseOwnTestdata(t *testing.T) {
	env := newEnv(t, Config{Region: "us-east-1"})
	body := readTestdata(t, "firehose-lambda.json")
	hdr := headers(lambdaRequestID, "")
	hdr.Set("Content-Encoding", "gzip")
	a := env.post(t, http.MethodPost, gz(body), hdr)
	if a.status != http.StatusOK || a.resp.RequestID != lambdaRequestID {
		t.Fatalf("got %d %s", a.status, a.raw)
	}
	got := env.ing.events()
	lambda, vpc := 0, 0
	for _, e := range got {
		if field(e, FieldRegion) != "us-east-1" || field(e, FieldAccount) != "" {
			t.Fatalf("fields without ARN: %+v", e.Fields)
		}
		switch e.Group {
		case "/aws/lambda/fn":
			lambda++
		case "vpc-flow-logs":
			vpc++
			if field(e, "extracted.action") == "" {
				t.Fatalf("vpc event without extracted fields: %+v", e.Fields)
			}
		}
	}
	if lambda == 0 || lambda%2 != 0 || vpc != 2 {
		t.Fatalf("lambda %d vpc %d events", lambda, vpc)
	}
}

func TestFirehoseAuth(t *testing.T) {
	env := newEnv(t, Config{Auth: keys()})
	body := readTestdata(t, "firehose-lambda.json")
	for _, key := range []string{"", "wrong", "new-key-", "old-ke"} {
		a := env.post(t, http.MethodPost, body, headers(lambdaRequestID, key))
		if a.status != http.StatusUnauthorized || a.resp.RequestID != lambdaRequestID || !strings.Contains(a.resp.ErrorMessage, "X-Amz-Firehose-Access-Key") {
			t.Fatalf("key %q: %d %s", key, a.status, a.raw)
		}
		if a.header.Get("WWW-Authenticate") != "" {
			t.Fatalf("key %q: WWW-Authenticate %q", key, a.header.Get("WWW-Authenticate"))
		}
	}
	for i, key := range []string{"old-key", "new-key"} {
		id := lambdaRequestID + string(rune('a'+i))
		b := bytes.Replace(body, []byte(lambdaRequestID), []byte(id), 1)
		if a := env.post(t, http.MethodPost, b, headers(id, key)); a.status != http.StatusOK || a.resp.RequestID != id {
			t.Fatalf("key %q: %d %s", key, a.status, a.raw)
		}
	}
	if len(env.ing.events()) == 0 {
		t.Fatal("nothing stored")
	}
}

func TestFirehoseBadInput(t *testing.T) {
	lambda := readParseTestdata(t, "cwl-lambda.json")
	bomb := gz(make([]byte, 2<<20))
	recs := [][]byte{gz(lambda), gz(lambda), gz(lambda), gz(lambda)}
	badB64 := requestBody("req-b64", recs...)
	// Break records[3]'s base64.
	i := bytes.LastIndex(badB64, []byte(`{"data":"`)) + len(`{"data":"`)
	badB64 = append(badB64[:i:i], append([]byte("!!!!"), badB64[i:]...)...)
	tests := []struct {
		name   string
		cfg    Config
		id     string
		body   []byte
		hdr    map[string]string
		method string
		status int
		want   string
	}{
		{name: "malformed JSON", id: "req-json", body: []byte(`{"requestId":"req-json","records":[`), status: 400, want: "invalid JSON"},
		{name: "not an object", id: "req-arr", body: []byte(`[]`), status: 400, want: "want a JSON object"},
		{name: "empty body", id: "req-empty", body: nil, status: 400, want: "body is empty"},
		{name: "bad base64 in records[3]", id: "req-b64", body: badB64, status: 400, want: "records[3]"},
		{name: "not a CloudWatch document", id: awsRequestID, body: readParseTestdata(t, "firehose-aws-example.json"), status: 400, want: "records[0]"},
		{name: "bad document in records[1]", id: "req-doc", body: requestBody("req-doc", gz(lambda), gz([]byte(`{"messageType":"NOPE"}`))), status: 400, want: `records[1]: document 0: unknown messageType "NOPE"`},
		{name: "record gzip bomb", id: "req-bomb", cfg: Config{Limits: cloudwatch.Limits{MaxDecompressedBytes: 1 << 20}}, body: requestBody("req-bomb", gz(lambda), bomb), status: 400, want: "records[1]: decompressed data exceeds"},
		{name: "body gzip bomb", id: "req-gzbomb", cfg: Config{MaxBodyBytes: 1 << 20}, body: gz(append(requestBody("req-gzbomb", gz(lambda)), bytes.Repeat([]byte(" "), 2<<20)...)), hdr: map[string]string{"Content-Encoding": "gzip"}, status: 413, want: "decompressed request body is larger"},
		{name: "corrupt gzip body", id: "req-gzbad", body: []byte("\x1f\x8b\x08\x00garbage"), hdr: map[string]string{"Content-Encoding": "gzip"}, status: 400, want: "cannot decompress"},
		{name: "too many records", id: "req-many", cfg: Config{Limits: cloudwatch.Limits{MaxRecords: 3}}, body: requestBody("req-many", recs...), status: 400, want: "4 records, more than the limit of 3"},
		{name: "body too large", id: "req-large", cfg: Config{MaxBodyBytes: 1024}, body: requestBody("req-large", recs...), status: 413, want: "1024-byte limit"},
		{name: "wrong method", id: "req-get", method: http.MethodPut, body: nil, status: 405, want: "POST"},
		{name: "unsupported encoding", id: "req-br", body: requestBody("req-br"), hdr: map[string]string{"Content-Encoding": "br"}, status: 415, want: "Content-Encoding"},
		{name: "bad common attributes", id: "req-attr", body: requestBody("req-attr", gz(lambda)), hdr: map[string]string{headerCommonAttributes: `{"commonAttributes":[1]}`}, status: 400, want: headerCommonAttributes},
		{name: "request id mismatch", id: "req-x", body: requestBody("req-y", gz(lambda)), status: 400, want: `requestId "req-y"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, tc.cfg)
			hdr := headers(tc.id, "")
			for k, v := range tc.hdr {
				hdr.Set(k, v)
			}
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			a := env.post(t, method, tc.body, hdr)
			if a.status != tc.status || a.resp.RequestID != tc.id || !strings.Contains(a.resp.ErrorMessage, tc.want) {
				t.Fatalf("got %d %s; want %d with %q", a.status, a.raw, tc.status, tc.want)
			}
			if tc.status == 405 && a.header.Get("Allow") != "POST" {
				t.Fatalf("Allow %q", a.header.Get("Allow"))
			}
			if n := len(env.ing.events()); n != 0 {
				t.Fatalf("stored %d events", n)
			}
			if n := metric(t, env.h.m.requests.WithLabelValues(strconv.Itoa(tc.status))); n != 1 {
				t.Fatalf("requests{code=%d} = %v", tc.status, n)
			}
		})
	}
}

func TestFirehoseForbiddenGroup(t *testing.T) {
	env := newEnv(t, Config{Auth: auth.NewFirehoseKeys("lambda-only", []string{"k"}, []string{"/aws/lambda/*"})})
	a := env.post(t, http.MethodPost, readParseTestdata(t, "firehose-cwl.json"), headers(awsRequestID, "k"))
	if a.status != http.StatusForbidden || !strings.Contains(a.resp.ErrorMessage, `"CloudTrail"`) || a.resp.RequestID != awsRequestID {
		t.Fatalf("got %d %s", a.status, a.raw)
	}
	if n := len(env.ing.events()); n != 0 {
		t.Fatalf("stored %d events", n)
	}
	// Only Lambda groups (and a control message): allowed.
	lambda := readParseTestdata(t, "cwl-lambda.json")
	control := readParseTestdata(t, "cwl-control-message.json")
	if a := env.post(t, http.MethodPost, requestBody("ok", gz(lambda), gz(control)), headers("ok", "k")); a.status != http.StatusOK {
		t.Fatalf("got %d %s", a.status, a.raw)
	}
}

func TestFirehoseIngestErrors(t *testing.T) {
	lambda := readParseTestdata(t, "cwl-lambda.json")
	tests := []struct {
		err        error
		status     int
		retryAfter string
		want       string
	}{
		{&pipeline.FullError{RetryAfter: 2500 * time.Millisecond, Bytes: 10, MaxBytes: 10}, 503, "3", "write-ahead log is full"},
		{pipeline.ErrClosed, 503, "5", "shutting down"},
		{pipeline.ErrTooLarge, 413, "", "larger than the write-ahead log"},
		{errors.New("disk on fire"), 500, "", "internal error"},
	}
	for _, tc := range tests {
		env := newEnv(t, Config{})
		env.ing.setErr(tc.err)
		body := requestBody("req-1", gz(lambda))
		a := env.post(t, http.MethodPost, body, headers("req-1", ""))
		if a.status != tc.status || a.header.Get("Retry-After") != tc.retryAfter || !strings.Contains(a.resp.ErrorMessage, tc.want) || a.resp.RequestID != "req-1" {
			t.Fatalf("%v: got %d Retry-After %q %s", tc.err, a.status, a.header.Get("Retry-After"), a.raw)
		}
		if strings.Contains(a.resp.ErrorMessage, "disk on fire") {
			t.Fatalf("internal cause leaked: %s", a.raw)
		}
		// The retry (same request id) is stored once the log has room.
		env.ing.setErr(nil)
		if a := env.post(t, http.MethodPost, body, headers("req-1", "")); a.status != 200 {
			t.Fatalf("retry: %d %s", a.status, a.raw)
		}
		if len(env.ing.events()) == 0 {
			t.Fatal("retry not stored")
		}
	}
}

func TestFirehoseDuplicateRequest(t *testing.T) {
	env := newEnv(t, Config{})
	body := readTestdata(t, "firehose-lambda.json")
	for range 3 {
		if a := env.post(t, http.MethodPost, body, headers(lambdaRequestID, "")); a.status != http.StatusOK || a.resp.RequestID != lambdaRequestID {
			t.Fatalf("got %d %s", a.status, a.raw)
		}
	}
	stored := len(env.ing.events())
	if len(env.ing.batches) != 1 || stored == 0 {
		t.Fatalf("%d batches", len(env.ing.batches))
	}
	if n := metric(t, env.h.m.duplicates); n != float64(2*stored) {
		t.Fatalf("duplicates %v, want %d", n, 2*stored)
	}
	// The window ends: the same id is stored again.
	env.h.now = func() time.Time { return time.Now().Add(DefaultDedupeWindow + time.Minute) }
	if a := env.post(t, http.MethodPost, body, headers(lambdaRequestID, "")); a.status != http.StatusOK {
		t.Fatalf("got %d %s", a.status, a.raw)
	}
	if len(env.ing.batches) != 2 {
		t.Fatalf("%d batches after the window", len(env.ing.batches))
	}
}

func TestFirehoseControlMessageOnly(t *testing.T) {
	env := newEnv(t, Config{})
	control := readParseTestdata(t, "cwl-control-message.json")
	a := env.post(t, http.MethodPost, requestBody("ctl", gz(control)), headers("ctl", ""))
	if a.status != http.StatusOK || a.resp.RequestID != "ctl" || a.resp.ErrorMessage != "" {
		t.Fatalf("got %d %s", a.status, a.raw)
	}
	if len(env.ing.batches) != 0 {
		t.Fatalf("stored %v", env.ing.batches)
	}
	if n := metric(t, env.h.m.control); n != 1 {
		t.Fatalf("control %v", n)
	}
}

func TestFirehoseLongErrorMessage(t *testing.T) {
	env := newEnv(t, Config{Auth: auth.NewFirehoseKeys("k", []string{"k"}, []string{"/only"})})
	group := strings.Repeat("é", 6000)
	doc := `{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"` + group + `","logStream":"s","subscriptionFilters":[],"logEvents":[{"id":"1","timestamp":1,"message":"m"}]}`
	a := env.post(t, http.MethodPost, requestBody("long", []byte(doc)), headers("long", "k"))
	if a.status != http.StatusForbidden || len(a.resp.ErrorMessage) > maxErrorMessageBytes || !strings.HasPrefix(a.resp.ErrorMessage, "forbidden") {
		t.Fatalf("got %d, errorMessage of %d bytes", a.status, len(a.resp.ErrorMessage))
	}
}

func TestFirehoseMetricsShareRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := logplex.New(logplex.Config{}, &fakeIngester{}, reg, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{}, &fakeIngester{}, reg, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Path: "/firehose2"}, &fakeIngester{}, reg, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := cwsource.New(cwsource.Config{}, &fakeIngester{}, reg, nil); err != nil {
		t.Fatal(err)
	}
}

func TestFirehoseConfig(t *testing.T) {
	if _, err := New(Config{Auth: auth.NewBearer("b", []string{"t"}, nil)}, &fakeIngester{}, nil, nil); err == nil || !strings.HasPrefix(err.Error(), "cannot create firehose source: ") {
		t.Fatalf("bearer auth: %v", err)
	}
	if _, err := New(Config{}, nil, nil, nil); err == nil {
		t.Fatal("no ingester accepted")
	}
	h, err := New(Config{}, &fakeIngester{}, nil, nil)
	if err != nil || h.Path() != "/firehose" || h.cfg.MaxBodyBytes != 64<<20 || h.cfg.DedupeWindow != 10*time.Minute {
		t.Fatalf("defaults: %v %+v", err, h.cfg)
	}
}

func TestFirehoseCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed")
	}
	env := newEnv(t, Config{Auth: keys()})
	body := readTestdata(t, "firehose-lambda.json")
	cmd := exec.Command(curl, "-sS", "-i", "--data-binary", "@-",
		"-H", "Content-Type: application/json",
		"-H", "X-Amz-Firehose-Request-Id: "+lambdaRequestID,
		"-H", "X-Amz-Firehose-Access-Key: old-key",
		"-H", "X-Amz-Firehose-Source-Arn: "+streamARN,
		env.url)
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("curl: %v", err)
	}
	head, payload, ok := strings.Cut(strings.ReplaceAll(string(out), "\r\n", "\n"), "\n\n")
	if !ok || !strings.HasPrefix(head, "HTTP/1.1 200") || !strings.Contains(head, "Content-Type: application/json") ||
		!strings.Contains(head, "Content-Length: ") || !strings.HasPrefix(payload, `{"requestId":"`+lambdaRequestID+`","timestamp":`) {
		t.Fatalf("curl got:\n%s", out)
	}
	if len(env.ing.events()) == 0 {
		t.Fatal("nothing stored")
	}
}
