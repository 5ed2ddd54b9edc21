package filterpattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// isJSONObject is the reference for which messages a JSON pattern may
// match: valid JSON (encoding/json) whose top-level value is an object.
func isJSONObject(msg string) bool {
	t := strings.TrimLeft(msg, " \t\r\n")
	return json.Valid([]byte(msg)) && strings.HasPrefix(t, "{")
}

func TestScannerValidity(t *testing.T) {
	p, err := Compile(`{ $.zz NOT EXISTS }`)
	if err != nil {
		t.Fatal(err)
	}
	f := func(msg string) {
		t.Helper()
		if got, want := p.Match(msg), isJSONObject(msg); got != want {
			t.Errorf("Match(%q) = %v, encoding/json says object: %v", msg, got, want)
		}
	}
	for _, name := range []string{"aws-json-event.json", "aws-json-event-2014.json", "aws-json-compound.json"} {
		f(readTestdata(t, name))
	}
	for _, line := range readLines(t, "app.ndjson") {
		f(line)
	}
	f(`{}`)
	f(` { } `)
	f("\r\n{\"a\":[]}\t")
	f(`{"a":-0.5e+10,"b":[true,false,null,"x",{}],"c":{"d":[[]]}}`)
	f(`{"a":"\u00e9\n\t\"\\\/\b\f\r"}`)
	f(`{"\ud83d\ude00":1}`)
	f("{\"a\":\"\xff\xfe\"}")
	f(`{"a":1,}`)
	f(`{,}`)
	f(`{"a" 1}`)
	f(`{"a":1 "b":2}`)
	f(`{"a":[1,]}`)
	f(`{"a":[,1]}`)
	f(`{"a":01}`)
	f(`{"a":-}`)
	f(`{"a":1.}`)
	f(`{"a":.5}`)
	f(`{"a":1e}`)
	f(`{"a":+1}`)
	f(`{"a":NaN}`)
	f(`{"a":tru}`)
	f(`{"a":nul}`)
	f(`{"a":"\x"}`)
	f(`{"a":"\u12"}`)
	f(`{"a":"\u12G4"}`)
	f("{\"a\":\"tab\there\"}")
	f(`{"a":"unterminated}`)
	f(`{"a":1`)
	f(`{"a":{"b":1}`)
	f(`{"a":1}}`)
	f(`{"a":1}{}`)
	f(`{a:1}`)
	f(`[]`)
	f(`"x"`)
	f(`1`)
	f(``)
	f(`{`)
	f(`{"`)
	f(`{"a":"\`)
	f(`{"a":[`)
}

func TestUnescape(t *testing.T) {
	f := func(body string) {
		t.Helper()
		var want string
		if err := json.Unmarshal([]byte(`"`+body+`"`), &want); err != nil {
			t.Fatalf("encoding/json cannot decode %q: %v", body, err)
		}
		if got := unescape(body); got != want {
			t.Errorf("unescape(%q) = %q, want %q", body, got, want)
		}
	}
	f(`plain`)
	f(`\"\\\/\b\f\n\r\t`)
	f(`caf\u00e9 \u00E9`)
	f(`\ud83d\ude00`)
	f(`\ud83d`)
	f(`\ud83dx`)
	f(`\ude00\ud83d`)
	f(`\ud83d\u0041`)
	f(`\ud83d\ud83d\ude00`)
	f(`\u0000`)
}

// referenceValues evaluates selectors without wildcards over msg with
// encoding/json, returning the text of each string, number or boolean a
// selector points to. ok is false for messages the comparison cannot use:
// not a JSON object, invalid UTF-8, or a repeated key.
func referenceValues(msg string, sels []selector) (vals map[string]string, ok bool) {
	if !isJSONObject(msg) || !utf8.ValidString(msg) || hasRepeatedKey(msg) {
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(msg))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, false
	}
	vals = map[string]string{}
	for _, s := range sels {
		v := root
		for _, st := range s.steps {
			switch st.kind {
			case stepName:
				m, _ := v.(map[string]any)
				v = m[st.name]
			case stepIndex:
				a, _ := v.([]any)
				if st.index < len(a) {
					v = a[st.index]
				} else {
					v = nil
				}
			}
		}
		switch v := v.(type) {
		case string:
			vals[s.text] = v
		case json.Number:
			vals[s.text] = string(v)
		case bool:
			vals[s.text] = strconv.FormatBool(v)
		}
	}
	return vals, true
}

// hasRepeatedKey reports whether some object in the valid JSON msg has a
// key twice.
func hasRepeatedKey(msg string) bool {
	dec := json.NewDecoder(strings.NewReader(msg))
	type frame struct {
		keys  map[string]bool
		isObj bool
		inKey bool
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return false
		}
		if err != nil {
			return true
		}
		top := len(stack) - 1
		if k, isKey := tok.(string); isKey && top >= 0 && stack[top].isObj && stack[top].inKey {
			if stack[top].keys[k] {
				return true
			}
			stack[top].keys[k] = true
			stack[top].inKey = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{keys: map[string]bool{}, isObj: true, inKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if top := len(stack) - 1; top >= 0 && stack[top].isObj {
			stack[top].inKey = true
		}
	}
}

// differentialPattern selects names, indexes, nesting and names that need
// escapes; every selector is a target of Extract (the pattern always
// holds for a JSON object).
const differentialPattern = `{ $.a NOT EXISTS || $.a = * || $.a.b = * || $.c[1] = * || $.c[0][0] = * || $.['d.e'] = * || $.['é'] = * || $.['q"'] = * || $.n = * }`

// checkScanner compares the scanner with referenceValues on msg.
func checkScanner(t *testing.T, jp *jsonPattern, msg string) {
	t.Helper()
	want, ok := referenceValues(msg, jp.sels)
	st := make([]leafState, len(jp.leaves))
	sc := scanner{s: msg, jp: jp, rec: make([]string, len(jp.sels)), recSet: make([]bool, len(jp.sels))}
	valid := sc.scan(st)
	if valid && !isJSONObject(msg) {
		t.Fatalf("scanner accepts %q, encoding/json does not", msg)
	}
	if !ok {
		return
	}
	if !valid && strings.Count(msg, "[")+strings.Count(msg, "{") < maxNesting {
		t.Fatalf("scanner rejects %q, encoding/json accepts it", msg)
	}
	for i, s := range jp.sels {
		got, has := sc.rec[i], sc.recSet[i]
		w, whas := want[s.text]
		if has != whas || got != w {
			t.Errorf("%s in %q: scanner %q (%v), encoding/json %q (%v)", s.text, msg, got, has, w, whas)
		}
	}
}

func TestScannerDifferential(t *testing.T) {
	p, err := Compile(differentialPattern)
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{
		`{"a": "x"}`,
		`{"a": {"b": 12.5e3}}`,
		`{"a": {"b": "\u00e9\"\\"}, "c": [0, true, 2], "n": false}`,
		`{"c": [[-1, 2], "x"], "d.e": "dotted", "é": "accent", "q\"": "quote"}`,
		`{"\u0061": {"\u0062": "escaped keys"}}`,
		`{"a": null, "c": {"1": "not an array"}}`,
		`{"a": [1, 2], "c": []}`,
	} {
		checkScanner(t, p.json, msg)
	}
	for _, line := range readLines(t, "app.ndjson") {
		checkScanner(t, p.json, line)
	}
	checkScanner(t, p.json, readTestdata(t, "aws-json-compound.json"))
	checkScanner(t, p.json, string(bytes.Repeat([]byte(" "), 3))+`{"a":{"b":"x"}}`)
}
