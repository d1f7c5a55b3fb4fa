# pkeyarena — the entry points. `make test` is what CI runs (through .ci/run).
#
#   make test                       make cover (host tests with -race, then the whole suite under
#                                   emulated PKU, with the coverage gate), make test-secret, then
#                                   the pkru, domain, arena, guard suites under emulated POWER keys
#   make test-secret                domain and secrets again, built with GOEXPERIMENT=runtimesecret
#   make cover                      test-host and test-vm, each writing a coverage profile of arena,
#                                   domain, guard and pkru into bin/cover/; merged, printed per
#                                   package, and failing below COVERMIN (85) % of statements
#   make test-host                  host tests only: on a PKU host in both modes, PKU tests required;
#                                   elsewhere Mprotect mode (PKU tests skip, naming make test-vm)
#   make test-vm PKGS=./pkru/ TESTFLAGS='-run X -v'
#                                   the suite inside QEMU (-cpu max: emulated PKU); installs QEMU and
#                                   fetches the kernel when missing
#   make test-vm-ppc64le            pkru, domain, arena, guard suites on an emulated POWER9 (AMR keys)
#   make test-vm-nopku              proves PKU tests fail (not skip) on a CPU without PKU
#   make test-vm-nopku-ppc64le      the same on a POWER guest without keys (radix MMU)
#   make lint                       gofmt, go vet, staticcheck
#   make bench                      benchmarks on this machine (never run them in the VM for timings)
#   make bench-compare              pkeyarena vs mprotect vs memguard (bench/ module)
#   make fuzz FUZZTIME=10m          fuzz the arena (against its model, and at its limits) and
#                                   the key parsers
#   make demo                       the quickstart example

GO        ?= go
PKGS      ?= ./...
TESTFLAGS ?=
VMRUN     := $(CURDIR)/bin/vmrun
# -race needs cgo; everything else runs as a static binary in the guest.
VM_CGO     = $(if $(findstring -race,$(TESTFLAGS)),1,0)
STATICCHECK ?= staticcheck
# Whether this host's CPU and kernel have protection keys (the flags pkru.Supported checks first).
HOST_PKU := $(shell grep -qw pku /proc/cpuinfo 2>/dev/null && grep -qw ospke /proc/cpuinfo && echo 1)

# Statement coverage of the library's packages. make cover sets COVERDIR: test-host and test-vm
# then write one profile each per mode into it (host-pku, host-mprotect, vm-pku), over COVERPKG
# whatever package the tests are in, and scripts/covergate merges them.
COVERPKG := ./arena/,./domain/,./guard/,./pkru/
COVERMIN ?= 85
COVEROUT ?= $(CURDIR)/bin/cover
COVERDIR ?=
cover = $(if $(COVERDIR),-covermode=atomic -coverpkg=$(COVERPKG) -coverprofile=$(COVERDIR)/$(1).out)

.PHONY: test test-secret cover test-host test-vm test-vm-ppc64le test-vm-nopku test-vm-nopku-ppc64le vm-deps vmrun lint bench bench-compare demo fuzz

test: cover test-secret test-vm-ppc64le

# Packages whose code runs through domain.DoSecret, again built with runtime/secret's erasure
# (linux/amd64, arm64). The erasure tests read freed memory and build only without -race.
SECRET_PKGS ?= ./domain/ ./secrets/ ./keys/
test-secret:
	@echo "== host: again with GOEXPERIMENT=runtimesecret (DoSecret erases)"
	GOEXPERIMENT=runtimesecret $(GO) test -race $(TESTFLAGS) $(SECRET_PKGS)
	GOEXPERIMENT=runtimesecret $(GO) test -count=1 -run 'Erase' $(TESTFLAGS) $(SECRET_PKGS)

