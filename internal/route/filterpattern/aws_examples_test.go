package filterpattern

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The tests in this file are the examples of the AWS guide "Filter pattern
// syntax for metric filters, subscription filters, filter log events, and
// Live Tail" (its current pages on regex, unstructured, JSON and
// space-delimited patterns, and the 2014-2022 version of the page), with
// the results the guide gives.

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readLines(t testing.TB, name string) []string {
	t.Helper()
	return strings.Split(strings.TrimSuffix(readTestdata(t, name), "\n"), "\n")
}

// matcher returns a checker of (pattern, message, want) for table tests.
func matcher(t *testing.T) func(pattern, message string, want bool) {
	return func(pattern, message string, want bool) {
		t.Helper()
		p, err := Compile(pattern)
		if err != nil {
			t.Errorf("Compile(%q): %v", pattern, err)
			return
		}
		if got := p.Match(message); got != want {
			t.Errorf("Compile(%q).Match(%q) = %v, want %v", pattern, message, got, want)
		}
		if vals, ok := p.Extract(message); ok != want || ok != (vals != nil) {
			t.Errorf("Compile(%q).Extract(%q) = %v, %v; want ok=%v", pattern, message, vals, ok, want)
		}
	}
}

func TestGuideRegex(t *testing.T) {
	f := matcher(t)
	f(`%AUTHORIZED%`, `[ERROR 401] UNAUTHORIZED REQUEST`, true)
	f(`%AUTHORIZED%`, `[SUCCESS 200] AUTHORIZED REQUEST`, true)
	f(`%AUTHORIZED%`, `[SUCCESS 200] authorized request`, false)
	// ^ and $ anchor at the start and end of the message.
	f(`%^[hc]at%`, `hat`, true)
	f(`%^[hc]at%`, `cat nap`, true)
	f(`%^[hc]at%`, `that`, false)
	f(`%[hc]at$%`, `that`, true)
	f(`%[hc]at$%`, `cat nap`, false)
	f(`%colou?r%`, `color`, true)
	f(`%colou?r%`, `colour`, true)
	f(`%colou?r%`, `colr`, false)
	f(`%[abc]%`, `b`, true)
	f(`%[abc]%`, `d`, false)
	f(`%[a-z]%`, `Q9q`, true)
	f(`%[a-z]%`, `Q9`, false)
	f(`%[abcx-z]%`, `y`, true)
	f(`%[abcx-z]%`, `w`, false)
	f(`%a{3,5}%`, `aaa`, true)
	f(`%a{3,5}%`, `aaaaa`, true)
	f(`%a{3,5}%`, `aa`, false)
	// "Either m or n can be omitted"; the guide writes {m, n} with a space.
	f(`%a{3, 5}%`, `aaaa`, true)
	f(`%a{3, 5}%`, `aa`, false)
	f(`%^a{,2}$%`, `aa`, true)
	f(`%^a{,2}$%`, `aaa`, false)
	f(`%^a{2,}$%`, `aaaa`, true)
	f(`%^a{2,}$%`, `a`, false)
	f(`%gra|ey%`, `gray`, true)
	f(`%gra|ey%`, `grey`, true)
	f(`%gra|ey%`, `groy`, false)
	f(`%^starting|^initializing|^shutting down%`, `starting worker 3`, true)
	f(`%^starting|^initializing|^shutting down%`, `initializing cache`, true)
	f(`%^starting|^initializing|^shutting down%`, `shutting down`, true)
	f(`%^starting|^initializing|^shutting down%`, `skipping initializing cache`, false)
	// The guide prints this one without its closing %.
	f(`%abcc|ab[^c]$%`, `abcc tail`, true)
	f(`%abcc|ab[^c]$%`, `aba`, true)
	f(`%abcc|ab[^c]$%`, `aac tail`, false)
	f(`%\[.\]%`, `[a]`, true)
	f(`%\[.\]%`, `[7]`, true)
	f(`%\[.\]%`, `[@]`, true)
	f(`%\[.\]%`, `[]]`, true)
	f(`%\[.\]%`, `[ ]`, true)
	f(`%\[.\]%`, `[ab]`, false)
	f(`%10\.10\.0\.1%`, `connect from 10.10.0.1 port 22`, true)
	f(`%10\.10\.0\.1%`, `10010,051`, false)
	f(`%10.10.0.1%`, `10010,051`, true)
	f(`%ab*c%`, `ac`, true)
	f(`%ab*c%`, `abc`, true)
	f(`%ab*c%`, `abbbc`, true)
	f(`%ab*c%`, `abd`, false)
	f(`%ab[0-9]*%`, `ab`, true)
	f(`%ab[0-9]*%`, `ab0`, true)
	f(`%ab[0-9]*%`, `ab129`, true)
	f(`%ab+c%`, `abc`, true)
	f(`%ab+c%`, `abbc`, true)
	f(`%ab+c%`, `abbbc`, true)
	f(`%ab+c%`, `ac`, false)
	f(`%.at%`, `hat`, true)
	f(`%.at%`, `4at`, true)
	f(`%.at%`, `#at`, true)
	f(`%.at%`, ` at`, true)
	f(`%.at%`, `at`, false)
	// "Matches any single character": a newline too.
	f(`%a.b%`, "a\nb", true)
	f(`%\d%`, `abc1`, true)
	f(`%\d%`, `abc`, false)
	f(`%[0-9]%`, `abc1`, true)
	f(`%\D%`, `123`, false)
	f(`%\D%`, `12a`, true)
	f(`%[^0-9]%`, `12a`, true)
	f(`%a\sb%`, "a\tb", true)
	f(`%a\sb%`, "a b", true)
	f(`%a\sb%`, "a\nb", true)
	f(`%a\sb%`, "a_b", false)
	f(`%a\Sb%`, "a_b", true)
	f(`%\w%`, `_`, true)
	f(`%\w%`, `-+`, false)
	f(`%[a-zA-Z_0-9]%`, `_`, true)
	f(`%\W%`, `-+`, true)
	f(`%\W%`, `ab_9`, false)
	f(`%[^a-zA-Z_0-9]%`, `ab_9`, false)
	f(`%\x3A%`, `key: value`, true)
	f(`%\x3A%`, `key value`, false)
	f(`%\x28%`, `Error R14 (Memory quota exceeded)`, true)
	// The regex page's introduction.
	f(`%\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}%`, `fwd="204.204.204.204"`, true)
	f(`%\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}%`, `fwd="204.204.204"`, false)
	f(`%[Ee]rror|[Ff]ail%`, `Error R14 (Memory quota exceeded)`, true)
	f(`%[Ee]rror|[Ff]ail%`, `job failed`, true)
	f(`%[Ee]rror|[Ff]ail%`, `ERROR FAILED`, false)
}

