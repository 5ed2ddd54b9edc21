package cloudwatch

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

// The documents in testdata/cwl-*.json, as they must decode.

func cloudtrailDoc() Document {
	const msg = `{"eventVersion":"1.03","userIdentity":{"type":"Root"}`
	return Document{
		MessageType:         DataMessage,
		Owner:               "111111111111",
		LogGroup:            "CloudTrail",
		LogStream:           "111111111111_CloudTrail_us-east-1",
		SubscriptionFilters: []string{"Destination"},
		LogEvents: []LogEvent{
			{ID: "31953106606966983378809025079804211143289615424298221568", Timestamp: 1432826855000, Message: msg},
			{ID: "31953106606966983378809025079804211143289615424298221569", Timestamp: 1432826855000, Message: msg},
			{ID: "31953106606966983378809025079804211143289615424298221570", Timestamp: 1432826855000, Message: msg},
		},
	}
}

func controlDoc() Document {
	return Document{
		MessageType: ControlMessage,
		Owner:       "CloudwatchLogs",
		LogEvents: []LogEvent{
			{Timestamp: 1714564800123, Message: "CWL CONTROL MESSAGE: Checking health of destination Firehose."},
		},
	}
}

// vpcFields names VPC flow log (version 2) values as the filter pattern
// [version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport,
// protocol, packets, bytes, start, end, action, log_status] does.
func vpcFields(line string) ExtractedFields {
	names := []string{"version", "account_id", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport",
		"protocol", "packets", "bytes", "start", "end", "action", "log_status"}
	var f ExtractedFields
	for i, v := range strings.Fields(line) {
		f = append(f, event.Field{Key: names[i], Value: v, Type: event.String})
	}
	return f
}

func vpcDoc() Document {
	const (
		l1 = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
		l2 = "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK"
	)
	return Document{
		MessageType:         DataMessage,
		Owner:               "123456789010",
		LogGroup:            "vpc-flow-logs",
		LogStream:           "eni-1235b8ca123456789-all",
		SubscriptionFilters: []string{"VPCFlowLogsToFirehose"},
		LogEvents: []LogEvent{
			{ID: "35093963143971327215510178578576502306458824699048362100", Timestamp: 1418530010000, Message: l1, ExtractedFields: vpcFields(l1)},
			{ID: "35093963143971327215510178578576502306458824699048362101", Timestamp: 1418530010000, Message: l2, ExtractedFields: vpcFields(l2)},
		},
	}
}

const lambdaReqID = "8f507cfc-4c8b-4a1c-9d4e-5c1e7a3b2f10"

func lambdaTestDoc() Document {
	id := func(n int) string {
		return fmt.Sprintf("382321234738923857374737373737336388373737373737373737%02d", n)
	}
	return Document{
		MessageType:         DataMessage,
		Owner:               "123456789012",
		LogGroup:            "/aws/lambda/fn",
		LogStream:           "2024/05/01/[$LATEST]94fa867e5374431291a7fc14e2f56ae7",
		SubscriptionFilters: []string{"sluice-a", "sluice-b"},
		PolicyLevel:         "ACCOUNT_LEVEL_POLICY",
		LogEvents: []LogEvent{
			{ID: id(0), Timestamp: 1714564800123, Message: "INIT_START Runtime Version: python:3.12.v25\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:2a2b3c4d5e6f\n"},
			{ID: id(1), Timestamp: 1714564800293, Message: "START RequestId: " + lambdaReqID + " Version: $LATEST\n"},
			{ID: id(2), Timestamp: 1714564800301, Message: "[INFO]\t2024-05-01T12:00:00.301Z\t" + lambdaReqID + "\tprocessing order 4821\n"},
			{ID: id(3), Timestamp: 1714564800390, Message: `{"level":"error","msg":"payment declined","order":4821}` + "\n"},
			{ID: id(4), Timestamp: 1714564800395, Message: "END RequestId: " + lambdaReqID + "\n"},
			{ID: id(5), Timestamp: 1714564800395, Message: "REPORT RequestId: " + lambdaReqID + "\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 128 MB\tMax Memory Used: 68 MB\tInit Duration: 170.12 ms\t\n"},
		},
	}
}

// normalize makes empty slices nil, so that documents compare equal
// whether JSON said [] or nothing.
func normalize(docs []Document) []Document {
	out := make([]Document, len(docs))
	for i, d := range docs {
		if len(d.SubscriptionFilters) == 0 {
			d.SubscriptionFilters = nil
		}
		if len(d.LogEvents) == 0 {
			d.LogEvents = nil
		}
		evs := make([]LogEvent, len(d.LogEvents))
		for j, e := range d.LogEvents {
			if len(e.ExtractedFields) == 0 {
				e.ExtractedFields = nil
			}
			evs[j] = e
		}
		if d.LogEvents != nil {
			d.LogEvents = evs
		}
		out[i] = d
	}
	return out
}

