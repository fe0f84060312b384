package sdkenv

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Shell is the language `hopd env` writes its lines in.
type Shell int

// The shells hopd writes for.
const (
	POSIX      Shell = iota // sh, bash, zsh, dash, ksh: eval "$(hopd env ACCOUNT)"
	Fish                    // hopd env ACCOUNT | source
	PowerShell              // hopd env ACCOUNT | Invoke-Expression
	Cmd                     // cmd.exe: FOR /F "tokens=*" %i IN ('hopd env ACCOUNT') DO %i
)

// Shells are the names --shell takes.
var Shells = map[string]Shell{
	"sh": POSIX, "bash": POSIX, "zsh": POSIX, "dash": POSIX, "ksh": POSIX,
	"fish":       Fish,
	"powershell": PowerShell, "pwsh": PowerShell,
	"cmd": Cmd,
}

// ParseShell reads a --shell value.
func ParseShell(name string) (Shell, error) {
	if s, ok := Shells[strings.ToLower(name)]; ok {
		return s, nil
	}
	return POSIX, fmt.Errorf("--shell %q is not one hopd writes for: use bash, zsh, sh, fish, powershell or cmd", name)
}

// DetectShell guesses the user's shell: the program that ran hopd when it
// is a shell (a fish user's login shell may well be bash), else $SHELL,
// else PowerShell or cmd on Windows and sh elsewhere. parent is the
// parent process's name, "" when it cannot be told.
func DetectShell(getenv func(string) string, parent string) Shell {
	if s, ok := shellNamed(parent); ok {
		return s
	}
	if s, ok := shellNamed(getenv("SHELL")); ok {
		return s
	}
	if runtime.GOOS == "windows" {
		if getenv("PSModulePath") != "" {
			return PowerShell
		}
		return Cmd
	}
	return POSIX
}

// shellNamed recognises a shell by its program's name or path.
func shellNamed(name string) (Shell, bool) {
	if name == "" {
		return POSIX, false
	}
	base := strings.ToLower(filepath.Base(strings.ReplaceAll(name, `\`, "/")))
	base = strings.TrimSuffix(strings.TrimPrefix(base, "-"), ".exe") // "-bash" is a login shell
	s, ok := Shells[base]
	return s, ok
}

// ParentName is the name of the process that ran this one, where the
// system tells it cheaply (Linux); "" elsewhere.
func ParentName() string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", os.Getppid()))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// Own are the variables Vars may set: `hopd env --unset` removes them.
var Own = []string{
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
	"AWS_SHARED_CREDENTIALS_FILE", "AWS_REGION", "AWS_DEFAULT_REGION", "HOPD_ACCOUNT",
}

// Lines writes, in sh's language, unset for each of unset and then
// export for each of vars.
func Lines(sh Shell, unset []string, vars [][2]string) string {
	var b strings.Builder
	switch sh {
	case Fish:
		for _, name := range unset {
			// -g: the variables come from the environment, global in fish;
			// erasing one that is not set only sets $status.
			fmt.Fprintf(&b, "set -e -g %s\n", name)
		}
		for _, v := range vars {
			fmt.Fprintf(&b, "set -gx %s %s\n", v[0], fishQuote(v[1]))
		}
		if len(vars) == 0 {
			// Else the status of `source` is the last erase's, 4 when that
			// variable was not set, and `... | source; and ...` would stop.
			b.WriteString("true\n")
		}
	case PowerShell:
		for _, name := range unset {
			fmt.Fprintf(&b, "Remove-Item Env:%s -ErrorAction SilentlyContinue\n", name)
		}
		for _, v := range vars {
			fmt.Fprintf(&b, "$Env:%s = %s\n", v[0], powerShellQuote(v[1]))
		}
	case Cmd:
		for _, name := range unset {
			fmt.Fprintf(&b, "set %s=\n", name)
		}
		for _, v := range vars {
			// Quoting the whole assignment keeps & | < > literal; cmd has
			// no way to quote a " or a %, which no value of hopd's holds.
			fmt.Fprintf(&b, "set \"%s=%s\"\n", v[0], v[1])
		}
	default:
		if len(unset) > 0 {
			b.WriteString("unset " + strings.Join(unset, " ") + "\n")
		}
		for _, v := range vars {
			fmt.Fprintf(&b, "export %s=%s\n", v[0], ShellQuote(v[1]))
		}
	}
	return b.String()
}

// fishQuote quotes s for fish: in single quotes only \ and ' are special.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// powerShellQuote quotes s for PowerShell: in single quotes a ' is doubled.
func powerShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
