package httpsink

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sluicelog/sluice/internal/event"
)

const sumoURL = "https://collectors.sumologic.com/receiver/v1/http/" + secretCode

func TestConfigValidate(t *testing.T) {
	// f: want lists substrings of the error; none: valid.
	f := func(cfg Config, want ...string) {
		t.Helper()
		err := cfg.Validate()
		if len(want) == 0 {
			if err != nil {
				t.Errorf("Validate(%v) = %v", cfg, err)
			}
			return
		}
		if err == nil {
			t.Fatalf("Validate(%v) = nil, want %q", cfg, want)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Validate = %v, want it to mention %q", err, w)
			}
		}
		checkNoSecret(t, err.Error())
	}
	f(Config{URL: sumoURL})
	f(Config{URL: "http://127.0.0.1:8080/ingest?x=1", Method: "put", Encoding: EncodingJSON, Gzip: true, MaxBytes: 1, Timeout: time.Second})
	f(Config{URL: sumoURL, Encoding: EncodingText, Template: "{time} {severity} {app}[{proc}]: {message} %Y"})
	f(Config{URL: sumoURL, Headers: map[string]string{"X-Sumo-Category": "heroku/{app}/{fields.level}", "Content-Type": "text/x", "Authorization": "Bearer {t%"}})
	f(Config{URL: sumoURL, Username: "u", Password: "p", CAFile: "ca.pem", CertFile: "c.pem", KeyFile: "k.pem", ServerName: "x", InsecureSkipVerify: true})
	f(Config{}, "cannot use url: it must be set")
	f(Config{URL: "ftp://h/" + secretCode}, "want an http:// or https:// URL")
	f(Config{URL: "https:///receiver/v1/http/" + secretCode}, "cannot use url https://: it has no host")
	f(Config{URL: "https://h/ /receiver/" + secretCode + "\x7f"}, "does not parse")
	f(Config{URL: "collectors.sumologic.com/receiver/v1/http/" + secretCode}, "want an http:// or https:// URL")
	f(Config{URL: sumoURL, Method: "GET"}, `method "GET": want POST or PUT`)
	f(Config{URL: sumoURL, Encoding: "xml"}, `encoding "xml"`)
	f(Config{URL: sumoURL, Template: "{message}"}, "a line template is for encoding text")
	f(Config{URL: sumoURL, Encoding: EncodingText, Template: "{msg}"}, `cannot use template "{msg}"`, "unknown placeholder {msg}")
	f(Config{URL: sumoURL, Headers: map[string]string{"X Bad": "v"}}, `cannot use header "X Bad"`)
	f(Config{URL: sumoURL, Headers: map[string]string{"": "v"}}, `cannot use header ""`)
	f(Config{URL: sumoURL, Headers: map[string]string{"content-length": "1"}}, "cannot set header Content-Length: the sink sets it")
	f(Config{URL: sumoURL, Headers: map[string]string{"Content-Encoding": "br"}}, "cannot set header Content-Encoding")
	f(Config{URL: sumoURL, Headers: map[string]string{"X-A": "{app", "x-a": "b"}}, `headers "X-A" and "x-a"`, "not closed")
	f(Config{URL: sumoURL, Headers: map[string]string{"Authorization": "x"}, BearerToken: "t"}, "cannot set header Authorization with username or bearer_token")
	f(Config{URL: "http://h/" + secretCode, CAFile: "ca.pem"}, "cannot use TLS settings with url http://h: use an https:// url")
	// Everything wrong at once.
	f(Config{URL: sumoURL, MaxBytes: -1, Timeout: -1, Password: "p", Username: "", CertFile: "c.pem"},
		"max_bytes -1", "timeout -1ns", "password without username", "cert_file and key_file")
	f(Config{URL: sumoURL, Username: "u", BearerToken: "t"}, "both basic and bearer")
	f(Config{URL: sumoURL, Username: "a:b", Password: "p\n"}, "cannot use username: basic authentication allows no colon", "cannot use password: it holds a control character")
	f(Config{URL: sumoURL, BearerToken: "tok\n"}, "cannot use bearer_token: it holds a space or control character")
	// Credentials are never quoted, even when they do not parse.
	f(Config{URL: sumoURL, Headers: map[string]string{"Authorization": "Bearer {" + secretCode + "\n"}}, "cannot use header Authorization: its value holds a control character")
	f(Config{URL: sumoURL, Headers: map[string]string{"X-Sumo-Category": "x" + secretCode + "{app"}}, "cannot use header X-Sumo-Category: its value is not a valid template: the { at offset")
}

func TestApplyPreset(t *testing.T) {
	f := func(cfg Config, want Config) {
		t.Helper()
		if err := cfg.ApplyPreset(PresetSumoLogic); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, cfg); diff != "" {
			t.Errorf("ApplyPreset (-want +got):\n%s", diff)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("Validate after ApplyPreset = %v", err)
		}
	}
	sumo := func(headers map[string]string) Config {
		return Config{URL: sumoURL, Method: "POST", Encoding: EncodingText, Template: "{time} {proc} {message}", Gzip: true, MaxBytes: 1_000_000, Headers: headers}
	}
	f(Config{URL: sumoURL}, sumo(map[string]string{"X-Sumo-Category": "{group}", "X-Sumo-Host": "{host}", "X-Sumo-Name": "{app}"}))
	// The user's headers stay, in whatever case they are written.
	f(Config{URL: sumoURL, Method: "PUT", Encoding: EncodingJSON, Headers: map[string]string{"x-sumo-category": "prod/heroku/{app}", "X-Sumo-Fields": "env=prod"}},
		sumo(map[string]string{"x-sumo-category": "prod/heroku/{app}", "X-Sumo-Fields": "env=prod", "X-Sumo-Host": "{host}", "X-Sumo-Name": "{app}"}))

	c := Config{URL: sumoURL}
	if err := c.ApplyPreset(""); err != nil || c.Headers != nil {
		t.Errorf("ApplyPreset(\"\") = %v, %+v", err, c)
	}
	if err := c.ApplyPreset("splunk"); err == nil || !strings.Contains(err.Error(), `cannot apply preset "splunk": unknown; known is sumologic`) {
		t.Errorf("ApplyPreset(splunk) = %v", err)
	}
}