# The host suite (both modes on a PKU host) and the emulated-PKU suite, once each, with coverage;
# then the gate. A block counts as covered if any suite ran it; bin/cover/merged.out is the
# merge (go tool cover -html=bin/cover/merged.out shows what none runs).
cover:
	@rm -rf $(COVEROUT) && mkdir -p $(COVEROUT)
	$(MAKE) --no-print-directory test-host test-vm COVERDIR=$(COVEROUT)
	@echo "== coverage of $(COVERPKG), all suites merged"
	$(GO) run ./scripts/covergate -min $(COVERMIN) -o $(COVEROUT)/merged.out $(COVEROUT)/host-*.out $(COVEROUT)/vm-*.out

# On a PKU host: the suite on hardware keys with PKEYARENA_REQUIRE_PKU=1 (no PKU test may skip),
# then again in Mprotect mode. Elsewhere: Mprotect mode only; make test-vm checks PKU.
test-host:
ifeq ($(HOST_PKU),1)
	@echo "== host: PKU hardware, every PKU test must run (PKEYARENA_REQUIRE_PKU=1)"
	PKEYARENA_REQUIRE_PKU=1 $(GO) test -race $(TESTFLAGS) $(call cover,host-pku) $(PKGS)
	@echo "== host: the same suites in Mprotect mode (PKEYARENA_FORCE_FALLBACK=1)"
	PKEYARENA_FORCE_FALLBACK=1 $(GO) test -race $(TESTFLAGS) $(call cover,host-mprotect) ./arena/ ./domain/ ./guard/ ./secrets/ ./keys/ ./examples/...
else
	@echo "== host: no PKU here: Mprotect mode natively; PKU is checked under emulation (make test-vm)"
	$(GO) test -race $(TESTFLAGS) $(call cover,host-mprotect) $(PKGS)
endif
	@echo "== host: the sshagent example (a module of its own, for x/crypto)"
	cd examples/sshagent && $(GO) test -race $(TESTFLAGS) ./...
	$(GO) test -tags pkeyarena_softreg -run 'Software|Softreg' ./domain/ ./arena/

# A short fuzz run (CI), of about 20 s per target, counted in executions: with a duration, Go
# 1.26's fuzzing coordinator can fail a run at its deadline with "context deadline exceeded" and
# no failing input (golang/go#75804, fixed in Go 1.27). FUZZTIME=10m (or 2000000x) sets every
# target's budget for a long run. Each new interesting input is minimised for up to FUZZMIN (Go's
# default, 60 s, shows as minutes at "0/sec" with one operation's arena opening costing system
# calls in Mprotect mode).
FUZZTIME ?=
FUZZMIN  ?= 5s
fuzz_allocfree = $(or $(FUZZTIME),20000x)
fuzz_limits    = $(or $(FUZZTIME),60000x)
fuzz_keys      = $(or $(FUZZTIME),200000x)
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzAllocFree -fuzztime $(fuzz_allocfree) -fuzzminimizetime $(FUZZMIN) ./arena/
	$(GO) test -run '^$$' -fuzz FuzzLimits -fuzztime $(fuzz_limits) -fuzzminimizetime $(FUZZMIN) ./arena/
	for f in FuzzRead FuzzDER FuzzOpenSSH FuzzBase64 FuzzIsText; do \
		$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(fuzz_keys) -fuzzminimizetime $(FUZZMIN) ./keys/ || exit 1; \
	done

vm-deps:
	@scripts/vm-deps.sh >/dev/null

vmrun:
	@mkdir -p bin
	CGO_ENABLED=0 $(GO) build -o $(VMRUN) ./internal/cmd/vmrun

test-vm: vm-deps vmrun
	@echo "== emulated PKU: checking the guest really has protection keys"
	@CGO_ENABLED=0 $(GO) test -count=1 -exec $(VMRUN) -run '^TestSupported$$' -v ./pkru/ | grep -E 'PKU present|FAIL'
	@echo "== emulated PKU: go test $(TESTFLAGS) $(PKGS)"
	CGO_ENABLED=$(VM_CGO) $(GO) test -exec $(VMRUN) $(TESTFLAGS) $(call cover,vm-pku) $(PKGS)

