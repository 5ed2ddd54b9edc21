package syslog

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// runFramer returns what Next returned, frames as they are and errors as
// "ERR <error>", ending with "EOF" or the fatal error, and the skipped count.
func runFramer(t testing.TB, r io.Reader, cfg FramerConfig) ([]string, int64) {
	t.Helper()
	fr := NewFramer(r, cfg)
	var out []string
	for range 10000 {
		b, err := fr.Next()
		switch {
		case err == nil:
			out = append(out, string(b))
			continue
		case err == io.EOF:
			out = append(out, "EOF")
		default:
			out = append(out, "ERR "+err.Error())
			var fe *FrameError
			if errors.As(err, &fe) && cfg.OnBadFrame == Resync {
				continue
			}
		}
		// Final: every later call returns the same error.
		if _, err2 := fr.Next(); err2 != err {
			t.Fatalf("after %v, Next returned %v", err, err2)
		}
		return out, fr.Skipped()
	}
	t.Fatalf("Framer did not end")
	return nil, 0
}

// chunkReader returns the input n bytes per Read.
type chunkReader struct {
	s string
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.s == "" {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.n)], c.s)
	c.s = c.s[n:]
	return n, nil
}

func TestFramer(t *testing.T) {
	f := func(in string, cfg FramerConfig, skipped int64, want ...string) {
		t.Helper()
		readers := map[string]func() io.Reader{
			"whole":    func() io.Reader { return strings.NewReader(in) },
			"onebyte":  func() io.Reader { return iotest.OneByteReader(strings.NewReader(in)) },
			"half":     func() io.Reader { return iotest.HalfReader(strings.NewReader(in)) },
			"dataerr":  func() io.Reader { return iotest.DataErrReader(strings.NewReader(in)) },
			"chunks7":  func() io.Reader { return &chunkReader{s: in, n: 7} },
			"chunks13": func() io.Reader { return &chunkReader{s: in, n: 13} },
		}
		for name, mk := range readers {
			got, gotSkipped := runFramer(t, mk(), cfg)
			if !slices.Equal(got, want) {
				t.Fatalf("%s reader, input %q:\n got %q\nwant %q", name, in, got, want)
			}
			if gotSkipped != skipped {
				t.Fatalf("%s reader, input %q: skipped %d bytes, want %d", name, in, gotSkipped, skipped)
			}
		}
	}
	auto := FramerConfig{}
	octet := FramerConfig{Mode: FramingOctetCounting}
	nt := FramerConfig{Mode: FramingNonTransparent}
	stop := FramerConfig{Mode: FramingOctetCounting, OnBadFrame: Stop}
	small := FramerConfig{MaxFrameSize: 10}
	smallOctet := FramerConfig{Mode: FramingOctetCounting, MaxFrameSize: 10}
	smallNT := FramerConfig{Mode: FramingNonTransparent, MaxFrameSize: 5}
	const e = "ERR cannot split syslog frames: at byte "

	// Octet counting.
	f("", auto, 0, "EOF")
	f("5 <1>ab3 <2>", auto, 0, "<1>ab", "<2>", "EOF")
	f("5 <1>ab\n3 <2>\r\n", auto, 0, "<1>ab", "<2>", "EOF")
	f("9 <1>a\nb\x00c\n", auto, 0, "<1>a\nb\x00c\n", "EOF")
	f("83 <40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up\n119 <40>1 2012-11-30T06:45:26+00:00 host app web.3 - Starting process with command `bundle exec rackup config.ru -p 24405`\n", auto, 0,
		"<40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up\n",
		"<40>1 2012-11-30T06:45:26+00:00 host app web.3 - Starting process with command `bundle exec rackup config.ru -p 24405`\n", "EOF")
	f("10 <1>abc", auto, 9, e+"0: truncated frame: 6 of 10 bytes", "EOF")
	f("5 <1>ab12", auto, 2, "<1>ab", e+"7: truncated frame: no SP after frame length", "EOF")
	f("5 <1>ab12 ", auto, 3, "<1>ab", e+"7: truncated frame: 0 of 12 bytes", "EOF")
	f("abc 5 <1>ab", octet, 4, e+"0: expected a frame length, found 'a'", "<1>ab", "EOF")
	f("3 <1>x 5 <1>ab", octet, 2, "<1>", e+"5: expected a frame length, found 'x'", "<1>ab", "EOF")
	f("99999999999 <1>x", octet, 16, e+"0: frame length has more than 10 digits", "EOF")
	f("99999999999 <1>x5 <2>ab", octet, 16, e+"0: frame length has more than 10 digits", "<2>ab", "EOF")
	f("1999999999 <1>x", auto, 15, e+"0: frame length 1999999999 is implausible (maximum 65536)", "EOF")
	f("05 <1>ab3 <2>", octet, 8, e+"0: frame length starts with 0", "<2>", "EOF")
	f("5x<1>ab3 <2>", octet, 7, e+"0: expected SP after frame length, found 'x'", "<2>", "EOF")
	f("5  <1>a3 <2>", octet, 0, " <1>a", "<2>", "EOF")
	f("4 <1>ab3 <2>", auto, 1, "<1>a", e+"6: expected a frame length, found 'b'", "<2>", "EOF")
	f("abc 5 <1>ab", stop, 0, e+"0: expected a frame length, found 'a'")
	f("3 <1>99999999999 <1>x", stop, 0, "<1>", e+"5: frame length has more than 10 digits")
	// Size limits: MaxFrameSize exactly is fine; above it up to 16 times is
	// skipped exactly, beyond that it is garbage.
	f("10 <1>abcdefg", small, 0, "<1>abcdefg", "EOF")
	f("11 <1>abcdefgh5 <2>ab", small, 14, e+"0: frame of 11 bytes exceeds maximum of 10", "<2>ab", "EOF")
	f("160 "+strings.Repeat("x", 160)+"5 <2>ab", smallOctet, 164, e+"0: frame of 160 bytes exceeds maximum of 10", "<2>ab", "EOF")
	f("161 "+strings.Repeat("x", 161)+"5 <2>ab", smallOctet, 165, e+"0: frame length 161 is implausible (maximum 10)", "<2>ab", "EOF")
	f("11 <1>abc", small, 9, e+"0: frame of 11 bytes exceeds maximum of 10", "EOF")
	f("11 <1>abcdefgh5 <2>ab", FramerConfig{MaxFrameSize: 10, OnBadFrame: Stop}, 0, e+"0: frame of 11 bytes exceeds maximum of 10")

	// Non-transparent framing.
	f("<1>a\n<2>b\r\n<3>c\x00<4>d", auto, 0, "<1>a", "<2>b", "<3>c", "<4>d", "EOF")
	f("\n\n<1>a\n\r\n\x00", auto, 0, "<1>a", "EOF")
	f("<1>a\r", auto, 0, "<1>a", "EOF")
	f("<1>a\r\r\n", auto, 0, "<1>a\r", "EOF")
	f("hello\nworld", auto, 0, "hello", "world", "EOF")
	f("5 <1>ab\n", nt, 0, "5 <1>ab", "EOF")
	f("12345\n123456\n1234\r\n12345\r\n", smallNT, 7, "12345", e+"6: line exceeds maximum of 5 bytes", "1234", "12345", "EOF")
	f("1234567890abc\n<1>ok\n", smallNT, 14, e+"0: line exceeds maximum of 5 bytes", "<1>ok", "EOF")
	f("<1>ok\n1234567890abcdefghijklmnopqrstuvwxyz1234567890abcdefghijkl\x00<2>ok", smallNT, 59, "<1>ok", e+"6: line exceeds maximum of 5 bytes", "<2>ok", "EOF")
	f("<1>ok\n123456", smallNT, 6, "<1>ok", e+"6: line exceeds maximum of 5 bytes", "EOF")
	f("<1>ok\n12345\r", smallNT, 0, "<1>ok", "12345", "EOF")
	f("1234567890abc\n<1>ok\n", FramerConfig{Mode: FramingNonTransparent, MaxFrameSize: 5, OnBadFrame: Stop}, 0, e+"0: line exceeds maximum of 5 bytes")

	// Auto detection: octet counting only for "[1-9][0-9]{0,9} <" after
	// leading CR, LF and NUL bytes; anything else is non-transparent, so a
	// stream of PRI-less lines that start with a digit is not lost.
	f("2024-05-01 12:00:00 first\n2024-05-01 12:00:01 second\n<13>1 - h a p m - third\n", auto, 0,
		"2024-05-01 12:00:00 first", "2024-05-01 12:00:01 second", "<13>1 - h a p m - third", "EOF")
	f("12:00:00 [main] INFO started\n<13>ok\n", auto, 0, "12:00:00 [main] INFO started", "<13>ok", "EOF")
	f("404 not found\n", auto, 0, "404 not found", "EOF")
	f("1 <x\n", auto, 2, "<", e+"3: expected a frame length, found 'x'", "EOF")
	f("\n57 <13>1 2024-05-01T12:00:00Z h app web.1 - after a newline\n5 <1>ab", auto, 0,
		"<13>1 2024-05-01T12:00:00Z h app web.1 - after a newline\n", "<1>ab", "EOF")
	f("\r\n\x00\x005 <1>ab", auto, 0, "<1>ab", "EOF")
	f("\n\n<1>a\n", auto, 0, "<1>a", "EOF")
	f("\n\r\x00", auto, 0, "EOF")
	f("05 <1>ab", auto, 0, "05 <1>ab", "EOF")
	f("5x<1>ab", auto, 0, "5x<1>ab", "EOF")
	f("5  <1>a", auto, 0, "5  <1>a", "EOF")
	f("99999999999 <1>x", auto, 0, "99999999999 <1>x", "EOF")
	f("9999999999 <1>x", auto, 15, e+"0: frame length 9999999999 is implausible (maximum 65536)", "EOF")
	f("12", auto, 0, "12", "EOF")
	f("12 ", auto, 0, "12 ", "EOF")
	f("12 <", auto, 4, e+"0: truncated frame: 1 of 12 bytes", "EOF")
}

