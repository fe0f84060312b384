package daemon

import (
	"context"

	"github.com/hopd/hopd/internal/sdkenv"
	"github.com/hopd/hopd/internal/tray"
)

// TrayDo is a click on the tray menu.
func (d *Daemon) TrayDo(ctx context.Context, a tray.Action) error {
	return d.trayDo(ctx, a, func() {})
}

// TrayState is what the tray menu is built from.
func (d *Daemon) TrayState() tray.State { return d.trayState() }

// EnvLines is the text of the tray's and the page's "Copy env lines".
func (d *Daemon) EnvLines(account string) (string, error) { return d.envLines(account, sdkenv.ECS) }
