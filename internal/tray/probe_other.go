//go:build !((linux || freebsd || openbsd || netbsd) && !android)

package tray

import "context"

// Probe says whether a tray icon can be shown: the macOS menu bar and the
// Windows notification area are always there in a desktop session.
func Probe(context.Context) (Host, string) { return HostReady, "" }
