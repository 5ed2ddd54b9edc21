package config

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// logIssEnv is a working log-iss environment.
func logIssEnv() map[string]string {
	return map[string]string{
		"PORT":         "5000",
		"FORWARD_DEST": "logs.example.com:514",
		"TOKEN_MAP":    "drain:pa55word",
		"DEPLOY":       "production",
	}
}

func TestFromLogIssEnvNotLogIss(t *testing.T) {
	for _, env := range []Env{nil, envOf(map[string]string{"PORT": "5000", "TOKEN_MAP": "a:b"})} {
		cfg, ok, err := FromLogIssEnv(env)
		if cfg != nil || ok || err != nil {
			t.Errorf("FromLogIssEnv without FORWARD_DEST = %v, %v, %v; want nil, false, nil", cfg, ok, err)
		}
	}
}

func TestFromLogIssEnv(t *testing.T) {
	cfg, ok, err := FromLogIssEnv(envOf(logIssEnv()))
	if !ok || err != nil {
		t.Fatalf("FromLogIssEnv = %v, %v", ok, err)
	}
	want := newConfig()
	want.HTTP.Listen = ":5000"
	want.HTTP.TrustedProxies = []string{"0.0.0.0/0", "::/0"}
	want.Auth["log-iss"] = Auth{Type: AuthBasic, Users: map[string]Secrets{"drain": {"pa55word"}}}
	src := newLogplexSource()
	src.Auth = "log-iss"
	src.KeepRaw = true
	want.Sources["logplex"] = Source{Type: SourceLogplex, Logplex: src}
	want.Sinks["forward"] = Sink{Type: SinkSyslog, Syslog: &SyslogSink{
		Address:        "tcp://logs.example.com:514",
		Connections:    4,
		Format:         "logiss",
		ConnectTimeout: Duration(10 * time.Second),
		WriteTimeout:   DefaultWriteTimeout,
	}}
	want.Subscriptions = []Subscription{newSubscription("forward")}
	want.Log.Attrs = map[string]string{"deploy": "production"}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("FromLogIssEnv (-want +got):\n%s", diff)
	}
}

// TestLogIssEquivalentFile checks FromLogIssEnv against
// testdata/valid/logiss.yaml, the same configuration written as a file.
func TestLogIssEquivalentFile(t *testing.T) {
	vars := testEnv(t)
	env := map[string]string{
		"PORT":                         "5000",
		"FORWARD_DEST":                 "logs.example.com:6514",
		"PEMFILE":                      vars["CERT_DIR"] + "/cert.pem",
		"FORWARD_COUNT":                "2",
		"FORWARD_DEST_CONNECT_TIMEOUT": "3s",
		"TOKEN_MAP":                    "drain:s3cret|other:t0:ken|drain:n3w",
		"HMAC_KEY":                     "ignored",
		"ENFORCE_SSL":                  "1",
		"METADATA_ID":                  "meta@53595",
		"LOG_ISS_FIELD_PARAMS":         "team;env",
		"LOG_ISS_DEBUG":                "true",
		"DEPLOY":                       "production",
		"DYNO":                         "web.1",
		"TOKEN_USER_SAMPLE_PCT":        "0",
	}
	got, ok, err := FromLogIssEnv(envOf(env))
	if !ok || err != nil {
		t.Fatalf("FromLogIssEnv = %v, %v", ok, err)
	}
	want, err := Load("testdata/valid/logiss.yaml", envOf(vars))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FromLogIssEnv differs from logiss.yaml (-file +env):\n%s", diff)
	}
}

