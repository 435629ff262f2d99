// Package cluster is wasmflow's multi-node layer: memberlist membership and node metadata,
// dispatching tries to workers, module distribution by sha256, and results coming back.
// A single node is a cluster of one.
package cluster
