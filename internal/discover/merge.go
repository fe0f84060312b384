package discover

import "github.com/hopd/hopd/internal/config"

// Merge returns the configuration in force: cfg's accounts, then the
// discovered ones that pass [discover]'s filters. An account in the config
// overrides a discovered one with the same id (its name, colour, region,
// role and ports win); a discovered account whose name a configured one
// already uses gets a name with digits of its id. Discovered accounts hop
// from the discover user's session with the discover role, in the user's
// region, with the default colour of their name. cfg is not modified; when
// nothing is discovered Merge returns cfg itself.
func Merge(cfg *config.Config, found []Account) *config.Config {
	ds := cfg.Discover
	if !ds.Organizations || len(found) == 0 {
		return cfg
	}
	user, ok := cfg.User(ds.User)
	if !ok {
		if len(cfg.Users) != 1 {
			return cfg // validation names the user; this is a config from elsewhere
		}
		user = cfg.Users[0]
	}
	role := ds.Role
	if role == "" {
		role = config.DefaultRole
	}

	ids := make(map[string]bool, len(cfg.Accounts))
	taken := make(map[string]bool, len(cfg.Accounts)+len(found))
	for _, a := range cfg.Accounts {
		ids[a.ID] = true
		taken[a.Name] = true
	}
	f := newFilter(ds)
	keep := make([]Account, 0, len(found))
	for _, a := range found {
		if !ids[a.ID] && f.keep(a) {
			keep = append(keep, a)
		}
	}
	// Discovered names are unique among themselves; only a clash with a
	// configured name moves one, to a name nobody has.
	var clashed []int
	for i, a := range keep {
		if taken[a.Name] {
			clashed = append(clashed, i)
			continue
		}
		taken[a.Name] = true
	}
	for _, i := range clashed {
		a := keep[i]
		names := append(candidates(a.AWSName, a.ID)[1:], "account-"+a.ID)
		keep[i].Name = firstFree(names, taken)
		taken[keep[i].Name] = true
	}

	out := *cfg
	out.Accounts = append(make([]config.Account, 0, len(cfg.Accounts)+len(keep)), cfg.Accounts...)
	for _, a := range keep {
		out.Accounts = append(out.Accounts, config.Account{
			Name:   a.Name,
			ID:     a.ID,
			Role:   role,
			Color:  config.DefaultColor(a.Name),
			Region: user.Region,
			User:   user.Name,
		})
	}
	return &out
}
