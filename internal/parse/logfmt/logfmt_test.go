package logfmt

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sluicelog/sluice/internal/event"
)

// kv builds expected fields: key, value, type triples are written as
// "key", "value", "s"|"n"|"b".
func kv(args ...string) []event.Field {
	if len(args)%3 != 0 {
		panic("kv: need key, value, type triples")
	}
	var fs []event.Field
	for i := 0; i < len(args); i += 3 {
		typ := map[string]event.FieldType{"s": event.String, "n": event.Number, "b": event.Bool}[args[i+2]]
		fs = append(fs, event.Field{Key: args[i], Value: args[i+1], Type: typ})
	}
	return fs
}

func equalFields(a, b []event.Field) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// tableLines returns real lines used as fuzz seeds and benchmark input.
func tableLines() []string {
	return []string{
		`at=info method=GET path="/" host=myapp.herokuapp.com request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 fwd="204.204.204.204" dyno=web.1 connect=1ms service=18ms status=200 bytes=13 protocol=https`,
		`level=info msg="hello \"world\"" n=1`,
		`Started GET "/" for 127.0.0.1`,
		`source=DATABASE addon=postgresql-xyz-123 sample#db_size=14597903bytes sample#load-avg-1m=0.035`,
	}
}

func TestAppendFields(t *testing.T) {
	f := func(in string, wantOK bool, want []event.Field) {
		t.Helper()
		prefix := []event.Field{{Key: "keep", Value: "me"}}
		got, ok := AppendFields(append([]event.Field(nil), prefix...), in)
		if ok != wantOK {
			t.Fatalf("AppendFields(%q): ok=%v, want %v (fields %v)", in, ok, wantOK, got)
		}
		if got[0] != prefix[0] {
			t.Fatalf("AppendFields(%q) changed dst[0]: %v", in, got[0])
		}
		if !equalFields(got[1:], want) {
			t.Fatalf("AppendFields(%q):\n got %v\nwant %v", in, got[1:], want)
		}
	}

	// Heroku router lines.
	f(`at=info method=GET path="/" host=myapp.herokuapp.com request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 fwd="204.204.204.204" dyno=web.1 connect=1ms service=18ms status=200 bytes=13 protocol=https`, true, kv(
		"at", "info", "s", "method", "GET", "s", "path", "/", "s", "host", "myapp.herokuapp.com", "s",
		"request_id", "8601b555-6a83-4c12-8269-97c8e32cdb22", "s", "fwd", "204.204.204.204", "s",
		"dyno", "web.1", "s", "connect", "1ms", "s", "service", "18ms", "s", "status", "200", "n",
		"bytes", "13", "n", "protocol", "https", "s"))
	f(`at=error code=H12 desc="Request timeout" method=GET path="/" host=myapp.herokuapp.com request_id=x fwd="1.2.3.4" dyno=web.1 connect=0ms service=30000ms status=503 bytes=0 protocol=https`, true, kv(
		"at", "error", "s", "code", "H12", "s", "desc", "Request timeout", "s", "method", "GET", "s",
		"path", "/", "s", "host", "myapp.herokuapp.com", "s", "request_id", "x", "s", "fwd", "1.2.3.4", "s",
		"dyno", "web.1", "s", "connect", "0ms", "s", "service", "30000ms", "s", "status", "503", "n",
		"bytes", "0", "n", "protocol", "https", "s"))
	f(`sock=client at=warning code=H27 desc="Client Request Interrupted" method=POST path="/api/v1/upload?x=1&y=2" host=api.example.com dyno= connect= service= status=499 bytes=`, true, kv(
		"sock", "client", "s", "at", "warning", "s", "code", "H27", "s", "desc", "Client Request Interrupted", "s",
		"method", "POST", "s", "path", "/api/v1/upload?x=1&y=2", "s", "host", "api.example.com", "s",
		"dyno", "", "s", "connect", "", "s", "service", "", "s", "status", "499", "n", "bytes", "", "s"))
	// Heroku Postgres / runtime metrics.
	f(`source=DATABASE addon=postgresql-xyz-123 sample#current_transaction=1873 sample#db_size=14597903bytes sample#tables=12 sample#index-cache-hit-rate=0.99952 sample#load-avg-1m=0.035 sample#memory-total=4045992kB`, true, kv(
		"source", "DATABASE", "s", "addon", "postgresql-xyz-123", "s", "sample#current_transaction", "1873", "n",
		"sample#db_size", "14597903bytes", "s", "sample#tables", "12", "n", "sample#index-cache-hit-rate", "0.99952", "n",
		"sample#load-avg-1m", "0.035", "n", "sample#memory-total", "4045992kB", "s"))
	f(`source=web.1 dyno=heroku.2808254.d97d0ea7-cf3d-411b-b453-d2943a50b456 sample#memory_total=21.00MB sample#memory_pgpgin=348836pages`, true, kv(
		"source", "web.1", "s", "dyno", "heroku.2808254.d97d0ea7-cf3d-411b-b453-d2943a50b456", "s",
		"sample#memory_total", "21.00MB", "s", "sample#memory_pgpgin", "348836pages", "s"))
	// Go kit / logrus / slog text handler style.
	f(`time=2024-05-01T12:00:00.123Z level=INFO msg="request done" duration=12.5 ok=true retried=false err=<nil>`, true, kv(
		"time", "2024-05-01T12:00:00.123Z", "s", "level", "INFO", "s", "msg", "request done", "s",
		"duration", "12.5", "n", "ok", "true", "b", "retried", "false", "b", "err", "<nil>", "s"))
	f(`ts=1714564800.123 caller=main.go:42 level=warn msg="disk \"data\" almost full\n" pct=91 used=-1 big=1e9 neg=-0.5`, true, kv(
		"ts", "1714564800.123", "n", "caller", "main.go:42", "s", "level", "warn", "s",
		"msg", "disk \"data\" almost full\n", "s", "pct", "91", "n", "used", "-1", "n", "big", "1e9", "n", "neg", "-0.5", "n"))
	// Not numbers: leading zeros, plus sign, trailing dot, hex, quoted digits.
	f(`a=007 b=+1 c=1. d=0x1f e="42" f=.5 g=1e h=True`, true, kv(
		"a", "007", "s", "b", "+1", "s", "c", "1.", "s", "d", "0x1f", "s", "e", "42", "s", "f", ".5", "s", "g", "1e", "s", "h", "True", "s"))
	// Bare keys.
	f(`level=debug msg=x dry_run`, true, kv("level", "debug", "s", "msg", "x", "s", "dry_run", "true", "b"))
	f(`a=1 b c=2`, true, kv("a", "1", "n", "b", "true", "b", "c", "2", "n"))
	f("a=1\tb=2  \t c=3\r\n", true, kv("a", "1", "n", "b", "2", "n", "c", "3", "n"))
	// Values containing '=' (base64, URLs).
	f(`token=YWJj== url=http://x/?a=b`, true, kv("token", "YWJj==", "s", "url", "http://x/?a=b", "s"))
	// Escapes: unicode, surrogate pairs, unknown escapes kept.
	f(`m="caf\u00e9 \ud83d\ude00 \q \u12 tab\there \\ \/"`, true, kv("m", "café 😀 \\q \\u12 tab\there \\ /", "s"))
	f(`m="lone \udc00 high \ud800x"`, true, kv("m", "lone \uFFFD high \uFFFDx", "s"))
	f(`m=""`, true, kv("m", "", "s"))
	f(`ключ=значение k2=v`, true, kv("ключ", "значение", "s", "k2", "v", "s"))
	f(`@timestamp=2024 _id=1 k.sub-key#x/y:z$=v`, true, kv("@timestamp", "2024", "n", "_id", "1", "n", "k.sub-key#x/y:z$", "v", "s"))

	// Not logfmt.
	f(``, false, nil)
	f(`   `, false, nil)
	f(`Started GET "/" for 127.0.0.1 at 2024-05-01 12:00:00 +0000`, false, nil)
	f(`Started GET /`, false, nil)
	f(`State changed from up to crashed`, false, nil)
	f(`Error R14 (Memory quota exceeded)`, false, nil)
	f(`Processing request id=5`, false, nil)                 // first token is bare
	f(`x=1 is the answer`, false, nil)                       // more bare keys than pairs
	f(`sql_error_code = 00000 LOG:  checkpoint`, false, nil) // "=" alone
	f(`a="unterminated`, false, nil)
	f(`a="x"y`, false, nil)
	f(`a=b"c`, false, nil)
	f(`a=1 "b"`, false, nil)
	f(`a=1 b=2 c,`, false, nil)
	f(`1=2`, false, nil)
	f(`-p=5000`, false, nil)
	f(`{"level":"info"}`, false, nil)
	f(`a="x\"`, false, nil)
	f(`a="x\`, false, nil)
	f(`=x`, false, nil)
}

func TestValue(t *testing.T) {
	f := func(in, key, want string, wantOK bool) {
		t.Helper()
		got, ok := Value(in, key)
		if got != want || ok != wantOK {
			t.Fatalf("Value(%q, %q) = %q, %v; want %q, %v", in, key, got, ok, want, wantOK)
		}
	}
	router := tableLines()[0]
	f(router, "at", "info", true)
	f(router, "status", "200", true)
	f(router, "protocol", "https", true)
	f(router, "path", "/", true)
	f(router, "fwd", "204.204.204.204", true)
	f(router, "missing", "", false)
	f(router, "stat", "", false)
	f(`a=1 a=2`, "a", "1", true)
	f(`a=1 flag`, "flag", "true", true)
	f(`a= b=2`, "a", "", true)
	f(`msg="say \"hi\"" n=1`, "msg", `say "hi"`, true)
	f(`msg="say \"hi\"" n=1`, "n", "1", true)
	f(`bad="x n=1`, "n", "", false)
	f(`Started GET /path?id=5`, "id", "", false)
	f(``, "a", "", false)
}

func TestIsNumber(t *testing.T) {
	f := func(in string, want bool) {
		t.Helper()
		if got := IsNumber(in); got != want {
			t.Fatalf("IsNumber(%q) = %v, want %v", in, got, want)
		}
		var v any
		if in == strings.TrimSpace(in) && json.Unmarshal([]byte(in), &v) == nil {
			_, isFloat := v.(float64)
			if isFloat != want {
				t.Fatalf("IsNumber(%q) = %v disagrees with encoding/json", in, want)
			}
		}
	}
	for _, s := range []string{"0", "-0", "1", "200", "12.5", "-3", "1e9", "1E+9", "2.5e-3", "0.99952", "-0.0"} {
		f(s, true)
	}
	for _, s := range []string{"", "-", "+1", "01", "1.", ".5", "1e", "1e+", "0x10", "NaN", "Infinity", "1_000", "12ms", " 1", "1 "} {
		f(s, false)
	}
}

func TestAppendFieldsAllocs(t *testing.T) {
	dst := make([]event.Field, 0, 32)
	line := tableLines()[0]
	allocs := testing.AllocsPerRun(100, func() {
		dst, _ = AppendFields(dst[:0], line)
	})
	if allocs != 0 {
		t.Fatalf("AppendFields allocated %v times per router line, want 0", allocs)
	}
	allocs = testing.AllocsPerRun(100, func() {
		_, _ = Value(line, "status")
	})
	if allocs != 0 {
		t.Fatalf("Value allocated %v times, want 0", allocs)
	}
}

// splitASCII splits s at the whitespace bytes AppendFields uses.
func splitASCII(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
	})
}

