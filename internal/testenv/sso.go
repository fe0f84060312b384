package testenv

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/singleflight"
)

// SSOAccount is an AWS account the stand-in's user is assigned to, with
// the permission sets (role names) the user may use there.
type SSOAccount struct {
	ID    string // 12 digits
	Name  string
	Email string
	Roles []string // permission set names, e.g. "AdministratorAccess"
}

// SSOAccounts returns n accounts, each with the given roles, for tests of
// a big organisation: ids 100000000000, 100000000001, ...
func SSOAccounts(n int, roles ...string) []SSOAccount {
	out := make([]SSOAccount, n)
	for i := range out {
		out[i] = SSOAccount{
			ID:    strconv.Itoa(100000000000 + i),
			Name:  fmt.Sprintf("account-%03d", i),
			Email: fmt.Sprintf("aws+%03d@example.com", i),
			Roles: roles,
		}
	}
	return out
}

// SSO is a stand-in for the parts of IAM Identity Center that moto lacks:
// the OIDC service (what AWS_ENDPOINT_URL_SSO_OIDC points at) and the
// access portal (AWS_ENDPOINT_URL_SSO), on one loopback server. Its wire
// format is that of the Go SDK's service/ssooidc and service/sso clients.
//
// The user signs in without any page: /authorize redirects straight back
// with a code, and device grants are approved by ApproveDevice, by a GET
// of verificationUriComplete, or after SetDeviceAutoApprove polls. Role
// credentials are real moto sessions of IAM roles named like Identity
// Center's, AWSReservedSSO_<set>_<16 hex> under the path
// /aws-reserved/sso.amazonaws.com/, created in moto on first use.
type SSO struct {
	URL      string // for AWS_ENDPOINT_URL_SSO and AWS_ENDPOINT_URL_SSO_OIDC
	StartURL string // the start URL the user's profiles name
	Region   string

	accounts []SSOAccount
	byID     map[string]int
	moto     *motoAdmin
	roles    singleflight.Group

	mu          sync.Mutex
	user        string
	accessTTL   time.Duration
	roleTTL     time.Duration
	rotate      bool
	deny        bool
	delay       time.Duration
	interval    int
	autoApprove int
	slowDown    int
	pageSize    int
	throttle    map[string]int
	counts      map[string]int
	made        map[string]bool // account/role whose IAM role exists in moto
	sessions    int             // sign-ins so far; session ids are 1..sessions
	endedUpTo   int             // sessions up to this one were ended by EndSession
	loggedOut   map[int]bool
	clients     map[string]*oidcClient
	codes       map[string]*authCode
	devices     map[string]*deviceGrant
	access      map[string]*ssoToken
	refresh     map[string]*ssoToken
}