func TestGuideUnstructured(t *testing.T) {
	f := matcher(t)
	const (
		e400 = `[ERROR 400] BAD REQUEST`
		e401 = `[ERROR 401] UNAUTHORIZED REQUEST`
		e419 = `[ERROR 419] MISSING ARGUMENTS`
		e420 = `[ERROR 420] INVALID ARGUMENTS`
	)
	f(`ERROR`, e400, true)
	f(`ERROR`, e401, true)
	f(`ERROR`, e419, true)
	f(`ERROR`, e420, true)
	f(`ERROR ARGUMENTS`, e419, true)
	f(`ERROR ARGUMENTS`, e420, true)
	f(`ERROR ARGUMENTS`, e400, false)
	f(`ERROR ARGUMENTS`, e401, false)
	f(`?ERROR ?ARGUMENTS`, e400, true)
	f(`?ERROR ?ARGUMENTS`, e401, true)
	f(`?ERROR ?ARGUMENTS`, e419, true)
	f(`?ERROR ?ARGUMENTS`, e420, true)
	f(`?ERROR ?ARGUMENTS`, `[INFO] INVALID ARGUMENTS PROVIDED`, true)
	f(`?ERROR ?ARGUMENTS`, `[INFO] REQUEST FAILED`, false)
	// "If you combine "?" with other filter patterns, all question mark
	// terms will be ignored."
	f(`?ERROR ?ARGUMENTS REQUEST`, `[INFO] REQUEST FAILED`, true)
	f(`?ERROR ?ARGUMENTS REQUEST`, `[WARN] UNAUTHORIZED REQUEST`, true)
	f(`?ERROR ?ARGUMENTS REQUEST`, `[ERROR] 400 BAD REQUEST`, true)
	f(`?ERROR ?ARGUMENTS REQUEST`, e419, false)
	f(`"INTERNAL SERVER ERROR"`, `[ERROR 500] INTERNAL SERVER ERROR`, true)
	f(`"INTERNAL SERVER ERROR"`, `[ERROR 500] INTERNAL ERROR ON SERVER`, false)
	f(`ERROR -ARGUMENTS`, e400, true)
	f(`ERROR -ARGUMENTS`, e401, true)
	f(`ERROR -ARGUMENTS`, e419, false)
	f(`ERROR -ARGUMENTS`, e420, false)
	// "You can match everything in your log events with double quotation
	// marks": " ", and the empty pattern.
	f(`" "`, e400, true)
	f(`" "`, ``, true)
	f(``, e400, true)
	f(`""`, e400, true)

	// The 2014-2022 page.
	f(`ERROR`, `[ERROR] A fatal exception has occurred`, true)
	f(`ERROR`, `Exiting with ERRORCODE: -1`, true)
	f(`ERROR -Exiting`, `[ERROR] A fatal exception has occurred`, true)
	f(`ERROR -Exiting`, `Exiting with ERRORCODE: -1`, false)
	f(`ERROR Exception`, `[ERROR] Caught IllegalArgumentException`, true)
	f(`ERROR Exception`, `[ERROR] Unhandled Exception`, true)
	f(`ERROR Exception`, `[ERROR] Unhandled exception`, false)
	f(`Failed to process the request`, `[WARN] Failed to process the request`, true)
	f(`Failed to process the request`, `[ERROR] Unable to continue: Failed to process the request`, true)
	f(`Failed to process the request`, `[WARN] Failed to process request`, false)
	for _, c := range []struct {
		pattern string
		want    [3]bool
	}{
		{`ERROR`, [3]bool{true, true, false}},
		{`?ERROR ?WARN`, [3]bool{true, true, true}},
		{`ERROR WARN`, [3]bool{true, false, false}},
		{`ERROR -WARN`, [3]bool{false, true, false}},
	} {
		for i, msg := range []string{`ERROR WARN message`, `ERROR message`, `WARN message`} {
			f(c.pattern, msg, c.want[i])
		}
	}

	// The FilterLogEvents examples of the API reference.
	f(`-ERROR`, `[INFO] started`, true)
	f(`-ERROR`, e400, false)
	f(`?ERROR ?Exception`, `[WARN] Unhandled Exception`, true)
	f(`?ERROR ?Exception`, `[WARN] retrying`, false)
}

