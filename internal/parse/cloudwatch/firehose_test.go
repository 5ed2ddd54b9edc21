package cloudwatch

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestDecodeFirehoseRequest(t *testing.T) {
	f := func(body string, lim Limits, wantID string, wantTS int64, wantRecords ...string) {
		t.Helper()
		req, err := DecodeFirehoseRequest([]byte(body), lim)
		if err != nil {
			t.Fatalf("DecodeFirehoseRequest: %v", err)
		}
		if req.RequestID != wantID || req.Timestamp != wantTS {
			t.Fatalf("got requestId %q timestamp %d, want %q %d", req.RequestID, req.Timestamp, wantID, wantTS)
		}
		if req.Records == nil || len(req.Records) != len(wantRecords) {
			t.Fatalf("got %d records (%q), want %d", len(req.Records), req.Records, len(wantRecords))
		}
		for i, w := range wantRecords {
			if string(req.Records[i]) != w {
				t.Fatalf("records[%d] = %q, want %q", i, req.Records[i], w)
			}
		}
	}
	def := DefaultLimits()
	// The request example of the Firehose HTTP endpoint specification.
	f(string(readTestdata(t, "firehose-aws-example.json")), def, "ed4acda5-034f-9f42-bba1-f29aea6d7d8f", 1578090901599, "hello", "hello world")
	f(`{"requestId":"ed4acda5-034f-9f42-bba1-f29aea6d7d8f","timestamp":1578090901599,"records":[]}`, def, "ed4acda5-034f-9f42-bba1-f29aea6d7d8f", 1578090901599)
	// Key order, whitespace and unknown keys do not matter; timestamp is optional.
	f(" {\n\"records\" : [ { \"data\" : \"aGk=\" , \"x\":1 } ],\t\"extra\":{\"a\":[]}, \"requestId\":\"r\"}\n", def, "r", 0, "hi")
	// Empty data, escaped characters in base64, base64 across lines.
	f(`{"requestId":"r","records":[{"data":""},{"data":"aGk\/"},{"data":"aGk\u002F"},{"data":"aGVs\nbG8="}]}`, def, "r", 0, "", "hi?", "hi?", "hello")
	// Limits are inclusive.
	f(string(readTestdata(t, "firehose-aws-example.json")), Limits{MaxRecords: 2, MaxRecordBytes: 11}, "ed4acda5-034f-9f42-bba1-f29aea6d7d8f", 1578090901599, "hello", "hello world")
	f(firehoseString(t, 10000), def, "r", 1, strings.Split(strings.Repeat("x", 10000), "")...)
}

func firehoseString(t *testing.T, n int) string {
	recs := make([][]byte, n)
	for i := range recs {
		recs[i] = []byte("x")
	}
	return string(firehoseBody("r", 1, recs...))
}

