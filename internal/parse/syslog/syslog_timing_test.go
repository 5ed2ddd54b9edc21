package syslog

import (
	"io"
	"strings"
	"testing"
	"time"

	gosyslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/octetcounting"
	"github.com/leodido/go-syslog/v4/rfc3164"
	"github.com/leodido/go-syslog/v4/rfc5424"

	"github.com/sluicelog/sluice/internal/event"
)

const (
	benchHeroku = `<190>1 2024-05-01T12:00:00.123456+00:00 host app web.1 - Started GET "/"`
	benchSD     = `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] An application event log entry...`
	bench3164   = `<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8`
)

func benchParse5424(b *testing.B, line string) {
	var e event.Event
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		e.Reset()
		if err := Parse5424(line, &e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse5424Heroku(b *testing.B) { benchParse5424(b, benchHeroku) }
func BenchmarkParse5424WithSD(b *testing.B) { benchParse5424(b, benchSD) }

func BenchmarkParse3164(b *testing.B) {
	var e event.Event
	now := time.Now()
	b.ReportAllocs()
	b.SetBytes(int64(len(bench3164)))
	for b.Loop() {
		if err := Parse3164(bench3164, &e, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLogplexBody1000(b *testing.B) {
	body := herokuBody(1000)
	dst := make([]event.Event, 0, 1000)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		var res LogplexResult
		dst, res = ParseLogplex(body, dst[:0])
		if res.Frames != 1000 || res.Malformed != 0 {
			b.Fatalf("%+v", res)
		}
	}
}

func benchFramer(b *testing.B, in string, want int) {
	r := strings.NewReader(in)
	fr := NewFramer(r, FramerConfig{})
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		r.Reset(in)
		*fr = Framer{rd: r, max: fr.max, limit: fr.limit, buf: fr.buf}
		n := 0
		for {
			_, err := fr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != want {
			b.Fatalf("%d frames, want %d", n, want)
		}
	}
}

// BenchmarkFramer frames 1,000 octet-counted Heroku frames from a reader.
func BenchmarkFramer(b *testing.B) { benchFramer(b, herokuBody(1000), 1000) }

// BenchmarkFramerNonTransparent frames 1,000 LF-terminated lines.
func BenchmarkFramerNonTransparent(b *testing.B) {
	var sb strings.Builder
	for i := range 1000 {
		sb.WriteString(herokuLines[i%len(herokuLines)])
	}
	benchFramer(b, sb.String(), 1000)
}

// The same inputs through github.com/leodido/go-syslog/v4, for comparison.
// Its RFC 5424 parser loses the message of Heroku lines (see
// TestLeodidoLosesHerokuBody), so it does less work there than Parse5424.

func benchLeodido5424(b *testing.B, line string) {
	m := rfc5424.NewMachine(rfc5424.WithBestEffort())
	in := []byte(line)
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if msg, _ := m.Parse(in); msg == nil {
			b.Fatal("no message")
		}
	}
}

func BenchmarkLeodidoParse5424Heroku(b *testing.B) { benchLeodido5424(b, benchHeroku) }
func BenchmarkLeodidoParse5424WithSD(b *testing.B) { benchLeodido5424(b, benchSD) }

func BenchmarkLeodidoParse3164(b *testing.B) {
	m := rfc3164.NewMachine(rfc3164.WithBestEffort(), rfc3164.WithYear(rfc3164.CurrentYear{}))
	in := []byte(bench3164)
	b.ReportAllocs()
	b.SetBytes(int64(len(bench3164)))
	for b.Loop() {
		if _, err := m.Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLeodidoLogplexBody1000(b *testing.B) {
	body := herokuBody(1000)
	n := 0
	p := octetcounting.NewParser(gosyslog.WithBestEffort(), gosyslog.WithListener(func(*gosyslog.Result) { n++ }))
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		n = 0
		p.Parse(strings.NewReader(body))
		if n != 1000 {
			b.Fatalf("%d frames", n)
		}
	}
}
