package sdkenv

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

func TestEnvLines(t *testing.T) {
	a := Account{Name: "production", Region: "eu-west-1", IMDSPort: 9921, Listen: "127.0.0.1:9911", StateDir: "/home/m/.local/state/hopd"}
	unset := "unset " + strings.Join(Conflicting, " ") + "\n"
	tests := []struct {
		mode Mode
		want string
	}{
		{ECS, unset +
			"export AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:9911/creds/production\n" +
			"export AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=/home/m/.local/state/hopd/token\n" +
			"export AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull + "\n" +
			"export AWS_REGION=eu-west-1\nexport AWS_DEFAULT_REGION=eu-west-1\nexport HOPD_ACCOUNT=production\n"},
		{IMDS, unset +
			"export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:9921/\n" +
			"export AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv4\n" +
			"export AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull + "\n" +
			"export AWS_REGION=eu-west-1\nexport AWS_DEFAULT_REGION=eu-west-1\nexport HOPD_ACCOUNT=production\n"},
	}
	if runtime.GOOS == "windows" {
		t.Skip("the paths above are POSIX ones")
	}
	for _, tt := range tests {
		got, err := EnvLines(a, tt.mode)
		if err != nil {
			t.Fatalf("mode %d: %v", tt.mode, err)
		}
		if got != tt.want {
			t.Errorf("mode %d:\n got %q\nwant %q", tt.mode, got, tt.want)
		}
	}
}

func TestEnvLinesQuoteAndRefuse(t *testing.T) {
	got, err := EnvLines(Account{Name: "a", Region: "us-east-1", Listen: "127.0.0.1:1", StateDir: "/tmp/it's here"}, ECS)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE='/tmp/it'\''s here/token'`) {
		t.Errorf("state directory not quoted for the shell:\n%s", got)
	}
	_, err = EnvLines(Account{Name: "a", Listen: "127.0.0.1:1"}, IMDS)
	if err == nil || !strings.Contains(err.Error(), "imds_port") {
		t.Errorf("IMDS lines without an imds_port: err = %v, want one naming imds_port", err)
	}
}

func TestCredsCommand(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX quoting")
	}
	tests := []struct {
		self, state, def, want string
	}{
		{"/usr/bin/hopd", "/home/m/.local/state/hopd", "/home/m/.local/state/hopd", "/usr/bin/hopd creds"},
		{"/usr/bin/hopd", "/tmp/s", "/home/m/.local/state/hopd", "/usr/bin/hopd --state-dir /tmp/s creds"},
		{"/opt/my tools/hopd", "/tmp/a b", "", "'/opt/my tools/hopd' --state-dir '/tmp/a b' creds"},
		{"/usr/bin/hopd", "", "/x", "/usr/bin/hopd creds"},
	}
	for _, tt := range tests {
		got, err := CredsCommand(tt.self, tt.state, tt.def)
		if err != nil || got != tt.want {
			t.Errorf("CredsCommand(%q, %q, %q) = %q, %v; want %q", tt.self, tt.state, tt.def, got, err, tt.want)
		}
	}
	if got := CredentialProcessLine("/usr/bin/hopd creds", "staging"); got != "credential_process = /usr/bin/hopd creds staging\n" {
		t.Errorf("CredentialProcessLine = %q", got)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"plain-word_1.2/x:[y]": "plain-word_1.2/x:[y]",
		"":                     "''",
		"a b":                  "'a b'",
		"it's":                 `'it'\''s'`,
		"$HOME":                "'$HOME'",
	} {
		if got := ShellQuote(in); got != want {
			t.Errorf("ShellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}
