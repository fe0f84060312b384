// Package doctor checks hopd's setup and says what is wrong in words a
// person can act on.
package doctor

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/hopd/hopd/internal/autostart"
	"github.com/hopd/hopd/internal/broker"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/desktop"
	"github.com/hopd/hopd/internal/keychain"
)

// Level says how bad a result is.
type Level int

// The levels, mildest first.
const (
	OK   Level = iota
	Warn       // hopd works, with something missing (no tray, not started at login)
	Fail       // hopd cannot do its job until this is fixed
)

func (l Level) String() string {
	switch l {
	case OK:
		return "ok"
	case Warn:
		return "warn"
	}
	return "FAIL"
}

// Result is one finding: a check's name and one line about it.
type Result struct {
	Check   string `json:"check"`
	Level   Level  `json:"level"`
	Message string `json:"message"`
}

// Keychain is what doctor needs from the keychain.
type Keychain interface {
	Keys(user string) (keychain.Keys, error)
}

// Env is what doctor looks at. Zero fields take the process's own: the
// hopd keychain, the real autostart entry, the session bus that
// desktop.SessionBus finds, the environment, the clock.
type Env struct {
	ConfigPath string
	StateDir   string
	Keychain   Keychain
	Profiles   broker.ProfileFactory // resolves a [user] profile; default the SDK's shared config
	Autostart  func() (autostart.State, error)
	Exe        string // this hopd, for the autostart check
	GOOS       string
	BusAddress *string // nil: desktop.SessionBus(Getenv), as the daemon's tray finds it
	Getenv     func(string) string
	HTTP       *http.Client
	Now        func() time.Time
	// KeyAge finds the age of a [user]'s stored access key (from IAM's
	// CreateDate); nil skips the check.
	KeyAge func(ctx context.Context, u config.User) (id string, age time.Duration, err error)
	// WithoutMFA tries an IAM call with a [user]'s keys alone, for a user
	// with mfa_serial: nil error means the keys work without MFA. nil
	// skips the check.
	WithoutMFA func(ctx context.Context, u config.User) error
	// Timeout bounds each check that waits (keychain, daemon, STS).
	Timeout time.Duration
}

func (e *Env) defaults() {
	if e.Keychain == nil {
		e.Keychain = keychain.New()
	}
	if e.Profiles == nil {
		e.Profiles = broker.NewProfileFactory()
	}
	if e.Autostart == nil {
		e.Autostart = autostart.Status
	}
	if e.Exe == "" {
		e.Exe, _ = autostart.Executable()
	}
	if e.GOOS == "" {
		e.GOOS = runtime.GOOS
	}
	if e.Getenv == nil {
		e.Getenv = os.Getenv
	}
	if e.BusAddress == nil {
		addr := desktop.SessionBus(e.Getenv)
		e.BusAddress = &addr
	}
	if e.HTTP == nil {
		e.HTTP = &http.Client{
			// Any answer carries the Date; redirects lead elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.Timeout <= 0 {
		e.Timeout = 10 * time.Second
	}
}

// Run runs every check and returns what they found, in a fixed order:
// config, keychain, daemon, ports, tray, autostart, clock.
func Run(ctx context.Context, env Env) []Result {
	env.defaults()
	cfg, res := CheckConfig(env.ConfigPath)
	out := []Result{res}
	out = append(out, CheckKeys(ctx, env.Keychain, cfg, env.Timeout)...)
	out = append(out, CheckProfiles(ctx, env.Profiles, cfg, env.Timeout)...)
	out = append(out, CheckKeyAge(ctx, env.KeyAge, cfg, env.Timeout)...)
	out = append(out, CheckMFAEnforced(ctx, env.WithoutMFA, cfg, env.Timeout)...)
	d, res := CheckDaemon(ctx, env.StateDir, env.Timeout)
	out = append(out, res)
	out = append(out, CheckPorts(cfg, d)...)
	out = append(out, CheckTray(ctx, env.GOOS, *env.BusAddress, env.Timeout))
	out = append(out, CheckAutostart(env.Autostart, env.Exe))
	out = append(out, CheckClock(ctx, env.HTTP, STSEndpoint(cfg, env.Getenv), env.Now, env.Timeout))
	return out
}

// Failed counts the results at Fail.
func Failed(rs []Result) int {
	n := 0
	for _, r := range rs {
		if r.Level == Fail {
			n++
		}
	}
	return n
}

// CheckConfig loads the config file; cfg is nil when it is not valid.
func CheckConfig(path string) (*config.Config, Result) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, Result{"config", Fail, err.Error()}
	}
	return cfg, Result{"config", OK, fmt.Sprintf("%s: %s, %s", path, plural(len(cfg.Accounts), "account"), plural(len(cfg.Users), "user"))}
}

