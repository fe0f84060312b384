//go:build windows

package notify

import (
	"context"
	"fmt"
	"os"
	"os/exec"
)

// toastScript shows a Windows toast with the title and body from the
// environment, so that no text is ever parsed as PowerShell.
const toastScript = `$ErrorActionPreference = 'Stop'
[Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, ContentType = WindowsRuntime] > $null
$xml = [Windows.UI.Notifications.ToastNotificationManager]::GetTemplateContent([Windows.UI.Notifications.ToastTemplateType]::ToastText02)
$text = $xml.GetElementsByTagName('text')
$text.Item(0).AppendChild($xml.CreateTextNode($env:HOPD_NOTIFY_TITLE)) > $null
$text.Item(1).AppendChild($xml.CreateTextNode($env:HOPD_NOTIFY_BODY)) > $null
[Windows.UI.Notifications.ToastNotificationManager]::CreateToastNotifier($env:HOPD_NOTIFY_APP).Show([Windows.UI.Notifications.ToastNotification]::new($xml))`

// powershellAppID is the AppUserModelID Windows registers for PowerShell:
// toasts from an ID that no Start menu shortcut carries are dropped silently.
const powershellAppID = `{1AC14E77-02E7-4E5D-B744-2EB1AE5198B7}\WindowsPowerShell\v1.0\powershell.exe`

type toast struct{}

func newPlatform() platform { return toast{} }

func (toast) show(ctx context.Context, _ string, n Notification) error {
	cmd := exec.CommandContext(ctx, "powershell", "-NoProfile", "-NonInteractive", "-Command", toastScript)
	cmd.Env = append(os.Environ(), "HOPD_NOTIFY_APP="+powershellAppID, "HOPD_NOTIFY_TITLE="+n.Title, "HOPD_NOTIFY_BODY="+n.Body)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%w: PowerShell could not show a toast (%v): %s", ErrUnavailable, err, out)
	}
	return nil
}

func (toast) close() error { return nil }
