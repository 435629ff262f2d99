package app

import "runtime/debug"

// Version is wasmflow's version, set at build time with
// -ldflags "-X github.com/wasmflow/wasmflow/app.Version=v1.2.3".
var Version = "0.1.0-dev"

// Commit is the VCS revision the binary was built from, "" when unknown.
func Commit() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return ""
}
