# winnow — common tasks. Every variable below can be overridden:
#   make test TESTFLAGS='-run Submit -v' PKGS=./internal/intake/...
#   make fuzz FUZZTIME=2m
#   make load LOADFLAGS='-duration 5s -engine sqlite'
#
# `make test`, `make cover` and `make bench` start throwaway PostgreSQL and Redis servers on
# 127.0.0.1 and stop them afterwards, unless WINNOW_TEST_POSTGRES_URL and
# WINNOW_TEST_REDIS_URL are both set, in which case those servers are used (.ci/with-services).

GO          ?= go
GOFMT       ?= $(shell $(GO) env GOROOT)/bin/gofmt
PKGS        ?= ./...
TESTFLAGS   ?=
TESTTIMEOUT ?= 30m
BENCH       ?= .
BENCHFLAGS  ?= -benchmem
FUZZTIME    ?= 30s
COVERPROFILE ?= cover.out
ARGS        ?=
LOADFLAGS   ?=
# Release builds (make dist): the platforms, the build date stamped into `winnow version`, and
# the name the files carry (the module version and commit come from git through the go command).
DIST_PLATFORMS ?= linux/amd64 linux/arm64 darwin/arm64 windows/amd64
BUILD_DATE  ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     ?= -s -w -X main.buildDate=$(BUILD_DATE)
# podman or docker, for make image and make image-prebuilt
CONTAINER   ?= $(shell command -v podman >/dev/null 2>&1 && echo podman || echo docker)
IMAGE       ?= winnow:$(VERSION)
# podman writes OCI images by default, which drop HEALTHCHECK; the docker format keeps it
IMAGEFLAGS  ?= $(if $(findstring podman,$(CONTAINER)),--format docker)
# Modules of their own (own go.mod, so outside ./...): vetted by lint, tested by test.
TOOLS       ?= tools/load

WITH_SERVICES = bash .ci/with-services
# Redocly CLI lints the OpenAPI description (npm; npx fetches it once, then caches it).
REDOCLY     ?= npx --yes @redocly/cli@2.77.0

.DEFAULT_GOAL := build
.PHONY: help run build dist image image-prebuilt test lint lint-openapi bench fuzz cover load clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

run: ## run the server from source
	$(GO) run ./cmd/winnow serve $(ARGS)

build: ## build bin/winnow: static (no cgo), so it runs on any Linux and in an empty image
	CGO_ENABLED=0 $(GO) build -buildvcs=auto -o bin/winnow ./cmd/winnow

dist: ## release binaries for DIST_PLATFORMS in dist/, version-stamped, with SHA256SUMS
	rm -rf dist && mkdir -p dist
	@set -e; for p in $(DIST_PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; [ "$$os" = windows ] && ext=.exe; \
		out=dist/winnow-$(VERSION)-$$os-$$arch$$ext; echo "$$out"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -buildvcs=auto -ldflags '$(LDFLAGS)' -o $$out ./cmd/winnow; \
	done
	cd dist && if command -v sha256sum >/dev/null; then sha256sum winnow-*; else shasum -a 256 winnow-*; fi > SHA256SUMS
	@cat dist/SHA256SUMS

image: ## the container image from the Dockerfile (needs the golang base image)
	$(CONTAINER) build $(IMAGEFLAGS) --build-arg BUILD_DATE=$(BUILD_DATE) -t $(IMAGE) .

image-prebuilt: ## the same image around bin/winnow, FROM scratch: no base image to fetch
	CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=auto -ldflags '$(LDFLAGS)' -o bin/winnow ./cmd/winnow
	rm -rf bin/image && mkdir -p bin/image/etc/ssl/certs bin/image/data
	cp /etc/ssl/certs/ca-certificates.crt bin/image/etc/ssl/certs/
	echo 'winnow:x:65532:65532:winnow:/data:/winnow' > bin/image/etc/passwd
	echo 'winnow:x:65532:' > bin/image/etc/group
	$(CONTAINER) build $(IMAGEFLAGS) -f deploy/Dockerfile.prebuilt -t $(IMAGE) .

test: ## all tests, against real PostgreSQL and Redis
	$(WITH_SERVICES) $(GO) test -count=1 -timeout $(TESTTIMEOUT) $(TESTFLAGS) $(PKGS)
	@for d in $(TOOLS); do echo "cd $$d && $(GO) test -count=1 ./..."; (cd $$d && bash $(CURDIR)/.ci/with-services $(GO) test -count=1 ./...) || exit 1; done

lint: ## gofmt must have nothing to say; go vet must pass; the OpenAPI description must lint clean
	@unformatted=$$(find . -name '*.go' -not -path './.git/*' -not -path './vendor/*' \
		-not -path '*/testdata/*' -not -path '*/node_modules/*' -print0 | xargs -0 -r $(GOFMT) -l); \
	if [ -n "$$unformatted" ]; then echo "gofmt -l: not formatted:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)
	@for d in $(TOOLS); do echo "cd $$d && $(GO) vet ./..."; (cd $$d && $(GO) vet ./...) || exit 1; done
	@if command -v npx >/dev/null; then $(MAKE) --no-print-directory lint-openapi; \
	elif [ "$$CI" = true ]; then echo "lint-openapi: npx (Node.js) is required in CI"; exit 1; \
	else echo "lint-openapi: skipped, npx (Node.js) not found"; fi

lint-openapi: ## Redocly CLI must find web/api/openapi.json valid (rules: redocly.yaml)
	$(REDOCLY) lint --format=stylish web/api/openapi.json

bench: ## benchmarks only (no tests)
	$(WITH_SERVICES) $(GO) test -run '^$$' -bench '$(BENCH)' $(BENCHFLAGS) $(PKGS)

fuzz: ## every Fuzz target for FUZZTIME each
	GO='$(GO)' bash .ci/fuzz $(FUZZTIME) $(PKGS)

cover: ## tests with coverage of every package; writes $(COVERPROFILE)
	$(WITH_SERVICES) $(GO) test -count=1 -timeout $(TESTTIMEOUT) -covermode=atomic -coverpkg=./... \
		-coverprofile=$(COVERPROFILE) $(TESTFLAGS) $(PKGS)
	$(GO) tool cover -func=$(COVERPROFILE) | tail -n 1
	@echo "details: $(GO) tool cover -html=$(COVERPROFILE)"

load: ## winnow beside pgbench on throwaway PostgreSQL + Redis and SQLite (LOADFLAGS='-duration 5s'; see README)
	cd tools/load && $(GO) run . -repo ../.. $(LOADFLAGS)

clean: ## remove build and coverage output
	rm -rf bin dist $(COVERPROFILE)