func TestFramerMode(t *testing.T) {
	f := func(in string, cfg FramerConfig, want FramingMode) {
		t.Helper()
		fr := NewFramer(strings.NewReader(in), cfg)
		_, _ = fr.Next()
		if fr.Mode() != want {
			t.Fatalf("Mode() after %q = %s, want %s", in, fr.Mode(), want)
		}
	}
	f("5 <1>ab", FramerConfig{}, FramingOctetCounting)
	f("\r\n\x005 <1>ab", FramerConfig{}, FramingOctetCounting)
	f("1234567890 <1>ab", FramerConfig{MaxFrameSize: 1}, FramingOctetCounting)
	f("<1>ab\n", FramerConfig{}, FramingNonTransparent)
	f("hello\n", FramerConfig{}, FramingNonTransparent)
	f("2024-05-01 12:00:00 first\n", FramerConfig{}, FramingNonTransparent)
	f("12345678901 <1>ab", FramerConfig{}, FramingNonTransparent)
	f("5 <", FramerConfig{}, FramingOctetCounting)
	f("5 ", FramerConfig{}, FramingNonTransparent)
	f("", FramerConfig{}, FramingAuto)
	f("\n\n", FramerConfig{}, FramingAuto)
	f("5 <1>ab", FramerConfig{Mode: FramingNonTransparent}, FramingNonTransparent)
}

