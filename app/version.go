package app

// Version is wasmflow's version, set at build time with
// -ldflags "-X github.com/wasmflow/wasmflow/app.Version=v1.2.3".
var Version = "0.1.0-dev"