// CheckKeys makes sure the keychain answers and holds every user's keys.
// It never shows a key.
func CheckKeys(ctx context.Context, kc Keychain, cfg *config.Config, timeout time.Duration) []Result {
	if cfg == nil {
		return []Result{{"keychain", Warn, "not checked: the keys to look for depend on a valid config"}}
	}
	var out []Result
	for _, u := range cfg.Users {
		if u.Profile != "" {
			continue // no keys: CheckProfiles
		}
		err := within(ctx, timeout, func() error { _, err := kc.Keys(u.Name); return err })
		switch {
		case err == errTimeout:
			// go-keyring waits for ever on an unlock prompt nobody answers.
			out = append(out, Result{"keychain", Fail, fmt.Sprintf("the keychain did not answer within %s: it may be locked and waiting for a password prompt; unlock it (on Linux: log in again, or unlock it in Passwords and Keys)", timeout)})
			return out
		case err != nil:
			out = append(out, Result{"keychain", Fail, err.Error()})
		default:
			out = append(out, Result{"keychain", OK, fmt.Sprintf("the keys of user %q are in the keychain", u.Name)})
		}
	}
	return out
}

// CheckProfiles makes sure that each [user] with a profile gets
// credentials from it, and says what to run when it does not.
func CheckProfiles(ctx context.Context, profiles broker.ProfileFactory, cfg *config.Config, timeout time.Duration) []Result {
	if cfg == nil {
		return nil
	}
	var out []Result
	for _, u := range cfg.Users {
		if u.Profile == "" {
			continue
		}
		var creds aws.Credentials
		err := within(ctx, timeout, func() error {
			p, err := profiles(ctx, u.Profile, u.Region)
			if err != nil {
				return err
			}
			creds, err = p.Retrieve(ctx)
			return err
		})
		switch {
		case err == errTimeout:
			out = append(out, Result{"profile", Fail, fmt.Sprintf("the AWS profile %s of user %q gave no credentials within %s; %s", u.Profile, u.Name, timeout, broker.ProfileHint(ctx, u.Profile))})
		case err != nil:
			out = append(out, Result{"profile", Fail, fmt.Sprintf("the AWS profile %s of user %q gives no credentials (%v); %s", u.Profile, u.Name, err, broker.ProfileHint(ctx, u.Profile))})
		case creds.CanExpire:
			out = append(out, Result{"profile", OK, fmt.Sprintf("the AWS profile %s of user %q gives credentials, valid until %s", u.Profile, u.Name, creds.Expires.Local().Format("Mon 15:04"))})
		default:
			out = append(out, Result{"profile", OK, fmt.Sprintf("the AWS profile %s of user %q gives credentials", u.Profile, u.Name)})
		}
	}
	return out
}

var errTimeout = fmt.Errorf("timed out")

// within runs f, giving up after timeout: f may block on a prompt, so it
// is left to finish on its own.
func within(ctx context.Context, timeout time.Duration, f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return errTimeout
	case <-ctx.Done():
		return ctx.Err()
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
