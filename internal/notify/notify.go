// Package notify shows desktop notifications: freedesktop Notifications over D-Bus on Linux, the platform's own elsewhere.
package notify

import (
	"context"
	"errors"
	"sync"
)

// ErrUnavailable is wrapped by errors that mean this desktop shows no
// notifications (no session bus, no notification service): callers may
// log it once and go on.
var ErrUnavailable = errors.New("desktop notifications are not available")

// Notification is one message for the person at the desktop. Its text is
// shown on screen and may reach the platform's notification history, so it
// must never hold a secret.
type Notification struct {
	Title string
	Body  string
	// OnClick runs, on a goroutine of its own, when the person clicks the
	// notification, where the platform tells hopd (freedesktop servers do).
	OnClick func()
}

// Notifier shows notifications. A newer one replaces the one it showed
// before, so repeated news does not pile up. Its zero value is not usable:
// call New.
type Notifier struct {
	app string

	mu       sync.Mutex
	platform platform
}

// platform is what each OS provides.
type platform interface {
	show(ctx context.Context, app string, n Notification) error
	close() error
}

// New returns a Notifier that shows notifications as app (for example
// "hopd"). It connects to nothing until the first Show.
func New(app string) *Notifier {
	return &Notifier{app: app, platform: newPlatform()}
}

// Show shows n, replacing the notification this Notifier showed last.
func (nf *Notifier) Show(ctx context.Context, n Notification) error {
	nf.mu.Lock()
	defer nf.mu.Unlock()
	if nf.platform == nil {
		return errors.New("the notifier is closed")
	}
	return nf.platform.show(ctx, nf.app, n)
}

// Close releases the connection to the notification service. Clicks on
// notifications already shown are no longer reported.
func (nf *Notifier) Close() error {
	nf.mu.Lock()
	defer nf.mu.Unlock()
	if nf.platform == nil {
		return nil
	}
	err := nf.platform.close()
	nf.platform = nil
	return err
}
