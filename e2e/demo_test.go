package e2e_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/testenv"
)

// TestDemo runs `make demo`'s script against the binary under test: every
// account's credentials in every form, an MFA code, and a console link per
// account (and a deep link) that the demo's federation stand-in accepts,
// having asked moto whose credentials they carry.
func TestDemo(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"dbus-daemon", "gnome-keyring-daemon", "dbus-send"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, tool+" (./scripts/deps.sh installs it), for the demo", err)
		}
	}
	if err := exec.Command("python3", "-c", "import moto, boto3").Run(); err != nil {
		testenv.Missing(t, "python3 with moto and boto3 (./scripts/deps.sh), for the demo", err)
	}
	bin := testenv.BuildHopd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(testenv.RepoRoot(t), "scripts", "demo.sh"))
	cmd.Env = append(testenv.BaseEnv(), "HOPD_BIN="+bin, "TMPDIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the demo failed: %v\n%s", err, out)
	}
	text := string(out)
	for _, a := range threeAccounts {
		// The link, then the stand-in's verdict on it.
		re := regexp.MustCompile(`(?m)^  ` + a.Name + ` +http://127\.0\.0\.1:\d+/federation\?Action=login&\S+SigninToken=\S+\n +accepted: signed in as arn:aws:sts::` +
			a.ID + `:assumed-role/OrganizationAccountAccessRole/hopd-demo, landing on https://us-east-1\.console\.aws\.amazon\.com/console/home\?region=us-east-1$`)
		if !re.MatchString(text) {
			t.Errorf("the demo shows no console link for %s that the stand-in accepted:\n%s", a.Name, text)
		}
	}
	if !strings.Contains(text, "accepted: signed in as arn:aws:sts::333333333333:assumed-role/OrganizationAccountAccessRole/hopd-demo, landing on https://eu-west-1.console.aws.amazon.com/dynamodbv2/home?region=eu-west-1") {
		t.Errorf("the demo's deep link did not land on DynamoDB in eu-west-1:\n%s", text)
	}
	if !regexp.MustCompile(`(?m)^  http://127\.0\.0\.1:\d+/login\?t=\S+$`).MatchString(text) || !regexp.MustCompile(`Session started, until \w{3} \d\d:\d\d \(in 1[12]h`).MatchString(text) {
		t.Errorf("the demo shows no dashboard link or no MFA code accepted:\n%s", text)
	}
}
