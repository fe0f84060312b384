package testenv

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

const modulePath = "github.com/hopd/hopd"

// The hopd binary is built once per test process: building takes seconds,
// and every test that runs it wants the same one.
var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
)

// BuildHopd builds ./cmd/hopd (once per test process) and returns the path
// of the binary. It skips the test when the go tool is missing (fails under
// CI=true) and fails it when the build fails. The binary is removed by
// Shutdown, so use it from a package whose TestMain calls Main.
func BuildHopd(t testing.TB) string {
	t.Helper()
	root := RepoRoot(t)
	buildOnce.Do(func() { buildBin, buildErr = build(root) })
	if buildErr != nil {
		report(t, buildErr)
	}
	return buildBin
}

func build(root string) (string, error) {
	gotool, err := goTool()
	if err != nil {
		return "", &missingError{"the go tool (needed to build hopd)", err}
	}
	// Not t.TempDir: the binary outlives the test that first asked for it.
	dir, err := os.MkdirTemp("", "hopd-testenv-bin-")
	if err != nil {
		return "", fmt.Errorf("cannot create a directory for the hopd binary: %w", err)
	}
	atShutdown(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "hopd")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.Command(gotool, "build", "-o", bin, "./cmd/hopd")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("cannot build hopd (go build ./cmd/hopd in %s): %v\n%s", root, err, bytes.TrimSpace(out))
	}
	return bin, nil
}

// goTool finds the go command: on PATH, or in GOROOT, which `go test` may
// set without putting the tool on PATH.
func goTool() (string, error) {
	path, err := exec.LookPath("go")
	if err == nil {
		return path, nil
	}
	if goroot := os.Getenv("GOROOT"); goroot != "" {
		candidate := filepath.Join(goroot, "bin", "go")
		if runtime.GOOS == "windows" {
			candidate += ".exe"
		}
		if _, statErr := os.Stat(candidate); statErr == nil {
			return candidate, nil
		}
	}
	return "", err
}

// RepoRoot returns the directory of hopd's go.mod, found by walking up from
// the working directory (go test runs tests in their package's directory).
func RepoRoot(t testing.TB) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("cannot find hopd's go.mod: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if module, err := moduleOf(filepath.Join(dir, "go.mod")); err == nil && module == modulePath {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("cannot find the go.mod of module %s in %s or any directory above it", modulePath, wd)
		}
	}
}

// moduleOf returns the module path declared in a go.mod file.
func moduleOf(gomod string) (string, error) {
	f, err := os.Open(gomod)
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(s.Text()), "module"); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	if err := s.Err(); err != nil {
		return "", err
	}
	return "", errors.New("no module line")
}
