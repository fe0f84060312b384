package config

import (
	"sort"
	"strings"
)

// MaxAccountName is the longest account name hopd accepts. 64 is what the
// config has always allowed for [[account]] names and what discovered
// names were cut to, so no name that works today is refused; it is also
// IAM's limit for user names, which share the namespace of `hopd console`.
const MaxAccountName = 64

var (
	userNameRE = lazyRE(`^[A-Za-z0-9+=,.@_-]{1,64}$`)
	regionRE   = lazyRE(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
)

// ValidAccountName reports whether s is a valid hopd account name:
// [a-z0-9][a-z0-9_-]*, at most MaxAccountName bytes. It is the one rule;
// the HTTP handlers use it to refuse names no account can have without
// asking the broker, so it avoids regexp on that hot path.
func ValidAccountName(s string) bool {
	if len(s) == 0 || len(s) > MaxAccountName {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || i > 0 && (c == '-' || c == '_') {
			continue
		}
		return false
	}
	return true
}

// ValidUserName reports whether s is an IAM user name: up to 64 letters,
// digits and +=,.@_-. A user with console = true is also reachable by
// that name.
func ValidUserName(s string) bool { return userNameRE().MatchString(s) }

// ValidRegion reports whether s has the shape of an AWS region name, like
// "eu-west-1" or "us-gov-west-1". It does not know which regions exist.
func ValidRegion(s string) bool { return regionRE().MatchString(s) }

// latin folds the accented letters of Western European names to ASCII, so
// that "Société Générale" becomes "societe-generale" rather than
// "soci-t-g-n-rale".
var latin = strings.NewReplacer(
	"à", "a", "á", "a", "â", "a", "ã", "a", "ä", "a", "å", "a", "æ", "ae",
	"ç", "c", "è", "e", "é", "e", "ê", "e", "ë", "e",
	"ì", "i", "í", "i", "î", "i", "ï", "i", "ñ", "n",
	"ò", "o", "ó", "o", "ô", "o", "õ", "o", "ö", "o", "ø", "o", "œ", "oe",
	"ù", "u", "ú", "u", "û", "u", "ü", "u", "ý", "y", "ÿ", "y", "ß", "ss",
)

// slug keeps the ASCII letters and digits of a lower-cased s and turns
// every run of anything else into one dash, with no dash at either end.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}

// cut shortens a slug to at most n bytes (it is ASCII) without a dash at
// the end.
func cut(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.TrimRight(s, "-")
}

// AccountNameFrom turns a name from elsewhere, such as an account's name
// in AWS Organizations or a profile's name in ~/.aws/config, into a valid
// account name: lower case, accented Latin letters folded to ASCII, runs
// of anything but letters and digits as one dash, cut to MaxAccountName.
// A name with nothing usable becomes "account-<id>".
func AccountNameFrom(name, id string) string {
	s := cut(slug(latin.Replace(strings.ToLower(name))), MaxAccountName)
	if s == "" {
		return "account-" + id
	}
	return s
}

// NameWithSuffix appends "-" and suffix to an account name, cutting the
// name so that the whole fits MaxAccountName: the suffix is what tells
// apart accounts whose names collide, so it is kept whole.
func NameWithSuffix(name, suffix string) string {
	return cut(name, MaxAccountName-1-len(suffix)) + "-" + suffix
}

// maxRolePart is how much of an SSO account name the role may take when
// the whole is too long: 32 is the longest permission set name Identity
// Center allows, so a role is only ever cut if its name came from
// elsewhere.
const maxRolePart = 32

// SSOAccountName names an Identity Center account served with its
// preferred role: the account's name lower-cased, every run of characters
// outside [a-z0-9] as one dash, no dash at either end, cut to
// MaxAccountName. Unlike AccountNameFrom it does not fold accents: this is
// the contract of DESIGN.md that other tools rely on. It returns "" when
// nothing usable is left (a name in another script); callers then name the
// account by its id, like SSOAccountName("account-" + id).
func SSOAccountName(accountName string) string {
	return cut(slug(strings.ToLower(accountName)), MaxAccountName)
}

// SSORoleAccountName names an Identity Center account served with one of
// its other roles: SSOAccountName(accountName) + "-" + the role made the
// same way, like ("Staging EU", "ReadOnlyAccess") -> "staging-eu-readonlyaccess".
// When the whole would be longer than MaxAccountName, the role part is kept
// (cut to 32 characters only if it is longer and the account part leaves
// no room) and the account part is cut to fit, so names of the same
// account with different roles stay apart. A role with nothing usable is
// written "role". It returns "" when the account part is empty, as
// SSOAccountName does.
func SSORoleAccountName(accountName, role string) string {
	a := slug(strings.ToLower(accountName))
	if a == "" {
		return ""
	}
	r := slug(strings.ToLower(role))
	if r == "" {
		r = "role"
	}
	if len(a)+1+len(r) > MaxAccountName {
		if len(r) > maxRolePart {
			r = cut(r, max(maxRolePart, MaxAccountName-1-len(a)))
		}
		a = cut(a, MaxAccountName-1-len(r))
	}
	return a + "-" + r
}

// PreferredRole picks the role an Identity Center account is served with
// under its plain name: the first of prefs (the [[sso]] roles) that the
// user has in the account, else the first of have in alphabetical order,
// so that the choice does not depend on the order AWS lists them in. It
// returns "" when have is empty.
func PreferredRole(prefs, have []string) string {
	for _, p := range prefs {
		for _, h := range have {
			if h == p {
				return p
			}
		}
	}
	if len(have) == 0 {
		return ""
	}
	sorted := append([]string(nil), have...)
	sort.Strings(sorted)
	return sorted[0]
}
