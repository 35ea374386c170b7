# COP — two commands: `make run` starts the platform, `make test` proves it.
SHELL   := /bin/bash
GO      ?= go
BIN     := bin/cop
PKGS    := ./...
BENCH   ?= .
BENCHTIME ?= 2s

.PHONY: run build test bench lint deps postgres clean

## run: build bin/cop and start everything locally on http://localhost:8080 (PORT overrides)
run: build
	./$(BIN) dev

## build: build bin/cop
build: deps
	$(GO) build -o $(BIN) .

## test: every test, against real PostgreSQL, Temporal and the dev OpenID provider
test: deps postgres
	$(GO) test -count=1 -timeout 30m $(PKGS)

## bench: benchmarks, each beside its baseline measured in the same process
bench: deps postgres
	@set -o pipefail; COP_TEST_DURABLE=1 $(GO) test -run '^$$' -bench '$(BENCH)' -benchtime $(BENCHTIME) -count 1 $(PKGS) \
	  | tee /dev/stderr | awk -f deploy/benchreport.awk

## lint: gofmt, go vet, and verify modules
lint: deps
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) mod verify

# deps: stop with one line when the Go toolchain is missing.
deps:
	@command -v $(GO) >/dev/null || { echo "make: Go is not installed: install Go $$(sed -n 's/^go //p' go.mod) or newer (https://go.dev/dl/)"; exit 1; }

# postgres: the tests start private clusters with the machine's PostgreSQL
# server; install Debian's package once here (as root) rather than from
# several test binaries at once. `cop dev` does the same for itself.
postgres:
	@if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || command -v postgres >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "make: PostgreSQL server is not installed: install it (Debian: sudo apt-get install postgresql)"; exit 1; fi; \
	mkdir -p /etc/postgresql-common; [ -f /etc/postgresql-common/createcluster.conf ] || echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf; \
	export DEBIAN_FRONTEND=noninteractive; apt-get install -y --no-install-recommends postgresql >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y --no-install-recommends postgresql; }

clean:
	rm -rf bin
