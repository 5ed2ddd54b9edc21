package filterpattern

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Edge cases beyond the AWS guide's examples; where the guide is silent
// they pin the readings in "Readings chosen" (doc.go).

func TestTerms(t *testing.T) {
	f := matcher(t)
	router := readLines(t, "heroku-router.log")
	// Terms match anywhere, case-sensitively, inside words too.
	f(`H12`, router[1], true)
	f(`h12`, router[1], false)
	f(`ERROR`, router[3], true)
	f(`Error`, router[3], false)
	f(`Conn`, router[3], true)
	f(`"Request timeout"`, router[1], true)
	f(`"request timeout"`, router[1], false)
	f(`"Request timeout" -healthcheck`, router[1], true)
	f(`status -healthcheck`, router[2], false)
	f(`?"Request timeout" ?"Memory quota"`, router[1], true)
	f(`?"Request timeout" ?"Memory quota"`, router[4], true)
	f(`?"Request timeout" ?"Memory quota"`, router[0], false)
	// Terms are separated by any whitespace, as YAML folding may leave.
	f("at\tcode\n H12", router[1], true)
	// \" and \\ in a quoted phrase; other backslashes are literal.
	f(`"say \"hi\""`, `she said: say "hi"`, true)
	f(`"C:\temp\\x"`, `open C:\temp\x failed`, true)
	// Letters beyond ASCII are word characters.
	f(`Ошибка`, `[ERROR] Ошибка соединения`, true)
	f(`ошибка`, `[ERROR] Ошибка соединения`, false)
	// A regex is a term like any other and can be excluded or optional.
	f(`"status=503" -%service=[0-9]{1,3}ms%`, router[1], true)
	f(`ERROR %H1[0-9]%`, router[1], false)
	f(`?%H1[0-9]% ?%R1[0-9]%`, router[4], true)
	f(`-%^at=%`, router[0], false)
	f(`-%^at=%`, router[3], true)
	// An empty or blank pattern matches everything, the empty message too.
	f(` `, ``, true)
	f("\t\n", `x`, true)
	f(`""`, ``, true)
	f(`ERROR`, ``, false)
	f(`-ERROR`, ``, true)
	f(`-" "`, `anything`, false)
}

