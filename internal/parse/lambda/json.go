package lambda

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

// platformRecord is the "record" of a JSON platform log record.
type platformRecord struct {
	RequestID          string          `json:"requestId"`
	Version            string          `json:"version"`
	InitializationType string          `json:"initializationType"`
	Phase              string          `json:"phase"`
	RuntimeVersion     string          `json:"runtimeVersion"`
	RuntimeVersionArn  string          `json:"runtimeVersionArn"`
	Name               string          `json:"name"`
	State              string          `json:"state"`
	Events             json.RawMessage `json:"events"`
	Types              json.RawMessage `json:"types"`
	Metrics            struct {
		DurationMs              json.Number `json:"durationMs"`
		BilledDurationMs        json.Number `json:"billedDurationMs"`
		MemorySizeMB            json.Number `json:"memorySizeMB"`
		MaxMemoryUsedMB         json.Number `json:"maxMemoryUsedMB"`
		InitDurationMs          json.Number `json:"initDurationMs"`
		RestoreDurationMs       json.Number `json:"restoreDurationMs"`
		BilledRestoreDurationMs json.Number `json:"billedRestoreDurationMs"`
		ProducedBytes           json.Number `json:"producedBytes"`
	} `json:"metrics"`
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Tracing   struct {
		Value string `json:"value"`
	} `json:"tracing"`
	Reason         string      `json:"reason"`
	DroppedRecords json.Number `json:"droppedRecords"`
	DroppedBytes   json.Number `json:"droppedBytes"`
}

// jsonRecord handles the JSON log format: application records and platform
// records.
func jsonRecord(e *event.Event, m string) bool {
	dec := json.NewDecoder(strings.NewReader(m))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	n0 := len(e.Fields)
	fail := func() bool {
		e.Fields = e.Fields[:n0]
		return false
	}
	var ts, typ, level, message, errMsg, record string
	var hasTS, hasLevel, hasMessage bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail()
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fail()
		}
		end := int(dec.InputOffset())
		if end < len(raw) || end > len(m) {
			return fail()
		}
		val := m[end-len(raw) : end]
		switch key {
		case "":
			continue // a field needs a name
		case "timestamp", "time":
			ts, _ = jsonString(val)
			hasTS = true
			continue
		case "level", "log_level":
			level, _ = jsonString(val)
			hasLevel = true
			continue
		case "message":
			if s, ok := jsonString(val); ok {
				message = s
			} else {
				message = val
			}
			hasMessage = true
			continue
		case "type":
			typ, _ = jsonString(val)
		case "record":
			record = val
		case "requestId":
			key = "request_id"
		case "errorType":
			key = "error_type"
		case "errorMessage":
			key = "error_message"
			errMsg, _ = jsonString(val)
		case "stackTrace":
			key = "stack_trace"
		}
		e.Fields = append(e.Fields, jsonField(key, val))
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return fail()
	}
	if strings.HasPrefix(typ, "platform.") && record != "" && !hasLevel {
		e.Fields = e.Fields[:n0]
		if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
			e.Time = t
		}
		platform(e, typ, record)
		return true
	}
	if !hasTS || !hasLevel {
		return fail()
	}
	sev, ok := levelSeverity(level)
	if !ok {
		return fail()
	}
	if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
		e.Time = t
	}
	switch {
	case hasMessage:
		e.Message = message
	case errMsg != "":
		e.Message = errMsg
	}
	e.Severity, e.SeveritySource = sev, event.SeverityField
	return true
}

// platform adds the fields of a platform record and sets the severity.
func platform(e *event.Event, typ, record string) {
	var r platformRecord
	recOK := json.Unmarshal([]byte(record), &r) == nil
	add := func(key, v string) {
		if v != "" {
			e.AddString(key, v)
		}
	}
	num := func(key string, v json.Number) {
		if v != "" {
			e.AddNumber(key, string(v))
		}
	}
	raw := func(key string, v json.RawMessage) {
		if len(v) > 0 {
			e.Fields = append(e.Fields, jsonField(key, string(v)))
		}
	}
	sev := event.Info
	if recOK {
		add("request_id", r.RequestID)
		add("version", r.Version)
		add("init_type", r.InitializationType)
		add("phase", r.Phase)
		add("runtime_version", r.RuntimeVersion)
		add("runtime_version_arn", r.RuntimeVersionArn)
		add("extension_name", r.Name)
		add("extension_state", r.State)
		raw("events", r.Events)
		raw("types", r.Types)
		switch typ {
		case "platform.initReport":
			num("init_duration_ms", r.Metrics.DurationMs)
		case "platform.restoreReport":
			num("restore_duration_ms", r.Metrics.DurationMs)
		default:
			num("duration_ms", r.Metrics.DurationMs)
		}
		num("billed_duration_ms", r.Metrics.BilledDurationMs)
		num("memory_size_mb", r.Metrics.MemorySizeMB)
		num("max_memory_used_mb", r.Metrics.MaxMemoryUsedMB)
		num("init_duration_ms", r.Metrics.InitDurationMs)
		num("restore_duration_ms", r.Metrics.RestoreDurationMs)
		num("billed_restore_duration_ms", r.Metrics.BilledRestoreDurationMs)
		num("produced_bytes", r.Metrics.ProducedBytes)
		add("status", r.Status)
		add("error_type", r.ErrorType)
		tracing(e, r.Tracing.Value)
		add("reason", r.Reason)
		num("dropped_records", r.DroppedRecords)
		num("dropped_bytes", r.DroppedBytes)
	}
	switch typ {
	case "platform.start", "platform.runtimeDone", "platform.initRuntimeDone", "platform.restoreRuntimeDone":
		sev = event.Debug
	case "platform.logsDropped":
		sev = event.Error
	}
	setSeverity(e, statusSeverity(r.Status, sev))
}

// tracing adds the X-Ray fields of "Root=1-...;Parent=...;Sampled=1".
func tracing(e *event.Event, v string) {
	for v != "" {
		var kv string
		kv, v, _ = strings.Cut(v, ";")
		k, val, _ := strings.Cut(kv, "=")
		switch k {
		case "Root":
			e.AddString("xray_trace_id", val)
		case "Parent":
			e.AddString("xray_segment_id", val)
		case "Sampled":
			switch val {
			case "1":
				e.Fields = append(e.Fields, event.Field{Key: "xray_sampled", Value: "true", Type: event.Bool})
			case "0":
				e.Fields = append(e.Fields, event.Field{Key: "xray_sampled", Value: "false", Type: event.Bool})
			}
		}
	}
}

// jsonString returns the value of the JSON string literal v.
func jsonString(v string) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	if !strings.ContainsRune(v, '\\') {
		return v[1 : len(v)-1], true
	}
	var s string
	if json.Unmarshal([]byte(v), &s) != nil {
		return "", false
	}
	return s, true
}

// jsonField converts a raw JSON value into a field.
func jsonField(key, v string) event.Field {
	switch {
	case v == "":
		return event.Field{Key: key, Type: event.String}
	case v[0] == '"':
		s, _ := jsonString(v)
		return event.Field{Key: key, Value: s, Type: event.String}
	case v == "true" || v == "false":
		return event.Field{Key: key, Value: v, Type: event.Bool}
	case v[0] == '{' || v[0] == '[' || v == "null":
		return event.Field{Key: key, Value: v, Type: event.JSON}
	default:
		return event.Field{Key: key, Value: v, Type: event.Number}
	}
}
