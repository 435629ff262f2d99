// Package cluster is wasmflow's multi-node layer: memberlist membership and node metadata,
// dispatching tries to workers, module distribution by sha256, and results coming back.
// A single node is a cluster of one.
//
// The server side is the RemoteExecutor: its lifecycle (remote.go), how it places tries on
// workers and sends them (remote_dispatch.go), what it does as workers come, go and restart
// (remote_members.go), and the data-channel handlers workers call with results, logs and
// XComs (remote_handlers.go). The worker side is the Worker: its lifecycle (worker.go), the
// tries it is sent and runs (worker_tries.go), handing their results to the server until
// acknowledged and greeting a restarted one (worker_results.go), and streaming their logs
// (worker_logs.go). The gossip node is node.go, with its member list and metadata
// (node_members.go) and memberlist's events and delegates (node_events.go); the encrypted,
// signed data channel is channel.go and seal.go.
package cluster
