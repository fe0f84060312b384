// Package load drives an HTTP endpoint with a fixed set of keep-alive clients and measures requests/s and latency percentiles.
package load

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Target is what the clients ask for: a GET of URL with Header.
type Target struct {
	Name   string
	URL    string
	Header http.Header
}

// Stats is the outcome of one measurement.
type Stats struct {
	Requests  int
	Errors    int // transport errors and answers other than 200
	FirstErr  string
	Elapsed   time.Duration
	latencies []time.Duration // sorted
}

// RPS is the requests answered per second.
func (s Stats) RPS() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Requests) / s.Elapsed.Seconds()
}

// Percentile returns the latency that the fraction p (0..1) of requests
// did not exceed.
func (s Stats) Percentile(p float64) time.Duration {
	if len(s.latencies) == 0 {
		return 0
	}
	i := int(p * float64(len(s.latencies)))
	return s.latencies[min(i, len(s.latencies)-1)]
}

// Clients are n keep-alive HTTP clients of one target, each with its own
// connection, as n SDK clients in n programs would have.
type Clients struct {
	target Target
	n      int
	tr     *http.Transport
	client *http.Client
}

// NewClients makes n clients of t. Close them when done.
func NewClients(t Target, n int) *Clients {
	tr := &http.Transport{
		MaxIdleConns:        n,
		MaxIdleConnsPerHost: n,
		MaxConnsPerHost:     n,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	return &Clients{target: t, n: n, tr: tr, client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// N is the number of clients.
func (c *Clients) N() int { return c.n }

// Close closes the clients' connections.
func (c *Clients) Close() { c.tr.CloseIdleConnections() }

// Warm makes one request from every client at once, so that all n
// connections are open before a measurement: what is measured is serving,
// not TCP handshakes. It returns the first failure.
func (c *Clients) Warm() error {
	errs := make(chan error, c.n)
	var wg sync.WaitGroup
	for range c.n {
		wg.Go(func() {
			if err := c.once(c.request()); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func (c *Clients) request() *http.Request {
	req, err := http.NewRequest(http.MethodGet, c.target.URL, nil)
	if err != nil {
		panic(fmt.Sprintf("load: bad target URL %q: %v", c.target.URL, err))
	}
	req.Header = c.target.Header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	return req
}

// once makes one request and reads the answer in full.
func (c *Clients) once(req *http.Request) error {
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: status %d", c.target.Name, resp.StatusCode)
	}
	return nil
}

// Run sends total requests, each client sending its next as soon as its
// last is answered (a closed loop: the load is as high as the server
// allows).
func (c *Clients) Run(total int) Stats {
	var next atomic.Int64
	return c.run(context.Background(), func(context.Context) (time.Time, bool) {
		return time.Time{}, next.Add(1) <= int64(total)
	})
}

// RunFor is Run for a duration instead of a number of requests.
func (c *Clients) RunFor(d time.Duration) Stats {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return c.run(ctx, func(ctx context.Context) (time.Time, bool) {
		return time.Time{}, ctx.Err() == nil
	})
}

// Paced sends total requests at rate requests per second in all, spread
// over the clients (an open loop: the load is fixed, as from programs
// that ask when they need to). Latency counts from when a request was due,
// so a server that falls behind is charged for the wait.
func (c *Clients) Paced(total int, rate float64) Stats {
	var next atomic.Int64
	start := time.Now().Add(10 * time.Millisecond)
	interval := time.Duration(float64(time.Second) / rate)
	return c.run(context.Background(), func(context.Context) (time.Time, bool) {
		i := next.Add(1) - 1
		if i >= int64(total) {
			return time.Time{}, false
		}
		due := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(due))
		return due, true
	})
}

// run is the measurement loop. take returns when the next request is due
// (zero: now) and whether there is one.
func (c *Clients) run(ctx context.Context, take func(context.Context) (time.Time, bool)) Stats {
	var (
		mu    sync.Mutex
		all   []time.Duration
		errs  int
		first string
		wg    sync.WaitGroup
	)
	start := time.Now()
	for range c.n {
		wg.Go(func() {
			req := c.request()
			local := make([]time.Duration, 0, 1024)
			localErrs, localFirst := 0, ""
			for {
				due, ok := take(ctx)
				if !ok {
					break
				}
				t0 := time.Now()
				if !due.IsZero() {
					t0 = due
				}
				if err := c.once(req); err != nil {
					if localErrs++; localFirst == "" {
						localFirst = err.Error()
					}
					continue
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			all = append(all, local...)
			errs += localErrs
			if first == "" {
				first = localFirst
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(all)
	return Stats{Requests: len(all), Errors: errs, FirstErr: first, Elapsed: elapsed, latencies: all}
}
