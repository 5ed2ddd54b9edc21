package cloudwatch

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

type modalIngester struct{ mode byte }

func (m *modalIngester) Ingest(_ context.Context, events []event.Event) error {
	for i := range events {
		_ = events[i].Marshal(nil)
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

var documentedStatus = map[int]bool{200: true, 400: true, 401: true, 403: true, 405: true, 408: true, 413: true, 415: true, 500: true, 503: true}

func FuzzHandler(f *testing.F) {
	f.Add(readParseTestdata(f, "lambda-event.json"), "Bearer t", "", byte(0), byte(0))
	f.Add(readParseTestdata(f, "lambda-batch.json"), "Bearer t", "", byte(1), byte(0))
	f.Add(gz(readParseTestdata(f, "lambda-batch.json")), "Bearer t", "gzip", byte(2), byte(0))
	f.Add([]byte(`[{"awslogs":{"data":"!"}}]`), "Bearer x", "br", byte(3), byte(1))
	f.Fuzz(func(t *testing.T, body []byte, authz, encoding string, mode, method byte) {
		h, err := New(Config{
			Auth:         auth.NewBearer("b", []string{"t"}, []string{"/aws/lambda/*", "vpc-*"}),
			MaxBodyBytes: 1 << 16,
			Limits:       cloudwatch.Limits{MaxRecords: 100, MaxDecompressedBytes: 1 << 16},
			Region:       "us-east-1",
		}, &modalIngester{mode: mode}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		methods := []string{http.MethodPost, http.MethodPost, http.MethodGet, http.MethodDelete}
		r := httptest.NewRequest(methods[int(method)%len(methods)], "/cloudwatch", bytes.NewReader(body))
		r.Header.Set("Authorization", authz)
		if encoding != "" {
			r.Header.Set("Content-Encoding", encoding)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if !documentedStatus[w.Code] {
			t.Fatalf("undocumented status %d: %q", w.Code, w.Body.String())
		}
		checkAnswer(t, w.Code, w.Header(), w.Body.Bytes())
	})
}