func FuzzLogfmt(f *testing.F) {
	for _, s := range tableLines() {
		f.Add(s)
	}
	f.Add(`m="caf\u00e9 \ud83d\ude00 \q"`)
	f.Add(`a=1 b c=2`)
	f.Add(`a="x\`)
	f.Fuzz(func(t *testing.T, s string) {
		fields, ok := AppendFields(nil, s)
		if !ok {
			if len(fields) != 0 {
				t.Fatalf("not ok but %d fields", len(fields))
			}
			return
		}
		if len(fields) == 0 {
			t.Fatal("ok with no fields")
		}
		for _, fl := range fields {
			if fl.Key == "" || !strings.Contains(s, fl.Key) {
				t.Fatalf("key %q not in input", fl.Key)
			}
			if fl.Type != event.Bool && !strings.Contains(s, `\`) && !strings.Contains(s, fl.Value) {
				t.Fatalf("value %q not in input", fl.Value)
			}
			switch fl.Type {
			case event.Number:
				if !json.Valid([]byte(fl.Value)) || !IsNumber(fl.Value) {
					t.Fatalf("Number field %q is not a JSON number", fl.Value)
				}
			case event.Bool:
				if fl.Value != "true" && fl.Value != "false" {
					t.Fatalf("Bool field %q", fl.Value)
				}
			}
			// Value agrees with the first field of the same key.
			for _, first := range fields {
				if first.Key == fl.Key {
					if v, ok := Value(s, fl.Key); !ok || v != first.Value {
						t.Fatalf("Value(%q) = %q, %v; field says %q", fl.Key, v, ok, first.Value)
					}
					break
				}
			}
		}
		// Differential: without quotes, every token is key=value or key,
		// and the value is exactly the substring after the first '='.
		if strings.Contains(s, `"`) {
			return
		}
		toks := splitASCII(s)
		if len(toks) != len(fields) {
			t.Fatalf("%d tokens, %d fields", len(toks), len(fields))
		}
		for i, tok := range toks {
			k, v, eq := strings.Cut(tok, "=")
			if !eq {
				v = "true"
			}
			if fields[i].Key != k || fields[i].Value != v {
				t.Fatalf("token %q parsed as %q=%q", tok, fields[i].Key, fields[i].Value)
			}
		}
	})
}
