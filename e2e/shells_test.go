package e2e_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hopd/hopd/internal/sdkenv"
	"github.com/hopd/hopd/internal/testenv"
)

// TestEnvInEveryShell: `hopd env staging` read by bash, zsh and fish (each
// detected, not named) wins over an AWS_PROFILE=hopd-production already set,
// so the AWS CLI is staging; `hopd env --unset` then leaves none of hopd's
// variables. PowerShell's and cmd's lines are checked as text when pwsh is
// absent, which it is on Debian.
func TestEnvInEveryShell(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("aws"); err != nil {
		testenv.Missing(t, "the AWS CLI (pip install awscli)", err)
	}
	d := startDaemon(t, options{accounts: threeAccounts})
	d.waitECS("staging")
	// The profile that must lose: it would give production's credentials.
	aws := filepath.Join(d.Home, ".aws")
	if err := os.MkdirAll(aws, 0o700); err != nil {
		t.Fatal(err)
	}
	profile := fmt.Sprintf("[profile hopd-production]\ncredential_process = %s creds production\n", d.Bin)
	if err := os.WriteFile(filepath.Join(aws, "config"), []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(d.shellEnv(), "AWS_PROFILE=hopd-production")
	whoami := "aws sts get-caller-identity --query Arn --output text"
	leftover := `env | grep -E '^(` + strings.Join(sdkenv.Own, "|") + `)=' || echo none`

	for _, tc := range []struct {
		shell  string
		script string
	}{
		{"bash", `eval "$(hopd env staging)" && ` + whoami + ` && eval "$(hopd env --unset)" && ` + leftover},
		{"zsh", `eval "$(hopd env staging)" && ` + whoami + ` && eval "$(hopd env --unset)" && ` + leftover},
		{"fish", `hopd env staging | source; ` + whoami + `; hopd env --unset | source; ` + leftover},
	} {
		t.Run(tc.shell, func(t *testing.T) {
			path, err := exec.LookPath(tc.shell)
			if err != nil {
				testenv.Missing(t, tc.shell+" (apt-get install "+tc.shell+")", err)
			}
			// SHELL says bash: the shell that runs hopd is what counts.
			r := runCmd(t, append(env, "SHELL=/bin/bash"), "", path, "-c", tc.script)
			lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
			if r.code != 0 || len(lines) != 2 {
				t.Fatalf("%s: exit %d, stdout %q, stderr %q", tc.shell, r.code, r.stdout, r.stderr)
			}
			if want := d.assumedRoleARN(threeAccounts[1]); lines[0] != want {
				t.Errorf("in %s after hopd env staging, the AWS CLI is %s; want %s (AWS_PROFILE must not win)", tc.shell, lines[0], want)
			}
			if lines[1] != "none" {
				t.Errorf("in %s after hopd env --unset, hopd's variables are left: %s", tc.shell, lines[1])
			}
		})
	}

	t.Run("powershell and cmd", func(t *testing.T) {
		ps := d.mustRun("env", "staging", "--shell", "powershell")
		for _, want := range []string{"Remove-Item Env:AWS_PROFILE -ErrorAction SilentlyContinue\n", "$Env:HOPD_ACCOUNT = 'staging'\n",
			"$Env:AWS_CONTAINER_CREDENTIALS_FULL_URI = 'http://" + d.Listen + "/creds/staging'\n"} {
			if !strings.Contains(ps, want) {
				t.Errorf("hopd env --shell powershell has no %q:\n%s", want, ps)
			}
		}
		if pwsh, err := exec.LookPath("pwsh"); err == nil {
			r := runCmd(t, env, "", pwsh, "-NoProfile", "-Command", `hopd env staging --shell powershell | Out-String | Invoke-Expression; `+whoami)
			if want := d.assumedRoleARN(threeAccounts[1]); strings.TrimSpace(r.stdout) != want {
				t.Errorf("in PowerShell the AWS CLI is %q (%s); want %s", r.stdout, r.stderr, want)
			}
		}
		cmd := d.mustRun("env", "staging", "--shell", "cmd")
		if !strings.Contains(cmd, "set AWS_PROFILE=\n") || !strings.Contains(cmd, `set "HOPD_ACCOUNT=staging"`) {
			t.Errorf("hopd env --shell cmd:\n%s", cmd)
		}
		if r := d.run("env", "staging", "--shell", "tcsh"); r.code == 0 || !oneLine(r.stderr) || !strings.Contains(r.stderr, "use bash, zsh, sh, fish, powershell or cmd") {
			t.Errorf("hopd env --shell tcsh: exit %d, %q; want one line naming the shells", r.code, r.stderr)
		}
	})

	t.Run("without the daemon", func(t *testing.T) {
		d.stop()
		r := runCmd(t, env, "", "bash", "-c", `eval "$(hopd env staging)" && echo "$HOPD_ACCOUNT $AWS_CONTAINER_CREDENTIALS_FULL_URI"`)
		if want := "staging http://" + d.Listen + "/creds/staging"; r.code != 0 || strings.TrimSpace(r.stdout) != want {
			t.Errorf("hopd env staging with no daemon: exit %d, %q (%s); want %q", r.code, r.stdout, r.stderr, want)
		}
		if r := d.run("env", "nosuch"); r.code == 0 || r.stdout != "" || !oneLine(r.stderr) || !strings.Contains(r.stderr, "hopd is not running") {
			t.Errorf("hopd env nosuch with no daemon: exit %d, stdout %q, stderr %q; want nothing to eval and one line", r.code, r.stdout, r.stderr)
		}
	})
}

// shellEnv is the daemon's CLI environment with hopd on PATH, for shells
// that run it by name.
func (d *daemon) shellEnv() []string {
	return append(d.env(), "PATH="+filepath.Dir(d.Bin)+":"+os.Getenv("PATH"))
}
