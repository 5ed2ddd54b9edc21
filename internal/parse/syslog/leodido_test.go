package syslog

import (
	"strings"
	"testing"

	gosyslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/octetcounting"
	"github.com/leodido/go-syslog/v4/rfc5424"

	"github.com/sluicelog/sluice/internal/event"
)

// TestLeodidoLosesHerokuBody proves the claim in DESIGN.md: go-syslog's RFC
// 5424 parser, even in best-effort mode, drops the message of every Heroku
// frame (no STRUCTURED-DATA), where Parse5424 keeps it.
func TestLeodidoLosesHerokuBody(t *testing.T) {
	p := rfc5424.NewParser(rfc5424.WithBestEffort())
	for _, line := range herokuLines {
		line = strings.TrimSuffix(line, "\n")
		m, err := p.Parse([]byte(line))
		if err == nil {
			t.Fatalf("go-syslog parsed %q without error; the comparison is stale", line)
		}
		msg := m.(*rfc5424.SyslogMessage)
		if msg.Message != nil {
			t.Fatalf("go-syslog kept the message of %q: %q; the comparison is stale", line, *msg.Message)
		}
		if msg.ProcID == nil || msg.Hostname == nil {
			t.Fatalf("go-syslog did not even keep the header of %q", line)
		}

		var e event.Event
		if err := Parse5424(line, &e); err != nil {
			t.Fatal(err)
		}
		if e.Message == "" || !strings.HasSuffix(line, e.Message) {
			t.Fatalf("Parse5424 lost the message of %q: %q", line, e.Message)
		}
	}

	// The same through its octet-counting parser on a Logplex body.
	var results []*gosyslog.Result
	octetcounting.NewParser(
		gosyslog.WithBestEffort(),
		gosyslog.WithListener(func(r *gosyslog.Result) { results = append(results, r) }),
	).Parse(strings.NewReader(herokuBody(len(herokuLines))))
	if len(results) != len(herokuLines) {
		t.Fatalf("go-syslog found %d frames, want %d", len(results), len(herokuLines))
	}
	for i, r := range results {
		if m, ok := r.Message.(*rfc5424.SyslogMessage); !ok || m.Message != nil {
			t.Fatalf("go-syslog octet counting, frame %d: message %+v, error %v; want a lost message", i, r.Message, r.Error)
		}
	}
	evs, res := ParseLogplex(herokuBody(len(herokuLines)), nil)
	if res.Frames != len(herokuLines) || res.Malformed != 0 {
		t.Fatalf("ParseLogplex: %+v", res)
	}
	for i, e := range evs {
		if want := strings.TrimSuffix(herokuLines[i][strings.Index(herokuLines[i], " - ")+3:], "\n"); e.Message != want {
			t.Fatalf("ParseLogplex event %d: message %q, want %q", i, e.Message, want)
		}
	}
}
