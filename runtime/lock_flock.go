//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package runtime

import (
	"os"
	"syscall"
)

// folderLocks: a sweep can tell a dead Runner's folder (unlocked) from a live one's.
const folderLocks = true

// lockFolder takes an exclusive lock on the open folder f without waiting, and reports whether
// it got it. The lock lasts until f is closed, or its process ends however it ends.
func lockFolder(f *os.File) bool {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
