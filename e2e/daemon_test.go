package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/hopd/hopd/internal/testenv"
)

func TestMain(m *testing.M) {
	// The SDK matrix runs this test binary again as a Go SDK client (see
	// goClientMain), so that the SDK's default chain reads an environment of
	// the test's choosing rather than this process's.
	if os.Getenv(goClientEnv) != "" {
		os.Exit(goClientMain())
	}
	testenv.Main(m)
}

// The IAM user's long-lived keys, in the format hopd accepts. Moto takes any
// AKIA key.
const (
	iamKeyID  = "AKIAE2ETEST000000001"
	iamSecret = "e2eSecretKeyDoNotLogMe0123456789abcdef+/"
)

// account is one [[account]] of a test config.
type account struct {
	Name string
	ID   string
	Role string // "" means the default, OrganizationAccountAccessRole
	IMDS bool   // give it an imds_port
}

const defaultRole = "OrganizationAccountAccessRole"

func (a account) role() string {
	if a.Role == "" {
		return defaultRole
	}
	return a.Role
}

// The accounts most tests use: three accounts, two roles, every account with
// an IMDS listener.
var threeAccounts = []account{
	{Name: "production", ID: "222222222222", IMDS: true},
	{Name: "staging", ID: "333333333333", IMDS: true},
	{Name: "playground", ID: "444444444444", Role: "Admin", IMDS: true},
}

// options change how startDaemon sets hopd up.
type options struct {
	accounts  []account     // default threeAccounts
	mfa       bool          // give the user an mfa_serial
	moto      *testenv.Moto // default: the process's shared moto (a test that needs its own, for Organizations, passes it)
	serveArgs []string      // extra flags for `hopd serve`
	env       []string      // extra environment for hopd, daemon and CLI (test hooks such as the clock's)
}

// daemon is one running hopd with everything it needs: its own HOME, state
// directory, config and IAM user (the keyring is shared by the whole test
// process, so every daemon gets a user name of its own).
type daemon struct {
	t      *testing.T
	bin    string
	keyEnv []string // DBUS_SESSION_BUS_ADDRESS and friends
	opts   options

	moto  *testenv.Moto
	proxy *testenv.STSProxy // STS as hopd sees it: counts every call

	dir      string // the temporary root of everything below
	home     string
	state    string
	cfgPath  string
	logPath  string // hopd serve's stderr
	user     string
	listen   string // 127.0.0.1:PORT
	accounts []account
	ports    map[string]int // account name -> imds_port

	cmd  *exec.Cmd
	done chan struct{}
	err  error // exit status, valid once done is closed
}

var userSeq atomic.Int32

// Ports handed out in this process: a port FreePort found free is free
// again once it returns, so two daemons (or one daemon's listen address and
// an IMDS port) could otherwise be given the same one before either binds it.
var (
	portsMu   sync.Mutex
	portsUsed = map[int]bool{}
)

func freePort(t *testing.T) int {
	t.Helper()
	portsMu.Lock()
	defer portsMu.Unlock()
	for {
		if p := testenv.FreePort(t); !portsUsed[p] {
			portsUsed[p] = true
			return p
		}
	}
}

// startDaemon sets up and starts a hopd, and stops it when the test ends.
func startDaemon(t *testing.T, opts options) *daemon {
	t.Helper()
	d := newDaemon(t, opts)
	d.writeConfig(d.config(d.accounts))
	d.setKeys(iamKeyID, iamSecret)
	d.start()
	return d
}

