package doctor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hopd/hopd/internal/config"
)

// MaxKeyAge is when an access key should be rotated: AWS's own advice and
// the default of its security checks.
const MaxKeyAge = 90 * 24 * time.Hour

// CheckKeyAge warns of each user's access key older than MaxKeyAge.
func CheckKeyAge(ctx context.Context, keyAge func(context.Context, config.User) (string, time.Duration, error), cfg *config.Config, timeout time.Duration) []Result {
	if keyAge == nil || cfg == nil {
		return nil
	}
	var out []Result
	for _, u := range cfg.Users {
		if u.Profile != "" {
			continue
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		id, age, err := keyAge(ctx, u)
		cancel()
		days := int(age / (24 * time.Hour))
		switch {
		case err != nil:
			out = append(out, Result{"key age", Warn, fmt.Sprintf("the age of %s's access key is not known: %v", u.Name, err)})
		case age > MaxKeyAge:
			out = append(out, Result{"key age", Warn, fmt.Sprintf("the access key %s of %s is %d days old, older than the 90 AWS advises; rotate it with `hopd keys rotate %s`", id, u.Name, days, u.Name)})
		default:
			out = append(out, Result{"key age", OK, fmt.Sprintf("the access key %s of %s is %d days old", id, u.Name, days)})
		}
	}
	return out
}

// CheckMFAEnforced warns when a user with mfa_serial has keys that work
// without MFA: then a leaked key alone is enough, and the MFA hopd asks
// for protects nothing. It can tell only when IAM answers; AccessDenied
// is the good answer.
func CheckMFAEnforced(ctx context.Context, withoutMFA func(context.Context, config.User) error, cfg *config.Config, timeout time.Duration) []Result {
	if withoutMFA == nil || cfg == nil {
		return nil
	}
	var out []Result
	for _, u := range cfg.Users {
		if u.MFASerial == "" || u.Profile != "" {
			continue
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		err := withoutMFA(ctx, u)
		cancel()
		switch {
		case err == nil || isNoSuchEntity(err): // authorized first, then not found
			out = append(out, Result{"mfa", Warn, fmt.Sprintf("the keys of %s work without MFA (iam:ListAccessKeys answered without an MFA session) although mfa_serial is set, so a leaked key alone is enough: deny its actions unless aws:MultiFactorAuthPresent in the user's policy", u.Name)})
		case isAccessDenied(err):
			out = append(out, Result{"mfa", OK, fmt.Sprintf("the keys of %s alone are refused; they need MFA", u.Name)})
		default:
			out = append(out, Result{"mfa", Warn, fmt.Sprintf("cannot tell whether the keys of %s need MFA: %v", u.Name, err)})
		}
	}
	return out
}

func isAccessDenied(err error) bool {
	var ae interface{ ErrorCode() string }
	return errors.As(err, &ae) && (ae.ErrorCode() == "AccessDenied" || ae.ErrorCode() == "AccessDeniedException")
}

func isNoSuchEntity(err error) bool {
	var ae interface{ ErrorCode() string }
	return errors.As(err, &ae) && ae.ErrorCode() == "NoSuchEntity"
}