func TestLogIssValues(t *testing.T) {
	f := func(vars map[string]string, check func(*Config) bool) {
		t.Helper()
		env := logIssEnv()
		maps.Copy(env, vars)
		for k, v := range env {
			if v == "<unset>" {
				delete(env, k)
			}
		}
		cfg, ok, err := FromLogIssEnv(envOf(env))
		if !ok || err != nil {
			t.Errorf("%v: %v, %v", vars, ok, err)
			return
		}
		if !check(cfg) {
			t.Errorf("%v: unexpected configuration:\n%s", vars, cfg.Redacted())
		}
	}
	logplex := func(c *Config) *LogplexSource { return c.Sources["logplex"].Logplex }
	forward := func(c *Config) *SyslogSink { return c.Sinks["forward"].Syslog }
	users := func(c *Config) map[string]Secrets { return c.Auth["log-iss"].Users }

	for v, want := range map[string]bool{"1": true, "true": true, "TRUE": true, "True": true, "0": false, "false": false} {
		f(map[string]string{"ENFORCE_SSL": v}, func(c *Config) bool { return logplex(c).EnforceHTTPS == want })
	}
	f(map[string]string{"ENFORCE_SSL": ""}, func(c *Config) bool { return !logplex(c).EnforceHTTPS }) // empty is unset, as in log-iss
	f(map[string]string{"FORWARD_DEST_CONNECT_TIMEOUT": "1m30s"}, func(c *Config) bool { return forward(c).ConnectTimeout == Duration(90*time.Second) })
	f(map[string]string{"FORWARD_COUNT": "16"}, func(c *Config) bool { return forward(c).Connections == 16 })
	f(map[string]string{"FORWARD_DEST": "[2001:db8::1]:6514"}, func(c *Config) bool { return forward(c).Address == "tcp://[2001:db8::1]:6514" })
	f(map[string]string{"METADATA_ID": "m@1", "LOG_ISS_QUERY_PARAMS": "index, app", "LOG_ISS_FIELD_PARAMS": "a,b;c"}, func(c *Config) bool {
		l := logplex(c)
		return l.MetadataID == "m@1" && slices.Equal(l.QueryParams, []string{"index", "app"}) && slices.Equal(l.FieldParams, []string{"a", "b", "c"})
	})
	f(map[string]string{"METADATA_ID": "m@1"}, func(c *Config) bool {
		return slices.Equal(logplex(c).QueryParams, []string{"index", "source", "sourcetype"}) && logplex(c).FieldParams == nil
	})
	f(map[string]string{"TOKEN_MAP": "<unset>", "SLUICE_INSECURE": "true"}, func(c *Config) bool {
		return c.HTTP.Insecure && logplex(c).Auth == "" && len(c.Auth) == 0
	})
	f(map[string]string{"LOG_ISS_DEBUG": "0"}, func(c *Config) bool { return c.Log.Level == "info" })
	f(map[string]string{"DEPLOY": "<unset>"}, func(c *Config) bool { return c.Log.Attrs == nil })

	// TOKEN_MAP: | as log-iss's code splits it, or , as its README says.
	for tm, want := range map[string]map[string]Secrets{
		"a:x|b:y":   {"a": {"x"}, "b": {"y"}},
		"a:x,b:y":   {"a": {"x"}, "b": {"y"}},
		"a:x,y|b:z": {"a": {"x,y"}, "b": {"z"}}, // with |, a token may hold ,
		"a:x:y":     {"a": {"x:y"}},             // a token may hold :
		"a:1|a:2":   {"a": {"1", "2"}},          // rotation
		"a:1,a:2":   {"a": {"1", "2"}},
	} {
		f(map[string]string{"TOKEN_MAP": tm}, func(c *Config) bool { return cmp.Equal(users(c), want) })
	}
}

