package broker

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/keychain"
)

// sessionMargin is the least lifetime a session needs to be used for
// AssumeRole; below it the broker starts a new one.
const sessionMargin = 5 * time.Minute

// mfaProcessRetry keeps a failing mfa_process from running on every request.
const mfaProcessRetry = 30 * time.Second

// user is the live state of one IAM user's session.
type user struct {
	cfg config.User

	// start is held while a session is being started, across the STS call
	// or the profile's resolution; mu guards the fields below only briefly,
	// so Status never waits on STS.
	start      sync.Mutex
	mfaProcAt  time.Time               // guarded by start
	mfaProcErr error                   // guarded by start
	profile    aws.CredentialsProvider // guarded by start: the profile's chain, built at first use

	mu      sync.Mutex
	session *keychain.Session // for a profile user, the profile's last credentials (never stored)
	loaded  bool              // the keychain's cached session was looked at
	needMFA bool
	noKeys  bool // the keychain had no keys for the user at the last try
	removed bool // ForgetUser was told the keys were removed; cleared by a new session
	lastErr string
}

func (b *Broker) user(name string) (*user, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, ok := b.users[name]
	if !ok {
		return nil, fmt.Errorf("user %q is not in the config: add a [user] section for it", name)
	}
	return u, nil
}

// session returns the user's session credentials, starting a session when
// there is none: from the keychain's cache, with GetSessionToken when no MFA
// is configured, or with a code from mfa_process.
func (b *Broker) session(u *user) (aws.Credentials, error) {
	v, err, _ := b.flights.Do("user/"+u.cfg.Name, func() (any, error) {
		return b.sessionLocked(u)
	})
	if err != nil {
		return aws.Credentials{}, err
	}
	return v.(aws.Credentials), nil
}

func (b *Broker) sessionLocked(u *user) (aws.Credentials, error) {
	u.start.Lock()
	defer u.start.Unlock()
	if u.cfg.Profile != "" {
		return b.profileSession(u)
	}
	now := b.now()
	u.mu.Lock()
	err := b.loadSession(u)
	s := u.session
	if s == nil || s.Expiration.Sub(now) <= sessionMargin {
		u.session = nil
		s = nil
	}
	u.mu.Unlock()
	if err != nil {
		return aws.Credentials{}, err
	}
	if s != nil {
		return sessionCreds(*s), nil
	}

	in := &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(int32(u.cfg.SessionDuration / time.Second))}
	if u.cfg.MFASerial != "" {
		code, err := b.mfaFromProcess(u, now)
		if err != nil {
			u.mu.Lock()
			u.needMFA = true
			u.mu.Unlock()
			b.notify()
			return aws.Credentials{}, err
		}
		in.SerialNumber = aws.String(u.cfg.MFASerial)
		in.TokenCode = aws.String(code)
	}
	started, err := b.startSession(b.ctx, u, in)
	if err != nil {
		return aws.Credentials{}, err
	}
	return sessionCreds(started), nil
}

// loadSession reads the session cached in the keychain, once. When the
// keychain cannot be read (locked, not running) it returns why and reads
// again next time: a valid session may be cached in it, so going on to ask
// for an MFA code would be wrong. u.mu must be held.
func (b *Broker) loadSession(u *user) error {
	if u.loaded {
		return nil
	}
	s, err := b.keys.Session(u.cfg.Name)
	switch {
	case err == nil:
		u.session = &s
	case errors.Is(err, keychain.ErrNotFound):
	default:
		u.lastErr = err.Error()
		return err
	}
	u.loaded = true
	return nil
}

