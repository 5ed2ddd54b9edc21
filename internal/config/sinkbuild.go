package config

import (
	"strings"

	"github.com/sluicelog/sluice/internal/sink/elasticsearch"
	"github.com/sluicelog/sluice/internal/sink/file"
	httpsink "github.com/sluicelog/sluice/internal/sink/http"
	"github.com/sluicelog/sluice/internal/sink/slack"
)

// addComponentErrors records the problems a component's own Validate found,
// each under the key it names when it starts with one ("path: must be
// set"), so that it is reported at that key's line.
func addComponentErrors(p *problems, err error) {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		msg := e.Error()
		key, rest, ok := strings.Cut(msg, ": ")
		if ok && isKeyPath(key) {
			p.add(key, "%s", rest)
			continue
		}
		p.add("", "%s", msg)
	}
}

// isKeyPath reports whether s looks like a YAML key path: lower-case
// words with _ joined by dots, e.g. "path" or "tls.ca_file".
func isKeyPath(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && c != '_' && c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// SinkConfig maps the YAML settings onto the file sink's.
func (f *FileSink) SinkConfig() file.Config {
	sync := file.SyncMode(f.Sync)
	if f.NoSync {
		sync = file.SyncNever
	}
	return file.Config{
		Path: f.Path, Format: file.Format(f.Format), Sync: sync, SyncInterval: f.SyncInterval.Std(),
		MaxOpenFiles: f.MaxOpenFiles, MaxFileBytes: int64(f.MaxFileBytes), MaxFileAge: f.MaxFileAge.Std(),
		Compress: f.Compress, MaxFiles: f.MaxFiles, MaxAge: f.MaxAge.Std(),
	}
}

// Validate checks the settings as the file sink will use them.
func (f *FileSink) Validate() error {
	var p problems
	if f.NoSync && f.Sync != "batch" && f.Sync != "never" {
		p.add("no_sync", "cannot use no_sync with sync: %s: remove no_sync (it means sync: never)", f.Sync)
	}
	c := f.SinkConfig()
	if err := c.Validate(); err != nil {
		addComponentErrors(&p, err)
	}
	return p.err()
}

// SinkConfig maps the YAML settings onto the Slack sink's.
func (s *SlackSink) SinkConfig() slack.Config {
	return slack.Config{
		WebhookURL: string(s.WebhookURL), Channel: s.Channel, Username: s.Username, Icons: s.Icons,
		GroupBy: s.GroupBy, MaxLines: s.MaxLines, MaxLineLength: s.MaxLineLength,
		Window: s.Window.Std(), Timeout: s.Timeout.Std(),
	}
}

// Validate checks the settings as the Slack sink will use them.
func (s *SlackSink) Validate() error {
	var p problems
	if s.Window <= 0 {
		p.add("window", "cannot gather digests over %s: use a positive duration (default %s)", s.Window, DefaultSlackWindow)
	}
	if s.WebhookURL == "" {
		p.add("webhook_url", "cannot post to Slack without a webhook: set webhook_url (or webhook_url_file) to the incoming webhook's URL, https://hooks.slack.com/services/…")
		return p.err()
	}
	c := s.SinkConfig()
	if err := c.Validate(); err != nil {
		addComponentErrors(&p, err)
	}
	return p.err()
}

// SinkConfig maps the YAML settings onto the HTTP sink's: the preset's
// settings first, then every setting the file gives.
func (h *HTTPSink) SinkConfig() (httpsink.Config, error) {
	c := httpsink.Config{Headers: map[string]string{}}
	for k, v := range h.Headers {
		c.Headers[k] = string(v)
	}
	if err := c.ApplyPreset(h.Preset); err != nil {
		return c, err
	}
	c.URL = string(h.URL)
	if h.Method != "" {
		c.Method = h.Method
	}
	if h.Encoding != "" {
		if h.Encoding != string(c.Encoding) && h.Template == "" {
			c.Template = "" // the preset's line template is for its encoding
		}
		c.Encoding = httpsink.Encoding(h.Encoding)
	}
	if h.Template != "" {
		c.Template = h.Template
	}
	if h.Gzip != nil {
		c.Gzip = *h.Gzip
	}
	if h.MaxBytes != 0 {
		c.MaxBytes = int(h.MaxBytes)
	}
	c.Username, c.Password, c.BearerToken = h.Username, string(h.Password), string(h.BearerToken)
	if t := h.TLS; t != nil {
		c.CAFile, c.CertFile, c.KeyFile, c.ServerName, c.InsecureSkipVerify = t.CAFile, t.CertFile, t.KeyFile, t.ServerName, t.InsecureSkipVerify
	}
	c.Timeout = h.Timeout.Std()
	return c, nil
}

// Validate checks the settings as the HTTP sink will use them.
func (h *HTTPSink) Validate() error {
	var p problems
	c, err := h.SinkConfig()
	if err != nil {
		p.add("preset", "%v", err)
		return p.err()
	}
	if err := c.Validate(); err != nil {
		addComponentErrors(&p, err)
	}
	return p.err()
}

// SinkConfig maps the YAML settings onto the Elasticsearch sink's.
func (e *ElasticsearchSink) SinkConfig() elasticsearch.Config {
	c := elasticsearch.Config{
		URLs: e.URLs, Index: e.Index, DataStream: e.DataStream, OmitID: e.OmitID,
		Username: e.Username, Password: string(e.Password), APIKey: string(e.APIKey),
		Timeout: e.Timeout.Std(), MaxBulkBytes: int(e.MaxBulkBytes),
	}
	if e.DataStream != "" && e.Index == defaultESIndex {
		c.Index = "" // the default index gives way to a data stream
	}
	if e.AWS != nil {
		c.AWS = &elasticsearch.AWSConfig{Region: e.AWS.Region, Service: e.AWS.Service}
	}
	if e.Gzip != nil {
		c.DisableGzip = !*e.Gzip
	}
	if t := e.TLS; t != nil {
		c.CAFile, c.CertFile, c.KeyFile, c.ServerName, c.InsecureSkipVerify = t.CAFile, t.CertFile, t.KeyFile, t.ServerName, t.InsecureSkipVerify
	}
	return c
}

// Validate checks the settings as the Elasticsearch sink will use them.
func (e *ElasticsearchSink) Validate() error {
	var p problems
	c := e.SinkConfig()
	if err := c.Validate(); err != nil {
		addComponentErrors(&p, err)
	}
	return p.err()
}
