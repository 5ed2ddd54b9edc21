package jsonbody

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sluicelog/sluice/internal/event"
)

// str, num, boolean and raw build expected fields.
func str(k, v string) event.Field     { return event.Field{Key: k, Value: v, Type: event.String} }
func num(k, v string) event.Field     { return event.Field{Key: k, Value: v, Type: event.Number} }
func boolean(k, v string) event.Field { return event.Field{Key: k, Value: v, Type: event.Bool} }
func raw(k, v string) event.Field     { return event.Field{Key: k, Value: v, Type: event.JSON} }

// appendFieldsCases calls f with real log lines and edge cases and the
// fields AppendFields must return; TestAppendFields checks them and
// FuzzAppendFields is seeded with them.
func appendFieldsCases(f func(in string, want ...event.Field)) {
	// pino
	f(`{"level":50,"time":1714564800123,"pid":1,"hostname":"web.1","msg":"boom"}`,
		num("level", "50"), num("time", "1714564800123"), num("pid", "1"), str("hostname", "web.1"), str("msg", "boom"))
	// bunyan
	f(`{"name":"api","hostname":"web.1","pid":4,"level":40,"msg":"slow query","time":"2024-05-01T12:00:00.123Z","v":0}`,
		str("name", "api"), str("hostname", "web.1"), num("pid", "4"), num("level", "40"), str("msg", "slow query"), str("time", "2024-05-01T12:00:00.123Z"), num("v", "0"))
	// zap production
	f(`{"level":"error","ts":1714564800.123,"caller":"main.go:12","msg":"x","error":"dial tcp: i/o timeout","stacktrace":"main.main\n\t/app/main.go:12"}`,
		str("level", "error"), num("ts", "1714564800.123"), str("caller", "main.go:12"), str("msg", "x"), str("error", "dial tcp: i/o timeout"), str("stacktrace", "main.main\n\t/app/main.go:12"))
	// slog JSONHandler with a group and typed attributes
	f(`{"time":"2024-05-01T12:00:00Z","level":"WARN","msg":"x","req":{"method":"GET","path":"/"},"ok":false,"n":-1.5e-3}`,
		str("time", "2024-05-01T12:00:00Z"), str("level", "WARN"), str("msg", "x"), raw("req", `{"method":"GET","path":"/"}`), boolean("ok", "false"), num("n", "-1.5e-3"))
	// logrus with an HTML-escaped message, a null and an array
	f(`{"level":"warning","msg":"a \u003c b \u0026 \"c\"","time":"2024-05-01T12:00:00Z","user":null,"tags":["a",1,[]]}`,
		str("level", "warning"), str("msg", `a < b & "c"`), str("time", "2024-05-01T12:00:00Z"), raw("user", "null"), raw("tags", `["a",1,[]]`))
	// python-json-logger, non-ASCII and an emoji as a surrogate pair
	f(`{"asctime": "2024-05-01 12:00:00,123", "levelname": "WARNING", "message": "caf\u00e9 ☕ \ud83d\ude00"}`,
		str("asctime", "2024-05-01 12:00:00,123"), str("levelname", "WARNING"), str("message", "café ☕ 😀"))
	// Serilog compact (CLEF)
	f(`{"@t":"2024-05-01T12:00:00.1234567Z","@mt":"Disk {Pct}% full","@l":"Warning","Pct":91}`,
		str("@t", "2024-05-01T12:00:00.1234567Z"), str("@mt", "Disk {Pct}% full"), str("@l", "Warning"), num("Pct", "91"))
	// whitespace everywhere, an escaped key, a duplicate key
	f(" \t\r\n{ \"a\" : true , \"b\\u0062\" :\n\"\" ,\"a\":{ } }\n ",
		boolean("a", "true"), str("bb", ""), raw("a", "{ }"))
	f(`{}`)
	f(` { } `)
	// lone surrogates and invalid UTF-8 become U+FFFD, one per byte
	f("{\"s\":\"\\ud800x\\udc00\\ud800\\u0041\xff\xfe\"}", str("s", "\uFFFDx\uFFFD\uFFFDA\uFFFD\uFFFD"))
	f("{\"\xed\xa0\x80\":1}", num("\uFFFD\uFFFD\uFFFD", "1"))
	f(`{"path":"\/a\/b","ctl":"\b\f\n\r\t","nul":"\u0000"}`, str("path", "/a/b"), str("ctl", "\b\f\n\r\t"), str("nul", "\x00"))
	f(`{"big":12345678901234567890123,"zero":0,"neg":-0.0,"e":1E+2,"f":2e-0}`,
		num("big", "12345678901234567890123"), num("zero", "0"), num("neg", "-0.0"), num("e", "1E+2"), num("f", "2e-0"))
}