// startSession calls GetSessionToken with the user's long-lived keys and
// caches the session in the keychain. u.start must be held, u.mu not: the
// call to STS runs without it.
func (b *Broker) startSession(ctx context.Context, u *user, in *sts.GetSessionTokenInput) (keychain.Session, error) {
	keys, err := b.keys.Keys(u.cfg.Name)
	if err != nil {
		u.mu.Lock()
		// Missing keys are a state of their own: unlike a failing STS, only a
		// person storing them (`hopd keys set`) makes the user work again.
		u.noKeys = errors.Is(err, keychain.ErrNotFound)
		if u.noKeys && u.removed {
			err = &removedError{user: u.cfg.Name, err: err}
		}
		u.lastErr = err.Error()
		u.mu.Unlock()
		b.notify()
		return keychain.Session{}, err
	}
	client := b.newSTS(u.cfg.Region, aws.Credentials{AccessKeyID: keys.AccessKeyID, SecretAccessKey: keys.SecretAccessKey})
	out, err := client.GetSessionToken(ctx, in)
	if err != nil {
		err = describeSessionError(u.cfg.Name, in.TokenCode != nil, err)
		u.mu.Lock()
		u.noKeys = false
		u.lastErr = err.Error()
		u.needMFA = errors.Is(err, ErrNeedMFA)
		u.mu.Unlock()
		b.notify()
		return keychain.Session{}, err
	}
	if out.Credentials == nil || out.Credentials.Expiration == nil {
		return keychain.Session{}, errors.New("STS answered GetSessionToken without credentials; try again")
	}
	s := keychain.Session{
		AccessKeyID:     aws.ToString(out.Credentials.AccessKeyId),
		SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
		SessionToken:    aws.ToString(out.Credentials.SessionToken),
		Expiration:      out.Credentials.Expiration.UTC(),
	}
	u.mu.Lock()
	u.session = &s
	u.loaded = true
	u.needMFA = false
	u.noKeys = false
	u.removed = false
	u.lastErr = ""
	u.mu.Unlock()
	if err := b.keys.SetSession(u.cfg.Name, s); err != nil {
		// Not fatal: the session works, it just will not survive a restart.
		b.log.Warn("could not cache the session in the keychain", "user", u.cfg.Name, "err", err)
	}
	b.log.Info("started a session", "user", u.cfg.Name, "mfa", in.TokenCode != nil, "expires", s.Expiration.Format(time.RFC3339))
	b.notify()
	return s, nil
}

