// Package sdkenv writes what points an AWS SDK at hopd: the shell lines of `hopd env` and the credential_process line of a profile.
//
// The CLI, the tray's "Copy" items, the dashboard and `hopd profiles
// write` all produce their text here, so that what a person copies from
// one is what another would have given.
package sdkenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/hopd/hopd/internal/api"
)

// IMDSHost is the loopback address every IMDS listener binds.
const IMDSHost = "127.0.0.1"

// Conflicting are the variables SDKs prefer over hopd's endpoints: `hopd
// env` unsets them and `hopd exec` removes them.
var Conflicting = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SHARED_CREDENTIALS_FILE",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_DISABLED",
}

// Mode is the endpoint an SDK is pointed at.
type Mode int

// The endpoints.
const (
	ECS  Mode = iota // the container-credentials endpoint on the main listener
	IMDS             // the account's own IMDSv2 listener (its imds_port)
)

// Account is what the lines need to know of an account and of the daemon.
type Account struct {
	Name     string
	Region   string
	IMDSPort int
	Listen   string // the daemon's main listener, host:port
	StateDir string // the daemon's state directory, where the token file is

	// A scoped token (one account, revoked at a time), for the ECS form:
	// it goes in AWS_CONTAINER_AUTHORIZATION_TOKEN, which SDKs older than
	// the token file read, and TokenFile (when set) holds it for newer
	// ones, which prefer the file.
	ScopedToken string
	TokenFile   string
}

// Vars are the variables that point an SDK at hopd for the account, in
// the order they are printed.
func Vars(a Account, mode Mode) ([][2]string, error) {
	var vars [][2]string
	switch mode {
	case IMDS:
		if a.IMDSPort == 0 {
			return nil, fmt.Errorf("account %s has no IMDS listener: set imds_port for it in the config, or use the ECS form (without --imds)", a.Name)
		}
		vars = append(vars,
			[2]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://" + IMDSHost + ":" + strconv.Itoa(a.IMDSPort) + "/"},
			[2]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv4"},
		)
	default:
		vars = append(vars, [2]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://" + a.Listen + "/creds/" + a.Name})
		switch {
		case a.ScopedToken != "":
			vars = append(vars, [2]string{"AWS_CONTAINER_AUTHORIZATION_TOKEN", a.ScopedToken})
			if a.TokenFile != "" {
				vars = append(vars, [2]string{"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", a.TokenFile})
			}
		default:
			vars = append(vars, [2]string{"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", api.StateDir(a.StateDir).TokenFile()})
		}
	}
	return append(vars,
		// SDKs read ~/.aws/credentials before the ECS and IMDS endpoints, so
		// a [default] profile there would win over hopd.
		[2]string{"AWS_SHARED_CREDENTIALS_FILE", os.DevNull},
		[2]string{"AWS_REGION", a.Region},
		[2]string{"AWS_DEFAULT_REGION", a.Region},
		[2]string{"HOPD_ACCOUNT", a.Name},
	), nil
}

// EnvLines are the shell lines (sh, bash, zsh) of `hopd env`: unset what
// would win over hopd, then export Vars. The ECS form names the token
// file, never the token.
func EnvLines(a Account, mode Mode) (string, error) { return EnvLinesFor(a, mode, POSIX) }

// EnvLinesFor is EnvLines in another shell's language.
func EnvLinesFor(a Account, mode Mode, sh Shell) (string, error) {
	vars, err := Vars(a, mode)
	if err != nil {
		return "", err
	}
	return Lines(sh, Conflicting, vars), nil
}

// UnsetLines are `hopd env --unset`'s lines: none of hopd's variables is
// left.
func UnsetLines(sh Shell) string { return Lines(sh, Own, nil) }

// CredsCommand is the credential_process command without the account:
// hopd's path, the state directory when it is not the default one (tools
// run the command without the shell's HOPD_STATE_DIR), and "creds".
func CredsCommand(self, stateDir, defaultStateDir string) (string, error) {
	args := []string{processArg(self)}
	if stateDir != "" {
		abs, err := filepath.Abs(stateDir)
		if err != nil {
			return "", fmt.Errorf("making the state directory %s absolute: %w", stateDir, err)
		}
		if def, err := filepath.Abs(defaultStateDir); defaultStateDir == "" || err != nil || def != abs {
			args = append(args, "--state-dir", processArg(abs))
		}
	}
	return strings.Join(append(args, "creds"), " "), nil
}

// CredentialProcessLine is the line of a profile in ~/.aws/config that
// gets the account's credentials from hopd; command is CredsCommand's.
func CredentialProcessLine(command, account string) string {
	return "credential_process = " + command + " " + account + "\n"
}

// Self is the absolute path of this hopd: the one the user ran when it is
// the same file (a link on PATH keeps working after an upgrade that moves
// its target), else the executable's own.
func Self() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("cannot find hopd's own path (%w): run it by its full path", err)
	}
	ran := os.Args[0]
	if !strings.ContainsAny(ran, `/\`) {
		if ran, err = exec.LookPath(ran); err != nil {
			return exe, nil
		}
	}
	abs, err := filepath.Abs(ran)
	if err != nil {
		return exe, nil
	}
	x, errA := os.Stat(abs)
	y, errB := os.Stat(exe)
	if errA == nil && errB == nil && os.SameFile(x, y) {
		return abs, nil
	}
	return exe, nil
}

// processArg quotes an argument of credential_process: the AWS CLI splits
// the line like a POSIX shell, except on Windows, where it honours only
// double quotes.
func processArg(s string) string {
	if runtime.GOOS == "windows" {
		if strings.ContainsAny(s, " \t") {
			return `"` + s + `"`
		}
		return s
	}
	return ShellQuote(s)
}

// ShellQuote quotes s for a POSIX shell, leaving plain words as they are.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:[]") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
