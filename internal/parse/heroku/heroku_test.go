package heroku

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse/logfmt"
)

// kv builds expected fields from key, value, type triples; type is "s"
// (String), "n" (Number) or "b" (Bool).
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

func fieldsString(fs []event.Field) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "\n\t%q, %q, %q,", f.Key, f.Value, "snbj"[f.Type:f.Type+1])
	}
	return b.String()
}

const (
	routerLine      = `at=info method=GET path="/" host=myapp.herokuapp.com request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 fwd="204.204.204.204" dyno=web.1 connect=1ms service=18ms status=200 bytes=13 protocol=https`
	postgresMetrics = `source=DATABASE addon=postgresql-xyz-123 sample#current_transaction=1873 sample#db_size=14597903bytes sample#tables=12 sample#active-connections=3 sample#waiting-connections=0 sample#index-cache-hit-rate=0.99952 sample#table-cache-hit-rate=0.99901 sample#load-avg-1m=0.035 sample#load-avg-5m=0.04 sample#load-avg-15m=0.045 sample#read-iops=0 sample#write-iops=0.05 sample#tmp-disk-used=543600640 sample#tmp-disk-available=72435191808 sample#memory-total=4045992kB sample#memory-free=2566216kB sample#memory-cached=1207240kB sample#memory-postgres=24564kB sample#wal-percentage-used=0.0654`
	redisMetrics    = `source=REDIS addon=redis-cubed-12345 sample#active-connections=1 sample#load-avg-1m=0 sample#load-avg-5m=0.005 sample#load-avg-15m=0.02 sample#read-iops=0 sample#write-iops=0 sample#memory-total=15664876kB sample#memory-free=11426764kB sample#memory-cached=2397480kB sample#memory-redis=911312bytes sample#hit-rate=0.5 sample#evicted-keys=0`
)

type line struct{ app, proc, msg string }

// seedLines returns real lines used as fuzz seeds.
func seedLines() []line {
	return []line{
		{"heroku", "router", routerLine},
		{"heroku", "router", `at=error code=H12 desc="Request timeout" method=GET path="/" host=myapp.herokuapp.com request_id=x fwd="1.2.3.4" dyno=web.1 connect=0ms service=30000ms status=503 bytes=0 protocol=https`},
		{"heroku", "web.1", "State changed from up to crashed"},
		{"heroku", "web.1", "Process exited with status 1"},
		{"heroku", "web.1", "Error R14 (Memory quota exceeded)"},
		{"heroku", "web.1", "Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 60 seconds of launch"},
		{"heroku", "web.1", "Process running mem=560M(109.3%)"},
		{"heroku", "web.1", "Starting process with command `bundle exec puma -C config/puma.rb`"},
		{"heroku", "logplex", "Error L10 (output buffer overflow): 500 messages dropped since 2013-11-01T12:00:00+00:00."},
		{"app", "heroku-postgres", postgresMetrics},
		{"app", "heroku-redis", redisMetrics},
		{"app", "postgres.1234", `[DATABASE] [14-1] sql_error_code = 28000 FATAL:  no pg_hba.conf entry for host "1.2.3.4", user "u", database "d", SSL off`},
		{"app", "web.1", "Started GET \"/\" for 1.2.3.4"},
	}
}

