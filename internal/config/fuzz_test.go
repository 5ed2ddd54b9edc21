package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that what it accepts is valid,
// and that its Redacted print parses again.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.yaml")
	files = append(files, "testdata/design.yaml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(string(data))
		}
	}
	f.Add("a: &x [*x]")
	f.Add("sinks: {a: &a {type: file, path: x, <<: *a}}")
	env := envOf(map[string]string{"PORT": "8080", "DRAIN_TOKEN": "t", "X": "x\n  y: z"})
	f.Fuzz(func(t *testing.T, in string) {
		if strings.Contains(in, "/dev") || strings.Contains(in, "/proc") {
			t.Skip("may block reading a device")
		}
		cfg, err := Parse([]byte(in), "fuzz.yaml", env)
		if err != nil {
			if cfg != nil {
				t.Fatal("a Config with an error")
			}
			for _, e := range Errors(err) {
				if e.Err == nil || e.File != "fuzz.yaml" {
					t.Fatalf("error without a message or a file: %#v", e)
				}
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("Parse accepted an invalid configuration: %v", err)
		}
		if _, err := Parse([]byte(cfg.Redacted()), "redacted.yaml", nil); err != nil {
			t.Fatalf("Redacted does not parse: %v\n%s", err, cfg.Redacted())
		}
	})
}

// FuzzExpand checks that expansion never panics and leaves text without $
// alone.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"", "a", "${A}", "$${A}", "${A:-b}", "${", "$", "${A}${B:-}", "x$y"} {
		f.Add(s)
	}
	env := envOf(map[string]string{"A": "${B}", "B": "$"})
	f.Fuzz(func(t *testing.T, in string) {
		out, err := expand(in, env)
		if err == nil && !strings.Contains(in, "$") && out != in {
			t.Fatalf("expand(%q) = %q", in, out)
		}
	})
}
