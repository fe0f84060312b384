package server

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/testenv"
)

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startServe runs Serve until the test ends and returns its main address
// and a channel with Serve's result.
func startServe(t testing.TB, s *Server, cfg *config.Config) (string, context.CancelFunc, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- s.Serve(ctx, cfg)
		close(done) // so that both the test and the cleanup may wait for it
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	testenv.Eventually(t, 5*time.Second, func() bool {
		select {
		case err := <-done:
			t.Fatalf("Serve: %v", err)
		default:
		}
		return s.Addr() != nil
	}, "Serve did not start listening")
	return s.Addr().String(), cancel, done
}

func get(t testing.TB, url string, hdr map[string]string) (int, string) {
	t.Helper()
	return do(t, "GET", url, hdr)
}

func do(t testing.TB, method, url string, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeRefusesNonLoopback(t *testing.T) {
	for _, listen := range []string{"0.0.0.0:9911", ":9911", "[::]:9911", "192.0.2.1:9911", "example.com:9911", "9911", "[fe80::1%lo]:9911"} {
		t.Run(listen, func(t *testing.T) {
			s := newTestServer(t, newFakeSource())
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			err := s.Serve(ctx, &config.Config{Path: "/home/u/.config/hopd/config.toml", Listen: listen})
			if err == nil || !strings.Contains(err.Error(), listen) || !strings.Contains(err.Error(), "config.toml") {
				t.Errorf("err = %v, want a refusal naming %s and the config file", err, listen)
			}
		})
	}
}

func TestServeAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s := newTestServer(t, newFakeSource())
	err = s.Serve(context.Background(), &config.Config{Listen: ln.Addr().String()})
	var le *ListenError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), ln.Addr().String()) || !strings.Contains(err.Error(), "hopd status") {
		t.Errorf("err = %v, want a ListenError naming %s and `hopd status`", err, ln.Addr())
	}
}

func TestServeEndToEnd(t *testing.T) {
	port := freePort(t)
	acct := prodAcct
	acct.IMDSPort = port
	s := newTestServer(t, newFakeSource(), func(o *Options) { o.PeerCheck = true })
	addr, _, _ := startServe(t, s, &config.Config{Listen: "localhost:" + strconv.Itoa(freePort(t)), Accounts: []config.Account{acct}})
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Errorf("localhost bound %s, want 127.0.0.1", addr)
	}
	if st, body := get(t, "http://"+addr+"/creds/production", map[string]string{"Authorization": testToken}); st != 200 || !strings.Contains(body, secretKey) {
		t.Errorf("ECS: %d %s", st, body)
	}
	imds := "http://127.0.0.1:" + strconv.Itoa(port)
	st, tok := do(t, "PUT", imds+"/latest/api/token", map[string]string{hdrIMDSTTL: "60"})
	if st != 200 {
		t.Fatalf("IMDS token: %d %s", st, tok)
	}
	if st, body := get(t, imds+"/latest/meta-data/placement/region", map[string]string{hdrIMDSToken: tok}); st != 200 || body != "eu-west-1" {
		t.Errorf("IMDS region: %d %q", st, body)
	}
}

func dialable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func TestApplyOpensAndClosesIMDS(t *testing.T) {
	s := newTestServer(t, newFakeSource())
	p1, p2 := freePort(t), freePort(t)
	a1, a2 := prodAcct, v1Acct
	a1.IMDSPort, a2.IMDSPort = p1, p2
	addr1, addr2 := "127.0.0.1:"+strconv.Itoa(p1), "127.0.0.1:"+strconv.Itoa(p2)
	t.Cleanup(func() { s.Apply(&config.Config{}) })

	if errs := s.Apply(&config.Config{Accounts: []config.Account{a1}}); len(errs) != 0 {
		t.Fatal(errs)
	}
	if !dialable(addr1) || dialable(addr2) {
		t.Fatalf("after adding %s: %s dialable %v, %s dialable %v", a1.Name, addr1, dialable(addr1), addr2, dialable(addr2))
	}
	// A changed region on a kept port takes effect without reopening it.
	a1.Region = "ap-south-1"
	if errs := s.Apply(&config.Config{Accounts: []config.Account{a1, a2}}); len(errs) != 0 {
		t.Fatal(errs)
	}
	if st, body := get(t, "http://"+addr2+"/latest/meta-data/placement/region", nil); st != 200 || body != "us-east-2" {
		t.Errorf("new listener: %d %q", st, body)
	}
	_, tok := do(t, "PUT", "http://"+addr1+"/latest/api/token", map[string]string{hdrIMDSTTL: "60"})
	if st, body := get(t, "http://"+addr1+"/latest/meta-data/placement/region", map[string]string{hdrIMDSToken: tok}); st != 200 || body != "ap-south-1" {
		t.Errorf("kept listener after reload: %d %q", st, body)
	}
	if errs := s.Apply(&config.Config{Accounts: []config.Account{a2}}); len(errs) != 0 {
		t.Fatal(errs)
	}
	if dialable(addr1) || !dialable(addr2) {
		t.Errorf("after removing %s: %s dialable %v, %s dialable %v", a1.Name, addr1, dialable(addr1), addr2, dialable(addr2))
	}
	// The freed port can be taken again at once.
	if errs := s.Apply(&config.Config{Accounts: []config.Account{a1, a2}}); len(errs) != 0 || !dialable(addr1) {
		t.Errorf("re-adding %s: %v", addr1, errs)
	}
}

