package query

import "testing"

func benchMatch(b *testing.B, q string, want bool) {
	evs := readEvents(b)
	e := &evs[0] // a Heroku router line with fields
	pq := MustParse(q)
	if got := pq.Match(e); got != want {
		b.Fatalf("%q matches = %v, want %v", q, got, want)
	}
	b.ReportAllocs()
	for b.Loop() {
		pq.Match(e)
	}
}

func BenchmarkMatchTerm(b *testing.B)   { benchMatch(b, "timeout", false) }
func BenchmarkMatchPhrase(b *testing.B) { benchMatch(b, `"service=18ms status"`, true) }
func BenchmarkMatchTypical(b *testing.B) {
	benchMatch(b, "severity:<=info app:heroku proc:rou* -healthcheck (GET OR POST) fields.status:>=200", true)
}
func BenchmarkMatchPattern(b *testing.B) { benchMatch(b, `pattern:'"status=200" -H12'`, true) }

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(`(error OR fatal) -app:router severity:<=warning group:/aws/lambda/* fields.status:>=500 "connection refused"`); err != nil {
			b.Fatal(err)
		}
	}
}
