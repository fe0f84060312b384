package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/hopd/hopd/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var creds = Credentials{
	AccessKeyID:     "ASIAUNITTEST00000001",
	SecretAccessKey: "consoleSecretDoNotLeak0123456789abcdefgh",
	SessionToken:    "consoleSessionTokenDoNotLeak/+=",
}

func TestConsoleHome(t *testing.T) {
	for region, want := range map[string]string{
		"eu-west-1":     "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1",
		"us-gov-west-1": "https://console.amazonaws-us-gov.com/console/home?region=us-gov-west-1",
		"cn-north-1":    "https://console.amazonaws.cn/console/home?region=cn-north-1",
	} {
		if got := ConsoleHome(region); got != want {
			t.Errorf("ConsoleHome(%s) = %s; want %s", region, got, want)
		}
	}
	for region, want := range map[string]string{
		"eu-west-1":      "https://signin.aws.amazon.com/federation",
		"us-gov-east-1":  "https://signin.amazonaws-us-gov.com/federation",
		"cn-northwest-1": "https://signin.amazonaws.cn/federation",
	} {
		if got := PartitionOf(region).Signin; got != want {
			t.Errorf("the federation endpoint for %s is %s; want %s", region, got, want)
		}
	}
}

func TestCheckRegion(t *testing.T) {
	for _, tc := range []struct{ region, home, want string }{
		{"eu-central-1", "us-east-1", ""},
		{"us-gov-east-1", "us-gov-west-1", ""},
		{"cn-north-1", "eu-west-1", "region cn-north-1 is in partition aws-cn but the account is in aws"},
		{"eu-west-1", "us-gov-west-1", "pick a region of aws-us-gov, like us-gov-west-1"},
		{"mars", "us-east-1", `"mars" is not an AWS region`},
		{"EU-WEST-1", "us-east-1", "is not an AWS region"},
	} {
		err := CheckRegion(tc.region, tc.home)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("CheckRegion(%s, %s) = %v; want %q", tc.region, tc.home, err, tc.want)
		}
	}
}

func TestSplitWords(t *testing.T) {
	for in, want := range map[string][]string{
		`firefox --new-tab {url}`:                              {"firefox", "--new-tab", "{url}"},
		`  open -na "Google Chrome" --args {url}  `:            {"open", "-na", "Google Chrome", "--args", "{url}"},
		`"C:\Program Files\Mozilla Firefox\firefox.exe" {url}`: {`C:\Program Files\Mozilla Firefox\firefox.exe`, "{url}"},
		`sh -c 'printf "%s" "$0"' {url}`:                       {"sh", "-c", `printf "%s" "$0"`, "{url}"},
		`a\ b "c\"d" 'e\f' ""`:                                 {"a b", `c"d`, `e\f`, ""},
		`ext+container:name=Work&url={url}`:                    {"ext+container:name=Work&url={url}"},
	} {
		got, err := SplitWords(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("SplitWords(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := SplitWords(`firefox "{url}`); err == nil || !strings.Contains(err.Error(), "unclosed") {
		t.Errorf("an unclosed quote gives %v; want an error saying so", err)
	}
}

func TestCommand(t *testing.T) {
	argv, err := Command(`firefox "ext+container:name=Prod&url={url}"`, "https://x/?a=1&b=2")
	if err != nil || !reflect.DeepEqual(argv, []string{"firefox", "ext+container:name=Prod&url=https://x/?a=1&b=2"}) {
		t.Errorf("Command = %q, %v", argv, err)
	}
	for tmpl, want := range map[string]string{"": "empty", "firefox": "no {url}", `firefox '{url}`: "unclosed"} {
		if _, err := Command(tmpl, "u"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Command(%q) = %v; want an error containing %q", tmpl, err, want)
		}
	}
}

// fakeFederation answers getSigninToken like AWS, for a unit test of
// LoginURL (the e2e tests use one that asks moto about the credentials).
func fakeFederation(t *testing.T, status int) (*httptest.Server, *url.Values) {
	t.Helper()
	var got url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Query()
		if status != http.StatusOK {
			http.Error(w, "nope: "+r.URL.RawQuery, status) // AWS pages echo nothing; ours tries to
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"SigninToken": "TOKEN+/="})
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func TestLoginURL(t *testing.T) {
	srv, got := fakeFederation(t, http.StatusOK)
	s := Signer{Endpoint: srv.URL + "/federation"}
	u, err := s.LoginURL(context.Background(), creds, "eu-west-1", "")
	if err != nil {
		t.Fatal(err)
	}
	if got.Get("Action") != "getSigninToken" || got.Has("SessionDuration") {
		t.Errorf("getSigninToken query %v; want Action=getSigninToken and no SessionDuration", *got)
	}
	var session map[string]string
	if err := json.Unmarshal([]byte(got.Get("Session")), &session); err != nil ||
		!reflect.DeepEqual(session, map[string]string{"sessionId": creds.AccessKeyID, "sessionKey": creds.SecretAccessKey, "sessionToken": creds.SessionToken}) {
		t.Errorf("Session = %s (%v); want the three credentials", got.Get("Session"), err)
	}

	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := parsed.Query()
	if base := parsed.Scheme + "://" + parsed.Host + parsed.Path; base != s.Endpoint || q.Get("Action") != "login" || q.Get("Issuer") != "hopd" ||
		q.Get("SigninToken") != "TOKEN+/=" || q.Get("Destination") != ConsoleHome("eu-west-1") {
		t.Errorf("login URL %s; want %s?Action=login&Issuer=hopd&Destination=%s&SigninToken=TOKEN+/=", u, s.Endpoint, ConsoleHome("eu-west-1"))
	}
	for _, secret := range []string{creds.SecretAccessKey, creds.SessionToken, creds.AccessKeyID} {
		if strings.Contains(u, secret) || strings.Contains(u, url.QueryEscape(secret)) {
			t.Errorf("the login URL holds a credential")
		}
	}

	t.Setenv(EnvSigninURL, srv.URL+"/from-env")
	if e := Endpoint("https://configured.example/federation"); e != srv.URL+"/from-env" {
		t.Errorf("Endpoint with $%s set = %s; want the variable's value", EnvSigninURL, e)
	}
	t.Setenv(EnvSigninURL, "")
	if e := Endpoint("https://configured.example/federation"); e != "https://configured.example/federation" {
		t.Errorf("Endpoint without $%s = %s; want signin_url", EnvSigninURL, e)
	}
}

func TestLoginURLErrorsHoldNoSecrets(t *testing.T) {
	refused, _ := fakeFederation(t, http.StatusBadRequest)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for name, s := range map[string]Signer{
		"refused":     {Endpoint: refused.URL + "/federation"},
		"unreachable": {Endpoint: closed.URL + "/federation"},
		"bad":         {Endpoint: "ftp://example.com/federation"},
	} {
		_, err := s.LoginURL(context.Background(), creds, "us-east-1", "")
		if err == nil {
			t.Errorf("%s: LoginURL succeeded", name)
			continue
		}
		for _, secret := range []string{creds.SecretAccessKey, creds.SessionToken, url.QueryEscape(creds.SessionToken), url.QueryEscape(creds.SecretAccessKey)} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: the error holds a credential: %v", name, err)
			}
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: the error is not one line: %q", name, err)
		}
	}
	if _, err := (Signer{Endpoint: refused.URL}).LoginURL(context.Background(), Credentials{AccessKeyID: "A", SecretAccessKey: "B"}, "us-east-1", ""); err == nil {
		t.Error("LoginURL accepted credentials without a session token")
	}
}