// TestLogIssErrors checks that every invalid value fails at start with a
// message naming the variable, the value and an example.
func TestLogIssErrors(t *testing.T) {
	pem := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(pem, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := func(vars map[string]string, wantErr ...string) {
		t.Helper()
		env := logIssEnv()
		maps.Copy(env, vars)
		for k, v := range env {
			if v == "<unset>" {
				delete(env, k)
			}
		}
		cfg, ok, err := FromLogIssEnv(envOf(env))
		if !ok || cfg != nil {
			t.Errorf("%v: FromLogIssEnv = %v, %v; want nil, true", vars, cfg, ok)
		}
		got := Errors(err)
		if len(got) != len(wantErr) {
			t.Errorf("%v: got %d errors, want %d:\n%v", vars, len(got), len(wantErr), err)
			return
		}
		for i, w := range wantErr {
			if !strings.Contains(got[i].Error(), w) {
				t.Errorf("%v: error %d:\n got: %v\nwant: …%s…", vars, i, got[i], w)
			}
		}
		if strings.Contains(err.Error(), "pa55word") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%v: error shows a token: %v", vars, err)
		}
	}
	f(map[string]string{"PORT": "<unset>"}, "cannot run as log-iss without PORT: it is the port to listen on, on every interface, as log-iss does; e.g. PORT=5000")
	f(map[string]string{"PORT": "http"}, `cannot use PORT="http": want a port number from 1 to 65535; e.g. PORT=5000`)
	f(map[string]string{"PORT": "0"}, `cannot use PORT="0"`)
	f(map[string]string{"PORT": "65536"}, `cannot use PORT="65536"`)
	f(map[string]string{"FORWARD_DEST": ""}, "cannot run as log-iss without FORWARD_DEST: it is the host:port of the syslog server to forward to; e.g. FORWARD_DEST=logs.example.com:6514")
	f(map[string]string{"FORWARD_DEST": "logs.example.com"}, `cannot use FORWARD_DEST="logs.example.com": want host:port of the syslog server, without a scheme; e.g. FORWARD_DEST=logs.example.com:6514`)
	f(map[string]string{"FORWARD_DEST": "tcp://logs.example.com:514"}, `cannot use FORWARD_DEST="tcp://logs.example.com:514"`)
	f(map[string]string{"FORWARD_DEST": ":514"}, `cannot use FORWARD_DEST=":514"`)
	f(map[string]string{"FORWARD_DEST_CONNECT_TIMEOUT": "10"}, `cannot use FORWARD_DEST_CONNECT_TIMEOUT="10": a duration needs a unit (log-iss silently read this as no timeout at all; its oldest versions as seconds); e.g. FORWARD_DEST_CONNECT_TIMEOUT=10s`)
	f(map[string]string{"FORWARD_DEST_CONNECT_TIMEOUT": "ten"}, `cannot use FORWARD_DEST_CONNECT_TIMEOUT="ten": want a Go duration; e.g. FORWARD_DEST_CONNECT_TIMEOUT=10s`)
	f(map[string]string{"FORWARD_DEST_CONNECT_TIMEOUT": "0s"}, `cannot use FORWARD_DEST_CONNECT_TIMEOUT="0s": want a positive duration`)
	f(map[string]string{"FORWARD_DEST_CONNECT_TIMEOUT": "-1s"}, `cannot use FORWARD_DEST_CONNECT_TIMEOUT="-1s": want a positive duration`)
	for _, n := range []string{"four", "0", "-1", "2000", "4.0"} {
		f(map[string]string{"FORWARD_COUNT": n}, `cannot use FORWARD_COUNT="`+n+`": want a number of connections from 1 to 1024 (log-iss silently used 0 for a value it could not read, and forwarded nothing); e.g. FORWARD_COUNT=4`)
	}
	f(map[string]string{"PEMFILE": "/nonexistent/ca.pem"}, `cannot use PEMFILE="/nonexistent/ca.pem": cannot read CA file: open /nonexistent/ca.pem: no such file or directory; e.g. PEMFILE=`)
	f(map[string]string{"PEMFILE": pem}, `cannot use PEMFILE="`+pem+`": cannot use `+pem+` as CA file: it holds no PEM certificate`)
	for _, v := range []string{"yes", "on", "2", "t"} {
		f(map[string]string{"ENFORCE_SSL": v}, `cannot use ENFORCE_SSL="`+v+`": want 1, 0, true or false (log-iss silently read other values as false); e.g. ENFORCE_SSL=true`)
	}
	f(map[string]string{"TOKEN_MAP": "<unset>"}, "cannot run as log-iss without TOKEN_MAP: it holds the user:token pairs drains authenticate with, and log-iss mode listens on every interface; to accept drains without credentials set SLUICE_INSECURE=true; e.g. TOKEN_MAP=drain:s3cret|other:t0ken")
	f(map[string]string{"TOKEN_MAP": "<unset>", "SLUICE_INSECURE": "false"}, "cannot run as log-iss without TOKEN_MAP")
	f(map[string]string{"TOKEN_MAP": "<unset>", "SLUICE_INSECURE": "yes"}, `cannot use SLUICE_INSECURE="yes": want 1, 0, true or false`, "cannot run as log-iss without TOKEN_MAP")
	for tm, want := range map[string]string{
		"drain":            "pair 1 of 1 is not user:token; the value is not shown as it holds secrets",
		"drain:pa55word,x": "pair 2 of 2 is not user:token (if a token contains ',', separate the pairs with | instead)",
		":pa55word":        "pair 1 of 1",
		"drain:":           "pair 1 of 1",
		"a:pa55word|":      "pair 2 of 2",
		"a:pa55word||b:c":  "pair 2 of 3",
	} {
		f(map[string]string{"TOKEN_MAP": tm}, "cannot use TOKEN_MAP: "+want)
	}
	f(map[string]string{"METADATA_ID": "a b"}, `cannot use METADATA_ID="a b": want an RFC 5424 SD-ID`)
	f(map[string]string{"LOG_ISS_FIELD_PARAMS": "team"}, `cannot use LOG_ISS_FIELD_PARAMS="team": query parameters are copied into the structured-data element METADATA_ID names, and it is not set (log-iss silently ignored them); e.g. METADATA_ID=meta@53595`)
	f(map[string]string{"LOG_ISS_QUERY_PARAMS": "index"}, `cannot use LOG_ISS_QUERY_PARAMS="index"`)
	f(map[string]string{"METADATA_ID": "m", "LOG_ISS_FIELD_PARAMS": "index"}, `cannot use LOG_ISS_QUERY_PARAMS="", LOG_ISS_FIELD_PARAMS="index": cannot copy query parameter "index" twice`)
	f(map[string]string{"LOG_ISS_DEBUG": "yes"}, `cannot use LOG_ISS_DEBUG="yes"`)
	f(map[string]string{"REDIS_URL": "redis://h:6379", "REDIS_KEY": "creds"},
		"cannot use REDIS_URL: sluice has no Redis credential store; put the tokens in TOKEN_MAP, or use a configuration file with users_file",
		"cannot use REDIS_KEY: sluice has no Redis credential store")
	f(map[string]string{"CREDENTIAL_REFRESH_INTERVAL": "1m"}, "cannot use CREDENTIAL_REFRESH_INTERVAL")
	f(map[string]string{"LIBRATO_TOKEN": "hunter2"}, "cannot use LIBRATO_TOKEN: sluice does not send metrics to Librato; it serves them at /metrics for Prometheus")
	f(map[string]string{"VALID_TOKEN_USER": "drain"}, "cannot use VALID_TOKEN_USER: sluice does not sample requests by user")
	f(map[string]string{"TOKEN_USER_SAMPLE_PCT": "50"}, `cannot use TOKEN_USER_SAMPLE_PCT="50"`)

	// All at once.
	f(map[string]string{"PORT": "x", "FORWARD_COUNT": "x", "ENFORCE_SSL": "x", "REDIS_URL": "x"},
		`PORT="x"`, `FORWARD_COUNT="x"`, `ENFORCE_SSL="x"`, "REDIS_URL")
}

