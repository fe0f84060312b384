// Package config loads, validates and watches hopd's TOML configuration.
package config

import "time"

// DefaultRole is the role that AWS Organizations creates in every member
// account, and the one hopd assumes when an account names none.
const DefaultRole = "OrganizationAccountAccessRole"

// DefaultListen is the loopback address of the ECS endpoint, the control API
// and the browser page.
const DefaultListen = "127.0.0.1:9911"

// DefaultSessionDuration is how long one MFA-backed session lasts: a working day.
const DefaultSessionDuration = 12 * time.Hour

// Config is one loaded, validated configuration file. A Config is never
// mutated after Load returns it; a reload produces a new one.
type Config struct {
	Path      string    // the file it was read from ("" when parsed from memory)
	Listen    string    // loopback host:port
	SigninURL string    // federation endpoint override (signin_url), "" for the partition default
	Users     []User    // at least one, unless there is an [[sso]] block
	Accounts  []Account // in file order
	SSO       []SSO     // [[sso]]: IAM Identity Center instances, in file order
	Discover  Discover  // [discover]: accounts listed from AWS Organizations
	Console   Console   // [console]: how every account's console opens
}

// User is where a session's base credentials come from: an IAM user whose
// long-lived keys live in the keychain, or, with Profile, a profile of the
// AWS shared config files.
type User struct {
	Name            string        // keychain item name; with Profile, just the user's name in hopd
	Profile         string        // profile: AWS shared-config profile the SDK resolves; "" for keys in the keychain
	MFASerial       string        // mfa_serial: MFA device ARN, "" for no MFA
	MFAProcess      string        // mfa_process: a shell command that prints a code
	Region          string        // default region for the user's accounts
	SessionDuration time.Duration // session_duration, default DefaultSessionDuration
	Console         bool          // console: offer the web console of the user's own account (GetFederationToken)
}

// Account is one AWS account reached by assuming a role from a user's session.
type Account struct {
	Name     string // [a-z0-9][a-z0-9_-]*, unique
	ID       string // 12 digits
	Role     string // role name, default DefaultRole
	Color    string // "#rrggbb" or a CSS colour name, normalised to "#rrggbb"
	Region   string // default: the user's region
	User     string // the user it hops from, default: the only user; "" when there is no user (it can only adjust an [[sso]] account)
	IMDSPort int    // imds_port: 0 for none
	IMDSv1   bool   // imdsv1: allow token-less IMDS GETs
	Browser  string // browser: a command template for opening its console, or a preset (BrowserPresets); "" for [console]'s
	// SSO names the [[sso]] block an account came from. It is never read
	// from the file: Identity Center accounts are listed, and their
	// credentials come from GetRoleCredentials for Role, not AssumeRole.
	SSO string
}

// RoleARN is the ARN of the role hopd assumes in the account.
func (a Account) RoleARN() string {
	return "arn:" + Partition(a.Region) + ":iam::" + a.ID + ":role/" + a.Role
}

// Partition names the AWS partition a region belongs to.
func Partition(region string) string {
	switch {
	case len(region) >= 3 && region[:3] == "cn-":
		return "aws-cn"
	case len(region) >= 7 && region[:7] == "us-gov-":
		return "aws-us-gov"
	}
	return "aws"
}

// SigninHost is the AWS sign-in host of a region's partition, where the
// console's Switch Role page and IAM users' sign-in pages live.
func SigninHost(region string) string {
	switch Partition(region) {
	case "aws-cn":
		return "signin.amazonaws.cn"
	case "aws-us-gov":
		return "signin.amazonaws-us-gov.com"
	}
	return "signin.aws.amazon.com"
}

// Account returns the account with the given name.
func (c *Config) Account(name string) (Account, bool) {
	for _, a := range c.Accounts {
		if a.Name == name {
			return a, true
		}
	}
	return Account{}, false
}

// User returns the user with the given name.
func (c *Config) User(name string) (User, bool) {
	for _, u := range c.Users {
		if u.Name == name {
			return u, true
		}
	}
	return User{}, false
}
