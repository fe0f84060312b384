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

	"github.com/hopd/hopd/internal/testenv"
)

// TestRefusesFilesOthersCouldWrite: like ssh's StrictModes, hopd will not
// start on a state directory or config that another user could have
// written, nor append its log through a link planted in the state
// directory (issue 12). Each refusal is one line that names the path and
// the fix, and the link's target is left alone.
func TestRefusesFilesOthersCouldWrite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, d *daemon) (path string)
		want  []string
	}{
		{"state directory 0777", func(t *testing.T, d *daemon) string {
			mkdirMode(t, d.State, 0o777)
			return d.State
		}, []string{"can be written by other users (mode 0777)", "chmod 700"}},
		{"state directory owned by nobody", func(t *testing.T, d *daemon) string {
			if os.Getuid() != 0 {
				testenv.Missing(t, "root, to give a directory to another user", fmt.Errorf("running as uid %d", os.Getuid()))
			}
			mkdirMode(t, d.State, 0o700)
			must(t, os.Chown(d.State, 65534, 65534))
			return d.State
		}, []string{"belongs to uid 65534", "HOPD_STATE_DIR"}},
		{"log file a symbolic link", func(t *testing.T, d *daemon) string {
			mkdirMode(t, d.State, 0o700)
			victim := filepath.Join(d.Home, "victim")
			must(t, os.WriteFile(victim, []byte("theirs\n"), 0o600))
			log := filepath.Join(d.State, "hopd.log")
			must(t, os.Symlink(victim, log))
			t.Cleanup(func() {
				if got, _ := os.ReadFile(victim); string(got) != "theirs\n" {
					t.Errorf("hopd wrote through the link: the target now holds %q", got)
				}
			})
			return log
		}, []string{"symbolic link", "rm "}},
		{"config writable by others", func(t *testing.T, d *daemon) string {
			must(t, os.Chmod(d.Config, 0o666))
			return d.Config
		}, []string{"can be written by other users (mode 0666)", "chmod go-w"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := newDaemon(t, options{})
			d.WriteConfig(d.config(d.accounts))
			d.setKeys(iamKeyID, iamSecret)
			path := tc.setup(t, d)

			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, d.Bin, "serve", "--no-tray")
			cmd.Env = d.Env
			out, err := cmd.CombinedOutput()
			if ctx.Err() != nil {
				t.Fatalf("hopd serve started on it (%s); it must refuse:\n%s", tc.name, out)
			}
			if err == nil {
				t.Fatalf("hopd serve exited 0; want a refusal:\n%s", out)
			}
			msg := strings.TrimSpace(string(out))
			if !oneLine(msg) || !strings.Contains(msg, path) {
				t.Errorf("hopd serve said:\n%s\nwant one line naming %s", msg, path)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("hopd serve said %q; want it to say %q", msg, w)
				}
			}
		})
	}
}

func mkdirMode(t *testing.T, dir string, mode os.FileMode) {
	t.Helper()
	must(t, os.MkdirAll(dir, 0o700))
	must(t, os.Chmod(dir, mode))
}
