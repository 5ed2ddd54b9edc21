package httpsink

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicelog/sluice/internal/event"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// dump writes a request as the golden files hold it: request line,
// headers sorted (without Content-Length, which depends on the compressor),
// a blank line, the decoded body.
func dump(r recorded) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", r.Method, r.Path)
	var names []string
	for k := range r.Header {
		if k != "Content-Length" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		for _, v := range r.Header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	b.WriteString("\n")
	b.WriteString(r.Decoded)
	return b.String()
}

// TestSumoLogicPreset checks the requests of the sumologic preset against
// testdata/sumologic.golden, and against what Sumo Logic's "Upload Logs to
// an HTTP Source" documents:
//
//	curl -v -X POST -H 'Content-Encoding:gzip' -T [local_file_name.gz] https://collectors.sumologic.com/receiver/v1/http/[UniqueHTTPCollectorCode]
//	curl -v -X POST -H 'X-Sumo-Category:myNewCategory' -T [local_file_name] https://collectors.sumologic.com/receiver/v1/http/[UniqueHTTPCollectorCode]
//
// POST of the lines to the source URL, query-less, gzip with
// Content-Encoding, one message per line, X-Sumo-* overriding metadata.
func TestSumoLogicPreset(t *testing.T) {
	events := loadEvents(t)
	ep := newEndpoint(t, endpointOpts{})
	cfg := Config{URL: ep.url()}
	if err := cfg.ApplyPreset(PresetSumoLogic); err != nil {
		t.Fatal(err)
	}
	s := newSink(t, cfg)
	if err := s.Write(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	reqs := ep.requests()
	var got strings.Builder
	for i, r := range reqs {
		if i > 0 {
			got.WriteString("----\n")
		}
		got.WriteString(dump(r))
	}
	golden := filepath.Join("testdata", "sumologic.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got.String()); diff != "" {
		t.Errorf("requests differ from %s (-want +got):\n%s", golden, diff)
	}

	// What the documentation asks, independently of the golden file.
	stamp := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z `) // yyyy-MM-dd'T'HH:mm:ss.SSS'Z'
	lines := 0
	for i, r := range reqs {
		if r.Method != http.MethodPost || r.Path != "/receiver/v1/http/"+secretCode || r.Query != "" {
			t.Errorf("request %d: %s %s?%s", i, r.Method, r.Path, r.Query)
		}
		if r.Header.Get("Content-Encoding") != "gzip" || len(r.Body) == len(r.Decoded) {
			t.Errorf("request %d: not gzip", i)
		}
		if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/vnd.sumologic.") {
			t.Errorf("request %d: Content-Type %q would make Sumo read metrics", i, ct)
		}
		if !utf8.ValidString(r.Decoded) || len(r.Decoded) > 1_000_000 {
			t.Errorf("request %d: body not UTF-8 or above 1 MB", i)
		}
		for _, line := range strings.SplitAfter(r.Decoded, "\n") {
			switch {
			case line == "":
			case stamp.MatchString(line):
				lines++
			case strings.HasPrefix(line, "  from "): // the stack trace's continuation
			default:
				t.Errorf("request %d: line %q does not start with a timestamp", i, line)
			}
		}
	}
	if lines != len(events) {
		t.Errorf("%d messages, want %d", lines, len(events))
	}
}

// A large batch is cut into requests of at most 1,000,000 bytes before
// compression, in order.
func TestSumoLogicMaxBytes(t *testing.T) {
	base := loadEvents(t)
	var batch []event.Event
	for i := range 15000 {
		e := base[i%len(base)]
		e.Group, e.Host, e.App = "heroku/shop", "d.1", "app" // one group
		e.Message = fmt.Sprintf("%06d %s", i, e.Message)
		batch = append(batch, e)
	}
	ep := newEndpoint(t, endpointOpts{})
	cfg := Config{URL: ep.url()}
	if err := cfg.ApplyPreset(PresetSumoLogic); err != nil {
		t.Fatal(err)
	}
	s := newSink(t, cfg)
	if err := s.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	reqs := ep.requests()
	for i, r := range reqs {
		if len(r.Decoded) > SumoMaxBytes || len(r.Decoded) < SumoMaxBytes-2000 && i < len(reqs)-1 {
			t.Errorf("request %d: %d bytes; want full requests of at most %d", i, len(r.Decoded), SumoMaxBytes)
		}
		all.WriteString(r.Decoded)
	}
	if len(reqs) < 2 {
		t.Fatalf("%d requests for %d bytes", len(reqs), all.Len())
	}
	var want strings.Builder
	lt, _ := parseLine(SumoTemplate)
	for i := range batch {
		want.Write(lt.execute(nil, &batch[i]))
		want.WriteByte('\n')
	}
	if all.String() != want.String() {
		t.Error("the requests together are not the batch in order")
	}
}
