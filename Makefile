# Volley build, test and benchmark entry points. `make test` is what CI runs.

# The io_uring dependency (giouring) reaches syscall.mmap through go:linkname, which the Go
# linker refuses unless link-name checking is off. Every build and test needs this flag.
export GOFLAGS := -ldflags=-checklinkname=0

GO        ?= go
FUZZTIME  ?= 10s
BENCHTIME ?= 1s
BIN       ?= bin

.PHONY: all run test test-race test-arm64 lint build bench bench-micro bench-gate bench-io bench-inject profile pgo fuzz-short fuzz clean

all: build

## run: the daemon on its embedded default config (SMTP 127.0.0.1:2525, HTTP 127.0.0.1:8080).
run:
	$(GO) run ./cmd/volleyd

## test: lint, every test under the race detector, then every fuzz target briefly, the
## benchmark gate (bench-gate), then the arm64 run under qemu-user (test-arm64).
test: lint test-race fuzz-short bench-gate test-arm64

test-race:
	$(GO) test -race -shuffle=on -timeout 20m ./...
	# The inbound sessions again on the epoll engine (auto picks io_uring where it runs).
	VOLLEY_IO_ENGINE=epoll $(GO) test -race -shuffle=on -timeout 10m ./engine/inbound/

## test-arm64: the unit tests and the allocs/op gate for linux/arm64 under qemu-user (no race
## detector; timings are not gated under emulation); see .ci/test-arm64.
test-arm64:
	GO=$(GO) .ci/test-arm64

## lint: gofmt and go vet.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## build: every package for linux/amd64 and linux/arm64, and the commands' binaries under $(BIN)/.
build:
	@for arch in amd64 arm64; do \
		echo "build ./... linux/$$arch"; \
		GOOS=linux GOARCH=$$arch $(GO) build ./... || exit 1; \
		for cmd in $$(ls -d cmd/*/ 2>/dev/null); do \
			if ls $$cmd*.go >/dev/null 2>&1; then \
				mkdir -p $(BIN)/linux-$$arch; \
				GOOS=linux GOARCH=$$arch $(GO) build -o $(BIN)/linux-$$arch/ ./$$cmd || exit 1; \
			fi; \
		done; \
	done

## bench: the end-to-end suite: volleyd (io_uring and epoll), a private Postfix and Haraka (from
## npm) relaying the same load to one sink, next to the wire; 2/20/200 KB x 10/100/1,000
## connections, then cold start and idle connections; report.md and SVG charts in bench/out/.
## Needs root (Postfix) and takes about 20 minutes; a quick subset:
## `make bench BENCH_FLAGS='-sizes 2048 -conns 10,100 -servers volleyd-uring,postfix -skip coldstart,idleconns'`.
bench:
	$(GO) run ./bench/e2e $(BENCH_FLAGS)

## bench-micro: the micro benchmarks of every package (allocs/op reported).
bench-micro:
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./...

## bench-gate: allocs/op ceilings of the hot paths and side-by-side ratio floors (ring vs
## channel, group commit vs one fsync, io_uring vs epoll vs Go net) from bench/gate/thresholds.txt;
## fails on an added allocation (`make bench-gate GATE_FLAGS='-goarch arm64 -exec qemu-aarch64-static'`).
bench-gate:
	$(GO) run ./bench/gate $(GATE_FLAGS)

## bench-io: io_uring reactor vs epoll reactor vs Go net, SMTP-shaped request/reply over
## 127.0.0.1 at 1, 100 and 10,000 connections, plus idle memory per connection; one table
## (`make bench-io IOBENCH_FLAGS='-duration=10s -json'` for other settings).
bench-io:
	$(GO) run ./bench/iobench $(IOBENCH_FLAGS)

## bench-inject: volleyd vs Postfix smtpd vs the wire (smtp-sink), smtp-source -d -s 20 -l 4096
## -m 20000 into each, in one run (needs root and Debian's postfix); table in bench/out/inject.md
## (`make bench-inject INJECT_FLAGS='--repeat 5'`).
bench-inject:
	bench/inject/run.sh $(INJECT_FLAGS)

## profile: CPU, heap and mutex profiles of volleyd on the end-to-end path (smtp-source into
## volleyd relaying to smtp-sink) in perf/out/, with their top lists in perf/out/top.txt.
profile:
	perf/profile.sh profile

## pgo: the last `make profile` CPU profile becomes cmd/volleyd/default.pgo (used by every build);
## `perf/profile.sh compare` then measures the build with it against one without.
pgo:
	cp perf/out/cpu.pprof cmd/volleyd/default.pgo

## fuzz-short: each fuzz target for $(FUZZTIME) from its seeds (CI); see .ci/fuzz-short.
fuzz-short:
	FUZZTIME=$(FUZZTIME) GO=$(GO) .ci/fuzz-short

## fuzz: each fuzz target for $(FUZZTIME), growing the corpus in the Go cache
## (`make fuzz FUZZTIME=10m` before calling a parser done).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "fuzz $$pkg $$target ($(FUZZTIME))"; \
			$(GO) test -run='^$$' -fuzz="^$$target\$$" -fuzztime=$(FUZZTIME) $$pkg; \
		done; \
	done

clean:
	rm -rf $(BIN)
	$(GO) clean -testcache
