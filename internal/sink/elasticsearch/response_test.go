package elasticsearch

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseBulkResponse(t *testing.T) {
	f := func(body string, n int, wantOK bool, want []itemResult, wantErr string) {
		t.Helper()
		if strings.HasSuffix(body, ".json") {
			body = string(readResponse(t, body))
		}
		ok, got, err := parseBulkResponse([]byte(body), n, nil)
		if wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), wantErr) {
				t.Errorf("error %v, want it to contain %q", err, wantErr)
			}
			return
		}
		if err != nil {
			t.Fatalf("parseBulkResponse: %v", err)
		}
		if ok != wantOK {
			t.Errorf("allOK = %v, want %v", ok, wantOK)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("items (-want +got):\n%s", diff)
		}
	}
	// The examples of the Elasticsearch and OpenSearch documentation.
	f("es-docs-ok.json", 2, true, nil, "")
	f("es-docs-errors.json", 3, false, []itemResult{
		{Status: 404, Type: "document_missing_exception", Reason: "[5]: document missing"},
		{Status: 404, Type: "document_missing_exception", Reason: "[6]: document missing"},
		{Status: 201},
	}, "")
	f("opensearch-docs-errors.json", 3, false, []itemResult{
		{Status: 201},
		{Status: 409, Type: "version_conflict_engine_exception", Reason: "[tt1392214]: version conflict, document already exists (current version [1])"},
		{Status: 404, Type: "document_missing_exception", Reason: "[_doc][tt0816711]: document missing"},
	}, "")
	// What sluice sees: a data stream with mixed results; filtered
	// responses; Elasticsearch 1.x string errors.
	f("mixed-create.json", 5, false, []itemResult{
		{Status: 201},
		{Status: 409, Type: "version_conflict_engine_exception", Reason: "[1700000000-1]: version conflict, document already exists (current version [1])"},
		{Status: 429, Type: "es_rejected_execution_exception", Reason: "rejected execution of primary operation [shard_detail=[.ds-logs-sluice-default-2024.03.05-000001][0][C], shard_operation_bytes=2048, primary_operation_bytes=0, max_primary_bytes=0]"},
		{Status: 400, Type: "document_parsing_exception", Reason: "[1:412] failed to parse field [fields.customer] of type [keyword] in document with id 'ingest-7f3a-12'. Preview of field's value: '{plan=pro, id=42}' (caused by illegal_state_exception: Can't get text on a START_OBJECT at 1:390)"},
		{Status: 503, Type: "unavailable_shards_exception", Reason: "[.ds-logs-sluice-default-2024.03.05-000001][0] primary shard is not active Timeout: [1m], request: [BulkShardRequest [[.ds-logs-sluice-default-2024.03.05-000001][0]] containing [5] requests]"},
	}, "")
	f("filtered-errors.json", 3, false, []itemResult{
		{Status: 201},
		{Status: 400, Type: "mapper_parsing_exception", Reason: `failed to parse field [fields.status] of type [long] in document with id '1700000000-1'. Preview of field's value: 'ok' (caused by illegal_argument_exception: For input string: "ok")`},
		{Status: 200},
	}, "")
	f("es1-string-error.json", 2, false, []itemResult{
		{Status: 409, Reason: "DocumentAlreadyExistsException[[test][2] [logs][1]: document already exists]"},
		{Status: 201},
	}, "")
	f(`{"errors":false}`, 7, true, nil, "")
	f(`{"took":1,"errors":true,"items":[{"index":{"status":500,"error":{"type":"x","reason":"a\nb\u0000c"}}}]}`, 1, false,
		[]itemResult{{Status: 500, Type: "x", Reason: "a b c"}}, "")
	// Not a bulk response, or not one for this request.
	f("not-bulk.json", 1, false, nil, `no "errors" key`)
	f(`<html>ok</html>`, 1, false, nil, "not JSON")
	f(``, 1, false, nil, "not JSON")
	f(`{"errors":"yes"}`, 1, false, nil, "not JSON")
	f(`{"errors":true,"items":[{"index":{"status":201}}]}`, 2, false, nil, "1 items answer 2 actions")
	f(`{"errors":true}`, 1, false, nil, "0 items answer 1 actions")
	f(`{"errors":true,"items":[{"index":{"status":201},"create":{"status":201}}]}`, 1, false, nil, "item 0 has 2 keys")
	f(`{"errors":true,"items":[{"index":{}}]}`, 1, false, nil, "item 0 has status 0")
	f(`{"errors":true,"items":[{"index":{"status":"201"}}]}`, 1, false, nil, "cannot read items")
}

func TestDescribeBody(t *testing.T) {
	f := func(body, want string) {
		t.Helper()
		if strings.Contains(body, ".") && !strings.ContainsAny(body, "{<") {
			body = string(readResponse(t, body))
		}
		if got := describeBody([]byte(body)); got != want {
			t.Errorf("describeBody\n got %q\nwant %q", got, want)
		}
	}
	f("401-security.json", "security_exception: unable to authenticate user [sluice] for REST request [/_bulk?filter_path=errors%2Citems.*.status%2Citems.*.error]")
	f("403-security.json", "security_exception: action [indices:data/write/bulk[s]] is unauthorized for user [sluice] with effective roles [viewer] on indices [sluice-2024.03.05], this action is granted by the index privileges [create_doc,create,delete,index,write,all]")
	f("403-aws.json", "User: arn:aws:iam::123456789012:user/sluice is not authorized to perform: es:ESHttpPost because no identity-based policy allows the es:ESHttpPost action")
	f("429-rejected.json", "es_rejected_execution_exception: rejected execution of coordinating operation [coordinating_and_primary_bytes=107374182, replica_bytes=0, all_bytes=107374182, coordinating_operation_bytes=5242880, max_coordinating_and_primary_bytes=107374182]")
	f("503-cluster-block.json", "cluster_block_exception: blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];")
	f("413-aws.json", "Request size exceeded 10485760 bytes")
	f("413-nginx.html", `body "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>"`)
	f("404-no-handler.json", "no handler found for uri [/es/_bulk?filter_path=errors%2Citems.*.status%2Citems.*.error] and method [POST]")
	f(`{"message":"The security token included in the request is invalid."}`, "The security token included in the request is invalid.")
	f(`{"error":null,"status":500}`, `body "{\"error\":null,\"status\":500}"`)
	f("", "empty body")
	f(strings.Repeat("é", 150), `body "`+strings.Repeat("é", 100)+`"…`)
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 7, 4, 5, 6, 0, time.UTC)
	f := func(v string, want time.Duration) {
		t.Helper()
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", v, got, want)
		}
	}
	f("", 0)
	f("0", 0)
	f("-5", 0)
	f("30", 30*time.Second)
	f(" 2 ", 2*time.Second)
	f("86400", maxRetryAfter)
	f("Sat, 07 Mar 2026 04:05:36 GMT", 30*time.Second)
	f("Sat, 07 Mar 2026 04:00:00 GMT", 0)
	f("soon", 0)
}

func TestConstError(t *testing.T) {
	_, _, err := parseBulkResponse([]byte(`{}`), 1, nil)
	if !errors.Is(err, errNotBulk) {
		t.Errorf("error %v does not wrap errNotBulk", err)
	}
}
