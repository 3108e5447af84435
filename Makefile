# openoma — the two commands a newcomer needs are `make run` and `make test`.
# Everything here needs only Go and git; tools are installed on demand into
# ./bin/tools with `go install` from the module proxy.

GO       ?= go
BIN      := $(CURDIR)/bin
TOOLS    := $(BIN)/tools
PKGS     := ./...
DATA_DIR ?= $(CURDIR)/.openoma-data

PLUGINS  := $(notdir $(wildcard plugins/*))

.PHONY: all build run test test-short lint vet fmt-check bench proto clean

all: build

## build: the host and every bundled plugin, into ./bin
build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/openoma-host ./cmd/openoma-host
	@for p in $(PLUGINS); do \
		if [ -f plugins/$$p/main.go ]; then \
			echo "$(GO) build -o $(BIN)/openoma-plugin-$$p ./plugins/$$p"; \
			$(GO) build -o $(BIN)/openoma-plugin-$$p ./plugins/$$p || exit 1; \
		fi; \
	done

## run: the main job on the embedded default (see README)
run: build
	$(BIN)/openoma-host validate examples/q3-launch

## test: formatting, vet, and every test (race detector on) — what CI runs
test: lint
	$(GO) test -race -count=1 $(PKGS)

## test-short: quick unit tests without the race detector
test-short:
	$(GO) test -short $(PKGS)

lint: fmt-check vet

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^pluginproto/.*\.pb\.go$$') 2>&1); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

## bench: every benchmark, with allocations
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf $(BIN) $(DATA_DIR)
