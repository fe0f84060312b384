package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/chromedp/chromedp"

	"github.com/hopd/hopd/internal/testenv"
)

// follow opens a one-time console link as this test's user, checks that it
// redirects at once, without a referrer, and works only once, and returns
// where it leads.
func follow(t *testing.T, link string) string {
	t.Helper()
	if !strings.HasPrefix(link, "http://127.0.0.1:") || !strings.Contains(link, "/console/") {
		t.Fatalf("the browser was given %q; want a one-time link on hopd's loopback listener", link)
	}
	resp, err := httpClient.Get(link)
	if err != nil {
		t.Fatalf("following the one-time console link: %v", err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || loc == "" || resp.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("the one-time console link answered %s (Location set: %t), Referrer-Policy %q; want 303 to the sign-in URL, no-referrer",
			resp.Status, loc != "", resp.Header.Get("Referrer-Policy"))
	}
	again, err := httpClient.Get(link)
	if err != nil {
		t.Fatalf("following the one-time console link again: %v", err)
	}
	again.Body.Close()
	if again.StatusCode != http.StatusGone {
		t.Errorf("the one-time console link answered %s the second time; want 410 Gone", again.Status)
	}
	return loc
}

// noSigninToken checks that no sign-in token issued by f reached what a
// browser command was given.
func noSigninToken(t *testing.T, f *federation, seen string) {
	t.Helper()
	if seen == "" {
		t.Fatal("the browser command recorded nothing")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.sessions {
		if strings.Contains(seen, s.SigninToken) {
			t.Errorf("a sign-in token reached the browser's command line or environment, where any local user can read it")
		}
	}
	if strings.Contains(seen, "SigninToken") {
		t.Errorf("the browser's command line or environment holds a SigninToken")
	}
}

// TestConsoleOneTimeLink: `hopd console` hands the browser a loopback
// link, never the sign-in URL; the link works once, for its own user, and
// leads to a federation URL the stand-in accepts, with the deep link as
// Destination. Another user's attempt does not use it up.
func TestConsoleOneTimeLink(t *testing.T) {
	t.Parallel()
	two := threeAccounts[:2]
	d := newDaemon(t, options{accounts: two})
	f := startFederation(t, d.moto)
	o := newOpener(t)
	d.WriteConfig(d.consoleConfig(f, two, map[string]opener{"staging": o}, false))
	d.setKeys(iamKeyID, iamSecret)
	d.start()

	if r := d.run("console", "staging", "--service", "ddb", "--region", "euw1"); r.code != 0 {
		t.Fatalf("hopd console staging --service ddb --region euw1: exit %d: %s", r.code, r.stderr)
	} else if !strings.Contains(r.stderr, "the console session ends at") {
		t.Errorf("hopd console said %q; want it to say when the console session ends", r.stderr)
	}
	opened := o.urls()
	if len(opened) != 1 {
		t.Fatalf("the browser command was given %v; want one link", opened)
	}
	noSigninToken(t, f, o.seen())

	if _, err := os.Stat("/usr/bin/python3"); err == nil && os.Getuid() == 0 {
		// Another user cannot use the link: hopd closes its connection at
		// accept, and the link stays good for its owner.
		cmd := exec.Command("/usr/bin/python3", "-c", `import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=5)
    print("answered")
except Exception as e:
    print("refused", e)`, opened[0])
		cmd.Dir = "/"
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "refused") || strings.Contains(string(out), "303") {
			t.Errorf("user nobody opening the link: %v %s; want the connection refused", err, out)
		}
	} else if os.Getenv("CI") == "true" {
		t.Error("root and /usr/bin/python3 are needed to open the link as another user, and CI=true forbids skipping that")
	}

	login := parseLogin(t, follow(t, opened[0]))
	s := f.checkLoginTo(t, login, "https://eu-west-1.console.aws.amazon.com/dynamodbv2/home?region=eu-west-1")
	if s.ARN != d.assumedRoleARN(two[1]) {
		t.Errorf("the console sign-in is for %s; want %s", s.ARN, d.assumedRoleARN(two[1]))
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"console", "staging", "--service", "nosuch"}, `unknown service "nosuch"`},
		{[]string{"console", "staging", "--region", "xx9"}, `"xx9" is not an AWS region`},
		{[]string{"console", "staging", "--url", "https://evil.example/"}, "is not a URL of the AWS console"},
		{[]string{"console", "staging", "--service", "s3", "--path", "s3/home"}, "none of the others can be"},
	} {
		r := d.run(tc.args...)
		if r.code == 0 || !oneLine(r.stderr) || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("hopd %s: exit %d, stderr %q; want one line containing %q", strings.Join(tc.args, " "), r.code, r.stderr, tc.want)
		}
	}

	t.Run("chromium", func(t *testing.T) {
		// A real browser follows a one-time link through hopd and the
		// stand-in to the deep link's page, pasted URL and all.
		pasted := "https://123456789012-abcd1234.eu-central-1.console.aws.amazon.com/lambda/home?region=eu-central-1#/functions"
		r := d.run("console", "staging", "--url", pasted)
		if r.code != 0 {
			t.Fatalf("hopd console staging --url: exit %d: %s", r.code, r.stderr)
		}
		link := o.urls()[len(o.urls())-1]
		ctx := newBrowser(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(link)); err != nil {
			t.Fatalf("chromium could not follow the one-time link: %v", err)
		}
		dest, err := chromedp.Run(ctx, chromedp.Text("#dest"))
		if err != nil {
			t.Fatalf("chromium did not land on the stand-in's console page: %v", err)
		}
		if want := "https://eu-central-1.console.aws.amazon.com/lambda/home?region=eu-central-1#/functions"; dest != want {
			t.Errorf("chromium landed on the console at %q; want %q (the pasted URL without its multi-session prefix)", dest, want)
		}
		who, _ := chromedp.Run(ctx, chromedp.Text("#who"))
		if who != d.assumedRoleARN(two[1]) {
			t.Errorf("chromium is signed in as %q; want %s", who, d.assumedRoleARN(two[1]))
		}
	})
}

