// Command loadgen drives an HTTP endpoint with concurrent keep-alive clients
// and reports requests/s and latency percentiles, next to a trivial net/http
// handler on loopback measured in the same run: the physical floor.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

type target struct {
	Name    string
	URL     string
	Headers map[string]string
}

// Result is one load run against one target at one concurrency.
type Result struct {
	Target      string  `json:"target"`
	Concurrency int     `json:"concurrency"`
	Requests    int     `json:"requests"`
	Errors      int     `json:"errors"`
	RPS         float64 `json:"rps"`
	P50us       float64 `json:"p50_us"`
	P99us       float64 `json:"p99_us"`
	P999us      float64 `json:"p999_us"`
	RatioFloor  float64 `json:"ratio_to_floor,omitempty"`
}

type headerList map[string]string

func (h headerList) String() string { return fmt.Sprint(map[string]string(h)) }
func (h headerList) Set(v string) error {
	k, val, ok := strings.Cut(v, ":")
	if !ok {
		return fmt.Errorf("header %q: want Name: value", v)
	}
	h[strings.TrimSpace(k)] = strings.TrimSpace(val)
	return nil
}

func main() {
	var (
		name     = flag.String("name", "hopd", "name of the target in the report")
		url      = flag.String("url", "", "URL to GET (required)")
		conc     = flag.String("c", "1,16,256", "comma-separated concurrency levels")
		dur      = flag.Duration("d", 5*time.Second, "duration of each run")
		runs     = flag.Int("runs", 3, "runs per level; the median run is reported")
		jsonOut  = flag.String("json", "", "write results as JSON to this file")
		imdsPort = flag.Bool("imds", false, "fetch an IMDSv2 token first and send it")
	)
	headers := headerList{}
	flag.Var(headers, "H", "request header, Name: value (repeatable)")
	flag.Parse()
	if *url == "" {
		fmt.Fprintln(os.Stderr, "loadgen: -url is required")
		os.Exit(2)
	}
	if *imdsPort {
		tok, err := imdsToken(*url)
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(1)
		}
		headers["X-aws-ec2-metadata-token"] = tok
	}
	floorURL, stop := startFloor()
	defer stop()

	var levels []int
	for _, s := range strings.Split(*conc, ",") {
		var n int
		if _, err := fmt.Sscan(s, &n); err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "loadgen: bad concurrency %q\n", s)
			os.Exit(2)
		}
		levels = append(levels, n)
	}
	var results []Result
	fmt.Printf("%-8s %6s %10s %9s %9s %9s %7s %7s\n", "target", "conc", "req/s", "p50", "p99", "p99.9", "errors", "ratio")
	for _, c := range levels {
		floor := median(*runs, func() Result { return run(target{"floor", floorURL, nil}, c, *dur) })
		got := median(*runs, func() Result { return run(target{*name, *url, headers}, c, *dur) })
		got.RatioFloor = got.RPS / floor.RPS
		for _, r := range []Result{floor, got} {
			fmt.Printf("%-8s %6d %10.0f %8.0fµs %8.0fµs %8.0fµs %7d %7.2f\n", r.Target, r.Concurrency, r.RPS, r.P50us, r.P99us, r.P999us, r.Errors, r.RatioFloor)
		}
		results = append(results, floor, got)
	}
	fmt.Printf("(median of %d runs of %s per row; ratio = requests/s against the trivial handler in the same run)\n", *runs, *dur)
	if *jsonOut != "" {
		data, _ := json.MarshalIndent(results, "", "  ")
		if err := os.WriteFile(*jsonOut, data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(1)
		}
	}
}

// startFloor serves a trivial handler on loopback with a body of about the
// size of a credentials answer.
func startFloor() (string, func()) {
	body := []byte(`{"AccessKeyId":"ASIAXXXXXXXXXXXXXXXX","SecretAccessKey":"` + strings.Repeat("x", 40) + `","Token":"` + strings.Repeat("t", 400) + `","Expiration":"2030-01-01T00:00:00Z","AccountId":"222222222222"}`)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + "/creds/x", func() { srv.Close() }
}

func median(n int, f func() Result) Result {
	rs := make([]Result, n)
	for i := range rs {
		rs[i] = f()
	}
	slices.SortFunc(rs, func(a, b Result) int { return int(a.RPS - b.RPS) })
	return rs[n/2]
}

func run(t target, conc int, d time.Duration) Result {
	tr := &http.Transport{MaxIdleConns: conc, MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 4096)
			localErrs := 0
			for ctx.Err() == nil {
				req, _ := http.NewRequest(http.MethodGet, t.URL, nil)
				for k, v := range t.Headers {
					req.Header.Set(k, v)
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					localErrs++
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					localErrs++
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, local...)
			errs += localErrs
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds())
	}
	return Result{
		Target: t.Name, Concurrency: conc, Requests: len(lat), Errors: errs,
		RPS: float64(len(lat)) / elapsed.Seconds(), P50us: pct(0.50), P99us: pct(0.99), P999us: pct(0.999),
	}
}

func imdsToken(credsURL string) (string, error) {
	i := strings.Index(credsURL, "/latest/")
	if i < 0 {
		return "", fmt.Errorf("-imds needs an IMDS URL (…/latest/meta-data/…)")
	}
	req, _ := http.NewRequest(http.MethodPut, credsURL[:i]+"/latest/api/token", nil)
	req.Header.Set("X-aws-ec2-metadata-token-ttl-seconds", "21600")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("IMDS token: %s", resp.Status)
	}
	return string(b), nil
}
