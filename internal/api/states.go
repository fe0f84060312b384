package api

// UserState is what Status says of a user's session. The values are part of
// the control API and the page's JSON, so they are strings, not numbers.
type UserState string

// The states of a user's session, in the order Status picks them when more
// than one holds.
const (
	UserOK        UserState = "ok"         // a session is valid until SessionExpires
	UserNeedsMFA  UserState = "needs-mfa"  // no session until someone enters an MFA code
	UserNoKeys    UserState = "no-keys"    // the keychain holds no keys for the user: `hopd keys set`
	UserError     UserState = "error"      // starting a session failed: LastError says why
	UserNoSession UserState = "no-session" // none yet: one starts when an account is first used
)

// UserStates lists every UserState, for code that must know them all, such
// as the page, which is given the list rather than spelling it again.
func UserStates() []UserState {
	return []UserState{UserOK, UserNeedsMFA, UserNoKeys, UserError, UserNoSession}
}

// AccountState is what Status says of an account's role credentials.
type AccountState string

// The states of an account's credentials, in the order Status picks them
// when more than one holds.
const (
	AccountRefreshing AccountState = "refreshing" // a fetch from STS is under way
	AccountFresh      AccountState = "fresh"      // held, with at least the floor's lifetime left
	AccountError      AccountState = "error"      // the last fetch failed: LastError says why
	AccountExpired    AccountState = "expired"    // held, but under the floor: the next request fetches anew
	AccountIdle       AccountState = "idle"       // none fetched yet
)

// AccountStates lists every AccountState.
func AccountStates() []AccountState {
	return []AccountState{AccountRefreshing, AccountFresh, AccountError, AccountExpired, AccountIdle}
}

// SSOState is what Status says of one IAM Identity Center sign-in.
type SSOState string

// The states of an Identity Center sign-in.
const (
	SSOSignedIn    SSOState = "signed-in"     // tokens are held; accounts are served
	SSONeedsSignIn SSOState = "needs-sign-in" // no tokens, or the session ended: `hopd sso login`
	SSOSigningIn   SSOState = "signing-in"    // a sign-in is waiting for the browser or the device code
	SSOError       SSOState = "error"         // Identity Center could not be reached: LastError says why
)

// SSOStates lists every SSOState.
func SSOStates() []SSOState {
	return []SSOState{SSOSignedIn, SSONeedsSignIn, SSOSigningIn, SSOError}
}