func TestAppendFields(t *testing.T) {
	appendFieldsCases(func(in string, want ...event.Field) {
		t.Helper()
		got, err := AppendFields(nil, in)
		if err != nil {
			t.Errorf("AppendFields(%q): %v", in, err)
			return
		}
		if !equalFields(got, want) {
			t.Errorf("AppendFields(%q)\n got %q\nwant %q", in, got, want)
		}
	})
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

func TestAppendFieldsKeepsDst(t *testing.T) {
	dst := []event.Field{str("x", "y")}
	got, err := AppendFields(dst, `{"a":1}`)
	if err != nil || !equalFields(got, []event.Field{str("x", "y"), num("a", "1")}) {
		t.Fatalf("got %q, %v", got, err)
	}
	got, err = AppendFields(got, `{"a":1,"b":`)
	if err == nil || !equalFields(got, []event.Field{str("x", "y"), num("a", "1")}) {
		t.Fatalf("on error got %q, %v; want dst unchanged", got, err)
	}
}

func TestErrors(t *testing.T) {
	f := func(in string, offset int, reason string) {
		t.Helper()
		_, err := AppendFields(nil, in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("AppendFields(%q) error = %v, want *SyntaxError", in, err)
		}
		if se.Offset != offset || se.Reason != reason {
			t.Errorf("AppendFields(%q) = %d %q, want %d %q", in, se.Offset, se.Reason, offset, reason)
		}
		if json.Valid([]byte(in)) && strings.HasPrefix(strings.TrimLeft(in, " \t\r\n"), "{") {
			t.Errorf("json.Valid accepts %q", in)
		}
	}
	f(``, 0, "unexpected end of input looking for beginning of object")
	f(`  `, 2, "unexpected end of input looking for beginning of object")
	f(`[1]`, 0, "invalid character '[' looking for beginning of object")
	f(`"level: error"`, 0, `invalid character '"' looking for beginning of object`)
	f(`{`, 1, "unexpected end of input looking for beginning of object key string")
	f(`{"a"}`, 4, "invalid character '}' after object key")
	f(`{"a":}`, 5, "invalid character '}' looking for beginning of value")
	f(`{"a":1,}`, 7, "invalid character '}' looking for beginning of object key string")
	f(`{"a":1 "b":2}`, 7, `invalid character '"' after object key:value pair`)
	f(`{"a":01}`, 6, "invalid character '1' after object key:value pair")
	f(`{"a":-}`, 6, "invalid character '}' in numeric literal")
	f(`{"a":1.}`, 7, "invalid character '}' after decimal point in numeric literal")
	f(`{"a":1e}`, 7, "invalid character '}' in exponent of numeric literal")
	f(`{"a":tru}`, 8, "invalid character '}' in literal true (expecting 'e')")
	f(`{"a":nul`, 8, "unexpected end of input in literal null (expecting 'l')")
	f(`{"a":"x`, 7, "unexpected end of input in string literal")
	f("{\"a\":\"x\ty\"}", 7, `invalid character '\t' in string literal`)
	f(`{"a":"\x"}`, 7, "invalid character 'x' in string escape code")
	f(`{"a":"\u12G4"}`, 10, `invalid character 'G' in \u hexadecimal character escape`)
	f(`{"a":[1,2}`, 9, "invalid character '}' after array element")
	f(`{"a":{"b":1]}`, 11, "invalid character ']' after object key:value pair")
	f(`{"a":1}}`, 7, "invalid character '}' after top-level value")
	f(`{"a":1} {"b":2}`, 8, "invalid character '{' after top-level value")
	f("{\"a\":\xff}", 5, "invalid character byte 0xff looking for beginning of value")
	// a Heroku line truncated by Logplex
	f(`{"level":"info","msg":"GET /users?page=2 took 12`, 48, "unexpected end of input in string literal")
}

func TestErrorMessage(t *testing.T) {
	_, err := AppendFields(nil, `{"a" 1}`)
	want := "cannot parse JSON body: at byte offset 5: invalid character '1' after object key"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %s", err, want)
	}
}