func TestLooksOctetCounted(t *testing.T) {
	f := func(in string, want bool) {
		t.Helper()
		if got := LooksOctetCounted([]byte(in)); got != want {
			t.Fatalf("LooksOctetCounted(%q) = %v, want %v", in, got, want)
		}
	}
	f("5 <1>ab", true)
	f("83 <40>1 2012-11-30T06:45:29+00:00 host app web.3 - x", true)
	f("1234567890 <", true)
	f("\n58 <13>1 x", true)
	f("\r\n\x00\x005 <", true)
	f("12345678901 <", false)
	f("05 <1>", false)
	f("5  <1>", false)
	f("5 x", false)
	f("5x<1>", false)
	f("2024-05-01 12:00:00 first", false)
	f("<13>1 - h a p m - x", false)
	f(" 5 <1>", false)
	f("5 ", false)
	f("5", false)
	f("", false)
	f("\n", false)
}

func TestFramerOffset(t *testing.T) {
	fr := NewFramer(strings.NewReader("5 <1>ab\n3 <2>"), FramerConfig{})
	for _, want := range []int64{0, 8} {
		if _, err := fr.Next(); err != nil {
			t.Fatal(err)
		}
		if fr.Offset() != want {
			t.Fatalf("Offset() = %d, want %d", fr.Offset(), want)
		}
	}
}

