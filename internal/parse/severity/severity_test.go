package severity

import (
	"testing"

	"github.com/sluicelog/sluice/internal/event"
)

const (
	emerg   = event.Emerg
	alert   = event.Alert
	crit    = event.Crit
	err     = event.Error
	warning = event.Warning
	notice  = event.Notice
	info    = event.Info
	debug   = event.Debug

	field    = event.SeverityField
	inferred = event.SeverityInferred
)

// inferCases calls f with real lines and what Infer must make of them; a
// line without a level is passed as f(line, 0, 0, false). TestInfer checks
// them and FuzzInfer is seeded with them.
func inferCases(f func(in string, sev event.Severity, src event.SeveritySource, ok bool)) {
	// pino and bunyan numbers
	f(`{"level":50,"time":1714564800123,"pid":1,"hostname":"web.1","msg":"boom"}`, err, field, true)
	f(`{"level":30,"time":1714564800123,"pid":1,"hostname":"web.1","msg":"listening"}`, info, field, true)
	f(`{"level":10,"msg":"x"}`, debug, field, true)
	f(`{"level":20,"msg":"x"}`, debug, field, true)
	f(`{"level":40,"msg":"x"}`, warning, field, true)
	f(`{"level":60,"msg":"x"}`, crit, field, true)
	f(`{"level":35,"msg":"custom"}`, info, field, true)
	f(`{"level":5,"msg":"ambiguous"}`, 0, 0, false)
	f(`{"level":100,"msg":"x"}`, 0, 0, false)
	f(`{"level":50.5,"msg":"x"}`, 0, 0, false)
	f(`{"level":-50,"msg":"x"}`, 0, 0, false)
	f(`{"name":"api","hostname":"web.1","pid":4,"level":40,"msg":"slow query","time":"2024-05-01T12:00:00.123Z","v":0}`, warning, field, true)
	// zap
	f(`{"level":"error","ts":1714564800.123,"caller":"main.go:12","msg":"x"}`, err, field, true)
	f(`{"level":"dpanic","ts":1714564800.123,"caller":"main.go:12","msg":"x"}`, crit, field, true)
	f(`{"level":"panic","ts":1714564800.123,"msg":"x"}`, crit, field, true)
	f(`{"level":"fatal","ts":1714564800.123,"msg":"x"}`, crit, field, true)
	f(`{"level":"debug","ts":1714564800.123,"msg":"x"}`, debug, field, true)
	// logrus, zerolog
	f(`{"level":"warning","msg":"disk almost full","time":"2024-05-01T12:00:00Z"}`, warning, field, true)
	f(`{"level":"trace","time":"2024-05-01T12:00:00Z","message":"x"}`, debug, field, true)
	// slog JSONHandler, with offsets
	f(`{"time":"2024-05-01T12:00:00Z","level":"WARN","msg":"x"}`, warning, field, true)
	f(`{"time":"2024-05-01T12:00:00Z","level":"ERROR+2","msg":"x"}`, err, field, true)
	f(`{"time":"2024-05-01T12:00:00Z","level":"ERROR+4","msg":"x"}`, crit, field, true)
	f(`{"time":"2024-05-01T12:00:00Z","level":"INFO+2","msg":"x"}`, notice, field, true)
	f(`{"time":"2024-05-01T12:00:00Z","level":"DEBUG-4","msg":"x"}`, debug, field, true)
	f(`{"time":"2024-05-01T12:00:00Z","level":"WARN-4","msg":"x"}`, info, field, true)
	f(`{"time":"2024-05-01T12:00:00Z","level":"ERROR+x","msg":"x"}`, 0, 0, false)
	// Python (python-json-logger), structlog
	f(`{"asctime": "2024-05-01 12:00:00,123", "name": "app", "levelname": "WARNING", "message": "x"}`, warning, field, true)
	f(`{"asctime": "2024-05-01 12:00:00,123", "levelname": "CRITICAL", "message": "x"}`, crit, field, true)
	f(`{"event": "x", "level": "error", "timestamp": "2024-05-01T12:00:00Z"}`, err, field, true)
	// Serilog compact and JSON formatter, .NET
	f(`{"@t":"2024-05-01T12:00:00.1234567Z","@mt":"Disk {Pct}% full","@l":"Warning","Pct":91}`, warning, field, true)
	f(`{"Timestamp":"2024-05-01T12:00:00+00:00","Level":"Information","MessageTemplate":"x"}`, info, field, true)
	f(`{"@t":"2024-05-01T12:00:00Z","@l":"Verbose","@mt":"x"}`, debug, field, true)
	// winston
	f(`{"level":"http","message":"GET /"}`, info, field, true)
	f(`{"message":"x","level":"silly"}`, debug, field, true)
	// GCP structured logging, ECS, log4j2/logback JSON, Lambda JSON format
	f(`{"severity":"ERROR","message":"x","logging.googleapis.com/trace":"t"}`, err, field, true)
	f(`{"severity":"DEFAULT","message":"x"}`, 0, 0, false)
	f(`{"@timestamp":"2024-05-01T12:00:00.123Z","log.level":"error","message":"x","ecs.version":"1.2.0"}`, err, field, true)
	f(`{"@timestamp":"2024-05-01T12:00:00.123Z","log":{"logger":"app","level":"warn"},"message":"x"}`, warning, field, true)
	f(`{"@timestamp":"2024-05-01T12:00:00.123+00:00","@version":"1","message":"x","logger_name":"c.x.Y","thread_name":"main","level":"ERROR","level_value":40000}`, err, field, true)
	f(`{"timestamp":"2024-05-01T12:00:00.123Z","level":"ERROR","requestId":"6e8a9c5d-1234-4abc-9def-0123456789ab","message":"x"}`, err, field, true)
	f(`  {"lvl":"crit","msg":"x"}`, crit, field, true)
	f(`{"loglevel":"notice"}`, notice, field, true)
	f(`{"log_level":"ALERT"}`, alert, field, true)
	f(`{"LEVEL":"EMERG"}`, emerg, field, true)
	// the first key with a level wins; unknown values are skipped
	f(`{"level":"custom","severity":"ERROR"}`, err, field, true)
	f(`{"severity":"INFO","level":"error"}`, info, field, true)
	// JSON negatives
	f(`{"message":"level: error"}`, 0, 0, false)
	f(`{"a":{"level":"error"}}`, 0, 0, false)
	f(`{"msg":"x","data":[{"level":"error"}]}`, 0, 0, false)
	f(`{"log":"ERROR: x"}`, 0, 0, false)
	f(`{"level":"lev\u0065l"}`, 0, 0, false)
	f(`{"lev\u0065l":"error"}`, 0, 0, false)
	f(`{"level":"error  "}`, 0, 0, false)
	f(`{"msg":"ERROR x"}`, 0, 0, false)
	f(`{"level":true}`, 0, 0, false)
	f(`{"level":null}`, 0, 0, false)
	f(`{"msg":"a} level=error"}`, 0, 0, false)
	// truncated by Logplex after the level: still read
	f(`{"level":"error","msg":"very long line cut at 10k`, err, field, true)
	f(`{"msg":"cut before the level`, 0, 0, false)
	f(`{not json} ERROR`, 0, 0, false)

	// logfmt
	f(`time="2024-05-01T12:00:00Z" level=error msg="cannot connect" err="dial tcp: i/o timeout"`, err, field, true)
	f(`time=2024-05-01T12:00:00.000Z level=WARN msg="slow request" duration=1.2s`, warning, field, true)
	f(`ts=2024-05-01T12:00:00Z lvl=warn caller=main.go:12 msg=x`, warning, field, true)
	f(`severity="ERROR" message="x"`, err, field, true)
	f(`at=error code=H12 desc="Request timeout" method=GET path="/" host=app.herokuapp.com request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 fwd="1.2.3.4" dyno=web.1 connect=0ms service=30000ms status=503 bytes=0 protocol=https`, err, field, true)
	f(`at=info method=GET path="/" host=app.herokuapp.com request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 fwd="1.2.3.4" dyno=web.1 connect=0ms service=12ms status=200 bytes=1234 protocol=https`, info, field, true)
	f(`at=start worker=mailer`, 0, 0, false)
	f(`Processing job id=42 level=debug`, debug, field, true)
	f(`msg="level=error inside a quoted value" user=x`, 0, 0, false)
	f(`path=/search?level=error status=200`, 0, 0, false)
	f(`relevel=error`, 0, 0, false)
	f(`level="error`, 0, 0, false)
	f(`Level=Info`, info, field, true)
	// quoted values are skipped whole: a key=value inside one is text
	f(`msg="alert level=error reached"`, 0, 0, false)
	f(`msg="alert level=error reached" level=warn`, warning, field, true)
	f(`msg="say \"level=error\" twice level=error" user=x`, 0, 0, false)
	f(`Processing job msg="a level=error" id=42 level=debug`, debug, field, true)
	f(`Processing job msg="unterminated level=error`, 0, 0, false)
	f(`Processing job path=/x?q="a b" level=info`, info, field, true)

	// Ruby Logger (and Rails with Logger::Formatter)
	f(`E, [2024-05-01T12:00:00.123456 #12] ERROR -- : msg`, err, inferred, true)
	f(`W, [2024-05-01T12:00:00.123456 #12]  WARN -- : msg`, warning, inferred, true)
	f(`I, [2024-05-01T12:00:00.123456 #12]  INFO -- : [8601b555-6a83-4c12-8269-97c8e32cdb22] Started GET "/"`, info, inferred, true)
	f(`D, [2024-05-01T12:00:00.123456 #12] DEBUG -- : msg`, debug, inferred, true)
	f(`F, [2024-05-01T12:00:00.123456 #12] FATAL -- : [req] ActionController::RoutingError (No route matches [GET] "/wp-login.php"):`, crit, inferred, true)
	f(`A, [2024-05-01T12:00:00.123456 #12]   ANY -- : msg`, 0, 0, false)

	// Rails without level (Heroku default)
	f(`Started GET "/" for 1.2.3.4 at 2024-05-01 12:00:00 +0000`, 0, 0, false)
	f(`Processing by UsersController#index as HTML`, 0, 0, false)
	f(`  User Load (0.4ms)  SELECT "users".* FROM "users" WHERE "users"."id" = $1 LIMIT $2  [["id", 1], ["LIMIT", 1]]`, 0, 0, false)
	f(`  ActiveRecord::SchemaMigration Load (0.5ms)  SELECT "schema_migrations"."version" FROM "schema_migrations"`, 0, 0, false)
	f(`Completed 200 OK in 12ms (Views: 1.2ms | ActiveRecord: 3.4ms | Allocations: 5678)`, 0, 0, false)
	f(`Completed 404 Not Found in 3ms (ActiveRecord: 0.0ms | Allocations: 512)`, 0, 0, false)
	f(`Completed 500 Internal Server Error in 12ms (ActiveRecord: 1.1ms | Allocations: 4321)`, err, inferred, true)
	f(`[8601b555-6a83-4c12-8269-97c8e32cdb22] Completed 503 Service Unavailable in 30001ms`, err, inferred, true)
	f(`ActionController::RoutingError (No route matches [GET] "/wp-login.php"):`, err, inferred, true)
	f(`[8601b555-6a83-4c12-8269-97c8e32cdb22] ActiveRecord::RecordNotFound (Couldn't find User with 'id'=7):`, err, inferred, true)
	f(`ActionView::Template::Error (undefined local variable or method 'x' for an instance of #<Class:0x1>):`, err, inferred, true)
	f(`RuntimeError (boom):`, err, inferred, true)

	// Java: logback, log4j, Spring Boot, java.util.logging, exceptions
	f(`12:00:00.123 [main] ERROR com.x.Y - msg`, err, inferred, true)
	f(`12:00:00.123 [http-nio-8080-exec-1] INFO  c.x.ErrorController - Error page rendered`, info, inferred, true)
	f(`2024-05-01 12:00:00,123 [main] WARN  com.x.Y - msg`, warning, inferred, true)
	f(`2024-05-01T12:00:00.123Z ERROR 1 --- [           main] o.s.boot.SpringApplication               : Application run failed`, err, inferred, true)
	f(`2024-05-01 12:00:00.123  INFO 4 --- [main] com.x.App : Started App in 3.2 seconds`, info, inferred, true)
	f(`ERROR [main] c.x.Y: msg`, err, inferred, true)
	f(`SEVERE: Servlet.service() for servlet [dispatcher] threw exception`, err, inferred, true)
	f(`May 01, 2024 12:00:00 PM org.apache.catalina.startup.Catalina start`, 0, 0, false)
	f(`Exception in thread "main" java.lang.IllegalStateException: x`, err, inferred, true)
	f(`java.lang.NullPointerException`, err, inferred, true)
	f(`java.lang.IllegalArgumentException: bad id`, err, inferred, true)
	f(`Caused by: java.io.IOException: Broken pipe`, err, inferred, true)
	f(`	at com.x.Y.method(Y.java:12)`, 0, 0, false)
	f(`Caused by: nothing`, 0, 0, false)

	// Python
	f(`WARNING:root:msg`, warning, inferred, true)
	f(`ERROR:app.module:msg`, err, inferred, true)
	f(`CRITICAL:root:disk gone`, crit, inferred, true)
	f(`INFO:werkzeug:127.0.0.1 - - [01/May/2024 12:00:00] "GET / HTTP/1.1" 200 -`, info, inferred, true)
	f(`2024-05-01 12:00:00,123 ERROR app: msg`, err, inferred, true)
	f(`2024-05-01 12:00:00,123 - app.db - ERROR - connection lost`, err, inferred, true)
	f(`2024-05-01 12:00:00,123 - app - Warning - not a levelname`, 0, 0, false)
	f(`Traceback (most recent call last):`, err, inferred, true)
	f(`  File "/app/app.py", line 3, in <module>`, 0, 0, false)
	f(`ValueError: invalid literal for int() with base 10: 'x'`, err, inferred, true)
	f(`psycopg2.OperationalError: could not connect to server`, err, inferred, true)
	f(`[2024-05-01 12:00:00 +0000] [12] [ERROR] Exception in worker process`, err, inferred, true)
	f(`[2024-05-01 12:00:00 +0000] [4] [INFO] Booting worker with pid: 4`, info, inferred, true)
	f(`[2024-05-01 12:00:00,123: ERROR/MainProcess] Task app.tasks.x[abc] raised unexpected: ValueError()`, err, inferred, true)
	f(`[2024-05-01 12:00:00,123: WARNING/ForkPoolWorker-1] retrying`, warning, inferred, true)
	f(`/app/x.py:3: DeprecationWarning: datetime.utcnow() is deprecated`, 0, 0, false)

	// Go
	f(`panic: runtime error: index out of range [5] with length 3`, crit, inferred, true)
	f(`fatal error: all goroutines are asleep - deadlock!`, crit, inferred, true)
	f(`goroutine 1 [running]:`, 0, 0, false)
	f(`2024/05/01 12:00:00 ERROR cannot connect err="dial tcp"`, err, inferred, true)
	f(`2024/05/01 12:00:00 listening on :8080`, 0, 0, false)
	f(`2024-05-01T12:00:00.123Z	ERROR	api/handler.go:88	request failed	{"status": 502}`, err, inferred, true)
	f(`1.7145648001234e+09	error	main.go:12	x`, err, inferred, true)
	f(`12:00AM INF listening addr=:8080`, info, inferred, true)
	f(`12:00AM WRN slow`, warning, inferred, true)
	f(`ERRO[0000] cannot connect`, err, inferred, true)
	f(`2024-05-01T12:00:00.000Z [ERROR] plugin: x`, err, inferred, true)

	// Node
	f(`(node:12) UnhandledPromiseRejectionWarning: Error: boom`, warning, inferred, true)
	f(`(node:12) [DEP0005] DeprecationWarning: Buffer() is deprecated due to security and usability issues.`, warning, inferred, true)
	f(`(node:12) Warning: Accessing non-existent property`, warning, inferred, true)
	f(`TypeError: Cannot read properties of undefined (reading 'id')`, err, inferred, true)
	f(`Error: listen EADDRINUSE: address already in use :::3000`, err, inferred, true)
	f(`    at Object.<anonymous> (/app/index.js:3:11)`, 0, 0, false)
	f(`npm ERR! code ELIFECYCLE`, err, inferred, true)
	f(`npm WARN deprecated request@2.88.2: request has been deprecated`, warning, inferred, true)
	f(`error: connection refused`, err, inferred, true)
	f(`info: server started on port 3000`, info, inferred, true)
	f(`warn  - You have enabled experimental feature`, warning, inferred, true)
	f(`Listening on port 3000`, 0, 0, false)

	// Lambda runtimes
	f("2024-05-01T12:00:00.123Z\t6e8a9c5d-1234-4abc-9def-0123456789ab\tERROR\tInvoke Error \t{\"errorType\":\"Error\"}", err, inferred, true)
	f("2024-05-01T12:00:00.123Z\tf6e8a9c5-1234-4abc-9def-0123456789ab\tINFO\thello", info, inferred, true)
	f("[ERROR]\t2024-05-01T12:00:00.123Z\t6e8a9c5d-1234-4abc-9def-0123456789ab\tboom", err, inferred, true)
	f("[WARNING]\t2024-05-01T12:00:00.123Z\t6e8a9c5d-1234-4abc-9def-0123456789ab\tslow", warning, inferred, true)
	f(`2024-05-01T12:00:00.123Z 6e8a9c5d-1234-4abc-9def-0123456789ab Task timed out after 3.00 seconds`, err, inferred, true)
	f(`[ERROR] Runtime.ImportModuleError: Unable to import module 'app'`, err, inferred, true)

	// servers: nginx, Apache, PostgreSQL, Elixir, Rust, Serilog console, Redis, PHP, Heroku
	f(`2024/05/01 12:00:00 [error] 12#12: *1 connect() failed (111: Connection refused) while connecting to upstream`, err, inferred, true)
	f(`2024/05/01 12:00:00 [crit] 12#12: *1 SSL_do_handshake() failed`, crit, inferred, true)
	f(`2024/05/01 12:00:00 [emerg] 1#1: bind() to 0.0.0.0:80 failed`, emerg, inferred, true)
	f(`[Wed May 01 12:00:00.123456 2024] [core:error] [pid 12:tid 34] [client 1.2.3.4:5] AH00124: x`, err, inferred, true)
	f(`[Wed May 01 12:00:00.123456 2024] [mpm_prefork:notice] [pid 1] AH00163: Apache configured`, notice, inferred, true)
	f(`2024-05-01 12:00:00.123 UTC [12] ERROR:  relation "users" does not exist at character 15`, err, inferred, true)
	f(`2024-05-01 12:00:00.123 UTC [12] LOG:  checkpoint starting: time`, 0, 0, false)
	f(`12:00:00.123 [error] GenServer MyApp.Worker terminating`, err, inferred, true)
	f(`12:00:00.123 [info] Running MyAppWeb.Endpoint with cowboy`, info, inferred, true)
	f(`2024-05-01T12:00:00.123456Z  WARN my_app::db: pool exhausted`, warning, inferred, true)
	f(`[2024-05-01T12:00:00Z ERROR my_app] cannot bind`, err, inferred, true)
	f(`[12:00:00 ERR] Unhandled exception`, err, inferred, true)
	f(`[12:00:00 INF] Now listening on: http://[::]:8080`, info, inferred, true)
	f(`1:M 01 May 2024 12:00:00.123 * Ready to accept connections`, 0, 0, false)
	f(`PHP Warning:  Undefined variable $x in /app/index.php on line 3`, warning, inferred, true)
	f(`PHP Fatal error:  Uncaught Exception: boom in /app/index.php:3`, crit, inferred, true)
	f(`PHP Parse error:  syntax error, unexpected end of file in /app/index.php on line 9`, err, inferred, true)
	f(`PHP Notice:  Undefined index: id in /app/index.php on line 4`, notice, inferred, true)
	f(`Error R14 (Memory quota exceeded)`, err, inferred, true)
	f(`Error H10 (App crashed)`, err, inferred, true)
	f(`2024-05-01T12:00:00.123Z pid=4 tid=gq3 class=HardJob jid=abc elapsed=1.2 INFO: done`, info, inferred, true)
	f(`2024-05-01T12:00:00.123Z pid=4 tid=gq3 WARN: retrying`, warning, inferred, true)

	// bracketed and other marker positions
	f(`[error] x`, err, inferred, true)
	f(`[ERROR] x`, err, inferred, true)
	f(`[ warn ] x`, warning, inferred, true)
	f(`<error> x`, err, inferred, true)
	f(`(error) x`, err, inferred, true)
	f(`[Information] x`, info, inferred, true)
	f(`ERROR`, err, inferred, true)
	f(`WARN x`, warning, inferred, true)
	f(`Warning: something`, warning, inferred, true)
	f(`DEBUG mode on`, debug, inferred, true)
	f(`TRACE: entering`, debug, inferred, true)
	f(`NOTICE: x`, notice, inferred, true)
	f(`ALERT: disk full`, alert, inferred, true)
	f(`EMERGENCY: x`, emerg, inferred, true)
	f(`FATAL: password authentication failed`, crit, inferred, true)
	f(`PANIC: could not write to file "pg_wal/xlogtemp.12": No space left on device`, crit, inferred, true)
	f(`CRITICAL: x`, crit, inferred, true)
	f(`EMERG: x`, emerg, inferred, true)
	// words above error in lower or mixed case before ':' are prose or a
	// CLI, not a logger; Go's exact "panic: " is the exception
	f(`Alert: new follower`, 0, 0, false)
	f(`alert: new follower`, 0, 0, false)
	f(`Panic: the musical opens tonight`, 0, 0, false)
	f(`Panic:x`, 0, 0, false)
	f(`panic:x`, 0, 0, false)
	f(`fatal: not a git repository (or any of the parent directories): .git`, 0, 0, false)
	f(`Fatal: x`, 0, 0, false)
	f(`Critical: update available`, 0, 0, false)
	f(`crit: x`, 0, 0, false)
	f(`Emergency: contact 112`, 0, 0, false)
	f(`emerg: x`, 0, 0, false)
	f(`panic: assignment to entry in nil map`, crit, inferred, true)
	f(`2024-05-01 12:00:00 panic: boom`, crit, inferred, true)
	f(`Fatal error: Uncaught Error: Call to undefined function x()`, crit, inferred, true)
	f(`[alert] x`, alert, inferred, true)
	f(`[Fatal] x`, crit, inferred, true)
	f(`(panic) x`, crit, inferred, true)
	f(`2024/05/01 12:00:00 [alert] 12#12: x`, alert, inferred, true)
	f("1.7145648001234e+09\tfatal\tmain.go:12\tx", crit, inferred, true)
	f(`fatal  - x`, crit, inferred, true)
	f(`error: still counts in lower case`, err, inferred, true)
	f(`Warning: still counts in mixed case`, warning, inferred, true)
	f(`2024-05-01 12:00:00 | ERROR | x`, err, inferred, true)

	// prose and near misses
	f(`0 errors found`, 0, 0, false)
	f(`error count: 0`, 0, 0, false)
	f(`Error connecting to Redis on localhost:6379 (Errno::ECONNREFUSED)`, 0, 0, false)
	f(`Retrying after error: timeout`, 0, 0, false)
	f(`User signed in; no ERROR here`, 0, 0, false)
	f(`Sending WARN notification`, 0, 0, false)
	f(`ERROR_CODE=5 returned`, 0, 0, false)
	f(`ERRORS: none`, 0, 0, false)
	f(`Info about the release`, 0, 0, false)
	f(`[error-reporter] started`, 0, 0, false)
	f(`[main] starting; ERROR handling enabled`, 0, 0, false)
	f(`Inf: 1`, 0, 0, false)
	f(`Errorhandler::Base (x)`, err, inferred, true)
	f(`ErrorHandler initialised`, 0, 0, false)
	f(`State changed from starting to up`, 0, 0, false)
	f(`Process exited with status 137`, 0, 0, false)
	f(`Stopping all processes with SIGTERM`, 0, 0, false)
	f(`1.2.3.4 - - [01/May/2024:12:00:00 +0000] "GET /error HTTP/1.1" 500 12`, 0, 0, false)
	f(`"GET / HTTP/1.1" 200`, 0, 0, false)
	f(`1234567890 abcdefghijklmnopqrstuvwxyz 1234567890 1234567890 1234567890 1234567890 1234567890 ERROR`, 0, 0, false)
	f(`00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000 ERROR`, 0, 0, false)
	f(`[`+"main thread that never closes ERROR", 0, 0, false)
	f(``, 0, 0, false)
	f(`   `, 0, 0, false)
	f(`{`, 0, 0, false)
	f(`E, [`, err, inferred, true)
}

