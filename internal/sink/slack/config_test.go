package slack

import (
	"strings"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

func TestConfigValidate(t *testing.T) {
	const hook = "https://hooks.slack.com" + secretPath
	f := func(c Config, want ...string) {
		t.Helper()
		err := c.Validate()
		if len(want) == 0 {
			if err != nil {
				t.Errorf("Validate(%+v) = %v, want nil", c, err)
			}
			return
		}
		if err == nil {
			t.Fatalf("Validate(%+v) = nil, want errors %q", c, want)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Validate(%+v) = %v, want it to contain %q", c, err, w)
			}
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("Validate error shows the webhook's secret: %v", err)
		}
	}
	f(Config{WebhookURL: hook})
	f(Config{WebhookURL: hook, Channel: "#alerts", Username: "sluice", Icons: map[string]string{"error": ":fire:", "warn": "", "CRIT": ":boom:"},
		GroupBy: "{app} {fields.level}", MaxLines: 1000, MaxLineLength: 10000, Window: time.Minute, Timeout: time.Second})
	f(Config{}, "webhook_url: it is not set")
	f(Config{WebhookURL: "hooks.slack.com" + secretPath}, "want an https:// URL")
	f(Config{WebhookURL: "https://" + secretPath[1:] + "%zz"}, "does not parse as a URL", "invalid URL escape")
	f(Config{WebhookURL: "https:///x" + secretPath}, "has no host")
	f(Config{WebhookURL: "ftp://hooks.slack.com" + secretPath}, "want an https:// URL")
	f(Config{WebhookURL: hook, Channel: "# alerts"}, "cannot use channel")
	f(Config{WebhookURL: hook, Username: "a\nb"}, "control characters")
	f(Config{WebhookURL: hook, Icons: map[string]string{"fatalistic": ":x:"}}, `icons key "fatalistic": not a severity`)
	f(Config{WebhookURL: hook, Icons: map[string]string{"error": "fire"}}, `cannot use icon "fire" for error`)
	f(Config{WebhookURL: hook, Icons: map[string]string{"error": ":a b:"}}, `cannot use icon ":a b:"`)
	f(Config{WebhookURL: hook, Icons: map[string]string{"warn": ":a:", "warning": ":b:"}}, `both name severity warning`)
	f(Config{WebhookURL: hook, GroupBy: "{nope}"}, "group_by", "unknown placeholder {nope}")
	f(Config{WebhookURL: hook, MaxLines: -1}, "max_lines -1")
	f(Config{WebhookURL: hook, MaxLines: 1001}, "max_lines 1001")
	f(Config{WebhookURL: hook, MaxLineLength: 10001}, "max_line_length 10001")
	f(Config{WebhookURL: hook, Window: -time.Second, Timeout: -time.Second}, "window -1s", "timeout -1s")
	// Every problem at once.
	f(Config{MaxLines: -1, GroupBy: "{"}, "webhook_url", "max_lines", "group_by")
}

func TestConfigDefaultsAndIcons(t *testing.T) {
	c := Config{Icons: map[string]string{"err": ":fire:", "debug": ""}}.withDefaults()
	if c.GroupBy != DefaultGroupBy || c.MaxLines != 20 || c.MaxLineLength != 300 || c.Window != 10*time.Second || c.Timeout != 10*time.Second {
		t.Errorf("defaults: %+v", c)
	}
	icons := c.icons()
	if icons[event.Error] != ":fire:" || icons[event.Debug] != "" || icons[event.Crit] != ":rotating_light:" || icons[event.Info] != ":information_source:" {
		t.Errorf("icons: %q", icons)
	}
}

func TestRedactURL(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
	f("https://hooks.slack.com"+secretPath, "the webhook https://hooks.slack.com/…")
	f("https://user:pass@hooks.slack.com:8443"+secretPath+"?q=1", "the webhook https://hooks.slack.com:8443/…")
	f("%zz", "the webhook")
}
