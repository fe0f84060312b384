package e2e_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/testenv"
)

// 10,000 requests with random methods, paths, headers and bodies, and some
// that are not HTTP at all, against the main listener and every IMDS
// listener. hopd must answer each (or close the connection) without a 500,
// never panic, and afterwards be back where it was: goroutines, open files
// and memory at their baseline.
func TestFaultRandomRequests(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, options{})
	w := watchDaemon(t, d, nil)
	d.waitECS("production")
	token := d.Token()
	pid := d.PID()

	// Warm up with valid requests, so pools and caches are at their
	// steady size before the baseline is taken.
	for range 200 {
		w.mustECS("production")
		if _, status := w.imds("production"); status != http.StatusOK {
			t.Fatalf("IMDS while warming up: %d", status)
		}
	}
	httpClient.CloseIdleConnections()
	base := settle(t, d, pid, usage{})
	t.Logf("baseline: %s", base)

	const total, workers = 10000, 16
	var next atomic.Int64
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for i := range workers {
		seed := uint64(time.Now().UnixNano()) + uint64(i)
		wg.Go(func() {
			g := &requestGen{rnd: rand.New(rand.NewPCG(seed, 7)), d: d, token: token}
			tr := &http.Transport{MaxIdleConnsPerHost: 2, DisableCompression: true}
			defer tr.CloseIdleConnections()
			hc := &http.Client{Transport: tr, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			for next.Add(1) <= total {
				status := g.one(t, hc, w)
				mu.Lock()
				statuses[status]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	t.Logf("answers by status (0: connection closed without an HTTP answer): %v", statuses)
	if statuses[http.StatusInternalServerError] > 0 {
		t.Errorf("%d random requests got 500 Internal Server Error", statuses[http.StatusInternalServerError])
	}
	select {
	case <-d.Done():
		t.Fatalf("hopd died during the random requests: %v", d.Wait())
	default:
	}
	if strings.Contains(d.Log(), "panic") {
		t.Errorf("hopd's log mentions a panic")
	}
	w.mustECS("production")
	httpClient.CloseIdleConnections()
	after := settle(t, d, pid, base)
	t.Logf("after %d random requests: %s", total, after)
}

// usage is what a leak would grow.
type usage struct {
	goroutines, files int
	rssKB             int
}

func (u usage) String() string {
	return fmt.Sprintf("%d goroutines, %d open files, %d kB resident", u.goroutines, u.files, u.rssKB)
}

// settle waits until the daemon is idle and returns its usage; with a
// baseline, it waits (up to 20 s) for the usage to come back to it and
// fails the test if it does not. Memory gets a margin: Go returns freed
// memory to the system over minutes.
func settle(t *testing.T, d *daemon, pid int, base usage) usage {
	t.Helper()
	read := func() usage {
		u := usage{goroutines: d.faultStatus().Daemon.Goroutines}
		if runtime.GOOS == "linux" {
			fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
			u.files = len(fds)
			u.rssKB = procStatusKB(pid, "VmRSS")
		}
		return u
	}
	if base == (usage{}) {
		time.Sleep(500 * time.Millisecond)
		return read()
	}
	var u usage
	if !testenv.Poll(20*time.Second, func() bool {
		u = read()
		return u.goroutines <= base.goroutines+2 && u.files <= base.files+2 && u.rssKB <= base.rssKB+16<<10
	}) {
		t.Errorf("20 s after the random requests hopd is at %s; its baseline was %s", u, base)
	}
	return u
}

// procStatusKB reads a "Name:   123 kB" line of /proc/PID/status.
func procStatusKB(pid int, name string) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), name+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	return 0
}

// requestGen makes random requests for one worker.
type requestGen struct {
	rnd   *rand.Rand
	d     *daemon
	token string
	imds  map[string]string // listener host:port -> an IMDSv2 token for it
}

// authorize makes a third of the requests pass the checks at the door (the
// token, the IMDSv2 token, no browser headers), so that random paths and
// methods reach the handlers behind them.
func (g *requestGen) authorize(t *testing.T, req *http.Request) {
	if req.URL.Host == g.d.Listen {
		req.Header.Set("Authorization", g.token)
		return
	}
	if g.imds == nil {
		g.imds = map[string]string{}
	}
	tok, ok := g.imds[req.URL.Host]
	if !ok {
		r := do(t, httpClient, newRequest(t, "PUT", "http://"+req.URL.Host+"/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "21600"}))
		tok = string(r.body)
		g.imds[req.URL.Host] = tok
	}
	req.Header.Set("X-aws-ec2-metadata-token", tok)
}

var (
	randMethods  = []string{"GET", "GET", "GET", "PUT", "PUT", "POST", "HEAD", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "G3T"}
	randSegments = []string{
		"creds", "creds", "production", "staging", "latest", "latest", "meta-data", "iam", "security-credentials",
		"OrganizationAccountAccessRole", "api", "token", "dynamic", "instance-identity", "document", "placement",
		"region", "availability-zone", "v1", "v1", "status", "accounts", "mfa", "reload", "", ".", "..", "%2e%2e",
		"%00", "%ff", "%2F", "é", "Production", "-x", "a_b", "?x=1", "#frag",
	}
	randHeaders = []string{
		"Authorization", "X-aws-ec2-metadata-token", "X-aws-ec2-metadata-token-ttl-seconds", "Origin",
		"Sec-Fetch-Site", "Sec-Fetch-Mode", "X-Forwarded-For", "Content-Type", "Cookie", "Accept", "X-Random",
	}
)

func (g *requestGen) pick(list []string) string { return list[g.rnd.IntN(len(list))] }

func (g *requestGen) junk(max int) string {
	b := make([]byte, g.rnd.IntN(max+1))
	for i := range b {
		b[i] = byte(g.rnd.IntN(256))
	}
	return string(b)
}

// base is one of the daemon's listeners, as host:port.
func (g *requestGen) base() string {
	if g.rnd.IntN(2) == 0 {
		return g.d.Listen
	}
	a := g.d.accounts[g.rnd.IntN(len(g.d.accounts))]
	return "127.0.0.1:" + strconv.Itoa(g.d.ports[a.Name])
}

func (g *requestGen) path() string {
	var b strings.Builder
	if g.rnd.IntN(8) == 0 {
		b.WriteString("/")
	}
	for range 1 + g.rnd.IntN(5) {
		b.WriteString("/")
		switch g.rnd.IntN(12) {
		case 0:
			b.WriteString(strings.Repeat("x", g.rnd.IntN(3000)))
		case 1:
			fmt.Fprintf(&b, "%x", g.rnd.Uint64())
		default:
			b.WriteString(g.pick(randSegments))
		}
	}
	return b.String()
}

func (g *requestGen) value(name string) string {
	switch g.rnd.IntN(4) {
	case 0:
		if name == "Authorization" {
			return g.token
		}
		return strconv.Itoa(g.rnd.IntN(30000) - 100)
	case 1:
		return strings.Repeat("A", g.rnd.IntN(8000))
	case 2:
		return "http://evil.example"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r > 0x7e {
			return 'x'
		}
		return r
	}, g.junk(64))
}

// one sends one random request and returns the answer's status, 0 when
// there was no HTTP answer.
func (g *requestGen) one(t *testing.T, hc *http.Client, w *watch) int {
	if g.rnd.IntN(7) == 0 {
		g.raw(t)
		return 0
	}
	var body io.Reader
	if g.rnd.IntN(3) == 0 {
		body = strings.NewReader(g.pick([]string{`{"code":"123456"}`, `{"user":"x","code":"000000"}`, `{}`, `[`, g.junk(2048)}))
	}
	url := "http://" + g.base() + g.path()
	req, err := http.NewRequest(g.pick(randMethods), url, body)
	if err != nil {
		return 0 // a path Go itself refuses to send
	}
	if g.rnd.IntN(3) == 0 {
		g.authorize(t, req)
	} else {
		for range g.rnd.IntN(6) {
			name := g.pick(randHeaders)
			req.Header.Set(name, g.value(name))
		}
		switch g.rnd.IntN(6) {
		case 0:
			req.Host = "evil.example"
		case 1:
			req.Host = "localhost:" + req.URL.Port()
		}
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	w.record(req.Method+" (random)", response{status: resp.StatusCode, took: time.Since(start)})
	return resp.StatusCode
}

// raw sends bytes that may not be HTTP and reads whatever comes back for
// a moment.
func (g *requestGen) raw(t *testing.T) {
	c, err := net.DialTimeout("tcp", g.base(), 2*time.Second)
	if err != nil {
		t.Errorf("connecting to hopd during the random requests: %v", err)
		return
	}
	defer c.Close()
	var msg string
	switch g.rnd.IntN(3) {
	case 0:
		msg = g.junk(1024)
	case 1:
		msg = "GET /" + g.junk(64) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + g.junk(256) + "\r\n\r\n"
	default:
		msg = "PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + strconv.Itoa(g.rnd.IntN(100000)) + "\r\n\r\n" + g.junk(128)
	}
	_ = c.SetDeadline(time.Now().Add(150 * time.Millisecond))
	_, _ = io.WriteString(c, msg)
	_, _ = io.Copy(io.Discard, c)
}