func TestDecodeFirehoseRequestErrors(t *testing.T) {
	f := func(body string, lim Limits, wantIndex int, want string) {
		t.Helper()
		req, err := DecodeFirehoseRequest([]byte(body), lim)
		if err == nil {
			t.Fatalf("DecodeFirehoseRequest: no error, got %+v", req)
		}
		if err.Error() != want {
			t.Fatalf("DecodeFirehoseRequest error\ngot  %q\nwant %q", err, want)
		}
		var de *DecodeError
		if !errors.As(err, &de) || de.Input != InputFirehoseRequest || de.Index != wantIndex || de.Document != -1 {
			t.Fatalf("got %#v, want a Firehose *DecodeError with Index %d", err, wantIndex)
		}
	}
	def := DefaultLimits()
	// Not JSON, not an object.
	f(``, def, -1, "cannot decode Firehose request: body is empty")
	f(" \n", def, -1, "cannot decode Firehose request: body is empty")
	f(`{`, def, -1, "cannot decode Firehose request: invalid JSON at offset 1: unexpected end of JSON input")
	f(`x`, def, -1, "cannot decode Firehose request: invalid JSON at offset 1: invalid character 'x' looking for beginning of value")
	f(`{"requestId":"r","records":[]}}`, def, -1, "cannot decode Firehose request: invalid JSON at offset 31: invalid character '}' after top-level value")
	// The example as printed in the specification lacks a comma after timestamp.
	f("{\n  \"requestId\": \"ed4acda5-034f-9f42-bba1-f29aea6d7d8f\",\n  \"timestamp\": 1578090901599\n  \"records\": []\n}", def, -1,
		"cannot decode Firehose request: invalid JSON at offset 89: invalid character '\"' after object key:value pair")
	f(`[]`, def, -1, "cannot decode Firehose request: want a JSON object, got array")
	f(`"records"`, def, -1, "cannot decode Firehose request: want a JSON object, got string")
	f(`null`, def, -1, "cannot decode Firehose request: want a JSON object, got null")

	// Envelope fields.
	f(`{"timestamp":1578090901599,"records":[]}`, def, -1, "cannot decode Firehose request: requestId is missing")
	f(`{"requestId":"","records":[]}`, def, -1, "cannot decode Firehose request: requestId is missing")
	f(`{"requestId":null,"records":[]}`, def, -1, "cannot decode Firehose request: requestId is missing")
	f(`{"requestId":5,"records":[]}`, def, -1, "cannot decode Firehose request: requestId: want string, got number")
	f(`{"requestId":"r","timestamp":"1578090901599","records":[]}`, def, -1, "cannot decode Firehose request: timestamp: want integer, got string")
	f(`{"requestId":"r","timestamp":1.5,"records":[]}`, def, -1, "cannot decode Firehose request: timestamp: want integer, got 1.5")
	f(`{"requestId":"r","timestamp":1}`, def, -1, "cannot decode Firehose request: records is missing")
	f(`{"requestId":"r","records":null}`, def, -1, "cannot decode Firehose request: records is missing")
	f(`{"requestId":"r","records":{}}`, def, -1, "cannot decode Firehose request: records: want array, got object")
	f(`{"requestId":"r","records":"aGk="}`, def, -1, "cannot decode Firehose request: records: want array, got string")

	// Records.
	f(`{"requestId":"r","records":["aGk="]}`, def, 0, "cannot decode Firehose request: records[0]: want object, got string")
	f(`{"requestId":"r","records":[{"data":"aGk="},null]}`, def, 1, "cannot decode Firehose request: records[1]: want object, got null")
	f(`{"requestId":"r","records":[{"data":"aGk="},[]]}`, def, 1, "cannot decode Firehose request: records[1]: want object, got array")
	f(`{"requestId":"r","records":[{"data":"aGk="},{}]}`, def, 1, "cannot decode Firehose request: records[1]: data is missing")
	f(`{"requestId":"r","records":[{"Data":"aGk="},{"dat":"aGk="}]}`, def, 1, "cannot decode Firehose request: records[1]: data is missing")
	f(`{"requestId":"r","records":[{"data":null}]}`, def, 0, "cannot decode Firehose request: records[0]: data is missing")
	f(`{"requestId":"r","records":[{"data":5}]}`, def, 0, "cannot decode Firehose request: records[0]: data: want string, got number")
	f(`{"requestId":"r","records":[{"data":["aGk="]}]}`, def, 0, "cannot decode Firehose request: records[0]: data: want string, got array")
	f(`{"requestId":"r","records":[{"data":[104,105]}]}`, def, 0, "cannot decode Firehose request: records[0]: data: want string, got array")
	f(`{"requestId":"r","records":[{"data":true}]}`, def, 0, "cannot decode Firehose request: records[0]: data: want string, got boolean")
	f(`{"requestId":true,"records":[]}`, def, -1, "cannot decode Firehose request: requestId: want string, got boolean")
	f(`{"requestId":"r","records":[{"data":"aGk="},{"data":"@@@@"}]}`, def, 1, "cannot decode Firehose request: records[1]: data is not valid base64: illegal base64 data at input byte 0")
	f(`{"requestId":"r","records":[{"data":"aGk"}]}`, def, 0, "cannot decode Firehose request: records[0]: data is not valid base64: illegal base64 data at input byte 0")
	f(`{"requestId":"r","records":[{"data":"aGVsbG8"}]}`, def, 0, "cannot decode Firehose request: records[0]: data is not valid base64: illegal base64 data at input byte 4")
	f(`{"requestId":"r","records":[{"data":"aGk=aGk="}]}`, def, 0, "cannot decode Firehose request: records[0]: data is not valid base64: illegal base64 data at input byte 4")
	f(`{"requestId":"r","records":[{"data":"aGVsbG8-"}]}`, def, 0, "cannot decode Firehose request: records[0]: data is not valid base64: illegal base64 data at input byte 7")
	// The first bad record is named, and a bad envelope before any record.
	f(`{"requestId":"r","records":[{"data":"aGk="},{"data":1},{}]}`, def, 1, "cannot decode Firehose request: records[1]: data: want string, got number")
	f(`{"requestId":"r","records":[{}],"timestamp":"x"}`, def, -1, "cannot decode Firehose request: timestamp: want integer, got string")

	// Limits.
	f(string(readTestdata(t, "firehose-aws-example.json")), Limits{MaxRecords: 1}, -1, "cannot decode Firehose request: 2 records, more than the limit of 1")
	f(firehoseString(t, 10001), def, -1, "cannot decode Firehose request: 10001 records, more than the limit of 10000")
	f(string(readTestdata(t, "firehose-aws-example.json")), Limits{MaxRecordBytes: 10}, 1, "cannot decode Firehose request: records[1]: data decodes to 11 bytes, more than the limit of 10")
	big := make([]byte, 1000*1024+1)
	f(string(firehoseBody("r", 1, []byte("ok"), big)), def, 1, "cannot decode Firehose request: records[1]: data decodes to 1024001 bytes, more than the limit of 1024000")
}

