// Package layers holds no code: its test checks the import rules of docs/ARCHITECTURE.md
// against `go list`, so that a package reaching a layer above it fails `make vet`.
package layers
