package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/hopd/hopd/internal/testenv"
)

// naiveEnv makes this test binary a naive client (see TestMain).
const naiveEnv = "HOPD_BENCH_NAIVE"

// BenchmarkNaive compares getting role credentials the way a script
// without hopd does, one process and one AssumeRole per invocation, with
// `hopd creds`. One op is one invocation; STS calls are counted at the
// proxy. The naive clients: the AWS CLI (`aws sts assume-role`, what
// scripts run) and a small Go program with the SDK (a fast process start,
// so that what is left is the STS call).
func BenchmarkNaive(b *testing.B) {
	h := startHopd(b, []acct{{name: "production", id: "222222222222"}})
	h.served("production")
	home := b.TempDir()
	awsEnv := append(testenv.BaseEnv(),
		"HOME="+home,
		"AWS_ACCESS_KEY_ID="+iamKeyID,
		"AWS_SECRET_ACCESS_KEY="+iamSecret,
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_ENDPOINT_URL="+h.proxy.URL,
		"AWS_CONFIG_FILE="+filepath.Join(home, "none"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "none"),
		"AWS_PAGER=",
	)
	arn := "arn:aws:iam::222222222222:role/" + role

	b.Run("aws-cli-assume-role", func(b *testing.B) {
		aws, err := exec.LookPath("aws")
		if err != nil {
			testenv.Missing(b, "the AWS CLI (pip install awscli)", err)
		}
		invocations(b, h, func() *exec.Cmd {
			c := exec.Command(aws, "sts", "assume-role", "--role-arn", arn, "--role-session-name", "naive", "--output", "json")
			c.Env = awsEnv
			return c
		})
	})
	b.Run("go-sdk-assume-role", func(b *testing.B) {
		invocations(b, h, func() *exec.Cmd {
			c := exec.Command(os.Args[0])
			c.Env = append(awsEnv, naiveEnv+"="+arn)
			return c
		})
	})
	b.Run("hopd-creds", func(b *testing.B) {
		invocations(b, h, func() *exec.Cmd { return h.Command("creds", "production") })
	})
}

// invocations runs b.N processes one after another and reports the STS
// calls they made, per invocation.
func invocations(b *testing.B, h *hopd, newCmd func() *exec.Cmd) {
	before := h.proxy.Count("AssumeRole") + h.proxy.Count("GetSessionToken")
	for b.Loop() {
		if out, err := newCmd().CombinedOutput(); err != nil {
			b.Fatalf("an invocation failed: %v\n%s", err, out)
		}
	}
	calls := h.proxy.Count("AssumeRole") + h.proxy.Count("GetSessionToken") - before
	b.ReportMetric(float64(calls)/float64(b.N), "sts-calls/op")
}

// naiveMain is a script's AssumeRole with the Go SDK: the role ARN in
// naiveEnv, everything else from the environment.
func naiveMain() int {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	out, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String(os.Getenv(naiveEnv)),
		RoleSessionName: aws.String("naive"),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(len(aws.ToString(out.Credentials.AccessKeyId)) > 0)
	return 0
}
