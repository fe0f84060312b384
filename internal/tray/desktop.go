package tray

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"github.com/hopd/hopd/internal/broker"
)

// tool is a desktop program hopd drives: its argv, and what it needs.
type tool struct {
	argv []string
	when func(getenv func(string) string) bool
}

func always(func(string) string) bool { return true }

func hasEnv(name string) func(func(string) string) bool {
	return func(getenv func(string) string) bool { return getenv(name) != "" }
}

// clipboardTools are the programs that put text on the clipboard, read from
// standard input, per OS, in order of preference.
var clipboardTools = map[string][]tool{
	"darwin":  {{[]string{"pbcopy"}, always}},
	"windows": {{[]string{"clip"}, always}},
	"": {
		{[]string{"wl-copy"}, hasEnv("WAYLAND_DISPLAY")},
		{[]string{"xclip", "-selection", "clipboard", "-in"}, hasEnv("DISPLAY")},
		{[]string{"xsel", "--clipboard", "--input"}, hasEnv("DISPLAY")},
	},
}

// pick returns the first tool for goos that fits the environment and is
// installed.
func pick(tools map[string][]tool, goos string, getenv func(string) string, look func(string) (string, error)) ([]string, bool) {
	list, ok := tools[goos]
	if !ok {
		list = tools[""]
	}
	for _, t := range list {
		if !t.when(getenv) {
			continue
		}
		if _, err := look(t.argv[0]); err == nil {
			return t.argv, true
		}
	}
	return nil, false
}

// Copy puts text on the clipboard. The text goes through standard input,
// never the command line.
func Copy(ctx context.Context, text string) error {
	argv, ok := pick(clipboardTools, runtime.GOOS, os.Getenv, exec.LookPath)
	if !ok {
		return errors.New("no clipboard program found: install wl-clipboard (Wayland) or xclip (X11)")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin = strings.NewReader(text)
	// No pipes for its output: xclip stays behind to serve the selection
	// and would hold them open.
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("copying with %s failed: %w", argv[0], err)
	}
	return nil
}

// ErrNoDialog means no program to ask for a code is installed; the caller
// can offer another way in, such as the browser page.
var ErrNoDialog = errors.New("no dialog program found (zenity or kdialog): run `hopd mfa` in a terminal")

// AskMFACode asks the person for a 6-digit MFA code in a small dialog. The
// code comes back on the dialog's standard output. It returns ErrCanceled
// when the dialog is closed.
func AskMFACode(ctx context.Context, user string) (string, error) {
	argv, ok := pick(promptTools(user), runtime.GOOS, os.Getenv, exec.LookPath)
	if !ok {
		return "", ErrNoDialog
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", ErrCanceled
		}
		return "", fmt.Errorf("asking for the MFA code with %s failed: %w", argv[0], err)
	}
	code := strings.TrimSpace(out.String())
	if !broker.ValidMFACode(code) {
		return "", errors.New("an MFA code is 6 digits: choose Enter MFA code… again")
	}
	return code, nil
}

// promptTools are the dialogs that ask for a hidden line. user is an IAM
// user name ([A-Za-z0-9+=,.@_-]), safe inside the scripts' quotes.
func promptTools(user string) map[string][]tool {
	text := "MFA code for " + user
	return map[string][]tool{
		"darwin": {{[]string{"osascript",
			"-e", `display dialog "` + text + `" default answer "" with hidden answer with title "hopd"`,
			"-e", "text returned of result"}, always}},
		"windows": {{[]string{"powershell", "-NoProfile", "-Command",
			"Add-Type -AssemblyName Microsoft.VisualBasic; $c = [Microsoft.VisualBasic.Interaction]::InputBox('" + text + "', 'hopd'); if (-not $c) { exit 1 }; $c"}, always}},
		"": {
			{[]string{"zenity", "--entry", "--hide-text", "--title=hopd", "--text=" + text}, always},
			{[]string{"kdialog", "--title", "hopd", "--password", text}, always},
		},
	}
}
