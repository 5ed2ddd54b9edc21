package cloudwatch

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeRecord(t *testing.T) {
	cloudtrail := string(readTestdata(t, "cwl-cloudtrail-example.json"))
	vpc := string(readTestdata(t, "cwl-vpc-flow-extracted.json"))
	control := string(readTestdata(t, "cwl-control-message.json"))
	lambda := string(readTestdata(t, "cwl-lambda.json"))

	f := func(data []byte, want ...Document) {
		t.Helper()
		got, err := DecodeRecord(data, DefaultLimits(), nil)
		if err != nil {
			t.Fatalf("DecodeRecord: %v", err)
		}
		checkDocs(t, got, want...)
	}
	// Plain JSON (the data does not start with the gzip magic).
	f([]byte(cloudtrail), cloudtrailDoc())
	f([]byte(control), controlDoc())
	// One gzip member per document, as CloudWatch Logs sends them.
	f(gz(t, cloudtrail), cloudtrailDoc())
	f(gz(t, vpc), vpcDoc())
	f(gz(t, control), controlDoc())
	f(gz(t, lambda), lambdaTestDoc())
	// Several gzip members, as Firehose may concatenate records.
	f(gz(t, cloudtrail, lambda), cloudtrailDoc(), lambdaTestDoc())
	f(gz(t, control, vpc, cloudtrail), controlDoc(), vpcDoc(), cloudtrailDoc())
	f(gz(t, "", control, ""), controlDoc())
	f(gz(t, control+"\n", vpc+"\n"), controlDoc(), vpcDoc())
	// Several documents in one member: newline-separated, back to back,
	// surrounded by any JSON whitespace.
	f(gz(t, strings.TrimSpace(control)+"\n"+strings.TrimSpace(vpc)+"\n"), controlDoc(), vpcDoc())
	f(gz(t, strings.TrimSpace(control)+strings.TrimSpace(vpc)), controlDoc(), vpcDoc())
	f([]byte(" \r\n\t"+control+"\r\n"+cloudtrail+"\n\n"+lambda), controlDoc(), cloudtrailDoc(), lambdaTestDoc())
	// Braces and escaped quotes inside strings do not end a document.
	f([]byte(`{"messageType":"DATA_MESSAGE","logGroup":"}{\"\\","logEvents":[{"id":"1","timestamp":2,"message":"a \"}\" ]\\"}]}{"messageType":"CONTROL_MESSAGE"}`),
		Document{MessageType: DataMessage, LogGroup: `}{"\`, LogEvents: []LogEvent{{ID: "1", Timestamp: 2, Message: `a "}" ]\`}}},
		Document{MessageType: ControlMessage})
	// Unicode escapes, unknown keys ignored, policyLevel, nulls.
	f([]byte(`{"messageType":"DATA_MESSAGE","owner":null,"logGroup":"/aws/lambda/caf\u00e9","future":{"a":[1,{"b":2}]},"policyLevel":"ACCOUNT_LEVEL_POLICY",`+
		`"logEvents":[{"id":"9","timestamp":1714564800123,"message":"\ud83d\ude00 done\n","extractedFields":null,"other":1}]}`),
		Document{MessageType: DataMessage, LogGroup: "/aws/lambda/café", PolicyLevel: "ACCOUNT_LEVEL_POLICY",
			LogEvents: []LogEvent{{ID: "9", Timestamp: 1714564800123, Message: "😀 done\n"}}})
}

func TestDecodeRecordReusesDst(t *testing.T) {
	dec := NewDecoder(Limits{})
	vpc := gz(t, string(readTestdata(t, "cwl-vpc-flow-extracted.json")))
	docs, err := dec.DecodeRecord(vpc, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Decode documents without extracted fields or policyLevel into the
	// same memory: nothing of the previous documents may remain.
	docs, err = dec.DecodeRecord([]byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"id":"a"},{"message":"b"}]}`), docs[:0])
	if err != nil {
		t.Fatal(err)
	}
	checkDocs(t, docs, Document{MessageType: DataMessage, LogEvents: []LogEvent{{ID: "a"}, {Message: "b"}}})
	docs, err = dec.DecodeRecord(gz(t, string(readTestdata(t, "cwl-lambda.json"))), docs[:0])
	if err != nil {
		t.Fatal(err)
	}
	docs, err = dec.DecodeRecord([]byte(`{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs"}`), docs[:0])
	if err != nil {
		t.Fatal(err)
	}
	checkDocs(t, docs, Document{MessageType: ControlMessage, Owner: "CloudwatchLogs"})
	// The gzip reader and buffer are reused across records.
	docs, err = dec.DecodeRecord(vpc, docs[:0])
	if err != nil {
		t.Fatal(err)
	}
	checkDocs(t, docs, vpcDoc())
}