// fakeBrowsers puts firefox and google-chrome on a PATH of their own that
// record their command lines, one file each.
func fakeBrowsers(t *testing.T) (dir string, argv func(name string) []string) {
	t.Helper()
	dir = t.TempDir()
	for _, name := range []string{"firefox", "google-chrome"} {
		script := fmt.Sprintf("#!/bin/sh\nfor a in \"$@\"; do printf '%%s\\t' \"$a\"; done >> %q\necho >> %q\n", filepath.Join(dir, name+".argv"), filepath.Join(dir, name+".argv"))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir, func(name string) []string {
		data, _ := os.ReadFile(filepath.Join(dir, name+".argv"))
		return strings.Split(strings.TrimSpace(string(data)), "\n")
	}
}

// TestConsolePresets: [console] browser = "firefox-container" opens each
// account in a container named and coloured after it, an account's own
// "chrome-profile" in a profile directory of its own; two accounts at
// once, and no logout first by default.
func TestConsolePresets(t *testing.T) {
	t.Parallel()
	bin, argv := fakeBrowsers(t)
	d := newDaemon(t, options{accounts: threeAccounts, env: []string{"PATH=" + bin + ":" + os.Getenv("PATH")}})
	f := startFederation(t, d.moto)
	cfg := d.consoleConfig(f, threeAccounts, nil, false)
	cfg = strings.Replace(cfg, "\n[[account]]", "\n[console]\nbrowser = \"firefox-container\"\n\n[[account]]", 1)
	cfg = strings.Replace(cfg, fmt.Sprintf("id = %q\n", threeAccounts[0].ID), fmt.Sprintf("id = %q\ncolor = \"#d13212\"\n", threeAccounts[0].ID), 1)
	cfg += "browser = \"chrome-profile\"\n" // the last account's own
	d.WriteConfig(cfg)
	d.setKeys(iamKeyID, iamSecret)
	d.start()

	for _, a := range threeAccounts {
		if r := d.run("console", a.Name); r.code != 0 {
			t.Fatalf("hopd console %s: exit %d: %s", a.Name, r.code, r.stderr)
		}
	}
	ff := argv("firefox")
	if len(ff) != 2 {
		t.Fatalf("firefox ran %d times (%q); want once for each of two accounts", len(ff), ff)
	}
	for i, a := range threeAccounts[:2] {
		arg := strings.TrimSuffix(ff[i], "\t")
		rest, ok := strings.CutPrefix(arg, "ext+container:")
		q, err := url.ParseQuery(rest)
		if !ok || err != nil || q.Get("name") != a.Name || q.Get("color") == "" {
			t.Errorf("firefox for %s got %q; want ext+container:name=%s&color=...&url=...", a.Name, arg, a.Name)
			continue
		}
		if i == 0 && q.Get("color") != "red" {
			t.Errorf("production (#d13212) opened in a %s container; want red", q.Get("color"))
		}
		loc := follow(t, q.Get("url"))
		if u, _ := url.Parse(loc); u == nil || u.Path != "/federation" || u.Query().Get("Action") != "login" {
			t.Errorf("%s's container link led to %.60s...; want the login action without a logout first", a.Name, loc)
		}
	}
	gc := argv("google-chrome")
	last := threeAccounts[2]
	if len(gc) != 1 || !strings.HasPrefix(gc[0], "--profile-directory=hopd-"+last.Name+"\t") {
		t.Fatalf("google-chrome ran with %q; want --profile-directory=hopd-%s and the link", gc, last.Name)
	}
	link := strings.TrimSuffix(strings.SplitN(gc[0], "\t", 2)[1], "\t")
	f.checkLogin(t, parseLogin(t, follow(t, link)), "us-east-1", d.assumedRoleARN(last))
	noSigninToken(t, f, strings.Join(ff, "\n")+strings.Join(gc, "\n"))
}

// TestSwitchRoleExports: the Switch Role link, the bookmarks file and the
// AESR config for three accounts, and the IAM user's sign-in page with and
// without an account alias.
func TestSwitchRoleExports(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, options{accounts: threeAccounts})
	d.waitECS("production")

	link := strings.TrimSpace(d.mustRun("console", "production", "--switch-role-link"))
	u, err := url.Parse(link)
	q := u.Query()
	if err != nil || u.Host != "signin.aws.amazon.com" || u.Path != "/switchrole" || q.Get("account") != threeAccounts[0].ID ||
		q.Get("roleName") != "OrganizationAccountAccessRole" || q.Get("displayName") != "production" || len(q.Get("color")) != 6 {
		t.Errorf("--switch-role-link printed %q; want signin.aws.amazon.com/switchrole for production's id and role, with a colour", link)
	}

	out := filepath.Join(t.TempDir(), "bookmarks.html")
	d.mustRun("export", "switch-roles", "-o", out)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	parsed := pythonHTMLLinks(t, string(data))
	if len(parsed) != len(threeAccounts) {
		t.Fatalf("the bookmarks file has %d links (%q); want one per account", len(parsed), parsed)
	}
	for i, a := range threeAccounts {
		if !strings.Contains(parsed[i], "account="+a.ID) || !strings.HasSuffix(parsed[i], "\t"+a.Name) {
			t.Errorf("bookmark %d is %q; want %s's Switch Role link named after it", i, parsed[i], a.Name)
		}
	}

	ini := d.mustRun("export", "aesr")
	sections := pythonINI(t, ini)
	for _, a := range threeAccounts {
		s, ok := sections[a.Name]
		if !ok || s["aws_account_id"] != a.ID || s["role_name"] != a.role() || len(s["color"]) != 6 {
			t.Errorf("the AESR config's [%s] is %v; want aws_account_id %s, role_name %s and a colour", a.Name, s, a.ID, a.role())
		}
	}

	id := d.callerAccount(t)
	if got := strings.TrimSpace(d.mustRun("signin-link")); got != "https://"+id+".signin.aws.amazon.com/console" {
		t.Errorf("hopd signin-link without an alias printed %q; want the account id's sign-in page", got)
	}
	d.createAccountAlias(t, "acme-"+randHex(4))
	got := strings.TrimSpace(d.mustRun("signin-link", "production"))
	if !strings.HasPrefix(got, "https://acme-") || !strings.HasSuffix(got, ".signin.aws.amazon.com/console") {
		t.Errorf("hopd signin-link with an alias printed %q; want https://<alias>.signin.aws.amazon.com/console", got)
	}
}

