package firehose

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/sluicelog/sluice/internal/event"
)

type nopIngester struct{}

func (nopIngester) Ingest(context.Context, []event.Event) error { return nil }

// discardWriter is a ResponseWriter that keeps nothing but the header map.
type discardWriter struct {
	hdr    http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.hdr }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// BenchmarkFirehose500Records measures one Firehose delivery of 500 gzip'd
// Lambda subscription documents (10 log events each: START, application
// lines in JSON and text, END, REPORT) through ServeHTTP: body read, JSON
// and base64 decoding, gunzip, document decoding, events, enrichment,
// de-duplication bookkeeping. Bytes are those of the decompressed
// documents.
func BenchmarkFirehose500Records(b *testing.B) {
	var docs [][]byte
	plain := 0
	for i := range 500 {
		doc := lambdaDocument(i)
		plain += len(doc)
		docs = append(docs, gz(doc))
	}
	h, err := New(Config{Auth: keys(), Region: "us-east-1"}, nopIngester{}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	body := requestBody("bench", docs...)
	req, err := http.NewRequest(http.MethodPost, "http://sluice.example/firehose", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header = headers("", "new-key")
	req.Header.Set(headerSourceARN, streamARN)
	req.ContentLength = int64(len(body))
	rd := bytes.NewReader(body)
	w := &discardWriter{hdr: http.Header{}}
	b.SetBytes(int64(plain))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		id := "bench-" + strconv.Itoa(i)
		req.Header[headerRequestID] = []string{id}
		rd.Reset(requestBodyWithID(body, id))
		req.Body = readCloser{rd}
		req.ContentLength = int64(rd.Len())
		clear(w.hdr)
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

// requestBodyWithID replaces the request id of a body made by requestBody.
func requestBodyWithID(body []byte, id string) []byte {
	end := bytes.Index(body, []byte(`","timestamp"`))
	out := make([]byte, 0, len(body)+len(id))
	out = append(out, `{"requestId":"`...)
	out = append(out, id...)
	return append(out, body[end:]...)
}

// lambdaDocument is a DATA_MESSAGE of a Lambda function's invocation.
func lambdaDocument(n int) []byte {
	type logEvent struct {
		ID        string `json:"id"`
		Timestamp int64  `json:"timestamp"`
		Message   string `json:"message"`
	}
	rid := fmt.Sprintf("8f507cfc-4c8b-4a1c-9d4e-%012d", n)
	msgs := []string{
		"START RequestId: " + rid + " Version: $LATEST\n",
		"2024-05-01T12:00:00.301Z\t" + rid + "\tINFO\tprocessing order 12345 for customer 987\n",
		`{"timestamp":"2024-05-01T12:00:00.302Z","level":"INFO","requestId":"` + rid + `","message":"fetched item","item":"sku-1","ms":12}` + "\n",
		"2024-05-01T12:00:00.303Z\t" + rid + "\tWARN\tretrying payment provider call, attempt 2\n",
		`{"timestamp":"2024-05-01T12:00:00.304Z","level":"DEBUG","requestId":"` + rid + `","message":"cache hit","key":"user:987"}` + "\n",
		"2024-05-01T12:00:00.305Z\t" + rid + "\tINFO\tpayment authorised amount=42.50 currency=EUR\n",
		"2024-05-01T12:00:00.306Z\t" + rid + "\tERROR\tfailed to publish event: timeout after 3000ms\n",
		"2024-05-01T12:00:00.307Z\t" + rid + "\tINFO\tdone\n",
		"END RequestId: " + rid + "\n",
		"REPORT RequestId: " + rid + "\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t\n",
	}
	evs := make([]logEvent, len(msgs))
	for i, m := range msgs {
		evs[i] = logEvent{ID: fmt.Sprintf("3823212347389238573747373737373363883737373737373737%04d", n*10+i), Timestamp: 1714564800300 + int64(i), Message: m}
	}
	doc, _ := json.Marshal(map[string]any{
		"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/aws/lambda/orders",
		"logStream":           "2024/05/01/[$LATEST]94fa867e5374431291a7fc14e2f56ae7",
		"subscriptionFilters": []string{"sluice"}, "logEvents": evs,
	})
	return doc
}
