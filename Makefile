# hopd: `make run` runs the daemon, `make demo` shows it against a local AWS
# emulator, `make test` runs every test with real parts.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
# A count, not a duration: a -fuzztime duration races the fuzzing
# coordinator's deadline on a loaded machine and fails with "context deadline
# exceeded" having found nothing (golang/go#75804).
FUZZTIME ?= 50000x

.PHONY: all build run demo test deps unit lint fuzz bench bench-micro faults cross clean dist deb

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
	$(GO) test -run '^$$' -fuzz '^FuzzAccountName$$' -fuzztime $(FUZZTIME) ./internal/config/
	$(GO) test -run '^$$' -fuzz '^FuzzAssignNames$$' -fuzztime $(FUZZTIME) ./internal/discover/
	$(GO) test -run '^$$' -fuzz '^FuzzExecQuoting$$' -fuzztime $(FUZZTIME) ./internal/autostart/

# hopd's numbers against a trivial net/http handler and the tools it
# replaces, with the targets of issue 7 (docs/bench.md): about 10 minutes.
bench: build
	./scripts/bench.sh

# Go benchmarks of the hot paths, in process: the handlers, the broker's cache.
bench-micro:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./internal/server/ ./internal/broker/
	$(GO) test -run '^$$' -bench Assignments -benchmem -count 5 ./internal/sso/

# The fault suite: hopd against a broken world (docs/bench.md#the-fault-suite).
# `make test` runs it too, as part of the e2e tests.
faults:
	$(GO) test -count=1 -timeout 10m -run '^TestFault' -v ./e2e/

# Release builds without cgo, with the version from git: one folder and
# archive per platform in dist/. Windows also gets hopdw.exe, the same
# program without a console window, which `hopd autostart enable` prefers
# for the Run key. macOS needs cgo for the tray, so build it on a Mac:
#   CGO_ENABLED=1 go build -trimpath -ldflags '-s -w -X main.version=VERSION' -o hopd ./cmd/hopd
DIST_TARGETS := linux/amd64 linux/arm64 windows/amd64

dist:
	rm -rf dist && mkdir -p dist
	@set -e; for t in $(DIST_TARGETS); do \
		os=$${t%/*}; arch=$${t#*/}; dir=hopd_$(VERSION)_$${os}_$${arch}; exe=; \
		if [ $$os = windows ]; then exe=.exe; fi; \
		echo "dist: $$dir"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/$$dir/hopd$$exe ./cmd/hopd; \
		if [ $$os = windows ]; then \
			CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS) -H windowsgui' -o dist/$$dir/hopdw.exe ./cmd/hopd; \
			(cd dist && python3 -m zipfile -c $$dir.zip $$dir); \
		else \
			tar -C dist -czf dist/$$dir.tar.gz $$dir; \
		fi; \
	done
	cd dist && sha256sum *.tar.gz *.zip > SHA256SUMS

# Debian packages for both Linux architectures (scripts/deb.sh: dpkg-deb).
deb: dist
	@set -e; for arch in amd64 arm64; do ./scripts/deb.sh $(VERSION) $$arch dist/hopd_$(VERSION)_linux_$$arch/hopd dist; done

clean:
	rm -rf bin dist
