package main

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/spf13/cobra"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/client"
	"github.com/hopd/hopd/internal/console"
	"github.com/hopd/hopd/internal/dashboard"
	"github.com/hopd/hopd/internal/notify"
)

func newDashboardCmd(g *globals) *cobra.Command {
	var (
		print   bool
		browser string
	)
	cmd := &cobra.Command{
		Use:   "dashboard",
		Short: "Open hopd's page in the browser: accounts, MFA code, consoles",
		Long: `Open the running daemon's page in the browser. It shows every account in
its colour with the state of its credentials and the programs that fetched
them last, the MFA session's end, a form for the MFA code, a button per
account that opens its AWS console, and one that re-reads the config. It
stays up to date by itself. No credentials are ever on the page.

The page opens through a one-time link: it works once, within two minutes,
and starts a session in the browser that opens it (a cookie that other
web pages cannot use). The tray's "Open dashboard" does the same.`,
		Example: `  hopd dashboard
  hopd dashboard --browser "firefox --new-window {url}"
  hopd dashboard --print     # print the link instead of opening it`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			url, err := c.DashboardLink(cmd.Context())
			var ae *client.APIError
			if errors.As(err, &ae) && ae.Code == "not_found" {
				return errors.New("the running daemon has no dashboard: it is older than this hopd; restart it")
			}
			if err != nil {
				return err
			}
			if print {
				fmt.Fprintln(cmd.OutOrStdout(), url)
				return nil
			}
			if err := console.Open(cmd.Context(), url, browser); err != nil {
				return err
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "Opened hopd's dashboard in the browser.")
			return nil
		},
	}
	cmd.Flags().BoolVar(&print, "print", false, "print the one-time link instead of opening it (whoever opens it first gets the page)")
	cmd.Flags().StringVar(&browser, "browser", "", `open the link with this command instead of the default browser; {url} marks where the link goes, as in "firefox {url}"`)
	return cmd
}

// newDashboard makes the daemon's browser page.
func (d *daemon) newDashboard() *dashboard.Dashboard {
	return dashboard.New(dashboard.Options{
		Source:      d.broker,
		OpenConsole: d.openConsole,
		Reload:      d.reload,
		Info: func() dashboard.Info {
			d.mu.Lock()
			defer d.mu.Unlock()
			return dashboard.Info{Version: version, ConfigPath: d.path, ConfigError: d.configErr}
		},
		Logger: d.log,
	})
}

// startDashboard ties the page to the daemon's life: its event streams end
// when ctx does, before the server waits for requests in flight, and
// needing an MFA code is announced on the desktop.
func (d *daemon) startDashboard(ctx context.Context) {
	context.AfterFunc(ctx, d.dash.Close)
	go d.announceMFA(ctx)
}

// openConsole opens an account's console the way the tray does.
func (d *daemon) openConsole(ctx context.Context, account string) error {
	link, err := d.consoleLink(ctx, account, "")
	if err != nil {
		return err
	}
	d.log.Info("opening the console", "account", account)
	return console.Open(ctx, link.URL, link.Browser)
}

// dashboardLink is a one-time link to the page, on the address the server
// really listens on.
func (d *daemon) dashboardLink(context.Context) (string, error) {
	addr := d.server.Addr()
	if addr == nil {
		return "", errors.New("hopd is not listening yet; try again in a moment")
	}
	return d.dash.NewLink("http://" + addr.String())
}

// openDashboard opens the page in the default browser, for the tray and a
// click on a notification.
func (d *daemon) openDashboard(ctx context.Context) error {
	url, err := d.dashboardLink(ctx)
	if err != nil {
		return err
	}
	return console.Open(ctx, url, "")
}

// announceMFA shows a desktop notification each time a user comes to need
// an MFA code: once per time, not once per request that waits for it.
func (d *daemon) announceMFA(ctx context.Context) {
	n := notify.New("hopd")
	defer n.Close()
	changes, unsubscribe := d.broker.Subscribe()
	defer unsubscribe()
	var reportOnce sync.Once
	waiting := map[string]bool{}
	for {
		for _, u := range d.broker.Status().Users {
			need := u.State == api.UserNeedsMFA
			if need && !waiting[u.Name] {
				err := n.Show(ctx, notify.Notification{
					Title: "hopd needs an MFA code",
					Body: "Credentials for " + u.Name + " wait for a code from the MFA device. " +
						"Click here, choose Enter MFA code… in the tray, or run `hopd mfa`.",
					OnClick: func() {
						if err := d.openDashboard(ctx); err != nil {
							d.log.Warn("opening the dashboard failed", "err", err)
						}
					},
				})
				if err != nil {
					reportOnce.Do(func() { d.log.Info("no desktop notifications", "reason", err) })
				} else {
					d.log.Info("asked for an MFA code on the desktop", "user", u.Name)
				}
			}
			waiting[u.Name] = need
		}
		select {
		case <-ctx.Done():
			return
		case <-changes:
		}
	}
}
