package filterpattern

import "testing"

func benchMatch(b *testing.B, pattern, message string, want bool) {
	p, err := Compile(pattern)
	if err != nil {
		b.Fatal(err)
	}
	if p.Match(message) != want {
		b.Fatalf("Compile(%q).Match(%q) != %v", pattern, message, want)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(message)))
	for b.Loop() {
		if p.Match(message) != want {
			b.Fatal("changed result")
		}
	}
}

// BenchmarkMatchTerms matches term patterns against a Heroku router line
// (193 bytes).
func BenchmarkMatchTerms(b *testing.B) {
	line := readLines(b, "heroku-router.log")[1]
	b.Run("term", func(b *testing.B) { benchMatch(b, `H12`, line, true) })
	b.Run("terms-exclude", func(b *testing.B) { benchMatch(b, `error "Request timeout" -healthcheck`, line, true) })
	b.Run("optional-miss", func(b *testing.B) { benchMatch(b, `?H13 ?H14 ?H15 ?R14`, line, false) })
	b.Run("regex", func(b *testing.B) { benchMatch(b, `%service=[0-9]{4,}ms%`, line, true) })
}

// BenchmarkMatchJSON matches JSON patterns against an application log
// line (232 bytes).
func BenchmarkMatchJSON(b *testing.B) {
	line := readLines(b, "app.ndjson")[0]
	b.Run("and", func(b *testing.B) { benchMatch(b, `{ $.level = "error" && $.latency > 500 }`, line, true) })
	b.Run("nested-or", func(b *testing.B) {
		benchMatch(b, `{ ($.http.status >= 500 && $.http.method = POST) || $.user.email = "*@example.org" }`, line, true)
	})
	b.Run("wildcard", func(b *testing.B) { benchMatch(b, `{ $.tags[*] = retry }`, line, true) })
	b.Run("regex", func(b *testing.B) { benchMatch(b, `{ $.msg = %declined|refused% }`, line, true) })
	b.Run("not-json", func(b *testing.B) {
		benchMatch(b, `{ $.level = "error" }`, readLines(b, "heroku-router.log")[1], false)
	})
}

// BenchmarkMatchSpaceDelimited matches space-delimited patterns against an
// Apache access log line (86 bytes) and a combined log line (216 bytes).
func BenchmarkMatchSpaceDelimited(b *testing.B) {
	access := readLines(b, "apache-access.log")
	b.Run("fields", func(b *testing.B) {
		benchMatch(b, `[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes > 1000]`, access[3], true)
	})
	b.Run("ellipsis", func(b *testing.B) { benchMatch(b, `[..., status = 5*, bytes, referer, agent]`, access[4], true) })
	b.Run("regex", func(b *testing.B) {
		benchMatch(b, `[ip=%^203\.0\.113\.%, identity, user, timestamp, request, status = 503 || status = 504, ...]`, access[4], true)
	})
}

func BenchmarkExtract(b *testing.B) {
	f := func(b *testing.B, pattern, message string) {
		p, err := Compile(pattern)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := p.Extract(message); !ok {
				b.Fatal("no match")
			}
		}
	}
	b.Run("space-delimited", func(b *testing.B) {
		f(b, `[ip, user, username, timestamp, request, status_code = 4*, bytes]`, readLines(b, "apache-access.log")[3])
	})
	b.Run("json", func(b *testing.B) {
		f(b, `{ $.level = "error" && $.latency > 500 }`, readLines(b, "app.ndjson")[0])
	})
}

func BenchmarkCompile(b *testing.B) {
	f := func(b *testing.B, pattern string) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Compile(pattern); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("terms", func(b *testing.B) { f(b, `ERROR "Request timeout" -healthcheck`) })
	b.Run("json", func(b *testing.B) { f(b, `{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }`) })
	b.Run("space-delimited", func(b *testing.B) {
		f(b, `[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes > 1000]`)
	})
}
