package parse

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sluicelog/sluice/internal/event"
)

// FuzzRead runs arbitrary input through every format: Read must never
// panic, every emitted event must encode to valid JSON and survive the
// binary round trip.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"heroku-drain.logplex", "firehose-request.json", "cloudwatch-event.json"} {
		if b, err := os.ReadFile("../../examples/" + name); err == nil {
			f.Add(b, uint8(0))
		}
	}
	f.Add([]byte("<34>Oct 11 22:14:15 mymachine su: 'su root' failed\n"), uint8(2))
	f.Add([]byte(`{"level":"error","msg":"x"}`), uint8(7))
	f.Fuzz(func(t *testing.T, in []byte, format uint8) {
		rd := Reader{Format: Formats[int(format)%len(Formats)], Now: func() time.Time { return fixedNow }, MaxBodyBytes: 1 << 20}
		var buf []byte
		_, _ = rd.Read(bytes.NewReader(in), func(e *event.Event) error {
			if !e.Severity.Valid() {
				t.Fatalf("severity %d out of range", e.Severity)
			}
			buf = e.AppendJSON(buf[:0])
			if !json.Valid(buf) || !utf8.Valid(buf) {
				t.Fatalf("invalid JSON: %s", buf)
			}
			bin := e.Marshal(nil)
			var back event.Event
			if err := back.Unmarshal(bin); err != nil {
				t.Fatalf("binary round trip: %v", err)
			}
			if again := back.AppendJSON(nil); !bytes.Equal(again, buf) {
				t.Fatalf("binary round trip changed the event:\n%s\n%s", buf, again)
			}
			return nil
		})
	})
}
