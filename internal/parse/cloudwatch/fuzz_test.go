package cloudwatch

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fuzzLimits keep fuzzing fast while still hitting every limit.
func fuzzLimits() Limits {
	return Limits{MaxRecords: 64, MaxRecordBytes: 64 << 10, MaxDecompressedBytes: 1 << 20}
}

// checkFuzzError checks that err is a *DecodeError about input.
func checkFuzzError(t *testing.T, err error, input string) {
	t.Helper()
	var de *DecodeError
	if !errors.As(err, &de) || de.Input != input || de.Reason == "" {
		t.Fatalf("got %#v, want a *DecodeError about %s", err, input)
	}
	if !strings.HasPrefix(err.Error(), "cannot decode "+input+": ") {
		t.Fatalf("badly worded error %q", err)
	}
}

// checkFuzzEvents converts docs to events and checks their number.
func checkFuzzEvents(t *testing.T, docs []Document) {
	t.Helper()
	want := 0
	got := 0
	for i := range docs {
		d := &docs[i]
		if d.MessageType != DataMessage && d.MessageType != ControlMessage {
			t.Fatalf("document %d has messageType %q", i, d.MessageType)
		}
		if !d.IsControl() {
			want += len(d.LogEvents)
		}
		got += len(d.AppendEvents(nil, time.Time{}))
	}
	if got != want {
		t.Fatalf("got %d events, want %d", got, want)
	}
}

func addSeeds(f *testing.F, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
}

func FuzzDecodeFirehoseRequest(f *testing.F) {
	addSeeds(f,
		string(readTestdata(f, "firehose-aws-example.json")),
		string(readTestdata(f, "firehose-cwl.json")),
		`{"requestId":"r","timestamp":1,"records":[]}`,
		`{"requestId":"r","records":[{"data":""},{"data":"aGk\/"},{"data":"aGVs\nbG8="}]}`,
		`{"requestId":"r","records":[{"data":"aGk="},{"data":1},{}]}`,
		`{"requestId":"r","records":[{"data":[104,105]},null,"x"]}`,
		`{"requestId":5,"timestamp":"x","records":{}}`,
		string(firehoseBody("r", 1, gz(f, `{"messageType":"CONTROL_MESSAGE"}`), []byte(`{"messageType":"FOO"}`))),
		`{`, `[]`, ``,
	)
	dec := NewDecoder(fuzzLimits())
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := dec.DecodeFirehoseRequest(body)
		if err != nil {
			checkFuzzError(t, err, InputFirehoseRequest)
			if req != nil {
				t.Fatalf("request %+v with error %v", req, err)
			}
			return
		}
		if req.RequestID == "" || req.Records == nil || len(req.Records) > fuzzLimits().MaxRecords {
			t.Fatalf("bad request %+v", req)
		}
		for i, r := range req.Records {
			if len(r) > fuzzLimits().MaxRecordBytes {
				t.Fatalf("records[%d] has %d bytes", i, len(r))
			}
		}
		docs, err := dec.DecodeRecords(req.Records, nil)
		if err != nil {
			checkFuzzError(t, err, InputFirehoseRequest)
			return
		}
		checkFuzzEvents(t, docs)
	})
}

