package cloudwatch

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

func BenchmarkFirehose500Records(b *testing.B) {
	body, n := firehoseBench(b, 500)
	b.Logf("body %d bytes, decompressed JSON %d bytes", len(body), n)
	dec := NewDecoder(DefaultLimits())
	var docs []Document
	var events []event.Event
	now := time.Now()
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		req, err := dec.DecodeFirehoseRequest(body)
		if err != nil {
			b.Fatal(err)
		}
		docs, err = dec.DecodeRecords(req.Records, docs[:0])
		if err != nil {
			b.Fatal(err)
		}
		events = events[:0]
		for i := range docs {
			events = docs[i].AppendEvents(events, now)
		}
	}
}

func BenchmarkLambdaEvent(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	doc := mustJSON(b, lambdaDoc(r, 30, 1714564800000))
	body := []byte(lambdaEvent(gz(b, doc)))
	dec := NewDecoder(DefaultLimits())
	var docs []Document
	var events []event.Event
	now := time.Now()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		docs, err = dec.DecodeLambdaEvent(body, docs[:0])
		if err != nil {
			b.Fatal(err)
		}
		events = events[:0]
		for i := range docs {
			events = docs[i].AppendEvents(events, now)
		}
	}
}