func checkDocs(t *testing.T, got []Document, want ...Document) {
	t.Helper()
	if g, w := normalize(got), normalize(want); !reflect.DeepEqual(g, w) {
		gj, _ := json.MarshalIndent(g, "", " ")
		wj, _ := json.MarshalIndent(w, "", " ")
		t.Fatalf("unexpected documents\ngot:\n%s\nwant:\n%s", gj, wj)
	}
}

func TestAppendEvents(t *testing.T) {
	received := time.Date(2024, 5, 1, 12, 0, 1, 0, time.UTC)
	f := func(d Document, want ...event.Event) {
		t.Helper()
		got := d.AppendEvents(nil, received)
		if len(got) != len(want) {
			t.Fatalf("got %d events, want %d: %+v", len(got), len(want), got)
		}
		for i := range want {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("event %d:\ngot  %+v\nwant %+v", i, got[i], want[i])
			}
		}
	}
	ev := func(ts int64, id, msg, group, stream string, fields ...event.Field) event.Event {
		return event.Event{
			Time: time.UnixMilli(ts).UTC(), Received: received, Severity: event.Info,
			Message: msg, Group: group, Stream: stream, ID: id, Fields: fields,
		}
	}
	str := func(k, v string) event.Field { return event.Field{Key: k, Value: v} }

	// Lambda: one trailing newline trimmed, the REPORT line keeps its tab.
	ld := lambdaTestDoc()
	lf := []event.Field{str("owner", "123456789012"), str("subscription_filters", "sluice-a,sluice-b"), str("policy_level", "ACCOUNT_LEVEL_POLICY")}
	lev := func(i int, msg string) event.Event {
		le := ld.LogEvents[i]
		return ev(le.Timestamp, le.ID, msg, "/aws/lambda/fn", ld.LogStream, lf...)
	}
	f(ld,
		lev(0, "INIT_START Runtime Version: python:3.12.v25\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:2a2b3c4d5e6f"),
		lev(1, "START RequestId: 8f507cfc-4c8b-4a1c-9d4e-5c1e7a3b2f10 Version: $LATEST"),
		lev(2, "[INFO]\t2024-05-01T12:00:00.301Z\t8f507cfc-4c8b-4a1c-9d4e-5c1e7a3b2f10\tprocessing order 4821"),
		lev(3, `{"level":"error","msg":"payment declined","order":4821}`),
		lev(4, "END RequestId: 8f507cfc-4c8b-4a1c-9d4e-5c1e7a3b2f10"),
		lev(5, "REPORT RequestId: 8f507cfc-4c8b-4a1c-9d4e-5c1e7a3b2f10\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 128 MB\tMax Memory Used: 68 MB\tInit Duration: 170.12 ms\t"),
	)

	// Extracted fields become extracted.<name>, in input order.
	vd := vpcDoc()
	vd.LogEvents = vd.LogEvents[:1]
	vf := []event.Field{str("owner", "123456789010"), str("subscription_filters", "VPCFlowLogsToFirehose")}
	for _, x := range vd.LogEvents[0].ExtractedFields {
		vf = append(vf, str("extracted."+x.Key, x.Value))
	}
	f(vd, ev(1418530010000, vd.LogEvents[0].ID, vd.LogEvents[0].Message, "vpc-flow-logs", "eni-1235b8ca123456789-all", vf...))

	// CloudTrail: the message is kept as is.
	cd := cloudtrailDoc()
	cd.LogEvents = cd.LogEvents[2:]
	f(cd, ev(1432826855000, "31953106606966983378809025079804211143289615424298221570", `{"eventVersion":"1.03","userIdentity":{"type":"Root"}`,
		"CloudTrail", "111111111111_CloudTrail_us-east-1", str("owner", "111111111111"), str("subscription_filters", "Destination")))

	// Control messages and documents without events produce nothing.
	f(controlDoc())
	f(Document{MessageType: DataMessage, Owner: "1"})

	// Only one "\n" is trimmed; nothing else; no owner or filters fields
	// when there are none; extracted fields of every type.
	f(Document{MessageType: DataMessage, LogEvents: []LogEvent{{ID: "1", Message: "a\n\n"}}}, ev(0, "1", "a\n", "", ""))
	f(Document{MessageType: DataMessage, LogEvents: []LogEvent{{ID: "1", Message: "a\r\n"}}}, ev(0, "1", "a\r", "", ""))
	f(Document{MessageType: DataMessage, LogEvents: []LogEvent{{ID: "1", Message: "\n"}}}, ev(0, "1", "", "", ""))
	f(Document{MessageType: DataMessage, LogEvents: []LogEvent{{Timestamp: -1500, Message: " x "}}}, ev(-1500, "", " x ", "", ""))
	f(Document{MessageType: DataMessage, SubscriptionFilters: []string{"a", "b", "c"}, LogEvents: []LogEvent{{Message: "m", ExtractedFields: ExtractedFields{
		{Key: "n", Value: "1.5", Type: event.Number}, {Key: "ok", Value: "true", Type: event.Bool}, {Key: "o", Value: `{"a":1}`, Type: event.JSON},
	}}}}, ev(0, "", "m", "", "", str("subscription_filters", "a,b,c"),
		event.Field{Key: "extracted.n", Value: "1.5", Type: event.Number},
		event.Field{Key: "extracted.ok", Value: "true", Type: event.Bool},
		event.Field{Key: "extracted.o", Value: `{"a":1}`, Type: event.JSON}))
}

