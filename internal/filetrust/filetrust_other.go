//go:build !unix

package filetrust

import "io/fs"

// Windows has no O_NOFOLLOW, and the user's profile directory's ACLs,
// not mode bits, keep other users out.
// NoFollow is the open flag that refuses a symbolic link, none here.
const NoFollow = 0

func isLinkError(string, error) bool { return false }

func ownerOf(fs.FileInfo) (int, bool) { return 0, false }

func groupOrOtherWritable(fs.FileMode) bool { return false }
