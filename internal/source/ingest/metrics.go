package ingest

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// sourceLabel is the value of the source label on every metric.
const sourceLabel = "ingest"

// metrics are the handler's Prometheus metrics. Each carries the constant
// label source="ingest"; names and help texts shared with other sources
// are identical to theirs, so that one registry holds them all.
type metrics struct {
	requests *prometheus.CounterVec // by code
	accepted prometheus.Counter
	rejected prometheus.Counter
	bytes    prometheus.Counter
	duration prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	labels := prometheus.Labels{"source": sourceLabel}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "sluice_source_requests_total",
			Help:        "Requests answered by a source, by HTTP status code (canceled: the client went away).",
			ConstLabels: labels,
		}, []string{"code"}),
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name:        "sluice_source_events_accepted_total",
			Help:        "Events a source stored.",
			ConstLabels: labels,
		}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name:        "sluice_source_events_rejected_total",
			Help:        "Events a source refused as invalid (bad time, unknown level, missing message, ...) while storing the rest of their request.",
			ConstLabels: labels,
		}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name:        "sluice_source_received_bytes_total",
			Help:        "Request body bytes a source read, as sent (before decompression).",
			ConstLabels: labels,
		}),
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
	// Several ingest sources share the metrics: a second registration
	// reuses the collectors of the first.
	var err error
	if m.requests, err = register(reg, m.requests); err != nil {
		return nil, err
	}
	for _, p := range []*prometheus.Counter{&m.accepted, &m.rejected, &m.bytes} {
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
