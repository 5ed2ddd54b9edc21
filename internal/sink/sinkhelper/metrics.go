package sinkhelper

import "github.com/prometheus/client_golang/prometheus"

// Metrics counts what subscriptions do. A nil *Metrics counts nothing.
type Metrics struct {
	Delivered    *prometheus.CounterVec
	Retried      *prometheus.CounterVec
	DeadLettered *prometheus.CounterVec
	Filtered     *prometheus.CounterVec
	DecodeErrors *prometheus.CounterVec
	ReadErrors   *prometheus.CounterVec
}

// NewMetrics registers the subscription metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	lbl := []string{"subscription"}
	m := &Metrics{
		Delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_subscription_delivered_events_total", Help: "Events delivered to the subscription's sink."}, lbl),
		Retried: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_subscription_retried_events_total", Help: "Events whose delivery failed and was retried."}, lbl),
		DeadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_subscription_dead_lettered_events_total", Help: "Events the sink refused for good, written to the dead-letter file."}, lbl),
		Filtered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_subscription_filtered_events_total", Help: "Events the subscription's filter left out."}, lbl),
		DecodeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_subscription_decode_errors_total", Help: "Log records that did not decode as events (skipped)."}, lbl),
		ReadErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_subscription_read_errors_total", Help: "Failed reads of the log (retried)."}, lbl),
	}
	if reg != nil {
		reg.MustRegister(m.Delivered, m.Retried, m.DeadLettered, m.Filtered, m.DecodeErrors, m.ReadErrors)
	}
	return m
}

func (m *Metrics) delivered(name string, n int) {
	if m != nil {
		m.Delivered.WithLabelValues(name).Add(float64(n))
	}
}

func (m *Metrics) retried(name string, n int) {
	if m != nil {
		m.Retried.WithLabelValues(name).Add(float64(n))
	}
}

func (m *Metrics) deadLettered(name string, n int) {
	if m != nil {
		m.DeadLettered.WithLabelValues(name).Add(float64(n))
	}
}

func (m *Metrics) filtered(name string) {
	if m != nil {
		m.Filtered.WithLabelValues(name).Inc()
	}
}

func (m *Metrics) readError(name string) {
	if m != nil {
		m.ReadErrors.WithLabelValues(name).Inc()
	}
}

func (m *Metrics) decodeError(name string) {
	if m != nil {
		m.DecodeErrors.WithLabelValues(name).Inc()
	}
}

// RegisterLag registers a gauge that reads the subscription's lag from its
// cursor whenever metrics are scraped, so it grows while a destination is
// down (when nothing is acknowledged).
func RegisterLag(reg prometheus.Registerer, name string, cur Cursor) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "sluice_subscription_lag_events",
		Help:        "Events in the log not yet delivered by the subscription.",
		ConstLabels: prometheus.Labels{"subscription": name},
	}, func() float64 { return float64(cur.Lag()) }))
}