func TestInfer(t *testing.T) {
	inferCases(func(in string, sev event.Severity, src event.SeveritySource, ok bool) {
		t.Helper()
		gs, gsrc, gok := Infer(in)
		if gs != sev || gsrc != src || gok != ok {
			t.Errorf("Infer(%q) = %v, %q, %v; want %v, %q, %v", in, gs, gsrc, gok, sev, src, ok)
		}
	})
}

func TestInferZeroAllocs(t *testing.T) {
	inferCases(func(in string, _ event.Severity, _ event.SeveritySource, _ bool) {
		t.Helper()
		if n := testing.AllocsPerRun(10, func() { Infer(in) }); n != 0 {
			t.Errorf("Infer(%q) allocates %v times", in, n)
		}
	})
}

func TestParseMode(t *testing.T) {
	f := func(in string, want Mode, wantErr string) {
		t.Helper()
		got, err := ParseMode(in)
		if got != want || (err == nil) != (wantErr == "") || err != nil && err.Error() != wantErr {
			t.Errorf("ParseMode(%q) = %v, %v; want %v, %s", in, got, err, want, wantErr)
		}
		if err == nil && in != "" && got.String() != in {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
	f("auto", Auto, "")
	f("", Auto, "")
	f("always", Always, "")
	f("never", Never, "")
	f("Always", Auto, `cannot parse severity mode: unknown mode "Always" (want auto, always or never)`)
	f("sometimes", Auto, `cannot parse severity mode: unknown mode "sometimes" (want auto, always or never)`)

	var m Mode
	if err := m.UnmarshalText([]byte("never")); err != nil || m != Never {
		t.Fatalf("UnmarshalText = %v, %v", m, err)
	}
	if err := m.UnmarshalText([]byte("x")); err == nil || m != Never {
		t.Fatalf("UnmarshalText(x) = %v, %v", m, err)
	}
	if b, err := Always.MarshalText(); err != nil || string(b) != "always" {
		t.Fatalf("MarshalText = %s, %v", b, err)
	}
	if _, err := Mode(9).MarshalText(); err == nil || Mode(9).String() != "invalid" {
		t.Fatal("invalid mode marshalled")
	}
}

func TestApply(t *testing.T) {
	type ev struct {
		sev    event.Severity
		src    event.SeveritySource
		fields string // pri_severity value, "" when absent
	}
	const (
		unset = event.SeverityUnset
		pri   = event.SeverityPRI
	)
	f := func(mode Mode, msg string, in ev, want ev, changed bool) {
		t.Helper()
		e := event.Event{Message: msg, Severity: in.sev, SeveritySource: in.src, Facility: event.FacilityFromCode(23)}
		if got := Apply(&e, mode); got != changed {
			t.Errorf("Apply(%v, %q) = %v, want %v", mode, msg, got, changed)
		}
		got := ev{e.Severity, e.SeveritySource, ""}
		if fl, ok := e.Field(PRISeverityField); ok {
			got.fields = fl.Value
		}
		if got != want || e.Facility != event.FacilityFromCode(23) {
			t.Errorf("Apply(%v, %q): event %+v facility %v, want %+v local7", mode, msg, got, e.Facility, want)
		}
	}
	const jsonErr = `{"level":"error","msg":"x"}`
	const plain = `Started GET "/" for 1.2.3.4 at 2024-05-01 12:00:00 +0000`
	// Heroku: PRI 190 (local7.info)
	f(Auto, jsonErr, ev{info, pri, ""}, ev{err, field, "info"}, true)
	f(Auto, `E, [2024-05-01T12:00:00.123456 #12] ERROR -- : x`, ev{info, pri, ""}, ev{err, inferred, "info"}, true)
	f(Auto, plain, ev{info, pri, ""}, ev{info, pri, ""}, false)
	f(Auto, `{"level":"info"}`, ev{info, pri, ""}, ev{info, field, ""}, false)
	// a real non-info PRI is trusted in Auto, overridden in Always
	f(Auto, jsonErr, ev{warning, pri, ""}, ev{warning, pri, ""}, false)
	f(Always, jsonErr, ev{warning, pri, ""}, ev{err, field, "warning"}, true)
	f(Always, plain, ev{warning, pri, ""}, ev{warning, pri, ""}, false)
	// no severity from the transport
	f(Auto, jsonErr, ev{info, unset, ""}, ev{err, field, ""}, true)
	f(Auto, jsonErr, ev{debug, unset, ""}, ev{err, field, ""}, true)
	f(Always, jsonErr, ev{info, unset, ""}, ev{err, field, ""}, true)
	// already from the line: kept in every mode
	f(Always, jsonErr, ev{warning, field, ""}, ev{warning, field, ""}, false)
	f(Always, jsonErr, ev{warning, inferred, ""}, ev{warning, inferred, ""}, false)
	f(Auto, jsonErr, ev{info, field, ""}, ev{info, field, ""}, false)
	// never
	f(Never, jsonErr, ev{info, pri, ""}, ev{info, pri, ""}, false)
	f(Never, jsonErr, ev{info, unset, ""}, ev{info, unset, ""}, false)
	f(Mode(9), jsonErr, ev{info, pri, ""}, ev{info, pri, ""}, false)

	// pri_severity is set once, not duplicated
	e := event.Event{Message: jsonErr, Severity: info, SeveritySource: pri}
	e.AddString(PRISeverityField, "old")
	Apply(&e, Auto)
	if len(e.Fields) != 1 || e.Fields[0].Value != "info" {
		t.Fatalf("fields %+v", e.Fields)
	}
}

// FuzzInfer checks that Infer never panics, is deterministic, returns a
// valid severity with a line source, and that Apply agrees with it.
func FuzzInfer(f *testing.F) {
	inferCases(func(in string, _ event.Severity, _ event.SeveritySource, _ bool) { f.Add(in) })
	f.Fuzz(func(t *testing.T, in string) {
		sev, src, ok := Infer(in)
		sev2, src2, ok2 := Infer(in)
		if sev != sev2 || src != src2 || ok != ok2 {
			t.Fatalf("Infer(%q) not deterministic", in)
		}
		if !ok {
			if sev != 0 || src != 0 {
				t.Fatalf("Infer(%q) = %v, %v, false", in, sev, src)
			}
		} else if !sev.Valid() || src != event.SeverityField && src != event.SeverityInferred {
			t.Fatalf("Infer(%q) = %v, %v", in, sev, src)
		}
		e := event.Event{Message: in, Severity: event.Info, SeveritySource: event.SeverityPRI}
		changed := Apply(&e, Auto)
		if changed != (ok && sev != event.Info) || ok && (e.Severity != sev || e.SeveritySource != src) {
			t.Fatalf("Apply(%q) = %v, event %v %v; Infer %v %v %v", in, changed, e.Severity, e.SeveritySource, sev, src, ok)
		}
	})
}
