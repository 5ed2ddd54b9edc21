package elasticsearch

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/sink/tmpl"
)

func TestAppendItem(t *testing.T) {
	now := time.Date(2026, 3, 7, 4, 5, 6, 0, time.UTC)
	f := func(action, index, id string, e event.Event, want string) {
		t.Helper()
		got := string(appendItem(nil, action, []byte(index), id, eventTime(&e, now), &e))
		if got != want {
			t.Errorf("appendItem\n got %s\nwant %s", got, want)
		}
		// The document is the event's JSON form with @timestamp first.
		_, doc, _ := strings.Cut(strings.TrimSuffix(got, "\n"), "\n")
		if !json.Valid([]byte(doc)) {
			t.Errorf("document is not JSON: %s", doc)
		}
		if _, rest, _ := strings.Cut(doc, `Z",`); "{"+rest != string(e.AppendJSON(nil)) {
			t.Errorf("document without @timestamp is not AppendJSON:\n%s", doc)
		}
	}
	t0 := time.Date(2024, 3, 5, 6, 7, 8, 123456789, time.FixedZone("CET", 3600))
	f(actionIndex, "sluice-2024.03.05", "1700000000-0", event.Event{Time: t0, Severity: event.Info, App: "web", Message: "hi"},
		`{"index":{"_index":"sluice-2024.03.05","_id":"1700000000-0"}}`+"\n"+
			`{"@timestamp":"2024-03-05T05:07:08.123456789Z","time":"2024-03-05T05:07:08.123456789Z","severity":6,"severity_name":"info","app":"web","message":"hi"}`+"\n")
	f(actionCreate, "logs-sluice-default", "a\"b", event.Event{Time: t0, Severity: event.Error, Message: "x", ID: "a\"b"},
		`{"create":{"_index":"logs-sluice-default","_id":"a\"b"}}`+"\n"+
			`{"@timestamp":"2024-03-05T05:07:08.123456789Z","time":"2024-03-05T05:07:08.123456789Z","severity":3,"severity_name":"error","message":"x","id":"a\"b"}`+"\n")
	// No ID: the destination chooses one.
	f(actionIndex, "i", "", event.Event{Time: t0, Message: "m"},
		`{"index":{"_index":"i"}}`+"\n"+
			`{"@timestamp":"2024-03-05T05:07:08.123456789Z","time":"2024-03-05T05:07:08.123456789Z","severity":0,"severity_name":"emerg","message":"m"}`+"\n")
	// No Time: Received is the @timestamp; neither: now.
	f(actionIndex, "i", "", event.Event{Received: t0, Severity: event.Debug},
		`{"index":{"_index":"i"}}`+"\n"+
			`{"@timestamp":"2024-03-05T05:07:08.123456789Z","received":"2024-03-05T05:07:08.123456789Z","severity":7,"severity_name":"debug"}`+"\n")
	f(actionIndex, "i", "", event.Event{Severity: event.Notice},
		`{"index":{"_index":"i"}}`+"\n"+
			`{"@timestamp":"2026-03-07T04:05:06.000000000Z","severity":5,"severity_name":"notice"}`+"\n")
	// Messages with newlines and fields stay one line each.
	f(actionIndex, "i", "x", event.Event{Time: t0, Message: "a\nb\r\n", Fields: []event.Field{{Key: "n", Value: "1", Type: event.Number}, {Key: "o", Value: `{"k": [1, 2]}`, Type: event.JSON}}},
		`{"index":{"_index":"i","_id":"x"}}`+"\n"+
			`{"@timestamp":"2024-03-05T05:07:08.123456789Z","time":"2024-03-05T05:07:08.123456789Z","severity":0,"severity_name":"emerg","message":"a\nb\r\n","fields":{"n":1,"o":{"k":[1,2]}}}`+"\n")
	// An id longer than 512 bytes is replaced by its hash.
	long := strings.Repeat("x", 513)
	f(actionIndex, "i", long, event.Event{Time: t0},
		`{"index":{"_index":"i","_id":"sha256:`+"35ade0090e64e74d6ad04204009c23a4e34b82bdf0f4f317fbcc5f26f9b10241"+`"}}`+"\n"+
			`{"@timestamp":"2024-03-05T05:07:08.123456789Z","time":"2024-03-05T05:07:08.123456789Z","severity":0,"severity_name":"emerg"}`+"\n")
	f(actionIndex, "i", strings.Repeat("y", 512), event.Event{Time: t0},
		`{"index":{"_index":"i","_id":"`+strings.Repeat("y", 512)+`"}}`+"\n"+
			`{"@timestamp":"2024-03-05T05:07:08.123456789Z","time":"2024-03-05T05:07:08.123456789Z","severity":0,"severity_name":"emerg"}`+"\n")
}

func TestIndexName(t *testing.T) {
	e := event.Event{
		Time: time.Date(2026, 3, 7, 23, 30, 0, 0, time.FixedZone("x", -3600)), App: "Web App", Host: "h/1", Group: "heroku/Example",
		Stream: "web.1", Fields: []event.Field{{Key: "tenant", Value: "ÄCME \"corp\"\x01"}, {Key: "dash", Value: "-x"}},
	}
	f := func(template, want, problem string) {
		t.Helper()
		n := newIndexNamer(tmpl.MustParse(template))
		got, p := n.name([]byte("prefix:"), &e)
		if p != problem {
			t.Errorf("%q: problem %q, want %q", template, p, problem)
		}
		if problem == "" && string(got) != "prefix:"+want {
			t.Errorf("%q: name %q, want %q", template, got, want)
		}
	}
	f("sluice-%Y.%m.%d", "sluice-2026.03.08", "") // UTC
	f("logs-{app}-%Y.%m", "logs-web_app-2026.03", "")
	f("logs-{group}", "logs-heroku_example", "")
	f("l-{host}-{stream}-%j-%H", "l-h_1-web.1-067-00", "")
	f("t-{fields.tenant}", "t-äcme__corp__", "")
	f("static-index", "static-index", "")
	f("{fields.dash}", "", "the name -x starts with - (not allowed in index names)")
	f("{fields.missing}", "", "the name is empty")
	f("{msgid}.", "", "the name is .")
	f("x{fields.tenant}"+strings.Repeat("a", 300), "x"+"äcme__corp__"+strings.Repeat("a", 255-1-len("äcme__corp__")), "")
}

func TestAppendIndexValue(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := string(appendIndexValue(nil, in)); got != want {
			t.Errorf("appendIndexValue(%q) = %q, want %q", in, got, want)
		}
	}
	f("", "")
	f("web", "web")
	f("Web.1", "web.1")
	f(`a\b/c*d?e"f<g>h|i j,k#l:m`, "a_b_c_d_e_f_g_h_i_j_k_l_m")
	f("tab\there\x00\x7f", "tab_here__")
	f("ÉCOLE Straße", "école_straße")
	f("bad\xffutf8", "bad_utf8")
	f("line\u2028sep", "line_sep")
}
