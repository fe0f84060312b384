package doctor

import (
	"context"
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
