// Package e2e drives the web UI of a real `wasmflow standalone` process in headless Chromium
// (Debian's /usr/bin/chromium, installed by `.ci/install-deps.sh browser`, which `make deps`
// runs). The test fails, never skips, when the browser is missing. The tests build only with
// the e2e tag (`make e2e`, part of `make test`), so `go test ./...` needs no browser.
//
// Screenshots of every view go to $WASMFLOW_E2E_ARTIFACTS, or e2e/artifacts (gitignored).
package e2e