// waitOpened waits for a browser command to be given n links.
func waitOpened(t *testing.T, o opener, n int) []string {
	t.Helper()
	var opened []string
	eventually(t, 20*time.Second, func() string {
		if opened = o.urls(); len(opened) < n {
			return fmt.Sprintf("the browser command was given %d links; want %d", len(opened), n)
		}
		return ""
	})
	return opened
}

// adminIAM is moto's IAM as the test's IAM user.
func (d *daemon) adminIAM() *iam.Client {
	return iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(d.moto.URL),
		Credentials: credentials.NewStaticCredentialsProvider(iamKeyID, iamSecret, "")})
}

// callerAccount is the account moto puts the test's IAM user in.
func (d *daemon) callerAccount(t *testing.T) string {
	t.Helper()
	c := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(d.moto.URL),
		Credentials: credentials.NewStaticCredentialsProvider(iamKeyID, iamSecret, "")})
	out, err := c.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("moto GetCallerIdentity: %v", err)
	}
	return aws.ToString(out.Account)
}

// createAccountAlias gives the IAM user's account an alias until the test ends.
func (d *daemon) createAccountAlias(t *testing.T, alias string) {
	t.Helper()
	ctx := context.Background()
	if _, err := d.adminIAM().CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String(alias)}); err != nil {
		t.Fatalf("moto CreateAccountAlias: %v", err)
	}
	t.Cleanup(func() {
		_, _ = d.adminIAM().DeleteAccountAlias(ctx, &iam.DeleteAccountAliasInput{AccountAlias: aws.String(alias)})
	})
}

