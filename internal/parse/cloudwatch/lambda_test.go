package cloudwatch

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestDecodeLambdaEvent(t *testing.T) {
	cloudtrail := string(readTestdata(t, "cwl-cloudtrail-example.json"))
	control := string(readTestdata(t, "cwl-control-message.json"))
	f := func(body string, want ...Document) {
		t.Helper()
		got, err := DecodeLambdaEvent([]byte(body), DefaultLimits())
		if err != nil {
			t.Fatalf("DecodeLambdaEvent: %v", err)
		}
		checkDocs(t, got, want...)
	}
	f(string(readTestdata(t, "lambda-event.json")), lambdaTestDoc())
	f(string(readTestdata(t, "lambda-batch.json")), cloudtrailDoc(), controlDoc(), vpcDoc())
	f(`[]`, []Document{}...)
	f(" [ ] \n")
	f(lambdaEvent(gz(t, cloudtrail, control)), cloudtrailDoc(), controlDoc())
	f(`{"awslogs":{"data":"`+b64(gz(t, control))+`","extra":1},"other":{}}`, controlDoc())
	f(` {"awslogs": {"data": "`+strings.ReplaceAll(b64(gz(t, control)), "/", `\/`)+`"}} `, controlDoc())
}

func TestDecodeLambdaEventErrors(t *testing.T) {
	lambda := string(readTestdata(t, "cwl-lambda.json"))
	ok := lambdaEvent(gz(t, lambda))
	f := func(body string, lim Limits, wantIndex, wantDoc int, want string) {
		t.Helper()
		docs, err := DecodeLambdaEvent([]byte(body), lim)
		if err == nil {
			t.Fatalf("DecodeLambdaEvent: no error, docs %+v", docs)
		}
		if err.Error() != want {
			t.Fatalf("DecodeLambdaEvent error\ngot  %q\nwant %q", err, want)
		}
		var de *DecodeError
		if !errors.As(err, &de) || de.Input != InputLambdaEvent || de.Index != wantIndex || de.Document != wantDoc {
			t.Fatalf("got %#v, want a Lambda *DecodeError with Index %d Document %d", err, wantIndex, wantDoc)
		}
	}
	def := DefaultLimits()
	// The body.
	f(``, def, -1, -1, "cannot decode Lambda event: body is empty")
	f(`{`, def, -1, -1, "cannot decode Lambda event: invalid JSON at offset 1: unexpected end of JSON input")
	f(`[`+ok, def, -1, -1, fmt.Sprintf("cannot decode Lambda event: invalid JSON at offset %d: unexpected end of JSON input", len(ok)+1))
	f(`awslogs`, def, -1, -1, "cannot decode Lambda event: invalid JSON at offset 1: invalid character 'a' looking for beginning of value")
	f(`"awslogs"`, def, -1, -1, "cannot decode Lambda event: want a JSON object or array, got string")
	f(`null`, def, -1, -1, "cannot decode Lambda event: want a JSON object or array, got null")
	f(ok+ok, def, -1, -1, fmt.Sprintf("cannot decode Lambda event: invalid JSON at offset %d: invalid character '{' after top-level value", len(ok)+1))

	// awslogs and awslogs.data.
	f(`{}`, def, -1, -1, "cannot decode Lambda event: awslogs is missing")
	f(`{"awslogs":null}`, def, -1, -1, "cannot decode Lambda event: awslogs is missing")
	f(`{"awslogs":"H4sI"}`, def, -1, -1, "cannot decode Lambda event: awslogs: want object, got string")
	f(`{"awslogs":{}}`, def, -1, -1, "cannot decode Lambda event: awslogs.data is missing")
	f(`{"awslogs":{"data":null}}`, def, -1, -1, "cannot decode Lambda event: awslogs.data is missing")
	f(`{"awslogs":{"data":1}}`, def, -1, -1, "cannot decode Lambda event: awslogs.data: want string, got number")
	f(`{"awslogs":{"data":{}}}`, def, -1, -1, "cannot decode Lambda event: awslogs.data: want string, got object")
	f(`{"awslogs":{"data":"H4sI!!!!"}}`, def, -1, -1, "cannot decode Lambda event: awslogs.data is not valid base64: illegal base64 data at input byte 4")
	f(`{"awslogs":{"data":""}}`, def, -1, -1, "cannot decode Lambda event: awslogs.data is not gzip data")
	f(lambdaEvent([]byte(lambda)), def, -1, -1, "cannot decode Lambda event: awslogs.data is not gzip data")
	good := gz(t, lambda)
	f(lambdaEvent(good[:len(good)-4]), def, -1, -1, "cannot decode Lambda event: gzip data is truncated")
	f(lambdaEvent(gz(t, "not json")), def, -1, 0, "cannot decode Lambda event: document 0: invalid JSON at offset 2: invalid character 'o' in literal null (expecting 'u')")
	f(lambdaEvent(gz(t, lambda, `{"messageType":"FOO"}`)), def, -1, 1, `cannot decode Lambda event: document 1: unknown messageType "FOO"`)
	f(lambdaEvent(gz(t, `{"messageType":"DATA_MESSAGE","logEvents":[{"timestamp":"now"}]}`)), def, -1, 0,
		"cannot decode Lambda event: document 0: logEvents.timestamp: want integer, got string")

	// Limits.
	f(ok, Limits{MaxDecompressedBytes: 1000}, -1, -1, "cannot decode Lambda event: decompressed data exceeds the limit of 1000 bytes")
	f(lambdaEvent(gz(t, strings.Repeat(" ", 17<<20))), def, -1, -1, "cannot decode Lambda event: decompressed data exceeds the limit of 16777216 bytes")
	f(ok, Limits{MaxRecordBytes: 100}, -1, -1, fmt.Sprintf("cannot decode Lambda event: awslogs.data decodes to %d bytes, more than the limit of 100", len(good)))
	f("["+ok+","+ok+","+ok+"]", Limits{MaxRecords: 2}, -1, -1, "cannot decode Lambda event: 3 elements, more than the limit of 2")

	// Batches name the element.
	f(`[`+ok+`,{"awslogs":{}}]`, def, 1, -1, "cannot decode Lambda event: element 1: awslogs.data is missing")
	f(`[`+ok+`,5]`, def, 1, -1, "cannot decode Lambda event: element 1: want object, got number")
	f(`[`+ok+`,[]]`, def, 1, -1, "cannot decode Lambda event: element 1: want object, got array")
	f(`[null]`, def, 0, -1, "cannot decode Lambda event: element 0: want object, got null")
	f(`[{"awslogs":{"data":"@"}}]`, def, 0, -1, "cannot decode Lambda event: element 0: awslogs.data is not valid base64: illegal base64 data at input byte 0")
	f(`[`+ok+`,`+ok+`,`+lambdaEvent(gz(t, `{"messageType":"X"}`))+`]`, def, 2, 0, `cannot decode Lambda event: element 2: document 0: unknown messageType "X"`)
	f(`[`+ok+`,`+lambdaEvent(good[:30])+`]`, def, 1, -1, "cannot decode Lambda event: element 1: gzip data is truncated")
	f(`[`+ok+`,`+lambdaEvent([]byte(lambda))+`]`, def, 1, -1, "cannot decode Lambda event: element 1: awslogs.data is not gzip data")
	f(`[`+ok+`,`+ok+`]`, Limits{MaxDecompressedBytes: 1000}, 0, -1, "cannot decode Lambda event: element 0: decompressed data exceeds the limit of 1000 bytes")
	f(`[`+ok+`]`, Limits{MaxRecordBytes: 100}, 0, -1, fmt.Sprintf("cannot decode Lambda event: element 0: awslogs.data decodes to %d bytes, more than the limit of 100", len(good)))
}

func ExampleDecodeLambdaEvent() {
	// {"awslogs":{"data":...}} holding a gzip'd CONTROL_MESSAGE.
	body := []byte(`{"awslogs":{"data":"H4sIAAAAAAAC/zTOz0rDQBDH8VdZ5hyk0fqHvUlJe4kWTMGDFFmTMTuY7Cw7E4uUvrusiccv84P5nGFEEdfj4SciWNjsnw8v+/r9qWqax10FBfApYMqXgafu5LT1NfcCBQzc7xJPESzM1WhCN84p04e0iaIShy0NiknAvh3/dtU3Bs15BurmudKIom6MYMv7cn17t35Yrcrrm+KflwGvtVl4ZuFZs/HYflHojUc3qDf8aToUpeDyZ7OlhJ4Fr+ByvPwGAAD//5BNkB/sAAAA"}}`)
	docs, err := DecodeLambdaEvent(body, DefaultLimits())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range docs {
		fmt.Println(d.MessageType, d.IsControl(), len(d.AppendEvents(nil, time.Now())))
	}
	// Output:
	// CONTROL_MESSAGE true 0
}
