package bench

import (
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/hopd/hopd/bench/load"
)

// pacedRate is the load of the paced runs: 256 clients asking 10 times a
// second each, far more than SDKs ask, but a load the machine can carry,
// so that latency is the server's and not a queue's.
const pacedRate = 2560

// BenchmarkServing measures cached credentials served over ECS and IMDS by
// 1, 16, 64 and 256 keep-alive clients, each next to the floor: a trivial
// net/http handler serving the same bytes, measured in the same run.
// "closed": each client asks again as soon as it is answered, so the
// machine is saturated; at 256 clients latency is then mostly queueing
// (256 / requests per second), for the floor as for hopd. "paced": 256
// clients at pacedRate in all, latency counted from when each request was
// due. Each closed row also reports the server's resident memory at its
// end, its clients' connections still open: what a burst of clients leaves
// the process holding, next to the floor's under the same load.
func BenchmarkServing(b *testing.B) {
	h := startHopd(b, []acct{{name: "production", id: "222222222222", imds: true}})
	body := h.served("production")
	floor, err := load.StartFloor(body)
	if err != nil {
		b.Fatal(err)
	}
	defer floor.Close()
	targets := []load.Target{{Name: "floor", URL: floor.URL}, h.ecs("production"), h.imds("production")}
	pids := map[string]int{"floor": floor.PID, "ecs": h.PID(), "imds": h.PID()}
	check := &http.Client{Timeout: 5 * time.Second}
	for _, t := range targets {
		if status, _, err := get(check, t); status != http.StatusOK {
			b.Fatalf("%s answers %d (%v) before the load", t.Name, status, err)
		}
	}
	// Rounds of floor, ECS, IMDS one after the other, rather than go test
	// -count, which would run each of them its count of times in a row: a
	// machine whose load changes then favours one over the other. Go names
	// the rounds' results NAME#01, NAME#02, ...; bench/report folds them.
	for range rounds(b) {
		for _, n := range []int{1, 16, 64, 256} {
			for _, t := range targets {
				clients := load.NewClients(t, n)
				b.Run(fmt.Sprintf("closed/clients=%d/%s", n, t.Name), func(b *testing.B) {
					cpuPerRequest(b, pids[t.Name], func() load.Stats { return load.Bench(b, clients) })
					reportRSS(b, pids[t.Name])
				})
				clients.Close()
			}
		}
		for _, t := range targets {
			clients := load.NewClients(t, 256)
			b.Run(fmt.Sprintf("paced/clients=256/%s", t.Name), func(b *testing.B) {
				cpuPerRequest(b, pids[t.Name], func() load.Stats { return load.BenchPaced(b, clients, pacedRate) })
			})
			clients.Close()
		}
	}
}

// rounds is HOPD_BENCH_ROUNDS, default 1.
func rounds(b *testing.B) int {
	v := os.Getenv("HOPD_BENCH_ROUNDS")
	if v == "" {
		return 1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("HOPD_BENCH_ROUNDS=%q: want a positive number", v)
	}
	return n
}

// reportRSS reports the resident memory of the process pid, on Linux.
func reportRSS(b *testing.B, pid int) {
	if runtime.GOOS == "linux" {
		b.ReportMetric(float64(statusKB(b, pid, "VmRSS"))/1024, "server-rss-MiB")
	}
}

// cpuPerRequest runs measure and, on Linux, reports the CPU time the
// server process (hopd or the floor) spent per request: its cost, whatever
// the load generator next to it on the same cores does.
func cpuPerRequest(b *testing.B, pid int, measure func() load.Stats) {
	if runtime.GOOS != "linux" {
		measure()
		return
	}
	before := cpuTime(b, pid)
	s := measure()
	if n := s.Requests + s.Errors; n > 0 {
		b.ReportMetric(float64(cpuTime(b, pid)-before)/float64(time.Microsecond)/float64(n), "server-cpu-us/req")
	}
}
