package syslog

import (
	"bytes"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

// tableInputs returns the first argument of every f(...) call in the named
// test file whose value is a string literal or a sum of them: the inputs of
// the table tests, to seed the fuzz targets with.
func tableInputs(t testing.TB, file string) []string {
	t.Helper()
	node, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var lit func(ast.Expr) (string, bool)
	lit = func(x ast.Expr) (string, bool) {
		switch x := x.(type) {
		case *ast.BasicLit:
			if x.Kind != token.STRING {
				return "", false
			}
			s, err := strconv.Unquote(x.Value)
			return s, err == nil
		case *ast.BinaryExpr:
			a, ok1 := lit(x.X)
			b, ok2 := lit(x.Y)
			return a + b, ok1 && ok2 && x.Op == token.ADD
		}
		return "", false
	}
	ast.Inspect(node, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallExpr); ok && len(c.Args) > 0 {
			if id, ok := c.Fun.(*ast.Ident); ok && id.Name == "f" {
				if s, ok := lit(c.Args[0]); ok {
					out = append(out, s)
				}
			}
		}
		return true
	})
	if len(out) < 10 {
		t.Fatalf("only %d table inputs found in %s", len(out), file)
	}
	return out
}

func FuzzParse5424(f *testing.F) {
	for _, s := range tableInputs(f, "rfc5424_test.go") {
		f.Add(s)
	}
	for _, s := range herokuLines {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		sentinel := event.Field{Key: "sentinel"}
		e := event.Event{Host: "untouched", Fields: []event.Field{sentinel}}
		err := Parse5424(line, &e)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Column < 1 || pe.Column > len(line)+1 || pe.Reason == "" {
				t.Fatalf("bad error %#v", err)
			}
			if e.Host != "untouched" || len(e.Fields) != 1 || e.Fields[0] != sentinel {
				t.Fatalf("event changed on error: %+v", e)
			}
			if !strings.HasPrefix(err.Error(), "cannot parse RFC 5424 line: "+pe.Field+" at column ") {
				t.Fatalf("error text %q", err)
			}
			if pe.Field == fieldSD {
				t.Fatalf("STRUCTURED-DATA error %q: broken SD must become MSG", err)
			}
			return
		}
		if !e.Severity.Valid() || e.SeveritySource != event.SeverityPRI || e.Facility == event.FacilityNone || e.Facility.String() == "" {
			t.Fatalf("bad severity/facility: %+v", e)
		}
		if !e.Time.IsZero() && (e.Time.Location() != time.UTC || e.Time.UnixNano()/1e9 != e.Time.Unix()) {
			t.Fatalf("bad time %v (not representable in Unix nanoseconds)", e.Time)
		}
		for _, h := range []string{e.Host, e.App, e.Proc, e.MsgID} {
			if strings.ContainsAny(h, " \x00") || !strings.Contains(line, h) || h == "-" {
				t.Fatalf("bad header field %q in %q", h, line)
			}
		}
		if !strings.Contains(line, e.Message) || strings.HasPrefix(e.Message, utf8BOM) && !strings.Contains(line, utf8BOM+utf8BOM) {
			t.Fatalf("message %q not from line", e.Message)
		}
		if e.Fields[0] != sentinel {
			t.Fatalf("existing fields changed")
		}
		for _, fl := range e.Fields[1:] {
			// The key is an SD-ID (an element without parameters, empty
			// value) or SD-ID "." PARAM-NAME; either may contain dots.
			ok := fl.Value == "" && len(fl.Key) <= maxSDName && strings.Contains(line, "["+fl.Key)
			for i := 0; i < len(fl.Key) && !ok; i++ {
				id, name := fl.Key[:i], fl.Key[i+1:]
				ok = fl.Key[i] == '.' && id != "" && name != "" && len(id) <= maxSDName && len(name) <= maxSDName &&
					strings.Contains(line, "["+id) && strings.Contains(line, " "+name+`="`)
			}
			if !ok || fl.Type != event.String {
				t.Fatalf("bad field %+v", fl)
			}
			if !strings.Contains(line, fl.Value) && !strings.Contains(line, `\`) {
				t.Fatalf("field value %q not from line", fl.Value)
			}
		}
		// Parse agrees, and parsing is deterministic.
		if is5424(line) {
			var e2 event.Event
			e2.Fields = append(e2.Fields, sentinel)
			if err := Parse(line, &e2, time.Now()); err != nil || diffEvent(e2, e) != "" {
				t.Fatalf("Parse differs from Parse5424: %v %s", err, diffEvent(e2, e))
			}
		}
	})
}

func FuzzParse3164(f *testing.F) {
	for _, s := range tableInputs(f, "rfc3164_test.go") {
		f.Add(s)
	}
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, line string) {
		var e event.Event
		err := Parse3164(line, &e, now)
		trimmed := strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if err != nil {
			var pe *ParseError
			yearErr := errors.As(err, &pe) && pe.Field == fieldTimestamp && strings.Contains(pe.Reason, "outside the supported range") &&
				pe.Column >= 1 && pe.Column <= len(trimmed)
			if trimmed != "" && !yearErr {
				t.Fatalf("error for a non-empty line: %v", err)
			}
			if e.Message != "" || !e.Time.IsZero() {
				t.Fatalf("event changed on error: %+v", e)
			}
			return
		}
		if !e.Time.IsZero() && e.Time.UnixNano()/1e9 != e.Time.Unix() {
			t.Fatalf("time %v not representable in Unix nanoseconds", e.Time)
		}
		if trimmed == "" {
			t.Fatalf("no error for an empty line")
		}
		if !e.Severity.Valid() || e.Facility == event.FacilityNone {
			t.Fatalf("bad severity/facility: %+v", e)
		}
		if !e.Time.IsZero() && e.Time.Location() != time.UTC {
			t.Fatalf("time not in UTC: %v", e.Time)
		}
		if !e.Time.IsZero() && e.Time.Year() < 1000 && !strings.Contains(line, "T") {
			t.Fatalf("year not inferred: %v", e.Time)
		}
		for _, s := range []string{e.Host, e.App, e.Proc, e.Message} {
			if !strings.Contains(trimmed, s) {
				t.Fatalf("%q is not from the line %q", s, line)
			}
		}
		if !strings.HasSuffix(trimmed, e.Message) {
			t.Fatalf("message %q is not the end of the line %q", e.Message, line)
		}
		if e.App != "" && strings.ContainsAny(e.App, " :[") {
			t.Fatalf("bad tag %q", e.App)
		}
	})
}

func FuzzFramer(f *testing.F) {
	for _, s := range tableInputs(f, "framer_test.go") {
		f.Add([]byte(s), uint8(0), uint16(0), false)
		f.Add([]byte(s), uint8(1), uint16(10), true)
		f.Add([]byte(s), uint8(2), uint16(5), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8, max uint16, stop bool) {
		cfg := FramerConfig{Mode: FramingMode(mode % 3), MaxFrameSize: int(max)}
		if stop {
			cfg.OnBadFrame = Stop
		}
		maxSize := cfg.MaxFrameSize
		if maxSize <= 0 {
			maxSize = DefaultMaxFrameSize
		}
		run := func(r io.Reader) ([]string, int64, int) {
			fr := NewFramer(r, cfg)
			var out []string
			total := 0
			for range len(data) + 2 {
				b, err := fr.Next()
				if err == nil {
					if len(b) == 0 || len(b) > maxSize {
						t.Fatalf("frame of %d bytes (max %d)", len(b), maxSize)
					}
					if !bytes.Contains(data, b) {
						t.Fatalf("frame %q not from the input", b)
					}
					total += len(b)
					out = append(out, string(b))
					continue
				}
				var fe *FrameError
				if errors.As(err, &fe) {
					if fe.Offset < 0 || fe.Offset > int64(len(data)) {
						t.Fatalf("offset %d out of range (%d bytes)", fe.Offset, len(data))
					}
					out = append(out, err.Error())
					if !stop {
						continue
					}
				} else if err != io.EOF {
					t.Fatalf("unexpected error %v", err)
				}
				if _, err2 := fr.Next(); err2 != err {
					t.Fatalf("after %v got %v", err, err2)
				}
				if cap(fr.buf) > maxSize+maxLengthDigits+6 {
					t.Fatalf("buffer grew to %d", cap(fr.buf))
				}
				return out, fr.Skipped(), total
			}
			t.Fatalf("Framer did not end after %d calls", len(data)+2)
			return nil, 0, 0
		}
		got, skipped, total := run(bytes.NewReader(data))
		if int64(total)+skipped > int64(len(data)) {
			t.Fatalf("frames (%d) + skipped (%d) > input (%d)", total, skipped, len(data))
		}
		got1, skipped1, _ := run(iotest.OneByteReader(bytes.NewReader(data)))
		if strings.Join(got, "\x00|") != strings.Join(got1, "\x00|") || skipped != skipped1 {
			t.Fatalf("results depend on read sizes:\n%q %d\n%q %d", got, skipped, got1, skipped1)
		}
		// Without errors, octet counting agrees with SplitOctetCounted.
		if cfg.Mode == FramingOctetCounting && len(data) > 0 && isDigit(data[0]) ||
			cfg.Mode == FramingAuto && LooksOctetCounted(data) {
			var split []string
			err := SplitOctetCounted(string(data), maxSize, func(frame string, _ int) error {
				split = append(split, frame)
				return nil
			})
			if err == nil && strings.Join(split, "\x00|") != strings.Join(got, "\x00|") {
				t.Fatalf("SplitOctetCounted %q, Framer %q", split, got)
			}
		}
	})
}

func FuzzParseLogplex(f *testing.F) {
	f.Add(logplexExample)
	f.Add(herokuBody(10))
	for _, s := range tableInputs(f, "rfc5424_test.go") {
		f.Add(octetFrame(s) + octetFrame(s+"\n"))
	}
	f.Fuzz(func(t *testing.T, body string) {
		evs, res := ParseLogplex(body, nil)
		if res.Frames != len(evs) || res.Malformed > res.Frames || (res.Malformed > 0) != (res.FirstError != nil) {
			t.Fatalf("inconsistent result %+v for %d events", res, len(evs))
		}
		malformed := 0
		for _, e := range evs {
			if !strings.Contains(body, e.Message) {
				t.Fatalf("message %q not from the body", e.Message)
			}
			if _, ok := e.Field(FieldParseError); ok {
				malformed++
				if e.SeveritySource != event.SeverityUnset || e.Severity != event.Info {
					t.Fatalf("malformed event %+v", e)
				}
			}
		}
		if malformed != res.Malformed {
			t.Fatalf("%d events with parse_error, Malformed %d", malformed, res.Malformed)
		}
		n := 0
		err := SplitOctetCounted(body, 0, func(string, int) error { n++; return nil })
		if n != res.Frames || (err == nil) != (res.FramingError == nil) {
			t.Fatalf("SplitOctetCounted: %d frames, %v; ParseLogplex %+v", n, err, res)
		}
	})
}
