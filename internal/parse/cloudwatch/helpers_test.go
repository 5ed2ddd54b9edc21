package cloudwatch

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// gz gzips each part as its own gzip member and concatenates the members.
func gz(t testing.TB, parts ...string) []byte {
	t.Helper()
	var out bytes.Buffer
	for _, p := range parts {
		w, err := gzip.NewWriterLevel(&out, 6) // CloudWatch Logs uses level 6
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out.Bytes()
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// firehoseBody builds a Firehose HTTP endpoint request body whose records
// carry the given data.
func firehoseBody(requestID string, ts int64, records ...[]byte) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"requestId":%q,"timestamp":%d,"records":[`, requestID, ts)
	for i, r := range records {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"data":%q}`, b64(r))
	}
	b.WriteString("]}")
	return []byte(b.String())
}

// lambdaEvent builds {"awslogs":{"data":...}} for the given record data.
func lambdaEvent(data []byte) string {
	return `{"awslogs":{"data":"` + b64(data) + `"}}`
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// lambdaDoc returns a realistic DATA_MESSAGE from a Lambda function's log
// group: invocations of START, application lines (plain and JSON), END and
// REPORT, n events in all.
func lambdaDoc(r *rand.Rand, n int, ts int64) Document {
	d := Document{
		MessageType:         DataMessage,
		Owner:               "123456789012",
		LogGroup:            "/aws/lambda/orders-api",
		LogStream:           fmt.Sprintf("2024/05/01/[$LATEST]%032x", r.Uint64()),
		SubscriptionFilters: []string{"sluice-firehose"},
	}
	id := func() string { return fmt.Sprintf("%056d", r.Uint64()) }
	var reqID string
	for len(d.LogEvents) < n {
		ts += int64(r.IntN(50))
		var msg string
		switch {
		case reqID == "":
			reqID = fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint64()&0xffffffffffff)
			msg = "START RequestId: " + reqID + " Version: $LATEST\n"
		case r.IntN(8) == 0:
			d.LogEvents = append(d.LogEvents, LogEvent{ID: id(), Timestamp: ts, Message: "END RequestId: " + reqID + "\n"})
			ts++
			msg = fmt.Sprintf("REPORT RequestId: %s\tDuration: %d.%02d ms\tBilled Duration: %d ms\tMemory Size: 128 MB\tMax Memory Used: %d MB\tInit Duration: 170.12 ms\t\n",
				reqID, r.IntN(900), r.IntN(100), r.IntN(900)+1, 60+r.IntN(30))
			reqID = ""
		case r.IntN(2) == 0:
			msg = fmt.Sprintf("2024-05-01T12:00:%02d.%03dZ\t%s\tINFO\tProcessing order %d for customer c-%d (%d items, total %d.%02d EUR)\n",
				r.IntN(60), r.IntN(1000), reqID, r.IntN(100000), r.IntN(10000), r.IntN(9)+1, r.IntN(500), r.IntN(100))
		default:
			msg = fmt.Sprintf(`{"level":"info","ts":"2024-05-01T12:00:%02d.%03dZ","msg":"request handled","method":"GET","path":"/api/orders/%d","status":200,"duration_ms":%d.%d,"request_id":"%s","user_agent":"Mozilla/5.0 (X11; Linux x86_64)"}`+"\n",
				r.IntN(60), r.IntN(1000), r.IntN(100000), r.IntN(300), r.IntN(10), reqID)
		}
		d.LogEvents = append(d.LogEvents, LogEvent{ID: id(), Timestamp: ts, Message: msg})
	}
	return d
}

// firehoseBench returns a Firehose body with n records, each a gzip'd
// Lambda DATA_MESSAGE of 10-50 events, and the decompressed JSON size.
func firehoseBench(t testing.TB, n int) (body []byte, jsonBytes int) {
	r := rand.New(rand.NewPCG(1, 2))
	records := make([][]byte, n)
	for i := range records {
		doc := mustJSON(t, lambdaDoc(r, 10+r.IntN(41), 1714564800000+int64(i)*1000))
		jsonBytes += len(doc)
		records[i] = gz(t, doc)
	}
	return firehoseBody("ed4acda5-034f-9f42-bba1-f29aea6d7d8f", 1714564900000, records...), jsonBytes
}
