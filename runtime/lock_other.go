//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package runtime

import "os"

// folderLocks: there is no flock here, so a sweep cannot tell a dead Runner's folder from a
// live one's, and removes none (a process that dies leaves its folder behind).
const folderLocks = false

// lockFolder takes the Runner's own folder as locked.
func lockFolder(*os.File) bool { return true }
