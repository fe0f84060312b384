package config

import (
	"regexp"
	"strings"
	"testing"
)

// nameRule is the account-name rule written as a regular expression, to
// check ValidAccountName's loop and the naming functions against.
var nameRule = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

func TestValidAccountName(t *testing.T) {
	tests := []struct {
		s  string
		ok bool
	}{
		{"production", true},
		{"0", true},
		{"prod_eu-1", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{"-prod", false},
		{"_prod", false},
		{"Prod", false},
		{"prod eu", false},
		{"prod.eu", false},
		{"prod/eu", false},
		{"prodé", false},
	}
	for _, tt := range tests {
		if got := ValidAccountName(tt.s); got != tt.ok {
			t.Errorf("ValidAccountName(%q) = %v, want %v", tt.s, got, tt.ok)
		}
		if nameRule.MatchString(tt.s) != tt.ok {
			t.Errorf("the test's rule disagrees on %q", tt.s)
		}
	}
}

func TestValidRegionAndUserName(t *testing.T) {
	for s, ok := range map[string]bool{"eu-west-1": true, "us-gov-west-1": true, "cn-north-1": true, "eu-west": false, "EU-west-1": false, "": false} {
		if ValidRegion(s) != ok {
			t.Errorf("ValidRegion(%q) = %v", s, !ok)
		}
	}
	for s, ok := range map[string]bool{"michael": true, "Michael.Smith@corp": true, "a+b=c,d": true, strings.Repeat("a", 64): true, strings.Repeat("a", 65): false, "a b": false, "": false} {
		if ValidUserName(s) != ok {
			t.Errorf("ValidUserName(%q) = %v", s, !ok)
		}
	}
}

func TestAccountNameFrom(t *testing.T) {
	tests := []struct{ from, want string }{
		{"Production", "production"},
		{"Staging EU (Frankfurt)", "staging-eu-frankfurt"},
		{"  Play_ground  ", "play-ground"},
		{"Société Générale", "societe-generale"},
		{"Straße", "strasse"},
		{"ACME--Prod..", "acme-prod"},
		{"123 Main", "123-main"},
		{"日本", "account-222222222222"},
		{"", "account-222222222222"},
		{strings.Repeat("ab-", 40), strings.TrimRight(strings.Repeat("ab-", 40)[:64], "-")},
	}
	for _, tt := range tests {
		got := AccountNameFrom(tt.from, "222222222222")
		if got != tt.want {
			t.Errorf("AccountNameFrom(%q) = %q, want %q", tt.from, got, tt.want)
		}
		if !ValidAccountName(got) {
			t.Errorf("AccountNameFrom(%q) = %q is not a valid account name", tt.from, got)
		}
	}
}

func TestNameWithSuffix(t *testing.T) {
	long := strings.Repeat("a", 60) + "-bcd"
	tests := []struct{ name, suffix, want string }{
		{"prod", "2222", "prod-2222"},
		{"prod", "2", "prod-2"},
		{long, "2222", strings.Repeat("a", 59) + "-2222"},                 // cut to 59, then no dash left at the end
		{long, "222222222222", strings.Repeat("a", 51) + "-222222222222"}, // the suffix is kept whole
	}
	for _, tt := range tests {
		got := NameWithSuffix(tt.name, tt.suffix)
		if got != tt.want || !ValidAccountName(got) {
			t.Errorf("NameWithSuffix(%q, %q) = %q, want %q", tt.name, tt.suffix, got, tt.want)
		}
	}
}

func TestSSOAccountName(t *testing.T) {
	tests := []struct{ account, want string }{
		{"Production", "production"},
		{"Staging EU", "staging-eu"},
		{"  acme--Prod (EU) ", "acme-prod-eu"},
		{"Société", "soci-t"}, // the contract: no folding
		{"log_archive", "log-archive"},
		{"123", "123"},
		{"日本", ""},
		{"", ""},
		{strings.Repeat("x", 50) + " " + strings.Repeat("y", 20), strings.Repeat("x", 50) + "-" + strings.Repeat("y", 13)},
	}
	for _, tt := range tests {
		got := SSOAccountName(tt.account)
		if got != tt.want {
			t.Errorf("SSOAccountName(%q) = %q, want %q", tt.account, got, tt.want)
		}
		if got != "" && !ValidAccountName(got) {
			t.Errorf("SSOAccountName(%q) = %q is not a valid account name", tt.account, got)
		}
	}
}

func TestSSORoleAccountName(t *testing.T) {
	x50 := strings.Repeat("x", 50) // AWS Organizations' longest account name
	r32 := strings.Repeat("R", 32) // Identity Center's longest permission set name
	tests := []struct{ account, role, want string }{
		{"Staging EU", "ReadOnlyAccess", "staging-eu-readonlyaccess"},
		{"Production", "AdministratorAccess", "production-administratoraccess"},
		{"prod", "Billing+Cost.Viewer", "prod-billing-cost-viewer"},
		{"prod", "___", "prod-role"},
		{"日本", "ReadOnlyAccess", ""},
		// Too long: the role is kept, the account cut to fit.
		{x50, "AdministratorAccess", strings.Repeat("x", 44) + "-administratoraccess"},
		{x50, r32, strings.Repeat("x", 31) + "-" + strings.Repeat("r", 32)},
		// A role longer than 32 (not a permission set) is cut only as far
		// as the account part needs.
		{"prod", strings.Repeat("r", 70), "prod-" + strings.Repeat("r", 59)},
		{x50, strings.Repeat("r", 70), strings.Repeat("x", 31) + "-" + strings.Repeat("r", 32)},
		// Cutting never leaves a dash at the end of the account part.
		{strings.Repeat("x", 30) + " y" + strings.Repeat("z", 20), r32, strings.Repeat("x", 30) + "-" + strings.Repeat("r", 32)},
	}
	for _, tt := range tests {
		got := SSORoleAccountName(tt.account, tt.role)
		if got != tt.want {
			t.Errorf("SSORoleAccountName(%q, %q) = %q, want %q", tt.account, tt.role, got, tt.want)
		}
		if got != "" && !ValidAccountName(got) {
			t.Errorf("SSORoleAccountName(%q, %q) = %q is not a valid account name", tt.account, tt.role, got)
		}
	}
}

func TestPreferredRole(t *testing.T) {
	tests := []struct {
		prefs, have []string
		want        string
	}{
		{[]string{"AdministratorAccess", "ReadOnlyAccess"}, []string{"ReadOnlyAccess", "AdministratorAccess"}, "AdministratorAccess"},
		{[]string{"AdministratorAccess", "ReadOnlyAccess"}, []string{"Billing", "ReadOnlyAccess"}, "ReadOnlyAccess"},
		{[]string{"AdministratorAccess"}, []string{"ViewOnly", "Billing"}, "Billing"},
		{nil, []string{"ViewOnly", "Billing", "Admin"}, "Admin"},
		{[]string{"admin"}, []string{"Admin", "Billing"}, "Admin"}, // names are exact, as AWS has them
		{[]string{"Admin"}, nil, ""},
	}
	for _, tt := range tests {
		have := append([]string(nil), tt.have...)
		if got := PreferredRole(tt.prefs, tt.have); got != tt.want {
			t.Errorf("PreferredRole(%q, %q) = %q, want %q", tt.prefs, tt.have, got, tt.want)
		}
		if strings.Join(have, ",") != strings.Join(tt.have, ",") {
			t.Errorf("PreferredRole reordered its argument: %q", tt.have)
		}
	}
}

// FuzzAccountName: whatever AWS calls an account or a role, the names hopd
// makes of it are valid account names (or "" where documented).
func FuzzAccountName(f *testing.F) {
	for _, s := range []string{"Production", "Société Générale", "日本", "", "--", strings.Repeat("a", 100), "\u212a"} {
		f.Add(s, s+"x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if n := AccountNameFrom(a, "222222222222"); !nameRule.MatchString(n) {
			t.Fatalf("AccountNameFrom(%q) = %q is not a valid name", a, n)
		}
		if n := NameWithSuffix(AccountNameFrom(a, "222222222222"), "2222"); !nameRule.MatchString(n) {
			t.Fatalf("NameWithSuffix(%q) = %q is not a valid name", a, n)
		}
		if n := SSOAccountName(a); n != "" && !nameRule.MatchString(n) {
			t.Fatalf("SSOAccountName(%q) = %q is not a valid name", a, n)
		}
		n := SSORoleAccountName(a, b)
		if n != "" && !nameRule.MatchString(n) {
			t.Fatalf("SSORoleAccountName(%q, %q) = %q is not a valid name", a, b, n)
		}
		if (n == "") != (SSOAccountName(a) == "") {
			t.Fatalf("SSORoleAccountName(%q, %q) = %q but SSOAccountName = %q", a, b, n, SSOAccountName(a))
		}
	})
}
