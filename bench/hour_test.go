package bench

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// simulated is how much time BenchmarkSTSCallsPerHour simulates, and step
// how far it moves the clock at a time, every tick.
const (
	simulated = 3 * time.Hour
	step      = 30 * time.Second
	tick      = 100 * time.Millisecond
)

// BenchmarkSTSCallsPerHour counts the AssumeRole calls hopd makes per
// account per hour while clients ask for 3 accounts all the time (a
// request every millisecond or so, up to 256 at a time), at
// the STS side (the counting proxy). Three hours are simulated in seconds
// with hopd's test clock (HOPD_TEST_CLOCK_OFFSET_FILE), moved 30 s every
// 100 ms; STS lives on the same clock (the proxy shifts the expiry it
// gives by the same offset). The floor allows no fewer than 2 calls per
// hour: one-hour credentials must be replaced before they get under 30
// minutes. The rate is the calls over the simulated time of the last one,
// not of the whole run: refreshes come every P minutes, and a run that
// ends partway through a period would otherwise count fewer than its
// share (6 calls in 3 hours read 2.00 an hour for a period of 28 minutes,
// 2.14). It also checks, for every answer, that no credentials under the
// floor or expired were served, and counts calls per refresh.
func BenchmarkSTSCallsPerHour(b *testing.B) {
	clockFile := filepath.Join(b.TempDir(), "clock")
	var offset atomic.Int64
	setClock := func(d time.Duration) {
		tmp := clockFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(d.String()), 0o600); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(tmp, clockFile); err != nil {
			b.Fatal(err)
		}
		offset.Store(int64(d))
	}
	setClock(0)
	accounts := numbered(3, 0)
	h := startHopd(b, accounts, "HOPD_TEST_CLOCK_OFFSET_FILE="+clockFile)
	var lastCall atomic.Int64 // the simulated time of the last STS call
	h.proxy.SetExpiry(func(e time.Time) time.Time {
		lastCall.Store(offset.Load())
		return e.Add(time.Duration(offset.Load()))
	})
	for _, a := range accounts {
		h.served(a.name)
	}
	h.proxy.Reset()
	before := h.refreshes()

	var requests, failed, expired, underFloor atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
		sem := make(chan struct{}, 256)
		for i := 0; ; i++ {
			select {
			case <-stop:
				for range cap(sem) {
					sem <- struct{}{}
				}
				return
			case sem <- struct{}{}:
			}
			t := h.ecs(accounts[i%len(accounts)].name)
			go func() {
				defer func() { <-sem }()
				status, body, err := get(c, t)
				requests.Add(1)
				if err != nil || status != http.StatusOK {
					failed.Add(1)
					return
				}
				var cr struct{ Expiration time.Time }
				if json.Unmarshal(body, &cr) != nil {
					failed.Add(1)
					return
				}
				// The daemon's clock may lag ours by a step.
				switch left := cr.Expiration.Sub(time.Now().Add(time.Duration(offset.Load()))); {
				case left <= 0:
					expired.Add(1)
				case left < floor-2*step:
					underFloor.Add(1)
				}
			}()
			time.Sleep(time.Millisecond)
		}
	}()
	for sim := step; sim <= simulated; sim += step {
		setClock(sim)
		time.Sleep(tick)
	}
	time.Sleep(time.Second) // the last refresh's call lands
	close(stop)
	<-done

	calls := h.proxy.Count("AssumeRole")
	refreshes := h.refreshes() - before
	hours := time.Duration(lastCall.Load()).Hours()
	if calls == 0 || hours == 0 {
		b.Fatalf("hopd made no AssumeRole call in %s simulated under load", simulated)
	}
	b.ReportMetric(float64(calls)/float64(len(accounts))/hours, "assume-role/account/h")
	b.ReportMetric(60/(60-floor.Minutes()), "floor-minimum/account/h")
	if refreshes > 0 {
		b.ReportMetric(float64(calls)/float64(refreshes), "assume-role/refresh")
	}
	b.ReportMetric(float64(requests.Load()), "requests")
	b.ReportMetric(float64(requests.Load())/(simulated/step*tick).Seconds(), "req/s")
	b.ReportMetric(float64(failed.Load()), "errors")
	b.ReportMetric(float64(expired.Load()), "expired-served")
	b.ReportMetric(float64(underFloor.Load()), "under-floor-served")
	if expired.Load()+underFloor.Load() > 0 {
		b.Errorf("hopd served %d expired credentials and %d under the floor", expired.Load(), underFloor.Load())
	}
}
