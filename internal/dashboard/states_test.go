package dashboard

import (
	"encoding/json"
	"html"
	"io/fs"
	"regexp"
	"testing"

	"github.com/hopd/hopd/assets"
	"github.com/hopd/hopd/internal/api"
)

func TestPageGetsEveryState(t *testing.T) {
	ps := newPageStates()
	if len(ps.User) != len(api.UserStates()) || len(ps.Account) != len(api.AccountStates()) {
		t.Fatalf("two states share a page name: %v, %v", ps.User, ps.Account)
	}
	for name, s := range map[string]api.UserState{"ok": api.UserOK, "needsMfa": api.UserNeedsMFA, "noKeys": api.UserNoKeys, "noSession": api.UserNoSession} {
		if ps.User[name] != s {
			t.Errorf("states.user.%s = %q, want %q", name, ps.User[name], s)
		}
	}
	for _, s := range api.AccountStates() {
		if accountLabels[s] == "" {
			t.Errorf("account state %q has no badge on the page", s)
		}
	}
}

// TestAppUsesOnlyStatesItIsGiven catches app.js naming a state the broker
// does not have, which would compare with undefined and never match.
func TestAppUsesOnlyStatesItIsGiven(t *testing.T) {
	js, err := fs.ReadFile(assets.Web(), "app.js")
	if err != nil {
		t.Fatal(err)
	}
	ps := newPageStates()
	uses := regexp.MustCompile(`states\.(user|account)\.(\w+)`).FindAllStringSubmatch(string(js), -1)
	if len(uses) < 4 {
		t.Fatalf("app.js names %d states; it should take them all from states", len(uses))
	}
	for _, u := range uses {
		_, okUser := ps.User[u[2]]
		_, okAccount := ps.Account[u[2]]
		if (u[1] == "user" && !okUser) || (u[1] == "account" && !okAccount) {
			t.Errorf("app.js uses %s, which the broker has no state for", u[0])
		}
	}
	if lit := regexp.MustCompile(`\.state === '`).FindString(string(js)); lit != "" {
		t.Errorf("app.js compares a state with a literal (%s…): use states", lit)
	}
}

func TestIndexCarriesTheStates(t *testing.T) {
	d := newDashboard(t, newSource())
	cookie, _ := login(t, d)
	page := req("GET", "/", "")
	page.AddCookie(cookie)
	w := serve(d, page)
	m := regexp.MustCompile(`name="hopd-states" content="([^"]+)"`).FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatalf("no hopd-states meta tag in the page:\n%s", w.Body)
	}
	var got pageStates
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &got); err != nil {
		t.Fatalf("the page's states are not JSON: %v", err)
	}
	if got.User["needsMfa"] != api.UserNeedsMFA || got.AccountLabel[api.AccountIdle] != "idle" {
		t.Errorf("the page's states = %+v", got)
	}
}

func TestJSName(t *testing.T) {
	for in, want := range map[string]string{"ok": "ok", "needs-mfa": "needsMfa", "no-session": "noSession", "a-b-c": "aBC"} {
		if got := jsName(in); got != want {
			t.Errorf("jsName(%q) = %q, want %q", in, got, want)
		}
	}
}
