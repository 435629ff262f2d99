// Package desktop is the wasmflow desktop app: one Wails window that hosts the web views,
// the scheduler, the metastore and a local worker, with no login (the local user is the
// Admin) and no setup.
//
// The window serves the same views and the same HTTP API as `wasmflow server`, through Wails'
// asset server (assetserver.Options{Assets, Handler}), so the views have one transport. The
// services (services.go) are plain Go and tested without a display; window.go is the Wails
// side: menu, native dialogs, notifications and the window's lifecycle. Only a build with the
// desktop tag (`wails build`, `make desktop`) opens a window; main.go's headless twin never
// links this package.
package desktop
