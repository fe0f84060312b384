# hopd: `make run` runs the daemon, `make demo` shows it against a local AWS
# emulator, `make test` runs every test with real parts.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
FUZZTIME ?= 10s

.PHONY: all build run demo test deps unit lint fuzz bench cross clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/hopd ./cmd/hopd

run: build
	./bin/hopd serve

demo: build
	./scripts/demo.sh

deps:
	./scripts/deps.sh

# Every test, with the real parts (moto, gnome-keyring, D-Bus, SDKs).
test: deps lint
	$(GO) test -count=1 -timeout 10m ./...
	$(MAKE) fuzz

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	CGO_ENABLED=0 GOOS=windows $(GO) build ./...
	CGO_ENABLED=0 GOOS=linux $(GO) build ./...

# Brief fuzzing of the config parser, the HTTP handlers, hopd's block in ~/.aws/config and account names.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/config/
	$(GO) test -run '^$$' -fuzz '^FuzzHandler$$' -fuzztime $(FUZZTIME) ./internal/server/
	$(GO) test -run '^$$' -fuzz '^FuzzIMDSHandler$$' -fuzztime $(FUZZTIME) ./internal/server/
	$(GO) test -run '^$$' -fuzz '^FuzzBlock$$' -fuzztime $(FUZZTIME) ./internal/awsconfig/
	$(GO) test -run '^$$' -fuzz '^FuzzBaseName$$' -fuzztime $(FUZZTIME) ./internal/discover/

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./internal/server/ ./internal/broker/

clean:
	rm -rf bin dist
