package broker

import (
	"math/rand/v2"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// refresh fetches new role credentials for a and records the outcome. It
// runs inside a singleflight, so concurrent requests share one STS call.
func (b *Broker) refresh(a *account) (Creds, error) {
	// A request that found the cache empty may start its flight just after
	// another flight filled it: answer from the cache rather than call STS
	// again. Credentials in the refresh window do go to STS.
	if c := a.creds.Load(); c != nil && c.Expiration.Sub(b.now()) > b.opts.RefreshLead {
		return *c, nil
	}
	a.mu.Lock()
	ac := a.cfg
	a.inFlight = true
	a.mu.Unlock()
	b.notify()

	c, err := b.assume(ac.Name)
	now := b.now()
	if err == nil && c.Expiration.Sub(now) < b.opts.Floor {
		err = tooShortError(ac, c, now, b.opts.Floor)
	}

	a.mu.Lock()
	a.inFlight = false
	if err != nil {
		a.failures++
		a.lastErr = err.Error()
		a.failure, a.failedAt = err, time.Now()
	} else {
		a.failures = 0
		a.lastErr = ""
		a.failure = nil
		a.refreshes++
		a.creds.Store(&c)
	}
	a.mu.Unlock()
	b.schedule(a, now)
	b.notify()
	if err != nil {
		b.log.Warn("refreshing credentials failed", "account", ac.Name, "err", err)
		return Creds{}, err
	}
	b.log.Info("fetched credentials", "account", ac.Name, "expires", c.Expiration.Format(time.RFC3339))
	return c, nil
}

// assume calls AssumeRole for the account with its user's session.
func (b *Broker) assume(name string) (Creds, error) {
	a, ok := (*b.accounts.Load())[name]
	if !ok {
		return Creds{}, ErrUnknownAccount
	}
	a.mu.Lock()
	ac := a.cfg
	a.mu.Unlock()
	if ac.SSO != "" {
		return b.fromSSO(ac)
	}

	u, err := b.user(ac.User)
	if err != nil {
		return Creds{}, &UnavailableError{Account: ac.Name, Reason: err.Error(), Err: err}
	}
	session, err := b.session(u)
	if err != nil {
		return Creds{}, &UnavailableError{Account: ac.Name, Reason: reasonOf(err), Err: err}
	}
	client := b.newSTS(ac.Region, session)
	out, err := client.AssumeRole(b.ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String(ac.RoleARN()),
		RoleSessionName: aws.String(sessionName(u.cfg.Name)),
		DurationSeconds: aws.Int32(int32(b.opts.RoleDuration / time.Second)),
	})
	if err != nil {
		if sessionRejected(err) {
			// The session was revoked or expired early (clock skew, keys
			// rotated): forget it so the next attempt starts a new one.
			b.dropSession(u)
		}
		e := describeAssumeError(ac.RoleARN(), u.cfg.Name, err)
		return Creds{}, &UnavailableError{Account: ac.Name, Reason: e.Error(), Err: e}
	}
	if out.Credentials == nil || out.Credentials.Expiration == nil {
		return Creds{}, &UnavailableError{Account: ac.Name, Reason: "STS answered AssumeRole without credentials; try again"}
	}
	return Creds{
		AccessKeyID:     aws.ToString(out.Credentials.AccessKeyId),
		SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
		SessionToken:    aws.ToString(out.Credentials.SessionToken),
		Expiration:      out.Credentials.Expiration.UTC(),
		AccountID:       ac.ID,
		RoleARN:         ac.RoleARN(),
	}, nil
}

var sessionNameChars = regexp.MustCompile(`[^\w+=,.@-]`)

// sessionName names role sessions after the IAM user so CloudTrail shows who
// hopped in.
func sessionName(user string) string {
	n := "hopd-" + sessionNameChars.ReplaceAllString(user, "-")
	if len(n) > 64 {
		n = n[:64]
	}
	return n
}

// schedule arms the account's background refresh: shortly before RefreshLead
// while it is in use, with backoff after failures, and not at all once it has
// been idle for IdleAfter.
func (b *Broker) schedule(a *account, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
	a.refreshAt.Store(0)
	if a.closed || b.closed() {
		return
	}
	lastUsed := time.Unix(0, a.lastUsed.Load())
	if now.Sub(lastUsed) > b.opts.IdleAfter {
		return
	}
	var in time.Duration
	if a.failures > 0 {
		in = backoff(a.failures)
	} else if c := a.creds.Load(); c != nil {
		left := c.Expiration.Sub(now)
		in = left - b.opts.RefreshLead
		if in <= 0 {
			// Due as they arrived: STS's clock and ours disagree. Refreshing
			// at once would call STS in a loop; halfway to the floor keeps
			// them served and STS calls few.
			in = max((left-b.opts.Floor)/2, minRefreshGap)
		}
	} else {
		return
	}
	a.refreshAt.Store(now.Add(in).UnixNano())
	a.timer = time.AfterFunc(in, func() { b.backgroundRefresh(a) })
}

// minRefreshGap is the least time between two refreshes of an account
// whose credentials arrive already due.
const minRefreshGap = 30 * time.Second

// backgroundRefresh runs when an account's timer fires. Timers run on the
// monotonic clock, which stops during sleep, so the wall clock decides
// whether the refresh is due yet.
func (b *Broker) backgroundRefresh(a *account) {
	now := b.now()
	a.mu.Lock()
	failing := a.failures > 0
	a.mu.Unlock()
	if c := a.creds.Load(); c != nil && !failing && c.Expiration.Sub(now) > b.opts.RefreshLead {
		b.schedule(a, now)
		return
	}
	if now.Sub(time.Unix(0, a.lastUsed.Load())) > b.opts.IdleAfter {
		return
	}
	b.flights.Do("account/"+a.cfg.Name, func() (any, error) { //nolint:errcheck // recorded in a
		return b.refresh(a)
	})
}

// backoff grows from ~5 s to ~5 min with equal jitter (half the step fixed,
// half random), so a fleet of hopds coming back from an outage does not hit
// STS in step. Full jitter would spread them wider but could retry at once,
// and a single hopd gains nothing from that.
func backoff(failures int) time.Duration {
	d := 5 * time.Second << min(failures-1, 6)
	if d > 5*time.Minute {
		d = 5 * time.Minute
	}
	return d/2 + rand.N(d/2)
}

func (a *account) stop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
}
