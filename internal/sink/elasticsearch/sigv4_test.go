package elasticsearch

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// awsEnv isolates the AWS SDK's default chain from the machine: only the
// credentials given (none when id is empty), no shared files, no instance
// metadata.
func awsEnv(t *testing.T, id, secret, token, region string) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": id, "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": token,
		"AWS_REGION": region, "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "",
		"AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_ROLE_ARN": "",
	} {
		t.Setenv(k, v)
	}
}

func TestSigV4(t *testing.T) {
	leakCheck(t)
	f := func(service string, gzip bool, token string) {
		t.Helper()
		creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", SessionToken: token}
		awsEnv(t, creds.AccessKeyID, creds.SecretAccessKey, token, "eu-west-1")
		srv := newESServer(t)
		srv.verify = sigV4Verifier(creds, service, "eu-west-1")
		s := newTestSink(t, Config{URLs: []string{srv.url() + "/es"}, AWS: &AWSConfig{Service: service}, DisableGzip: !gzip, DataStream: "logs-sluice-default"})
		if err := s.Connect(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := s.Write(context.Background(), manyEvents(t, "sig", 10)); err != nil {
			t.Fatalf("%s gzip=%v: %v", service, gzip, err)
		}
		reqs := srv.requests()
		if len(reqs) != 1 || len(reqs[0].Docs) != 10 {
			t.Fatalf("%d requests", len(reqs))
		}
		if got := reqs[0].Header.Get("Content-Encoding") == "gzip"; got != gzip {
			t.Errorf("gzip %v, want %v", got, gzip)
		}
	}
	f("es", true, "")
	f("aoss", true, "")
	f("aoss", false, "")
	f("es", true, "IQoJb3JpZ2luX2VjEXAMPLETOKEN")
}

// TestSigV4Verifier checks that the test server's verification is not
// vacuous: it refuses a wrong secret, another service and a changed body.
func TestSigV4Verifier(t *testing.T) {
	leakCheck(t)
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "right"}
	awsEnv(t, creds.AccessKeyID, creds.SecretAccessKey, "", "us-east-1")
	var mu sync.Mutex
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, body = r.Clone(context.Background()), b
		mu.Unlock()
		_, _ = io.WriteString(w, `{"errors":false}`)
	}))
	t.Cleanup(srv.Close)
	s := newTestSink(t, Config{URLs: []string{srv.URL}, AWS: &AWSConfig{Region: "us-east-1", Service: "aoss"}})
	if err := s.Write(context.Background(), manyEvents(t, "v", 3)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	f := func(c aws.Credentials, service, region string, b []byte, want string) {
		t.Helper()
		problem := sigV4Verifier(c, service, region)(got, b)
		if want == "" && problem != "" || !strings.Contains(problem, want) {
			t.Errorf("verify: %q, want %q", problem, want)
		}
	}
	f(creds, "aoss", "us-east-1", body, "")
	f(aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wrong"}, "aoss", "us-east-1", body, "signature does not recompute")
	f(creds, "es", "us-east-1", body, "does not start with")
	f(creds, "aoss", "eu-west-1", body, "does not start with")
	f(creds, "aoss", "us-east-1", append([]byte("x"), body...), "X-Amz-Content-Sha256")
}

func TestSigV4Setup(t *testing.T) {
	leakCheck(t)
	// The region from the environment when the config has none.
	awsEnv(t, "AKID", "secret", "", "ap-southeast-2")
	s := newTestSink(t, Config{URLs: []string{"https://search-x.ap-southeast-2.es.amazonaws.com"}, AWS: &AWSConfig{}})
	if s.aws.region != "ap-southeast-2" || s.aws.service != "es" {
		t.Errorf("region %q service %q", s.aws.region, s.aws.service)
	}
	// No region anywhere.
	awsEnv(t, "AKID", "secret", "", "")
	if _, err := New(Config{URLs: []string{"https://h"}, AWS: &AWSConfig{}}, nil); err == nil || !strings.Contains(err.Error(), "no region; set aws.region or AWS_REGION") {
		t.Errorf("New without a region = %v", err)
	}
	// No credentials: Connect says so, and so does Write, retryably.
	awsEnv(t, "", "", "", "eu-central-1")
	s = newTestSink(t, Config{URLs: []string{"https://h"}, AWS: &AWSConfig{Service: "aoss"}})
	err := s.Connect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "cannot get AWS credentials") {
		t.Errorf("Connect without credentials = %v", err)
	}
	if err := s.Write(context.Background(), manyEvents(t, "nocreds", 1)); err == nil || !strings.Contains(err.Error(), "cannot get AWS credentials") {
		t.Errorf("Write without credentials = %v", err)
	}
	if st := s.Stats(); st.Requests != 0 {
		t.Errorf("sent %d unsigned requests", st.Requests)
	}
}
