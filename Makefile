# wasmflow — every entry point a developer or CI uses. `make help` lists them.
SHELL := /bin/bash
export CGO_ENABLED ?= 0
export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin
GO ?= go
BIN := build/bin/wasmflow
# An execution count, not a duration: with a duration Go 1.26's fuzz coordinator can report its own
# deadline as a failure on a busy machine (go.dev/issue/75804, fixed in Go 1.27).
FUZZTIME ?= 50000x

.PHONY: help run build operators desktop test-desktop frontend frontend-check test test-cluster vet unit e2e unit-pg fuzz bench deps modules example-modules clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

run: build ## build wasmflow and run it: scheduler and DAG folder sync with the example DAGs (Ctrl-C stops)
	WASMFLOW_HOME=$${WASMFLOW_HOME:-$$HOME/wasmflow} $(BIN) standalone

build: operators ## build the headless binary into build/bin/wasmflow (no cgo, no webkit)
	$(GO) build -trimpath -o $(BIN) .

OPERATORS := $(patsubst tasks/operators/%/main.go,%,$(wildcard tasks/operators/*/main.go))

operators: ## build the built-in operators' wasm modules into tasks/operators/modules, which go:embed puts in the binary
	@for op in $(OPERATORS); do \
	  GOOS=wasip1 GOARCH=wasm $(GO) build -trimpath -o tasks/operators/modules/$$op.wasm ./tasks/operators/$$op || exit 1; \
	  (cd tasks/operators/modules && sha256sum $$op.wasm > $$op.wasm.sha256) || exit 1; \
	done

WAILS_VERSION := v2.15.0
WAILS := $(shell $(GO) env GOPATH)/bin/wails

desktop: operators ## build the desktop app (Wails window) into build/bin/wasmflow; installs GTK/WebKitGTK headers and the Wails CLI
	.ci/install-deps.sh desktop
	@$(WAILS) version 2>/dev/null | grep -qx '$(WAILS_VERSION)' || $(GO) install github.com/wailsapp/wails/v2/cmd/wails@$(WAILS_VERSION)
	# -s: frontend/dist is committed and checked by make frontend-check; -skipbindings: the views use the HTTP API, not bindings
	CGO_ENABLED=1 $(WAILS) build -s -skipbindings -m -nosyncgomod -trimpath -tags webkit2_41 -o wasmflow
	@echo "built build/bin/wasmflow: run it with no arguments for the window, with arguments it is the CLI"

test-desktop: ## the desktop window under Xvfb: renders, one instance per home, clean quit while a task runs (screenshots in e2e/artifacts)
	.ci/install-deps.sh display
	$(MAKE) desktop
	.ci/desktop-smoke.sh $(BIN) e2e/artifacts

frontend: ## check and unit-test the web views (npm test), rebuild them into frontend/dist (committed, embedded by go build)
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run check && npm test && npm run build

frontend-check: frontend ## check the committed frontend/dist is the build of frontend/src
	@test -z "$$(git status --porcelain -- frontend/dist)" || { echo "frontend/dist differs from a fresh build of frontend/src: run make frontend and commit frontend/dist"; git status --short -- frontend/dist; exit 1; }

deps: ## install the Debian packages the tests need (C toolchain for wasm modules, headless Chromium, PostgreSQL)
	.ci/install-deps.sh wasm browser postgres

test: deps frontend-check vet unit e2e unit-pg fuzz test-cluster test-desktop ## everything CI runs: vet, every test (the metastore and scheduler suites on SQLite and PostgreSQL), short fuzzing, the cluster across namespaces, the desktop window
	@echo "make test: all passed"

test-cluster: build ## server and workers in network namespaces (ip netns + veth), one worker cut off (root)
	.ci/install-deps.sh net
	.ci/netns-cluster.sh $(BIN)

GOFILES = $$(find . -name '*.go' -not -path './frontend/node_modules/*' -not -path './build/*')

STATICCHECK = honnef.co/go/tools/cmd/staticcheck@v0.8.2

vet: ## gofmt, go vet, staticcheck and the import rules of docs/ARCHITECTURE.md
	@test -z "$$(gofmt -l $(GOFILES))" || { echo "gofmt needed:"; gofmt -l $(GOFILES); exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags e2e ./e2e/
	$(GO) run $(STATICCHECK) -tags e2e ./...
	$(GO) test -count=1 ./internal/layers/

unit: operators
	$(GO) test -count=1 ./...

e2e: operators ## the browser tests: the web views of a real `wasmflow standalone` in headless Chromium (screenshots in e2e/artifacts)
	.ci/install-deps.sh browser
	$(GO) test -count=1 -tags e2e ./e2e/

# The metastore and scheduler suites again, each test on a fresh database of a private PostgreSQL
# server (internal/dbtest, internal/pgtest). WASMFLOW_TEST_PG=1 makes a missing server a failure,
# never a skip: `make deps` installs Debian's postgresql.
unit-pg: operators ## the metastore and scheduler test suites on PostgreSQL
	WASMFLOW_TEST_PG=1 $(GO) test -count=1 ./scheduler/metastore/ ./scheduler/

fuzz: ## run each fuzz target for FUZZTIME (default 50000x: executions)
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./tasks/
	$(GO) test -run='^$$' -fuzz='^FuzzExpr$$' -fuzztime=$(FUZZTIME) ./tasks/
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./tasks/cron/

bench: build ## performance figures, each against a baseline measured in the same run
	{ $(GO) test -run='^$$' -bench='^Benchmark(DagSync1000|Chain100|HTTPChain100|Independent1000|Mapped1000|Chain100Postgres|Independent1000Postgres|Decide15k)$$' -benchtime=3x ./scheduler/ && \
	  $(GO) test -run='^$$' -bench='^BenchmarkSchedulers$$' -benchtime=1x ./scheduler/ && \
	  $(GO) test -run='^$$' -bench='^BenchmarkDatasetTrigger$$' -benchtime=50x ./scheduler/ && \
	  $(GO) test -run='^$$' -bench='^Benchmark(TryOverhead|CompileCache|ScriptTry|HostHTTP)$$' -benchtime=2s ./runtime/ && \
	  $(GO) test -run='^$$' -bench='^BenchmarkDispatch$$' -benchtime=1000x ./cluster/ && \
	  $(GO) test -run='^$$' -bench='^Benchmark(Grid|DagsList|Trigger)' -benchtime=5x ./app/api/ && \
	  WASMFLOW_BIN=$(BIN) $(GO) test -run='^$$' -bench='^BenchmarkDagsTest$$' -benchtime=2x ./app/cli/ ; } | tee bench.out

modules: ## build the Go and C example task modules into examples/modules/out
	examples/modules/build.sh examples/modules/out

example-modules: ## rebuild the example DAGs' C modules (committed) from examples/dags/modules/src
	examples/dags/modules/build.sh

clean:
	rm -rf build/bin bench.out