func TestGuideJSON(t *testing.T) {
	f := matcher(t)
	event := readTestdata(t, "aws-json-event.json")
	f(`{ $.eventType = "UpdateTrail" }`, event, true)
	f(`{ $.sourceIPAddress != 123.123.* }`, event, true)
	f(`{ $.arrayKey[0] = "value" }`, event, true)
	f(`{ $.eventType = %Trail% }`, event, true)
	f(`{ $.arrayKey[*] = %val.{2}% }`, event, true)
	f(`{ $.* = %111\.111\.111\.1[0-9]{1,2}% }`, event, true)
	f(`{ $.['cluster.name'] = "c" }`, event, true)
	f(`{ $.SomeObject IS NULL }`, event, true)
	f(`{ $.SomeOtherObject NOT EXISTS }`, event, true)
	// The same with other values: none of them match.
	f(`{ $.eventType = "DeleteTrail" }`, event, false)
	f(`{ $.sourceIPAddress != 111.111.* }`, event, false)
	f(`{ $.arrayKey[1] = "value" }`, event, false)
	f(`{ $.eventType = %Tail% }`, event, false)
	f(`{ $.arrayKey[*] = %vel.{2}% }`, event, false)
	f(`{ $.* = %222\.111\.111\.1[0-9]{1,2}% }`, event, false)
	f(`{ $.cluster.name = "c" }`, event, false)
	f(`{ $.eventType IS NULL }`, event, false)
	f(`{ $.SomeObject NOT EXISTS }`, event, false)
	// "If a property selector points to an array or object, the filter
	// pattern won't match."
	f(`{ $.arrayKey = "value" }`, event, false)
	f(`{ $.arrayKey != "value" }`, event, false)
	// "you must enter the example JSON log on a single line": both work.
	f(`{ $.eventType = "UpdateTrail" }`, strings.Join(strings.Fields(event), " "), true)

	// The JSON page's other sample events.
	f(`{ $.eventType = "UpdateTrail" }`, `{"eventType": "UserLogin", "userId": "123"}`, false)
	f(`{ $.eventType = "UpdateTrail" }`, `{"eventType": "ConfigUpdate", "component": "database"}`, false)
	f(`{ $.eventType = "UpdateTrail" }`, `{"eventType": "UpdateTrail", "source": "cloudtrail"}`, true)

	compound := readTestdata(t, "aws-json-compound.json")
	f(`{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }`, compound, true)
	f(`{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nonmatch" }`, compound, true)
	f(`{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && $.actions[2] = "nonmatch" }`, compound, false)
	f(`{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }`, compound, false)
	// The 2014-2022 page wrote the values unquoted.
	f(`{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }`, compound, true)
	f(`{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }`, compound, false)
	f(`{ $.coordinates[1][2] = 6 && $.actions[2] = DELETE && $.users[1].id > 2 }`, compound, true)

	// The 2014-2022 page's sample event.
	old := readTestdata(t, "aws-json-event-2014.json")
	f(`{ $.objectList[1].id = 2 }`, old, true)
	f(`{ $.objectList[1].id = 1 }`, old, false)
	f(`{ $.ThisFlag IS TRUE }`, old, true)
	f(`{ $.ThisFlag IS FALSE }`, old, false)
	f(`{ $.SomeObject IS NULL }`, old, true)
	f(`{ $.SomeOtherObject NOT EXISTS }`, old, true)
	users := `{"users": [1, 2, 3]}`
	f(`{$.users = 1}`, users, false)
	f(`{$.users != 1}`, users, false)
	for _, c := range []struct {
		pattern string
		want    [2]bool
	}{
		{`{$.foo = bar}`, [2]bool{true, false}},
		{`{$.foo = baz }`, [2]bool{false, true}},
		{`{$.foo = bar || $.foo = baz }`, [2]bool{true, true}},
	} {
		for i, msg := range []string{`{"foo": "bar"}`, `{"foo": "baz"}`} {
			f(c.pattern, msg, c.want[i])
		}
	}
	// String wildcards: "*Event will match PutEvent and GetEvent. Event*
	// will match EventId and EventName. Ev*ent will only match the actual
	// string Ev*ent."
	f(`{ $.eventName = *Event }`, `{"eventName": "PutEvent"}`, true)
	f(`{ $.eventName = *Event }`, `{"eventName": "GetEvent"}`, true)
	f(`{ $.eventName = *Event }`, `{"eventName": "EventId"}`, false)
	f(`{ $.eventName = Event* }`, `{"eventName": "EventId"}`, true)
	f(`{ $.eventName = Event* }`, `{"eventName": "EventName"}`, true)
	f(`{ $.eventName = Event* }`, `{"eventName": "PutEvent"}`, false)
	f(`{ $.eventName = Ev*ent }`, `{"eventName": "Ev*ent"}`, true)
	f(`{ $.eventName = Ev*ent }`, `{"eventName": "Event"}`, false)

	// Numeric comparisons, with events written for them.
	f(`{ $.bandwidth > 75 }`, `{"bandwidth": 76}`, true)
	f(`{ $.bandwidth > 75 }`, `{"bandwidth": 75}`, false)
	f(`{ $.latency < 50 }`, `{"latency": 49.9}`, true)
	f(`{ $.latency < 50 }`, `{"latency": 50}`, false)
	f(`{ $.refreshRate >= 60 }`, `{"refreshRate": 60}`, true)
	f(`{ $.refreshRate >= 60 }`, `{"refreshRate": 59}`, false)
	f(`{ $.responseTime <= 5 }`, `{"responseTime": 5}`, true)
	f(`{ $.responseTime <= 5 }`, `{"responseTime": 5.01}`, false)
	f(`{ $.errorCode = 400}`, `{"errorCode": 400}`, true)
	f(`{ $.errorCode = 400}`, `{"errorCode": 4e2}`, true)
	f(`{ $.errorCode = 400}`, `{"errorCode": 401}`, false)
	f(`{ $.errorCode != 500 }`, `{"errorCode": 400}`, true)
	f(`{ $.errorCode != 500 }`, `{"errorCode": 500}`, false)
	f(`{ $.number[0] = 1e+3 }`, `{"number": [1000, 1]}`, true)
	f(`{ $.number[0] = 1e+3 }`, `{"number": [1, 1000]}`, false)
	f(`{ $.number[0] != 1e-3 }`, `{"number": [0.001]}`, false)
	f(`{ $.number[0] != 1e-3 }`, `{"number": [0.002]}`, true)
	f(`{ $.latency >= 500 }`, `{"latency": 500}`, true)
	f(`{ $.numbers[0] < 10e3 }`, `{"numbers": [9999]}`, true)
	f(`{ $.numbers[0] < 10e3 }`, `{"numbers": [10000]}`, false)
	f(`{ $.numbers[0] < 10e-3 }`, `{"numbers": [0.009]}`, true)
	f(`{ $.numbers[0] < 10e-3 }`, `{"numbers": [0.01]}`, false)
	f(`{ $.processes[4].averageRuntime <= 55.5 }`, `{"processes": [{}, {}, {}, {}, {"averageRuntime": 55.5}]}`, true)
	f(`{ $.processes[4].averageRuntime <= 55.5 }`, `{"processes": [{}, {}, {}, {"averageRuntime": 1}]}`, false)
	f(`{ $.latency > +1000 }`, `{"latency": 1001}`, true)
	f(`{ $.latency > +1000 }`, `{"latency": -1001}`, false)
	// The metric filter guide's "{ $.latency = * }" with metricValue
	// $.latency.
	f(`{ $.latency = * }`, `{"latency": 42}`, true)
	f(`{ $.latency = * }`, `{"other": 42}`, false)
}