func TestDecodeRecordErrors(t *testing.T) {
	lambda := string(readTestdata(t, "cwl-lambda.json"))
	f := func(data []byte, lim Limits, want string) {
		t.Helper()
		docs, err := DecodeRecord(data, lim, nil)
		if err == nil {
			t.Fatalf("DecodeRecord: no error, docs %+v", docs)
		}
		if err.Error() != want {
			t.Fatalf("DecodeRecord error\ngot  %q\nwant %q", err, want)
		}
		var de *DecodeError
		if !errors.As(err, &de) || de.Input != InputRecord || de.Index != -1 {
			t.Fatalf("not a record *DecodeError: %#v", err)
		}
	}
	def := DefaultLimits()
	f(nil, def, "cannot decode record: data is empty")
	f([]byte(" \n\t\r"), def, "cannot decode record: data holds no JSON document")
	f(gz(t, ""), def, "cannot decode record: data holds no JSON document")
	f(gz(t, "\n"), def, "cannot decode record: data holds no JSON document")

	// Bad JSON, in the first or a later document.
	f([]byte(`{"messageType":"DATA_MESSAGE"`), def, "cannot decode record: document 0: invalid JSON at offset 29: unexpected end of JSON input")
	f([]byte(`{"messageType":"DATA_MESSAGE",}`), def, "cannot decode record: document 0: invalid JSON at offset 31: invalid character '}' looking for beginning of object key string")
	f([]byte(`{"messageType":"DATA_MESSAGE"}x`), def, "cannot decode record: document 1: invalid JSON at offset 31: invalid character 'x' looking for beginning of value")
	f([]byte(`{"messageType":"DATA_MESSAGE"}`+"\n"+`{"messageType":"DATA_MESSAGE"}`+"\n"+`{"logEvents":[}`), def,
		"cannot decode record: document 2: invalid JSON at offset 77: invalid character '}' looking for beginning of value")
	f([]byte(`{"messageType":"DATA_MESSAGE"}`+"\n"+`{"messageType":"DATA_MESSAGE"`), def,
		"cannot decode record: document 1: invalid JSON at offset 60: unexpected end of JSON input")
	f(gz(t, "not json"), def, "cannot decode record: document 0: invalid JSON at offset 2: invalid character 'o' in literal null (expecting 'u')")
	f(gz(t, "hello"), def, "cannot decode record: document 0: invalid JSON at offset 1: invalid character 'h' looking for beginning of value")
	f([]byte("\xef\xbb\xbf{}"), def, "cannot decode record: document 0: invalid JSON at offset 1: invalid character 'ï' looking for beginning of value")

	// Not a subscription document.
	f([]byte(`{"messageType":"FOO"}`), def, `cannot decode record: document 0: unknown messageType "FOO"`)
	f([]byte(`{"messageType":"CONTROL_MESSAGE"} {"messageType":"data_message"}`), def, `cannot decode record: document 1: unknown messageType "data_message"`)
	f([]byte(`{"owner":"123456789012","logEvents":[]}`), def, "cannot decode record: document 0: messageType is missing")
	f([]byte(`{"messageType":""}`), def, "cannot decode record: document 0: messageType is missing")
	f([]byte(`null`), def, "cannot decode record: document 0: messageType is missing")
	f([]byte(`{}`), def, "cannot decode record: document 0: messageType is missing")

	// Wrong types.
	f([]byte(`[]`), def, "cannot decode record: document 0: want object, got array")
	f([]byte(`"DATA_MESSAGE"`), def, "cannot decode record: document 0: want object, got string")
	f([]byte(`42`), def, "cannot decode record: document 0: want object, got number")
	f([]byte(`{"messageType":1}`), def, "cannot decode record: document 0: messageType: want string, got number")
	f([]byte(`{"messageType":"DATA_MESSAGE","owner":123456789012}`), def, "cannot decode record: document 0: owner: want string, got number")
	f([]byte(`{"messageType":"DATA_MESSAGE","subscriptionFilters":"f"}`), def, "cannot decode record: document 0: subscriptionFilters: want array, got string")
	f([]byte(`{"messageType":"DATA_MESSAGE","subscriptionFilters":[1]}`), def, "cannot decode record: document 0: subscriptionFilters: want string, got number")
	f([]byte(`{"messageType":"DATA_MESSAGE","logEvents":{}}`), def, "cannot decode record: document 0: logEvents: want array, got object")
	f([]byte(`{"messageType":"DATA_MESSAGE","logEvents":["x"]}`), def, "cannot decode record: document 0: logEvents: want object, got string")
	f([]byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"timestamp":"1714564800123"}]}`), def, "cannot decode record: document 0: logEvents.timestamp: want integer, got string")
	f([]byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"timestamp":1714564800.5}]}`), def, "cannot decode record: document 0: logEvents.timestamp: want integer, got 1714564800.5")
	f([]byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"timestamp":1e30}]}`), def, "cannot decode record: document 0: logEvents.timestamp: want integer, got 1e30")
	f([]byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"id":3719}]}`), def, "cannot decode record: document 0: logEvents.id: want string, got number")
	f([]byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"message":{"a":1}}]}`), def, "cannot decode record: document 0: logEvents.message: want string, got object")
	f([]byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"extractedFields":["a"]}]}`), def, "cannot decode record: document 0: logEvents.extractedFields: want object, got array")

	// Bad gzip.
	good := gz(t, lambda)
	f(good[:len(good)-10], def, "cannot decode record: gzip data is truncated")
	f(good[:len(good)/2], def, "cannot decode record: gzip data is truncated")
	f(good[:2], def, "cannot decode record: gzip data is truncated")
	f(good[:12], def, "cannot decode record: gzip data is truncated")
	badCRC := append([]byte(nil), good...)
	badCRC[len(badCRC)-8] ^= 0xff
	f(badCRC, def, "cannot decode record: invalid gzip data: gzip: invalid checksum")
	badLen := append([]byte(nil), good...)
	badLen[len(badLen)-1] ^= 0xff
	f(badLen, def, "cannot decode record: invalid gzip data: gzip: invalid checksum")
	badMethod := append([]byte(nil), good...)
	badMethod[2] = 7
	f(badMethod, def, "cannot decode record: invalid gzip data: gzip: invalid header")
	corrupt := append([]byte(nil), good...)
	corrupt[10] = 0xff // block type 3 does not exist
	f(corrupt, def, "cannot decode record: invalid gzip data: flate: corrupt input before offset 1")
	f(append(append([]byte(nil), good...), "garbage after it"...), def, "cannot decode record: invalid gzip data: gzip: invalid header")
	f(append(append([]byte(nil), good...), "xy"...), def, "cannot decode record: gzip data is truncated")

	// Limits: a gzip bomb, a small limit, an uncompressed record.
	f(gz(t, `{"messageType":"DATA_MESSAGE","owner":"`+strings.Repeat("0", 17<<20)+`"}`), def,
		"cannot decode record: decompressed data exceeds the limit of 16777216 bytes")
	f(gz(t, lambda), Limits{MaxDecompressedBytes: 1000}, "cannot decode record: decompressed data exceeds the limit of 1000 bytes")
	f(gz(t, lambda[:600], lambda[600:]), Limits{MaxDecompressedBytes: 1000}, "cannot decode record: decompressed data exceeds the limit of 1000 bytes")
	f([]byte(lambda), Limits{MaxDecompressedBytes: 1000}, "cannot decode record: data is 1452 bytes, more than the limit of 1000")
	if _, err := DecodeRecord(gz(t, lambda), Limits{MaxDecompressedBytes: len(lambda)}, nil); err != nil {
		t.Fatalf("data exactly at the limit: %v", err)
	}
}