# linux/ppc64le: QEMU's PowerNV POWER9 with the hash MMU (disable_radix), where the kernel hands
# out AMR keys. The guest's /init is vmrun built for ppc64le. PPC_PKGS: pkru, domain, arena and
# guard; the POWER guest sets PKEYARENA_EMULATED_AMR=1 for the tests' TLB workaround
# (docs/testing.md).
PPC_PKGS ?= ./pkru/ ./domain/ ./arena/ ./guard/
test-vm-ppc64le: vmrun
	@scripts/vm-deps.sh ppc64el >/dev/null
	CGO_ENABLED=0 GOARCH=ppc64le $(GO) build -o $(VMRUN)-ppc64le ./internal/cmd/vmrun
	@echo "== emulated POWER keys: checking the guest really has protection keys"
	@CGO_ENABLED=0 GOARCH=ppc64le $(GO) test -count=1 -exec $(VMRUN) -run '^TestSupported$$' -v ./pkru/ | grep -E 'PKU present|FAIL'
	@echo "== emulated POWER keys: go test $(TESTFLAGS) $(PPC_PKGS)"
	CGO_ENABLED=0 GOARCH=ppc64le $(GO) test -exec $(VMRUN) $(TESTFLAGS) $(PPC_PKGS)

# And on POWER: a guest on the radix MMU has no keys, so the same tests must fail there too.
test-vm-nopku-ppc64le: vmrun
	@scripts/vm-deps.sh ppc64el >/dev/null
	CGO_ENABLED=0 GOARCH=ppc64le $(GO) build -o $(VMRUN)-ppc64le ./internal/cmd/vmrun
	@if VMRUN_MMU=radix CGO_ENABLED=0 GOARCH=ppc64le $(GO) test -count=1 -exec $(VMRUN) -run '^(TestSupported|TestGrantDenyFaults)$$' ./pkru/ >/tmp/pkeyarena-nopku-ppc.log 2>&1; then \
		cat /tmp/pkeyarena-nopku-ppc.log; echo "FAIL: PKU tests passed on a POWER guest without keys"; exit 1; \
	else \
		grep -q 'protection keys are required here.*radix MMU' /tmp/pkeyarena-nopku-ppc.log || { cat /tmp/pkeyarena-nopku-ppc.log; echo "FAIL: not the expected failure"; exit 1; }; \
		echo "ok: on the radix MMU (no keys) the PKU tests fail, as they must"; \
	fi

# The same PKU tests on an emulated CPU without PKU must fail: a test bed that lost PKU must never
# pass by skipping.
test-vm-nopku: vm-deps vmrun
	@if VMRUN_CPU=max,-pku CGO_ENABLED=0 $(GO) test -count=1 -exec $(VMRUN) -run '^(TestSupported|TestGrantDenyFaults)$$' ./pkru/ >/tmp/pkeyarena-nopku.log 2>&1; then \
		cat /tmp/pkeyarena-nopku.log; echo "FAIL: PKU tests passed on a CPU without PKU"; exit 1; \
	else \
		grep -q 'protection keys are required here' /tmp/pkeyarena-nopku.log || { cat /tmp/pkeyarena-nopku.log; echo "FAIL: not the expected failure"; exit 1; }; \
		echo "ok: without PKU the PKU tests fail, as they must"; \
	fi

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags pkeyarena_softreg ./...
	$(STATICCHECK) ./...
	GOEXPERIMENT=runtimesecret $(GO) vet $(SECRET_PKGS)
	GOEXPERIMENT=runtimesecret $(STATICCHECK) $(SECRET_PKGS)
	cd bench && $(GO) vet ./... && $(STATICCHECK) ./...
	cd examples/sshagent && $(GO) vet ./... && $(STATICCHECK) ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# pkeyarena against mprotect and memguard (the bench/ module, so memguard stays out of ours).
bench-compare:
	cd bench && $(GO) test -run '^$$' -bench . -benchmem -count 6 .

demo:
	$(GO) run ./examples/quickstart
