package elasticsearch

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

// realConfig returns the configuration of a real Elasticsearch or
// OpenSearch cluster to test against, from the environment:
//
//	SLUICE_TEST_ES_URL=http://localhost:9200   (required; the test is skipped without it)
//	SLUICE_TEST_ES_USERNAME, SLUICE_TEST_ES_PASSWORD or SLUICE_TEST_ES_API_KEY
//	SLUICE_TEST_ES_INSECURE=1                  (self-signed certificates)
//	SLUICE_TEST_ES_DATA_STREAM=logs-sluice-test (also test a data stream; the
//	    cluster needs a matching template — Elasticsearch ships one for logs-*-*)
func realConfig(t *testing.T) Config {
	t.Helper()
	u := os.Getenv("SLUICE_TEST_ES_URL")
	if u == "" {
		t.Skip("no real cluster: set SLUICE_TEST_ES_URL (e.g. http://localhost:9200 of a local Elasticsearch or OpenSearch) to run this test; " +
			"none can be installed from this machine's package registries (see the package's test report)")
	}
	return Config{
		URLs:               strings.Split(u, ","),
		Username:           os.Getenv("SLUICE_TEST_ES_USERNAME"),
		Password:           os.Getenv("SLUICE_TEST_ES_PASSWORD"),
		APIKey:             os.Getenv("SLUICE_TEST_ES_API_KEY"),
		InsecureSkipVerify: os.Getenv("SLUICE_TEST_ES_INSECURE") == "1",
		Timeout:            30 * time.Second,
	}
}

// realGet sends a GET or POST without body to the cluster with s's
// authentication and decodes the JSON answer.
func realGet(t *testing.T, s *Sink, method, path string, v any) {
	t.Helper()
	req, err := http.NewRequest(method, strings.TrimSuffix(s.cfg.URLs[0], "/")+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.auth != "" {
		req.Header.Set("Authorization", s.auth)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, body)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

func realCount(t *testing.T, s *Sink, index string) int {
	t.Helper()
	realGet(t, s, http.MethodPost, "/"+index+"/_refresh", nil)
	var c struct {
		Count int `json:"count"`
	}
	realGet(t, s, http.MethodGet, "/"+index+"/_count", &c)
	return c.Count
}

func TestRealCluster(t *testing.T) {
	cfg := realConfig(t)
	run := fmt.Sprintf("%d", time.Now().UnixNano())
	index := "sluice-test-" + run
	cfg.Index = index
	s := newTestSink(t, cfg)
	t.Cleanup(func() { realGet(t, s, http.MethodDelete, "/"+index, nil) })
	events := manyEvents(t, run, 500)
	for i := range events {
		events[i].Fields = append(events[i].Fields, event.Field{Key: "n", Value: fmt.Sprint(i), Type: event.Number})
	}
	ctx := context.Background()
	for range 2 { // the replay replaces, it does not duplicate
		if err := s.Write(ctx, events); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if n := realCount(t, s, index); n != len(events) {
		t.Errorf("%d documents after a replay, want %d", n, len(events))
	}
	// A mapping conflict is refused for good with the cluster's reason.
	bad := manyEvents(t, run+"-bad", 2)
	bad[1].Fields = append(bad[1].Fields, event.Field{Key: "n", Value: "not a number"})
	err := s.Write(ctx, bad)
	idx, permanent := failedIndexes(t, err)
	if len(idx) != 1 || idx[0] != 1 || permanent != 1 {
		t.Fatalf("Write with a mapping conflict: %v", err)
	}
	if msg := itemErr(t, err, 1).Error(); !strings.Contains(msg, "400") || !strings.Contains(msg, "parsing_exception") {
		t.Errorf("reason %q", msg)
	}

	ds := os.Getenv("SLUICE_TEST_ES_DATA_STREAM")
	if ds == "" {
		t.Log("SLUICE_TEST_ES_DATA_STREAM not set: data stream not tested")
		return
	}
	cfg.Index, cfg.DataStream = "", ds
	d := newTestSink(t, cfg)
	t.Cleanup(func() { realGet(t, d, http.MethodDelete, "/_data_stream/"+ds, nil) })
	before := realCountOrZero(t, d, ds)
	for range 2 {
		if err := d.Write(ctx, events[:100]); err != nil {
			t.Fatalf("Write to the data stream: %v", err)
		}
	}
	if st := d.Stats(); st.Duplicates != 100 || st.Indexed != 100 {
		t.Errorf("data stream Stats = %+v, want 100 indexed and 100 duplicates", st)
	}
	if n := realCount(t, d, ds) - before; n != 100 {
		t.Errorf("%d documents added to the data stream, want 100", n)
	}
}

func realCountOrZero(t *testing.T, s *Sink, index string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, strings.TrimSuffix(s.cfg.URLs[0], "/")+"/"+index+"/_count", nil)
	if s.auth != "" {
		req.Header.Set("Authorization", s.auth)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct {
		Count int `json:"count"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&c) != nil {
		return 0
	}
	return c.Count
}
