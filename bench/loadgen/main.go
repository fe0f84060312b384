// Command loadgen drives an HTTP endpoint with concurrent keep-alive clients
// and reports requests/s and latency percentiles next to a trivial net/http
// handler on loopback measured in the same run: the floor.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hopd/hopd/bench/load"
)

const usage = `Usage: loadgen -url URL [flags]

Sends GET URL from concurrent keep-alive clients and prints requests/s,
p50/p99/p99.9 latency and errors per concurrency level, each next to a
trivial net/http handler serving the same body on loopback in a process of
its own (the floor), measured in the same run, and the ratio of the two. Every figure is
the median of -runs runs. make bench runs the full suite (bench/); this
is for trying one endpoint by hand, for example hopd's ECS endpoint:

  loadgen -url http://127.0.0.1:9911/creds/production \
    -H "Authorization: $(cat ~/.local/state/hopd/token)"

or an account's IMDS listener (-imds fetches the IMDSv2 token first):

  loadgen -imds -url http://127.0.0.1:9921/latest/meta-data/iam/security-credentials/OrganizationAccountAccessRole

Flags:
`

// row is one target at one concurrency, as printed and written with -json.
type row struct {
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

type headerFlag http.Header

func (h headerFlag) String() string { return "" }
func (h headerFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("header %q: write it as 'Name: value'", v)
	}
	http.Header(h).Add(strings.TrimSpace(k), strings.TrimSpace(val))
	return nil
}

func main() {
	load.ServeFloorIfAsked()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen: "+err.Error())
		os.Exit(2)
	}
}

func run() error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	var (
		name    = fs.String("name", "target", "the target's name in the report")
		url     = fs.String("url", "", "the URL to GET (required)")
		levels  = fs.String("c", "1,16,256", "comma-separated numbers of concurrent clients")
		dur     = fs.Duration("d", 3*time.Second, "how long each run lasts")
		runs    = fs.Int("runs", 3, "runs per level and target; the median is reported")
		jsonOut = fs.String("json", "", "also write the rows as JSON to this file")
		imds    = fs.Bool("imds", false, "get an IMDSv2 token from the URL's host first and send it")
	)
	header := http.Header{}
	fs.Var(headerFlag(header), "H", "a request header, 'Name: value' (repeatable)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		return errors.New("bad flags: see loadgen -h")
	}
	if *url == "" {
		return errors.New("-url is required: see loadgen -h")
	}
	if *runs < 1 || *dur <= 0 {
		return errors.New("-runs and -d must be positive")
	}
	conc, err := parseLevels(*levels)
	if err != nil {
		return err
	}
	if *imds {
		base, _, ok := strings.Cut(*url, "/latest/")
		if !ok {
			return errors.New("-imds needs an IMDS URL such as http://127.0.0.1:9921/latest/meta-data/iam/security-credentials/ROLE")
		}
		tok, err := load.IMDSToken(base)
		if err != nil {
			return err
		}
		header.Set("X-aws-ec2-metadata-token", tok)
	}
	target := load.Target{Name: *name, URL: *url, Header: header}
	body, err := sample(target)
	if err != nil {
		return err
	}
	f, err := load.StartFloor(body)
	if err != nil {
		return err
	}
	defer f.Close()
	floor := load.Target{Name: "floor", URL: f.URL}

	var rows []row
	fmt.Printf("%-10s %6s %10s %9s %9s %9s %7s %6s\n", "target", "conc", "req/s", "p50", "p99", "p99.9", "errors", "ratio")
	for _, c := range conc {
		f := measure(floor, c, *dur, *runs)
		g := measure(target, c, *dur, *runs)
		g.RatioFloor = g.RPS / f.RPS
		for _, r := range []row{f, g} {
			ratio := ""
			if r.RatioFloor > 0 {
				ratio = fmt.Sprintf("%.2f", r.RatioFloor)
			}
			fmt.Printf("%-10s %6d %10.0f %7.0fµs %7.0fµs %7.0fµs %7d %6s\n", r.Target, r.Concurrency, r.RPS, r.P50us, r.P99us, r.P999us, r.Errors, ratio)
		}
		rows = append(rows, f, g)
	}
	fmt.Printf("(each row: the median of %d runs of %s; ratio: requests/s against the floor in the same run)\n", *runs, *dur)
	if *jsonOut != "" {
		data, _ := json.MarshalIndent(rows, "", "  ")
		if err := os.WriteFile(*jsonOut, append(data, '\n'), 0o644); err != nil {
			return fmt.Errorf("writing -json: %w", err)
		}
	}
	return nil
}

func parseLevels(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-c %q: want comma-separated positive numbers such as 1,16,256", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// sample fetches the target once, so that the floor serves as many bytes.
func sample(t load.Target) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, t.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("-url %q: %w", t.URL, err)
	}
	req.Header = t.Header.Clone()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the target: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the target's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the target answers %d, not 200: check the URL and headers (-H)", resp.StatusCode)
	}
	return body, nil
}

// measure runs the target runs times and returns the median of each figure.
func measure(t load.Target, conc int, d time.Duration, runs int) row {
	c := load.NewClients(t, conc)
	defer c.Close()
	_ = c.Warm()
	var rs []row
	for range runs {
		s := c.RunFor(d)
		rs = append(rs, row{
			Target: t.Name, Concurrency: conc, Requests: s.Requests, Errors: s.Errors, RPS: s.RPS(),
			P50us: us(s.Percentile(0.5)), P99us: us(s.Percentile(0.99)), P999us: us(s.Percentile(0.999)),
		})
	}
	med := func(f func(row) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return row{
		Target: t.Name, Concurrency: conc,
		Requests: int(med(func(r row) float64 { return float64(r.Requests) })),
		Errors:   int(med(func(r row) float64 { return float64(r.Errors) })),
		RPS:      med(func(r row) float64 { return r.RPS }),
		P50us:    med(func(r row) float64 { return r.P50us }),
		P99us:    med(func(r row) float64 { return r.P99us }),
		P999us:   med(func(r row) float64 { return r.P999us }),
	}
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
