package firehose

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/auth"
	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse/cloudwatch"
	"github.com/sluicelog/sluice/internal/pipeline"
)

// modalIngester succeeds or fails as the fuzz input says.
type modalIngester struct{ mode byte }

func (m *modalIngester) Ingest(_ context.Context, events []event.Event) error {
	for i := range events {
		_ = events[i].Marshal(nil) // touch every string
	}
	switch m.mode % 5 {
	case 1:
		return &pipeline.FullError{RetryAfter: time.Duration(m.mode) * time.Second}
	case 2:
		return pipeline.ErrClosed
	case 3:
		return errors.New("boom")
	case 4:
		return pipeline.ErrTooLarge
	}
	return nil
}

// documentedStatus lists every status the package documentation names.
var documentedStatus = map[int]bool{200: true, 400: true, 401: true, 403: true, 405: true, 408: true, 413: true, 415: true, 500: true, 503: true}

func FuzzHandler(f *testing.F) {
	lambda := readParseTestdata(f, "cwl-lambda.json")
	f.Add(readParseTestdata(f, "firehose-cwl.json"), awsRequestID, "k", streamARN, `{"commonAttributes":{"a":"b"}}`, "", byte(0), byte(0))
	f.Add(readParseTestdata(f, "firehose-aws-example.json"), awsRequestID, "k", "", "", "", byte(1), byte(0))
	f.Add(readTestdata(f, "firehose-lambda.json"), lambdaRequestID, "k", "arn:aws:firehose:x", "{}", "", byte(2), byte(0))
	f.Add(gz(requestBody("g", gz(lambda))), "g", "k", "", "", "gzip", byte(3), byte(0))
	f.Add(requestBody("g", gz(lambda)), "g", "bad", "", "", "", byte(4), byte(1))
	f.Add([]byte(`{"requestId":"x","records":[{"data":"!"}]}`), "", "k", "", `{"commonAttributes":1}`, "br", byte(0), byte(2))
	f.Fuzz(func(t *testing.T, body []byte, id, key, arn, attrs, encoding string, mode, method byte) {
		h, err := New(Config{
			Auth:         auth.NewFirehoseKeys("k", []string{"k"}, []string{"/aws/lambda/*", "vpc-flow-logs", ""}),
			MaxBodyBytes: 1 << 16,
			Limits:       cloudwatch.Limits{MaxRecords: 100, MaxDecompressedBytes: 1 << 16},
			Region:       "us-east-1",
		}, &modalIngester{mode: mode}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		methods := []string{http.MethodPost, http.MethodPost, http.MethodGet, http.MethodPut}
		r := httptest.NewRequest(methods[int(method)%len(methods)], "/firehose", bytes.NewReader(body))
		for k, v := range map[string]string{headerRequestID: id, "X-Amz-Firehose-Access-Key": key, headerSourceARN: arn, headerCommonAttributes: attrs, "Content-Encoding": encoding} {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if !documentedStatus[w.Code] {
			t.Fatalf("undocumented status %d: %q", w.Code, w.Body.String())
		}
		checkAnswer(t, w.Code, w.Header(), w.Body.Bytes())
	})
}
