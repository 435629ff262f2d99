//go:build !wasip1

package sdk

import "embed"

// Source is this package's own source, which `wasmflow tasks init` vendors into a new Go task
// module so that it builds anywhere, offline, without a replace directive. It is left out of
// wasip1 builds: a task module never carries it.
//
//go:embed *.go
var Source embed.FS
