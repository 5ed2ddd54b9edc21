package config

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	f := func(in string, want time.Duration, wantErr string) {
		t.Helper()
		got, err := ParseDuration(in)
		switch {
		case wantErr != "":
			if err == nil || !strings.Contains(err.Error(), wantErr) {
				t.Errorf("ParseDuration(%q) error = %v, want %q", in, err, wantErr)
			}
		case err != nil:
			t.Errorf("ParseDuration(%q): %v", in, err)
		case got.Std() != want:
			t.Errorf("ParseDuration(%q) = %v, want %v", in, got, want)
		}
	}
	f("10s", 10*time.Second, "")
	f(" 1h30m ", 90*time.Minute, "")
	f("250ms", 250*time.Millisecond, "")
	f("0", 0, "")
	f("-1s", -time.Second, "")
	f("10", 0, `cannot read duration "10": it has no unit; write e.g. 10s or 10ms`)
	f("1.5", 0, "it has no unit")
	f("", 0, "cannot read an empty duration")
	f("10 seconds", 0, `cannot read duration "10 seconds": want a number with a unit`)

	for d, want := range map[time.Duration]string{
		10 * time.Minute: "10m", time.Hour: "1h", 90 * time.Minute: "1h30m", 25 * time.Second: "25s",
		100 * time.Millisecond: "100ms", 0: "0s", time.Hour + time.Second: "1h0m1s",
	} {
		if got := Duration(d).String(); got != want {
			t.Errorf("Duration(%v).String() = %q, want %q", d, got, want)
		}
		if back, err := ParseDuration(Duration(d).String()); err != nil || back.Std() != d {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", Duration(d).String(), back, err, d)
		}
	}
}

func TestByteSize(t *testing.T) {
	f := func(in string, want ByteSize, wantErr string) {
		t.Helper()
		got, err := ParseByteSize(in)
		switch {
		case wantErr != "":
			if err == nil || !strings.Contains(err.Error(), wantErr) {
				t.Errorf("ParseByteSize(%q) error = %v, want %q", in, err, wantErr)
			}
		case err != nil:
			t.Errorf("ParseByteSize(%q): %v", in, err)
		case got != want:
			t.Errorf("ParseByteSize(%q) = %d, want %d", in, got, want)
		}
	}
	f("10MiB", 10<<20, "")
	f("64MB", 64e6, "")
	f("1GiB", 1<<30, "")
	f("512 KiB", 512<<10, "")
	f("1kB", 1000, "")
	f("1KB", 1000, "")
	f("4096", 4096, "")
	f("7B", 7, "")
	f("2TiB", 2<<40, "")
	f("1.5GiB", 0, `unknown unit ".5GiB"`)
	f("10mb", 0, `unknown unit "mb"`)
	f("MiB", 0, "want a whole number with a unit")
	f("-1", 0, "want a whole number")
	f("", 0, "want a whole number")
	f("99999999999TiB", 0, "too large")
	f("99999999999999999999", 0, "too large")

	for b, want := range map[ByteSize]string{
		10 * MiB: "10MiB", 64e6: "64MB", GiB: "1GiB", 1000: "1kB", 1536: "1536B", 7: "7B", 0: "0", 2e12: "2TB", 2 * TiB: "2TiB",
	} {
		if got := b.String(); got != want {
			t.Errorf("ByteSize(%d).String() = %q, want %q", int64(b), got, want)
		}
		if back, err := ParseByteSize(b.String()); err != nil || back != b {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", b.String(), back, err, b)
		}
	}
}

func TestSecretIsRedacted(t *testing.T) {
	s := Secret("hunter2")
	a := Auth{Type: AuthBearer, Tokens: []Secret{s}, Users: map[string]Secrets{"u": {s}}}
	j, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %s %q %#v", a, a, s, s, a), string(j)} {
		if strings.Contains(out, "hunter2") || !strings.Contains(out, "REDACTED") {
			t.Errorf("secret shown: %s", out)
		}
	}
	if string(s) != "hunter2" || Secret("").String() != "" {
		t.Errorf("string(Secret) = %q", string(s))
	}
}