func TestTermWarnings(t *testing.T) {
	f := func(pattern string, want bool) {
		t.Helper()
		p, err := Compile(pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(p.Warnings()) > 0; got != want {
			t.Errorf("Compile(%q).Warnings() = %q, want warnings: %v", pattern, p.Warnings(), want)
		}
	}
	f(`?ERROR ?WARN`, false)
	f(`?ERROR ?Exception -healthcheck`, true)
	f(`?ERROR ?ARGUMENTS REQUEST`, true)
	f(`ERROR -WARN`, false)
	f(`{ $.a = 1 }`, false)
}

func TestKindAndString(t *testing.T) {
	f := func(pattern string, want Kind) {
		t.Helper()
		p, err := Compile(pattern)
		if err != nil {
			t.Fatal(err)
		}
		if p.Kind() != want || p.String() != pattern {
			t.Errorf("Compile(%q): Kind() = %v, String() = %q; want %v and the pattern", pattern, p.Kind(), p.String(), want)
		}
	}
	f(``, KindTerms)
	f(`  ERROR -DEBUG `, KindTerms)
	f(`%ERROR%`, KindTerms)
	f(`"[ERROR]"`, KindTerms)
	f(` { $.a = 1 } `, KindJSON)
	f("\n[a, b]\n", KindSpaceDelimited)
	if KindSpaceDelimited.String() != "space-delimited" || KindJSON.String() != "json" || KindTerms.String() != "terms" {
		t.Errorf("Kind names: %v %v %v", KindTerms, KindJSON, KindSpaceDelimited)
	}
}

func TestJSON(t *testing.T) {
	f := matcher(t)
	app := readLines(t, "app.ndjson")
	f(`{ $.level = "error" && $.latency > 500 }`, app[0], true)
	f(`{ $.level = "error" && $.latency > 500 }`, app[1], false)
	f(`{ $.http.status >= 500 && $.http.method = POST }`, app[0], true)
	f(`{ $.user.email = "*@example.com" }`, app[0], true)
	f(`{ $.user IS NULL }`, app[1], true)
	f(`{ $.user IS NULL }`, app[0], false)
	f(`{ $.tags[*] = retry }`, app[0], true)
	f(`{ $.tags[*] = retry }`, app[1], false)
	f(`{ $.tags[0] NOT EXISTS }`, app[1], true)
	f(`{ $.db.cached IS FALSE && $.db.rows >= 1e4 }`, app[2], true)
	f(`{ $.latency = 1200 }`, app[2], true)
	f(`{ $.msg = "slow query \"orders\" took 1.2e3ms" }`, app[2], true)
	f(`{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`, app[3], true)
	f(`{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }`, app[3], true)
	f(`{ $.responseElements.ConsoleLogin = "Failure" }`, app[3], false)

	// A message that is not a JSON object never matches, even NOT EXISTS.
	f(`{ $.x NOT EXISTS }`, `{}`, true)
	f(`{ $.x NOT EXISTS }`, "{\"a\": 1}\n", true)
	f(`{ $.x NOT EXISTS }`, `plain text`, false)
	f(`{ $.x NOT EXISTS }`, ``, false)
	f(`{ $.x NOT EXISTS }`, `[{"a": 1}]`, false)
	f(`{ $.x NOT EXISTS }`, `"string"`, false)
	f(`{ $.x NOT EXISTS }`, `{"a": 1} trailing`, false)
	f(`{ $.x NOT EXISTS }`, `{"a": 1,}`, false)
	f(`{ $.x NOT EXISTS }`, `{'a': 1}`, false)
	f(`{ $.x NOT EXISTS }`, `2024-05-01 INFO {"a": 1}`, false)

	// Escapes in keys and values are decoded before comparing.
	f(`{ $.['cluster.name'] = "c" }`, `{"cluster\u002ename": "c"}`, true)
	f(`{ $.name = "café" }`, `{"name": "caf\u00e9"}`, true)
	f(`{ $.name = "😀" }`, `{"name": "\ud83d\ude00"}`, true)
	f(`{ $.path = "/a/b" }`, `{"path": "\/a\/b"}`, true)
	f(`{ $.['a"b'] = 1 }`, `{"a\"b": 1}`, true)
	// A repeated key: the last one counts.
	f(`{ $.a = 2 }`, `{"a": 1, "a": 2}`, true)
	f(`{ $.a = 1 }`, `{"a": 1, "a": 2}`, false)

	// Numbers: integers compare exactly, strings that hold numbers compare
	// as numbers, quoted values compare as text.
	f(`{ $.id = 9007199254740993 }`, `{"id": 9007199254740993}`, true)
	f(`{ $.id = 9007199254740992 }`, `{"id": 9007199254740993}`, false)
	f(`{ $.id > 9007199254740992 }`, `{"id": 9007199254740993}`, true)
	f(`{ $.status = 404 }`, `{"status": "404"}`, true)
	f(`{ $.status > 400 }`, `{"status": "404"}`, true)
	f(`{ $.status > 400 }`, `{"status": "high"}`, false)
	f(`{ $.status != 404 }`, `{"status": "high"}`, true)
	f(`{ $.code = "404" }`, `{"code": 404}`, true)
	f(`{ $.code = "404.0" }`, `{"code": 404}`, false)
	f(`{ $.code = 404.0 }`, `{"code": 404}`, true)
	f(`{ $.code = 4* }`, `{"code": 404}`, true)
	f(`{ $.code = %^4\d\d$% }`, `{"code": 404}`, true)
	f(`{ $.v < -1.5e-3 }`, `{"v": -0.002}`, true)
	f(`{ $.v > 1e308 }`, `{"v": 1e309}`, true)
	f(`{ $.v = .5 }`, `{"v": 0.5}`, true)
	// Booleans compare as the text true and false; null, objects and arrays
	// are not values, whatever the operator.
	f(`{ $.ok = true }`, `{"ok": true}`, true)
	f(`{ $.ok != true }`, `{"ok": false}`, true)
	f(`{ $.ok = * }`, `{"ok": false}`, true)
	f(`{ $.v = * }`, `{"v": null}`, false)
	f(`{ $.v != x }`, `{"v": null}`, false)
	f(`{ $.v != x }`, `{"v": {"x": 1}}`, false)
	f(`{ $.v != x }`, `{}`, false)
	f(`{ $.v IS TRUE }`, `{"v": "true"}`, false)
	f(`{ $.v NOT EXISTS }`, `{"v": null}`, false)
	// A selector through a string or number selects nothing.
	f(`{ $.a.b NOT EXISTS }`, `{"a": "x"}`, true)
	f(`{ $.a[0] NOT EXISTS }`, `{"a": {"0": 1}}`, true)
	f(`{ $.a.b = 1 }`, `{"a": [{"b": 1}]}`, false)

	// Wildcards select one level: any member of an object or element of
	// an array, and the condition holds when it holds for one of them.
	compound := readTestdata(t, "aws-json-compound.json")
	f(`{ $.users[*].id = 3 }`, compound, true)
	f(`{ $.users[*].id = 4 }`, compound, false)
	f(`{ $.users[*].email != "John.Doe@example.com" }`, compound, true)
	f(`{ $.users.*.id = 2 }`, compound, true)
	f(`{ $.user.* = 1 }`, compound, true)
	f(`{ $.coordinates[*][2] = 9 }`, compound, true)
	f(`{ $.* = %example\.com% }`, compound, false) // user is an object, not a value
	f(`{ $.users[*].phone NOT EXISTS }`, compound, true)
	f(`{ $.users[*].id NOT EXISTS }`, compound, false)
	f(`{ $.actions[*] = DELETE && $.actions[*] = GET }`, compound, true)

	// Keywords are case-insensitive; spaces are optional around operators.
	f(`{ $.SomeObject is null }`, readTestdata(t, "aws-json-event.json"), true)
	f(`{$.a=1&&$.b=x||$.c>=2}`, `{"a": 1, "b": "y", "c": 2}`, true)
	f(`{(($.a = 1))}`, `{"a": 1}`, true)

	// Nesting beyond 10000 levels is not followed.
	deep := `{"a": ` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`
	f(`{ $.b NOT EXISTS }`, deep, false)
	ok := `{"a": ` + strings.Repeat("[", 9998) + strings.Repeat("]", 9998) + `}`
	f(`{ $.b NOT EXISTS }`, ok, true)
}

// TestCISCloudTrail runs the metric filters of the CIS AWS Foundations
// Benchmark (CloudWatch section) over CloudTrail events: root sign-in,
// an unauthorized EC2 call, a KMS key deletion, a failed console sign-in
// with MFA, and an S3 ACL change by a service.
func TestCISCloudTrail(t *testing.T) {
	f := func(pattern string, want ...bool) {
		t.Helper()
		for i, line := range readLines(t, "cloudtrail.ndjson") {
			matcher(t)(pattern, line, want[i])
		}
	}
	// 3.1 unauthorized API calls: wildcards inside quoted values.
	f(`{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }`, false, true, false, false, false)
	// 3.2 console sign-in without MFA.
	f(`{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }`, true, false, false, false, false)
	// 3.3 usage of the root account.
	f(`{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`, true, false, false, false, false)
	// 3.6 console authentication failures.
	f(`{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }`, false, false, false, true, false)
	// 3.7 disabling or scheduled deletion of customer managed keys:
	// unquoted values with dots.
	f(`{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }`, false, false, true, false, false)
	// 3.8 S3 bucket policy changes.
	f(`{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }`, false, false, false, false, true)
	// Selectors through arrays and names that need brackets.
	f(`{ $.requestParameters.instancesSet.items[0].imageId = ami-* }`, false, true, false, false, false)
	f(`{ $.requestParameters.AccessControlPolicy.AccessControlList.Grant[*].Grantee.['xsi:type'] = CanonicalUser }`, false, false, false, false, true)
	f(`{ $.requestParameters.pendingWindowInDays < 31 && $.responseElements.keyState = Pending* }`, false, false, true, false, false)
}

// TestConcurrentMatch shares compiled patterns between goroutines (run
// with -race).
func TestConcurrentMatch(t *testing.T) {
	var pats []*Pattern
	for _, s := range []string{`ERROR -healthcheck`, `%H1[0-9]%`, `{ $.level = "error" && $.latency > 500 }`, `{ $.tags[*] = %retr.% }`, `[ip, user, ..., status = 5*, bytes]`} {
		p, err := Compile(s)
		if err != nil {
			t.Fatal(err)
		}
		pats = append(pats, p)
	}
	msgs := seedMessages(t)
	want := make([]bool, len(pats)*len(msgs))
	for i, p := range pats {
		for j, m := range msgs {
			want[i*len(msgs)+j] = p.Match(m)
		}
	}
	errs := make(chan string, 8)
	for range 8 {
		go func() {
			for n := 0; n < 50; n++ {
				for i, p := range pats {
					for j, m := range msgs {
						if p.Match(m) != want[i*len(msgs)+j] {
							errs <- p.String() + " on " + m
							return
						}
						if _, ok := p.Extract(m); ok != want[i*len(msgs)+j] {
							errs <- "Extract " + p.String() + " on " + m
							return
						}
					}
				}
			}
			errs <- ""
		}()
	}
	for range 8 {
		if e := <-errs; e != "" {
			t.Errorf("concurrent result differs: %s", e)
		}
	}
}

func TestSpaceDelimited(t *testing.T) {
	f := matcher(t)
	access := readLines(t, "apache-access.log")
	combined := `[ip, identity, user, timestamp, request, status = 5*, bytes, referer, agent]`
	f(combined, access[4], true)
	f(combined, access[5], false)
	f(`[ip, identity, user = alice, timestamp, request = "POST /login HTTP/1.1", status != 200, ...]`, access[5], true)
	f(`[..., status, bytes, referer = "-", agent = curl*]`, access[5], true)
	// An escaped quote does not end a quoted field.
	f(`[ip, identity, user, timestamp, request = "*\\\"quoted term\\\"*", status = 200, bytes, referer, agent]`, access[6], true)
	f(`[ip, identity, user, timestamp, request = %quoted term%, status = 200, bytes, referer, agent]`, access[6], true)
	// Numbers: a field that is not a number fails < and >, and != compares
	// as text.
	f(`[ip, user, username, timestamp, request, status_code, bytes > 1000]`, `127.0.0.1 - frank [x] "GET /" 200 -`, false)
	f(`[ip, user, username, timestamp, request, status_code != 200, bytes]`, `127.0.0.1 - frank [x] "GET /" - -`, true)
	f(`[a < 0.5, b]`, `0.25 x`, true)
	f(`[a >= -10, b]`, `-1e1 x`, true)
	// Fields: runs of spaces, tabs or newlines separate them; a field that
	// opens a quote or bracket it never closes ends at whitespace.
	f(`[a, b = x, c]`, "  1 \t x\n\n3  \n", true)
	f(`[a, b = "5", c]`, `1 "5 3`, false)
	f(`[a, b = "\"5", c]`, `1 "5 3`, true)
	f(`[a, b = "[5", c]`, `1 [5 3`, true)
	f(`[a, b = "5 6", c]`, `1 [5 6] 3`, true)
	f(`[a, b = "5 6", c]`, `1 "5 6" 3`, true)
	f(`[a, b = "", c]`, `1 "" 3`, true)
	// The fields need at least as many fields as the pattern; without an
	// ellipsis the last field takes the rest of the line.
	f(`[a, b, c]`, `1 2`, false)
	f(`[a, b, c = "3 4 5"]`, `1 2 3 4 5`, true)
	f(`[a, b, c = 3]`, `1 2 3 4 5`, false)
	f(`[a, b, c = "\"3 4\" 5"]`, `1 2 "3 4" 5`, true)
	f(`[a, b, c = "3 4"]`, `1 2 "3 4"`, true)
	f(`[a]`, `one`, true)
	f(`[a]`, ``, false)
	f(`[a = *]`, `   `, false)
	f(`[...]`, ``, true)
	f(`[..., a]`, ``, false)
	f(`[a, ..., b, c]`, `1 2`, false)
	f(`[a, ..., b, c]`, `1 2 3`, true)
	f(`[a = 1, ..., b = 2, c = 3]`, `1 2 3`, true)
	f(`[a = 1, ..., b = 8, c = 9]`, `1 2 3 4 5 6 7 8 9`, true)
	f(`[a = 1, ..., b = 7, c = 9]`, `1 2 3 4 5 6 7 8 9`, false)
	// Conditions combine with && and || and parentheses, on one field.
	f(`[w1 = ERROR || (w1 = WARN* && w1 != WARNING), w2]`, `WARN x`, true)
	f(`[w1 = ERROR || (w1 = WARN* && w1 != WARNING), w2]`, `WARNING x`, false)
	f(`[w1 = ERROR || (w1 = WARN* && w1 != WARNING), w2]`, `ERROR x`, true)
	f(`[w1 && w1 = ERROR, w2]`, `ERROR x`, true)
	// Empty entries are unnamed fields.
	f(`[,, c = 3]`, `1 2 3`, true)
	f(`[, , c = 3]`, `1 2 4`, false)
	// Tab-separated Lambda lines.
	lambda := readLines(t, "lambda-node.log")
	f(`[timestamp=*Z, request_id="*-*", level=ERROR, ...]`, lambda[1], true)
	f(`[timestamp=*Z, request_id="*-*", level=ERROR, ...]`, lambda[0], false)
	f(`[timestamp=*Z, request_id="*-*", event]`, lambda[2], false)
	// VPC flow logs: the classic rejected-traffic pattern.
	vpc := readLines(t, "vpc-flow.log")
	rejected := `[version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action=REJECT, log_status]`
	f(rejected, vpc[0], false)
	f(rejected, vpc[1], true)
	f(`[version, account_id, interface_id, srcaddr = 172.31.*, dstaddr, srcport, dstport = 22 || dstport = 3389, ...]`, vpc[1], true)
}

func TestSpaceDelimitedExtract(t *testing.T) {
	f := func(pattern, message string, want ...string) {
		t.Helper()
		p, err := Compile(pattern)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := p.Extract(message)
		if !ok {
			t.Fatalf("Compile(%q).Extract(%q): no match", pattern, message)
		}
		var flat []string
		for k, v := range got {
			flat = append(flat, k+"="+v)
		}
		slices.Sort(flat)
		slices.Sort(want)
		if !slices.Equal(flat, want) {
			t.Errorf("Compile(%q).Extract(%q) = %q, want %q", pattern, message, flat, want)
		}
	}
	f(`[ip, user, ...]`, `1 2 3 4`, "$ip=1", "$user=2", "$3=3", "$4=4")
	f(`[..., x]`, `1 2 3`, "$1=1", "$2=2", "$x=3")
	f(`[a, ..., b]`, `1 2`, "$a=1", "$b=2")
	f(`[a, , ..., , b]`, `1 2 3 4 5 6`, "$a=1", "$2=2", "$3=3", "$4=4", "$5=5", "$b=6")
	f(`[a, ]`, `1 2 3`, "$a=1", "$2=2 3")
	f(`[a, b]`, `1 [2 3]`, "$a=1", "$b=2 3")
	f(`[a, b]`, `1 [2 3] 4`, "$a=1", "$b=[2 3] 4")
}

func TestCompileErrors(t *testing.T) {
	f := func(pattern string, column int, msg string) {
		t.Helper()
		_, err := Compile(pattern)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("Compile(%q) = %v, want a *SyntaxError", pattern, err)
		}
		if se.Column != column || se.Msg != msg || se.Pattern != pattern {
			t.Errorf("Compile(%q):\n got column %d: %s\nwant column %d: %s", pattern, se.Column, se.Msg, column, msg)
		}
	}
	f(`{ $.a = && $.b = 1 }`, 9, `expected a value after "=", got "&&"`)
	f(`{ $.level = "error" && $.latency > }`, 36, `expected a value after ">", got "}"`)
	f(`{ $.a > abc }`, 9, `expected a number after ">", got "abc"`)
	f(`{ $.a >= "5" }`, 10, `expected a number after ">=", got a quoted string; ">=" compares numbers`)
	f(`{ $.a < %x% }`, 9, `expected a number after "<", got a regex; a regex can only follow = or !=`)
	f(`{ $.a = "x" `, 13, `expected && or || or } to close the { at column 1, got the end of the pattern`)
	f(`{ $.a = "x" } x`, 15, `expected the end of the pattern after }, got "x"`)
	f(`{}`, 2, `expected a condition such as $.level = "error" inside { }, got "}"`)
	f(`{ a = 1 }`, 3, `expected a selector such as $.level or (, got "a"`)
	f(`{ $ = 1 }`, 4, `expected . or [ after $, got a space; selectors look like $.level`)
	f(`{ $.a IS NOT NULL }`, 7, `IS NOT is not supported by CloudWatch Logs; use IS NULL, IS TRUE, IS FALSE or NOT EXISTS, or $.a = * to require a string or number`)
	f(`{ $.a EXISTS }`, 7, `EXISTS is not supported by CloudWatch Logs (only NOT EXISTS); use $.a = * to require a string or number`)
	f(`{ $.a IS BLUE }`, 10, `expected NULL, TRUE or FALSE after IS, got "BLUE"`)
	f(`{ $.a NOT NULL }`, 11, `expected EXISTS after NOT, got "NULL"`)
	f(`{ $.a LIKE x }`, 7, `expected an operator (=, !=, <, <=, >, >=, IS or NOT EXISTS) after $.a, got "LIKE"`)
	f(`{ $.a == 1 }`, 7, `"==" is not a filter pattern operator; use "="`)
	f(`{ $.a = @x }`, 9, `unquoted values may contain only letters, digits and _ - + . * : /, got "@"; put the value in double quotes: "@x"`)
	f(`{ $.a = x@y.com }`, 10, `unquoted values may contain only letters, digits and _ - + . * : /, got "@"; put the value in double quotes: "x@y.com"`)
	f(`{ $.msg = *"orders"* }`, 12, `unquoted values may contain only letters, digits and _ - + . * : /, got "\""; put the value in double quotes: "*"`)
	f(`{ $.@timestamp = 1 }`, 5, `expected a property name after ".", got "@"; names are letters, digits, - and _, write others as $.['name']`)
	f(`{ $.a@b = 1 }`, 6, `unexpected "@" in selector $.a; names are letters, digits, - and _, write others as $.['name']`)
	f(`{ $[0] = 1 }`, 4, `an array index must follow a property, as in $.users[0]`)
	f(`{ $.a[x] = 1 }`, 7, `expected an index, * or a quoted name after [, got "x"`)
	f(`{ $.['a.b' = 1 }`, 11, `expected ] to close the [ at column 5, got a space`)
	f(`{ $.['a.b] = 1 }`, 6, `unterminated property name; close it with '`)
	f(`{ $.users[99999999999] = 1 }`, 11, `array index 99999999999 is too large`)
	f(`{ $.*.b.* = 1 }`, 3, `selector $.*.b.* has 2 wildcards; CloudWatch Logs allows at most 1 in a selector`)
	f(`{ $.a[*] = 1 && $.b[*] = 1 && $.c[*] = 1 && $.d[*] = 1 }`, 1, `the pattern has 4 conditions on wildcard selectors; CloudWatch Logs allows at most 3`)
	f(`{ ($.a = 1 }`, 12, `expected && or || or ) to close the ( at column 3, got "}"`)
	f(`{ $.a = 1 & $.b = 2 }`, 11, `expected && or || or }, got "&"`)
	f(`{ $.a = %x% && $.b = %y% && $.c = %z% }`, 35, `a JSON or space-delimited pattern may have at most 2 regexes (the CloudWatch Logs quota)`)
	f(`{ $.a = "unterminated }`, 9, `unterminated quoted string; close it with "`)
	f(`[a, b`, 6, `expected a comma or ] after field 2, got the end of the pattern`)
	f(`[a, b c]`, 7, `expected an operator (=, !=, <, <=, >, >=), a comma or ] after b, got "c"`)
	f(`[ip, user, username, timestamp, request, status_code = 4* && bytes > 1000]`, 62, `a condition in field 6 names "bytes", but the field is "status_code"; conditions in one field must name that field, as in status_code = 4* && status_code != 403`)
	f(`[..., ..., a]`, 7, `only one "..." is allowed in a space-delimited pattern`)
	f(`[a, a]`, 6, `field name "a" is used twice; give each field its own name`)
	f(`[]`, 2, `expected a field name, got "]"; space-delimited patterns look like [ip, user, ..., status_code = 5*, bytes]`)
	f(`[a=]`, 4, `expected a value after "=", got "]"`)
	f(`[a = x, b = %1% || b = %2% || b = %3%]`, 35, `a JSON or space-delimited pattern may have at most 2 regexes (the CloudWatch Logs quota)`)
	f(`[a, b] x`, 8, `expected the end of the pattern after ], got "x"`)
	f(`[... = 3]`, 6, `expected a comma or ] after field 1, got "="`)
	f(`[a, (b = 1]`, 11, `expected && or || or ) to close the ( at column 5, got "]"`)
	f(`[a, @b]`, 5, `expected a field name in field 2, got "@"; names are letters, digits, - and _`)
	f(`ERROR:`, 6, `unquoted terms may contain only letters, digits and _, got ":"; put the term in double quotes: "ERROR:"`)
	f(`ERROR {x}`, 7, `unquoted terms may contain only letters, digits and _, got "{"; put the term in double quotes: "{x}"`)
	f(`email@someemail.com`, 6, `unquoted terms may contain only letters, digits and _, got "@"; put the term in double quotes: "email@someemail.com"`)
	f(`"ERROR" - "Exiting"`, 10, `expected a term right after "-", got a space; write -term with no space`)
	f(`? ERROR`, 2, `expected a term right after "?", got a space; write ?term with no space`)
	f(`--x`, 2, `expected a term right after "-", got "-x"; write -term with no space`)
	f(`"a"b`, 4, `expected a space after the quoted phrase, got "b"`)
	f(`%a%b`, 4, `expected a space after the regex, got "b"`)
	f(`"unterminated`, 1, `unterminated quoted string; close it with "`)
	f(`ERROR "unterminated`, 7, `unterminated quoted string; close it with "`)
	// The regex subset.
	f(`%abc`, 1, `unterminated regex; close it with %`)
	f(`%%`, 2, `empty regex; write a regex between the % signs, as in %ERROR [0-9]+%`)
	f(`%something!%`, 11, `'!' is not supported in a CloudWatch Logs regex; write \x21`)
	f(`%(alpha|beta)%`, 2, `'(' is not supported in a CloudWatch Logs regex (no subpatterns); to match the character write \x28`)
	f(`%a\(b%`, 4, `'(' is not supported in a CloudWatch Logs regex, even escaped; write \x28`)
	f(`%マルチ%`, 2, `multi-byte characters are not supported in a CloudWatch Logs regex; match them with . or \S`)
	f(`%[é]%`, 3, `multi-byte characters are not supported in a CloudWatch Logs regex; match them with . or \S`)
	f(`%\b%`, 2, `\b is not a supported escape; use \d \D \s \S \w \W, \xhh, or \ before an operator`)
	f(`%\n%`, 2, `\n is not a supported escape; use \d \D \s \S \w \W, \xhh, or \ before an operator`)
	f(`%\x4%`, 2, `\x must be followed by two hexadecimal digits, as in \x3A`)
	f(`%a\%`, 3, `a regex cannot end with \; write \\ to match a backslash`)
	f(`%a\!%`, 4, `'!' is not supported in a CloudWatch Logs regex; write \x21`)
	f(`%[a!]%`, 4, `'!' is not supported in a CloudWatch Logs regex; write \x21`)
	f(`%[abc%`, 6, `missing ] to close the character class`)
	f(`%a**%`, 2, `invalid regex %a**%: invalid nested repetition operator`)
	f(`%a{1001}%`, 2, `invalid regex %a{1001}%: invalid repeat count`)
	f(`{ $.a = %x(y)% }`, 11, `'(' is not supported in a CloudWatch Logs regex (no subpatterns); to match the character write \x28`)
	f(strings.Repeat("a", MaxPatternLength+1), MaxPatternLength+2, `the pattern has 1025 characters, CloudWatch Logs allows at most 1024; shorten it or split it over several subscriptions`)

	var conds []string
	for i := range maxSelectors + 1 {
		conds = append(conds, "$.a"+strconv.Itoa(i)+"=1")
	}
	many := "{" + strings.Join(conds, "||") + "}"
	f(many, strings.Index(many, "$.a64")+1, `a JSON pattern may use at most 64 different selectors`)

	_, err := Compile(`{ $.a = && $.b = 1 }`)
	if want := `cannot parse filter pattern at column 9: expected a value after "=", got "&&"`; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
}
