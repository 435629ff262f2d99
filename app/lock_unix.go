//go:build unix

package app

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockScheduler takes the home's scheduler lock, so two schedulers never drive one metastore.
// The lock is released when the process ends, also by kill -9.
func lockScheduler(home string) (release func(), err error) {
	path := filepath.Join(home, "scheduler.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(path)
		f.Close()
		return nil, &LockedError{Path: path, PID: strings.TrimSpace(string(b))}
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() { f.Truncate(0); f.Close() }, nil
}