func TestApplyReportsBusyPortOnly(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	s := newTestServer(t, newFakeSource())
	t.Cleanup(func() { s.Apply(&config.Config{}) })
	a1, a2, a3 := prodAcct, v1Acct, v1Acct
	a1.IMDSPort = busy.Addr().(*net.TCPAddr).Port
	a2.IMDSPort = freePort(t)
	a3.Name, a3.IMDSPort = "dup", a2.IMDSPort
	errs := s.Apply(&config.Config{Accounts: []config.Account{a1, a2, a3}})
	if len(errs) != 2 {
		t.Fatalf("errors %v, want one for the busy port and one for the duplicate", errs)
	}
	joined := errors.Join(errs...).Error()
	for _, want := range []string{busy.Addr().String(), "hopd status", "both use imds_port"} {
		if !strings.Contains(joined, want) {
			t.Errorf("errors %q do not mention %q", joined, want)
		}
	}
	if !dialable("127.0.0.1:" + strconv.Itoa(a2.IMDSPort)) {
		t.Error("the good port was not opened")
	}
}

// A port that was taken when the config was applied opens by itself once
// it is let go, and is no longer tried once no account wants it.
func TestApplyRebindsTakenPort(t *testing.T) {
	take := func(port int) net.Listener {
		t.Helper()
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Fatal(err)
		}
		return ln
	}
	s := newTestServer(t, newFakeSource(), func(o *Options) { o.RebindEvery = 20 * time.Millisecond })
	t.Cleanup(func() { s.Apply(&config.Config{}) })
	a1, a2 := prodAcct, v1Acct
	a1.IMDSPort, a2.IMDSPort = freePort(t), freePort(t)
	addr1, addr2 := "127.0.0.1:"+strconv.Itoa(a1.IMDSPort), "127.0.0.1:"+strconv.Itoa(a2.IMDSPort)
	busy1, busy2 := take(a1.IMDSPort), take(a2.IMDSPort)
	defer busy2.Close()

	errs := s.Apply(&config.Config{Accounts: []config.Account{a1, a2}})
	if len(errs) != 2 || !strings.Contains(errors.Join(errs...).Error(), "tries again every 20ms") {
		t.Fatalf("errors %v, want two saying hopd tries again", errs)
	}
	busy1.Close()
	testenv.Eventually(t, 5*time.Second, func() bool { return dialable(addr1) }, "the freed port "+addr1+" did not open")
	_, tok := do(t, "PUT", "http://"+addr1+"/latest/api/token", map[string]string{hdrIMDSTTL: "60"})
	if st, body := get(t, "http://"+addr1+"/latest/meta-data/placement/region", map[string]string{hdrIMDSToken: tok}); st != 200 || body != prodAcct.Region {
		t.Errorf("the freed port %s: %d %q; want hopd's IMDS answering %s", addr1, st, body, prodAcct.Region)
	}

	// a2 leaves the config while its port is still taken: once let go, the
	// port stays free.
	if errs := s.Apply(&config.Config{Accounts: []config.Account{a1}}); len(errs) != 0 {
		t.Fatal(errs)
	}
	busy2.Close()
	time.Sleep(100 * time.Millisecond)
	if dialable(addr2) {
		t.Errorf("%s was opened after its account left the config", addr2)
	}
}

func TestGracefulShutdown(t *testing.T) {
	src := newFakeSource()
	src.gate, src.entered = make(chan struct{}), make(chan struct{}, 1)
	s := newTestServer(t, src)
	addr, cancel, done := startServe(t, s, &config.Config{Listen: "127.0.0.1:" + strconv.Itoa(freePort(t))})

	type result struct {
		status int
		body   string
	}
	res := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest("GET", "http://"+addr+"/creds/production", nil)
		req.Header.Set("Authorization", testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			res <- result{0, err.Error()}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		res <- result{resp.StatusCode, string(b)}
	}()
	<-src.entered
	cancel()
	// Serve must wait for the request in flight while no longer accepting.
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("Serve returned (%v) with a request in flight", err)
	default:
	}
	if dialable(addr) {
		t.Error("still accepting connections during shutdown")
	}
	close(src.gate)
	if r := <-res; r.status != 200 || !strings.Contains(r.body, secretKey) {
		t.Errorf("in-flight request: %d %s", r.status, r.body)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(shutdownGrace + time.Second):
		t.Error("Serve did not return after the request finished")
	}
	if errs := s.Apply(&config.Config{}); len(errs) != 1 {
		t.Errorf("Apply after shutdown: %v, want a refusal", errs)
	}
}
