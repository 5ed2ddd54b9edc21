package syslog

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// sourceLabel is the value of the source label on every metric.
const sourceLabel = "syslog"

// Reasons a connection is rejected (label reason of
// sluice_source_connections_rejected_total).
const (
	rejectMaxConnections = "max_connections"
	rejectTLSHandshake   = "tls_handshake"
	rejectNotAllowed     = "client_not_allowed"
)

// Reasons a UDP batch is dropped (label reason of
// sluice_source_udp_drops_total).
const (
	dropFull    = "ingest_full"
	dropBusy    = "ingest_busy"
	dropClosed  = "closed"
	dropFailed  = "ingest_failed"
	dropTooLong = "too_long"
)

// metrics are the source's Prometheus metrics; each carries the constant
// label source="syslog", so that every source can register the same names.
type metrics struct {
	connections      *prometheus.GaugeVec   // by transport
	connectionsTotal *prometheus.CounterVec // by transport
	rejected         *prometheus.CounterVec // by reason
	closedIdle       prometheus.Counter
	messages         *prometheus.CounterVec // by transport
	malformed        prometheus.Counter
	frameErrors      *prometheus.CounterVec // by transport
	bytes            *prometheus.CounterVec // by transport
	fullWaits        prometheus.Counter
	udpDrops         *prometheus.CounterVec // by reason
	kernelDrops      prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	labels := prometheus.Labels{"source": sourceLabel}
	counterVec := func(name, help, label string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels}, []string{label})
	}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels})
	}
	m := &metrics{
		connections: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name:        "sluice_source_connections",
			Help:        "Open connections of a source, by transport.",
			ConstLabels: labels,
		}, []string{"transport"}),
		connectionsTotal: counterVec("sluice_source_connections_total", "Connections a source accepted and served, by transport.", "transport"),
		rejected:         counterVec("sluice_source_connections_rejected_total", "Connections a source closed without reading from them, by reason.", "reason"),
		closedIdle:       counter("sluice_source_connections_idle_closed_total", "Connections a source closed because they sent nothing for the idle timeout."),
		messages:         counterVec("sluice_source_messages_received_total", "Messages a source received, malformed ones included, by transport.", "transport"),
		malformed:        counter("sluice_source_frames_malformed_total", "Frames a source could not parse and stored raw with a parse_error field."),
		frameErrors:      counterVec("sluice_source_frame_errors_total", "Bad frames (garbage or oversize length, oversize line or datagram, truncated frame) a source skipped, by transport.", "transport"),
		bytes:            counterVec("sluice_source_read_bytes_total", "Bytes a source read from the network, by transport.", "transport"),
		fullWaits:        counter("sluice_source_ingest_full_waits_total", "Times a source waited and retried because the write-ahead log was full."),
		udpDrops:         counterVec("sluice_source_udp_drops_total", "UDP messages a source received but dropped, by reason.", "reason"),
		kernelDrops:      counter("sluice_source_udp_kernel_drops_total", "UDP datagrams the kernel dropped because a socket's receive buffer was full (SO_RXQ_OVFL)."),
	}
	if reg == nil {
		return m, nil
	}
	// Several syslog sources share the metrics: a second registration
	// reuses the collectors of the first.
	var err error
	if m.connections, err = register(reg, m.connections); err != nil {
		return nil, err
	}
	for _, p := range []**prometheus.CounterVec{&m.connectionsTotal, &m.rejected, &m.messages, &m.frameErrors, &m.bytes, &m.udpDrops} {
		if *p, err = register(reg, *p); err != nil {
			return nil, err
		}
	}
	for _, p := range []*prometheus.Counter{&m.closedIdle, &m.malformed, &m.fullWaits, &m.kernelDrops} {
		if *p, err = register(reg, *p); err != nil {
			return nil, err
		}
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
