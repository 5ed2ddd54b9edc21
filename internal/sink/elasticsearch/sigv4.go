package elasticsearch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

// awsSigner signs requests with AWS Signature Version 4.
type awsSigner struct {
	signer  *v4.Signer
	creds   aws.CredentialsProvider
	region  string
	service string
}

// newAWSSigner loads the AWS SDK's default configuration (environment,
// shared config and credentials files; no network access) for the region
// and the credential chain. Credentials themselves are fetched, and cached
// until they expire, when requests are signed.
func newAWSSigner(ctx context.Context, c *AWSConfig) (*awsSigner, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if c.Region != "" {
		opts = append(opts, awsconfig.WithRegion(c.Region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("cannot load the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("cannot sign requests for AWS: no region; set aws.region or AWS_REGION")
	}
	if cfg.Credentials == nil {
		return nil, fmt.Errorf("cannot sign requests for AWS: no credential provider")
	}
	return &awsSigner{signer: v4.NewSigner(), creds: cfg.Credentials, region: cfg.Region, service: c.Service}, nil
}

// credentials returns the current credentials (cached by the SDK).
func (a *awsSigner) credentials(ctx context.Context) (aws.Credentials, error) {
	creds, err := a.creds.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("cannot get AWS credentials: %w; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, or a role for the instance or task", err)
	}
	return creds, nil
}

// sign adds X-Amz-Content-Sha256 (payloadHash: the hex SHA-256 of the body
// exactly as sent, gzip'd or not; OpenSearch Serverless requires the
// header) and the SigV4 Authorization header, signing every header already
// set (Content-Type, Content-Encoding, …) and the Content-Length.
func (a *awsSigner) sign(ctx context.Context, creds aws.Credentials, req *http.Request, payloadHash string, now time.Time) error {
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	if err := a.signer.SignHTTP(ctx, creds, req, payloadHash, a.service, a.region, now); err != nil {
		return fmt.Errorf("cannot sign request: %w", err)
	}
	return nil
}

// payloadHash is the hex SHA-256 of body.
func payloadHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}
