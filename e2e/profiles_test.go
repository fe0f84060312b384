package e2e_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/testenv"
)

const (
	beginMarker = "# >>> hopd"
	endMarker   = "# <<< hopd"
)

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// Shared config files as people have them.
var awsConfigs = []struct {
	name    string
	content string
}{
	{"missing", ""},
	{"comments and odd spacing", `# work laptop
; do not share
[default]
region=eu-west-1
output = json
  # an indented comment

[ profile  legacy ]
region   =   us-east-2
s3 =
    max_concurrent_requests = 20
cli_pager=
`},
	{"sso-session blocks", `[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1
sso_registration_scopes = sso:account:access

[profile corp-dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Developer
region = eu-west-1

[services local-ddb]
dynamodb =
  endpoint_url = http://localhost:8000`},
	{"existing hopd block", `[default]
region = eu-west-1

# >>> hopd: profiles written by ` + "`hopd profiles write`" + `; edits inside this block are overwritten
[profile hopd-gone]
credential_process = /old/hopd creds gone
# <<< hopd

[profile after]
region = ap-south-1
`},
	{"CRLF", crlf(`[default]
region = eu-west-1

[profile work]
role_arn = arn:aws:iam::222222222222:role/Admin
source_profile = default
`)},
}

// outside returns what is before and after hopd's block.
func outside(t *testing.T, s string) (before, after string) {
	t.Helper()
	i := strings.Index(s, beginMarker)
	if i < 0 {
		return s, ""
	}
	j := strings.Index(s[i:], endMarker)
	if j < 0 {
		t.Fatalf("hopd's block has no end:\n%s", s)
	}
	rest := s[i+j:]
	if k := strings.IndexByte(rest, '\n'); k >= 0 {
		return s[:i], rest[k+1:]
	}
	return s[:i], ""
}

// `hopd profiles write` adds a profile per account to the AWS config file
// and leaves every byte outside its block as it was; the AWS CLI then works
// with those profiles; writing again changes nothing; `hopd profiles
// remove` gives the file back.
func TestProfiles(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, options{})
	if _, err := exec.LookPath("aws"); err != nil {
		testenv.Missing(t, "the AWS CLI (pip install awscli)", err)
	}
	for _, a := range threeAccounts {
		d.waitECS(a.Name)
	}
	path := filepath.Join(d.Home, ".aws", "config")
	run := func(args ...string) result {
		t.Helper()
		return runCmd(t, d.env(), "", d.Bin, args...)
	}

	for _, tc := range awsConfigs {
		t.Run(tc.name, func(t *testing.T) {
			os.RemoveAll(filepath.Dir(path))
			if tc.name != "missing" {
				os.MkdirAll(filepath.Dir(path), 0o700)
				if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			origBefore, origAfter := outside(t, tc.content)

			r := run("profiles", "write")
			if r.code != 0 {
				t.Fatalf("hopd profiles write: exit %d: %s", r.code, r.stderr)
			}
			data, _ := os.ReadFile(path)
			written := string(data)
			before, after := outside(t, written)
			// A block that was there is replaced in place; otherwise it
			// is appended after a line break.
			if strings.Contains(tc.content, beginMarker) {
				if before != origBefore || after != origAfter {
					t.Errorf("bytes outside the block changed:\nbefore %q\n  want %q\nafter  %q\n  want %q", before, origBefore, after, origAfter)
				}
			} else if !strings.HasPrefix(before, tc.content) || len(before)-len(tc.content) > 2 || after != "" {
				t.Errorf("the file is not the original plus a block:\n%q", written)
			}
			for _, a := range threeAccounts {
				if !strings.Contains(written, "[profile hopd-"+a.Name+"]") {
					t.Errorf("no profile for %s in:\n%s", a.Name, written)
				}
			}
			if strings.Contains(written, "hopd-gone") {
				t.Error("the old block's profile is still there")
			}
			if strings.Contains(tc.content, "\r\n") && strings.Count(written, "\n") != strings.Count(written, "\r\n") {
				t.Errorf("a CRLF file got LF lines:\n%q", written)
			}
			if tc.name != "missing" {
				if b, err := os.ReadFile(path + ".hopd-backup"); err != nil || string(b) != tc.content {
					t.Errorf("the backup is %q (%v); want the original", b, err)
				}
			}

			// The AWS CLI gets the right identity through the profile.
			r = runCmd(t, d.env(), "", "aws", "sts", "get-caller-identity", "--profile", "hopd-staging", "--query", "Arn", "--output", "text")
			if want := d.assumedRoleARN(threeAccounts[1]); r.code != 0 || strings.TrimSpace(r.stdout) != want {
				t.Errorf("aws --profile hopd-staging: exit %d, %q; want %s\n%s", r.code, strings.TrimSpace(r.stdout), want, r.stderr)
			}

			// Writing again changes nothing, not even the file's time.
			fi1, _ := os.Stat(path)
			time.Sleep(10 * time.Millisecond)
			if r := run("profiles", "write"); r.code != 0 || !strings.Contains(r.stdout, "nothing to do") {
				t.Errorf("a second hopd profiles write: exit %d, %q %q", r.code, r.stdout, r.stderr)
			}
			fi2, _ := os.Stat(path)
			if again, _ := os.ReadFile(path); string(again) != written || !fi1.ModTime().Equal(fi2.ModTime()) {
				t.Error("a second write with nothing new rewrote the file")
			}

			r = run("profiles", "remove")
			if r.code != 0 {
				t.Fatalf("hopd profiles remove: exit %d: %s", r.code, r.stderr)
			}
			data, _ = os.ReadFile(path)
			want := tc.content
			if strings.Contains(tc.content, beginMarker) {
				// Its own old block goes, with the blank line before it.
				want = strings.TrimSuffix(origBefore, "\n") + origAfter
			}
			if string(data) != want {
				t.Errorf("after remove the file is\n%q\nwant\n%q", data, want)
			}
		})
	}

	t.Run("prefix and conflicts", func(t *testing.T) {
		os.MkdirAll(filepath.Dir(path), 0o700)
		orig := "[profile hopd-staging]\nregion = eu-west-1\n"
		if err := os.WriteFile(path, []byte(orig), 0o600); err != nil {
			t.Fatal(err)
		}
		r := run("profiles", "write")
		if r.code == 0 || !oneLine(r.stderr) || !strings.Contains(r.stderr, "--prefix") {
			t.Errorf("writing over a profile of the user's: exit %d, %q; want one line suggesting --prefix", r.code, r.stderr)
		}
		if b, _ := os.ReadFile(path); string(b) != orig {
			t.Error("a refused write changed the file")
		}
		if r := run("profiles", "write", "--prefix", "my-"); r.code != 0 {
			t.Fatalf("hopd profiles write --prefix my-: exit %d: %s", r.code, r.stderr)
		}
		r = runCmd(t, d.env(), "", "aws", "sts", "get-caller-identity", "--profile", "my-production", "--query", "Arn", "--output", "text")
		if want := d.assumedRoleARN(threeAccounts[0]); strings.TrimSpace(r.stdout) != want {
			t.Errorf("aws --profile my-production: %q; want %s\n%s", strings.TrimSpace(r.stdout), want, r.stderr)
		}
		for _, bad := range []string{"a b", "x]", "[y"} {
			if r := run("profiles", "write", "--prefix", bad); r.code == 0 || !oneLine(r.stderr) {
				t.Errorf("--prefix %q: exit %d, %q; want a one-line refusal", bad, r.code, r.stderr)
			}
		}
	})
}