// StartSSO starts the stand-in for a user assigned to accounts, handing
// out sessions of the moto at motoURL. It stops when the test ends.
func StartSSO(t testing.TB, motoURL string, accounts []SSOAccount) *SSO {
	t.Helper()
	s := &SSO{
		StartURL:  "https://d-9067c0ffee.awsapps.com/start",
		Region:    "us-east-1",
		accounts:  accounts,
		byID:      map[string]int{},
		moto:      newMotoAdmin(motoURL),
		user:      "alice@example.com",
		accessTTL: time.Hour,
		roleTTL:   time.Hour,
		interval:  1,
		pageSize:  20,
		throttle:  map[string]int{},
		counts:    map[string]int{},
		made:      map[string]bool{},
		loggedOut: map[int]bool{},
		clients:   map[string]*oidcClient{},
		codes:     map[string]*authCode{},
		devices:   map[string]*deviceGrant{},
		access:    map[string]*ssoToken{},
		refresh:   map[string]*ssoToken{},
	}
	for i, a := range accounts {
		if _, dup := s.byID[a.ID]; dup {
			t.Fatalf("StartSSO: account %s is given twice", a.ID)
		}
		s.byID[a.ID] = i
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /client/register", s.registerClient)
	mux.HandleFunc("GET /authorize", s.authorize)
	mux.HandleFunc("POST /token", s.createToken)
	mux.HandleFunc("POST /device_authorization", s.startDeviceAuthorization)
	mux.HandleFunc("GET /device", s.verifyDevice)
	mux.HandleFunc("GET /assignment/accounts", s.listAccounts)
	mux.HandleFunc("GET /assignment/roles", s.listAccountRoles)
	mux.HandleFunc("GET /federation/credentials", s.getRoleCredentials)
	mux.HandleFunc("POST /logout", s.logout)
	srv := httptest.NewServer(s.delayed(mux))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// delayed holds every request for the delay set by SetDelay.
func (s *SSO) delayed(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		d := s.delay
		s.mu.Unlock()
		if d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// SetUser sets the user name that signs in; it names the role sessions.
func (s *SSO) SetUser(name string) { s.mu.Lock(); s.user = name; s.mu.Unlock() }

// SetAccessTokenTTL sets the lifetime of access tokens issued from now on.
func (s *SSO) SetAccessTokenTTL(d time.Duration) { s.mu.Lock(); s.accessTTL = d; s.mu.Unlock() }

// SetRoleCredentialsTTL sets how long role credentials say they last (the
// permission set's session duration). Moto's sessions last at least 15
// minutes whatever is reported.
func (s *SSO) SetRoleCredentialsTTL(d time.Duration) { s.mu.Lock(); s.roleTTL = d; s.mu.Unlock() }

// SetRotateRefreshTokens makes each refresh grant return a new refresh
// token and retire the one it used.
func (s *SSO) SetRotateRefreshTokens(on bool) { s.mu.Lock(); s.rotate = on; s.mu.Unlock() }

// SetDenySignIn makes the user refuse sign-ins: /authorize redirects with
// error=access_denied and device grants fail with AccessDeniedException.
func (s *SSO) SetDenySignIn(on bool) { s.mu.Lock(); s.deny = on; s.mu.Unlock() }

// SetDelay holds every request for d before answering it.
func (s *SSO) SetDelay(d time.Duration) { s.mu.Lock(); s.delay = d; s.mu.Unlock() }

// SetDeviceInterval sets the polling interval (seconds) device grants ask for.
func (s *SSO) SetDeviceInterval(sec int) { s.mu.Lock(); s.interval = sec; s.mu.Unlock() }

// SetDeviceAutoApprove makes a device grant approved on its n-th poll of
// /token (0: only ApproveDevice or the verification page approve it).
func (s *SSO) SetDeviceAutoApprove(n int) { s.mu.Lock(); s.autoApprove = n; s.mu.Unlock() }

// SlowDown answers the next n device-code polls with SlowDownException.
func (s *SSO) SlowDown(n int) { s.mu.Lock(); s.slowDown = n; s.mu.Unlock() }

// SetDefaultPageSize sets the page size of the portal's lists when the
// client asks for none (max_result); AWS's own default is not documented.
func (s *SSO) SetDefaultPageSize(n int) { s.mu.Lock(); s.pageSize = n; s.mu.Unlock() }

// Throttle answers the next n calls of op (an operation name such as
// "GetRoleCredentials", "ListAccounts" or "CreateToken") with 429
// TooManyRequestsException.
func (s *SSO) Throttle(op string, n int) { s.mu.Lock(); s.throttle[op] = n; s.mu.Unlock() }

// ExpireAccessTokens makes every access token issued so far expired; the
// portal refuses them with UnauthorizedException, and refresh tokens
// still work.
func (s *SSO) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for _, tok := range s.access {
		if tok.expires.After(now) {
			tok.expires = now
		}
	}
}

// EndSession ends every sign-in session so far, as the user signing out of
// the portal or an administrator revoking them would: their access tokens
// get UnauthorizedException and their refresh tokens InvalidGrantException,
// so only a new sign-in helps.
func (s *SSO) EndSession() { s.mu.Lock(); s.endedUpTo = s.sessions; s.mu.Unlock() }

// ExpireClientRegistrations makes every client registration so far expired,
// so that its client id and secret get InvalidClientException.
func (s *SSO) ExpireClientRegistrations() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.clients {
		c.expires = time.Now()
	}
}

// Count returns how many calls of op were answered, throttled ones
// included. op is an operation name: "RegisterClient", "Authorize",
// "StartDeviceAuthorization", "CreateToken", "ListAccounts",
// "ListAccountRoles", "GetRoleCredentials", "Logout"; or
// "CreateToken:<grant type>" (the grant's last word: "authorization_code",
// "device_code", "refresh_token"); or "GetRoleCredentials:<account>/<role>".
func (s *SSO) Count(op string) int { s.mu.Lock(); defer s.mu.Unlock(); return s.counts[op] }

// Reset sets every count to zero.
func (s *SSO) Reset() { s.mu.Lock(); clear(s.counts); s.mu.Unlock() }

// RoleName returns the IAM role name Identity Center gives permission set
// set in account: AWSReservedSSO_<set>_<16 hex>, the suffix fixed per pair.
func (s *SSO) RoleName(account, set string) string {
	sum := sha256.Sum256([]byte(account + "/" + set))
	return "AWSReservedSSO_" + set + "_" + hex.EncodeToString(sum[:8])
}

// RoleARN returns the ARN of the IAM role behind set in account.
func (s *SSO) RoleARN(account, set string) string {
	return "arn:aws:iam::" + account + ":role/aws-reserved/sso.amazonaws.com/" + s.RoleName(account, set)
}

// AssumedRoleARN returns the ARN GetCallerIdentity names for the user's
// session of set in account.
func (s *SSO) AssumedRoleARN(account, set string) string {
	s.mu.Lock()
	user := s.user
	s.mu.Unlock()
	return "arn:aws:sts::" + account + ":assumed-role/" + s.RoleName(account, set) + "/" + user
}

// count adds one to op's count and reports whether op is throttled now;
// the caller holds s.mu.
func (s *SSO) countLocked(op string) (throttled bool) {
	s.counts[op]++
	if s.throttle[op] > 0 {
		s.throttle[op]--
		return true
	}
	return false
}

// ensureRole creates the IAM role behind set in account in moto, once.
func (s *SSO) ensureRole(ctx context.Context, account, set string) error {
	key := account + "/" + set
	s.mu.Lock()
	done := s.made[key]
	s.mu.Unlock()
	if done {
		return nil
	}
	_, err, _ := s.roles.Do(key, func() (any, error) {
		// The trust policy Identity Center writes: only its SAML provider.
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::` + account +
			`:saml-provider/AWSSSO_9067c0ffee5a1e5_DO_NOT_DELETE"},"Action":["sts:AssumeRoleWithSAML","sts:TagSession"],"Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}`
		if err := s.moto.ensureRole(ctx, account, "/aws-reserved/sso.amazonaws.com/", s.RoleName(account, set), trust); err != nil {
			return nil, err
		}
		s.mu.Lock()
		s.made[key] = true
		s.mu.Unlock()
		return nil, nil
	})
	return err
}

// secret returns a random token with a readable prefix; tokens are opaque
// to clients, the prefix only helps a human reading a failing test.
func secret(prefix string) string {
	b := make([]byte, 32)
	rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// awsError writes an error the way AWS's JSON protocols do: the type in
// X-Amzn-ErrorType and in __type, which is where the Go SDK looks.
func awsError(w http.ResponseWriter, status int, typ string, body map[string]any) {
	body["__type"] = typ
	w.Header().Set("X-Amzn-ErrorType", typ)
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
