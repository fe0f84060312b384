package bench

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hopd/hopd/bench/load"
)

// pacedRate is the load of the paced runs: 256 clients asking 10 times a
// second each, far more than SDKs ask, but a load the machine can carry,
// so that latency is the server's and not a queue's.
const pacedRate = 2560

// BenchmarkServing measures cached credentials served over ECS and IMDS by
// 1, 16 and 256 keep-alive clients, each next to the floor: a trivial
// net/http handler serving the same bytes, measured in the same run.
// "closed": each client asks again as soon as it is answered, so the
// machine is saturated; at 256 clients latency is then mostly queueing
// (256 / requests per second), for the floor as for hopd. "paced": 256
// clients at pacedRate in all, latency counted from when each request was
// due.
func BenchmarkServing(b *testing.B) {
	h := startHopd(b, []acct{{name: "production", id: "222222222222", imds: true}})
	body := h.served("production")
	floorURL, stop, err := load.Floor(body)
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	targets := []load.Target{{Name: "floor", URL: floorURL}, h.ecs("production"), h.imds("production")}
	check := &http.Client{Timeout: 5 * time.Second}
	for _, t := range targets {
		if status, _, err := get(check, t); status != http.StatusOK {
			b.Fatalf("%s answers %d (%v) before the load", t.Name, status, err)
		}
	}
	for _, n := range []int{1, 16, 256} {
		for _, t := range targets {
			clients := load.NewClients(t, n)
			b.Run(fmt.Sprintf("closed/clients=%d/%s", n, t.Name), func(b *testing.B) { load.Bench(b, clients) })
			clients.Close()
		}
	}
	for _, t := range targets {
		clients := load.NewClients(t, 256)
		b.Run(fmt.Sprintf("paced/clients=256/%s", t.Name), func(b *testing.B) { load.BenchPaced(b, clients, pacedRate) })
		clients.Close()
	}
}
