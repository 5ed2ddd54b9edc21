package cloudwatch

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "regenerate the generated files in testdata/")

// readTestdata returns the contents of testdata/name.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGenerateTestdata writes the generated sample bodies and fuzz seeds
// from the hand-written documents in testdata/ when run with -update:
//
//	go test ./internal/parse/cloudwatch/ -run TestGenerateTestdata -update
func TestGenerateTestdata(t *testing.T) {
	if !*update {
		t.Skip("run with -update to regenerate testdata")
	}
	cloudtrail := string(readTestdata(t, "cwl-cloudtrail-example.json"))
	vpc := string(readTestdata(t, "cwl-vpc-flow-extracted.json"))
	control := string(readTestdata(t, "cwl-control-message.json"))
	lambda := string(readTestdata(t, "cwl-lambda.json"))

	files := map[string][]byte{
		// One record per shape: gzip'd documents, several gzip members,
		// newline-separated documents in one member, plain JSON.
		"firehose-cwl.json": firehoseBody("ed4acda5-034f-9f42-bba1-f29aea6d7d8f", 1578090901599,
			gz(t, cloudtrail),
			gz(t, vpc),
			gz(t, control),
			gz(t, lambda),
			gz(t, cloudtrail, lambda),
			gz(t, strings.TrimSpace(vpc)+"\n"+strings.TrimSpace(control)+"\n"),
			[]byte(lambda),
		),
		"lambda-event.json": []byte(lambdaEvent(gz(t, lambda))),
		"lambda-batch.json": []byte("[" + lambdaEvent(gz(t, cloudtrail)) + ",\n" +
			lambdaEvent(gz(t, control)) + ",\n" + lambdaEvent(gz(t, vpc)) + "]\n"),
	}
	fuzz := map[string][]byte{
		"FuzzDecodeFirehoseRequest/aws-example": readTestdata(t, "firehose-aws-example.json"),
		"FuzzDecodeFirehoseRequest/cwl":         files["firehose-cwl.json"],
		"FuzzDecodeLambdaEvent/single":          files["lambda-event.json"],
		"FuzzDecodeLambdaEvent/batch":           files["lambda-batch.json"],
		"FuzzDecodeRecord/gzip-lambda":          gz(t, lambda),
		"FuzzDecodeRecord/gzip-multi-member":    gz(t, control, vpc),
		"FuzzDecodeRecord/plain-cloudtrail":     []byte(cloudtrail),
		"FuzzDecodeRecord/plain-newlines":       []byte(strings.TrimSpace(control) + "\n" + strings.TrimSpace(vpc) + "\n"),
	}
	for name, b := range fuzz {
		files[filepath.Join("fuzz", name)] = fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", b)
	}
	for name, b := range files {
		p := filepath.Join("testdata", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
