package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hopd/hopd/bench/load"
	"github.com/hopd/hopd/internal/testenv"
)

// BenchmarkIdle measures two daemons left alone after use, side by side:
// one with 3 accounts (each with an IMDS listener), one with 500, all of
// whose credentials were fetched first. It reports each one's resident
// memory at the end and the CPU time it used over the idle period (60 s,
// or HOPD_BENCH_IDLE), per minute.
func BenchmarkIdle(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("reads /proc")
	}
	idle := time.Minute
	if v := os.Getenv("HOPD_BENCH_IDLE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			b.Fatalf("HOPD_BENCH_IDLE=%q: want a duration such as 60s", v)
		}
		idle = d
	}
	daemons := map[int]*hopd{3: startHopd(b, numbered(3, 3)), 500: startHopd(b, numbered(500, 0))}
	var wg sync.WaitGroup
	for _, h := range daemons {
		wg.Go(func() { fetchAll(b, h) })
	}
	wg.Wait()
	if b.Failed() {
		return
	}
	http.DefaultClient.CloseIdleConnections()
	time.Sleep(5 * time.Second) // connections close, the last log lines are written
	cpu0 := map[int]time.Duration{}
	for n, h := range daemons {
		cpu0[n] = cpuTime(b, h.PID())
	}
	time.Sleep(idle)
	for _, n := range []int{3, 500} {
		pid := daemons[n].PID()
		used := cpuTime(b, pid) - cpu0[n]
		b.ReportMetric(float64(statusKB(b, pid, "VmRSS"))/1024, fmt.Sprintf("rss-MiB-%d", n))
		b.ReportMetric(float64(used)/float64(time.Millisecond)/idle.Minutes(), fmt.Sprintf("cpu-ms/min-%d", n))
	}
}

// fetchAll has hopd fetch credentials for all of its accounts, 16 at a
// time, and serve them over IMDS too where an account has a listener.
func fetchAll(b *testing.B, h *hopd) {
	names := make(chan acct)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for a := range names {
				if _, err := h.tryServed(a.name); err != nil {
					b.Error(err)
					continue
				}
				if a.imds {
					base := "http://127.0.0.1:" + strconv.Itoa(h.ports[a.name])
					tok, err := load.IMDSToken(base)
					if err != nil {
						b.Error(err)
						continue
					}
					t := load.Target{URL: base + "/latest/meta-data/iam/security-credentials/" + role, Header: http.Header{"X-Aws-Ec2-Metadata-Token": {tok}}}
					if status, _, err := get(http.DefaultClient, t); status != http.StatusOK {
						b.Errorf("IMDS of %s: %d %v", a.name, status, err)
					}
				}
			}
		})
	}
	for _, a := range h.accounts {
		names <- a
	}
	close(names)
	wg.Wait()
}

// cpuTime is the CPU time the process's threads have used: the sum of the
// first field of /proc/PID/task/*/schedstat (nanoseconds), which unlike
// /proc/PID/stat is not rounded to clock ticks.
func cpuTime(b *testing.B, pid int) time.Duration {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		testenv.Missing(b, "/proc/PID/task/*/schedstat (a Linux kernel with schedstats)", err)
	}
	var total time.Duration
	for _, t := range tasks {
		data, err := os.ReadFile(t)
		if err != nil {
			continue // a thread that just exited
		}
		f := strings.Fields(string(data))
		if len(f) > 0 {
			ns, _ := strconv.ParseInt(f[0], 10, 64)
			total += time.Duration(ns)
		}
	}
	return total
}

// statusKB reads a "Name:   123 kB" line of /proc/PID/status.
func statusKB(b *testing.B, pid int, name string) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), name+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	b.Fatalf("/proc/%d/status has no %s", pid, name)
	return 0
}
