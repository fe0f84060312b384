package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
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
	b        testing.TB
	bin      string
	moto     *testenv.Moto
	proxy    *testenv.STSProxy
	dir      string
	user     string
	listen   string
	accounts []acct
	ports    map[string]int
	env      []string
	cmd      *exec.Cmd
	done     chan struct{}
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
	keyEnv := testenv.Keyring(b)
	m := warmMoto(b)
	h := &hopd{
		b: b, bin: hopdBinary(b), moto: m, proxy: testenv.CountingProxy(b, m.URL),
		dir: b.TempDir(), user: fmt.Sprintf("bench%d", userSeq.Add(1)),
		listen: "127.0.0.1:" + strconv.Itoa(testenv.FreePort(b)), accounts: accounts, ports: map[string]int{},
	}
	h.env = append(append(baseEnv(), keyEnv...),
		"HOME="+filepath.Join(h.dir, "home"),
		"HOPD_STATE_DIR="+filepath.Join(h.dir, "state"),
		"HOPD_CONFIG="+filepath.Join(h.dir, "config.toml"),
		"AWS_ENDPOINT_URL="+h.proxy.URL,
	)
	h.env = append(h.env, extraEnv...)
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "listen = %q\n\n[user]\nname = %q\nregion = \"us-east-1\"\n", h.listen, h.user)
	for _, a := range accounts {
		fmt.Fprintf(&cfg, "\n[[account]]\nname = %q\nid = %q\n", a.name, a.id)
		if a.imds {
			h.ports[a.name] = testenv.FreePort(b)
			fmt.Fprintf(&cfg, "imds_port = %d\n", h.ports[a.name])
		}
	}
	if err := os.WriteFile(filepath.Join(h.dir, "config.toml"), []byte(cfg.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	if out, err := h.command("keys", "set", h.user).stdin(iamKeyID + "\n" + iamSecret + "\n").CombinedOutput(); err != nil {
		b.Fatalf("hopd keys set: %v: %s", err, out)
	}
	h.start()
	return h
}

// baseEnv is the part of our environment children may see: nothing of a
// developer's AWS or hopd settings.
func baseEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV", "PYENV_ROOT", "PYENV_VERSION"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// cmd is an exec.Cmd that can be given stdin in one call.
type cmd struct{ *exec.Cmd }

func (c cmd) stdin(s string) cmd { c.Stdin = strings.NewReader(s); return c }

func (h *hopd) command(args ...string) cmd {
	c := exec.Command(h.bin, args...)
	c.Env = h.env
	return cmd{c}
}

func (h *hopd) start() {
	h.b.Helper()
	logf, err := os.Create(filepath.Join(h.dir, "hopd.log"))
	if err != nil {
		h.b.Fatal(err)
	}
	defer logf.Close()
	c := h.command("serve", "--no-tray").Cmd
	c.Stdout, c.Stderr = logf, logf
	setProcAttr(c)
	if err := c.Start(); err != nil {
		h.b.Fatalf("starting hopd: %v", err)
	}
	h.cmd, h.done = c, make(chan struct{})
	go func() { _ = c.Wait(); close(h.done) }()
	h.b.Cleanup(h.stop)
	deadline := time.Now().Add(20 * time.Second)
	for {
		var info struct{ PID int }
		data, _ := os.ReadFile(filepath.Join(h.dir, "state", "daemon.json"))
		if json.Unmarshal(data, &info) == nil && info.PID == c.Process.Pid {
			return
		}
		select {
		case <-h.done:
			h.b.Fatalf("hopd exited at start; its log:\n%s", h.log())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			h.b.Fatalf("hopd did not start within 20 s; its log:\n%s", h.log())
		}
	}
}

func (h *hopd) stop() {
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		_ = h.cmd.Process.Kill()
		<-h.done
	}
}

func (h *hopd) log() string {
	data, _ := os.ReadFile(filepath.Join(h.dir, "hopd.log"))
	return string(data)
}

func (h *hopd) pid() int { return h.cmd.Process.Pid }

func (h *hopd) token() string {
	data, err := os.ReadFile(filepath.Join(h.dir, "state", "token"))
	if err != nil {
		h.b.Fatalf("reading hopd's token: %v", err)
	}
	return strings.TrimSpace(string(data))
}

// ecs is the ECS endpoint of an account as a load target.
func (h *hopd) ecs(name string) load.Target {
	return load.Target{Name: "ecs", URL: "http://" + h.listen + "/creds/" + name, Header: http.Header{"Authorization": {h.token()}}}
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
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, body, err := get(c, h.ecs(name))
		if err == nil && status == http.StatusOK {
			return body, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("hopd does not serve %s: %d %s %v; its log:\n%s", name, status, body, err, h.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
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
	req, _ := http.NewRequest(http.MethodGet, "http://"+h.listen+"/v1/status", nil)
	req.Header.Set("Authorization", h.token())
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
