package elasticsearch

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	f := func(c Config, want ...string) {
		t.Helper()
		err := c.Validate()
		if len(want) == 0 {
			if err != nil {
				t.Errorf("Validate(%+v) = %v", c, err)
			}
			return
		}
		if err == nil {
			t.Fatalf("Validate(%+v) = nil, want %q", c, want)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Validate = %v\nwant it to mention %q", err, w)
			}
		}
	}
	local := []string{"http://localhost:9200"}
	f(Config{URLs: local})
	f(Config{URLs: []string{"https://a:9200", "https://b:9200/"}, Index: "logs-{app}-%Y.%m.%d", Username: "u", Password: "p", CAFile: "ca.pem"})
	f(Config{URLs: []string{"https://proxy.example/es/"}, DataStream: "logs-sluice-default", APIKey: "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="})
	f(Config{URLs: []string{"https://search-x.eu-west-1.es.amazonaws.com"}, DataStream: "logs-{app}-default", AWS: &AWSConfig{Region: "eu-west-1", Service: "aoss"}, OmitID: true})
	f(Config{URLs: local, AWS: &AWSConfig{}, Timeout: time.Minute, MaxBulkBytes: 1 << 10, DisableGzip: true})

	f(Config{}, "urls: none set")
	f(Config{URLs: make([]string, MaxURLs+1)}, "at most 64")
	f(Config{URLs: []string{"localhost:9200"}}, "want http:// or https://")
	f(Config{URLs: []string{"ftp://h"}}, "want http:// or https://")
	f(Config{URLs: []string{"http://"}}, "missing host")
	f(Config{URLs: []string{"https://elastic:s3cret@h:9200"}}, "put credentials in username/password", `"https://elastic:xxxxx@h:9200"`)
	f(Config{URLs: []string{"http://h/?pipeline=x"}}, "must not have a query")
	f(Config{URLs: []string{"http://h/#x"}}, "must not have a query")
	f(Config{URLs: []string{"http://h:9200/\x7f"}}, "cannot use url: net/url: invalid control character")
	f(Config{URLs: local, Index: "a", DataStream: "b"}, "both index and data_stream")
	f(Config{URLs: local, Index: "logs-{nope}"}, "unknown placeholder {nope}")
	f(Config{URLs: local, Index: "Logs-%Y"}, "must be lowercase")
	f(Config{URLs: local, Index: "logs {app}"}, `' ' is not allowed`)
	f(Config{URLs: local, DataStream: "logs,x"}, `',' is not allowed`)
	f(Config{URLs: local, Index: "_internal"}, "starts with _")
	f(Config{URLs: local, Index: "-{app}"}, "starts with -")
	f(Config{URLs: local, Index: "{fields.team}-logs"}) // the event's value decides
	f(Config{URLs: local, Index: ".ds-x"}, "reserved for data stream backing indices")
	f(Config{URLs: local, Index: "%Q"}, "unknown time specifier")
	f(Config{URLs: local, Password: "p"}, "password without username")
	f(Config{URLs: local, Username: "u", APIKey: "k"}, "several authentications")
	f(Config{URLs: local, APIKey: "k", AWS: &AWSConfig{}}, "several authentications")
	f(Config{URLs: local, APIKey: "id: key"}, "white space")
	f(Config{URLs: local, AWS: &AWSConfig{Service: "s3"}}, `aws service "s3"`)
	f(Config{URLs: local, AWS: &AWSConfig{Region: "EU West"}}, `aws region "EU West"`)
	f(Config{URLs: local, Timeout: -time.Second}, "timeout -1s")
	f(Config{URLs: local, MaxBulkBytes: 100}, "max_bulk_bytes 100")
	f(Config{URLs: local, CertFile: "c.pem"}, "cert_file and key_file")
	f(Config{URLs: local, InsecureSkipVerify: true}, "no url is https://")
	// Everything at once.
	f(Config{URLs: []string{"udp://x"}, Index: "A", DataStream: "b", Password: "p", Timeout: -1, MaxBulkBytes: 1},
		"want http://", "both index", "lowercase", "password without", "timeout", "max_bulk_bytes")
}

func TestConfigDefaults(t *testing.T) {
	c := Config{URLs: []string{"http://h:9200"}}.withDefaults()
	if c.Index != DefaultIndex || c.DataStream != "" || c.Timeout != 30*time.Second || c.MaxBulkBytes != 5<<20 || c.DisableGzip || c.OmitID {
		t.Errorf("defaults = %+v", c)
	}
	if c := (Config{DataStream: "logs-a-b"}).withDefaults(); c.Index != "" {
		t.Errorf("with a data stream, Index = %q, want empty", c.Index)
	}
	in := Config{AWS: &AWSConfig{}}
	if c := in.withDefaults(); c.AWS.Service != ServiceES || in.AWS.Service != "" {
		t.Errorf("aws service default %q (input changed to %q)", c.AWS.Service, in.AWS.Service)
	}
}
