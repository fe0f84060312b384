package sdkenv

import (
	"runtime"
	"strings"
	"testing"
)

func TestDetectShell(t *testing.T) {
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	for _, tc := range []struct {
		name, parent string
		vars         map[string]string
		want         Shell
	}{
		{"parent wins over SHELL", "fish", map[string]string{"SHELL": "/bin/bash"}, Fish},
		{"login shell", "-zsh", nil, POSIX},
		{"pwsh", "pwsh.exe", nil, PowerShell},
		{"SHELL when the parent is no shell", "make", map[string]string{"SHELL": "/usr/bin/fish"}, Fish},
		{"SHELL path", "", map[string]string{"SHELL": "/opt/homebrew/bin/bash"}, POSIX},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := DetectShell(env(tc.vars), tc.parent); got != tc.want {
				t.Errorf("DetectShell(%v, %q) = %d; want %d", tc.vars, tc.parent, got, tc.want)
			}
		})
	}
	if runtime.GOOS != "windows" {
		if got := DetectShell(env(nil), ""); got != POSIX {
			t.Errorf("with nothing to go on: %d; want POSIX", got)
		}
	}
	if _, err := ParseShell("tcsh"); err == nil || !strings.Contains(err.Error(), "fish") {
		t.Errorf("ParseShell(tcsh) = %v; want an error naming the shells", err)
	}
	if s, err := ParseShell("PowerShell"); err != nil || s != PowerShell {
		t.Errorf("ParseShell(PowerShell) = %d, %v", s, err)
	}
}

func TestLinesQuote(t *testing.T) {
	vars := [][2]string{{"A", `it's a \ path`}}
	for _, tc := range []struct {
		sh   Shell
		want string
	}{
		{POSIX, "unset X Y\nexport A='it'\\''s a \\ path'\n"},
		{Fish, "set -e -g X\nset -e -g Y\nset -gx A 'it\\'s a \\\\ path'\n"},
		{PowerShell, "Remove-Item Env:X -ErrorAction SilentlyContinue\nRemove-Item Env:Y -ErrorAction SilentlyContinue\n$Env:A = 'it''s a \\ path'\n"},
		{Cmd, "set X=\nset Y=\nset \"A=it's a \\ path\"\n"},
	} {
		if got := Lines(tc.sh, []string{"X", "Y"}, vars); got != tc.want {
			t.Errorf("Lines(%d) =\n%s\nwant\n%s", tc.sh, got, tc.want)
		}
	}
	if got := UnsetLines(Fish); !strings.HasSuffix(got, "set -e -g HOPD_ACCOUNT\ntrue\n") {
		t.Errorf("fish's --unset lines end %q; want the erases, then true, so that `| source; and ...` goes on", got)
	}
}
