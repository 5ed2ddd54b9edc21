package syslog

import (
	"crypto/tls"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error; none: valid
	}{
		{"tcp", Config{Address: "tcp://127.0.0.1:514"}, nil},
		{"tls with files", Config{Address: "tls://logs.example:6514", CAFile: "ca.pem", CertFile: "c.pem", KeyFile: "k.pem", ServerName: "x"}, nil},
		{"ipv6", Config{Address: "tcp://[::1]:514", Connections: 64, Format: FormatLogISS}, nil},
		{"no address", Config{}, []string{`cannot use address ""`}},
		{"udp", Config{Address: "udp://h:514"}, []string{"want tcp://host:port or tls://host:port"}},
		{"no port", Config{Address: "tcp://h"}, []string{"missing port"}},
		{"bad port", Config{Address: "tcp://h:0"}, []string{"port must be a number"}},
		{"no host", Config{Address: "tcp://:514"}, []string{"missing host"}},
		{"everything wrong at once", Config{Address: "tcp://h:514", Connections: 65, Format: "json", WriteTimeout: -1,
			ReconnectMin: 2 * time.Second, ReconnectMax: time.Second, CAFile: "ca.pem", CertFile: "c.pem"},
			[]string{"connections 65", `format "json"`, "write_timeout -1ns", "above reconnect_max", "use a tls:// address", "cert_file and key_file"}},
		{"bad metadata id", Config{Address: "tcp://h:1", MetadataID: "meta data"}, []string{`metadata_id "meta data"`}},
		{"both TLS forms", Config{Address: "tls://h:6514", TLS: &tls.Config{}, InsecureSkipVerify: true}, []string{"not both"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate = nil")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %v, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{Address: "tcp://h:514"}.withDefaults()
	if c.Connections != 4 || c.Format != FormatRFC5424 || c.ConnectTimeout != 5*time.Second || c.WriteTimeout != 10*time.Second ||
		c.ReconnectMin != DefaultReconnectMin || c.ReconnectMax != DefaultReconnectMax {
		t.Errorf("defaults = %+v", c)
	}
	if c := (Config{ReconnectMax: 100 * time.Millisecond}).withDefaults(); c.ReconnectMin != 100*time.Millisecond {
		t.Errorf("ReconnectMin above ReconnectMax: %+v", c)
	}
	if c := (Config{ReconnectMin: time.Minute}).withDefaults(); c.ReconnectMax != time.Minute {
		t.Errorf("ReconnectMax below ReconnectMin: %+v", c)
	}
}

func TestConfigTLS(t *testing.T) {
	p := newPKI(t, "main")
	if c, err := (Config{Address: "tcp://h:514"}).TLSConfig(); c != nil || err != nil {
		t.Errorf("tcp TLSConfig = %v, %v", c, err)
	}
	c, err := Config{Address: "tls://logs.example:6514", CAFile: p.caFile, CertFile: p.certFile, KeyFile: p.keyFile}.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c.ServerName != "logs.example" || c.RootCAs == nil || len(c.Certificates) != 1 || c.MinVersion < 0x0303 {
		t.Errorf("TLSConfig = %+v", c)
	}
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{Address: "tls://h:1", CAFile: p.caFile + ".missing"}, "cannot load CA file"},
		{Config{Address: "tls://h:1", CAFile: p.keyFile}, "no PEM certificate"},
		{Config{Address: "tls://h:1", CertFile: p.certFile, KeyFile: p.caFile}, "cannot load client certificate"},
	} {
		if _, err := tt.cfg.TLSConfig(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("TLSConfig(%+v) = %v, want %q", tt.cfg, err, tt.want)
		}
		if _, err := New(tt.cfg, nil); err == nil || !strings.HasPrefix(err.Error(), "cannot create syslog sink: ") {
			t.Errorf("New = %v", err)
		}
	}
}