// TestLogIssVariablesDocumented checks that every variable FromLogIssEnv
// reads is in LogIssVariables and in its doc comment's table.
func TestLogIssVariablesDocumented(t *testing.T) {
	var listed []string
	for _, v := range LogIssVariables() {
		if v.Name == "" || v.LogIss == "" || v.Sluice == "" {
			t.Errorf("incomplete entry %+v", v)
		}
		listed = append(listed, v.Name)
	}

	// Every variable read.
	read := map[string]bool{}
	recording := func(name string) (string, bool) {
		read[name] = true
		v, ok := logIssEnv()[name]
		return v, ok
	}
	if _, _, err := FromLogIssEnv(recording); err != nil {
		t.Fatal(err)
	}
	for name := range read {
		if !slices.Contains(listed, name) {
			t.Errorf("FromLogIssEnv reads %s, which LogIssVariables does not list", name)
		}
	}
	for _, name := range listed {
		if !read[name] && name != "DYNO" && name != "HMAC_KEY" {
			t.Errorf("LogIssVariables lists %s, which FromLogIssEnv does not read", name)
		}
	}

	// The doc comment's table.
	f, err := parser.ParseFile(token.NewFileSet(), "logiss.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var doc string
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == "LogIssVariables" {
			doc = fn.Doc.Text()
		}
	}
	for _, name := range listed {
		if !strings.Contains(doc, name) {
			t.Errorf("the doc comment of LogIssVariables does not mention %s", name)
		}
	}
}
