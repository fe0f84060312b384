//go:build !linux

package server

// dropBinaryPages is Linux's; elsewhere the binary's pages stay mapped.
func dropBinaryPages() error { return nil }
