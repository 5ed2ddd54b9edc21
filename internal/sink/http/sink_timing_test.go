package httpsink

import (
	"context"
	"testing"

	"github.com/sluicelog/sluice/internal/event"
)

// benchBatch is 1000 events cycling through testdata/events.ndjson.
func benchBatch(b *testing.B) []event.Event {
	b.Helper()
	base := loadEvents(b)
	batch := make([]event.Event, 1000)
	for i := range batch {
		batch[i] = base[i%len(base)]
	}
	return batch
}

func BenchmarkEncode(b *testing.B) {
	batch := benchBatch(b)
	for _, enc := range []Encoding{EncodingNDJSON, EncodingJSON, EncodingText} {
		b.Run(string(enc), func(b *testing.B) {
			en := encoder{enc: enc}
			en.line, _ = parseLine(SumoTemplate)
			var body, line []byte
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				body = en.begin(body[:0])
				for i := range batch {
					line = en.appendEvent(line[:0], &batch[i])
					body = en.add(body, line, i)
				}
				body = en.end(body)
				n++
			}
			b.SetBytes(int64(len(body)))
			b.ReportMetric(float64(n*len(batch))/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkWrite writes batches of 1000 events to a local endpoint that
// reads and discards the bodies.
func BenchmarkWrite(b *testing.B) {
	batch := benchBatch(b)
	f := func(name string, cfg Config) {
		b.Run(name, func(b *testing.B) {
			ep := newEndpoint(b, endpointOpts{discard: true})
			cfg.URL = ep.url()
			s := newSink(b, cfg)
			ctx := context.Background()
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if err := s.Write(ctx, batch); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(n*len(batch))/b.Elapsed().Seconds(), "events/s")
			st := s.Stats()
			b.ReportMetric(float64(st.Requests)/float64(n), "requests/op")
		})
	}
	f("ndjson", Config{})
	f("ndjson-gzip", Config{Gzip: true})
	f("json", Config{Encoding: EncodingJSON})
	f("text", Config{Encoding: EncodingText})
	sumo := Config{}
	if err := sumo.ApplyPreset(PresetSumoLogic); err != nil {
		b.Fatal(err)
	}
	f("sumologic", sumo)
	// One request per header group: heroku/shop×2, blog, lambda, db, ingest.
	f("sumologic-one-group", func() Config {
		c := sumo
		c.Headers = map[string]string{"X-Sumo-Category": "heroku/shop"}
		return c
	}())
}