func TestEnrich(t *testing.T) {
	f := func(app, proc, msg string, wantOK bool, wantSev event.Severity, want []event.Field) {
		t.Helper()
		pre := event.Field{Key: "pre", Value: "x"}
		e := event.Event{
			App: app, Proc: proc, Message: msg, Host: "host",
			Severity: event.Info, SeveritySource: event.SeverityPRI, Facility: event.FacilityFromCode(19),
			Fields: []event.Field{pre},
		}
		ok := Enrich(&e)
		if ok != wantOK {
			t.Fatalf("Enrich(%s[%s]: %q) = %v, want %v", app, proc, msg, ok, wantOK)
		}
		if e.Message != msg || e.App != app || e.Proc != proc || e.Facility != event.FacilityFromCode(19) {
			t.Fatalf("Enrich(%q) changed message, app, proc or facility: %+v", msg, e)
		}
		if len(e.Fields) == 0 || e.Fields[0] != pre {
			t.Fatalf("Enrich(%q) lost the existing field: %v", msg, e.Fields)
		}
		if !wantOK {
			if len(e.Fields) != 1 || e.Severity != event.Info || e.SeveritySource != event.SeverityPRI {
				t.Fatalf("Enrich(%q) = false but changed the event: %+v", msg, e)
			}
			return
		}
		if e.Severity != wantSev || e.SeveritySource != event.SeverityInferred {
			t.Fatalf("Enrich(%q): severity %v/%v, want %v/inferred", msg, e.Severity, e.SeveritySource, wantSev)
		}
		got := e.Fields[1:]
		if len(got) != len(want) {
			t.Fatalf("Enrich(%q) fields:%s\nwant:%s", msg, fieldsString(got), fieldsString(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("Enrich(%q) fields:%s\nwant:%s", msg, fieldsString(got), fieldsString(want))
			}
		}
	}

	// Router.
	f("heroku", "router", routerLine, true, event.Info, kv(
		"at", "info", "s", "method", "GET", "s", "path", "/", "s", "host", "myapp.herokuapp.com", "s",
		"request_id", "8601b555-6a83-4c12-8269-97c8e32cdb22", "s", "fwd", "204.204.204.204", "s",
		"dyno", "web.1", "s", "connect", "1ms", "s", "service", "18ms", "s", "status", "200", "n",
		"bytes", "13", "n", "protocol", "https", "s", "connect_ms", "1", "n", "service_ms", "18", "n"))
	f("heroku", "router", `at=error code=H12 desc="Request timeout" method=GET path="/" host=myapp.herokuapp.com request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 fwd="204.204.204.204" dyno=web.1 connect=0ms service=30000ms status=503 bytes=0 protocol=https`, true, event.Error, kv(
		"at", "error", "s", "code", "H12", "s", "desc", "Request timeout", "s", "method", "GET", "s", "path", "/", "s",
		"host", "myapp.herokuapp.com", "s", "request_id", "8601b555-6a83-4c12-8269-97c8e32cdb22", "s",
		"fwd", "204.204.204.204", "s", "dyno", "web.1", "s", "connect", "0ms", "s", "service", "30000ms", "s",
		"status", "503", "n", "bytes", "0", "n", "protocol", "https", "s", "connect_ms", "0", "n", "service_ms", "30000", "n"))
	f("heroku", "router", `at=error code=H10 desc="App crashed" method=GET path="/favicon.ico" host=myapp.herokuapp.com request_id=r1 fwd="10.0.0.1" dyno= connect= service= status=503 bytes= protocol=https`, true, event.Error, kv(
		"at", "error", "s", "code", "H10", "s", "desc", "App crashed", "s", "method", "GET", "s", "path", "/favicon.ico", "s",
		"host", "myapp.herokuapp.com", "s", "request_id", "r1", "s", "fwd", "10.0.0.1", "s", "dyno", "", "s",
		"connect", "", "s", "service", "", "s", "status", "503", "n", "bytes", "", "s", "protocol", "https", "s"))
	f("heroku", "router", `sock=client at=warning code=H27 desc="Client Request Interrupted" method=POST path="/submit" host=myapp.herokuapp.com request_id=r2 fwd="10.0.0.2" dyno=web.2 connect=1ms service=55ms status=499 bytes=0 protocol=https`, true, event.Warning, kv(
		"sock", "client", "s", "at", "warning", "s", "code", "H27", "s", "desc", "Client Request Interrupted", "s",
		"method", "POST", "s", "path", "/submit", "s", "host", "myapp.herokuapp.com", "s", "request_id", "r2", "s",
		"fwd", "10.0.0.2", "s", "dyno", "web.2", "s", "connect", "1ms", "s", "service", "55ms", "s",
		"status", "499", "n", "bytes", "0", "n", "protocol", "https", "s", "connect_ms", "1", "n", "service_ms", "55", "n"))
	f("heroku", "router", `sock=backend at=error code=H18 desc="Server Request Interrupted" method=GET path="/stream" host=myapp.herokuapp.com request_id=r3 fwd="10.0.0.3" dyno=web.1 connect=0ms service=120ms status=503 bytes=0 protocol=https`, true, event.Error, kv(
		"sock", "backend", "s", "at", "error", "s", "code", "H18", "s", "desc", "Server Request Interrupted", "s",
		"method", "GET", "s", "path", "/stream", "s", "host", "myapp.herokuapp.com", "s", "request_id", "r3", "s",
		"fwd", "10.0.0.3", "s", "dyno", "web.1", "s", "connect", "0ms", "s", "service", "120ms", "s",
		"status", "503", "n", "bytes", "0", "n", "protocol", "https", "s", "connect_ms", "0", "n", "service_ms", "120", "n"))
	f("heroku", "router", `at=info method=GET path="/missing" host=myapp.herokuapp.com request_id=r4 fwd="10.0.0.4" dyno=web.1 connect=0ms service=3ms status=404 bytes=1234 protocol=http`, true, event.Notice, kv(
		"at", "info", "s", "method", "GET", "s", "path", "/missing", "s", "host", "myapp.herokuapp.com", "s",
		"request_id", "r4", "s", "fwd", "10.0.0.4", "s", "dyno", "web.1", "s", "connect", "0ms", "s",
		"service", "3ms", "s", "status", "404", "n", "bytes", "1234", "n", "protocol", "http", "s",
		"connect_ms", "0", "n", "service_ms", "3", "n"))
	// The app itself answered 500: router says at=info, status decides.
	f("heroku", "router", `at=info method=POST path="/api" host=a.example.com request_id=r5 fwd="10.0.0.5" dyno=web.3 connect=1ms service=2.5ms status=500 bytes=10 protocol=https`, true, event.Error, kv(
		"at", "info", "s", "method", "POST", "s", "path", "/api", "s", "host", "a.example.com", "s",
		"request_id", "r5", "s", "fwd", "10.0.0.5", "s", "dyno", "web.3", "s", "connect", "1ms", "s",
		"service", "2.5ms", "s", "status", "500", "n", "bytes", "10", "n", "protocol", "https", "s",
		"connect_ms", "1", "n", "service_ms", "2.5", "n"))
	f("heroku", "router", `at=info code=H80 desc="Maintenance mode" method=GET path="/" host=myapp.herokuapp.com request_id=r6 fwd="10.0.0.6" dyno= connect= service= status=503 bytes= protocol=https`, true, event.Error, kv(
		"at", "info", "s", "code", "H80", "s", "desc", "Maintenance mode", "s", "method", "GET", "s", "path", "/", "s",
		"host", "myapp.herokuapp.com", "s", "request_id", "r6", "s", "fwd", "10.0.0.6", "s", "dyno", "", "s",
		"connect", "", "s", "service", "", "s", "status", "503", "n", "bytes", "", "s", "protocol", "https", "s"))
	f("heroku", "router", `at=info method=GET path="/" host=h status=302 bytes=0`, true, event.Info, kv(
		"at", "info", "s", "method", "GET", "s", "path", "/", "s", "host", "h", "s", "status", "302", "n", "bytes", "0", "n"))
	f("heroku", "router", `not logfmt at all`, true, event.Info, nil)

	// Platform: dyno manager.
	f("heroku", "web.1", "State changed from up to crashed", true, event.Error, kv("state_from", "up", "s", "state_to", "crashed", "s"))
	f("heroku", "web.1", "State changed from starting to up", true, event.Info, kv("state_from", "starting", "s", "state_to", "up", "s"))
	f("heroku", "web.1", "State changed from crashed to starting\n", true, event.Info, kv("state_from", "crashed", "s", "state_to", "starting", "s"))
	f("heroku", "scheduler.1234", "State changed from up to complete", true, event.Info, kv("state_from", "up", "s", "state_to", "complete", "s"))
	f("heroku", "web.1", "State changed from up to down", true, event.Info, kv("state_from", "up", "s", "state_to", "down", "s"))
	f("heroku", "web.1", "Process exited with status 1", true, event.Error, kv("exit_status", "1", "n"))
	f("heroku", "worker.2", "Process exited with status 137", true, event.Error, kv("exit_status", "137", "n"))
	f("heroku", "web.1", "Process exited with status 0", true, event.Info, kv("exit_status", "0", "n"))
	f("heroku", "web.1", "Process exited with status 143", true, event.Notice, kv("exit_status", "143", "n"))
	f("heroku", "web.1", "Error R14 (Memory quota exceeded)", true, event.Error, kv("code", "R14", "s", "desc", "Memory quota exceeded", "s"))
	f("heroku", "web.1", "Error R15 (Memory quota vastly exceeded)", true, event.Crit, kv("code", "R15", "s", "desc", "Memory quota vastly exceeded", "s"))
	f("heroku", "web.1", "Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 60 seconds of launch", true, event.Error, kv(
		"code", "R10", "s", "desc", "Boot timeout", "s", "detail", "Web process failed to bind to $PORT within 60 seconds of launch", "s"))
	f("heroku", "web.1", "Error R12 (Exit timeout) -> At least one process failed to exit within 30 seconds of SIGTERM", true, event.Error, kv(
		"code", "R12", "s", "desc", "Exit timeout", "s", "detail", "At least one process failed to exit within 30 seconds of SIGTERM", "s"))
	f("heroku", "run.9876", "Error R13 (Attach error) -> Failed to attach to process", true, event.Error, kv(
		"code", "R13", "s", "desc", "Attach error", "s", "detail", "Failed to attach to process", "s"))
	f("heroku", "run.9876", "Error R16 (Detached) -> An attached process is not responding to SIGHUP after its external connection was closed.", true, event.Error, kv(
		"code", "R16", "s", "desc", "Detached", "s", "detail", "An attached process is not responding to SIGHUP after its external connection was closed.", "s"))
	f("heroku", "web.1", "Error R99 (Platform error)", true, event.Error, kv("code", "R99", "s", "desc", "Platform error", "s"))
	f("heroku", "web.1", "Error something odd happened", true, event.Error, nil)
	f("heroku", "web.1", "Process running mem=560M(109.3%)", true, event.Warning, kv("mem_mb", "560", "n", "mem_pct", "109.3", "n"))
	f("heroku", "web.2", "Process running mem=1028M(200.9%)", true, event.Warning, kv("mem_mb", "1028", "n", "mem_pct", "200.9", "n"))
	f("heroku", "web.1", "Stopping all processes with SIGTERM", true, event.Info, kv("signal", "SIGTERM", "s"))
	f("heroku", "web.1", "Stopping remaining processes with SIGKILL", true, event.Warning, kv("signal", "SIGKILL", "s"))
	f("heroku", "web.1", "Stopping process with SIGKILL", true, event.Warning, kv("signal", "SIGKILL", "s"))
	f("heroku", "web.1", "Starting process with command `bundle exec puma -C config/puma.rb`", true, event.Info, kv("command", "bundle exec puma -C config/puma.rb", "s"))
	f("heroku", "web.1", "Starting process with command `node server.js --port=${PORT}`", true, event.Info, kv("command", "node server.js --port=${PORT}", "s"))
	f("heroku", "run.5678", "Starting process with command `rails console` by user dev@example.com", true, event.Info, kv(
		"command", "rails console", "s", "user", "dev@example.com", "s"))
	f("heroku", "web.1", "Cycling", true, event.Notice, nil)
	f("heroku", "web.1", "Restarting", true, event.Notice, nil)
	f("heroku", "web.1", "Idling", true, event.Info, nil)
	f("heroku", "web.1", "Unidling", true, event.Info, nil)
	// Platform: API.
	f("heroku", "api", "Scaled to web@1:Standard-1X worker@2:Standard-2X by user dev@example.com", true, event.Info, kv("user", "dev@example.com", "s"))
	f("heroku", "api", "Release v42 created by user dev@example.com", true, event.Info, kv("user", "dev@example.com", "s"))
	f("heroku", "api", "Deploy 1a2b3c4d by user dev@example.com", true, event.Info, kv("user", "dev@example.com", "s"))
	f("heroku", "api", "Set SECRET_KEY config vars by user dev@example.com", true, event.Info, kv("user", "dev@example.com", "s"))
	f("heroku", "api", "Attach DATABASE (@ref:postgresql-xyz-123) by user dev@example.com", true, event.Info, kv("user", "dev@example.com", "s"))
	f("heroku", "slug-compiler", "Slug compilation started", true, event.Info, nil)
	// Runtime metrics (log-runtime-metrics).
	f("heroku", "web.1", "source=web.1 dyno=heroku.2808254.d97d0ea7-cf3d-411b-b453-d2943a50b456 sample#memory_total=21.00MB sample#memory_rss=21.00MB sample#memory_cache=0.00MB sample#memory_swap=0.00MB sample#memory_pgpgin=348836pages sample#memory_pgpgout=343403pages sample#memory_quota=512.00MB", true, event.Info, kv(
		"source", "web.1", "s", "dyno", "heroku.2808254.d97d0ea7-cf3d-411b-b453-d2943a50b456", "s",
		"sample#memory_total", "21.00MB", "s", "sample#memory_rss", "21.00MB", "s", "sample#memory_cache", "0.00MB", "s",
		"sample#memory_swap", "0.00MB", "s", "sample#memory_pgpgin", "348836pages", "s", "sample#memory_pgpgout", "343403pages", "s",
		"sample#memory_quota", "512.00MB", "s",
		"sample#memory_total_mb", "21.00", "n", "sample#memory_rss_mb", "21.00", "n", "sample#memory_cache_mb", "0.00", "n",
		"sample#memory_swap_mb", "0.00", "n", "sample#memory_pgpgin_pages", "348836", "n", "sample#memory_pgpgout_pages", "343403", "n",
		"sample#memory_quota_mb", "512.00", "n"))
	f("heroku", "web.1", "source=web.1 dyno=heroku.1.abc sample#load_avg_1m=0.00 sample#load_avg_5m=0.01 sample#load_avg_15m=0.05", true, event.Info, kv(
		"source", "web.1", "s", "dyno", "heroku.1.abc", "s", "sample#load_avg_1m", "0.00", "n", "sample#load_avg_5m", "0.01", "n", "sample#load_avg_15m", "0.05", "n"))

	// Logplex.
	f("heroku", "logplex", "Error L10 (output buffer overflow): 500 messages dropped since 2013-11-01T12:00:00+00:00.", true, event.Error, kv(
		"code", "L10", "s", "desc", "output buffer overflow", "s", "detail", "500 messages dropped since 2013-11-01T12:00:00+00:00.", "s",
		"dropped", "500", "n", "since", "2013-11-01T12:00:00+00:00", "s"))
	f("heroku", "logplex", "Error L11 (Tail buffer overflow) -> This tail session dropped 1101 messages since 2011-05-03T17:35:11+00:00", true, event.Warning, kv(
		"code", "L11", "s", "desc", "Tail buffer overflow", "s", "detail", "This tail session dropped 1101 messages since 2011-05-03T17:35:11+00:00", "s",
		"dropped", "1101", "n", "since", "2011-05-03T17:35:11+00:00", "s"))
	f("heroku", "logplex", "Error L12 (Local buffer overflow) -> Application is logging too fast; 42 messages dropped since 2020-01-01T00:00:00+00:00.", true, event.Error, kv(
		"code", "L12", "s", "desc", "Local buffer overflow", "s", "detail", "Application is logging too fast; 42 messages dropped since 2020-01-01T00:00:00+00:00.", "s",
		"dropped", "42", "n", "since", "2020-01-01T00:00:00+00:00", "s"))
	f("heroku", "logplex", "Error L13 (Local delivery error) -> Unable to send logs to the local log relay", true, event.Error, kv(
		"code", "L13", "s", "desc", "Local delivery error", "s", "detail", "Unable to send logs to the local log relay", "s"))
	f("heroku", "logplex", "Error L14 (certificate validation error): Unable to verify the drain's certificate", true, event.Error, kv(
		"code", "L14", "s", "desc", "certificate validation error", "s", "detail", "Unable to verify the drain's certificate", "s"))
	f("heroku", "logplex", "Error L15 (Tail buffer temporarily unavailable)", true, event.Warning, kv(
		"code", "L15", "s", "desc", "Tail buffer temporarily unavailable", "s"))

	// Add-ons.
	f("app", "heroku-postgres", postgresMetrics, true, event.Info, kv(
		"source", "DATABASE", "s", "addon", "postgresql-xyz-123", "s", "sample#current_transaction", "1873", "n",
		"sample#db_size", "14597903bytes", "s", "sample#tables", "12", "n", "sample#active-connections", "3", "n",
		"sample#waiting-connections", "0", "n", "sample#index-cache-hit-rate", "0.99952", "n",
		"sample#table-cache-hit-rate", "0.99901", "n", "sample#load-avg-1m", "0.035", "n", "sample#load-avg-5m", "0.04", "n",
		"sample#load-avg-15m", "0.045", "n", "sample#read-iops", "0", "n", "sample#write-iops", "0.05", "n",
		"sample#tmp-disk-used", "543600640", "n", "sample#tmp-disk-available", "72435191808", "n",
		"sample#memory-total", "4045992kB", "s", "sample#memory-free", "2566216kB", "s", "sample#memory-cached", "1207240kB", "s",
		"sample#memory-postgres", "24564kB", "s", "sample#wal-percentage-used", "0.0654", "n",
		"sample#db_size_bytes", "14597903", "n", "sample#memory-total_kb", "4045992", "n", "sample#memory-free_kb", "2566216", "n",
		"sample#memory-cached_kb", "1207240", "n", "sample#memory-postgres_kb", "24564", "n"))
	f("app", "heroku-redis", redisMetrics, true, event.Info, kv(
		"source", "REDIS", "s", "addon", "redis-cubed-12345", "s", "sample#active-connections", "1", "n",
		"sample#load-avg-1m", "0", "n", "sample#load-avg-5m", "0.005", "n", "sample#load-avg-15m", "0.02", "n",
		"sample#read-iops", "0", "n", "sample#write-iops", "0", "n", "sample#memory-total", "15664876kB", "s",
		"sample#memory-free", "11426764kB", "s", "sample#memory-cached", "2397480kB", "s", "sample#memory-redis", "911312bytes", "s",
		"sample#hit-rate", "0.5", "n", "sample#evicted-keys", "0", "n",
		"sample#memory-total_kb", "15664876", "n", "sample#memory-free_kb", "11426764", "n", "sample#memory-cached_kb", "2397480", "n",
		"sample#memory-redis_bytes", "911312", "n"))
	f("heroku", "heroku-postgres", "source=HEROKU_POSTGRESQL_PINK addon=postgresql-a-1 sample#tables=3", true, event.Info, kv(
		"source", "HEROKU_POSTGRESQL_PINK", "s", "addon", "postgresql-a-1", "s", "sample#tables", "3", "n"))
	f("app", "heroku-postgres", "not metrics", false, 0, nil)
	f("app", "heroku-redis", "a=1 b=2", false, 0, nil)

	// Heroku Postgres server logs.
	f("app", "postgres.1234", "[DATABASE] [14-1] sql_error_code = 00000 LOG:  checkpoint starting: time", true, event.Info, kv(
		"source", "DATABASE", "s", "pg_line", "14-1", "s", "sql_error_code", "00000", "s", "pg_level", "LOG", "s"))
	f("app", "postgres.1234", `[DATABASE] [15-1] sql_error_code = 28000 FATAL:  no pg_hba.conf entry for host "1.2.3.4", user "u", database "d", SSL off`, true, event.Crit, kv(
		"source", "DATABASE", "s", "pg_line", "15-1", "s", "sql_error_code", "28000", "s", "pg_level", "FATAL", "s"))
	f("app", "postgres.1234", `[DATABASE] [16-1] sql_error_code = 42P01 ERROR:  relation "x" does not exist at character 15`, true, event.Error, kv(
		"source", "DATABASE", "s", "pg_line", "16-1", "s", "sql_error_code", "42P01", "s", "pg_level", "ERROR", "s"))
	f("app", "postgres.1234", `[DATABASE] [16-2] sql_error_code = 42P01 STATEMENT:  select * from x`, true, event.Info, kv(
		"source", "DATABASE", "s", "pg_line", "16-2", "s", "sql_error_code", "42P01", "s", "pg_level", "STATEMENT", "s"))
	f("app", "postgres.1234", `[HEROKU_POSTGRESQL_ROSE] [7-1] sql_error_code = 01000 WARNING:  there is no transaction in progress`, true, event.Warning, kv(
		"source", "HEROKU_POSTGRESQL_ROSE", "s", "pg_line", "7-1", "s", "sql_error_code", "01000", "s", "pg_level", "WARNING", "s"))
	f("app", "postgres.1234", `[DATABASE] [8-1] sql_error_code = 00000 NOTICE:  extension "pg_stat_statements" already exists, skipping`, true, event.Notice, kv(
		"source", "DATABASE", "s", "pg_line", "8-1", "s", "sql_error_code", "00000", "s", "pg_level", "NOTICE", "s"))
	f("app", "postgres", `[DATABASE] [9-1] sql_error_code = XX000 PANIC:  could not locate a valid checkpoint record`, true, event.Emerg, kv(
		"source", "DATABASE", "s", "pg_line", "9-1", "s", "sql_error_code", "XX000", "s", "pg_level", "PANIC", "s"))
	f("app", "postgres.99", `[DATABASE] [3-1] LOG:  duration: 1503.123 ms  statement: SELECT 1`, true, event.Info, kv(
		"source", "DATABASE", "s", "pg_line", "3-1", "s", "pg_level", "LOG", "s"))
	f("app", "postgres.99", `[DATABASE] [4-1] sql_error_code = 57P01 time_ms = "2024-05-01 12:00:00.000 UTC" pid="1234" database="d1" user="u" FATAL:  terminating connection due to administrator command`, true, event.Crit, kv(
		"source", "DATABASE", "s", "pg_line", "4-1", "s", "sql_error_code", "57P01", "s", "pg_level", "FATAL", "s"))
	f("app", "postgres.99", `[DATABASE] [5-1] something without a level`, true, event.Info, kv(
		"source", "DATABASE", "s", "pg_line", "5-1", "s"))
	f("app", "postgres.99", `[DATABASE] no line number`, false, 0, nil)

	// Not Heroku's: app lines.
	f("app", "web.1", routerLine, false, 0, nil)
	f("app", "web.1", "State changed from up to crashed", false, 0, nil)
	f("app", "web.1", `Started GET "/" for 1.2.3.4 at 2024-05-01 12:00:00 +0000`, false, 0, nil)
	f("app", "worker.1", "Error R14 (Memory quota exceeded)", false, 0, nil)
	f("app", "api", "[DATABASE] [1-1] LOG: x", false, 0, nil)
	f("", "", "", false, 0, nil)
}

func TestEnrichAllocs(t *testing.T) {
	e := event.Event{Fields: make([]event.Field, 0, 32)}
	for _, l := range []line{
		{"heroku", "router", routerLine},
		{"heroku", "web.1", "State changed from up to crashed"},
		{"heroku", "web.1", "Error R14 (Memory quota exceeded)"},
		{"heroku", "logplex", "Error L10 (output buffer overflow): 500 messages dropped since 2013-11-01T12:00:00+00:00."},
		{"app", "postgres.1", "[DATABASE] [14-1] sql_error_code = 00000 LOG:  checkpoint starting: time"},
	} {
		allocs := testing.AllocsPerRun(100, func() {
			e.Reset()
			e.App, e.Proc, e.Message = l.app, l.proc, l.msg
			Enrich(&e)
		})
		if allocs != 0 {
			t.Errorf("Enrich(%q) allocated %v times, want 0", l.msg, allocs)
		}
	}
}

func FuzzHerokuEnrich(f *testing.F) {
	for _, l := range seedLines() {
		f.Add(l.app, l.proc, l.msg)
	}
	f.Fuzz(func(t *testing.T, app, proc, msg string) {
		e := event.Event{App: app, Proc: proc, Message: msg, Severity: event.Notice, SeveritySource: event.SeverityPRI}
		ok := Enrich(&e)
		if e.App != app || e.Proc != proc || e.Message != msg {
			t.Fatal("Enrich changed app, proc or message")
		}
		if !ok {
			if len(e.Fields) != 0 || e.Severity != event.Notice || e.SeveritySource != event.SeverityPRI {
				t.Fatalf("not recognised but changed: %+v", e)
			}
			return
		}
		if !e.Severity.Valid() || e.SeveritySource != event.SeverityInferred {
			t.Fatalf("severity %v/%v", e.Severity, e.SeveritySource)
		}
		if app != "heroku" && !isAddonProc(proc) {
			t.Fatalf("recognised a line from %q[%q]", app, proc)
		}
		for _, fl := range e.Fields {
			if fl.Key == "" {
				t.Fatalf("empty key in %v", e.Fields)
			}
			switch fl.Type {
			case event.Number:
				if !logfmt.IsNumber(fl.Value) || !json.Valid([]byte(fl.Value)) {
					t.Fatalf("Number field %s=%q", fl.Key, fl.Value)
				}
			case event.Bool:
				if fl.Value != "true" && fl.Value != "false" {
					t.Fatalf("Bool field %s=%q", fl.Key, fl.Value)
				}
			}
		}
	})
}
