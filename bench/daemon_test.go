package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/hopd/hopd/bench/load"
	"github.com/hopd/hopd/internal/testenv"
)

// The IAM user's keys; moto takes any AKIA key.
const (
	iamKeyID  = "AKIABENCH00000000001"
	iamSecret = "benchSecretKeyNotARealOne0123456789abcde"
	role      = "OrganizationAccountAccessRole"
	floor     = 30 * time.Minute // the least lifetime hopd serves
)

// acct is one [[account]] of a bench config.
type acct struct {
	name, id string
	imds     bool
}

// numbered returns n accounts, a0001 ... with ids from 100000000001, the
// first withIMDS of them with an IMDS port.
func numbered(n, withIMDS int) []acct {
	as := make([]acct, n)
	for i := range as {
		as[i] = acct{name: fmt.Sprintf("a%04d", i+1), id: fmt.Sprintf("%012d", 100000000001+i), imds: i < withIMDS}
	}
	return as
}

// hopd is one running daemon with its own HOME, state, config and user,
// against the process's moto behind a counting proxy of its own.
type hopd struct {
	*testenv.Daemon
	b        testing.TB
	moto     *testenv.Moto
	proxy    *testenv.STSProxy
	user     string
	accounts []acct
	ports    map[string]int
}

var userSeq atomic.Int32

// hopdBinary is bin/hopd as `make build` makes it when scripts/bench.sh
// says so (HOPD_BENCH_BIN), otherwise the tree built by testenv.
func hopdBinary(b testing.TB) string {
	if bin := os.Getenv("HOPD_BENCH_BIN"); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			b.Fatalf("HOPD_BENCH_BIN: %v", err)
		}
		return bin
	}
	return testenv.BuildHopd(b)
}

// startHopd starts a daemon for accounts, with extra environment (test
// hooks), and stops it when the benchmark ends.
func startHopd(b testing.TB, accounts []acct, extraEnv ...string) *hopd {
	b.Helper()
	m := warmMoto(b)
	proxy := testenv.CountingProxy(b, m.URL)
	h := &hopd{
		Daemon: testenv.NewDaemon(b, testenv.DaemonOptions{
			Bin: hopdBinary(b), Keyring: testenv.Keyring(b), STS: proxy.URL, Env: extraEnv,
			Listen: "127.0.0.1:" + strconv.Itoa(testenv.FreePort(b)),
		}),
		b: b, moto: m, proxy: proxy, user: fmt.Sprintf("bench%d", userSeq.Add(1)),
		accounts: accounts, ports: map[string]int{},
	}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "listen = %q\n\n[user]\nname = %q\nregion = \"us-east-1\"\n", h.Listen, h.user)
	for _, a := range accounts {
		fmt.Fprintf(&cfg, "\n[[account]]\nname = %q\nid = %q\n", a.name, a.id)
		if a.imds {
			h.ports[a.name] = testenv.FreePort(b)
			fmt.Fprintf(&cfg, "imds_port = %d\n", h.ports[a.name])
		}
	}
	h.WriteConfig(cfg.String())
	keys := h.Command("keys", "set", h.user)
	keys.Stdin = strings.NewReader(iamKeyID + "\n" + iamSecret + "\n")
	if out, err := keys.CombinedOutput(); err != nil {
		b.Fatalf("hopd keys set: %v: %s", err, out)
	}
	h.Start()
	return h
}

// ecs is the ECS endpoint of an account as a load target.
func (h *hopd) ecs(name string) load.Target {
	return load.Target{Name: "ecs", URL: "http://" + h.Listen + "/creds/" + name, Header: http.Header{"Authorization": {h.Token()}}}
}

// imds is an account's IMDS credentials path as a load target, with an
// IMDSv2 token.
func (h *hopd) imds(name string) load.Target {
	h.b.Helper()
	base := "http://127.0.0.1:" + strconv.Itoa(h.ports[name])
	tok, err := load.IMDSToken(base)
	if err != nil {
		h.b.Fatal(err)
	}
	return load.Target{
		Name:   "imds",
		URL:    base + "/latest/meta-data/iam/security-credentials/" + role,
		Header: http.Header{"X-Aws-Ec2-Metadata-Token": {tok}},
	}
}

// get fetches a target once.
func get(c *http.Client, t load.Target) (int, []byte, error) {
	req, _ := http.NewRequest(http.MethodGet, t.URL, nil)
	req.Header = t.Header.Clone()
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// served waits until hopd serves the account (the first request may be
// answered 503 while hopd waits for STS) and returns the body.
func (h *hopd) served(name string) []byte {
	h.b.Helper()
	body, err := h.tryServed(name)
	if err != nil {
		h.b.Fatal(err)
	}
	return body
}

// tryServed is served for other goroutines than the benchmark's.
func (h *hopd) tryServed(name string) ([]byte, error) {
	c := &http.Client{Timeout: 10 * time.Second}
	var (
		status int
		body   []byte
		err    error
	)
	if testenv.Poll(30*time.Second, func() bool {
		status, body, err = get(c, h.ecs(name))
		return err == nil && status == http.StatusOK
	}) {
		return body, nil
	}
	return nil, fmt.Errorf("hopd does not serve %s: %d %s %v; its log:\n%s", name, status, body, err, h.Log())
}

// warmMoto returns the process's moto after one AssumeRole: moto loads its
// STS emulation on first use, which takes seconds.
func warmMoto(b testing.TB) *testenv.Moto {
	b.Helper()
	m := testenv.SharedMoto(b)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := assumeRole(ctx, stsClient(m.URL), "222222222222"); err != nil {
		b.Fatalf("moto does not answer AssumeRole: %v", err)
	}
	return m
}

func stsClient(endpoint string) *sts.Client {
	return sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(iamKeyID, iamSecret, ""),
	})
}

func assumeRole(ctx context.Context, c *sts.Client, accountID string) (*sts.AssumeRoleOutput, error) {
	return c.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::" + accountID + ":role/" + role),
		RoleSessionName: aws.String("bench"),
	})
}

// refreshes is the sum of the accounts' successful refreshes, from hopd's
// status.
func (h *hopd) refreshes() int {
	h.b.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+h.Listen+"/v1/status", nil)
	req.Header.Set("Authorization", h.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.b.Fatalf("GET /v1/status: %v", err)
	}
	defer resp.Body.Close()
	var st struct {
		Broker struct {
			Accounts []struct {
				Refreshes int `json:"refreshes"`
			} `json:"accounts"`
		} `json:"broker"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		h.b.Fatalf("GET /v1/status: %v", err)
	}
	n := 0
	for _, a := range st.Broker.Accounts {
		n += a.Refreshes
	}
	return n
}