// The URL is a secret: only scheme://host is shown.
func TestConfigShowsNoSecrets(t *testing.T) {
	c := Config{URL: "https://collectors.sumologic.com:8443/receiver/v1/http/" + secretCode, Password: "hunter2", Username: "u", BearerToken: "tok3n"}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("sink", "config", c)
	for _, s := range []string{c.String(), fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%v", &c), logged.String()} {
		checkNoSecret(t, s)
		if strings.Contains(s, "hunter2") || strings.Contains(s, "tok3n") {
			t.Errorf("a secret shows in %q", s)
		}
		if !strings.Contains(s, "https://collectors.sumologic.com:8443") {
			t.Errorf("%q does not name the endpoint", s)
		}
	}
	if got := c.Endpoint(); got != "https://collectors.sumologic.com:8443" {
		t.Errorf("Endpoint = %q", got)
	}
	if got := (&Config{URL: "::"}).Endpoint(); got != "" {
		t.Errorf("Endpoint of a bad URL = %q", got)
	}
	c.BearerToken = ""
	s := newSink(t, c)
	if got := s.Endpoint(); got != "https://collectors.sumologic.com:8443" {
		t.Errorf("Sink.Endpoint = %q", got)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 7, 4, 5, 6, 0, time.UTC)
	f := func(v string, want time.Duration) {
		t.Helper()
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", v, got, want)
		}
	}
	f("", 0)
	f("0", 0)
	f("7", 7*time.Second)
	f(" 120 ", 2*time.Minute)
	f("599", 599*time.Second)
	f("600", MaxRetryAfter)
	f("99999999999999999999999", MaxRetryAfter)
	f("-5", 0)
	f("1.5", 0)
	f("5s", 0)
	f("Sat, 07 Mar 2026 04:06:36 GMT", 90*time.Second) // IMF-fixdate
	f("Saturday, 07-Mar-26 04:05:16 GMT", 10*time.Second)
	f("Sat Mar  7 04:05:46 2026", 40*time.Second) // asctime
	f("Sat, 07 Mar 2026 04:05:00 GMT", 0)         // past
	f("Sun, 08 Mar 2026 04:05:06 GMT", MaxRetryAfter)
	f("tomorrow", 0)
}

func TestLineTemplate(t *testing.T) {
	events := loadEvents(t)
	f := func(text string, i int, want string) {
		t.Helper()
		lt, err := parseLine(text)
		if err != nil {
			t.Fatalf("parseLine(%q): %v", text, err)
		}
		if got := string(lt.execute(nil, &events[i])); got != want {
			t.Errorf("%q on event %d = %q, want %q", text, i, got, want)
		}
	}
	f("{message}", 3, "State changed from starting to up")
	f("{time} {proc} {message}", 3, "2026-03-07T04:05:08.250Z web.1 State changed from starting to up")
	f("{time} {proc} {message}", 4, "2026-03-07T04:05:09.811Z  REPORT RequestId: 3f1c2b4a-8d7e-4f6a-9b0c-1d2e3f4a5b6c\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 128 MB\tMax Memory Used: 71 MB\t")
	f("{app}[{proc}]: {message}{message}", 5, "postgres[2213]: checkpoints are occurring too frequently (9 seconds apart) — consider increasing max_wal_size"+
		"checkpoints are occurring too frequently (9 seconds apart) — consider increasing max_wal_size")
	f("%Y.%m.%d {time}|{fields.invoice}", 6, "0001.01.01 2026-03-07T04:05:12.500Z|INV-2026-0042")
	f("{severity}", 2, "error")
	f("", 2, "")
	f("{time}", 0, "2026-03-07T04:05:06.123Z")
	// Neither an event time nor a receive time: {time} is empty.
	lt, _ := parseLine("[{time}]")
	if got := string(lt.execute(nil, &event.Event{Message: "m"})); got != "[]" {
		t.Errorf("[{time}] without times = %q", got)
	}
}

// appendTime writes what AppendFormat(TimeFormat) writes.
func TestAppendTime(t *testing.T) {
	f := func(tm time.Time) {
		t.Helper()
		want := tm.UTC().Format(TimeFormat)
		if got := string(appendTime(nil, tm)); got != want {
			t.Errorf("appendTime(%v) = %q, want %q", tm, got, want)
		}
	}
	f(time.Date(2026, 3, 7, 4, 5, 6, 789_999_999, time.UTC))
	f(time.Date(2026, 12, 31, 23, 59, 59, 0, time.FixedZone("x", -3600)))
	f(time.Date(1, 1, 1, 0, 0, 0, 1e6, time.UTC))
	f(time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC))
	f(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))
	f(time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC))
	f(time.Unix(1772856306, 5e6).In(time.FixedZone("y", 5*3600+1800)))
}
