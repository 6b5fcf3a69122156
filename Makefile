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
	$(GO) build -buildvcs=auto -o bin/shardlab ./cmd/shardlab

.PHONY: vet
vet: ## go vet and a gofmt check
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

.PHONY: test
test: vet tools ## vet, then the short test suite with the race detector (includes the report's layout test in headless Chromium and the BEAM drivers' tests)
	$(GO) test -race -short ./...

.PHONY: tools
tools: ## install Chromium, Erlang/OTP and Elixir from Debian's packages when missing (make test needs them; fails if it cannot)
	@bash .ci/tools

.PHONY: testfull
testfull: ## the full test suite without -short
	$(GO) test -race ./...

.PHONY: bench
bench: ## registry benchmarks: impl vs bare maps and registry peers, -cpu 1,2, 10k keys COUNT rounds (10), 1M keys BIGCOUNT rounds (3), BENCHTIME (50ms); ratio tables with intervals; callgrind counts
	@mkdir -p $(RESULTS)
	@rm -f $(RESULTS)/bench.txt
	@# Rounds in one process per key space (the million keys load once);
	@# each round measures every target of a configuration within seconds
	@# of the others, so a busy spell on a shared machine lands in one
	@# round of all of them, and the per-round ratios carry the noise. The
	@# million-key space runs fewer rounds: with its gigabyte heap, the
	@# collection go test forces before each timed run costs seconds.
	SHARDLAB_BENCH_KEYS=10000 SHARDLAB_BENCH_ROUNDS=$${COUNT:-10} $(GO) test -run '^$$' -bench '^Benchmark(FindServer|RouteToServer|RegisterUnregister|Mix)$$' \
		-benchmem -cpu 1,2 -benchtime $${BENCHTIME:-50ms} -count 1 -timeout 0 ./impl/ 2>&1 | tee -a $(RESULTS)/bench.txt
	SHARDLAB_BENCH_KEYS=1000000 SHARDLAB_BENCH_ROUNDS=$${BIGCOUNT:-3} $(GO) test -run '^$$' -bench '^Benchmark(FindServer|RouteToServer|Mix)$$' \
		-benchmem -cpu 1,2 -benchtime $${BENCHTIME:-50ms} -count 1 -timeout 0 ./impl/ 2>&1 | tee -a $(RESULTS)/bench.txt
	@if grep -q '^FAIL' $(RESULTS)/bench.txt || [ $$(grep -c '^ok' $(RESULTS)/bench.txt) -ne 2 ]; then echo "benchmarks failed; see $(RESULTS)/bench.txt"; exit 1; fi
	@$(MAKE) --no-print-directory callgrind
	$(GO) run ./cmd/shardlab benchratio --callgrind $(RESULTS)/callgrind.txt $(RESULTS)/bench.txt

# CALLGRIND_OPS lookups per target per pass (lookupinstr runs two passes).
CALLGRIND_OPS ?= 20000

.PHONY: callgrind
callgrind: ## instruction counts of FindServer, RouteToServer and Register+Unregister beside bare maps (valgrind's callgrind), into $(RESULTS)/callgrind.txt
	@mkdir -p $(RESULTS)
	@if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate >/dev/null; then \
		echo "valgrind is missing: installing Debian's valgrind with apt-get"; \
		apt-get update -qq && apt-get install -y -qq valgrind >/dev/null || \
		{ echo "make callgrind: could not install valgrind (apt-get install valgrind, as root)"; exit 1; }; \
	fi
	$(GO) build -o $(RESULTS)/lookupinstr ./impl/internal/lookupinstr
	@rm -f $(RESULTS)/callgrind.txt
	@set -e; for p in 1 64 256; do \
		echo "callgrind: lookupinstr -partitions $$p"; \
		GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file=$(RESULTS)/callgrind.p$$p.out \
			$(RESULTS)/lookupinstr -partitions $$p -ops $(CALLGRIND_OPS) >>$(RESULTS)/callgrind.txt 2>$(RESULTS)/callgrind.p$$p.log || \
			{ echo "valgrind failed; see $(RESULTS)/callgrind.p$$p.log"; exit 1; }; \
		callgrind_annotate --inclusive=yes --auto=no --threshold=100 $(RESULTS)/callgrind.p$$p.out >>$(RESULTS)/callgrind.txt; \
	done

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

.PHONY: report-full
report-full: ## full-length scenarios, sweep (6 repetitions), balance and a 10x campaign, then the paper (about half an hour on 2 cores)
	$(GO) run ./cmd/shardlab report --full --seed $(SEED) --dir $(RESULTS)/latest-full

.PHONY: report-check
report-check: tools ## the layout test (headless Chromium, 1,024 px) on paper/build/report.html as make report left it
	$(GO) test -count=1 -run TestReportLayoutInChromium ./paper -report $(CURDIR)/paper/build/report.html

.PHONY: report-shots
report-shots: tools ## screenshots of paper/build/report.html at 1,024 px: the first screen and each figure as laid out in the page, into paper/build/shots/
	@set -e; html=$(CURDIR)/paper/build/report.html; test -f $$html || { echo "no $$html: run make report first"; exit 2; }; \
	mkdir -p paper/build/shots; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for id in top $$(grep -o '<figure id="[^"]*"' $$html | sed 's/.*id="\([^"]*\)"/\1/'); do \
	  page=$$html; \
	  if [ $$id != top ]; then page=$$tmp/$$id.html; \
	    sed "s|</head>|<style>body > :not(#$$id) { display: none; }</style></head>|" $$html > $$page; fi; \
	  $${SHARDLAB_CHROMIUM:-chromium} --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	    --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
	    --user-data-dir=$$tmp/profile --window-size=1024,900 --virtual-time-budget=5000 \
	    --screenshot=$(CURDIR)/paper/build/shots/$$id.png "file://$$page" >/dev/null 2>&1; \
	  echo "paper/build/shots/$$id.png"; \
	done
