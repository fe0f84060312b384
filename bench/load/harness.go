package load

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Bench measures c with Go's benchmark harness: b.N requests in a closed
// loop, after Warm, reported with Report. The harness calls a benchmark
// several times with a growing b.N; keep c across the calls so the
// connections stay open.
func Bench(b *testing.B, c *Clients) Stats {
	b.Helper()
	if err := c.Warm(); err != nil {
		b.Fatalf("warming %d clients up: %v", c.n, err)
	}
	b.ResetTimer()
	s := c.Run(b.N)
	b.StopTimer()
	Report(b, s)
	return s
}

// BenchPaced is Bench with b.N requests paced at rate per second in all.
func BenchPaced(b *testing.B, c *Clients, rate float64) Stats {
	b.Helper()
	if err := c.Warm(); err != nil {
		b.Fatalf("warming %d clients up: %v", c.n, err)
	}
	b.ResetTimer()
	s := c.Paced(b.N, rate)
	b.StopTimer()
	Report(b, s)
	return s
}

// Report adds s to b's results: req/s, the latency percentiles in
// microseconds, and the errors. A run with errors is logged with the
// first one: a benchmark of failures measures nothing.
func Report(b *testing.B, s Stats) {
	b.Helper()
	b.ReportMetric(s.RPS(), "req/s")
	b.ReportMetric(us(s.Percentile(0.50)), "p50-us")
	b.ReportMetric(us(s.Percentile(0.99)), "p99-us")
	b.ReportMetric(us(s.Percentile(0.999)), "p99.9-us")
	b.ReportMetric(float64(s.Errors), "errors")
	if s.Errors > 0 {
		b.Logf("%d of %d requests failed, the first with: %s", s.Errors, s.Errors+s.Requests, s.FirstErr)
	}
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// IMDSToken gets an IMDSv2 session token from the IMDS at base
// (http://127.0.0.1:PORT), valid for six hours.
func IMDSToken(base string) (string, error) {
	req, err := http.NewRequest(http.MethodPut, strings.TrimSuffix(base, "/")+"/latest/api/token", nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("X-aws-ec2-metadata-token-ttl-seconds", "21600")
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("getting an IMDS token from %s: %w", base, err)
	}
	defer resp.Body.Close()
	tok, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("getting an IMDS token from %s: %w", base, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("getting an IMDS token from %s: status %d: %s", base, resp.StatusCode, tok)
	}
	return string(tok), nil
}
