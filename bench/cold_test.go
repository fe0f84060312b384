package bench

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"
)

// coldPool is how many accounts BenchmarkColdPath can ask for once each:
// enough for -benchtime 40x -count 5.
const coldPool = 400

// BenchmarkColdPath measures the first request for an account, which
// costs hopd one AssumeRole (the user's session exists already), and next
// to it that AssumeRole alone: the Go SDK calling moto through the same
// counting proxy hopd goes through. The difference is what hopd adds to
// the cold path.
func BenchmarkColdPath(b *testing.B) {
	accounts := numbered(coldPool, 0)
	h := startHopd(b, accounts)
	h.served(accounts[0].name)
	next := 1

	b.Run("hopd-first-request", func(b *testing.B) {
		c := &http.Client{Timeout: 10 * time.Second}
		before := h.proxy.Count("AssumeRole")
		lat := make([]time.Duration, 0, b.N)
		errs := 0
		for b.Loop() {
			if next >= len(accounts) {
				b.Fatalf("all %d cold accounts are used up: run fewer iterations (-benchtime 40x)", len(accounts))
			}
			t0 := time.Now()
			status, _, err := get(c, h.ecs(accounts[next].name))
			lat = append(lat, time.Since(t0))
			if err != nil || status != http.StatusOK {
				errs++
			}
			next++
		}
		reportLatency(b, lat, errs)
		b.ReportMetric(float64(h.proxy.Count("AssumeRole")-before)/float64(b.N), "assume-role/op")
	})

	b.Run("moto-assume-role", func(b *testing.B) {
		c := stsClient(h.proxy.URL)
		ctx := context.Background()
		lat := make([]time.Duration, 0, b.N)
		errs, i := 0, 0
		for b.Loop() {
			t0 := time.Now()
			_, err := assumeRole(ctx, c, accounts[i%len(accounts)].id)
			lat = append(lat, time.Since(t0))
			if err != nil {
				errs++
			}
			i++
		}
		reportLatency(b, lat, errs)
	})
}

// reportLatency reports the median and 90th percentile of lat in
// milliseconds, and the errors.
func reportLatency(b *testing.B, lat []time.Duration, errs int) {
	slices.Sort(lat)
	ms := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(int(p*float64(len(lat))), len(lat)-1)]) / float64(time.Millisecond)
	}
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.9), "p90-ms")
	b.ReportMetric(float64(errs), "errors")
}
