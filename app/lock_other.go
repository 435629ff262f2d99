//go:build !unix

package app

// lockScheduler has no portable file lock to use here; one scheduler per home is the user's
// to keep.
func lockScheduler(string) (func(), error) { return func() {}, nil }
