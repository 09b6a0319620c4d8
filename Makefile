# Cocoon's build. `make help` lists the targets.
#
# Everything is plain `go build` / `go test`; the integration suites
# (test/syscalls, test/e2e, test/runtimes) and the benchmarks run
# programs natively and under bin/runsc; test/ocivalidation runs the OCI
# runtime-tools validation suite under runc and bin/runsc and compares them.

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
# Prefer the toolchain scripts/deps.sh installs; let go.mod pick the
# version (GOTOOLCHAIN=auto fetches it through the module proxy if needed).
export PATH := /usr/local/go/bin:$(PATH)
export GOTOOLCHAIN ?= auto

GO          ?= go
# Extra `go test` flags, e.g. make e2e TESTFLAGS='-v -run TestRunBundle'.
TESTFLAGS   ?=
RUNSC       := bin/runsc
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# Integration packages: they need bin/runsc, gcc and root.
INTEGRATION := ./test/syscalls ./test/e2e ./test/runtimes ./test/benchmarks ./test/ocivalidation
UNIT_PKGS    = $$($(GO) list ./... | grep -v -e '/test/syscalls$$' -e '/test/e2e$$' -e '/test/runtimes$$' -e '/test/benchmarks$$' -e '/test/ocivalidation$$')

.DEFAULT_GOAL := build
.PHONY: build help deps demo test unit syscall-tests e2e runtimes-tests oci-validation bench lint fmt-check vet staticcheck race clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/runsc (static, CGO_ENABLED=0); the default target
	CGO_ENABLED=0 $(GO) build -o $(RUNSC) ./runsc

deps: ## install what is needed on Debian 12 (gcc, busybox-static, runc, Go if missing); idempotent
	./scripts/deps.sh

demo: deps build ## install, build and run a real program in the sandbox
	./$(RUNSC) do /bin/busybox sh -c 'echo hello from the sandbox; uname -a'

test: deps build ## the whole suite: lint basics, unit, syscall, e2e, runtimes and OCI validation tests, in parallel
	@$(MAKE) --no-print-directory -k -j4 --output-sync=target fmt-check vet unit syscall-tests e2e runtimes-tests oci-validation
	@echo "make test: all suites passed"

unit: ## unit tests of every package but the integration suites, under the race detector
	$(GO) test -count=1 -race -timeout 15m $(TESTFLAGS) $(UNIT_PKGS)

syscall-tests: build ## C syscall tests, natively and under runsc, static and dynamic
	RUNSC=$(CURDIR)/$(RUNSC) $(GO) test -count=1 -timeout 25m $(TESTFLAGS) ./test/syscalls

e2e: build ## end-to-end tests of runsc do / runsc run
	RUNSC=$(CURDIR)/$(RUNSC) $(GO) test -count=1 -timeout 20m $(TESTFLAGS) ./test/e2e

# -v so that each case's native and runsc durations, and the suite's
# table of them, show on success too.
runtimes-tests: build ## language runtimes (C, Go, python, node, java, gcc, git, sort, xz, strace, gdb), natively and under runsc; RUNTIMES_PENDING=1 runs the pending cases too
	RUNSC=$(CURDIR)/$(RUNSC) $(GO) test -count=1 -v -timeout 20m $(TESTFLAGS) ./test/runtimes

oci-validation: build ## OCI runtime-tools validation suite under runc and runsc; fails on what runc passes and runsc does not (docs/compatibility.md)
	RUNSC=$(CURDIR)/$(RUNSC) $(GO) test -count=1 -timeout 20m -v $(TESTFLAGS) ./test/ocivalidation

bench: build ## benchmarks: syscalls, threads, futex/eventfd/epoll round trips, goroutines, runsc vs runc, floors
	RUNSC=$(CURDIR)/$(RUNSC) $(GO) run ./test/benchmarks

race: ## unit tests with the race detector
	$(GO) test -count=1 -race -timeout 20m $(UNIT_PKGS)

lint: fmt-check vet staticcheck ## gofmt, go vet and staticcheck

fmt-check: ## fail if any Go file is not gofmt-ed
	@out=$$(find . -name '*.go' -not -path './.git/*' -print0 | xargs -0 -r gofmt -l); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi; echo "gofmt: clean"

vet: ## go vet ./...
	$(GO) vet ./...

staticcheck: ## staticcheck, fetched through the Go module proxy
	$(GO) run $(STATICCHECK) ./...

clean: ## remove bin/
	rm -rf bin
