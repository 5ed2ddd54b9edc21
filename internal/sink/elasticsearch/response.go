package elasticsearch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// filterPath asks for only what the sink reads from a bulk response
// (response filtering, a common parameter of Elasticsearch and OpenSearch):
// a response to 1000 actions shrinks from ~200 KB to ~20 KB. Servers that
// ignore it answer in full, which parses the same.
const filterPath = "errors,items.*.status,items.*.error"

// maxReason bounds the length of an error reason kept from a response.
const maxReason = 1024

// itemResult is one entry of a bulk response's "items": the status of one
// action and, when it failed, the error's type and reason.
type itemResult struct {
	Status int
	// Type and Reason of "error", e.g. "mapper_parsing_exception" and
	// "failed to parse field [n] of type [long] …", with the innermost
	// caused_by appended to Reason.
	Type, Reason string
}

// errNotBulk reports a 2xx response that is not a bulk response.
const errNotBulk constError = `no "errors" key`

// parseBulkResponse reads the body of a successful (2xx) _bulk response to
// a request of n actions. When "errors" is false every action succeeded
// and allOK is true (the items are not read). Otherwise it returns one
// result per action, in request order, appended to dst.
//
//	{"took":30,"errors":true,"items":[{"create":{"_index":"logs","_id":"1","status":409,
//	  "error":{"type":"version_conflict_engine_exception","reason":"[1]: version conflict, …"}}}, …]}
//
// A body that is not such a response, or holds a different number of
// items, is an error.
func parseBulkResponse(body []byte, n int, dst []itemResult) (allOK bool, items []itemResult, err error) {
	var head struct {
		Errors *bool `json:"errors"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return false, dst, fmt.Errorf("not JSON: %w (body %s)", err, excerpt(body))
	}
	if head.Errors == nil {
		return false, dst, fmt.Errorf("%w in %s", errNotBulk, excerpt(body))
	}
	if !*head.Errors {
		return true, dst, nil
	}
	var full struct {
		Items []map[string]struct {
			Status int             `json:"status"`
			Error  json.RawMessage `json:"error"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &full); err != nil {
		return false, dst, fmt.Errorf("cannot read items: %w", err)
	}
	if len(full.Items) != n {
		return false, dst, fmt.Errorf("%d items answer %d actions", len(full.Items), n)
	}
	for i, it := range full.Items {
		if len(it) != 1 {
			return false, dst, fmt.Errorf("item %d has %d keys, want one (the action)", i, len(it))
		}
		for _, r := range it {
			if r.Status < 100 || r.Status > 599 {
				return false, dst, fmt.Errorf("item %d has status %d", i, r.Status)
			}
			res := itemResult{Status: r.Status}
			if len(r.Error) > 0 && string(r.Error) != "null" {
				res.Type, res.Reason = readError(r.Error)
			}
			dst = append(dst, res)
		}
	}
	return false, dst, nil
}

// errorObject is the "error" of an item or of a whole response.
type errorObject struct {
	Type     string       `json:"type"`
	Reason   string       `json:"reason"`
	CausedBy *errorObject `json:"caused_by"`
}

// readError reads an "error" value: an object with type, reason and
// caused_by (Elasticsearch 2.0 and later, OpenSearch), or a string
// (Elasticsearch 1.x).
func readError(raw json.RawMessage) (typ, reason string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return "", clean(s)
		}
	}
	var e errorObject
	if err := json.Unmarshal(raw, &e); err != nil {
		return "", clean(string(raw))
	}
	reason = e.Reason
	// The innermost cause usually says what is wrong ("For input string:
	// \"abc\""); keep it, within bounds.
	inner := e.CausedBy
	for depth := 0; inner != nil && inner.CausedBy != nil && depth < 8; depth++ {
		inner = inner.CausedBy
	}
	if inner != nil && (inner.Type != "" || inner.Reason != "") {
		reason += " (caused by " + joinTypeReason(inner.Type, inner.Reason) + ")"
	}
	return clean(e.Type), clean(reason)
}

func joinTypeReason(typ, reason string) string {
	switch {
	case typ == "":
		return reason
	case reason == "":
		return typ
	}
	return typ + ": " + reason
}

// describeBody says what an error response's body holds: the "type:
// reason" of an Elasticsearch or OpenSearch error, the message of an AWS
// error ({"message":…} or {"Message":…}), or an excerpt of the text.
func describeBody(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return "empty body"
	}
	if body[0] == '{' {
		var r struct {
			Error       json.RawMessage `json:"error"`
			Message     string          `json:"message"`
			MessageAWS  string          `json:"Message"`
			ErrorString string          `json:"errorMessage"`
		}
		if json.Unmarshal(body, &r) == nil {
			if len(r.Error) > 0 && string(r.Error) != "null" {
				typ, reason := readError(r.Error)
				if d := joinTypeReason(typ, reason); d != "" {
					return d
				}
			}
			for _, m := range []string{r.Message, r.MessageAWS, r.ErrorString} {
				if m != "" {
					return clean(m)
				}
			}
		}
	}
	return "body " + excerpt(body)
}

// excerpt quotes the start of a body for an error message.
func excerpt(body []byte) string {
	const n = 200
	if len(body) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(body[cut]) {
			cut--
		}
		return strconv.Quote(string(body[:cut])) + "…"
	}
	return strconv.Quote(string(body))
}

// clean makes a reason from a response fit for a log line: control
// characters become spaces, invalid UTF-8 is replaced, the length is
// bounded.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\ufffd")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxReason {
		cut := maxReason
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