func TestFramerReadError(t *testing.T) {
	boom := errors.New("boom")
	f := func(in string, want ...string) {
		t.Helper()
		got, _ := runFramer(t, io.MultiReader(strings.NewReader(in), iotest.ErrReader(boom)), FramerConfig{})
		if !slices.Equal(got, want) {
			t.Fatalf("input %q: got %q, want %q", in, got, want)
		}
	}
	f("<1>a\n<2>par", "<1>a", "ERR boom")
	f("5 <1>ab7 <2>", "<1>ab", "ERR boom")
	f("5 <1>ab12", "<1>ab", "ERR boom")
	f("", "ERR boom")
}

// TestFramerHugeLength checks that a length prefix alone never makes the
// Framer allocate: the buffer grows with the data that arrives.
func TestFramerHugeLength(t *testing.T) {
	for _, in := range []string{"99999999999 <13>x", "999999 <13>x", "4294967296 <13>x"} {
		fr := NewFramer(strings.NewReader(in), FramerConfig{Mode: FramingOctetCounting, MaxFrameSize: 1 << 20})
		allocs := testing.AllocsPerRun(1, func() {
			for {
				if _, err := fr.Next(); err == io.EOF {
					break
				}
			}
		})
		if cap(fr.buf) > 4096 || allocs > 2 {
			t.Fatalf("input %q: buffer grew to %d bytes, %v allocations", in, cap(fr.buf), allocs)
		}
	}
}

func TestFramerNoAllocs(t *testing.T) {
	frame := "<190>1 2024-05-01T12:00:00.123456+00:00 host app web.1 - Started GET \"/\"\n"
	in := strings.Repeat(itoa(len(frame))+" "+frame, 1000)
	r := strings.NewReader(in)
	fr := NewFramer(r, FramerConfig{})
	allocs := testing.AllocsPerRun(500, func() {
		b, err := fr.Next()
		if err != nil || string(b) != frame {
			t.Fatalf("Next: %q %v", b, err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Next allocates %v times per frame", allocs)
	}
}

func TestFramerPipe(t *testing.T) {
	pr, pw := io.Pipe()
	frames := []string{"<13>1 - - - - - one", "<13>1 - - - - - two\nlines", strings.Repeat("x", 5000)}
	go func() {
		var all string
		for _, fr := range frames {
			all += itoa(len(fr)) + " " + fr
		}
		for len(all) > 0 {
			n := min(len(all), 3)
			_, _ = pw.Write([]byte(all[:n]))
			all = all[n:]
		}
		pw.Close()
	}()
	got, _ := runFramer(t, pr, FramerConfig{})
	if want := append(slices.Clone(frames), "EOF"); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func itoa(n int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}