func TestLogoutFirst(t *testing.T) {
	login := "https://signin.aws.amazon.com/federation?Action=login&Issuer=hopd&SigninToken=T"
	got, err := LogoutFirst(login)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(got)
	if u.Host != "signin.aws.amazon.com" || u.Path != "/oauth" || u.Query().Get("Action") != "logout" || u.Query().Get("redirect_uri") != login {
		t.Errorf("LogoutFirst = %s; want https://signin.aws.amazon.com/oauth?Action=logout&redirect_uri=<the login URL>", got)
	}
}

// GetFederationToken against moto: the IAM user's keys become temporary
// credentials that STS accepts.
func TestFederationCredentials(t *testing.T) {
	m := testenv.SharedMoto(t)
	t.Setenv("AWS_ENDPOINT_URL", m.URL)
	keys := Credentials{AccessKeyID: "AKIAUNITTEST00000001", SecretAccessKey: "unitTestSecretKey0123456789abcdefghijklm"}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := FederationCredentials(ctx, NewFederationAPI("us-east-1", keys), "michael")
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessKeyID == "" || c.AccessKeyID == keys.AccessKeyID || c.SecretAccessKey == keys.SecretAccessKey || c.SessionToken == "" {
		t.Fatalf("GetFederationToken gave %s with a session token %v; want new temporary credentials", c.AccessKeyID, c.SessionToken != "")
	}
	client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(m.URL),
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)})
	if _, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("STS does not accept the federated credentials: %v", err)
	}
	if n := FederatedName(strings.Repeat("x", 40)); len(n) != 32 || !strings.HasPrefix(n, "hopd-") {
		t.Errorf("FederatedName of a long user = %q; want hopd-... cut to STS's 32 characters", n)
	}
}

func TestOpenWithTemplate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the templates here run sh")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		testenv.Missing(t, "sh", err)
	}
	out := filepath.Join(t.TempDir(), "opened")
	const link = "https://signin.example/federation?Action=login&SigninToken=a'b\"c d"
	if err := Open(context.Background(), link, `sh -c 'printf %s "$0" > "$1"' {url} `+out); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil || string(data) != link {
		t.Errorf("the browser command got %q (%v); want the URL as one argument, unchanged", data, err)
	}
	err = Open(context.Background(), link, `sh -c 'exit 3' {url}`)
	if err == nil || !strings.Contains(err.Error(), `"sh"`) || strings.Contains(err.Error(), "SigninToken") {
		t.Errorf("a failing browser command gives %v; want an error naming the program and not the URL", err)
	}
	if err := Open(context.Background(), link, "/nonexistent/browser {url}"); err == nil || strings.Contains(err.Error(), "SigninToken") {
		t.Errorf("a missing browser gives %v; want an error without the URL", err)
	}
}
