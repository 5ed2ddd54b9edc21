package lambda

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse/logfmt"
)

// kv builds expected fields from key, value, type triples; type is "s"
// (String), "n" (Number), "b" (Bool) or "j" (JSON).
func kv(args ...string) []event.Field {
	if len(args)%3 != 0 {
		panic("kv: need key, value, type triples")
	}
	var fs []event.Field
	for i := 0; i < len(args); i += 3 {
		typ := map[string]event.FieldType{"s": event.String, "n": event.Number, "b": event.Bool, "j": event.JSON}[args[i+2]]
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
	rid        = "8f507cfc-2b2c-4b3f-9a32-6c1b2e6a0c9f"
	reportLine = "REPORT RequestId: " + rid + "\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 128 MB\tMax Memory Used: 68 MB\tInit Duration: 170.12 ms\t\n"
	nodeLine   = "2024-05-01T12:00:00.123Z\t" + rid + "\tERROR\tInvoke Error \t{\"errorType\":\"Error\",\"errorMessage\":\"boom\",\"stack\":[\"Error: boom\",\"    at Runtime.handler (/var/task/index.js:3:9)\"]}\n"
	nodeInfo   = "2024-05-01T12:00:00.123Z\t" + rid + "\tINFO\tprocessed 3 records\n"
)

// seedMessages returns real messages used as fuzz seeds.
func seedMessages() []string {
	return []string{
		"START RequestId: " + rid + " Version: $LATEST\n",
		"END RequestId: " + rid + "\n",
		reportLine,
		"REPORT RequestId: " + rid + "\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tStatus: timeout\n",
		"INIT_START Runtime Version: python:3.12.v18\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:abc\n",
		"2024-05-01T12:00:03.006Z " + rid + " Task timed out after 3.01 seconds\n\n",
		nodeLine,
		nodeInfo,
		"[ERROR]\t2024-05-01T12:00:00.123Z\t" + rid + "\tSomething broke\n",
		"[ERROR] Runtime.ImportModuleError: Unable to import module 'app': No module named 'requests'\nTraceback (most recent call last):",
		`{"timestamp":"2024-05-01T12:00:00.123Z","level":"ERROR","message":"boom","requestId":"` + rid + `"}`,
		`{"time":"2024-05-01T12:00:00.500Z","type":"platform.report","record":{"requestId":"` + rid + `","metrics":{"durationMs":1.23,"billedDurationMs":2,"memorySizeMB":128,"maxMemoryUsedMB":70,"initDurationMs":150.1},"status":"success"}}`,
		"EXTENSION\tName: datadog-agent\tState: Ready\tEvents: [INVOKE, SHUTDOWN]\n",
	}
}

func TestEnrich(t *testing.T) {
	t0 := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	type want struct {
		sev    event.Severity
		src    event.SeveritySource
		msg    string // "" means unchanged
		time   string // "" means unchanged
		fields []event.Field
	}
	f := func(in string, ok bool, w want) {
		t.Helper()
		pre := event.Field{Key: "pre", Value: "x"}
		e := event.Event{Message: in, Time: t0, Severity: event.Notice, SeveritySource: event.SeverityUnset, Fields: []event.Field{pre}}
		got := Enrich(&e)
		if got != ok {
			t.Fatalf("Enrich(%q) = %v, want %v", in, got, ok)
		}
		if e.Fields[0] != pre {
			t.Fatalf("Enrich(%q) lost the existing field", in)
		}
		if !ok {
			if len(e.Fields) != 1 || e.Message != in || !e.Time.Equal(t0) || e.Severity != event.Notice || e.SeveritySource != event.SeverityUnset {
				t.Fatalf("Enrich(%q) = false but changed the event: %+v", in, e)
			}
			return
		}
		if e.Severity != w.sev || e.SeveritySource != w.src {
			t.Fatalf("Enrich(%q): severity %v/%q, want %v/%q", in, e.Severity, e.SeveritySource, w.sev, w.src)
		}
		wantMsg := w.msg
		if wantMsg == "" {
			wantMsg = in
		}
		if e.Message != wantMsg {
			t.Fatalf("Enrich(%q): message %q, want %q", in, e.Message, wantMsg)
		}
		wantTime := t0
		if w.time != "" {
			wantTime, _ = time.Parse(time.RFC3339Nano, w.time)
		}
		if !e.Time.Equal(wantTime) {
			t.Fatalf("Enrich(%q): time %v, want %v", in, e.Time, wantTime)
		}
		gf := e.Fields[1:]
		if len(gf) != len(w.fields) {
			t.Fatalf("Enrich(%q) fields:%s\nwant:%s", in, fieldsString(gf), fieldsString(w.fields))
		}
		for i := range gf {
			if gf[i] != w.fields[i] {
				t.Fatalf("Enrich(%q) fields:%s\nwant:%s", in, fieldsString(gf), fieldsString(w.fields))
			}
		}
	}
	inf, fld := event.SeverityInferred, event.SeverityField

	// Text platform lines.
	f("START RequestId: "+rid+" Version: $LATEST\n", true, want{sev: event.Debug, src: inf,
		fields: kv("request_id", rid, "s", "version", "$LATEST", "s")})
	f("START RequestId: "+rid+" Version: 7", true, want{sev: event.Debug, src: inf,
		fields: kv("request_id", rid, "s", "version", "7", "s")})
	f("END RequestId: "+rid+"\n", true, want{sev: event.Debug, src: inf, fields: kv("request_id", rid, "s")})
	f(reportLine, true, want{sev: event.Info, src: inf, fields: kv(
		"request_id", rid, "s", "duration_ms", "102.25", "n", "billed_duration_ms", "103", "n",
		"memory_size_mb", "128", "n", "max_memory_used_mb", "68", "n", "init_duration_ms", "170.12", "n")})
	// Space-separated (as copied from the console).
	f("REPORT RequestId: "+rid+" Duration: 102.25 ms Billed Duration: 103 ms Memory Size: 128 MB Max Memory Used: 68 MB Init Duration: 170.12 ms", true, want{sev: event.Info, src: inf, fields: kv(
		"request_id", rid, "s", "duration_ms", "102.25", "n", "billed_duration_ms", "103", "n",
		"memory_size_mb", "128", "n", "max_memory_used_mb", "68", "n", "init_duration_ms", "170.12", "n")})
	f("REPORT RequestId: "+rid+"\tDuration: 2.21 ms\tBilled Duration: 3 ms\tMemory Size: 1024 MB\tMax Memory Used: 75 MB\t\nXRAY TraceId: 1-5e6722a7-cc2a3e4c4b1e8ec8a4d4e0b4\tSegmentId: 4b5d2a0c1c2d3e4f\tSampled: true\t\n", true, want{sev: event.Info, src: inf, fields: kv(
		"request_id", rid, "s", "duration_ms", "2.21", "n", "billed_duration_ms", "3", "n",
		"memory_size_mb", "1024", "n", "max_memory_used_mb", "75", "n",
		"xray_trace_id", "1-5e6722a7-cc2a3e4c4b1e8ec8a4d4e0b4", "s", "xray_segment_id", "4b5d2a0c1c2d3e4f", "s", "xray_sampled", "true", "b")})
	f("REPORT RequestId: "+rid+"\tDuration: 21.70 ms\tBilled Duration: 290 ms\tMemory Size: 512 MB\tMax Memory Used: 125 MB\tRestore Duration: 406.46 ms\tBilled Restore Duration: 268 ms\t\n", true, want{sev: event.Info, src: inf, fields: kv(
		"request_id", rid, "s", "duration_ms", "21.70", "n", "billed_duration_ms", "290", "n",
		"memory_size_mb", "512", "n", "max_memory_used_mb", "125", "n",
		"restore_duration_ms", "406.46", "n", "billed_restore_duration_ms", "268", "n")})
	f("REPORT RequestId: "+rid+"\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tInit Duration: 157.09 ms\tStatus: timeout\n", true, want{sev: event.Error, src: inf, fields: kv(
		"request_id", rid, "s", "duration_ms", "3000.00", "n", "billed_duration_ms", "3000", "n",
		"memory_size_mb", "128", "n", "max_memory_used_mb", "40", "n", "init_duration_ms", "157.09", "n", "status", "timeout", "s")})
	f("REPORT RequestId: "+rid+"\tDuration: 812.44 ms\tBilled Duration: 813 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\tStatus: error\tError Type: Runtime.OutOfMemory\n", true, want{sev: event.Error, src: inf, fields: kv(
		"request_id", rid, "s", "duration_ms", "812.44", "n", "billed_duration_ms", "813", "n",
		"memory_size_mb", "128", "n", "max_memory_used_mb", "128", "n", "status", "error", "s", "error_type", "Runtime.OutOfMemory", "s")})
	f("REPORT RequestId: "+rid+"\tDuration: 5.0 ms\tSomething New: 12 widgets\tMemory Size: 128 MB", true, want{sev: event.Info, src: inf, fields: kv(
		"request_id", rid, "s", "duration_ms", "5.0", "n", "memory_size_mb", "128", "n")})
	f("INIT_START Runtime Version: python:3.12.v18\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:2f0c8b3d2bcd1e0d3e0ab3a2c4e5f6a7\n", true, want{sev: event.Info, src: inf, fields: kv(
		"runtime_version", "python:3.12.v18", "s", "runtime_version_arn", "arn:aws:lambda:us-east-1::runtime:2f0c8b3d2bcd1e0d3e0ab3a2c4e5f6a7", "s")})
	f("INIT_REPORT Init Duration: 10004.71 ms\tPhase: init\tStatus: timeout\n", true, want{sev: event.Error, src: inf, fields: kv(
		"init_duration_ms", "10004.71", "n", "phase", "init", "s", "status", "timeout", "s")})
	f("INIT_REPORT Init Duration: 2.5 ms\tPhase: invoke\tStatus: success", true, want{sev: event.Info, src: inf, fields: kv(
		"init_duration_ms", "2.5", "n", "phase", "invoke", "s", "status", "success", "s")})
	f("RESTORE_START Runtime Version: java:21.v12\tRuntime Version ARN: arn:aws:lambda:eu-west-1::runtime:abc\n", true, want{sev: event.Info, src: inf, fields: kv(
		"runtime_version", "java:21.v12", "s", "runtime_version_arn", "arn:aws:lambda:eu-west-1::runtime:abc", "s")})
	f("RESTORE_REPORT Restore Duration: 398.13 ms\tStatus: error\n", true, want{sev: event.Error, src: inf, fields: kv(
		"restore_duration_ms", "398.13", "n", "status", "error", "s")})
	f("EXTENSION\tName: datadog-agent\tState: Ready\tEvents: [INVOKE, SHUTDOWN]\n", true, want{sev: event.Info, src: inf, fields: kv(
		"extension_name", "datadog-agent", "s", "extension_state", "Ready", "s", "events", "[INVOKE, SHUTDOWN]", "s")})
	f("LOGS\tName: datadog-agent\tState: Subscribed\tTypes: [function]\n", true, want{sev: event.Info, src: inf, fields: kv(
		"extension_name", "datadog-agent", "s", "extension_state", "Subscribed", "s", "types", "[function]", "s")})
	f("TELEMETRY\tName: otel\tState: Subscribed\tTypes: [Platform, Function, Extension]\n", true, want{sev: event.Info, src: inf, fields: kv(
		"extension_name", "otel", "s", "extension_state", "Subscribed", "s", "types", "[Platform, Function, Extension]", "s")})
	f("2024-05-01T12:00:03.006Z "+rid+" Task timed out after 3.01 seconds\n\n", true, want{sev: event.Error, src: inf,
		time: "2024-05-01T12:00:03.006Z", fields: kv("request_id", rid, "s", "timeout_s", "3.01", "n")})
	f("2024-05-01T12:00:00.000Z\t"+rid+"\tTask timed out after 900.10 seconds", true, want{sev: event.Error, src: inf,
		time: "2024-05-01T12:00:00Z", fields: kv("request_id", rid, "s", "timeout_s", "900.10", "n")})
	f("RequestId: "+rid+" Error: Runtime exited with error: signal: killed\nRuntime.ExitError\n", true, want{sev: event.Error, src: inf, fields: kv(
		"request_id", rid, "s", "error", "Runtime exited with error: signal: killed", "s", "error_type", "Runtime.ExitError", "s")})
	f("RequestId: "+rid+" Error: Runtime exited without providing a reason", true, want{sev: event.Error, src: inf, fields: kv(
		"request_id", rid, "s", "error", "Runtime exited without providing a reason", "s")})
	f("LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code.\r", true, want{sev: event.Warning, src: inf})

	// Node.js runtime format.
	f(nodeLine, true, want{sev: event.Error, src: fld, time: "2024-05-01T12:00:00.123Z",
		msg:    "Invoke Error \t{\"errorType\":\"Error\",\"errorMessage\":\"boom\",\"stack\":[\"Error: boom\",\"    at Runtime.handler (/var/task/index.js:3:9)\"]}",
		fields: kv("request_id", rid, "s", "error_type", "Error", "s", "error_message", "boom", "s")})
	f("2024-05-01T12:00:00.123Z\t"+rid+"\tERROR\tUnhandled Promise Rejection \t{\"errorType\":\"Runtime.UnhandledPromiseRejection\",\"errorMessage\":\"Error: x\",\"reason\":{},\"promise\":{},\"stack\":[]}\n", true, want{sev: event.Error, src: fld, time: "2024-05-01T12:00:00.123Z",
		msg:    "Unhandled Promise Rejection \t{\"errorType\":\"Runtime.UnhandledPromiseRejection\",\"errorMessage\":\"Error: x\",\"reason\":{},\"promise\":{},\"stack\":[]}",
		fields: kv("request_id", rid, "s", "error_type", "Runtime.UnhandledPromiseRejection", "s", "error_message", "Error: x", "s")})
	f(nodeInfo, true, want{sev: event.Info, src: fld, time: "2024-05-01T12:00:00.123Z", msg: "processed 3 records", fields: kv("request_id", rid, "s")})
	f("2024-05-01T12:00:00.123Z\t"+rid+"\tWARN\tslow\tdownstream", true, want{sev: event.Warning, src: fld, time: "2024-05-01T12:00:00.123Z", msg: "slow\tdownstream", fields: kv("request_id", rid, "s")})
	f("2024-05-01T12:00:00.123Z\t"+rid+"\tDEBUG\tx", true, want{sev: event.Debug, src: fld, time: "2024-05-01T12:00:00.123Z", msg: "x", fields: kv("request_id", rid, "s")})
	f("2024-05-01T12:00:00.123Z\t"+rid+"\tTRACE\tx", true, want{sev: event.Debug, src: fld, time: "2024-05-01T12:00:00.123Z", msg: "x", fields: kv("request_id", rid, "s")})
	f("2024-05-01T12:00:00.123Z\t"+rid+"\tFATAL\tout of cheese", true, want{sev: event.Crit, src: fld, time: "2024-05-01T12:00:00.123Z", msg: "out of cheese", fields: kv("request_id", rid, "s")})
	f("2024-05-01T12:00:00.100Z\tundefined\tINFO\tLoading function\n", true, want{sev: event.Info, src: fld, time: "2024-05-01T12:00:00.1Z", msg: "Loading function"})
	f("2019-01-01T00:00:00.000Z\t"+rid+"\thello from node 8\n", true, want{sev: event.Notice, src: event.SeverityUnset, time: "2019-01-01T00:00:00Z", msg: "hello from node 8", fields: kv("request_id", rid, "s")})

	// Python runtime format.
	f("[ERROR]\t2024-05-01T12:00:00.123Z\t"+rid+"\tSomething broke\n", true, want{sev: event.Error, src: fld, time: "2024-05-01T12:00:00.123Z", msg: "Something broke", fields: kv("request_id", rid, "s")})
	f("[INFO]\t2024-05-01T12:00:00.123Z\t"+rid+"\tprocessing event\n", true, want{sev: event.Info, src: fld, time: "2024-05-01T12:00:00.123Z", msg: "processing event", fields: kv("request_id", rid, "s")})
	f("[WARNING]\t2024-05-01T12:00:00.123Z\t"+rid+"\tretrying\n", true, want{sev: event.Warning, src: fld, time: "2024-05-01T12:00:00.123Z", msg: "retrying", fields: kv("request_id", rid, "s")})
	f("[DEBUG]\t2024-05-01T12:00:00.123Z\t"+rid+"\tx", true, want{sev: event.Debug, src: fld, time: "2024-05-01T12:00:00.123Z", msg: "x", fields: kv("request_id", rid, "s")})
	f("[CRITICAL]\t2024-05-01T12:00:00.123Z\t"+rid+"\tdisk gone", true, want{sev: event.Crit, src: fld, time: "2024-05-01T12:00:00.123Z", msg: "disk gone", fields: kv("request_id", rid, "s")})
	f("[INFO]\t2024-05-01T12:00:00.5Z\t\tFound credentials in environment variables.\n", true, want{sev: event.Info, src: fld, time: "2024-05-01T12:00:00.5Z", msg: "Found credentials in environment variables."})
	f("[ERROR] Runtime.ImportModuleError: Unable to import module 'app': No module named 'requests'\nTraceback (most recent call last):", true, want{sev: event.Error, src: fld,
		msg: "Runtime.ImportModuleError: Unable to import module 'app': No module named 'requests'\nTraceback (most recent call last):", fields: kv("error_type", "Runtime.ImportModuleError", "s")})
	f("[ERROR] KeyError: 'name'\nTraceback (most recent call last):\n  File \"/var/task/app.py\", line 5, in handler\n", true, want{sev: event.Error, src: fld,
		msg: "KeyError: 'name'\nTraceback (most recent call last):\n  File \"/var/task/app.py\", line 5, in handler", fields: kv("error_type", "KeyError", "s")})
	f("[WARNING] something odd: x", true, want{sev: event.Warning, src: fld, msg: "something odd: x"})

	// JSON log format: application records.
	f(`{"timestamp":"2024-05-01T12:00:00.123Z","level":"ERROR","message":"boom","logger":"root","requestId":"`+rid+`"}`, true, want{sev: event.Error, src: fld,
		time: "2024-05-01T12:00:00.123Z", msg: "boom", fields: kv("logger", "root", "s", "request_id", rid, "s")})
	f(`{"timestamp":"2024-05-01T12:00:00.123Z","level":"INFO","requestId":"`+rid+`","message":{"user":"a","n":1}}`, true, want{sev: event.Info, src: fld,
		time: "2024-05-01T12:00:00.123Z", msg: `{"user":"a","n":1}`, fields: kv("request_id", rid, "s")})
	f(`{ "timestamp": "2024-05-01T12:00:00Z", "level": "WARN", "message": "say \"hi\"\n", "count": 3, "ok": true, "tags": [ "a", "b" ], "ctx": null }`, true, want{sev: event.Warning, src: fld,
		time: "2024-05-01T12:00:00Z", msg: "say \"hi\"\n", fields: kv("count", "3", "n", "ok", "true", "b", "tags", `[ "a", "b" ]`, "j", "ctx", "null", "j")})
	f(`{"timestamp":"2024-05-01T12:00:00Z","level":"INFO","":"nameless","message":"m"}`, true, want{sev: event.Info, src: fld, time: "2024-05-01T12:00:00Z", msg: "m"})
	f(`{"timestamp": "2024-05-01T12:00:00Z", "log_level": "ERROR", "errorMessage": "Unable to import module 'app': No module named 'x'", "errorType": "Runtime.ImportModuleError", "requestId": "", "stackTrace": []}`, true, want{sev: event.Error, src: fld,
		time: "2024-05-01T12:00:00Z", msg: "Unable to import module 'app': No module named 'x'", fields: kv(
			"error_message", "Unable to import module 'app': No module named 'x'", "s", "error_type", "Runtime.ImportModuleError", "s",
			"request_id", "", "s", "stack_trace", "[]", "j")})

	// JSON log format: platform records.
	f(`{"time":"2024-05-01T12:00:00.500Z","type":"platform.report","record":{"requestId":"`+rid+`","metrics":{"durationMs":1.23,"billedDurationMs":2,"memorySizeMB":128,"maxMemoryUsedMB":70,"initDurationMs":150.1},"tracing":{"spanId":"abc","type":"X-Amzn-Trace-Id","value":"Root=1-5e6722a7-cc2a3e4c4b1e8ec8a4d4e0b4;Parent=4b5d2a0c1c2d3e4f;Sampled=1"},"status":"success"}}`, true, want{sev: event.Info, src: inf,
		time: "2024-05-01T12:00:00.5Z", fields: kv(
			"request_id", rid, "s", "duration_ms", "1.23", "n", "billed_duration_ms", "2", "n", "memory_size_mb", "128", "n",
			"max_memory_used_mb", "70", "n", "init_duration_ms", "150.1", "n", "status", "success", "s",
			"xray_trace_id", "1-5e6722a7-cc2a3e4c4b1e8ec8a4d4e0b4", "s", "xray_segment_id", "4b5d2a0c1c2d3e4f", "s", "xray_sampled", "true", "b")})
	f(`{"time":"2024-05-01T12:00:03.000Z","type":"platform.report","record":{"requestId":"`+rid+`","metrics":{"durationMs":3000.0,"billedDurationMs":3000,"memorySizeMB":128,"maxMemoryUsedMB":40},"status":"timeout"}}`, true, want{sev: event.Error, src: inf,
		time: "2024-05-01T12:00:03Z", fields: kv(
			"request_id", rid, "s", "duration_ms", "3000.0", "n", "billed_duration_ms", "3000", "n", "memory_size_mb", "128", "n",
			"max_memory_used_mb", "40", "n", "status", "timeout", "s")})
	f(`{"time":"2024-05-01T12:00:00.000Z","type":"platform.start","record":{"requestId":"`+rid+`","version":"$LATEST"}}`, true, want{sev: event.Debug, src: inf,
		time: "2024-05-01T12:00:00Z", fields: kv("request_id", rid, "s", "version", "$LATEST", "s")})
	f(`{"time":"2024-05-01T12:00:00.400Z","type":"platform.runtimeDone","record":{"requestId":"`+rid+`","status":"success","metrics":{"durationMs":1.0,"producedBytes":53}}}`, true, want{sev: event.Debug, src: inf,
		time: "2024-05-01T12:00:00.4Z", fields: kv("request_id", rid, "s", "duration_ms", "1.0", "n", "produced_bytes", "53", "n", "status", "success", "s")})
	f(`{"time":"2024-05-01T12:00:00.400Z","type":"platform.runtimeDone","record":{"requestId":"`+rid+`","status":"error","errorType":"Runtime.ExitError"}}`, true, want{sev: event.Error, src: inf,
		time: "2024-05-01T12:00:00.4Z", fields: kv("request_id", rid, "s", "status", "error", "s", "error_type", "Runtime.ExitError", "s")})
	f(`{"time":"2024-05-01T11:59:59.000Z","type":"platform.initStart","record":{"initializationType":"on-demand","phase":"init","runtimeVersion":"python:3.12.v18","runtimeVersionArn":"arn:aws:lambda:us-east-1::runtime:abc","functionName":"fn","functionVersion":"$LATEST"}}`, true, want{sev: event.Info, src: inf,
		time: "2024-05-01T11:59:59Z", fields: kv("init_type", "on-demand", "s", "phase", "init", "s", "runtime_version", "python:3.12.v18", "s", "runtime_version_arn", "arn:aws:lambda:us-east-1::runtime:abc", "s")})
	f(`{"time":"2024-05-01T12:00:10.000Z","type":"platform.initReport","record":{"initializationType":"on-demand","phase":"init","status":"timeout","metrics":{"durationMs":10004.7}}}`, true, want{sev: event.Error, src: inf,
		time: "2024-05-01T12:00:10Z", fields: kv("init_type", "on-demand", "s", "phase", "init", "s", "init_duration_ms", "10004.7", "n", "status", "timeout", "s")})
	f(`{"time":"2024-05-01T12:00:00.000Z","type":"platform.extension","record":{"name":"my-ext","state":"Ready","events":["INVOKE","SHUTDOWN"]}}`, true, want{sev: event.Info, src: inf,
		time: "2024-05-01T12:00:00Z", fields: kv("extension_name", "my-ext", "s", "extension_state", "Ready", "s", "events", `["INVOKE","SHUTDOWN"]`, "j")})
	f(`{"time":"2024-05-01T12:00:00.000Z","type":"platform.logsDropped","record":{"reason":"Consumer seems to have fallen behind.","droppedRecords":123,"droppedBytes":12345}}`, true, want{sev: event.Error, src: inf,
		time: "2024-05-01T12:00:00Z", fields: kv("reason", "Consumer seems to have fallen behind.", "s", "dropped_records", "123", "n", "dropped_bytes", "12345", "n")})

	// Not Lambda's.
	for _, s := range []string{
		"", "abc", "hello world", "STARTING the engine", "Ending", "REPORTED by x", "INIT", "EXTENSIONS loaded",
		"LOGSTASH", "TELEMETRYX", "[notalevel] x", "[ERROR]", "[ERROR]x", "[INFO]\tnot-a-time\tid\tmsg",
		`{"foo":1}`, `{"timestamp":"2024-05-01T12:00:00Z"}`, `{"level":"info"}`, `{"timestamp":"x","level":"loud","message":"m"}`,
		`{"time":"2024-05-01T12:00:00Z","type":"function","record":"x"}`, `{"broken":`, `[1,2]`,
		"2024-05-01 12:00:00 hello", "2024-05-01T12:00:00.123Z hello world", "2024-05-01T12:00:00.123Z " + rid + " something else",
		"2024-05-01T12:00:00.123Z\tnot a request id\tINFO\tx", "RequestId: " + rid + " all good", "RequestId: nope Error: x",
		"12345",
	} {
		f(s, false, want{})
	}
}

func TestEnrichAllocs(t *testing.T) {
	e := event.Event{Fields: make([]event.Field, 0, 32)}
	for _, m := range []string{
		reportLine, nodeInfo, "START RequestId: " + rid + " Version: $LATEST\n",
		"[ERROR]\t2024-05-01T12:00:00.123Z\t" + rid + "\tSomething broke\n",
		"2024-05-01T12:00:03.006Z " + rid + " Task timed out after 3.01 seconds\n\n",
	} {
		allocs := testing.AllocsPerRun(100, func() {
			e.Reset()
			e.Message = m
			Enrich(&e)
		})
		if allocs != 0 {
			t.Errorf("Enrich(%q) allocated %v times, want 0", m, allocs)
		}
	}
}

func FuzzLambdaEnrich(f *testing.F) {
	for _, m := range seedMessages() {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		e := event.Event{Message: msg, Severity: event.Notice}
		ok := Enrich(&e)
		if !ok {
			if len(e.Fields) != 0 || e.Message != msg || e.Severity != event.Notice || e.SeveritySource != event.SeverityUnset || !e.Time.IsZero() {
				t.Fatalf("not recognised but changed: %+v", e)
			}
			return
		}
		if !e.Severity.Valid() {
			t.Fatalf("severity %v", e.Severity)
		}
		if len(e.Message) > len(msg) {
			t.Fatalf("message grew: %q", e.Message)
		}
		for _, fl := range e.Fields {
			if fl.Key == "" {
				t.Fatalf("empty key in %v", e.Fields)
			}
			switch fl.Type {
			case event.Number:
				if !logfmt.IsNumber(fl.Value) {
					t.Fatalf("Number field %s=%q", fl.Key, fl.Value)
				}
			case event.Bool:
				if fl.Value != "true" && fl.Value != "false" {
					t.Fatalf("Bool field %s=%q", fl.Key, fl.Value)
				}
			case event.JSON:
				if !json.Valid([]byte(fl.Value)) {
					t.Fatalf("JSON field %s=%q", fl.Key, fl.Value)
				}
			}
		}
	})
}
