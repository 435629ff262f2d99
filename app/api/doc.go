// Package api is wasmflow's HTTP API and the server of its web views: Airflow's REST paths
// and JSON names on net/http (docs/api.md), sessions, bearer tokens and basic auth with
// Airflow's roles, live updates over server-sent events, and an OpenAPI description built
// from the same route table that serves the requests.
package api
