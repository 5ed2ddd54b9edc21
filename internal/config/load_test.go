package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTestdata loads every file in testdata/valid, which must load, and in
// testdata/invalid, which must fail with exactly the errors its
// "# error: " comments list, in order (each a substring of one error).
func TestTestdata(t *testing.T) {
	env := envOf(testEnv(t))
	valid, _ := filepath.Glob("testdata/valid/*.yaml")
	invalid, _ := filepath.Glob("testdata/invalid/*.yaml")
	if len(valid) == 0 || len(invalid) == 0 {
		t.Fatal("no testdata")
	}
	for _, file := range valid {
		t.Run(file, func(t *testing.T) {
			if _, err := Load(file, env); err != nil {
				t.Errorf("Load: %v", err)
			}
		})
	}
	for _, file := range invalid {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, line := range strings.Split(string(data), "\n") {
				if w, ok := strings.CutPrefix(line, "# error: "); ok {
					want = append(want, w)
				}
			}
			cfg, err := Load(file, env)
			if cfg != nil {
				t.Errorf("Load returned a Config with an error")
			}
			got := Errors(err)
			for i := range max(len(got), len(want)) {
				switch {
				case i >= len(got):
					t.Errorf("missing error %d: %s", i, want[i])
				case i >= len(want):
					t.Errorf("unexpected error %d: %v", i, got[i])
				case !strings.Contains(got[i].Error(), want[i]):
					t.Errorf("error %d:\n got: %v\nwant: …%s…", i, got[i], want[i])
				}
			}
		})
	}
}

// TestDesignExample loads the example of DESIGN.md: everything in it
// parses and validates, its where rule and pattern included.
func TestDesignExample(t *testing.T) {
	_, err := Load("testdata/design.yaml", envOf(testEnv(t)))
	want := []struct{ path, typ string }{}
	got := Errors(err)
	if len(got) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(got), len(want), err)
	}
	for i, w := range want {
		msg := `type "` + w.typ + `" is not built yet in this version of sluice`
		if got[i].Path != w.path || !strings.Contains(got[i].Err.Error(), msg) || got[i].Line == 0 {
			t.Errorf("error %d = %v; want %s: %s… with a line", i, got[i], w.path, msg)
		}
	}

	// Without the variables, only the built components' references are
	// errors: a component that is not built yet reports nothing else.
	_, err = Load("testdata/design.yaml", nil)
	var paths []string
	for _, e := range Errors(err) {
		paths = append(paths, e.Path)
	}
	wantPaths := "auth.drains.users.test auth.apps.tokens[0] sources.aws.access_keys[0] sinks.alerts.webhook_url"
	if strings.Join(paths, " ") != wantPaths {
		t.Errorf("without environment, errors at\n%s\nwant\n%s\n%v", strings.Join(paths, " "), wantPaths, err)
	}
}

