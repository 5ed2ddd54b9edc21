package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelog/sluice/client"
)

// readEvents reads every event the file sink wrote under dir.
func readEvents(t *testing.T, dir string) []map[string]any {
	t.Helper()
	var out []map[string]any
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || !strings.HasSuffix(path, ".ndjson") {
			return nil
		}
		b, _ := os.ReadFile(path)
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var e map[string]any
			if json.Unmarshal([]byte(line), &e) == nil {
				out = append(out, e)
			}
		}
		return nil
	})
	return out
}

func waitEvents(t *testing.T, dir string, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		evs := readEvents(t, dir)
		if len(evs) >= n || time.Now().After(deadline) {
			return evs
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestHTTPSources posts to the Firehose, CloudWatch and ingest endpoints of
// a running sluice with real clients: curl with the example bodies, and the
// Go client through slog.
func TestHTTPSources(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	port := freePort(t)
	cfg := fmt.Sprintf(`data_dir: %s
http: {listen: "127.0.0.1:%d"}
auth:
  forwarder: {type: bearer, tokens: [fw-token]}
  apps: {type: bearer, tokens: [billing-token], groups: ["/app/billing*"]}
sources:
  aws: {type: firehose, access_keys: [fh-key-old, fh-key-new]}
  lambda: {type: cloudwatch, auth: forwarder}
  apps: {type: ingest, auth: apps}
sinks:
  files: {type: file, path: "%s/{group}.ndjson"}
subscriptions:
  - {sink: files, batch: {max_age: 10ms}}
`, filepath.Join(dir, "data"), port, out)
	p := start(t, dir, nil, "-config", writeConfig(t, dir, cfg))
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	curl := func(args ...string) (int, string) {
		t.Helper()
		b, err := exec.Command("curl", append([]string{"-sS", "-w", "\n%{http_code}"}, args...)...).Output()
		if err != nil {
			t.Fatalf("curl %v: %v", args, err)
		}
		s := string(b)
		i := strings.LastIndexByte(s, '\n')
		var code int
		fmt.Sscan(s[i+1:], &code)
		return code, s[:i]
	}

	// Firehose: the answer echoes the request id, as Firehose requires.
	code, body := curl("-H", "X-Amz-Firehose-Request-Id: ed4acda5-034f-9f42-bba1-f29aea6d7d8f",
		"-H", "X-Amz-Firehose-Access-Key: fh-key-new", "-H", "Content-Type: application/json",
		"-H", "X-Amz-Firehose-Source-Arn: arn:aws:firehose:eu-west-1:123456789012:deliverystream/logs",
		"--data-binary", "@../examples/firehose-request.json", base+"/firehose")
	var fh struct {
		RequestID string `json:"requestId"`
		Timestamp int64  `json:"timestamp"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &fh) != nil || fh.RequestID != "ed4acda5-034f-9f42-bba1-f29aea6d7d8f" || fh.Timestamp == 0 {
		t.Fatalf("firehose: %d %s", code, body)
	}
	if code, body := curl("-H", "X-Amz-Firehose-Request-Id: x", "-H", "X-Amz-Firehose-Access-Key: wrong",
		"--data-binary", "@../examples/firehose-request.json", base+"/firehose"); code != 401 || !strings.Contains(body, `"requestId":"x"`) {
		t.Fatalf("firehose with a wrong key: %d %s", code, body)
	}

	// CloudWatch forwarder event.
	if code, body := curl("-H", "Authorization: Bearer fw-token", "--data-binary", "@../examples/cloudwatch-event.json", base+"/cloudwatch"); code != 200 || !strings.Contains(body, `"accepted":6`) {
		t.Fatalf("cloudwatch: %d %s", code, body)
	}
	if code, _ := curl("--data-binary", "@../examples/cloudwatch-event.json", base+"/cloudwatch"); code != 401 {
		t.Fatalf("cloudwatch without a token: %d", code)
	}

	// The Go client, as an app would use it.
	c, err := client.New(base+"/ingest", client.Options{Token: "billing-token", Group: "/app/billing", Stream: "worker-1", App: "billing"})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(c.Handler(&slog.HandlerOptions{Level: slog.LevelDebug}))
	logger.Error("charge failed", "invoice", 42, slog.Group("customer", "id", 7))
	logger.Debug("retrying")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Close(ctx); err != nil {
		t.Fatalf("client Close: %v (stats %+v)", err, c.Stats())
	}
	// A token limited to /app/billing* cannot write elsewhere.
	if code, body := curl("-H", "Authorization: Bearer billing-token", "--data-binary", `{"message":"x","group":"/app/shipping"}`, base+"/ingest"); code != 403 || !strings.Contains(body, "/app/shipping") {
		t.Fatalf("ingest into a forbidden group: %d %s", code, body)
	}

	evs := waitEvents(t, out, 9+6+2)
	groups := map[string]int{}
	var charge map[string]any
	for _, e := range evs {
		groups[e["group"].(string)]++
		if e["message"] == "charge failed" {
			charge = e
		}
	}
	if groups["/aws/lambda/checkout"] != 5 || groups["/aws/lambda/resize-images"] != 4 || groups["/aws/lambda/fn"] != 6 || groups["/app/billing"] != 2 {
		t.Fatalf("events by group: %v", groups)
	}
	f, _ := charge["fields"].(map[string]any)
	if charge["severity_name"] != "error" || charge["stream"] != "worker-1" || f["invoice"] != 42.0 || f["customer.id"] != 7.0 {
		t.Fatalf("client event: %v", charge)
	}
	p.stop()
}