// TestDecodeRecords decodes a Firehose request carrying CloudWatch Logs
// documents in every shape a record can take.
func TestDecodeRecords(t *testing.T) {
	body := readTestdata(t, "firehose-cwl.json")
	dec := NewDecoder(DefaultLimits())
	req, err := dec.DecodeFirehoseRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	if req.RequestID != "ed4acda5-034f-9f42-bba1-f29aea6d7d8f" || req.Timestamp != 1578090901599 || len(req.Records) != 7 {
		t.Fatalf("got %q %d, %d records", req.RequestID, req.Timestamp, len(req.Records))
	}
	docs, err := dec.DecodeRecords(req.Records, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkDocs(t, docs,
		cloudtrailDoc(), vpcDoc(), controlDoc(), lambdaTestDoc(), // one gzip'd document each
		cloudtrailDoc(), lambdaTestDoc(), // two gzip members
		vpcDoc(), controlDoc(), // two lines in one member
		lambdaTestDoc(), // uncompressed
	)
	n := 0
	for _, d := range docs {
		if !d.IsControl() {
			n += len(d.LogEvents)
		}
	}
	if n != 3+2+6+3+6+2+6 {
		t.Fatalf("%d data events", n)
	}

	f := func(records []string, want string) {
		t.Helper()
		recs := make([][]byte, len(records))
		for i, r := range records {
			recs[i] = []byte(r)
		}
		_, err := dec.DecodeRecords(recs, nil)
		if err == nil || err.Error() != want {
			t.Fatalf("DecodeRecords: got %v, want %q", err, want)
		}
	}
	control := string(readTestdata(t, "cwl-control-message.json"))
	f([]string{control, `{"messageType":"FOO"}`}, `cannot decode Firehose request: records[1]: document 0: unknown messageType "FOO"`)
	f([]string{control, control + `{"messageType":"FOO"}`}, `cannot decode Firehose request: records[1]: document 1: unknown messageType "FOO"`)
	f([]string{string(gz(t, control)), string(gz(t, control))[:20]}, "cannot decode Firehose request: records[1]: gzip data is truncated")
	f([]string{""}, "cannot decode Firehose request: records[0]: data is empty")
	f([]string{"hello"}, "cannot decode Firehose request: records[0]: document 0: invalid JSON at offset 1: invalid character 'h' looking for beginning of value")
}

func ExampleDecoder_DecodeFirehoseRequest() {
	body := []byte(`{"requestId":"ed4acda5-034f-9f42-bba1-f29aea6d7d8f","timestamp":1578090901599,"records":[{"data":"aGVsbG8="},{"data":"aGVsbG8gd29ybGQ="}]}`)
	dec := NewDecoder(DefaultLimits())
	req, err := dec.DecodeFirehoseRequest(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s %q\n", req.RequestID, req.Records)
	_, err = dec.DecodeRecords(req.Records, nil)
	fmt.Println(err)
	// Output:
	// ed4acda5-034f-9f42-bba1-f29aea6d7d8f ["hello" "hello world"]
	// cannot decode Firehose request: records[0]: document 0: invalid JSON at offset 1: invalid character 'h' looking for beginning of value
}
