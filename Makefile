# Portcullis developer entry points. `make help` lists them.
#
#   make run       install what is missing, build release, run the demo app and the gateway
#   make test      install what is missing, build (debug), run the test suites
#   make bench     install the benchmark tools, compare Portcullis with nginx and HAProxy
#   make bench-micro  run the micro-benchmarks in Benchmarks/ (release build)
#   make validate  check config/portcullis.yaml (or CONFIG=...) without starting anything

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help

# The toolchain on PATH wins; /opt/swift is the fallback.
export PATH := $(PATH):/opt/swift/usr/bin

CONFIG      ?= config/portcullis.yaml
# Seconds each fuzz target runs in `make test` (scripts/fuzz TARGET SECONDS runs longer passes).
FUZZ_SECONDS ?= 30
DEMO_HOST   ?= 127.0.0.1
DEMO_PORT   ?= 3000
# Extra flags for every `swift build` / `swift test`, e.g. SWIFT_FLAGS="--scratch-path /tmp/pc".
SWIFT_FLAGS ?=
# Release builds skip runtime exclusivity checks in every module, dependencies included
# (measured: swift_beginAccess and its thread-local lookups were ~2-3% of a proxied request).
RELEASE_FLAGS ?= -Xswiftc -enforce-exclusivity=unchecked

.PHONY: help setup build run test bench bench-micro validate

help:
	@echo "make run       build release, start portcullis-demo on $(DEMO_HOST):$(DEMO_PORT) and"
	@echo "               portcullis with $(CONFIG) in the foreground (Ctrl-C stops both)"
	@echo "make test      build debug (all products) and run swift test"
	@echo "make bench     benchmark against nginx and HAProxy (see docs/BENCHMARKS.md)"
	@echo "make bench-micro  micro-benchmarks of the hot path (Benchmarks/; BENCH_FILTER=regex)"
	@echo "make validate  validate $(CONFIG)"
	@echo "make setup     only install missing packages (scripts/setup)"

setup:
	scripts/setup

build: setup
	swift build -c release $(RELEASE_FLAGS) $(SWIFT_FLAGS)

# The demo geo database (config/portcullis.yaml's geo.database) is built from the test fixture
# script: 81.2.69.142 is GB, 24.28.0.1 US-TX, 67.43.156.1 US-UT, 216.160.83.56 US-WA, 2a02:8100::1 DE.
GEO_DEMO_DB ?= geo/demo-city.mmdb

# The demo app runs in the background and is stopped by its PID when the gateway exits,
# whether it exits by itself, fails, or is stopped with Ctrl-C.
run: build
	@bin="$$(swift build -c release $(RELEASE_FLAGS) $(SWIFT_FLAGS) --show-bin-path)"
	perl Tests/Fixtures/make_geo_mmdb.pl --layout city $(GEO_DEMO_DB)
	"$$bin/portcullis-demo" --host $(DEMO_HOST) --port $(DEMO_PORT) &
	demo=$$!
	trap 'kill $$demo 2>/dev/null || true; wait $$demo 2>/dev/null || true' EXIT
	trap 'exit 130' INT TERM
	for _ in $$(seq 50); do
	  kill -0 $$demo 2>/dev/null || { echo "portcullis-demo exited (is $(DEMO_HOST):$(DEMO_PORT) in use?)" >&2; exit 1; }
	  curl -fsS -o /dev/null "http://$(DEMO_HOST):$(DEMO_PORT)/healthz" 2>/dev/null && break
	  sleep 0.1
	done
	echo "starting portcullis with $(CONFIG) (Ctrl-C stops it and the demo app)"
	"$$bin/portcullis" run --config $(CONFIG)

# Integration tests spawn .build/debug/portcullis, so build every product before testing.
# Then each libFuzzer target of Tests/Fuzz runs FUZZ_SECONDS on its seed corpus (scripts/fuzz;
# the instrumented build reuses the debug dependencies; six targets at 30 s, one per CPU at a
# time, docs/security.md "make test budget").
# Tests run one at a time: each starts real gateways, applications and clients, and timeouts
# under test must not race a machine loaded by twenty others (about 30 s in all).
test: setup
	swift build $(SWIFT_FLAGS)
	swift test --no-parallel $(SWIFT_FLAGS)
	"$$(swift build $(SWIFT_FLAGS) --show-bin-path)/portcullis" policy-test policies/tests/
	SWIFT_FLAGS="$(SWIFT_FLAGS)" scripts/fuzz all $(FUZZ_SECONDS)

# scripts/bench builds the release binary itself.
bench:
	scripts/setup bench
	scripts/bench

# Benchmarks/ is a package of its own (ordo-one/package-benchmark), so `make test` and `make build`
# never resolve or build it. The plugin builds it in release mode. BENCH_FILTER selects benchmarks
# by regular expression, e.g. BENCH_FILTER='apply.*'.
BENCH_FILTER ?=
bench-micro: setup
	swift package --package-path Benchmarks benchmark --no-progress $(if $(BENCH_FILTER),--filter '$(BENCH_FILTER)')

validate: build
	@bin="$$(swift build -c release $(RELEASE_FLAGS) $(SWIFT_FLAGS) --show-bin-path)"
	"$$bin/portcullis" validate --config $(CONFIG)
