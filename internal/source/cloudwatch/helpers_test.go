package cloudwatch

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"

	"github.com/sluicelog/sluice/internal/event"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var update = flag.Bool("update", false, "rewrite the generated files in testdata")

type fakeIngester struct {
	mu      sync.Mutex
	batches [][]event.Event
	err     error
}

func (f *fakeIngester) Ingest(_ context.Context, events []event.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	batch := make([]event.Event, len(events))
	for i := range events {
		batch[i] = events[i].Clone()
	}
	f.batches = append(f.batches, batch)
	return nil
}

func (f *fakeIngester) setErr(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

func (f *fakeIngester) events() []event.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []event.Event
	for _, b := range f.batches {
		all = append(all, b...)
	}
	return all
}

type testEnv struct {
	srv *httptest.Server
	h   *Handler
	ing *fakeIngester
	url string
}

func newEnv(t *testing.T, cfg Config) *testEnv {
	t.Helper()
	env := &testEnv{ing: &fakeIngester{}}
	h, err := New(cfg, env.ing, prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	env.h = h
	env.srv = httptest.NewServer(h)
	env.url = env.srv.URL + h.Path()
	t.Cleanup(env.srv.Close)
	return env
}

type answer struct {
	status     int
	header     http.Header
	raw        string
	accepted   int
	duplicates int
	err        string
}

func (env *testEnv) post(t *testing.T, method string, body []byte, hdr map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, env.url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := env.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return checkAnswer(t, res.StatusCode, res.Header, raw)
}

// checkAnswer checks the form of an answer: JSON with Content-Length,
// {"accepted","duplicates"} on 200 and {"error"} otherwise.
func checkAnswer(t testing.TB, status int, hdr http.Header, raw []byte) answer {
	t.Helper()
	if ct := hdr.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("status %d: Content-Type %q", status, ct)
	}
	if cl := hdr.Get("Content-Length"); cl != strconv.Itoa(len(raw)) {
		t.Fatalf("status %d: Content-Length %q for %d bytes", status, cl, len(raw))
	}
	var v struct {
		Accepted   *int    `json:"accepted"`
		Duplicates *int    `json:"duplicates"`
		Error      *string `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("status %d: body %q: %v", status, raw, err)
	}
	a := answer{status: status, header: hdr, raw: string(raw)}
	if status == http.StatusOK {
		if v.Accepted == nil || v.Duplicates == nil || v.Error != nil {
			t.Fatalf("200 body %s", raw)
		}
		a.accepted, a.duplicates = *v.Accepted, *v.Duplicates
	} else {
		if v.Error == nil || *v.Error == "" || v.Accepted != nil {
			t.Fatalf("%d body %s", status, raw)
		}
		a.err = *v.Error
	}
	return a
}

func readParseTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "parse", "cloudwatch", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(b)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

// lambdaEvent is the event CloudWatch Logs invokes Lambda with for data.
func lambdaEvent(data []byte) string {
	return `{"awslogs":{"data":"` + base64.StdEncoding.EncodeToString(data) + `"}}`
}

func batch(elems ...string) []byte {
	return []byte("[" + strings.Join(elems, ",") + "]")
}

func metric(t *testing.T, c prometheus.Metric) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func TestGenerateTestdata(t *testing.T) {
	want := append(batch(
		lambdaEvent(gz(readParseTestdata(t, "cwl-lambda.json"))),
		lambdaEvent(gz(readParseTestdata(t, "cwl-vpc-flow-extracted.json"))),
		lambdaEvent(gz(readParseTestdata(t, "cwl-control-message.json"))),
	), '\n')
	path := filepath.Join("testdata", "forwarder-batch.json")
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.HasPrefix(got, []byte(`[{"awslogs":{"data":"H4sI`)) {
		t.Fatalf("testdata/forwarder-batch.json is stale (%v); run with -update", err)
	}
}
