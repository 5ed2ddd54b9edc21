package slack

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/sink/tmpl"
)

// Defaults applied to zero fields of Config.
const (
	// DefaultWindow is how long events are gathered into one round of
	// digests. The sink does not apply it itself: whoever runs the sink
	// sets the subscription's batch max_age to Window, so that one Write
	// is one window.
	DefaultWindow = 10 * time.Second
	// DefaultGroupBy groups like the classic Heroku-drain-to-Slack setup
	// ("SEV:3 app web.1"): one digest per severity, host, app and process.
	DefaultGroupBy = "{severity} {host} {app} {proc}"
	// DefaultMaxLines is how many lines a digest lists before "… and N more".
	DefaultMaxLines = 20
	// DefaultMaxLineLength is how many characters of a message a line shows.
	DefaultMaxLineLength = 300
	// DefaultTimeout bounds one request to the webhook.
	DefaultTimeout = 10 * time.Second

	// MaxMaxLines and MaxMaxLineLength bound MaxLines and MaxLineLength;
	// a digest is kept within Slack's size limits whatever they are (see
	// the package documentation), so larger values would only be cut.
	MaxMaxLines      = 1000
	MaxMaxLineLength = 10000
)

// DefaultIcons are the icon_emoji of a digest by the severity of its most
// severe event; Config.Icons overrides them per severity.
func DefaultIcons() map[event.Severity]string {
	return map[event.Severity]string{
		event.Emerg:   ":rotating_light:",
		event.Alert:   ":rotating_light:",
		event.Crit:    ":rotating_light:",
		event.Error:   ":x:",
		event.Warning: ":warning:",
		event.Notice:  ":information_source:",
		event.Info:    ":information_source:",
		event.Debug:   ":mag:",
	}
}

// Config configures a Slack sink. Zero values take the defaults above.
type Config struct {
	// WebhookURL is the incoming webhook
	// (https://hooks.slack.com/services/T…/B…/…). It is a secret: the sink
	// never logs it or puts it in an error, naming it "the webhook" with
	// its path left out.
	WebhookURL string
	// Channel, Username and IconEmoji-by-severity (Icons) override the
	// webhook's own. Slack honours these overrides only for legacy
	// (custom integration) webhooks; a webhook of a Slack app always posts
	// to its own channel as the app. The severity icon is therefore also
	// shown at the start of each digest's title.
	Channel  string
	Username string
	// Icons maps severity names (error, warning, … as event.ParseSeverity
	// reads them: err, warn, crit, … too) to an emoji such as ":fire:";
	// an empty value means no icon. Severities not named keep
	// DefaultIcons.
	Icons map[string]string
	// GroupBy is the template (internal/sink/tmpl) of the digest key:
	// events of one Write with the same key make one message (default
	// DefaultGroupBy).
	GroupBy string
	// MaxLines is how many lines a digest lists, after identical messages
	// are collapsed, before "… and N more" (default 20, at most 1000).
	MaxLines int
	// MaxLineLength is how many characters of a message a line shows;
	// longer ones end in "…" (default 300, at most 10000).
	MaxLineLength int
	// Window is documented here only: the runner of the sink sets the
	// subscription's batch max_age to it (default DefaultWindow), so that
	// every Write holds one window of events.
	Window time.Duration
	// Timeout bounds one request to the webhook (default 10s).
	Timeout time.Duration
}

// Validate reports every problem with c at once (joined). Errors about the
// webhook never repeat it.
func (c Config) Validate() error {
	return errors.Join(checkWebhook(c.WebhookURL), c.validateFormat())
}

// validateFormat checks everything but the webhook: what Digests needs.
func (c Config) validateFormat() error {
	var errs []error
	if strings.IndexFunc(c.Channel, unicode.IsSpace) >= 0 {
		errs = append(errs, fmt.Errorf("cannot use channel %q: a channel has no spaces (write #name, @user or a channel ID)", c.Channel))
	}
	if strings.IndexFunc(c.Username, unicode.IsControl) >= 0 {
		errs = append(errs, fmt.Errorf("cannot use username %q: it has control characters", c.Username))
	}
	seen := map[event.Severity]string{}
	for _, name := range slices.Sorted(maps.Keys(c.Icons)) {
		icon := c.Icons[name]
		sev, ok := event.ParseSeverity(name)
		if !ok {
			errs = append(errs, fmt.Errorf("cannot use icons key %q: not a severity (want emerg, alert, crit, error, warning, notice, info or debug)", name))
		} else if other, dup := seen[sev]; dup {
			errs = append(errs, fmt.Errorf("cannot use icons keys %q and %q: both name severity %s; keep one", other, name, sev))
		} else {
			seen[sev] = name
		}
		if icon != "" && !isEmoji(icon) {
			errs = append(errs, fmt.Errorf("cannot use icon %q for %s: write an emoji code such as \":fire:\"", icon, name))
		}
	}
	if c.GroupBy != "" {
		if _, err := tmpl.Parse(c.GroupBy); err != nil {
			errs = append(errs, fmt.Errorf("cannot use group_by: %w", err))
		}
	}
	if c.MaxLines < 0 || c.MaxLines > MaxMaxLines {
		errs = append(errs, fmt.Errorf("cannot use max_lines %d: must be between 1 and %d", c.MaxLines, MaxMaxLines))
	}
	if c.MaxLineLength < 0 || c.MaxLineLength > MaxMaxLineLength {
		errs = append(errs, fmt.Errorf("cannot use max_line_length %d: must be between 1 and %d", c.MaxLineLength, MaxMaxLineLength))
	}
	if c.Window < 0 {
		errs = append(errs, fmt.Errorf("cannot use window %v: must not be negative", c.Window))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("cannot use timeout %v: must not be negative", c.Timeout))
	}
	return errors.Join(errs...)
}

// checkWebhook checks the webhook URL without ever putting it in the error.
func checkWebhook(raw string) error {
	if raw == "" {
		return errors.New("cannot use webhook_url: it is not set; give the incoming webhook's URL (https://hooks.slack.com/services/…)")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the URL; say only what is wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("cannot use webhook_url: it does not parse as a URL: %v", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return errors.New("cannot use webhook_url: want an https:// URL such as https://hooks.slack.com/services/…")
	}
	if u.Host == "" {
		return errors.New("cannot use webhook_url: it has no host; want https://hooks.slack.com/services/…")
	}
	return nil
}

// isEmoji reports whether s looks like an emoji code, ":name:".
func isEmoji(s string) bool {
	if len(s) < 3 || s[0] != ':' || s[len(s)-1] != ':' {
		return false
	}
	for _, r := range s[1 : len(s)-1] {
		if r == ':' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.GroupBy == "" {
		c.GroupBy = DefaultGroupBy
	}
	if c.MaxLines == 0 {
		c.MaxLines = DefaultMaxLines
	}
	if c.MaxLineLength == 0 {
		c.MaxLineLength = DefaultMaxLineLength
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	return c
}

// icons returns the icon per severity: DefaultIcons with c.Icons applied.
// c must be valid.
func (c Config) icons() [event.Debug + 1]string {
	var out [event.Debug + 1]string
	for s, icon := range DefaultIcons() {
		out[s] = icon
	}
	for name, icon := range c.Icons {
		if s, ok := event.ParseSeverity(name); ok {
			out[s] = icon
		}
	}
	return out
}

// redactURL returns the webhook's scheme and host with the path (the
// secret) replaced by "…", for messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "the webhook"
	}
	return "the webhook " + u.Scheme + "://" + u.Host + "/…"
}