func TestGuideSpaceDelimited(t *testing.T) {
	f := matcher(t)
	const line = `127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534`
	f(`[ip=%127\.0\.0\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, bytes]`, line, true)
	f(`[ip=%127\.0\.0\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, bytes]`, strings.Replace(line, "127.0.0.1", "127.0.0.0", 1), false)
	f(`[ip=%127\.0\.0\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, bytes]`, strings.Replace(line, "index.html", "index.php", 1), false)
	f(`[ip=%127\.0\.0\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, bytes]`, strings.Replace(line, " 404 ", " 504 ", 1), false)
	f(`[..., request =*.html*, status_code = 4*, bytes]`, line, true)
	f(`[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, bytes]`, line, true)
	f(`[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, bytes]`, strings.Replace(line, " 404 ", " 410 ", 1), true)
	f(`[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, bytes]`, strings.Replace(line, " 404 ", " 400 ", 1), false)

	lines := readLines(t, "aws-space-delimited.log") // INFO, INFO, WARNING, ERROR
	for _, c := range []struct {
		pattern string
		want    [4]bool
	}{
		{`[w1=ERROR, w2]`, [4]bool{false, false, false, true}},
		{`[w1=ERROR || w1=WARNING, w2]`, [4]bool{false, false, true, true}},
		{`[w1!=ERROR && w1!=WARNING, w2]`, [4]bool{true, true, false, false}},
		{`[logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time]`, [4]bool{true, false, false, false}},
		{`[logLevel, date, time, method, url=%/service/resource/[0-9]+/part/[0-9]+$%, response_time]`, [4]bool{false, true, false, false}},
	} {
		for i, msg := range lines {
			f(c.pattern, msg, c.want[i])
		}
	}

	// The 2014-2022 page, over its Apache access log lines.
	access := readLines(t, "apache-access.log")[:3] // 200 1534, 500 5324, 200 4355
	for _, c := range []struct {
		pattern string
		want    [3]bool
	}{
		{`[ip, user, username, timestamp, request, status_code, bytes]`, [3]bool{true, true, true}},
		{`[..., status_code, bytes]`, [3]bool{true, true, true}},
		{`[ip, user, ..., status_code, bytes]`, [3]bool{true, true, true}},
		{`[ip, user, ...]`, [3]bool{true, true, true}},
		{`[ip, user, username, timestamp, request, status_code, bytes > 1000]`, [3]bool{true, true, true}},
		{`[ip, user, username, timestamp, request, status_code, bytes > 5000]`, [3]bool{false, true, false}},
		{`[ip, user, username, timestamp, request, status_code = 200, bytes]`, [3]bool{true, false, true}},
		{`[ip, user, username, timestamp, request, status_code = 4*, bytes]`, [3]bool{false, false, false}},
		{`[ip, user, username, timestamp, request, status_code = 5*, bytes]`, [3]bool{false, true, false}},
		{`[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]`, [3]bool{false, false, false}},
		{`[ip, user, username, timestamp, request = *gif*, status_code = 2* && status_code != 201, bytes]`, [3]bool{true, false, true}},
		{`[ip, user, username, timestamp, request, status_code = 4* && status_code != 403, bytes]`, [3]bool{false, false, false}},
		{`[ip, user, username, timestamp, request, status_code = 500 || status_code = 404, bytes]`, [3]bool{false, true, false}},
	} {
		for i, msg := range access {
			f(c.pattern, msg, c.want[i])
		}
	}
	e404 := readLines(t, "apache-access.log")[3]
	f(`[ip, user, username, timestamp, request, status_code = 403 || status_code = 404, bytes]`, e404, true)
	f(`[..., request=*.html*, status_code=4*,]`, e404, true)

	// The 2014-2022 page's OR examples. The page says [w1=ERROR, w2]
	// matches only "ERROR message"; the current page's "[w1=ERROR, w2]"
	// over "ERROR 09/25/2014 12:00:02 Failed to process request" requires
	// the last field to take the rest of the line, so "ERROR WARN message"
	// matches too (see "Readings chosen").
	for _, c := range []struct {
		pattern string
		want    [3]bool
	}{
		{`[w1=ERROR, w2]`, [3]bool{true, true, false}},
		{`[w1=ERROR || w1=WARN, w2]`, [3]bool{true, true, true}},
		{`[w1!=ERROR && w1!=WARN, w2]`, [3]bool{false, false, false}},
		{`[w1, w2, w3=message]`, [3]bool{true, false, false}},
	} {
		for i, msg := range []string{`ERROR WARN message`, `ERROR message`, `WARN message`} {
			f(c.pattern, msg, c.want[i])
		}
	}
}

