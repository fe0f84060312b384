package discover

import (
	"slices"
	"strconv"

	"github.com/hopd/hopd/internal/config"
)

// SSOAccount is one account an Identity Center user is assigned to, with
// the roles (permission sets) the user has in it.
type SSOAccount struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"` // its name in AWS
	Email string   `json:"email,omitempty"`
	Roles []string `json:"roles"`
}

// MergeSSO returns the configuration in force with the accounts listed
// from each [[sso]] block (found is keyed by the block's name). Every
// account x role becomes an account named <account>-<role>, and <account>
// alone is the same account with its preferred role. An [[account]] with
// the same id overrides the preferred entry's name, colour, region, ports
// and browser, and the colour, region and browser of the other roles; it
// is not served on its own. Names already taken get digits of the id.
// cfg is not modified; with nothing listed MergeSSO returns cfg itself.
func MergeSSO(cfg *config.Config, found map[string][]SSOAccount) *config.Config {
	if len(cfg.SSO) == 0 || len(found) == 0 {
		return cfg
	}
	overrides := make(map[string]config.Account)
	listed := make(map[string]bool)
	for _, s := range cfg.SSO {
		for _, a := range found[s.Name] {
			listed[a.ID] = true
		}
	}
	if len(listed) == 0 {
		return cfg
	}
	out := *cfg
	out.Accounts = make([]config.Account, 0, len(cfg.Accounts)+len(listed)*3)
	taken := make(map[string]bool)
	for _, a := range cfg.Accounts {
		if listed[a.ID] {
			if _, ok := overrides[a.ID]; !ok {
				overrides[a.ID] = a
			}
			continue
		}
		out.Accounts = append(out.Accounts, a)
		taken[a.Name] = true
	}
	// A name must go to the account of the [[account]] that chose it.
	for _, a := range overrides {
		taken[a.Name] = true
	}
	seen := make(map[string]bool) // account ids already merged from an earlier [[sso]]
	for _, s := range cfg.SSO {
		for _, a := range found[s.Name] {
			if seen[a.ID] || len(a.Roles) == 0 {
				continue
			}
			seen[a.ID] = true
			out.Accounts = append(out.Accounts, ssoAccounts(s, a, overrides, taken)...)
		}
	}
	return &out
}

// ssoAccounts are the entries of one listed account: the preferred role
// under the account's name, then every role under <account>-<role>.
func ssoAccounts(s config.SSO, a SSOAccount, overrides map[string]config.Account, taken map[string]bool) []config.Account {
	base := config.SSOAccountName(a.Name)
	if base == "" {
		base = config.SSOAccountName("account-" + a.ID)
	}
	roles := slices.Clone(a.Roles)
	slices.Sort(roles)
	roles = slices.Compact(roles)
	preferred := config.PreferredRole(s.Roles, roles)

	entry := func(name, role string) config.Account {
		return config.Account{Name: name, ID: a.ID, Role: role, Region: s.Region, Color: config.DefaultColor(base), SSO: s.Name}
	}
	alias := entry(base, preferred)
	if o, ok := overrides[a.ID]; ok {
		alias.Name, alias.IMDSPort, alias.IMDSv1 = o.Name, o.IMDSPort, o.IMDSv1
	} else {
		alias.Name = free(base, a.ID, taken)
	}
	taken[alias.Name] = true
	out := []config.Account{alias}
	for _, r := range roles {
		label := a.Name
		if label == "" {
			label = "account-" + a.ID
		}
		n := config.SSORoleAccountName(label, r)
		n = free(n, a.ID, taken)
		taken[n] = true
		out = append(out, entry(n, r))
	}
	if o, ok := overrides[a.ID]; ok {
		for i := range out {
			if o.Color != "" {
				out[i].Color = o.Color
			}
			if o.Region != "" {
				out[i].Region = o.Region
			}
			out[i].Browser = o.Browser
		}
	}
	return out
}

// free returns name, or, when it is taken, the name with digits of the id.
func free(name, id string, taken map[string]bool) string {
	if !taken[name] {
		return name
	}
	for _, suffix := range []string{id[len(id)-4:], id} {
		if c := config.NameWithSuffix(name, suffix); !taken[c] {
			return c
		}
	}
	for i := 2; ; i++ {
		if c := config.NameWithSuffix(name, id+"-"+strconv.Itoa(i)); !taken[c] {
			return c
		}
	}
}
