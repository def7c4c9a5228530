# Volley build, test and benchmark entry points. `make test` is what CI runs.

# The io_uring dependency (giouring) reaches syscall.mmap through go:linkname, which the Go
# linker refuses unless link-name checking is off. Every build and test needs this flag.
export GOFLAGS := -ldflags=-checklinkname=0

GO        ?= go
FUZZTIME  ?= 10s
BENCHTIME ?= 1s
BIN       ?= bin

.PHONY: all run test test-race lint build bench bench-io bench-inject fuzz-short fuzz clean

all: build

## run: the daemon on its embedded default config (SMTP 127.0.0.1:2525, HTTP 127.0.0.1:8080).
run:
	$(GO) run ./cmd/volleyd

## test: lint, every test under the race detector, then every fuzz target briefly.
test: lint test-race fuzz-short

test-race:
	$(GO) test -race -shuffle=on -timeout 20m ./...
	# The inbound sessions again on the epoll engine (auto picks io_uring where it runs).
	VOLLEY_IO_ENGINE=epoll $(GO) test -race -shuffle=on -timeout 10m ./engine/inbound/

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

## bench: micro benchmarks of every package (allocs/op reported).
bench:
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./...

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
