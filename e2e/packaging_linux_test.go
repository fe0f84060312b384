package e2e_test

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hopd/hopd/internal/testenv"
)

// scripts/deb.sh builds a package that dpkg reads, that holds hopd, a menu
// entry and an autostart entry that desktop-file-validate accepts, and the
// icon at the hicolor sizes; the packaged hopd runs.
func TestDebPackage(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"dpkg-deb", "desktop-file-validate"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, tool+" (apt-get install dpkg desktop-file-utils)", err)
		}
	}
	bin := testenv.BuildHopd(t)
	root := testenv.RepoRoot(t)
	out := t.TempDir()
	cmd := exec.Command(filepath.Join(root, "scripts", "deb.sh"), "v1.2.0-3-gabc1234", "amd64", bin, out)
	cmd.Dir = root
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/deb.sh: %v\n%s", err, b)
	}
	deb := strings.TrimSpace(string(b[bytes.LastIndexByte(bytes.TrimSpace(b), '\n')+1:]))
	if filepath.Base(deb) != "hopd_1.2.0+3+gabc1234_amd64.deb" {
		t.Errorf("deb.sh made %s; want hopd_1.2.0+3+gabc1234_amd64.deb", deb)
	}
	info, err := exec.Command("dpkg-deb", "--field", deb, "Package", "Version", "Architecture").Output()
	if err != nil {
		t.Fatalf("dpkg-deb --field: %v", err)
	}
	for _, want := range []string{"Package: hopd", "Version: 1.2.0+3+gabc1234", "Architecture: amd64"} {
		if !strings.Contains(string(info), want) {
			t.Errorf("the package's control says\n%s\nwant %q", info, want)
		}
	}

	x := t.TempDir()
	if b, err := exec.Command("dpkg-deb", "-x", deb, x).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb -x: %v %s", err, b)
	}
	for _, f := range []string{"usr/share/applications/hopd.desktop", "etc/xdg/autostart/hopd.desktop"} {
		p := filepath.Join(x, f)
		if b, err := exec.Command("desktop-file-validate", p).CombinedOutput(); err != nil || len(b) > 0 {
			t.Errorf("desktop-file-validate %s: %v %s", f, err, b)
		}
	}
	if a, _ := os.ReadFile(filepath.Join(x, "etc/xdg/autostart/hopd.desktop")); !strings.Contains(string(a), "Exec=hopd serve --autostart") {
		t.Errorf("the autostart entry does not run hopd serve --autostart:\n%s", a)
	}
	for _, n := range []string{"48", "128", "256"} {
		f, err := os.Open(filepath.Join(x, "usr/share/icons/hicolor", n+"x"+n, "apps/hopd.png"))
		if err != nil {
			t.Errorf("the %spx icon is missing: %v", n, err)
			continue
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != cfg.Height || n != strconv.Itoa(cfg.Width) {
			t.Errorf("the %spx icon is %dx%d (%v)", n, cfg.Width, cfg.Height, err)
		}
	}
	if b, err := exec.Command(filepath.Join(x, "usr/bin/hopd"), "version").Output(); err != nil || !strings.HasPrefix(string(b), "hopd ") {
		t.Errorf("the packaged hopd version: %v %q", err, b)
	}
}