func TestAppendEventsReusesDst(t *testing.T) {
	received := time.Unix(1714564801, 0).UTC()
	stale := event.Event{Host: "stale", App: "stale", Facility: event.FacilityFromCode(3), SeveritySource: event.SeverityPRI,
		Fields: make([]event.Field, 8, 16)}
	dst := make([]event.Event, 1, 4)
	dst[0] = event.Event{Message: "kept"}
	spare := dst[:4]
	spare[1], spare[2], spare[3] = stale, stale, stale
	spare[1].Fields = make([]event.Field, 8, 16)
	keep := &spare[1].Fields[:1][0]

	d := lambdaTestDoc()
	got := d.AppendEvents(dst, received)
	if len(got) != 7 || got[0].Message != "kept" {
		t.Fatalf("got %d events, first %q", len(got), got[0].Message)
	}
	e := got[1]
	if e.Host != "" || e.App != "" || e.Facility != event.FacilityNone || e.SeveritySource != event.SeverityUnset || len(e.Fields) != 3 {
		t.Fatalf("stale data in reused event: %+v", e)
	}
	if &e.Fields[0] != keep {
		t.Fatalf("Fields capacity of the reused event not reused")
	}
	// Events that got fields from the shared arena must not overlap.
	got[4].Fields = append(got[4].Fields, event.Field{Key: "x"})
	if f, _ := got[5].Field("owner"); f.Value != "123456789012" || len(got[5].Fields) != 3 {
		t.Fatalf("appending to one event's fields changed the next: %+v", got[5].Fields)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Message == "" || got[i].ID != d.LogEvents[i-1].ID {
			t.Fatalf("event %d: %+v", i, got[i])
		}
	}
}

func TestExtractedFields(t *testing.T) {
	f := func(in string, wantJSON string, want ...event.Field) {
		t.Helper()
		var got ExtractedFields
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Fatalf("Unmarshal(%s): %v", in, err)
		}
		if !reflect.DeepEqual([]event.Field(got), want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("Unmarshal(%s)\ngot  %+v\nwant %+v", in, got, want)
		}
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		if string(b) != wantJSON {
			t.Fatalf("Marshal: got %s, want %s", b, wantJSON)
		}
	}
	f(`null`, `null`)
	f(`{}`, `{}`)
	f(`{"srcaddr":"172.31.16.139","dstport":"22"}`, `{"srcaddr":"172.31.16.139","dstport":"22"}`,
		event.Field{Key: "srcaddr", Value: "172.31.16.139"}, event.Field{Key: "dstport", Value: "22"})
	// Input order, every JSON type, escapes, duplicates kept.
	f(` { "b" : "1", "a":2, "c":true, "d":null, "e":{"x": [1, 2]}, "f":"\u00e9\n", "a":-1.5e3 } `,
		`{"b":"1","a":2,"c":true,"d":null,"e":{"x":[1,2]},"f":"é\n","a":-1.5e3}`,
		event.Field{Key: "b", Value: "1"},
		event.Field{Key: "a", Value: "2", Type: event.Number},
		event.Field{Key: "c", Value: "true", Type: event.Bool},
		event.Field{Key: "d", Value: "null", Type: event.JSON},
		event.Field{Key: "e", Value: `{"x":[1,2]}`, Type: event.JSON},
		event.Field{Key: "f", Value: "é\n"},
		event.Field{Key: "a", Value: "-1.5e3", Type: event.Number},
	)

	fe := func(in, want string) {
		t.Helper()
		var got ExtractedFields
		err := json.Unmarshal([]byte(in), &got)
		if err == nil || err.Error() != want {
			t.Fatalf("Unmarshal(%s): got error %v, want %q", in, err, want)
		}
	}
	fe(`[1]`, "logEvents.extractedFields: want object, got array")
	fe(`"a"`, "logEvents.extractedFields: want object, got string")
	fe(`5`, "logEvents.extractedFields: want object, got number")

	if _, err := json.Marshal(ExtractedFields{{Key: "n", Value: "x", Type: event.Number}}); err == nil ||
		err.Error() != "json: error calling MarshalJSON for type cloudwatch.ExtractedFields: cannot marshal extracted field n: value is not JSON" {
		t.Fatalf("Marshal of a bad number: %v", err)
	}
}

func TestIsControl(t *testing.T) {
	f := func(mt string, want bool) {
		t.Helper()
		d := Document{MessageType: mt}
		if got := d.IsControl(); got != want {
			t.Fatalf("IsControl(%q) = %v", mt, got)
		}
	}
	f("CONTROL_MESSAGE", true)
	f("DATA_MESSAGE", false)
	f("control_message", false)
	f("", false)
}
