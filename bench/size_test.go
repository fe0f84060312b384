package bench

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hopd/hopd/internal/testenv"
)

// BenchmarkBinarySize builds hopd as `make build` does (no cgo, -trimpath,
// -s -w) and reports its size.
func BenchmarkBinarySize(b *testing.B) {
	gotool, err := exec.LookPath("go")
	if err != nil {
		testenv.Missing(b, "the go tool", err)
	}
	bin := filepath.Join(b.TempDir(), "hopd")
	cmd := exec.Command(gotool, "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "./cmd/hopd")
	cmd.Dir = testenv.RepoRoot(b)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("building hopd: %v\n%s", err, out)
	}
	fi, err := os.Stat(bin)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(fi.Size())/(1<<20), "MiB")
}
