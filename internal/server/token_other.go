//go:build !unix

package server

import "io/fs"

// checkPrivate trusts the ACLs of the user's profile directory on systems
// without Unix permissions, where mode bits mean nothing.
func checkPrivate(path string, fi fs.FileInfo) error { return nil }
