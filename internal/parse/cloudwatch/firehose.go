package cloudwatch

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
)

// FirehoseRequest is a Kinesis Data Firehose HTTP endpoint delivery request
// body, records base64-decoded.
type FirehoseRequest struct {
	// RequestID is the request id Firehose repeats in its retries (and in
	// the X-Amz-Firehose-Request-Id header); the response must echo it.
	RequestID string
	// Timestamp is when Firehose sent the request, in milliseconds since
	// the Unix epoch.
	Timestamp int64
	// Records are the records' data, base64-decoded: for a CloudWatch Logs
	// subscription, gzip'd subscription documents (see Decoder.DecodeRecord).
	Records [][]byte
}

// DecodeFirehoseRequest decodes a Firehose HTTP endpoint request body (see
// Decoder.DecodeFirehoseRequest) with the given limits.
func DecodeFirehoseRequest(body []byte, lim Limits) (*FirehoseRequest, error) {
	return NewDecoder(lim).DecodeFirehoseRequest(body)
}

// DecodeFirehoseRequest decodes a Firehose HTTP endpoint request body,
// {"requestId":"...","timestamp":1578090901599,"records":[{"data":"<base64>"}]}.
// An empty records array is valid; a missing requestId or records, more than
// MaxRecords records, or a record over MaxRecordBytes is not. Errors are
// *DecodeError with Input InputFirehoseRequest and, for a bad record, its
// Index. The records do not share memory with body.
func (d *Decoder) DecodeFirehoseRequest(body []byte) (*FirehoseRequest, error) {
	fail := func(index int, reason string) (*FirehoseRequest, error) {
		return nil, &DecodeError{Input: InputFirehoseRequest, Index: index, Document: -1, Reason: reason}
	}
	if k := jsonKind(body); k != "object" {
		switch k {
		case "nothing":
			return fail(-1, "body is empty")
		case "invalid JSON":
			return fail(-1, describeJSONError(json.Unmarshal(body, new(any)), 0))
		}
		return fail(-1, "want a JSON object, got "+k)
	}
	// Fast path: decode the records straight into []byte (encoding/json
	// decodes base64). Only when that fails is the body decoded again
	// record by record, to say which record is wrong.
	var in firehoseRequestBody
	err := json.Unmarshal(body, &in)
	if err == nil && in.Records != nil {
		for _, r := range *in.Records {
			if r.Data == nil {
				err = errors.New("data is missing")
				break
			}
		}
	}
	if err != nil {
		var slow firehoseRequestBodySlow
		if serr := json.Unmarshal(body, &slow); serr != nil {
			return fail(-1, describeJSONError(serr, 0))
		}
		if slow.Records != nil {
			for i, r := range *slow.Records {
				if r.reason != "" {
					return fail(i, r.reason)
				}
			}
		}
		return fail(-1, describeDataError(err, "data")) // the slow path finds every error; just in case
	}
	if in.RequestID == "" {
		return fail(-1, "requestId is missing")
	}
	if in.Records == nil {
		return fail(-1, "records is missing")
	}
	recs := *in.Records
	if len(recs) > d.lim.MaxRecords {
		return fail(-1, strconv.Itoa(len(recs))+" records, more than the limit of "+strconv.Itoa(d.lim.MaxRecords))
	}
	req := &FirehoseRequest{
		RequestID: in.RequestID,
		Timestamp: in.Timestamp,
		Records:   make([][]byte, len(recs)),
	}
	for i, r := range recs {
		if len(r.Data) > d.lim.MaxRecordBytes {
			return fail(i, "data decodes to "+strconv.Itoa(len(r.Data))+" bytes, more than the limit of "+strconv.Itoa(d.lim.MaxRecordBytes))
		}
		req.Records[i] = r.Data
	}
	return req, nil
}

type firehoseRequestBody struct {
	RequestID string `json:"requestId"`
	Timestamp int64  `json:"timestamp"`
	Records   *[]struct {
		Data base64Data `json:"data"`
	} `json:"records"`
}

// firehoseRequestBodySlow decodes a body that firehoseRequestBody could not,
// to find the first bad record.
type firehoseRequestBodySlow struct {
	RequestID string            `json:"requestId"`
	Timestamp int64             `json:"timestamp"`
	Records   *[]firehoseRecord `json:"records"`
}

// firehoseRecord decodes one element of records, keeping what is wrong with
// it instead of failing, so that the error can name the record's index.
type firehoseRecord struct {
	data   []byte
	reason string
}

func (r *firehoseRecord) UnmarshalJSON(raw []byte) error {
	if k := jsonKind(raw); k != "object" {
		r.reason = "want object, got " + k
		return nil
	}
	var v struct {
		Data base64Data `json:"data"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		r.reason = describeDataError(err, "data")
		return nil
	}
	if v.Data == nil {
		r.reason = "data is missing"
		return nil
	}
	r.data = v.Data
	return nil
}

// base64Data decodes from a JSON string holding standard, padded base64
// (line breaks allowed), or from null (to nil). Unlike []byte, it refuses
// arrays of numbers.
type base64Data []byte

func (b *base64Data) UnmarshalJSON(raw []byte) error {
	switch raw[0] {
	case 'n':
		*b = nil
		return nil
	case '"':
	default:
		return &json.UnmarshalTypeError{Value: jsonKind(raw), Type: reflect.TypeFor[string]()}
	}
	s := raw[1 : len(raw)-1]
	if bytes.IndexByte(s, '\\') >= 0 {
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return err
		}
		s = []byte(str)
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Decode(out, s)
	if err != nil {
		return err
	}
	*b = out[:n]
	return nil
}

// describeDataError words an error decoding an object with a base64 field.
func describeDataError(err error, field string) string {
	var ce base64.CorruptInputError
	if errors.As(err, &ce) {
		return field + " is not valid base64: " + ce.Error()
	}
	return describeJSONError(err, 0)
}
