package logplex

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/sluicelog/sluice/internal/parse"
)

// Defaults applied by New to zero Config fields.
const (
	// DefaultPath is where the drain receiver is mounted.
	DefaultPath = "/logs"
	// DefaultMaxBodyBytes bounds a request body, before and after gzip
	// decompression: 10 MiB. Logplex batches aim at 100 KiB.
	DefaultMaxBodyBytes = 10 << 20
	// DefaultMaxFrames bounds the frames of one body, so that a body of tiny
	// frames cannot make the handler allocate gigabytes of events.
	DefaultMaxFrames = 100_000
	// DefaultDedupeWindow is how long accepted frame ids are remembered.
	DefaultDedupeWindow = 10 * time.Minute
	// DefaultDedupeMaxIDs bounds how many frame ids are remembered; the
	// oldest are forgotten first.
	DefaultDedupeMaxIDs = 65_536
	// DefaultMetadataID is the structured-data id query parameters are
	// recorded under when MetadataID is empty.
	DefaultMetadataID = "metadata"

	// maxFrameIDBytes and maxDrainTokenBytes bound the headers that end up
	// in memory (the de-duplication table) and in every event. Logplex
	// sends 32 hex digits and "d." plus a UUID.
	maxFrameIDBytes    = 128
	maxDrainTokenBytes = 256
	// maxRequestIDBytes bounds an X-Request-Id stored in events; a longer
	// one is ignored (Heroku's router sends a UUID).
	maxRequestIDBytes = 200
)

// Config configures the Logplex drain receiver. The zero value (with an
// Ingester) is a working receiver without authentication.
type Config struct {
	// Path is the URL path the server mounts the handler at; DefaultPath
	// when empty. The handler itself does not look at the request path.
	Path string
	// Users maps basic-auth user names to their passwords (log-iss
	// TOKEN_MAP); several passwords let an old and a new one work during
	// rotation.
	// Empty means no authentication.
	Users map[string][]string
	// EnforceHTTPS refuses requests that did not arrive over TLS: neither
	// terminated here nor marked "X-Forwarded-Proto: https" by the proxy in
	// front (log-iss ENFORCE_SSL). They get 400, as log-iss answers.
	EnforceHTTPS bool
	// MaxBodyBytes bounds the request body, both as sent and after gzip
	// decompression; DefaultMaxBodyBytes when 0. Larger bodies get 413.
	MaxBodyBytes int64
	// MaxFrames bounds the number of frames in one body; DefaultMaxFrames
	// when 0. More get 413.
	MaxFrames int
	// KeepRaw stores each frame as received (without its length prefix) in
	// event.Raw, for sinks that pass frames through unchanged.
	KeepRaw bool
	// TrustedProxies lists the peers whose X-Forwarded-For is believed.
	// The origin of a request is the rightmost address in X-Forwarded-For
	// that is not a trusted proxy, walking from the peer leftwards; with no
	// trusted proxies it is the peer address.
	TrustedProxies []netip.Prefix
	// DrainNames maps Logplex-Drain-Token values to app names, so events
	// land in group heroku/<app> rather than heroku/<drain token>.
	DrainNames map[string]string
	// DedupeWindow is how long accepted Logplex-Frame-Ids are remembered to
	// recognise Logplex's retries; DefaultDedupeWindow when 0, disabled
	// when negative.
	DedupeWindow time.Duration
	// DedupeMaxIDs bounds the remembered frame ids; DefaultDedupeMaxIDs
	// when 0.
	DedupeMaxIDs int
	// Enricher understands each parsed event.
	Enricher parse.Enricher

	// MetadataID, QueryParams and FieldParams record query parameters of the
	// drain URL in every event, as log-iss does with METADATA_ID: log-iss
	// adds the structured-data element
	//
	//	[<MetadataID> index="..." source="..." sourcetype="..." fields="k=v,k2=v2"]
	//
	// to each forwarded line. Here each parameter named in QueryParams with
	// a non-empty value becomes the field "<MetadataID>.<name>", and the
	// parameters named in FieldParams are joined as "k=v,k2=v2" into the
	// field "<MetadataID>.fields" — the fields sluice's RFC 5424 parser
	// makes of log-iss's element. MetadataID defaults to DefaultMetadataID.
	// LogIssQueryParams returns the parameters log-iss always records.
	MetadataID  string
	QueryParams []string
	FieldParams []string
}

// LogIssQueryParams returns the query parameters log-iss records when
// METADATA_ID is set (index, source and sourcetype), for Config.QueryParams.
func LogIssQueryParams() []string {
	return []string{"index", "source", "sourcetype"}
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Path == "" {
		c.Path = DefaultPath
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxFrames == 0 {
		c.MaxFrames = DefaultMaxFrames
	}
	if c.DedupeWindow == 0 {
		c.DedupeWindow = DefaultDedupeWindow
	}
	if c.DedupeMaxIDs == 0 {
		c.DedupeMaxIDs = DefaultDedupeMaxIDs
	}
	if c.MetadataID == "" {
		c.MetadataID = DefaultMetadataID
	}
	return c
}

// Validate reports every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	if c.Path != "" && !strings.HasPrefix(c.Path, "/") {
		errs = append(errs, fmt.Errorf("path %q must start with /", c.Path))
	}
	for user, passwords := range c.Users {
		if user == "" {
			errs = append(errs, errors.New("users: empty user name"))
		}
		if len(passwords) == 0 || slices.Contains(passwords, "") {
			errs = append(errs, fmt.Errorf("users: user %q has an empty password", user))
		}
		if strings.ContainsRune(user, ':') {
			errs = append(errs, fmt.Errorf("users: user name %q contains ':', which basic authentication cannot carry", user))
		}
	}
	if c.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("max_body_bytes %d is negative", c.MaxBodyBytes))
	}
	if c.MaxFrames < 0 {
		errs = append(errs, fmt.Errorf("max_frames %d is negative", c.MaxFrames))
	}
	if c.DedupeMaxIDs < 0 {
		errs = append(errs, fmt.Errorf("dedupe_max_ids %d is negative", c.DedupeMaxIDs))
	}
	for i, p := range c.TrustedProxies {
		if !p.IsValid() {
			errs = append(errs, fmt.Errorf("trusted_proxies[%d] is not a valid prefix", i))
		}
	}
	for token, app := range c.DrainNames {
		if token == "" || app == "" {
			errs = append(errs, fmt.Errorf("drain_names: empty drain token or app name (%q: %q)", token, app))
		}
	}
	if strings.ContainsAny(c.MetadataID, " =]\"") {
		errs = append(errs, fmt.Errorf("metadata_id %q may not contain space, '=', ']' or '\"'", c.MetadataID))
	}
	for _, list := range [...][]string{c.QueryParams, c.FieldParams} {
		for _, p := range list {
			if p == "" {
				errs = append(errs, errors.New("query_params/field_params: empty parameter name"))
			}
		}
	}
	return errors.Join(errs...)
}