func TestDepth(t *testing.T) {
	f := func(depth int, ok bool) {
		t.Helper()
		in := "{\"a\":" + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + "}"
		_, err := AppendFields(nil, in)
		if (err == nil) != ok || json.Valid([]byte(in)) != ok {
			t.Errorf("depth %d: err = %v, json.Valid = %v, want ok = %v", depth, err, json.Valid([]byte(in)), ok)
		}
	}
	f(2, true)
	f(64, true)
	f(65, true)
	f(66, true)
	f(200, true)
	f(maxDepth, true)
	f(maxDepth+1, false)
	// mixed objects and arrays past 64 levels must still match their closers
	deep := `{"a":` + strings.Repeat(`{"b":[`, 50) + "1" + strings.Repeat("]}", 50) + "}"
	if _, err := AppendFields(nil, deep); err != nil {
		t.Fatal(err)
	}
	bad := `{"a":` + strings.Repeat(`{"b":[`, 50) + "1" + strings.Repeat("]}", 49) + "}}}"
	if _, err := AppendFields(nil, bad); err == nil {
		t.Fatal("mismatched closer accepted")
	}
}

func TestLookup(t *testing.T) {
	f := func(in, key, want string, wantOK bool) {
		t.Helper()
		got, ok := Lookup(in, key)
		if got != want || ok != wantOK {
			t.Errorf("Lookup(%q, %q) = %q, %v; want %q, %v", in, key, got, ok, want, wantOK)
		}
	}
	f(`{"level":50,"msg":"boom"}`, "level", "50", true)
	f(`{"time":"2024-05-01T12:00:00Z","level":"WARN","msg":"x"}`, "level", `"WARN"`, true)
	f(`{"a":{"level":"error"}}`, "level", "", false)
	f(`{"message":"level: error"}`, "level", "", false)
	f(`{"lev\u0065l":"error"}`, "level", `"error"`, true)
	f(`{"level":1,"level":2}`, "level", "1", true) // first wins
	f(`{"caf\u00e9":1}`, "café", "1", true)
	f(`{"café":1}`, "café", "1", true)
	f(`{"log":{"level":"error"}}`, "log", `{"level":"error"}`, true)
	f(`{"level":"error","msg":"truncated…`, "level", `"error"`, true) // the rest is not read
	f(`{"msg":"truncated…`, "level", "", false)
	f(`{"a":[1,2,}`+`,"level":1}`, "level", "", false)
	f(`not json`, "level", "", false)
	f(`{"Level":"x"}`, "level", "", false)
}

func TestIterKeyIsLong(t *testing.T) {
	k := strings.Repeat("k", 100)
	in := `{"` + strings.Repeat(`\u006b`, 100) + `":1}`
	if v, ok := Lookup(in, k); !ok || v != "1" {
		t.Fatalf("Lookup long escaped key = %q, %v", v, ok)
	}
}