func FuzzDecodeRecord(f *testing.F) {
	lambda := string(readTestdata(f, "cwl-lambda.json"))
	control := string(readTestdata(f, "cwl-control-message.json"))
	addSeeds(f,
		lambda, control,
		string(gz(f, lambda)),
		string(gz(f, control, lambda)),
		control+"\n"+control,
		`{"messageType":"DATA_MESSAGE","logGroup":"}{\"\\","logEvents":[{"id":"1","timestamp":2,"message":"a \"}\" ]\\"}]}{"messageType":"CONTROL_MESSAGE"}`,
		`{"messageType":"DATA_MESSAGE","logEvents":[{"timestamp":1.5,"extractedFields":{"a":"b","n":1,"o":{"x":[null]}}}]}`,
		`{"messageType":"FOO"} x`,
		`[]`, `null`, "\x1f\x8b", "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff",
	)
	dec := NewDecoder(fuzzLimits())
	var reuse []Document
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := DecodeRecord(data, fuzzLimits(), nil)
		// A reused Decoder and reused documents decode the same.
		var err2 error
		reuse, err2 = dec.DecodeRecord(data, reuse[:0])
		if (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
			t.Fatalf("fresh decoder: %v; reused decoder: %v", err, err2)
		}
		if err != nil {
			checkFuzzError(t, err, InputRecord)
			isGzip := len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b
			if !isGzip && len(data) <= fuzzLimits().MaxDecompressedBytes {
				if _, rerr := refDecode(data); rerr == nil {
					t.Fatalf("json.Decoder decodes, but DecodeRecord fails: %v", err)
				}
			}
			return
		}
		if !reflect.DeepEqual(normalize(docs), normalize(reuse)) {
			t.Fatalf("fresh and reused decoders differ:\n%+v\n%+v", docs, reuse)
		}
		checkFuzzEvents(t, docs)
		if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
			return
		}
		// json.Decoder finds the same documents.
		ref, err := refDecode(data)
		if err != nil {
			t.Fatalf("decoded, but json.Decoder fails: %v", err)
		}
		if !reflect.DeepEqual(normalize(docs), normalize(ref)) {
			t.Fatalf("json.Decoder finds other documents:\n%+v\n%+v", docs, ref)
		}
		// The same content gzip'd decodes the same, in one member or two.
		gdocs, err := DecodeRecord(gz(t, string(data)), fuzzLimits(), nil)
		if err != nil {
			t.Fatalf("plain data decoded but gzip'd did not: %v", err)
		}
		if !reflect.DeepEqual(normalize(docs), normalize(gdocs)) {
			t.Fatalf("plain and gzip'd data decode differently")
		}
		half := len(data) / 2
		gdocs, err = DecodeRecord(gz(t, string(data[:half]), string(data[half:])), fuzzLimits(), nil)
		if err != nil || !reflect.DeepEqual(normalize(docs), normalize(gdocs)) {
			t.Fatalf("data split over two gzip members decodes differently: %v", err)
		}
	})
}

// refDecode decodes the documents in data with json.Decoder, as a
// reference for DecodeRecord's faster splitting.
func refDecode(data []byte) ([]Document, error) {
	jd := json.NewDecoder(bytes.NewReader(data))
	var docs []Document
	for {
		var d Document
		if err := jd.Decode(&d); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		if validate(&d) != "" {
			return nil, errors.New(validate(&d))
		}
		docs = append(docs, d)
	}
	if len(docs) == 0 {
		return nil, errors.New("no document")
	}
	return docs, nil
}

func FuzzDecodeLambdaEvent(f *testing.F) {
	lambda := string(readTestdata(f, "cwl-lambda.json"))
	ok := lambdaEvent(gz(f, lambda))
	addSeeds(f,
		string(readTestdata(f, "lambda-event.json")),
		string(readTestdata(f, "lambda-batch.json")),
		`[]`, `{}`, `{"awslogs":{}}`, `{"awslogs":{"data":null}}`, `{"awslogs":{"data":"H4sI!!!!"}}`,
		"["+ok+`,{"awslogs":{"data":1}},5]`,
		lambdaEvent([]byte(lambda)),
		lambdaEvent(gz(f, "not json")),
		ok+ok, `[`+ok,
	)
	dec := NewDecoder(fuzzLimits())
	f.Fuzz(func(t *testing.T, body []byte) {
		docs, err := dec.DecodeLambdaEvent(body, nil)
		if err != nil {
			checkFuzzError(t, err, InputLambdaEvent)
			return
		}
		checkFuzzEvents(t, docs)
	})
}
