//go:build !windows

package autostart

// systemRunKey is nil where there is no registry.
func systemRunKey() runKey { return nil }
