package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const signin = "https://signin.example/federation?Action=login&SigninToken=T"

// consoleLinkPath makes a one-time console link and returns its path.
func consoleLinkPath(t *testing.T, d *Dashboard, target string) string {
	t.Helper()
	link, err := d.NewConsoleLink("http://"+host+"/", target)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(link)
	if err != nil || u.Host != host || !strings.HasPrefix(u.Path, ConsolePrefix) || strings.Contains(link, "SigninToken") {
		t.Fatalf("NewConsoleLink gave %q; want a link on %s under %s that holds no sign-in token", link, host, ConsolePrefix)
	}
	return u.Path
}

func TestConsoleLinkOnce(t *testing.T) {
	d := newDashboard(t, newSource())
	p := consoleLinkPath(t, d, signin)

	r := req("GET", p, "")
	r.Header.Set("Sec-Fetch-Site", "none") // opened by a command, not from a page
	w := serve(d, r)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != signin {
		t.Fatalf("GET %s: %d, Location %q; want 303 to the sign-in URL", p, w.Code, w.Header().Get("Location"))
	}
	if got := w.Header().Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy %q; want no-referrer, so the console never learns the link", got)
	}
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q; want no-store", got)
	}
	if w := serve(d, req("GET", p, "")); w.Code != http.StatusGone || w.Header().Get("Location") != "" {
		t.Errorf("GET %s a second time: %d, Location %q; want 410 and no redirect", p, w.Code, w.Header().Get("Location"))
	}
	for _, bad := range []string{ConsolePrefix, ConsolePrefix + "nosuch", ConsolePrefix + strings.TrimPrefix(p, ConsolePrefix) + "x"} {
		if w := serve(d, req("GET", bad, "")); w.Code != http.StatusGone {
			t.Errorf("GET %s: %d; want 410", bad, w.Code)
		}
	}
	p = consoleLinkPath(t, d, signin)
	if w := serve(d, req("POST", p, "{}")); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST %s: %d; want 405", p, w.Code)
	}
	if w := serve(d, req("GET", p, "")); w.Code != http.StatusSeeOther {
		t.Errorf("GET %s after a refused POST: %d; want the link still good (303)", p, w.Code)
	}
}

func TestConsoleLinkExpiresAndIsCapped(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	d := newDashboard(t, newSource(), func(o *Options) { o.Now = func() time.Time { return now } })
	p := consoleLinkPath(t, d, signin)
	now = now.Add(consoleLinkTTL)
	if w := serve(d, req("GET", p, "")); w.Code != http.StatusGone {
		t.Errorf("GET %s after a minute: %d; want 410", p, w.Code)
	}
	for range maxConsoleLinks {
		consoleLinkPath(t, d, signin)
	}
	if _, err := d.NewConsoleLink("http://"+host, signin); err == nil {
		t.Errorf("link %d was made; want at most %d waiting", maxConsoleLinks+1, maxConsoleLinks)
	}
	now = now.Add(consoleLinkTTL)
	consoleLinkPath(t, d, signin) // expired ones make room
}
