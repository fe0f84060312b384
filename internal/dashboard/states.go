package dashboard

import (
	"encoding/json"
	"strings"

	"github.com/hopd/hopd/internal/api"
)

// accountLabels are the badges the page shows for account states.
var accountLabels = map[api.AccountState]string{
	api.AccountFresh:      "fresh",
	api.AccountRefreshing: "refreshing…",
	api.AccountIdle:       "idle", // as `hopd status` says: none fetched yet
	api.AccountExpired:    "expired",
	api.AccountError:      "error",
}

// pageStates is the list of states app.js compares with, made from the
// broker's constants and handed to the page in index.html, so the page
// never spells a state of its own: app.js writes states.user.needsMfa for
// "needs-mfa", and states.accountLabel for the badges.
type pageStates struct {
	User         map[string]api.UserState    `json:"user"`
	Account      map[string]api.AccountState `json:"account"`
	AccountLabel map[api.AccountState]string `json:"accountLabel"`
	SSO          map[string]api.SSOState     `json:"sso"`
}

func newPageStates() pageStates {
	ps := pageStates{User: map[string]api.UserState{}, Account: map[string]api.AccountState{}, AccountLabel: accountLabels, SSO: map[string]api.SSOState{}}
	for _, s := range api.SSOStates() {
		ps.SSO[jsName(string(s))] = s
	}
	for _, s := range api.UserStates() {
		ps.User[jsName(string(s))] = s
	}
	for _, s := range api.AccountStates() {
		ps.Account[jsName(string(s))] = s
	}
	return ps
}

// statesJSON is pageStates as the page's meta tag carries it.
func statesJSON() string {
	data, err := json.Marshal(newPageStates())
	if err != nil {
		panic("dashboard: the page's states do not encode: " + err.Error()) // maps of strings always do
	}
	return string(data)
}

// jsName turns a state into the name the page knows it by: "needs-mfa"
// becomes needsMfa.
func jsName(state string) string {
	parts := strings.Split(state, "-")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}
