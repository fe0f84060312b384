package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/testenv"
)

// BenchmarkStartup measures what every AWS call through a
// credential_process profile waits for: a whole `hopd creds` process,
// start to exit, against a running daemon. Next to it, in the same run
// and interleaved so that the machine's load falls on all alike: a Go
// hello-world built with the same go and flags (the floor for any Go
// program), the same hello-world linking the AWS SDK packages hopd links
// (what their package initialisation costs any process that links them),
// and `hopd version` (hopd's start-up with nothing to do).
// One op is one process of each; the figures are medians. init-ms and
// init-allocs are the package initialisation of `hopd version` from
// GODEBUG=inittrace=1, which every hopd command pays whatever it does.
func BenchmarkStartup(b *testing.B) {
	hello := buildHello(b, nil)
	sdk := buildHello(b, sdkPackages(b))
	h := startHopd(b, []acct{{name: "production", id: "222222222222"}})
	h.served("production")

	procs := []struct {
		name string
		cmd  func() *exec.Cmd
	}{
		{"hello", func() *exec.Cmd {
			c := exec.Command(hello)
			c.Env = h.Env
			return c
		}},
		{"sdk", func() *exec.Cmd {
			c := exec.Command(sdk)
			c.Env = h.Env
			return c
		}},
		{"version", func() *exec.Cmd { return h.Command("version") }},
		{"creds", func() *exec.Cmd { return h.Command("creds", "production") }},
	}
	// Each once before timing: the page cache, the daemon's connection
	// bookkeeping.
	for _, p := range procs {
		runProcess(b, p.cmd())
	}
	took := make([][]float64, len(procs))
	round := 0
	for b.Loop() {
		// A different one first each round, so none always follows
		// another.
		for k := range procs {
			i := (k + round) % len(procs)
			c := procs[i].cmd()
			start := time.Now()
			out := runProcess(b, c)
			took[i] = append(took[i], float64(time.Since(start))/1e6)
			if procs[i].name == "creds" && !json.Valid(out) {
				b.Fatalf("hopd creds printed %q, not JSON", out)
			}
		}
		round++
	}
	med := make([]float64, len(procs))
	for i, p := range procs {
		med[i] = medianOf(took[i])
		b.ReportMetric(med[i], p.name+"-ms")
	}
	b.ReportMetric(med[1]/med[0], "sdk/hello")
	b.ReportMetric(med[2]/med[0], "version/hello")
	b.ReportMetric(med[3]/med[0], "creds/hello")

	ms, allocs := initCost(b, h)
	b.ReportMetric(ms, "init-ms")
	b.ReportMetric(allocs, "init-allocs")
}

func runProcess(b *testing.B, c *exec.Cmd) []byte {
	b.Helper()
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	if err := c.Run(); err != nil {
		b.Fatalf("%s: %v\n%s%s", strings.Join(c.Args, " "), err, out.Bytes(), errOut.Bytes())
	}
	return out.Bytes()
}

// buildHello builds the smallest Go program that prints, as `make build`
// builds hopd, linking the packages imports for their initialisation
// alone. With imports it is a module with hopd's go.mod and go.sum, so
// that it links the same versions.
func buildHello(b *testing.B, imports []string) string {
	b.Helper()
	gotool, err := exec.LookPath("go")
	if err != nil {
		testenv.Missing(b, "the go tool", err)
	}
	dir := b.TempDir()
	files := map[string]string{"go.mod": "module hello\n\ngo 1.26\n"}
	var main strings.Builder
	main.WriteString("package main\n\nimport (\n\t\"fmt\"\n")
	for _, p := range imports {
		fmt.Fprintf(&main, "\t_ %q\n", p)
	}
	main.WriteString(")\n\nfunc main() { fmt.Println(\"hello\") }\n")
	files["main.go"] = main.String()
	if len(imports) > 0 {
		root := testenv.RepoRoot(b)
		for _, name := range []string{"go.mod", "go.sum"} {
			data, err := os.ReadFile(filepath.Join(root, name))
			if err != nil {
				b.Fatal(err)
			}
			files[name] = string(data)
		}
		files["go.mod"] = strings.Replace(files["go.mod"], "module github.com/hopd/hopd", "module hello", 1)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "hello")
	cmd := exec.Command(gotool, "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("building the hello-world: %v\n%s", err, out)
	}
	return bin
}

// sdkPackages are the AWS SDK packages in hopd's build that another
// module may import (none of the SDK's internal ones).
func sdkPackages(b *testing.B) []string {
	b.Helper()
	gotool, err := exec.LookPath("go")
	if err != nil {
		testenv.Missing(b, "the go tool", err)
	}
	cmd := exec.Command(gotool, "list", "-deps", "./cmd/hopd")
	cmd.Dir = testenv.RepoRoot(b)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("go list -deps ./cmd/hopd: %v", err)
	}
	var pkgs []string
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/aws/") && !strings.Contains(p, "/internal/") && !strings.HasSuffix(p, "/internal") {
			pkgs = append(pkgs, p)
		}
	}
	if len(pkgs) == 0 {
		b.Fatal("go list -deps ./cmd/hopd lists no AWS SDK package")
	}
	return pkgs
}

// initCost is the median over a few runs of `hopd version` of the summed
// package initialisation: milliseconds and allocations.
func initCost(b *testing.B, h *hopd) (ms, allocs float64) {
	b.Helper()
	var mss, as []float64
	for range 9 {
		c := h.Command("version")
		c.Env = append(slices.Clone(c.Env), "GODEBUG=inittrace=1")
		var errOut bytes.Buffer
		c.Stderr = &errOut
		if err := c.Run(); err != nil {
			b.Fatalf("hopd version: %v\n%s", err, errOut.Bytes())
		}
		var m, a float64
		// "init PKG @T ms, N ms clock, B bytes, A allocs"
		s := bufio.NewScanner(&errOut)
		for s.Scan() {
			f := strings.Fields(s.Text())
			if len(f) != 11 || f[0] != "init" {
				continue
			}
			clock, err1 := strconv.ParseFloat(f[4], 64)
			n, err2 := strconv.ParseFloat(f[9], 64)
			if err1 != nil || err2 != nil {
				b.Fatalf("cannot read the inittrace line %q", s.Text())
			}
			m, a = m+clock, a+n
		}
		mss, as = append(mss, m), append(as, a)
	}
	return medianOf(mss), medianOf(as)
}

func medianOf(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}