func TestDecodeError(t *testing.T) {
	f := func(e DecodeError, want string) {
		t.Helper()
		if got := e.Error(); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	f(DecodeError{Input: InputRecord, Index: -1, Document: -1, Reason: "data is empty"}, "cannot decode record: data is empty")
	f(DecodeError{Input: InputRecord, Index: -1, Document: 2, Reason: "x"}, "cannot decode record: document 2: x")
	f(DecodeError{Input: InputFirehoseRequest, Index: 3, Document: -1, Reason: "data is missing"}, "cannot decode Firehose request: records[3]: data is missing")
	f(DecodeError{Input: InputFirehoseRequest, Index: 0, Document: 1, Reason: "x"}, "cannot decode Firehose request: records[0]: document 1: x")
	f(DecodeError{Input: InputLambdaEvent, Index: 2, Document: -1, Reason: "x"}, "cannot decode Lambda event: element 2: x")
	f(DecodeError{Input: InputLambdaEvent, Index: -1, Document: 0, Reason: "x"}, "cannot decode Lambda event: document 0: x")
}

func TestLimits(t *testing.T) {
	want := Limits{MaxRecords: 10000, MaxRecordBytes: 1024000, MaxDecompressedBytes: 16777216}
	if got := DefaultLimits(); got != want {
		t.Fatalf("DefaultLimits() = %+v", got)
	}
	if got := NewDecoder(Limits{}).Limits(); got != want {
		t.Fatalf("zero Limits = %+v", got)
	}
	if got := NewDecoder(Limits{MaxRecords: -1, MaxRecordBytes: 5}).Limits(); got != (Limits{10000, 5, 16777216}) {
		t.Fatalf("partial Limits = %+v", got)
	}
}
