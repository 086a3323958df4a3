# The forum's commands. `make run` starts a populated demo forum; `make test` runs every test.

GO        ?= go
BIN       := bin/forum
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
HTMX_VERSION := 2.0.11
HTMX_SSE_VERSION := 2.2.4
AXE_VERSION := 4.14.1

.PHONY: run build test lint bench soak docker htmx htmx-sse clean

## run: build, migrate, seed the demo board when the database is empty, serve on 127.0.0.1:8080 in development mode
run: build
	./$(BIN) migrate
	./$(BIN) seed --if-empty
	./$(BIN) serve --dev --addr 127.0.0.1:8080

## build: a static binary in bin/forum
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/forum

## test: every test, with the race detector (PostgreSQL too when FORUM_TEST_POSTGRES_URL is set)
test:
	$(GO) test -race -count=1 -timeout 30m ./...

## lint: formatting, go vet and staticcheck
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

BENCH_THREADS ?= 20000
BENCH_POSTS   ?= 200000
BENCH_SEED    ?= 1
BENCH_DURATION ?= 10s
SOAK_DURATION  ?= 10m
SOAK_SAMPLE    ?= 30s

## bench: Go benchmarks, then the forum at a chosen size (BENCH_THREADS, BENCH_POSTS): index build,
## search latency, index lag, and every page with wrk (installed from Debian if missing) as a member
## and as a visitor at 0, 1 and 10 replies/s; on PostgreSQL when BENCH_DATABASE_URL is set
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./app/... ./search/...
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	$(GO) run ./cmd/forum-bench --threads $(BENCH_THREADS) --posts $(BENCH_POSTS) --seed $(BENCH_SEED) --duration $(BENCH_DURATION)

SOAK_GOMEMLIMIT ?= 96MiB

## soak: a mixed load of every page at 64 connections with 10 replies/s for SOAK_DURATION,
## reporting the process's memory every SOAK_SAMPLE (BENCH_DATABASE_URL for PostgreSQL); the Go
## runtime's memory held at SOAK_GOMEMLIMIT with GOGC=off, as README advises for a node
soak:
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	$(GO) build -o bin/forum-bench ./cmd/forum-bench
	GOGC=off GOMEMLIMIT=$(SOAK_GOMEMLIMIT) ./bin/forum-bench --threads $(BENCH_THREADS) --posts $(BENCH_POSTS) --seed $(BENCH_SEED) --soak $(SOAK_DURATION) --sample $(SOAK_SAMPLE)

## docker: build the container image (needs a Docker engine)
docker:
	docker build --build-arg VERSION=$(VERSION) -t forum:$(VERSION) .

## htmx: refresh the vendored htmx from its npm package (version pinned above)
htmx:
	rm -rf .htmx-tmp && mkdir .htmx-tmp
	cd .htmx-tmp && npm pack --silent htmx.org@$(HTMX_VERSION) >/dev/null && tar xzf htmx.org-$(HTMX_VERSION).tgz
	@cp .htmx-tmp/package/dist/htmx.min.js static/vendor/htmx/htmx.min.js
	@cp .htmx-tmp/package/LICENSE static/vendor/htmx/LICENSE
	@echo "htmx.org $(HTMX_VERSION) from the npm package htmx.org, dist/htmx.min.js; license: BSD Zero Clause (LICENSE)" > static/vendor/htmx/VERSION
	rm -rf .htmx-tmp

## htmx-sse: refresh the vendored Server-Sent Events extension of htmx (live updates) from its npm package
htmx-sse:
	rm -rf .htmx-sse-tmp && mkdir .htmx-sse-tmp
	cd .htmx-sse-tmp && npm pack --silent htmx-ext-sse@$(HTMX_SSE_VERSION) >/dev/null && tar xzf htmx-ext-sse-$(HTMX_SSE_VERSION).tgz
	@mkdir -p static/vendor/htmx-ext-sse
	@cp .htmx-sse-tmp/package/dist/sse.min.js static/vendor/htmx-ext-sse/sse.min.js
	@cp .htmx-sse-tmp/package/LICENSE static/vendor/htmx-ext-sse/LICENSE
	@echo "htmx-ext-sse $(HTMX_SSE_VERSION) from the npm package htmx-ext-sse, dist/sse.min.js; license: BSD Zero Clause (LICENSE)" > static/vendor/htmx-ext-sse/VERSION
	rm -rf .htmx-sse-tmp

.PHONY: axe
## axe: refresh axe-core, which the accessibility browser test injects, from its npm package (version pinned above)
axe:
	rm -rf .axe-tmp && mkdir .axe-tmp
	cd .axe-tmp && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && tar xzf axe-core-$(AXE_VERSION).tgz
	@cp .axe-tmp/package/axe.min.js .axe-tmp/package/LICENSE .axe-tmp/package/LICENSE-3RD-PARTY.txt app/web/testdata/axe/
	@echo "axe-core $(AXE_VERSION) from the npm package axe-core (npm pack axe-core@$(AXE_VERSION)), axe.min.js; sha256 $$(sha256sum app/web/testdata/axe/axe.min.js | cut -d' ' -f1); license: MPL-2.0 (LICENSE), notices of the code it bundles in LICENSE-3RD-PARTY.txt; used by the tests only, never served" > app/web/testdata/axe/VERSION
	rm -rf .axe-tmp

clean:
	rm -rf bin
