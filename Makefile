# openoma — the two commands a newcomer needs are `make run` and `make test`.
# Everything here needs only Go and git; tools are installed on demand into
# ./bin/tools with `go install` from the module proxy.

GO       ?= go
BIN      := $(CURDIR)/bin
TOOLS    := $(BIN)/tools
PKGS     := ./...
DATA_DIR ?= $(CURDIR)/.openoma-data

PLUGINS  := $(notdir $(wildcard plugins/*))

.PHONY: all build run test test-short lint vet fmt-check bench bench-e2e proto clean

all: build

## build: the host and every bundled plugin, into ./bin
build:
	@mkdir -p $(BIN)
	$(GO) build -buildvcs=auto -o $(BIN)/openoma-host ./cmd/openoma-host
	$(GO) build -o $(BIN)/openoma-graphviz ./cmd/openoma-graphviz
	@for p in $(PLUGINS); do \
		if [ -f plugins/$$p/main.go ]; then \
			echo "$(GO) build -o $(BIN)/openoma-plugin-$$p ./plugins/$$p"; \
			$(GO) build -o $(BIN)/openoma-plugin-$$p ./plugins/$$p || exit 1; \
		fi; \
	done

## run: the main job on the embedded default (see README): the spec's Q3
## Product Launch contract, end to end, on a Badger store in ./.openoma-data
## with the bundled shell and llm-stub plugins.
RUN_CONFIG ?= config.example.yaml
run: build
	$(BIN)/openoma-host --config $(RUN_CONFIG) validate
	$(BIN)/openoma-host --config $(RUN_CONFIG) run "Q3 Product Launch" --input ticket_id=PROJ-142

## test: formatting, vet, every unit test with the race detector, then the
## end-to-end tests on the real binaries (integration/: they build the
## binaries and kill real processes; the race detector would only slow the
## harness, the binaries under test are built without it) — what CI runs
test: lint
	$(GO) test -race -count=1 $$($(GO) list ./... | grep -v '/integration$$')
	$(GO) test -count=1 -timeout 20m ./integration

## test-short: quick unit tests without the race detector
test-short:
	$(GO) test -short $(PKGS)

lint: fmt-check vet

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$') 2>&1); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

## bench: every benchmark, with allocations
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

## bench-e2e: the end-to-end benchmark (issue 11): a real `serve` daemon on a
## temporary data directory with the llm-stub plugin, the four scenarios
## (200 sequential blocks, 200 fanned out, 100 executions x 10-block chain,
## plugin kill -9 at block 25 of 50) and the CLI's own cost, in sync and
## async, with the fsync floor of the same run. BENCH_E2E_FLAGS='-rounds 3'
## interleaves repeated rounds; -json prints one object per figure.
BENCH_E2E_FLAGS ?=
bench-e2e: build
	$(GO) build -o $(BIN)/openoma-bench ./cmd/openoma-bench
	$(BIN)/openoma-bench -bin $(BIN) $(BENCH_E2E_FLAGS)

## proto: regenerate the committed protobuf code (pluginproto/ and
## host/control/controlpb/); installs its pinned tools into ./bin/tools
PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2
BUF_VERSION                := v1.75.0
PROTO_TOOLS := $(TOOLS)/.protoc-gen-go-$(PROTOC_GEN_GO_VERSION) \
	$(TOOLS)/.protoc-gen-go-grpc-$(PROTOC_GEN_GO_GRPC_VERSION) \
	$(TOOLS)/.buf-$(BUF_VERSION)

proto: $(PROTO_TOOLS)
	cd pluginproto && PATH="$(TOOLS):$$PATH" $(TOOLS)/buf generate
	cd host/control/controlpb && PATH="$(TOOLS):$$PATH" $(TOOLS)/buf generate

# Each tool is installed once per pinned version; the stamp file records
# which version ./bin/tools holds, so bumping a version reinstalls it.
$(TOOLS)/.protoc-gen-go-$(PROTOC_GEN_GO_VERSION):
	@mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	@touch $@

$(TOOLS)/.protoc-gen-go-grpc-$(PROTOC_GEN_GO_GRPC_VERSION):
	@mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	@touch $@

$(TOOLS)/.buf-$(BUF_VERSION):
	@mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
	@touch $@

clean:
	rm -rf $(BIN) $(DATA_DIR)
