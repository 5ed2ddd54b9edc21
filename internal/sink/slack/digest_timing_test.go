package slack

import (
	"strconv"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

// window1000 is a 1000-event window built from the incident: its events
// repeated over ten seconds, one in three with a varying message (request
// ids differ in real life).
func window1000(b *testing.B) []event.Event {
	src := loadEvents(b, "incident.ndjson")
	batch := make([]event.Event, 1000)
	for i := range batch {
		e := src[i%len(src)]
		e.Time = e.Time.Add(time.Duration(i) * 10 * time.Millisecond)
		if i%3 == 0 {
			e.Message += " request_id=" + strconv.Itoa(i)
		}
		batch[i] = e
	}
	return batch
}

func BenchmarkDigests(b *testing.B) {
	batch := window1000(b)
	f, err := newFormatter(Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = f.digests(batch)
	}
}

// BenchmarkWritePrep is what Write does before posting: digests, payloads
// and the batch fingerprint.
func BenchmarkWritePrep(b *testing.B) {
	batch := window1000(b)
	s, err := newSink(Config{WebhookURL: "https://hooks.slack.com" + secretPath}, nil, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range s.fmt.digests(batch) {
			if _, err := d.msg.Payload(); err != nil {
				b.Fatal(err)
			}
		}
		_ = s.fingerprint(batch)
	}
}
