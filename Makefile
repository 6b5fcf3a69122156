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
	@rm -f $(RESULTS)/bench.txt
	@# COUNT separate runs rather than -count: each run measures every
	@# registry within seconds of the others, so a busy spell on a shared
	@# machine lands in one repeat of all of them, and the median drops it.
	@for i in $$(seq $${COUNT:-3}); do \
		$(GO) test -run '^$$' -bench '^Benchmark(FindServer|RouteToServer|RegisterUnregister|Mix)$$' \
			-benchmem -cpu 1,2 -benchtime $${BENCHTIME:-200ms} -count 1 ./impl/ 2>&1 | tee -a $(RESULTS)/bench.txt; \
	done
	@if grep -q '^FAIL' $(RESULTS)/bench.txt; then echo "benchmarks failed; see $(RESULTS)/bench.txt"; exit 1; fi
	$(GO) run ./cmd/shardlab benchratio $(RESULTS)/bench.txt

.PHONY: fuzz
fuzz: ## each fuzz target of check for FUZZTIME (default 30s), minimisation capped so a find cannot stall
	@set -e; for t in FuzzReadHistory FuzzHistoryBytes FuzzOpSequence; do \
		$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $${FUZZTIME:-30s} -fuzzminimizetime $${FUZZMINTIME:-10s} ./check/; \
	done

.PHONY: ci
ci: test test-slurm ## what CI runs (.ci/run calls this)

.PHONY: test-slurm
test-slurm: build ## a one-node Slurm cluster (installs slurm-wlm and munge if missing; root): 4-task array, merged, compared with the unsharded run
	bash deploy/test-slurm.sh

.PHONY: check
check: build ## longer linearizability campaign: impl at 1/4/64 partitions and the peers, several seeds (CHECK_SEEDS, CHECK_OUT)
	@set -e; out=$${CHECK_OUT:-$(RESULTS)/check}; mkdir -p $$out; \
	for seed in $${CHECK_SEEDS:-1 2 3}; do \
	  for p in 1 4 64; do \
	    ./bin/shardlab check --registry sharded --partitions $$p --seed $$seed --histories 300 --long 2 --out $$out; \
	  done; \
	  for r in mutex channel syncmap xsync; do \
	    ./bin/shardlab check --registry $$r --seed $$seed --histories 100 --long 1 --out $$out; \
	  done; \
	done
	$(GO) test -race -count=1 -run 'Campaign|Concurrent|StateMachine|Broken' ./check/... -rapid.checks=1000

.PHONY: check-drivers
check-drivers: build ## campaigns through the driver protocol: impl (Go), the Erlang and Elixir registries, the broken variant; the owner-death probe (CHECK_SEEDS, CHECK_OUT)
	@set -e; out=$${CHECK_OUT:-$(RESULTS)/check-drivers}; mkdir -p $$out; \
	for seed in $${CHECK_SEEDS:-1 2 3}; do \
	  ./bin/shardlab check --registry driver:go-sharded --partitions 64 --seed $$seed --out $$out; \
	  ./bin/shardlab check --registry driver:erlang-ets --partitions 4 --seed $$seed --histories 100 --long 1 --long-ops 500 --out $$out; \
	  ./bin/shardlab check --registry driver:erlang-global --seed $$seed --histories 300 --long 0 --out $$out || true; \
	  for p in 1 8; do ./bin/shardlab check --registry driver:elixir --partitions $$p --seed $$seed --histories 300 --long 0 --out $$out; done; \
	  if ./bin/shardlab check --registry driver:erlang-ets-stale --partitions 4 --seed $$seed --histories 200 --long 0 --clients 4 --ops 20 --out $$out >/dev/null; then \
	    echo "the stale death notice slipped through (seed $$seed)"; exit 1; fi; \
	done
	@for r in erlang-global elixir erlang-ets; do ./bin/shardlab driver-probe --registry driver:$$r --trials 300; done

.PHONY: scenarios
scenarios: ## every built-in scenario (the seed's ten and four more), quick, impl and the channel peer side by side
	$(GO) run ./cmd/shardlab run all --quick --registry sharded,channel --seed $(SEED) --out $(RESULTS)/scenarios-quick-seed$(SEED)

.PHONY: experiments
experiments: ## the quick sweep (partitions x workers x workload) into $(RESULTS)/
	$(GO) run ./cmd/shardlab sweep quick --seed $(SEED) --out $(RESULTS)/sweep-quick-seed$(SEED)

.PHONY: report
report: ## quick scenarios + sweep + balance + check, then figures and the paper (a few minutes); prints the report's path
	$(GO) run ./cmd/shardlab report --seed $(SEED)