// newDaemon prepares everything but the config, the keys and the process.
func newDaemon(t *testing.T, opts options) *daemon {
	t.Helper()
	keyEnv := testenv.Keyring(t)
	bin := testenv.BuildHopd(t)
	if opts.accounts == nil {
		opts.accounts = threeAccounts
	}
	m := opts.moto
	if m == nil {
		m = startMoto(t)
	}
	dir := t.TempDir()
	d := &daemon{
		t:        t,
		bin:      bin,
		keyEnv:   keyEnv,
		opts:     opts,
		moto:     m,
		proxy:    testenv.CountingProxy(t, m.URL),
		dir:      dir,
		home:     filepath.Join(dir, "home"),
		state:    filepath.Join(dir, "state"),
		cfgPath:  filepath.Join(dir, "config", "config.toml"),
		logPath:  filepath.Join(dir, "hopd.log"),
		user:     fmt.Sprintf("michael%d", userSeq.Add(1)),
		listen:   "127.0.0.1:" + strconv.Itoa(freePort(t)),
		accounts: opts.accounts,
		ports:    map[string]int{},
	}
	for _, p := range []string{d.home, filepath.Dir(d.cfgPath)} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range d.accounts {
		if a.IMDS {
			d.ports[a.Name] = freePort(t)
		}
	}
	t.Cleanup(func() {
		d.stop()
		if t.Failed() {
			t.Logf("hopd log (%s):\n%s", d.logPath, d.log())
		}
	})
	return d
}

// startMoto returns the test process's moto (shared: starting one takes
// seconds; each daemon counts and cuts its own calls with its own proxy)
// after one STS call, since moto loads its STS emulation on first use,
// which takes longer than hopd waits for STS before it answers 503.
func startMoto(t *testing.T) *testenv.Moto {
	t.Helper()
	m := testenv.SharedMoto(t)
	client := sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(m.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(iamKeyID, iamSecret, ""),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("moto does not answer GetCallerIdentity: %v", err)
	}
	return m
}

// config renders a config for accounts, with the daemon's listen address,
// user and IMDS ports.
func (d *daemon) config(accounts []account) string {
	var b strings.Builder
	fmt.Fprintf(&b, "listen = %q\n\n[user]\nname = %q\nregion = \"us-east-1\"\n", d.listen, d.user)
	if d.opts.mfa {
		fmt.Fprintf(&b, "mfa_serial = \"arn:aws:iam::111111111111:mfa/%s\"\n", d.user)
	}
	for _, a := range accounts {
		fmt.Fprintf(&b, "\n[[account]]\nname = %q\nid = %q\n", a.Name, a.ID)
		if a.Role != "" {
			fmt.Fprintf(&b, "role = %q\n", a.Role)
		}
		if a.IMDS {
			port, ok := d.ports[a.Name]
			if !ok {
				port = freePort(d.t)
				d.ports[a.Name] = port
			}
			fmt.Fprintf(&b, "imds_port = %d\n", port)
		}
	}
	return b.String()
}

// writeConfig replaces the config file the way editors do: write a
// temporary file next to it, then rename it over the old one.
func (d *daemon) writeConfig(content string) {
	d.t.Helper()
	tmp := d.cfgPath + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		d.t.Fatal(err)
	}
	if err := os.Rename(tmp, d.cfgPath); err != nil {
		d.t.Fatal(err)
	}
}

// setKeys stores the IAM user's keys with `hopd keys set USER`.
func (d *daemon) setKeys(id, secret string) {
	d.t.Helper()
	r := d.runStdin(id+"\n"+secret+"\n", "keys", "set", d.user)
	if r.code != 0 {
		d.t.Fatalf("hopd keys set %s: exit %d: %s", d.user, r.code, r.stderr)
	}
}