// ValidMFACode says whether code has the shape of an MFA code: 6 digits.
// Every way a code comes in (CLI, dashboard, tray dialog, mfa_process)
// checks it with this before sending it to STS.
func ValidMFACode(code string) bool {
	if len(code) != 6 {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// mfaFromProcess runs the user's mfa_process, if any, for a code. Without
// one, or when it failed recently, it returns an error wrapping ErrNeedMFA
// that tells the person how to give a code.
func (b *Broker) mfaFromProcess(u *user, now time.Time) (string, error) {
	need := fmt.Errorf("%w for user %s: run `hopd mfa` (or use the tray) to enter one", ErrNeedMFA, u.cfg.Name)
	if u.cfg.MFAProcess == "" {
		return "", need
	}
	if !u.mfaProcAt.IsZero() && now.Sub(u.mfaProcAt) < mfaProcessRetry {
		return "", fmt.Errorf("%w (mfa_process failed: %v)", need, u.mfaProcErr)
	}
	u.mfaProcAt = now
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	var cmd *exec.Cmd
	if runtime.GOOS == "windows" {
		cmd = exec.CommandContext(ctx, "cmd", "/C", u.cfg.MFAProcess)
	} else {
		cmd = exec.CommandContext(ctx, "/bin/sh", "-c", u.cfg.MFAProcess)
	}
	out, err := cmd.Output()
	code := strings.TrimSpace(string(out))
	switch {
	case err != nil:
		u.mfaProcErr = fmt.Errorf("mfa_process %q failed: %v", u.cfg.MFAProcess, err)
	case !ValidMFACode(code):
		// Never echo what it printed: it may be a code or worse.
		u.mfaProcErr = fmt.Errorf("mfa_process %q did not print a 6-digit code", u.cfg.MFAProcess)
	default:
		u.mfaProcErr = nil
		return code, nil
	}
	return "", fmt.Errorf("%w (%v)", need, u.mfaProcErr)
}

// SubmitMFA starts the named user's session with an MFA code. An empty user
// means the only (or first) user.
func (b *Broker) SubmitMFA(ctx context.Context, userName, code string) error {
	if !ValidMFACode(code) {
		return errors.New("an MFA code is 6 digits")
	}
	b.mu.Lock()
	if userName == "" && len(b.cfg.Users) > 0 {
		userName = b.cfg.Users[0].Name
	}
	b.mu.Unlock()
	u, err := b.user(userName)
	if err != nil {
		return err
	}
	if u.cfg.Profile != "" {
		return fmt.Errorf("user %s signs in with the AWS profile %s, so hopd needs no MFA code for it: the profile's own sign-in asks for one", u.cfg.Name, u.cfg.Profile)
	}
	if u.cfg.MFASerial == "" {
		return fmt.Errorf("user %s has no mfa_serial in the config, so hopd needs no MFA code for it", u.cfg.Name)
	}
	u.start.Lock()
	defer u.start.Unlock()
	_, err = b.startSession(ctx, u, &sts.GetSessionTokenInput{
		DurationSeconds: aws.Int32(int32(u.cfg.SessionDuration / time.Second)),
		SerialNumber:    aws.String(u.cfg.MFASerial),
		TokenCode:       aws.String(code),
	})
	if err != nil {
		return err
	}
	u.mfaProcAt = time.Time{}
	b.refreshInUse(u.cfg.Name)
	return nil
}

// refreshInUse fetches, in the background, credentials for the user's
// accounts that clients asked for recently, so they work again at once.
func (b *Broker) refreshInUse(userName string) {
	b.refreshWhere(func(a config.Account) bool { return a.SSO == "" && a.User == userName })
}

// refreshWhere clears the last failure of the accounts that match and
// refreshes those in use.
func (b *Broker) refreshWhere(match func(config.Account) bool) {
	now := b.now()
	for _, a := range *b.accounts.Load() {
		a.mu.Lock()
		ac := a.cfg
		a.mu.Unlock()
		if !match(ac) {
			continue
		}
		// What they failed for (no session) is fixed: the next request
		// must try again rather than get the old failure.
		a.mu.Lock()
		a.failure = nil
		a.mu.Unlock()
		if now.Sub(time.Unix(0, a.lastUsed.Load())) < b.opts.IdleAfter {
			b.refreshAsync(a)
		}
	}
}

// dropSession forgets a session STS no longer accepts.
func (b *Broker) dropSession(u *user) {
	if u.cfg.Profile != "" {
		b.dropProfileCredentials(u)
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.session = nil
	if err := b.keys.DeleteSession(u.cfg.Name); err != nil && !errors.Is(err, keychain.ErrNotFound) {
		b.log.Warn("could not remove a rejected session from the keychain", "user", u.cfg.Name, "err", err)
	}
}

func sessionCreds(s keychain.Session) aws.Credentials {
	return aws.Credentials{
		AccessKeyID:     s.AccessKeyID,
		SecretAccessKey: s.SecretAccessKey,
		SessionToken:    s.SessionToken,
		CanExpire:       true,
		Expires:         s.Expiration,
	}
}

// SessionCredentials returns the named user's session credentials (empty
// name: the first user), starting a session if needed, for callers that act
// as the user in the management account, such as account discovery.
func (b *Broker) SessionCredentials(ctx context.Context, userName string) (aws.Credentials, error) {
	b.mu.Lock()
	if userName == "" && len(b.cfg.Users) > 0 {
		userName = b.cfg.Users[0].Name
	}
	b.mu.Unlock()
	u, err := b.user(userName)
	if err != nil {
		return aws.Credentials{}, err
	}
	type result struct {
		c   aws.Credentials
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := b.session(u)
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		return r.c, r.err
	case <-ctx.Done():
		return aws.Credentials{}, ctx.Err()
	}
}

// ForgetUser drops what the broker holds for a user whose keys were
// removed (`hopd keys rm`): the session in memory and the role credentials
// of its accounts. Nothing is minted from them again; the next request
// reads the keychain anew, finds no keys and gets a fast 503 saying so.
func (b *Broker) ForgetUser(name string) error {
	u, err := b.user(name)
	if err != nil {
		return err
	}
	if u.cfg.Profile != "" {
		return fmt.Errorf("user %s takes its credentials from the AWS profile %s; hopd holds no keys for it", name, u.cfg.Profile)
	}
	u.start.Lock() // no session is being started meanwhile
	u.mu.Lock()
	u.session, u.loaded, u.needMFA = nil, false, false
	u.noKeys, u.removed = true, true
	u.lastErr = (&removedError{user: name}).Error()
	u.mu.Unlock()
	u.start.Unlock()
	for _, a := range *b.accounts.Load() {
		a.mu.Lock()
		if a.cfg.SSO == "" && a.cfg.User == name {
			a.creds.Store(nil)
			a.refreshAt.Store(0)
			if a.timer != nil {
				a.timer.Stop()
				a.timer = nil
			}
			a.failure = nil
		}
		a.mu.Unlock()
	}
	b.log.Info("the user's keys were removed: its session and role credentials are dropped", "user", name)
	b.notify()
	return nil
}

// removedError is a request for a user whose keys `hopd keys rm` removed.
type removedError struct {
	user string
	err  error // the keychain's not-found
}

func (e *removedError) Error() string {
	return "the keys of user " + e.user + " were removed (hopd keys rm): store new ones with `hopd keys set " + e.user + "`"
}

func (e *removedError) Unwrap() error { return e.err }
