package e2e_test

import (
	"os"
	"strings"
	"testing"
)

// TestHelpReadsWell: flags render with their own names, the commands a new
// user reaches for first have examples, usage puts [flags] before --, and
// bash completion says what it needs when bash-completion is missing.
func TestHelpReadsWell(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, options{})
	if out := d.mustRun("serve", "--help"); !strings.Contains(out, "      --autostart   started at login") {
		t.Errorf("hopd serve --help renders --autostart with a value name:\n%s", out)
	}
	for _, c := range []string{"exec", "status", "console"} {
		if out := d.mustRun(c, "--help"); !strings.Contains(out, "Examples:") {
			t.Errorf("hopd %s --help has no examples:\n%s", c, out)
		}
	}
	if out := d.mustRun("exec", "--help"); !strings.Contains(out, "hopd exec [ACCOUNT] [flags] [--] [COMMAND [ARGS...]]") {
		t.Errorf("hopd exec's usage line does not put [flags] before --:\n%s", out)
	}
	r := d.run("completion", "bash")
	if r.code != 0 || !strings.Contains(r.stdout, "complete -o default -F __start_hopd hopd") {
		t.Fatalf("hopd completion bash: exit %d, %.200q", r.code, r.stdout)
	}
	_, err := os.Stat("/usr/share/bash-completion/bash_completion")
	if missing := strings.Contains(r.stderr, "bash-completion package is missing"); missing != (err != nil) {
		t.Errorf("hopd completion bash with bash-completion installed: %t, said %q; want the note only when it is missing", err == nil, r.stderr)
	}
}
