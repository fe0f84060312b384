package e2e_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/hopd/hopd/internal/testenv"
)

// goClientEnv, when set, turns the test binary into a Go SDK client (see
// TestMain).
const goClientEnv = "HOPD_E2E_GO_CLIENT"

// goClientMain is a Go program as users write them: the SDK's default
// configuration and credential chain, from the environment alone, then
// sts:GetCallerIdentity. It prints the caller's ARN.
func goClientMain() int {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loading the SDK config:", err)
		return 1
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "GetCallerIdentity:", err)
		return 1
	}
	fmt.Println(aws.ToString(out.Arn))
	return 0
}

// A client is a real SDK or CLI calling sts:GetCallerIdentity with whatever
// credentials its default chain finds in env; it prints the caller's ARN.
type client struct {
	name    string
	needs   func(t *testing.T) // skips (or fails in CI) when the client is not installed
	command func(t *testing.T) []string
}

var clients = []client{
	{
		name:  "go",
		needs: func(*testing.T) {},
		command: func(t *testing.T) []string {
			exe, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			return []string{exe}
		},
	},
	{
		name: "boto3",
		needs: func(t *testing.T) {
			if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
				testenv.Missing(t, "python3 with boto3 (pip install boto3)", err)
			}
		},
		command: func(*testing.T) []string {
			return []string{"python3", "-c", "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])"}
		},
	},
	{
		name: "awscli",
		needs: func(t *testing.T) {
			if _, err := exec.LookPath("aws"); err != nil {
				testenv.Missing(t, "the AWS CLI (pip install awscli)", err)
			}
		},
		command: func(*testing.T) []string {
			return []string{"aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text"}
		},
	},
	{
		name: "js",
		needs: func(t *testing.T) {
			if _, err := exec.LookPath("node"); err != nil {
				testenv.Missing(t, "node (apt-get install nodejs)", err)
			}
			mod := filepath.Join(testenv.RepoRoot(t), "test", "js", "node_modules", "@aws-sdk", "client-sts")
			if _, err := os.Stat(mod); err != nil {
				testenv.Missing(t, "the JavaScript SDK v3 (run scripts/deps.sh, or npm install in test/js)", err)
			}
		},
		command: func(t *testing.T) []string {
			return []string{"node", filepath.Join(testenv.RepoRoot(t), "test", "js", "whoami.mjs")}
		},
	},
}

// A mode is one of the ways hopd serves credentials; env returns the
// variables that point a client at it for one account.
type mode struct {
	name    string
	account account
	env     func(t *testing.T, d *daemon) []string
}

var modes = []mode{
	{
		// What `eval "$(hopd env production)"` sets up.
		name:    "ecs",
		account: threeAccounts[0],
		env: func(t *testing.T, d *daemon) []string {
			vars := d.exports("production")
			for _, k := range []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_REGION"} {
				if vars[k] == "" {
					t.Fatalf("hopd env production set no %s: %v", k, vars)
				}
			}
			if tok, ok := vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"]; ok {
				t.Errorf("hopd env puts the token itself in the environment (%d bytes); it must name the token file only", len(tok))
			}
			return append(envList(vars), "AWS_EC2_METADATA_DISABLED=true")
		},
	},
	{
		// What `eval "$(hopd env staging --imds)"` sets up.
		name:    "imds",
		account: threeAccounts[1],
		env: func(t *testing.T, d *daemon) []string {
			vars := d.exports("staging", "--imds")
			want := d.imdsURL("staging") + "/"
			if got := vars["AWS_EC2_METADATA_SERVICE_ENDPOINT"]; got != want {
				t.Fatalf("hopd env staging --imds set AWS_EC2_METADATA_SERVICE_ENDPOINT=%q; want %q", got, want)
			}
			return envList(vars)
		},
	},
	{
		// A profile in ~/.aws/config whose credential_process is hopd.
		name:    "process",
		account: threeAccounts[2],
		env: func(t *testing.T, d *daemon) []string {
			return []string{"AWS_PROFILE=playground", "AWS_EC2_METADATA_DISABLED=true"}
		},
	},
}

func envList(vars map[string]string) []string {
	var env []string
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// Every SDK gets credentials from hopd in every form hopd serves them, and
// STS (moto) sees the role of the account the client asked for.
func TestSDKMatrix(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, options{})
	awsDir := filepath.Join(d.Home, ".aws")
	if err := os.MkdirAll(awsDir, 0o700); err != nil {
		t.Fatal(err)
	}
	profile := fmt.Sprintf("[profile playground]\ncredential_process = %s creds playground\nregion = us-east-1\n", d.Bin)
	if err := os.WriteFile(filepath.Join(awsDir, "config"), []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
	// Fetch every account's first credentials now: IMDS clients give up
	// after about a second, and the cold path (STS behind a proxy) is what
	// the concurrency test is about, not this one.
	for _, a := range threeAccounts {
		d.waitECS(a.Name)
	}

	for _, c := range clients {
		for _, m := range modes {
			t.Run(c.name+"/"+m.name, func(t *testing.T) {
				c.needs(t)
				env := append(d.env(), m.env(t, d)...)
				if c.name == "go" {
					env = append(env, goClientEnv+"=1")
				}
				argv := c.command(t)
				r := runCmd(t, env, "", argv[0], argv[1:]...)
				if r.code != 0 {
					t.Fatalf("%s exited %d:\n%s", strings.Join(argv, " "), r.code, r.stderr)
				}
				got := strings.TrimSpace(r.stdout)
				if want := d.assumedRoleARN(m.account); got != want {
					t.Errorf("GetCallerIdentity says %q; want %q\nstderr: %s", got, want, r.stderr)
				}
			})
		}
	}
}
