package e2e_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/chromedp/chromedp"

	"github.com/hopd/hopd/internal/testenv"
)

// federation is a local stand-in for signin.aws.amazon.com/federation. It
// checks the Session it is given the way AWS does, by asking STS (moto) who
// the credentials belong to, and hands out sign-in tokens that its login
// action redeems once, redirecting to a local "console" page.
type federation struct {
	t    *testing.T
	srv  *httptest.Server
	moto string

	mu       sync.Mutex
	sessions []fedSession          // every getSigninToken, in order
	tokens   map[string]fedSession // sign-in token -> the session it was issued for
	logins   []string              // redeemed tokens
}

// fedSession is one getSigninToken call as the endpoint saw it.
type fedSession struct {
	ID, Key, Token string // the Session JSON's sessionId, sessionKey, sessionToken
	ARN, Account   string // what STS says the credentials are
	SigninToken    string
}

func startFederation(t *testing.T, m *testenv.Moto) *federation {
	t.Helper()
	f := &federation{t: t, moto: m.URL, tokens: map[string]fedSession{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /federation", f.serveFederation)
	mux.HandleFunc("GET /console/home", f.serveConsole)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// Endpoint is the URL for signin_url.
func (f *federation) Endpoint() string { return f.srv.URL + "/federation" }

func (f *federation) serveFederation(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch q.Get("Action") {
	case "getSigninToken":
		if q.Has("SessionDuration") {
			// AWS refuses it for role-chained credentials, which hopd has.
			http.Error(w, "SessionDuration is not allowed with role-chained credentials", http.StatusBadRequest)
			return
		}
		var s struct {
			ID    string `json:"sessionId"`
			Key   string `json:"sessionKey"`
			Token string `json:"sessionToken"`
		}
		if err := json.Unmarshal([]byte(q.Get("Session")), &s); err != nil || s.ID == "" || s.Key == "" || s.Token == "" {
			http.Error(w, "Session must be JSON with sessionId, sessionKey and sessionToken", http.StatusBadRequest)
			return
		}
		client := sts.New(sts.Options{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(f.moto),
			Credentials:  credentials.NewStaticCredentialsProvider(s.ID, s.Key, s.Token),
		})
		id, err := client.GetCallerIdentity(r.Context(), &sts.GetCallerIdentityInput{})
		if err != nil {
			http.Error(w, "STS does not know these credentials", http.StatusBadRequest)
			return
		}
		fs := fedSession{ID: s.ID, Key: s.Key, Token: s.Token, ARN: aws.ToString(id.Arn), Account: aws.ToString(id.Account), SigninToken: "tok" + randHex(24)}
		f.mu.Lock()
		f.sessions = append(f.sessions, fs)
		f.tokens[fs.SigninToken] = fs
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"SigninToken": fs.SigninToken})
	case "login":
		f.mu.Lock()
		fs, ok := f.tokens[q.Get("SigninToken")]
		delete(f.tokens, q.Get("SigninToken"))
		if ok {
			f.logins = append(f.logins, fs.SigninToken)
		}
		f.mu.Unlock()
		dest, err := url.Parse(q.Get("Destination"))
		if !ok || err != nil || q.Get("Issuer") == "" {
			http.Error(w, "unknown or used sign-in token, or no Destination or Issuer", http.StatusBadRequest)
			return
		}
		// The machine has no internet: land on our own "console" instead,
		// keeping the Destination's query (the region).
		http.Redirect(w, r, "/console/home?"+dest.RawQuery+"&account="+url.QueryEscape(fs.Account)+"&arn="+url.QueryEscape(fs.ARN)+
			"&dest="+url.QueryEscape(dest.String()), http.StatusFound)
	default:
		http.Error(w, "unknown Action", http.StatusBadRequest)
	}
}

func (f *federation) serveConsole(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><title>Console Home</title><h1 id="who">%s</h1><p id="region">%s</p><p id="dest">%s</p>`,
		html.EscapeString(q.Get("arn")), html.EscapeString(q.Get("region")), html.EscapeString(q.Get("dest")))
}

// checkLoginTo checks a sign-in URL: the login action at the federation
// endpoint, landing on dest, with a token the endpoint issued.
func (f *federation) checkLoginTo(t *testing.T, l loginURL, dest string) fedSession {
	t.Helper()
	if l.base != f.Endpoint() || l.action != "login" || l.issuer != "hopd" {
		t.Errorf("sign-in URL goes to %s with Action=%s Issuer=%s; want %s, login, hopd", l.base, l.action, l.issuer, f.Endpoint())
	}
	if l.dest != dest {
		t.Errorf("Destination is %q; want %q", l.dest, dest)
	}
	s, ok := f.session(l.token)
	if !ok {
		t.Fatalf("the SigninToken %q was not issued by the federation endpoint", l.token)
	}
	return s
}

// session returns what the endpoint saw for a sign-in token.
func (f *federation) session(token string) (fedSession, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.sessions {
		if s.SigninToken == token {
			return s, true
		}
	}
	return fedSession{}, false
}

func (f *federation) redeemed(token string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range f.logins {
		if l == token {
			return true
		}
	}
	return false
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// opener is a browser command for the config that appends each URL it is
// given to a file, standing in for a browser the test can read. It also
// keeps its whole command line and environment, which every local user
// can read (/proc/PID/cmdline and, for root, environ).
type opener struct {
	script, out string
}

func newOpener(t *testing.T) opener {
	t.Helper()
	dir := t.TempDir()
	o := opener{script: filepath.Join(dir, "open.sh"), out: filepath.Join(dir, "opened")}
	script := "#!/bin/sh\nprintf '%s\\n' \"$2\" >> \"$1\"\nprintf '%s\\n' \"$0 $*\" >> \"$1.argv\"\nenv >> \"$1.env\"\n"
	if err := os.WriteFile(o.script, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return o
}

// seen is everything the browser command was given: its command lines and
// environments.
func (o opener) seen() string {
	argv, _ := os.ReadFile(o.out + ".argv")
	env, _ := os.ReadFile(o.out + ".env")
	return string(argv) + string(env)
}

// template is the account's browser = ... value.
func (o opener) template() string { return fmt.Sprintf("%q %q {url}", o.script, o.out) }

// urls are the URLs opened so far.
func (o opener) urls() []string {
	data, _ := os.ReadFile(o.out)
	return strings.Fields(string(data))
}

// consoleConfig is a config whose console sign-in goes to f, and whose
// accounts named in browsers open with their opener.
func (d *daemon) consoleConfig(f *federation, accounts []account, browsers map[string]opener, userConsole bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "listen = %q\nsignin_url = %q\n\n[user]\nname = %q\nregion = \"us-east-1\"\n", d.Listen, f.Endpoint(), d.user)
	if userConsole {
		b.WriteString("console = true\n")
	}
	for _, a := range accounts {
		fmt.Fprintf(&b, "\n[[account]]\nname = %q\nid = %q\n", a.Name, a.ID)
		if a.Role != "" {
			fmt.Fprintf(&b, "role = %q\n", a.Role)
		}
		if o, ok := browsers[a.Name]; ok {
			fmt.Fprintf(&b, "browser = %q\n", o.template())
		}
	}
	return b.String()
}

// loginURL is a parsed sign-in URL from hopd.
type loginURL struct {
	raw                                   string
	base, action, issuer, dest, token, rg string
}

func parseLogin(t *testing.T, raw string) loginURL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("hopd produced a sign-in URL that does not parse: %v", err)
	}
	q := u.Query()
	l := loginURL{raw: raw, base: u.Scheme + "://" + u.Host + u.Path, action: q.Get("Action"), issuer: q.Get("Issuer"), dest: q.Get("Destination"), token: q.Get("SigninToken")}
	if d, err := url.Parse(l.dest); err == nil {
		l.rg = d.Query().Get("region")
	}
	return l
}

// checkLogin checks a sign-in URL: the login action at the federation
// endpoint, with the console home of region as Destination, and a token the
// endpoint issued for credentials that STS maps to wantARN ("": any).
func (f *federation) checkLogin(t *testing.T, l loginURL, region, wantARN string) fedSession {
	t.Helper()
	s := f.checkLoginTo(t, l, "https://"+region+".console.aws.amazon.com/console/home?region="+region)
	if s.ARN == "" || (wantARN != "" && s.ARN != wantARN) {
		t.Errorf("the Session hopd sent to getSigninToken is %s to STS; want %s", s.ARN, wantARN)
	}
	return s
}

func TestConsoleSignIn(t *testing.T) {
	t.Parallel()
	two := threeAccounts[:2] // production, staging
	d := newDaemon(t, options{accounts: two})
	f := startFederation(t, d.moto)
	o := newOpener(t)
	d.WriteConfig(d.consoleConfig(f, two, map[string]opener{"staging": o}, true))
	d.setKeys(iamKeyID, iamSecret)
	d.start()

	prod := parseLogin(t, strings.TrimSpace(d.mustRun("console", "production", "--print")))
	f.checkLogin(t, prod, "us-east-1", d.assumedRoleARN(two[0]))

	// The account's browser command gets the URL; --region moves the Destination.
	r := d.run("console", "staging", "--region", "eu-central-1")
	if r.code != 0 {
		t.Fatalf("hopd console staging --region eu-central-1: exit %d: %s", r.code, r.stderr)
	}
	var opened []string
	eventually(t, 10*time.Second, func() string {
		if opened = o.urls(); len(opened) == 0 {
			return "staging's browser command was not given a URL"
		}
		return ""
	})
	noSigninToken(t, f, o.seen())
	stag := parseLogin(t, follow(t, opened[0]))
	f.checkLogin(t, stag, "eu-central-1", d.assumedRoleARN(two[1]))

	// The IAM user's own account: GetFederationToken with the long-lived
	// keys, which must not reach the endpoint themselves.
	own := parseLogin(t, strings.TrimSpace(d.mustRun("console", d.user, "--print")))
	// Moto does not map federated users in GetCallerIdentity; that it
	// accepted the credentials is what can be checked.
	s := f.checkLogin(t, own, "us-east-1", "")
	if s.ID == iamKeyID || s.Key == iamSecret || s.Token == "" {
		t.Errorf("the IAM user's console Session carries the long-lived keys (id %s); want GetFederationToken's temporary ones", s.ID)
	}

	logout := strings.TrimSpace(d.mustRun("console", "production", "--print", "--logout-first"))
	lu, err := url.Parse(logout)
	if err != nil || lu.Path != "/oauth" || lu.Query().Get("Action") != "logout" {
		t.Fatalf("--logout-first printed %q; want the endpoint's /oauth?Action=logout", logout)
	}
	f.checkLogin(t, parseLogin(t, lu.Query().Get("redirect_uri")), "us-east-1", d.assumedRoleARN(two[0]))

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"console", "nosuch"}, `unknown account "nosuch"`},
		{[]string{"console", "production", "--region", "cn-north-1"}, "partition aws-cn"},
		{[]string{"console", "production", "--region", "mars"}, `"mars" is not an AWS region`},
		{[]string{"console"}, "usage: hopd console ACCOUNT"},
	} {
		r := d.run(tc.args...)
		if r.code == 0 || !oneLine(r.stderr) || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("hopd %s: exit %d, stderr %q; want a failure with one line containing %q", strings.Join(tc.args, " "), r.code, r.stderr, tc.want)
		}
	}

	// What lets someone into the console never reaches the log.
	log := d.Log()
	f.mu.Lock()
	sessions := f.sessions
	f.mu.Unlock()
	for _, s := range sessions {
		for _, secret := range []string{s.Key, s.Token, s.SigninToken} {
			if strings.Contains(log, secret) {
				t.Errorf("hopd's log holds a secret of a console sign-in (%.6s...)", secret)
			}
		}
	}

	t.Run("browser", func(t *testing.T) {
		// A real browser follows the URL hopd opened, through the endpoint's
		// login action, to the console home.
		ctx := newBrowser(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(stag.raw)); err != nil {
			t.Fatalf("chromium could not follow the sign-in URL: %v", err)
		}
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		who, err := chromedp.Run(ctx, chromedp.Text("#who"))
		if err != nil {
			t.Fatalf("the page chromium landed on (%s) has no #who: %v", loc, err)
		}
		region, err := chromedp.Run(ctx, chromedp.Text("#region"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(loc, f.srv.URL+"/console/home?") || who != d.assumedRoleARN(two[1]) || region != "eu-central-1" {
			t.Errorf("chromium landed on %s showing %q in %q; want the console home as %s in eu-central-1", loc, who, region, d.assumedRoleARN(two[1]))
		}
		if !f.redeemed(stag.token) {
			t.Error("the endpoint never redeemed the sign-in token")
		}
	})
}
