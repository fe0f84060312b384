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
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	state     string        // the state directory; default one of the daemon's own
	keyring   []string      // the Secret Service's environment; default the process's (testenv.Keyring)
}

// daemon is one running hopd with everything it needs: its own HOME, state
// directory, config and IAM user (the keyring is shared by the whole test
// process, so every daemon gets a user name of its own).
type daemon struct {
	*testenv.Daemon
	t      *testing.T
	keyEnv []string // DBUS_SESSION_BUS_ADDRESS and friends
	opts   options

	moto  *testenv.Moto
	proxy *testenv.STSProxy // STS as hopd sees it: counts every call

	user     string
	accounts []account
	ports    map[string]int // account name -> imds_port
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
	d.WriteConfig(d.config(d.accounts))
	d.setKeys(iamKeyID, iamSecret)
	d.start()
	return d
}

// newDaemon prepares everything but the config, the keys and the process.
func newDaemon(t *testing.T, opts options) *daemon {
	t.Helper()
	keyEnv := opts.keyring
	if keyEnv == nil {
		keyEnv = testenv.Keyring(t)
	}
	bin := testenv.BuildHopd(t)
	if opts.accounts == nil {
		opts.accounts = threeAccounts
	}
	m := opts.moto
	if m == nil {
		m = startMoto(t)
	}
	proxy := testenv.CountingProxy(t, m.URL)
	d := &daemon{
		Daemon: testenv.NewDaemon(t, testenv.DaemonOptions{
			Bin: bin, Keyring: keyEnv, STS: proxy.URL, Env: opts.env, State: opts.state,
			Listen: "127.0.0.1:" + strconv.Itoa(freePort(t)),
		}),
		t:        t,
		keyEnv:   keyEnv,
		opts:     opts,
		moto:     m,
		proxy:    proxy,
		user:     fmt.Sprintf("michael%d", userSeq.Add(1)),
		accounts: opts.accounts,
		ports:    map[string]int{},
	}
	for _, a := range d.accounts {
		if a.IMDS {
			d.ports[a.Name] = freePort(t)
		}
	}
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
	fmt.Fprintf(&b, "listen = %q\n\n[user]\nname = %q\nregion = \"us-east-1\"\n", d.Listen, d.user)
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

// setKeys stores the IAM user's keys with `hopd keys set USER`.
func (d *daemon) setKeys(id, secret string) {
	d.t.Helper()
	r := d.runStdin(id+"\n"+secret+"\n", "keys", "set", d.user)
	if r.code != 0 {
		d.t.Fatalf("hopd keys set %s: exit %d: %s", d.user, r.code, r.stderr)
	}
}

// env is the environment of an SDK client: HOME is the temporary one, so no
// ~/.aws file of the developer's interferes; the clients' own STS calls go
// to moto directly (the proxy counts only hopd's); hopd's variables are set
// so that credential_process finds the daemon.
func (d *daemon) env() []string {
	return append(testenv.BaseEnv(),
		"HOME="+d.Home,
		"HOPD_STATE_DIR="+d.State,
		"HOPD_CONFIG="+d.Config,
		"AWS_ENDPOINT_URL="+d.moto.URL,
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+filepath.Join(d.Home, ".aws", "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(d.Home, ".aws", "credentials"),
	)
}

// start runs `hopd serve --no-tray` with the test's serve flags.
func (d *daemon) start() {
	d.t.Helper()
	d.Start(d.opts.serveArgs...)
}

// stop stops the daemon; hopd must exit, cleanly, within 10 s.
func (d *daemon) stop() {
	d.t.Helper()
	if err := d.Stop(); err != nil {
		d.t.Error(err)
	}
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
	return runCmd(d.t, d.Env, stdin, d.Bin, args...)
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

var credentialField = regexp.MustCompile(`"(AccessKeyId|SecretAccessKey|Token|SessionToken)"\s*:\s*"[^"]*"`)

// shown is the body for a failure message: credentials that a test did not
// expect are masked, since test output is a log like any other.
func (r response) shown() string {
	return credentialField.ReplaceAllString(string(r.body), `"$1":"(masked)"`)
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
func (d *daemon) ecsURL(acct string) string { return "http://" + d.Listen + "/creds/" + acct }

// ecs asks the ECS endpoint for an account's credentials with the token.
func (d *daemon) ecs(acct string) response {
	d.t.Helper()
	return do(d.t, httpClient, newRequest(d.t, "GET", d.ecsURL(acct), map[string]string{"Authorization": d.Token()}))
}

// waitECS fetches credentials that must be served within a few seconds:
// the first request for an account may be answered 503 while hopd waits
// for STS.
func (d *daemon) waitECS(acct string) ecsCreds {
	d.t.Helper()
	var r response
	eventually(d.t, 10*time.Second, func() string {
		if r = d.ecs(acct); r.status != http.StatusOK {
			return fmt.Sprintf("GET /creds/%s: %d %s", acct, r.status, r.shown())
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
		d.t.Fatalf("GET /creds/%s: %d %s", acct, r.status, r.shown())
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
		return ecsCreds{}, fmt.Errorf("GET the role's credentials: %d %s", cr.status, cr.shown())
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
	testenv.EventuallyWhy(t, within, cond)
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
