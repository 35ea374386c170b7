# COP — two commands: `make run` starts the platform, `make test` proves it.
SHELL   := /bin/bash
GO      ?= go
BIN     := bin/cop
PKGS    := ./...
BENCH   ?= .
BENCHTIME ?= 2s

.PHONY: run build test bench cluster load fuzz lint deps postgres clamav poppler assets node chromium clean

## run: build bin/cop and start everything locally on http://localhost:8080 (PORT overrides)
run: build clamav
	./$(BIN) dev

## build: build bin/cop, static (no C library needed at run time: the container image copies it alone), with GOV.UK Frontend's assets embedded
build: deps assets
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) .

## test: every test, against real PostgreSQL, Temporal and the dev OpenID provider
test: deps postgres clamav poppler assets chromium
	$(GO) test -count=1 -timeout 30m $(PKGS)

## assets: GOV.UK Frontend (pinned in ui/package-lock.json) built into ui/static for the binary to embed
assets: ui/static/VERSION

ui/static/VERSION: ui/package-lock.json ui/build.mjs | node
	cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build

# node: stop with one line when Node.js is missing (installed from Debian as root).
node:
	@if command -v npm >/dev/null && command -v node >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "make: Node.js and npm are not installed: install Node.js 20 or newer (Debian: sudo apt-get install nodejs npm)"; exit 1; fi; \
	export DEBIAN_FRONTEND=noninteractive; apt-get install -y --no-install-recommends nodejs npm >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y --no-install-recommends nodejs npm; }

# chromium: the browser journeys (ui/e2e, run by platform/web/pages' TestBrowser*)
# drive Debian's Chromium at /usr/bin/chromium; install it once here (as root).
chromium:
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "make: Chromium is not installed at /usr/bin/chromium: install it (Debian: sudo apt-get install chromium)"; exit 1; fi; \
	export DEBIAN_FRONTEND=noninteractive; apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y --no-install-recommends chromium; }

## bench: benchmarks, each beside its baseline measured in the same process
bench: deps postgres clamav assets
	@set -o pipefail; COP_TEST_DURABLE=1 $(GO) test -run '^$$' -bench '$(BENCH)' -benchtime $(BENCHTIME) -count 1 $(PKGS) \
	  | tee /dev/stderr | awk -f deploy/benchreport.awk

## cluster: COP as production runs it, on this machine: Temporal on PostgreSQL (4 shards) and the OpenID provider as their own processes, two web and two worker replicas; a load of start-form submissions while a web and a worker replica are killed and Temporal restarted (CLUSTER_SUBMISSIONS, CLUSTER_CLIENTS); ends with "cluster: A acknowledged, S stored, C completed, L lost, D duplicated"
CLUSTER_SUBMISSIONS ?= 1000
CLUSTER_CLIENTS ?= 16
cluster: deps postgres clamav assets
	COP_TEST_DURABLE=1 COP_CLUSTER_SUBMISSIONS=$(CLUSTER_SUBMISSIONS) COP_CLUSTER_CLIENTS=$(CLUSTER_CLIENTS) \
	  $(GO) test -count=1 -timeout 60m -run TestClusterLosesNothingWhenReplicasAndTemporalFail -v ./platform/cluster

## load: whole cases on `cop dev` (the binary as a user runs it) and then on the cluster of `make cluster` (Temporal on PostgreSQL, two web and two worker replicas): start-form submissions from LOAD_CLIENTS clients for LOAD_SECONDS over HTTP, at most LOAD_RATE a second together (0: unpaced), until every case has its first user task, beside a bare PostgreSQL insert in the same run; prints cases a second, submit p50/p99 and peak memory for each
LOAD_SECONDS ?= 30
LOAD_CLIENTS ?= 16
LOAD_RATE ?= 67
load: deps postgres clamav assets
	COP_TEST_DURABLE=1 COP_LOAD_SECONDS=$(LOAD_SECONDS) COP_LOAD_CLIENTS=$(LOAD_CLIENTS) COP_LOAD_RATE=$(LOAD_RATE) COP_LOAD_WAIT_SECONDS=600 \
	  $(GO) test -count=1 -timeout 30m -run 'TestWholeCasesOnCopDev|TestWholeCasesOnCluster' -v ./platform/cluster

## fuzz: search for inputs that break the DSL parser, the expression compiler, the CloudEvent decoder, the form, term and reference data parsers, answers, page posts and uploads (FUZZTIME each); what fails is kept under the package's testdata/fuzz and so becomes a test
FUZZTIME ?= 60s
FUZZ_TARGETS := workflows:FuzzParse workflows:FuzzExpressions workflows:FuzzCloudEvent \
	forms:FuzzForm forms:FuzzTerm forms:FuzzRefData forms:FuzzAnswers \
	forms/journey:FuzzPagePost forms/journey:FuzzSetAt platform/cases:FuzzUpload
fuzz: deps
	@set -e; for t in $(FUZZ_TARGETS); do p=$${t%%:*}; f=$${t#*:}; echo "== $$p $$f ($(FUZZTIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) ./$$p; done

## lint: gofmt, go vet, and verify modules
lint: deps assets
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

# clamav: uploads are scanned by ClamAV's clamd, which `cop dev` and the tests
# start with a signature file they generate (the EICAR test file only; the
# signature updater is never run). Install Debian's daemon once here (as root).
clamav:
	@if [ -x /usr/sbin/clamd ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "make: ClamAV is not installed at /usr/sbin/clamd: install it (Debian: sudo apt-get install clamav-daemon)"; exit 1; fi; \
	export DEBIAN_FRONTEND=noninteractive; apt-get install -y --no-install-recommends clamav-daemon >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y --no-install-recommends clamav-daemon; }

# poppler: the case PDF tests read the text back with poppler's pdftotext.
poppler:
	@if command -v pdftotext >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "make: pdftotext is not installed: install it (Debian: sudo apt-get install poppler-utils)"; exit 1; fi; \
	export DEBIAN_FRONTEND=noninteractive; apt-get install -y --no-install-recommends poppler-utils >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y --no-install-recommends poppler-utils; }

clean:
	rm -rf bin ui/node_modules
	find ui/static -mindepth 1 ! -name README.md -delete
