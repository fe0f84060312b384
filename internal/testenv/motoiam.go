package testenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// motoAdmin makes the IAM roles and the role sessions that the sign-in
// stand-ins hand out, so that the credentials they give are moto's own and
// GetCallerIdentity names the account and role a real sign-in would.
//
// Moto's STS lets anyone assume any role ARN, in any account, and files the
// new keys under that account; so a role's account is reached by assuming
// a role there first. The module has no IAM client, and the few IAM calls
// needed here are simple Query requests, so they are signed by hand.
type motoAdmin struct {
	url  string
	sts  *sts.Client
	http *http.Client

	mu    sync.Mutex
	admin map[string]aws.Credentials // account id -> a session in that account
}

// motoManagement is any key: moto's STS checks no signatures.
var motoManagement = aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}

func newMotoAdmin(motoURL string) *motoAdmin {
	return &motoAdmin{
		url: motoURL,
		sts: sts.New(sts.Options{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(motoURL),
			Credentials:  credentials.StaticCredentialsProvider{Value: motoManagement},
		}),
		http:  &http.Client{Timeout: 30 * time.Second},
		admin: map[string]aws.Credentials{},
	}
}

// assumeRole starts a session of roleARN in moto named session.
func (m *motoAdmin) assumeRole(ctx context.Context, roleARN, session string, d time.Duration) (aws.Credentials, error) {
	out, err := m.sts.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String(roleARN),
		RoleSessionName: aws.String(session),
		DurationSeconds: aws.Int32(int32(max(d, 15*time.Minute) / time.Second)),
	})
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("assuming %s in moto: %w", roleARN, err)
	}
	c := out.Credentials
	return aws.Credentials{
		AccessKeyID:     aws.ToString(c.AccessKeyId),
		SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken:    aws.ToString(c.SessionToken),
		CanExpire:       true,
		Expires:         aws.ToTime(c.Expiration),
	}, nil
}

// adminIn returns credentials that moto files under account.
func (m *motoAdmin) adminIn(ctx context.Context, account string) (aws.Credentials, error) {
	m.mu.Lock()
	c, ok := m.admin[account]
	m.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err := m.assumeRole(ctx, "arn:aws:iam::"+account+":role/OrganizationAccountAccessRole", "testenv-admin", time.Hour)
	if err != nil {
		return aws.Credentials{}, err
	}
	m.mu.Lock()
	m.admin[account] = c
	m.mu.Unlock()
	return c, nil
}

// ensureRole creates the role path+name in account unless it exists.
func (m *motoAdmin) ensureRole(ctx context.Context, account, path, name, trust string) error {
	err := m.iam(ctx, account, url.Values{
		"Action":                   {"CreateRole"},
		"Version":                  {"2010-05-08"},
		"RoleName":                 {name},
		"Path":                     {path},
		"AssumeRolePolicyDocument": {trust},
	})
	if err != nil && !strings.Contains(err.Error(), "EntityAlreadyExists") {
		return fmt.Errorf("creating role %s in account %s in moto: %w", name, account, err)
	}
	return nil
}

// iam sends one IAM Query API call to moto as account.
func (m *motoAdmin) iam(ctx context.Context, account string, form url.Values) error {
	creds, err := m.adminIn(ctx, account)
	if err != nil {
		return err
	}
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.url+"/", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "iam", "us-east-1", time.Now()); err != nil {
		return fmt.Errorf("signing an IAM request for moto: %w", err)
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return fmt.Errorf("calling moto's IAM: %w", err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("moto's IAM answered %s to %s: %s", resp.Status, form.Get("Action"), out)
	}
	return nil
}
