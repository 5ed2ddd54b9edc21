package config

import (
	"fmt"
	"time"
)

// Subscription delivers the events that match its filters from the log to
// one sink, with its own cursor, batching and retries.
//
//	subscriptions:
//	  - {sink: alerts, where: 'severity <= warning && proc != "router"'}
type Subscription struct {
	// Name identifies the subscription's cursor, metrics and dead letters
	// (default: the sink's name; set it when two subscriptions share a
	// sink). Renaming a subscription starts a new cursor.
	Name string `yaml:"name"`
	// Sink names the destination.
	Sink string `yaml:"sink"`
	// Where is an expr-lang expression over the event; only events for
	// which it is true are delivered. Empty delivers everything.
	Where string `yaml:"where"`
	// Pattern is a CloudWatch Logs filter pattern the event's message must
	// match, e.g. "-DEBUG" or `{ $.level = "error" }`.
	Pattern string `yaml:"pattern"`
	// Transforms change, drop, sample, de-duplicate, throttle or redact
	// events after where and pattern, in order.
	Transforms []Transform `yaml:"transforms"`
	// Batch bounds one write to the sink.
	Batch BatchConfig `yaml:"batch"`
	// Retry bounds the backoff between attempts of a failing batch.
	Retry RetryConfig `yaml:"retry"`
	// Start is where a subscription without a cursor begins: oldest
	// (default: everything still in the log) or newest (only what arrives
	// from now on).
	Start string `yaml:"start"`
}

// BatchConfig bounds a batch: it is written when any bound is reached.
type BatchConfig struct {
	// MaxEvents (default 1000).
	MaxEvents int `yaml:"max_events"`
	// MaxBytes of encoded events (default 1MiB).
	MaxBytes ByteSize `yaml:"max_bytes"`
	// MaxAge counted from the batch's first event (default 1s).
	MaxAge Duration `yaml:"max_age"`
}

// RetryConfig bounds exponential backoff with jitter.
type RetryConfig struct {
	// Initial wait (default 100ms).
	Initial Duration `yaml:"initial"`
	// Max wait (default 30s).
	Max Duration `yaml:"max"`
}

// Subscription defaults.
const (
	DefaultBatchEvents  = 1000
	DefaultBatchBytes   = 1 * MiB
	DefaultBatchAge     = Duration(time.Second)
	DefaultRetryInitial = Duration(100 * time.Millisecond)
	DefaultRetryMax     = Duration(30 * time.Second)
)

func (s *Subscription) setDefaults() {
	s.Batch = BatchConfig{MaxEvents: DefaultBatchEvents, MaxBytes: DefaultBatchBytes, MaxAge: DefaultBatchAge}
	s.Retry = RetryConfig{Initial: DefaultRetryInitial, Max: DefaultRetryMax}
	s.Start = "oldest"
}

// newSubscription returns a subscription to sink with the defaults.
func newSubscription(sink string) Subscription {
	s := Subscription{Name: sink, Sink: sink}
	s.setDefaults()
	return s
}

// Validate checks the subscription on its own — its where rule, pattern and
// transforms compile —; Config.Validate checks that its sink exists and its
// name is unique.
func (s *Subscription) Validate() error {
	var p problems
	s.compileRules(&p)
	for i := range s.Transforms {
		p.addAll(fmt.Sprintf("transforms[%d]", i), s.Transforms[i].Validate())
	}
	if s.Sink == "" {
		p.add("sink", "cannot subscribe without a sink: set sink to the name of one of the sinks")
	}
	if s.Name != "" {
		checkName(&p, "name", "subscription", s.Name)
	} else if s.Sink != "" {
		p.add("name", "cannot use an empty name: set name, or leave it out to use the sink's")
	}
	if s.Batch.MaxEvents < 1 {
		p.add("batch.max_events", "cannot batch %d events: use at least 1 (default %d)", s.Batch.MaxEvents, DefaultBatchEvents)
	}
	if s.Batch.MaxBytes < 1 {
		p.add("batch.max_bytes", "cannot batch %s: use a positive size (default %s)", s.Batch.MaxBytes, DefaultBatchBytes)
	}
	if s.Batch.MaxAge <= 0 {
		p.add("batch.max_age", "cannot use a batch age of %s: use a positive duration (default %s)", s.Batch.MaxAge, DefaultBatchAge)
	}
	if s.Retry.Initial <= 0 {
		p.add("retry.initial", "cannot wait %s before retrying: use a positive duration (default %s)", s.Retry.Initial, DefaultRetryInitial)
	}
	if s.Retry.Max < s.Retry.Initial {
		p.add("retry.max", "cannot use a longest wait (%s) shorter than the first (%s): raise retry.max", s.Retry.Max, s.Retry.Initial)
	}
	if s.Start != "oldest" && s.Start != "newest" {
		p.add("start", "cannot start at %q: use oldest or newest", s.Start)
	}
	return p.err()
}
