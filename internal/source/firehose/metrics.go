package firehose

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// sourceLabel is the value of the source label on every metric.
const sourceLabel = "firehose"

// metrics are the handler's Prometheus metrics. Each carries the constant
// label source="firehose". Names and help texts are shared with the other
// HTTP sources (sluice_source_*), so that they register side by side.
type metrics struct {
	requests   *prometheus.CounterVec // by code
	records    prometheus.Counter
	accepted   prometheus.Counter
	duplicates prometheus.Counter
	control    prometheus.Counter
	bytes      prometheus.Counter
	duration   prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	labels := prometheus.Labels{"source": sourceLabel}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels})
	}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "sluice_source_requests_total",
			Help:        "Requests answered by a source, by HTTP status code (canceled: the client went away).",
			ConstLabels: labels,
		}, []string{"code"}),
		records:    counter("sluice_source_records_total", "Records (Firehose records, Lambda events) a source decoded from requests it stored."),
		accepted:   counter("sluice_source_events_accepted_total", "Events a source stored."),
		duplicates: counter("sluice_source_duplicates_skipped_total", "Frames not stored again because their batch was stored already (a retry)."),
		control:    counter("sluice_source_control_messages_total", "CloudWatch Logs CONTROL_MESSAGE documents a source acknowledged without storing them."),
		bytes:      counter("sluice_source_received_bytes_total", "Request body bytes a source read, as sent (before decompression)."),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:        "sluice_source_request_duration_seconds",
			Help:        "Time from a request's arrival to its answer.",
			ConstLabels: labels,
			Buckets:     prometheus.DefBuckets,
		}),
	}
	if reg == nil {
		return m, nil
	}
	// Several sources of a kind share the metrics: a second registration
	// reuses the collectors of the first.
	var err error
	if m.requests, err = register(reg, m.requests); err != nil {
		return nil, err
	}
	for _, p := range []*prometheus.Counter{&m.records, &m.accepted, &m.duplicates, &m.control, &m.bytes} {
		if *p, err = register(reg, *p); err != nil {
			return nil, err
		}
	}
	if m.duration, err = register(reg, m.duration); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector registered before it under
// the same description.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
		err = fmt.Errorf("a collector of type %T is registered under the same name", are.ExistingCollector)
	}
	return c, fmt.Errorf("cannot register metrics: %w", err)
}