// `hopd import` turns role profiles into a hopd config that parses, and
// --write creates the config file but never replaces one.
func TestImport(t *testing.T) {
	t.Parallel()
	bin := testenv.BuildHopd(t)
	dir := t.TempDir()
	awsCfg := filepath.Join(dir, "aws-config")
	src := crlf(`[default]
region = eu-west-1
mfa_serial = arn:aws:iam::111111111111:mfa/michael

[profile production]
role_arn = arn:aws:iam::222222222222:role/OrganizationAccountAccessRole
source_profile = default
color = d13212

[profile chained]
role_arn = arn:aws:iam::333333333333:role/Admin
source_profile = production
`)
	if err := os.WriteFile(awsCfg, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "hopd", "config.toml")
	env := append(testenv.BaseEnv(), "HOME="+dir, "AWS_CONFIG_FILE="+awsCfg, "HOPD_CONFIG="+cfgPath, "HOPD_STATE_DIR="+filepath.Join(dir, "state"))

	r := runCmd(t, env, "", bin, "import")
	if r.code != 0 {
		t.Fatalf("hopd import: exit %d: %s", r.code, r.stderr)
	}
	cfg, err := config.Parse("import", []byte(r.stdout))
	if err != nil {
		t.Fatalf("hopd import printed a config that does not parse: %v\n%s", err, r.stdout)
	}
	if p, ok := cfg.Account("production"); !ok || p.ID != "222222222222" || p.Color != "#d13212" || cfg.Users[0].MFASerial == "" {
		t.Errorf("the proposal: %+v", cfg)
	}
	if !strings.Contains(r.stderr, "chained") {
		t.Errorf("hopd import does not say why it left out the chained profile: %q", r.stderr)
	}
	if _, err := os.Stat(cfgPath); err == nil {
		t.Error("hopd import without --write wrote the config")
	}

	if r := runCmd(t, env, "", bin, "import", "--write"); r.code != 0 || !strings.Contains(r.stdout, "hopd keys set default") {
		t.Fatalf("hopd import --write: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if _, err := config.Load(cfgPath); err != nil {
		t.Errorf("the written config does not load: %v", err)
	}
	before, _ := os.ReadFile(cfgPath)
	if r := runCmd(t, env, "", bin, "import", "--write"); r.code == 0 || !oneLine(r.stderr) || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("hopd import --write over a config: exit %d, %q; want a one-line refusal", r.code, r.stderr)
	}
	if after, _ := os.ReadFile(cfgPath); string(after) != string(before) {
		t.Error("hopd import --write replaced an existing config")
	}

	os.WriteFile(awsCfg, []byte("[default]\nregion = eu-west-1\n"), 0o600)
	if r := runCmd(t, env, "", bin, "import"); r.code == 0 || !oneLine(r.stderr) || !strings.Contains(r.stderr, "nothing to import") {
		t.Errorf("hopd import without role profiles: exit %d, %q", r.code, r.stderr)
	}
}
