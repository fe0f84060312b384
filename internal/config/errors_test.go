package config

import (
	"strings"
	"testing"
)

// header is a valid start for files that test account errors: accounts
// start on line 3.
const header = "[user]\nname = \"michael\"\n"

func TestParseErrors(t *testing.T) {
	checkParseErrors(t, []parseErrorCase{
		{"syntax", lines(`[user]`, `name = "michael`), 2, 16, "", "syntax error"},
		{"syntax in header", lines(`[user`, `name = "michael"`), 1, 6, "", "syntax error"},
		{"duplicate key", lines(`[user]`, `name = "a"`, `name = "b"`), 3, 1, "user name", "already defined"},
		{"unknown top-level key", lines(`lissen = "127.0.0.1:1"`, `[user]`, `name = "m"`), 1, 1, "lissen", "unknown key"},
		{"unknown user key", lines(`[user]`, `name = "m"`, `mfa = "x"`), 3, 1, "user mfa", "unknown key"},
		{"unknown account key", header + lines(`[[account]]`, `name = "production"`, `id = "222222222222"`, `colour = "red"`), 6, 1, `account "production" colour`, "unknown key"},
		{"unknown table", header + lines(`[accounts]`, `x = 1`), 3, 1, "accounts", "unknown key"},
		{"id with 11 digits", header + lines(`[[account]]`, `name = "production"`, `id = "22222222222"`), 5, 6, `account "production" id`, `must be 12 digits, like "222222222222"`},
		{"id with letters", header + lines(`[[account]]`, `name = "production"`, `id = "22222222222a"`), 5, 6, `account "production" id`, "must be 12 digits"},
		{"unquoted id", header + lines(`[[account]]`, `name = "production"`, `id = 222222222222`), 5, 6, `account "production" id`, "must be quoted"},
		{"missing id", header + lines(`[[account]]`, `name = "production"`), 3, 1, `account "production" id`, "missing"},
		{"missing name", header + lines(`[[account]]`, `id = "222222222222"`), 3, 1, `account #1 name`, "missing"},
		{"bad name", header + lines(`[[account]]`, `name = "Production"`, `id = "222222222222"`), 4, 8, `account "Production" name`, "lower-case"},
		{"duplicate account", header + lines(`[[account]]`, `name = "production"`, `id = "222222222222"`, `[[account]]`, `name = "production"`, `id = "333333333333"`), 7, 8, `account "production" name`, "line 4 has the same name"},
		{"bad colour", header + lines(`[[account]]`, `name = "p"`, `id = "222222222222"`, `color = "#12345"`), 6, 9, `account "p" color`, "not a colour"},
		{"unknown colour name", header + lines(`[[account]]`, `name = "p"`, `id = "222222222222"`, `color = "blurple"`), 6, 9, `account "p" color`, "CSS colour name"},
		{"any address", lines(`listen = "0.0.0.0:9911"`, `[user]`, `name = "m"`), 1, 10, "listen", "other machines can't get credentials"},
		{"LAN address", lines(`listen = "192.168.1.2:9911"`, `[user]`, `name = "m"`), 1, 10, "listen", "loopback"},
		{"host name", lines(`listen = "example.com:9911"`, `[user]`, `name = "m"`), 1, 10, "listen", "loopback"},
		{"missing port", lines(`listen = "127.0.0.1"`, `[user]`, `name = "m"`), 1, 10, "listen", "has no port"},
		{"empty port", lines(`listen = "localhost:"`, `[user]`, `name = "m"`), 1, 10, "listen", "has no port"},
		{"port too big", lines(`listen = "localhost:70000"`, `[user]`, `name = "m"`), 1, 10, "listen", "1 to 65535"},
		{"listen not a string", lines(`listen = 9911`, `[user]`, `name = "m"`), 1, 10, "listen", "string in quotes"},
		{"bad signin_url", lines(`signin_url = "signin.aws.amazon.com"`, `[user]`, `name = "m"`), 1, 14, "signin_url", "http(s) URL"},
		{"plain http signin_url", lines(`signin_url = "http://signin.aws.amazon.com/federation"`, `[user]`, `name = "m"`), 1, 14, "signin_url", "clear text"},
		{"http signin_url on a lookalike host", lines(`signin_url = "http://127.0.0.1.example.com/federation"`, `[user]`, `name = "m"`), 1, 14, "signin_url", "loopback host"},
		{"imds_port too low", header + lines(`[[account]]`, `name = "p"`, `id = "222222222222"`, `imds_port = 80`), 6, 13, `account "p" imds_port`, "1024 to 65535"},
		{"imds_port quoted", header + lines(`[[account]]`, `name = "p"`, `id = "222222222222"`, `imds_port = "9921"`), 6, 13, `account "p" imds_port`, "whole number"},
		{"imds_port huge", header + lines(`[[account]]`, `name = "p"`, `id = "222222222222"`, `imds_port = 99999999999999999999`), 6, 13, `account "p" imds_port`, "too large"},
		{"duplicate imds_port", header + lines(`[[account]]`, `name = "p"`, `id = "222222222222"`, `imds_port = 9921`, `[[account]]`, `name = "q"`, `id = "333333333333"`, `imds_port = 9921`), 10, 13, `account "q" imds_port`, `already used by account "p"`},
		{"imds_port is listen's", header + lines(`[[account]]`, `name = "p"`, `id = "222222222222"`, `imds_port = 9911`), 6, 13, `account "p" imds_port`, "listen port"},
		{"imdsv1 quoted", header + lines(`[[account]]`, `name = "p"`, `id = "222222222222"`, `imdsv1 = "yes"`), 6, 10, `account "p" imdsv1`, "true or false"},
		{"bad account region", header + lines(`[[account]]`, `name = "p"`, `id = "222222222222"`, `region = "eu-west"`), 6, 10, `account "p" region`, "not an AWS region"},
		{"bad user region", lines(`[user]`, `name = "m"`, `region = "Frankfurt"`), 3, 10, "user region", "not an AWS region"},
		{"bad role", header + lines(`[[account]]`, `name = "p"`, `id = "222222222222"`, `role = "my role"`), 6, 8, `account "p" role`, "not an IAM role name"},
		{"unknown user", header + lines(`[[account]]`, `name = "p"`, `id = "222222222222"`, `user = "bob"`), 6, 8, `account "p" user`, `no user named "bob"; use one of "michael"`},
		{"several users, no user", lines(`[[user]]`, `name = "a"`, `[[user]]`, `name = "b"`, `[[account]]`, `name = "p"`, `id = "222222222222"`), 5, 1, `account "p" user`, `one of "a", "b"`},
		{"duplicate user", lines(`[[user]]`, `name = "a"`, `[[user]]`, `name = "A"`), 4, 8, `user "A" name`, "same name"},
		{"bad user name", lines(`[user]`, `name = "m m"`), 2, 8, "user name", "not an IAM user name"},
		{"user without name", lines(`[user]`, `region = "eu-west-1"`), 1, 1, "user name", "missing"},
		{"bad session_duration", lines(`[user]`, `name = "m"`, `session_duration = "1d"`), 3, 20, "user session_duration", "not a duration"},
		{"short session_duration", lines(`[user]`, `name = "m"`, `session_duration = "5m"`), 3, 20, "user session_duration", "15m to 36h"},
		{"long session_duration", lines(`[user]`, `name = "m"`, `session_duration = "48h"`), 3, 20, "user session_duration", "15m to 36h"},
		{"bad mfa_serial", lines(`[user]`, `name = "m"`, `mfa_serial = "123"`), 3, 14, "user mfa_serial", "not an MFA device"},
		{"browser without {url}", header + lines(`[[account]]`, `name = "p"`, `id = "222222222222"`, `browser = "firefox"`), 6, 11, `account "p" browser`, "or a command with {url} where the console address goes"},
		{"missing user", lines(`listen = "127.0.0.1:9911"`, `[[account]]`, `name = "p"`, `id = "222222222222"`), 1, 1, "user", "add a [user] table"},
		{"empty file", "", 1, 1, "user", "add a [user] table"},
		{"no users", lines(`user = []`), 1, 8, "user", "add a [user] table"},
		{"user is a string", lines(`user = "michael"`), 1, 8, "user", "must be a table"},
		{"account is one table", header + lines(`[account]`, `name = "p"`), 3, 1, "account", "double brackets"},
		{"after a BOM", "\xef\xbb\xbf" + lines(`[user]`, `name = "m m"`), 2, 8, "user name", "not an IAM user name"},
		{"first error in the file wins", lines(`listen = "0.0.0.0:1"`, `[user]`, `name = "m m"`), 1, 10, "listen", "loopback"},
	})
}

func checkOneLine(t *testing.T, err error) {
	t.Helper()
	if s := err.Error(); strings.ContainsAny(s, "\r\n") {
		t.Errorf("error is more than one line: %q", s)
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		err  Error
		want string
	}{
		{Error{File: "config.toml", Line: 12, Column: 6, Field: `account "production" id`, Msg: `must be 12 digits, like "222222222222"`},
			`config.toml:12:6: account "production" id: must be 12 digits, like "222222222222"`},
		{Error{File: "c.toml", Msg: "no such file"}, "c.toml: no such file"},
		{Error{Line: 1, Column: 2, Msg: "bad"}, "1:2: bad"},
		{Error{File: "a\nb", Line: 1, Column: 1, Field: "f", Msg: "x\ny"}, "a b:1:1: f: x y"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