func TestGuideExtract(t *testing.T) {
	f := func(pattern, message string, want map[string]string) {
		t.Helper()
		p, err := Compile(pattern)
		if err != nil {
			t.Fatalf("Compile(%q): %v", pattern, err)
		}
		got, ok := p.Extract(message)
		if !ok {
			t.Fatalf("Compile(%q).Extract(%q): no match", pattern, message)
		}
		if len(got) != len(want) {
			t.Errorf("Compile(%q).Extract(%q) = %v, want %v", pattern, message, got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("Compile(%q).Extract(%q)[%q] = %q, want %q (all: %v)", pattern, message, k, got[k], v, got)
			}
		}
	}
	// The 2014-2022 page: "Extracted fields for the log event and filter
	// pattern" (its $request shows /products/index.html, which is not in
	// its log event).
	f(`[..., request=*.html*, status_code=4*,]`, readLines(t, "apache-access.log")[3], map[string]string{
		"$status_code": "404",
		"$request":     "GET /index.html HTTP/1.0",
		"$7":           "1534",
		"$4":           "10/Oct/2000:13:25:15 -0700",
		"$3":           "frank",
		"$2":           "-",
		"$1":           "127.0.0.1",
	})
	// VPC flow log records with the fields CloudWatch Logs sends as
	// extractedFields (internal/parse/cloudwatch/testdata).
	vpc := readLines(t, "vpc-flow.log")
	pattern := `[version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, log_status]`
	f(pattern, vpc[0], map[string]string{
		"$version": "2", "$account_id": "123456789010", "$interface_id": "eni-1235b8ca123456789",
		"$srcaddr": "172.31.16.139", "$dstaddr": "172.31.16.21", "$srcport": "20641", "$dstport": "22",
		"$protocol": "6", "$packets": "20", "$bytes": "4249", "$start": "1418530010", "$end": "1418530070",
		"$action": "ACCEPT", "$log_status": "OK",
	})
	f(pattern, vpc[1], map[string]string{
		"$version": "2", "$account_id": "123456789010", "$interface_id": "eni-1235b8ca123456789",
		"$srcaddr": "172.31.9.69", "$dstaddr": "172.31.9.12", "$srcport": "49761", "$dstport": "3389",
		"$protocol": "6", "$packets": "20", "$bytes": "4249", "$start": "1418530010", "$end": "1418530070",
		"$action": "REJECT", "$log_status": "OK",
	})
	// The last field takes the rest of the line: the classic Node.js
	// Lambda subscription pattern.
	lambda := readLines(t, "lambda-node.log")
	f(`[timestamp=*Z, request_id="*-*", event]`, lambda[0], map[string]string{
		"$timestamp":  "2024-05-01T12:00:00.301Z",
		"$request_id": "8f507cfc-4c8b-4a1c-9d4e-5c1e7a3b2f10",
		"$event":      "INFO\tprocessing order 4821",
	})
	f(`[w1=ERROR, w2]`, readLines(t, "aws-space-delimited.log")[3], map[string]string{
		"$w1": "ERROR", "$w2": "09/25/2014 12:00:02 Failed to process request",
	})
	// JSON: the selectors, as written, that found a value.
	f(`{ $.latency = * }`, `{"latency": 42}`, map[string]string{"$.latency": "42"})
	f(`{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }`, readTestdata(t, "aws-json-compound.json"), map[string]string{
		"$.user.id": "1", "$.users[0].email": "John.Doe@example.com",
	})
	f(`{ $.SomeObject IS NULL || $.eventType = Update* }`, readTestdata(t, "aws-json-event.json"), map[string]string{
		"$.eventType": "UpdateTrail",
	})
	// Term patterns extract nothing.
	f(`ERROR`, `[ERROR 400] BAD REQUEST`, map[string]string{})
}