func TestZeroAllocs(t *testing.T) {
	const line = `{"time":"2024-05-01T12:00:00Z","level":"WARN","msg":"café","req":{"method":"GET","path":"/"},"n":[1,2]}`
	dst := make([]event.Field, 0, 16)
	if n := testing.AllocsPerRun(100, func() {
		var err error
		if dst, err = AppendFields(dst[:0], line); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("AppendFields allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() {
		if _, ok := Lookup(line, "n"); !ok {
			t.Fatal("not found")
		}
		if _, ok := Lookup(`{"\u006c":1,"l":2}`, "l"); !ok {
			t.Fatal("not found")
		}
		if _, ok := Lookup(`{"msg":"cut by the transport`, "level"); ok {
			t.Fatal("found")
		}
	}); n != 0 {
		t.Errorf("Lookup allocates %v times", n)
	}
}

// FuzzAppendFields checks AppendFields against encoding/json: it accepts
// exactly what json.Valid accepts with an object at the top level, and every
// field decodes to what encoding/json decodes for that member, in order.
func FuzzAppendFields(f *testing.F) {
	appendFieldsCases(func(in string, _ ...event.Field) { f.Add(in) })
	f.Add(`{"a":[{"b":[1,{"c":"\u00e9"}]},null,true,false,-0.5e+7]}`)
	f.Add(`{"a":1}x`)
	f.Fuzz(func(t *testing.T, in string) {
		fields, err := AppendFields(nil, in)
		top := strings.TrimLeft(in, " \t\r\n")
		wantOK := json.Valid([]byte(in)) && strings.HasPrefix(top, "{")
		if (err == nil) != wantOK {
			t.Fatalf("AppendFields(%q) error = %v, but json.Valid says object = %v", in, err, wantOK)
		}
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(in) {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		want := stdlibMembers(t, in)
		if len(fields) != len(want) {
			t.Fatalf("AppendFields(%q) gave %d fields, encoding/json %d", in, len(fields), len(want))
		}
		for i, fl := range fields {
			m := want[i]
			if fl.Key != m.key {
				t.Fatalf("field %d key %q, encoding/json %q", i, fl.Key, m.key)
			}
			if i == 0 || i == len(fields)-1 {
				if v, ok := Lookup(in, fl.Key); !ok || i == 0 && v != string(m.raw) {
					t.Fatalf("Lookup(%q, %q) = %q, %v", in, fl.Key, v, ok)
				}
			}
			switch fl.Type {
			case event.String:
				var s string
				if err := json.Unmarshal(m.raw, &s); err != nil || s != fl.Value {
					t.Fatalf("field %q = %q, encoding/json %q (%v)", fl.Key, fl.Value, s, err)
				}
				if !utf8.ValidString(fl.Value) {
					t.Fatalf("field %q has invalid UTF-8", fl.Key)
				}
			case event.Number:
				var n json.Number
				if err := json.Unmarshal(m.raw, &n); err != nil || string(n) != fl.Value {
					t.Fatalf("field %q = %q, encoding/json %q (%v)", fl.Key, fl.Value, n, err)
				}
			case event.Bool:
				var b bool
				if err := json.Unmarshal(m.raw, &b); err != nil || fl.Value != string(m.raw) {
					t.Fatalf("field %q = %q, encoding/json %s (%v)", fl.Key, fl.Value, m.raw, err)
				}
			case event.JSON:
				if fl.Value != string(m.raw) || !json.Valid(m.raw) || m.raw[0] != 'n' && m.raw[0] != '{' && m.raw[0] != '[' {
					t.Fatalf("field %q = %q, encoding/json %s", fl.Key, fl.Value, m.raw)
				}
			default:
				t.Fatalf("field %q has type %d", fl.Key, fl.Type)
			}
		}
	})
}

type member struct {
	key string
	raw json.RawMessage
}

// stdlibMembers lists the top-level members of a valid object with
// encoding/json's streaming decoder.
func stdlibMembers(t *testing.T, in string) []member {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(in))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("first token %v, %v", tok, err)
	}
	var ms []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var m member
		m.key = tok.(string)
		if err := dec.Decode(&m.raw); err != nil {
			t.Fatal(err)
		}
		m.raw = bytes.Clone(m.raw)
		ms = append(ms, m)
	}
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("trailing token: %v", err)
	}
	return ms
}
