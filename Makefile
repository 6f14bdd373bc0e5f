# accessgraph developer targets. `make test` is what CI runs (see .ci/run).
SHELL := /bin/bash
GO ?= go

# A local, loopback-only test server: this password protects nothing else.
NEO4J_PASSWORD ?= accessgraph-local-test
NEO4J_BOLT_PORT ?= 7687
export NEO4J_PASSWORD NEO4J_BOLT_PORT

GOLANGCI_LINT_VERSION ?= v2.6.2
GOLANGCI_LINT ?= $(shell command -v golangci-lint 2>/dev/null || echo $(HOME)/go/bin/golangci-lint)

.PHONY: all build test unit check lint neo4j-start neo4j-stop demo bench generate verify-generated

all: build

build:
	$(GO) build -o bin/accessgraph ./cmd/accessgraph

# Packages whose tests write to the test Neo4j. Community edition has one
# database, and these tests clear or sweep it, so they run one at a time, after
# the rest.
NEO4J_PKGS := ./graph/neo4jstore/... ./graph/cypher/... ./cmd/accessgraph/cli/...
NEO4J_ENV := ACCESSGRAPH_NEO4J_URI=bolt://127.0.0.1:$(NEO4J_BOLT_PORT) \
	NEO4J_URI=bolt://127.0.0.1:$(NEO4J_BOLT_PORT) NEO4J_USER=neo4j ACCESSGRAPH_NEO4J_RESTART_TEST=1

## test: format and vet checks, every test without Neo4j, then the Neo4j tests
## against a real Neo4j started by deploy/neo4j.
test: check neo4j-start
	env -u NEO4J_URI -u ACCESSGRAPH_NEO4J_URI $(GO) test -count=1 -timeout 30m ./...
	$(NEO4J_ENV) $(GO) test -count=1 -p 1 -timeout 30m $(NEO4J_PKGS)

## unit: the tests that need no server (Neo4j tests skip).
unit:
	$(GO) test ./...

check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

lint:
	@test -x "$(GOLANGCI_LINT)" || $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	$(GOLANGCI_LINT) run ./...

neo4j-start:
	deploy/neo4j/neo4j.sh install
	deploy/neo4j/neo4j.sh start

neo4j-stop:
	deploy/neo4j/neo4j.sh stop

demo:
	$(GO) run ./cmd/accessgraph demo

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./graph/...

## generate: regenerate gqlgen code from schema.graphqls.
generate:
	$(GO) generate ./gql/...

verify-generated: generate
	@git diff --exit-code -- gql || (echo "generated code is stale: run make generate" && exit 1)
