# permitdesk: every target first runs scripts/setup, which installs what is
# missing (Debian packages, Go modules, npm packages, staticcheck) and is fast
# when everything is present.

GO_LDFLAGS = -X permitdesk/app/cli.Version=$(VERSION) \
             -X permitdesk/app/cli.Commit=$(COMMIT) \
             -X permitdesk/app/cli.Date=$(DATE)
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
BINARY  = build/bin/permitdesk

.PHONY: setup build test lint demo screenshot dev bindings

setup:
	@scripts/setup

## build: the desktop and CLI binary in build/bin/permitdesk
build: setup
	go tool wails build -tags webkit2_41 -m -nosyncgomod -ldflags "$(GO_LDFLAGS)"

## test: every check; see scripts/test
test: setup
	scripts/test

## lint: Go vet, staticcheck, the frontend type check and eslint
lint: setup
	go vet ./...
	PATH="$$(go env GOPATH)/bin:$$PATH" staticcheck ./...
	npm --prefix frontend run --silent typecheck
	npm --prefix frontend run --silent lint

## demo: the main job on the emulated station (scripts/demo): with a display
## it opens the window on it; without one it issues three cards, rewrites an
## address, syncs, and writes faces, chip dumps and summary.json to demo/out
demo: build
	scripts/demo $(BINARY)

## screenshot: capture each screen of the real window, on the emulated
## station, into docs/screenshots
screenshot: build
	scripts/screenshots $(BINARY) docs/screenshots

## dev: wails dev with live reload; the bound Go methods are reachable from a
## browser at http://127.0.0.1:34115
dev: setup
	go tool wails dev -tags webkit2_41 -m -nosyncgomod -devserver 127.0.0.1:34115

## bindings: regenerate frontend/wailsjs after changing app/ui
bindings: setup
	go tool wails generate module -tags webkit2_41
