package cloudwatch

import (
	"encoding/json"
	"strconv"
)

// DecodeLambdaEvent decodes a Lambda-style event body (see
// Decoder.DecodeLambdaEvent) with the given limits.
func DecodeLambdaEvent(body []byte, lim Limits) ([]Document, error) {
	return NewDecoder(lim).DecodeLambdaEvent(body, nil)
}

// DecodeLambdaEvent decodes the event CloudWatch Logs invokes a Lambda
// function with, {"awslogs":{"data":"<base64(gzip(document))>"}}, or a JSON
// array of such objects (as a forwarder might batch them), and appends the
// documents to dst. An empty array is valid. Each element's data must be
// gzip; it is limited to MaxRecordBytes after base64 decoding and
// MaxDecompressedBytes after decompression, and the array to MaxRecords
// elements. Errors are *DecodeError with Input InputLambdaEvent and, for a
// batch, Index the element.
func (d *Decoder) DecodeLambdaEvent(body []byte, dst []Document) ([]Document, error) {
	fail := func(index int, reason string) ([]Document, error) {
		return dst, &DecodeError{Input: InputLambdaEvent, Index: index, Document: -1, Reason: reason}
	}
	var elems []lambdaElem
	index := -1 // element index in errors; -1 for a single object
	switch k := jsonKind(body); k {
	case "object":
		elems = make([]lambdaElem, 1)
		if err := json.Unmarshal(body, &elems[0]); err != nil {
			return fail(-1, describeJSONError(err, 0))
		}
	case "array":
		if err := json.Unmarshal(body, &elems); err != nil {
			return fail(-1, describeJSONError(err, 0))
		}
		if len(elems) > d.lim.MaxRecords {
			return fail(-1, strconv.Itoa(len(elems))+" elements, more than the limit of "+strconv.Itoa(d.lim.MaxRecords))
		}
		index = 0
	case "nothing":
		return fail(-1, "body is empty")
	case "invalid JSON":
		return fail(-1, describeJSONError(json.Unmarshal(body, new(any)), 0))
	default:
		return fail(-1, "want a JSON object or array, got "+k)
	}
	for i := range elems {
		e := &elems[i]
		if index >= 0 {
			index = i
		}
		if e.reason != "" {
			return fail(index, e.reason)
		}
		if len(e.data) > d.lim.MaxRecordBytes {
			return fail(index, "awslogs.data decodes to "+strconv.Itoa(len(e.data))+" bytes, more than the limit of "+strconv.Itoa(d.lim.MaxRecordBytes))
		}
		var re *recordError
		dst, re = d.decodeRecord(e.data, true, dst)
		if re != nil {
			return dst, d.wrap(InputLambdaEvent, index, re)
		}
	}
	return dst, nil
}

// lambdaElem decodes one {"awslogs":{"data":...}} object, keeping what is
// wrong with it instead of failing, so that the error can name the element.
type lambdaElem struct {
	data   []byte
	reason string
}

func (e *lambdaElem) UnmarshalJSON(raw []byte) error {
	if k := jsonKind(raw); k != "object" {
		e.reason = "want object, got " + k
		return nil
	}
	var v struct {
		Awslogs *struct {
			Data base64Data `json:"data"`
		} `json:"awslogs"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		e.reason = describeDataError(err, "awslogs.data")
		return nil
	}
	switch {
	case v.Awslogs == nil:
		e.reason = "awslogs is missing"
	case v.Awslogs.Data == nil:
		e.reason = "awslogs.data is missing"
	default:
		e.data = v.Awslogs.Data
	}
	return nil
}
