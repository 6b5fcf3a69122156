# shardlab — `make` alone lists the targets.
GO      ?= go
SEED    ?= 1
RESULTS ?= results

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build bin/shardlab
	$(GO) build -o bin/shardlab ./cmd/shardlab

.PHONY: vet
vet: ## go vet and a gofmt check
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

.PHONY: test
test: vet ## vet, then the short test suite with the race detector
	$(GO) test -race -short ./...

.PHONY: testfull
testfull: ## the full test suite without -short
	$(GO) test -race ./...

.PHONY: bench
bench: ## registry benchmarks (impl vs peers, -cpu 1,2) and the ratio table
	@mkdir -p $(RESULTS)
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1,2 -benchtime $${BENCHTIME:-300ms} -count $${COUNT:-3} ./impl/ | tee $(RESULTS)/bench.txt
	$(GO) run ./cmd/shardlab benchratio $(RESULTS)/bench.txt

.PHONY: ci
ci: test ## what CI runs (.ci/run calls this)
