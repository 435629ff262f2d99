// Package app is the service layer shared by the CLI, the HTTP API and the desktop window:
// it talks to the scheduler, the metastore and the cluster, never to GORM or wazero directly.
package app
