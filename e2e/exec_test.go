package e2e_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hopd/hopd/internal/testenv"
)

// Most hopd users have an IAM user, so most have a [default] profile with
// keys in ~/.aws/credentials, which SDKs read before the ECS and IMDS
// endpoints. hopd exec must win over it, in both forms.
func TestExecWinsOverDefaultProfile(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		testenv.Missing(t, "the AWS CLI (pip install awscli)", err)
	}
	d := startDaemon(t, options{})
	aws := filepath.Join(d.Home, ".aws")
	if err := os.MkdirAll(aws, 0o700); err != nil {
		t.Fatal(err)
	}
	creds := "[default]\naws_access_key_id = AKIADEFAULTPROFILE01\naws_secret_access_key = defaultProfileSecret0123456789abcdefghij\n"
	if err := os.WriteFile(filepath.Join(aws, "credentials"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		acct account
	}{
		{"ecs", []string{"exec", "staging", "--", "aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text"}, threeAccounts[1]},
		{"imds", []string{"exec", "production", "--imds", "--", "aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text"}, threeAccounts[0]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.TrimSpace(d.mustRun(tt.args...))
			if want := d.assumedRoleARN(tt.acct); got != want {
				t.Errorf("hopd %s\n got %s\nwant %s (the [default] profile won)", strings.Join(tt.args, " "), got, want)
			}
		})
	}
}