// TestParseErrors checks problems found in small documents: f parses yaml
// and wants exactly the errors listed, each a substring of one, in order.
func TestParseErrors(t *testing.T) {
	env := envOf(map[string]string{"SET": "v", "EMPTY": ""})
	f := func(yaml string, wantErr ...string) {
		t.Helper()
		cfg, err := Parse([]byte(yaml), "t.yaml", env)
		got := Errors(err)
		if len(got) != len(wantErr) {
			t.Errorf("Parse(%q): got %d errors, want %d:\n%v", yaml, len(got), len(wantErr), err)
			return
		}
		if err != nil && cfg != nil {
			t.Errorf("Parse(%q) returned a Config with an error", yaml)
		}
		for i, w := range wantErr {
			if !strings.Contains(got[i].Error(), w) {
				t.Errorf("Parse(%q) error %d:\n got: %v\nwant: …%s…", yaml, i, got[i], w)
			}
		}
	}
	// Valid documents.
	f("log: {level: warn}")
	f("data_dir: ${EMPTY:-/data}")
	f("http: ~")
	f("subscriptions: []")
	f("http: {listen: \"127.0.0.5:${PORT:-80}\"}")
	f("http: {listen: \"[::1]:8080\"}")
	f("http: {listen: \"localhost:8080\"}")
	f("http: {listen: \":8080\"}") // no HTTP source: nothing is exposed without auth

	// Structure.
	f("", "t.yaml: cannot use an empty configuration")
	f("a: 1\n---\nb: 2", "cannot use several YAML documents")
	f("[1, 2]", "t.yaml:1:1: cannot use a list here: want a mapping")
	f("data_dir: [a]", "t.yaml:1:11: data_dir: cannot use a list here: want a string")
	f("wal: {max_bytes: {a: 1}}", "wal.max_bytes: cannot use a mapping here: want a value such as 10MiB")
	f("sources: {a: 1}", "sources.a: cannot use a number as a source: want a mapping with a type, e.g. {type: logplex, ...}")
	f("sources: {a: {path: /x}}", "t.yaml:1:14: sources.a: cannot use a source without a type: add type: one of logplex, syslog")
	f("sources: {a: {type: ~}}", "sources.a.type: cannot use an empty source type")
	f("sources: {a: ~}", "sources.a.type: cannot use a source without a type")
	f("sinks: {a: {type: [file]}}", "sinks.a.type: cannot use a list here: want a type name")
	f("a: 1\na: 2", "t.yaml:2:1: cannot parse YAML: mapping key \"a\" already defined at [1:1]")
	f("http:\n  listen: [", "t.yaml:2:11: cannot parse YAML:")

	// Unknown keys, with line and column, at every depth.
	f("http:\n  listne: x", `t.yaml:2:3: http.listne: cannot use "listne" in http: unknown key; did you mean "listen"?`)
	f("sources:\n  s:\n    type: logplex\n    auth_file: x",
		`t.yaml:4:5: sources.s.auth_file: cannot use "auth_file" in a logplex source: unknown key (known keys: auth, dedupe_window,`)
	f("auth: {a: {type: basic, users: {u: p}, token: [x]}}", `auth.a.token: cannot use "token" in auth.a: unknown key; did you mean "tokens"?`)
	f("sources: {s: {type: logplex, dedup_window: 1m}}", `t.yaml:1:30: sources.s.dedup_window: cannot use "dedup_window" in a logplex source: unknown key; did you mean "dedupe_window"?`)

	// All errors at once, in document order, across components.
	f(`
data_dir: ""
http: {listen: "nohost", shutdown_grace: 1}
auth: {a: {type: magic}}
sources:
  s: {type: logplex, auth: a, max_body_bytes: 0, dedupe_window: -1s}
sinks:
  k: {type: syslog, address: "tcp://:514", write_timeout: 0s, tls: {key_file: /k.pem}}
subscriptions:
  - {sink: k, batch: {max_events: 0, max_bytes: 0, max_age: 0s}, retry: {initial: 2s, max: 1s}}
  - {sink: nope, name: "a b"}
`,
		"t.yaml:2:11: data_dir: cannot run without a data directory",
		`t.yaml:3:16: http.listen: cannot listen on "nohost"`,
		`t.yaml:3:42: http.shutdown_grace: cannot read duration "1": it has no unit`,
		`t.yaml:4:18: auth.a.type: cannot use credential type "magic"`,
		`t.yaml:6:47: sources.s.max_body_bytes: cannot use a body limit of 0`,
		`t.yaml:6:65: sources.s.dedupe_window: cannot use a negative window (-1s)`,
		`t.yaml:8:30: sinks.k.address: cannot forward to "tcp://:514": want tcp://host:port`,
		`t.yaml:8:59: sinks.k.write_timeout: cannot use a write timeout of 0s`,
		`t.yaml:8:63: sinks.k.tls: cannot use TLS settings with tcp://:514: change the address to tls://:514`,
		`t.yaml:8:63: sinks.k.tls.cert_file: cannot use key_file without cert_file`,
		`t.yaml:10:35: subscriptions[0].batch.max_events: cannot batch 0 events`,
		`t.yaml:10:49: subscriptions[0].batch.max_bytes: cannot batch 0`,
		`t.yaml:10:61: subscriptions[0].batch.max_age: cannot use a batch age of 0s`,
		`t.yaml:10:92: subscriptions[0].retry.max: cannot use a longest wait (1s) shorter than the first (2s)`,
		`t.yaml:11:12: subscriptions[1].sink: cannot deliver to sink "nope"`,
		`t.yaml:11:24: subscriptions[1].name: cannot use "a b" as a subscription name`,
	)

	// A value that failed to decode is not also reported as missing.
	f("sources: {s: {type: logplex, path: \"${UNSET}\"}}", "sources.s.path: cannot expand ${UNSET}")
	f("auth: {a: {type: bearer, tokens: [\"${UNSET}\"]}}", "auth.a.tokens[0]: cannot expand ${UNSET}")
	f("auth: {a: {type: bearer, tokens_file: /nonexistent/tokens}}", "auth.a.tokens_file: cannot read secret file: open /nonexistent/tokens")

	// Types and values.
	f("http: {insecure: 1}", `http.insecure: cannot use "1" as a boolean: write true or false`)
	f("http: {insecure: \"${SET}\"}", `http.insecure: cannot use "v" as a boolean`)
	f("sinks: {k: {type: syslog, address: \"tcp://h:1\", connections: 1.5}}", `sinks.k.connections: cannot use "1.5" as a number`)
	f("sinks: {k: {type: syslog, address: \"tcp://h:1\", connections: 99999999999999999999}}", `sinks.k.connections: cannot use "99999999999999999999" as a number`)
	f("sinks: {k: {type: syslog, address: \"tcp://h:1\", connections: \"${N:-2}\"}}")
	f("wal: {segment_bytes: 1KiB}", "t.yaml:1:22: wal.segment_bytes: cannot use segments of 1KiB: use at least 64KiB")
	f("wal: {segment_bytes: 1GiB}", "t.yaml:1:1: wal.max_bytes: cannot cap the log at 1GiB with 1GiB segments")
	f("subscriptions: [{sink: a}, {sink: a}]\nsinks: {a: {type: file, path: x}}", `subscriptions[1].name: cannot use name "a": subscriptions[0] has it too`)
	f("subscriptions: [{sink: a}, {sink: a, name: a2}]\nsinks: {a: {type: file, path: x}}")
	f("subscriptions: [{sink: a, name: \"\"}]\nsinks: {a: {type: file, path: x}}") // empty name: the sink's
	f("auth: {a: {type: basic, users: {\"u:x\": p, v: \"\"}}}",
		`auth.a.users.u:x: cannot use "u:x" as a user name`,
		`auth.a.users.v: cannot use an empty secret`)
	f("auth: {a: {type: bearer, tokens: [x], groups: [\"/a/*/b\", \"\"]}}",
		`auth.a.groups[0]: cannot use group pattern "/a/*/b"`,
		`auth.a.groups[1]: cannot use group pattern ""`)
	f("auth: {a: {type: firehose_key, keys: [k], users: {u: p}}}", "auth.a.users: cannot use users with type firehose_key")
	f("auth: {a: {type: firehose_key}}", "auth.a.keys: cannot use firehose_key auth without keys")
	f("sources: {s: {type: logplex, drain_names: {\"d.1\": \"a/b\"}}}", `sources.s.drain_names.d.1: cannot name an app "a/b"`)
	f("sources: {s: {type: logplex, metadata_id: \"a=b\"}}", `sources.s.metadata_id: cannot use "a=b" as an SD-ID`)
	f("sources: {s: {type: logplex, metadata_id: m, query_params: [a, fields], field_params: [a]}}",
		`sources.s.query_params[1]: cannot copy query parameter "fields" as its own SD-PARAM`,
		`sources.s.field_params[0]: cannot copy query parameter "a" twice`)
	f("sources: {a: {type: logplex}, b: {type: logplex}, c: {type: logplex, path: /api/x}}",
		`t.yaml:1:31: sources.b.path: cannot serve two sources at "/logs": sources.a is there already`,
		`t.yaml:1:76: sources.c.path: cannot serve a source at "/api/x"`)
	f("sinks: {f: {type: file, path: \"\", format: csv, max_open_files: -1}}",
		"sinks.f.path: must be set",
		`sinks.f.format: cannot use "csv": want ndjson or raw`,
		"sinks.f.max_open_files:")
	f("sinks: {k: {type: syslog, address: \"tls://h:99999\"}}", `sinks.k.address: cannot forward to "tls://h:99999": want tls://host:port with a port from 1 to 65535`)
	f("sinks: {k: {type: syslog}}", "t.yaml:1:9: sinks.k.address: cannot forward without an address")
	f(`sinks: {e: {type: elasticsearch, urls: ["http://127.0.0.1:9200"], index: "mine-{app}", data_stream: logs-x-default}}`,
		"sinks.e: cannot use both index and data_stream")
	f(`sinks: {s: {type: http, preset: sumologic, url: "https://collectors.sumologic.com/receiver/v1/http/X", encoding: ndjson}, f: {type: file, path: x}}`)
}