// baseEnv is the part of the test's own environment that children may see:
// enough to find programs and Python packages, and nothing AWS- or
// hopd-related, so that a developer's real credentials, profiles and daemon
// never take part in a test.
func baseEnv() []string {
	keep := []string{"PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV", "PYENV_ROOT", "PYENV_VERSION", "GOCOVERDIR"}
	var env []string
	for _, k := range keep {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// hopdEnv is the environment of hopd itself, daemon and CLI alike: the
// private keyring's bus, the temporary HOME, the state directory and config,
// and STS behind the counting proxy.
func (d *daemon) hopdEnv() []string {
	env := append(baseEnv(), d.keyEnv...)
	return append(append(env,
		"HOME="+d.home, // after keyEnv's HOME, so it wins
		"HOPD_STATE_DIR="+d.state,
		"HOPD_CONFIG="+d.cfgPath,
		"AWS_ENDPOINT_URL="+d.proxy.URL,
	), d.opts.env...)
}

// env is the environment of an SDK client: HOME is the temporary one, so no
// ~/.aws file of the developer's interferes; the clients' own STS calls go
// to moto directly (the proxy counts only hopd's); hopd's variables are set
// so that credential_process finds the daemon.
func (d *daemon) env() []string {
	return append(baseEnv(),
		"HOME="+d.home,
		"HOPD_STATE_DIR="+d.state,
		"HOPD_CONFIG="+d.cfgPath,
		"AWS_ENDPOINT_URL="+d.moto.URL,
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+filepath.Join(d.home, ".aws", "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(d.home, ".aws", "credentials"),
	)
}

// start runs `hopd serve --no-tray` and waits until it has written
// daemon.json. It can start the daemon again after stop, with the same
// HOME, state, config and keyring.
func (d *daemon) start() {
	d.t.Helper()
	logf, err := os.OpenFile(d.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		d.t.Fatal(err)
	}
	defer logf.Close()
	args := append([]string{"serve", "--no-tray"}, d.opts.serveArgs...)
	cmd := exec.Command(d.bin, args...)
	cmd.Env = d.hopdEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		d.t.Fatalf("cannot start hopd serve: %v", err)
	}
	d.cmd, d.done = cmd, make(chan struct{})
	go func(done chan struct{}) {
		d.err = cmd.Wait()
		close(done)
	}(d.done)

	deadline := time.Now().Add(15 * time.Second)
	for {
		if info := d.daemonFile(); info.PID == cmd.Process.Pid {
			if info.Listen != d.listen {
				d.t.Fatalf("daemon.json says hopd listens on %q; the config says %q", info.Listen, d.listen)
			}
			return
		}
		select {
		case <-d.done:
			d.t.Fatalf("hopd serve exited before it wrote daemon.json (%v); its log:\n%s", d.err, d.log())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("hopd serve did not write %s within 15s; its log:\n%s", filepath.Join(d.state, "daemon.json"), d.log())
		}
	}
}

type daemonInfo struct {
	PID    int    `json:"pid"`
	Listen string `json:"listen"`
}

func (d *daemon) daemonFile() daemonInfo {
	var info daemonInfo
	data, err := os.ReadFile(filepath.Join(d.state, "daemon.json"))
	if err == nil {
		_ = json.Unmarshal(data, &info)
	}
	return info
}

// stop sends SIGTERM and waits; hopd must exit, cleanly, within 10 s.
func (d *daemon) stop() {
	if d.cmd == nil {
		return
	}
	defer func() { d.cmd = nil }()
	select {
	case <-d.done:
		d.t.Errorf("hopd serve (pid %d) had exited before the test stopped it: %v", d.cmd.Process.Pid, d.err)
		return
	default:
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
		if d.err != nil {
			d.t.Errorf("hopd serve exited with %v after SIGTERM; want a clean exit", d.err)
		}
	case <-time.After(10 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.done
		d.t.Errorf("hopd serve (pid %d) did not exit within 10s of SIGTERM", d.cmd.Process.Pid)
	}
}

func (d *daemon) log() string {
	data, err := os.ReadFile(d.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read the log: %v)", err)
	}
	return string(data)
}

// token is the content of the token file, the ECS and control API secret.
func (d *daemon) token() string {
	d.t.Helper()
	data, err := os.ReadFile(filepath.Join(d.state, "token"))
	if err != nil {
		d.t.Fatalf("reading hopd's token file: %v", err)
	}
	return strings.TrimSpace(string(data))
}

// result is what a finished command did.
type result struct {
	stdout, stderr string
	code           int
}

// run runs a hopd command with the daemon's environment.
func (d *daemon) run(args ...string) result {
	d.t.Helper()
	return d.runStdin("", args...)
}

func (d *daemon) runStdin(stdin string, args ...string) result {
	d.t.Helper()
	return runCmd(d.t, d.hopdEnv(), stdin, d.bin, args...)
}

// runCmd runs a program to completion (at most a minute) and returns its
// output and exit code.
func runCmd(t *testing.T, env []string, stdin, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("cannot run %s %s: %v", name, strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%s %s did not finish within a minute; stderr:\n%s", name, strings.Join(args, " "), r.stderr)
	}
	return r
}

// mustRun runs a hopd command that must succeed and returns its stdout.
func (d *daemon) mustRun(args ...string) string {
	d.t.Helper()
	r := d.run(args...)
	if r.code != 0 {
		d.t.Fatalf("hopd %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// accountsJSON is `hopd accounts --json`.
type accountJSON struct {
	Name     string `json:"name"`
	ID       string `json:"id"`
	Role     string `json:"role"`
	Region   string `json:"region"`
	State    string `json:"state"`
	IMDSPort int    `json:"imds_port"`
}

func (d *daemon) accountsJSON() []accountJSON {
	d.t.Helper()
	var as []accountJSON
	out := d.mustRun("accounts", "--json")
	if err := json.Unmarshal([]byte(out), &as); err != nil {
		d.t.Fatalf("hopd accounts --json printed something that is not a JSON list of accounts (%v):\n%s", err, out)
	}
	return as
}

// exports parses the `export K=V` lines of `hopd env`.
func (d *daemon) exports(args ...string) map[string]string {
	d.t.Helper()
	out := d.mustRun(append([]string{"env"}, args...)...)
	vars := map[string]string{}
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		rest, ok := strings.CutPrefix(line, "export ")
		if !ok {
			continue
		}
		k, v, ok := strings.Cut(rest, "=")
		if !ok {
			d.t.Fatalf("hopd env printed a malformed export line: %q", line)
		}
		vars[k] = shellUnquote(d.t, v)
	}
	return vars
}

// shellUnquote undoes the POSIX shell quoting of one word: bare characters,
// backslash escapes and single-quoted runs (hopd writes a quote inside as
// quote, backslash, quote, quote).
func shellUnquote(t *testing.T, s string) string {
	t.Helper()
	var b strings.Builder
	for len(s) > 0 {
		switch s[0] {
		case '\'':
			end := strings.IndexByte(s[1:], '\'')
			if end < 0 {
				t.Fatalf("unterminated quote in %q", s)
			}
			b.WriteString(s[1 : 1+end])
			s = s[2+end:]
		case '\\':
			if len(s) < 2 {
				t.Fatalf("dangling backslash in %q", s)
			}
			b.WriteByte(s[1])
			s = s[2:]
		default:
			b.WriteByte(s[0])
			s = s[1:]
		}
	}
	return b.String()
}

// --- talking to the daemon over HTTP ---

// httpClient keeps connections alive and never follows redirects, so that
// every answer is the daemon's own.
var httpClient = &http.Client{
	// The default transport keeps at most 100 idle connections across all
	// hosts and closes the oldest past that; with the parallel tests' many
	// daemons it would close connections that a test still looks at (the
	// dashboard names the process behind a live connection).
	Transport: &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        0, // no limit across hosts
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	},
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// response is an HTTP answer, read in full.
type response struct {
	status int
	header http.Header
	body   []byte
	took   time.Duration
}

// do sends req and reads the answer.
func do(t *testing.T, c *http.Client, req *http.Request) response {
	t.Helper()
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: body, took: time.Since(start)}
}

func newRequest(t *testing.T, method, url string, header map[string]string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	return req
}

// ecsCreds is the body the ECS endpoint serves.
type ecsCreds struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Token           string `json:"Token"`
	Expiration      string `json:"Expiration"`
	AccountID       string `json:"AccountId"`
}

// ecsURL is the ECS endpoint of an account.
func (d *daemon) ecsURL(acct string) string { return "http://" + d.listen + "/creds/" + acct }

// ecs asks the ECS endpoint for an account's credentials with the token.
func (d *daemon) ecs(acct string) response {
	d.t.Helper()
	return do(d.t, httpClient, newRequest(d.t, "GET", d.ecsURL(acct), map[string]string{"Authorization": d.token()}))
}

// waitECS fetches credentials that must be served within a few seconds:
// the first request for an account may be answered 503 while hopd waits
// for STS.
func (d *daemon) waitECS(acct string) ecsCreds {
	d.t.Helper()
	var r response
	eventually(d.t, 10*time.Second, func() string {
		if r = d.ecs(acct); r.status != http.StatusOK {
			return fmt.Sprintf("GET /creds/%s: %d %s", acct, r.status, r.body)
		}
		return ""
	})
	return decodeCreds(d.t, r.body)
}

// mustECS fetches credentials that must be served at once.
func (d *daemon) mustECS(acct string) ecsCreds {
	d.t.Helper()
	r := d.ecs(acct)
	if r.status != http.StatusOK {
		d.t.Fatalf("GET /creds/%s: %d %s", acct, r.status, r.body)
	}
	return decodeCreds(d.t, r.body)
}

func decodeCreds(t *testing.T, body []byte) ecsCreds {
	t.Helper()
	var c ecsCreds
	if err := json.Unmarshal(body, &c); err != nil || c.AccessKeyID == "" || c.SecretAccessKey == "" || c.Token == "" {
		t.Fatalf("the credentials body is not complete ECS credentials (%v): %d bytes", err, len(body))
	}
	return c
}

// imdsURL is the base URL of an account's IMDS listener.
func (d *daemon) imdsURL(acct string) string {
	d.t.Helper()
	port, ok := d.ports[acct]
	if !ok {
		d.t.Fatalf("account %s has no imds_port in this test", acct)
	}
	return "http://127.0.0.1:" + strconv.Itoa(port)
}

// imdsCreds runs the IMDSv2 exchange an SDK runs: token, role name, role
// credentials.
func (d *daemon) imdsCreds(acct string) (ecsCreds, error) {
	d.t.Helper()
	base := d.imdsURL(acct)
	tok := do(d.t, httpClient, newRequest(d.t, "PUT", base+"/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "60"}))
	if tok.status != http.StatusOK {
		return ecsCreds{}, fmt.Errorf("PUT /latest/api/token: %d %s", tok.status, tok.body)
	}
	h := map[string]string{"X-aws-ec2-metadata-token": string(tok.body)}
	role := do(d.t, httpClient, newRequest(d.t, "GET", base+"/latest/meta-data/iam/security-credentials/", h))
	if role.status != http.StatusOK {
		return ecsCreds{}, fmt.Errorf("GET the role name: %d %s", role.status, role.body)
	}
	cr := do(d.t, httpClient, newRequest(d.t, "GET", base+"/latest/meta-data/iam/security-credentials/"+string(role.body), h))
	if cr.status != http.StatusOK {
		return ecsCreds{}, fmt.Errorf("GET the role's credentials: %d %s", cr.status, cr.body)
	}
	var body struct {
		Code string
		ecsCreds
	}
	if err := json.Unmarshal(cr.body, &body); err != nil || body.Code != "Success" || body.AccessKeyID == "" {
		return ecsCreds{}, fmt.Errorf("the IMDS credentials body is not what SDKs expect (%v)", err)
	}
	return body.ecsCreds, nil
}

// waitIMDS is waitECS over IMDS.
func (d *daemon) waitIMDS(acct string) ecsCreds {
	d.t.Helper()
	var c ecsCreds
	eventually(d.t, 10*time.Second, func() string {
		var err error
		if c, err = d.imdsCreds(acct); err != nil {
			return "IMDS " + acct + ": " + err.Error()
		}
		return ""
	})
	return c
}

// eventually polls cond until it returns "" (met) or the deadline passes,
// then fails with cond's last word on what is missing.
func eventually(t *testing.T, within time.Duration, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		why := cond()
		if why == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, why)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// assumedRoleARN is what moto's GetCallerIdentity says for credentials hopd
// got for an account.
func (d *daemon) assumedRoleARN(a account) string {
	return "arn:aws:sts::" + a.ID + ":assumed-role/" + a.role() + "/hopd-" + d.user
}

// oneLine reports whether s, trimmed, is a single non-empty line.
func oneLine(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && !strings.Contains(s, "\n")
}