// pythonHTMLLinks parses HTML with Python's html.parser and returns each
// link as "href\ttext".
func pythonHTMLLinks(t *testing.T, doc string) []string {
	t.Helper()
	out := python(t, doc, `import sys, html.parser
class P(html.parser.HTMLParser):
    href = None
    def handle_starttag(self, tag, attrs):
        if tag == "a": self.href = dict(attrs).get("href")
    def handle_data(self, data):
        if self.href is not None:
            print(self.href + "\t" + data); self.href = None
P().feed(sys.stdin.read())`)
	return strings.Split(strings.TrimSpace(out), "\n")
}

// pythonINI parses INI text with Python's configparser.
func pythonINI(t *testing.T, text string) map[string]map[string]string {
	t.Helper()
	out := python(t, text, `import sys, configparser, json
c = configparser.ConfigParser(interpolation=None)
c.read_string(sys.stdin.read())
print(json.dumps({s: dict(c[s]) for s in c.sections()}))`)
	var m map[string]map[string]string
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("configparser's answer %q: %v", out, err)
	}
	return m
}

func python(t *testing.T, stdin, script string) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		testenv.Missing(t, "/usr/bin/python3 (apt-get install python3), to parse hopd's exports", err)
	}
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3 could not parse hopd's output: %v\n%s", err, stdin)
	}
	return string(out)
}
