package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRepoRoot(t *testing.T) {
	root := RepoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("RepoRoot returned %s, which has no go.mod: %v", root, err)
	}
}

func TestBuildHopd(t *testing.T) {
	matches, _ := filepath.Glob(filepath.Join(RepoRoot(t), "cmd", "hopd", "*.go"))
	if len(matches) == 0 {
		t.Skip("cmd/hopd has no Go files yet")
	}
	bin := BuildHopd(t)
	fi, err := os.Stat(bin)
	if err != nil {
		t.Fatalf("BuildHopd returned %s: %v", bin, err)
	}
	if fi.Mode()&0o111 == 0 {
		t.Errorf("%s is not executable (mode %v)", bin, fi.Mode())
	}
	if again := BuildHopd(t); again != bin {
		t.Errorf("a second BuildHopd returned %s; want the same binary %s", again, bin)
	}
}
