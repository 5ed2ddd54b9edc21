package route

import "testing"

func BenchmarkWhere(b *testing.B) {
	events := testEvents(b)
	for _, bc := range []struct{ name, rule string }{
		{"severity", `severity <= warning && proc != "router"`},
		{"contains", `app == "web" && message contains "timeout"`},
		{"contains-app", `app == "app" && message contains "timeout"`},
		{"field", `fields["status"] >= 500`},
		// Not reducible to one test: runs on the expr-lang virtual machine.
		{"vm", `len(message) > 100 && severity < 4`},
		{"vm-string", `lower(app) == "heroku" || len(message) > 100`},
	} {
		w, err := CompileWhere(bc.rule)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				w.Match(&events[i])
				if i++; i == len(events) {
					i = 0
				}
			}
		})
	}
}
