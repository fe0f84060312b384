//go:build darwin

package notify

import (
	"context"
	"fmt"
	"os/exec"
)

// notificationCenter shows notifications with osascript. The text goes in
// as arguments of the script, never inside it, so no quoting can break it.
type notificationCenter struct{}

func newPlatform() platform { return notificationCenter{} }

func (notificationCenter) show(ctx context.Context, app string, n Notification) error {
	cmd := exec.CommandContext(ctx, "osascript",
		"-e", "on run argv",
		"-e", "display notification (item 2 of argv) with title (item 1 of argv)",
		"-e", "end run",
		n.Title, n.Body)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%w: osascript failed (%v): %s", ErrUnavailable, err, out)
	}
	return nil
}

func (notificationCenter) close() error { return nil }
