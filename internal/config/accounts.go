package config

import (
	"strings"
)

func (v *validator) accounts(r *raw, users []User, listenPort int) []Account {
	accounts := make([]Account, 0, len(r.accounts))
	names := map[string]string{} // name -> path of the first account with it
	ports := map[int64]string{}  // imds_port -> label of the first account with it
	for i, fa := range r.accounts {
		el := v.element("account", i)
		base, label, has, fail := el.base, el.label, el.has, el.fail

		a := Account{Name: fa.Name, ID: fa.ID, Role: DefaultRole, Color: fa.Color,
			Region: fa.Region, User: fa.User, IMDSv1: fa.IMDSv1, Browser: fa.Browser}
		el.name(fa.Name, names, "the account", "production")

		switch {
		case !has("id"):
			fail("id", `missing; add the 12-digit account ID in quotes, like id = "222222222222"`)
		case !accountIDRE().MatchString(fa.ID):
			fail("id", `must be 12 digits, like "222222222222"`)
		}

		if has("role") {
			a.Role = fa.Role
			if !roleRE().MatchString(fa.Role) || len(fa.Role[strings.LastIndexByte(fa.Role, '/')+1:]) > 64 {
				fail("role", "%q is not an IAM role name; use up to 64 letters, digits and +=,.@_- (after an optional path/)", fa.Role)
			}
		}

		if has("color") {
			if c, ok := parseColor(fa.Color); ok {
				a.Color = c
			} else {
				fail("color", `%q is not a colour; use "#rgb", "#rrggbb" or a CSS colour name like "teal"`, fa.Color)
			}
		} else {
			a.Color = defaultColor(fa.Name)
		}

		user, known := v.accountUser(base, label, fa, users)
		a.User = user.Name
		if has("region") {
			v.region(base+".region", label+" region", fa.Region)
		} else if known {
			a.Region = user.Region
		}

		if has("imds_port") {
			p := fa.IMDSPort
			switch prev, dup := ports[p]; {
			case p < 1024 || p > 65535:
				fail("imds_port", "%d is out of range; use a port from 1024 to 65535", p)
			case p == int64(listenPort):
				fail("imds_port", "port %d is also the listen port; pick another", p)
			case dup:
				fail("imds_port", "port %d is already used by %s; give each account its own imds_port", p, prev)
			default:
				ports[p] = label
				a.IMDSPort = int(p)
			}
		}

		if has("browser") {
			if msg := checkBrowser(fa.Browser); msg != "" {
				fail("browser", "%s", msg)
			}
		}
		accounts = append(accounts, a)
	}
	return accounts
}

// accountUser finds the user an account hops from: the one it names, or
// the only one.
func (v *validator) accountUser(base, label string, fa fileAccount, users []User) (User, bool) {
	if v.d.has(base + ".user") {
		for _, u := range users {
			if u.Name == fa.User {
				return u, true
			}
		}
		if len(users) > 0 {
			v.fail(base+".user", label+" user", "there is no user named %q; use one of %s", fa.User, userNames(users))
		} else {
			v.fail(base+".user", label+" user", "there is no user named %q: the config has no [user]; remove user, or add the [user] table", fa.User)
		}
		return User{Name: fa.User}, false
	}
	switch len(users) {
	case 0:
		// Either the missing [user] is reported already, or there are
		// only [[sso]] blocks and the entry adjusts one of their accounts.
		return User{}, false
	case 1:
		return users[0], true
	}
	v.fail(base, label+" user", "missing; with several users, say which one this account hops from: add user = one of %s", userNames(users))
	return User{}, false
}
