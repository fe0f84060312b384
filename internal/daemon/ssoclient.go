package daemon

import "github.com/hopd/hopd/internal/sso"

// defaultSSO is the real IAM Identity Center client: tokens in the
// keychain, sign-ins in the default browser.
func (d *Daemon) defaultSSO() SSO {
	return sso.New(sso.Options{
		Store:  d.opts.Keys,
		Logger: d.log,
		Open:   func(url string) error { return d.open(d.base, url, "") },
	})
}
