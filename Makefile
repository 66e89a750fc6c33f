# qemu-user-static: the `register` entrypoint, the pinned emulators, the tests.
#
#   make          build build/register (static, musl)
#   make run      install what is missing, build the image, run it on this
#                 host (--privileged --pid=host ... --reset -p yes), show the result
#   make test     install test dependencies, run the unit tests (make check),
#                 then build what the suites need and run every suite
#   make check    the unit tests alone (tests/unit/*.c, mk/unit.mk): seconds,
#                 unprivileged, no image, no network
#   make test-suites  the bats suites alone (SUITES=... picks them)
#   make lint     cppcheck, clang-tidy and shellcheck
#   make image    the images for this machine's platform (podman, or docker)
#   make image-all   multi-platform indexes (amd64 arm64 ppc64le s390x riscv64 arm/v7 386)
#   make image-oci   those indexes as an OCI layout in build/oci

SHELL := /bin/bash
VERSION := $(shell cat VERSION)
BUILD := build
ROOTFS := $(BUILD)/rootfs
QEMU_BIN := $(CURDIR)/$(ROOTFS)/usr/bin

CC := musl-gcc
WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes
CPPFLAGS := -D_GNU_SOURCE -DREGISTER_VERSION='"$(VERSION)"'
# No unwind tables: C without exceptions needs none, and they are ~5% of the file.
CFLAGS := -std=c11 -Os $(WARN) -ffunction-sections -fdata-sections \
	-fno-asynchronous-unwind-tables -fno-unwind-tables
# No RELRO: in a static non-PIE musl program nothing applies PT_GNU_RELRO (only
# musl's dynamic linker does), and aligning its end to a page added up to 4 KiB
# of padding to the file.
LDFLAGS := -static -Wl,--gc-sections -Wl,-z,noseparate-code -Wl,-z,norelro -s

SOURCES := $(wildcard entrypoint/*.c)
HEADERS := $(wildcard entrypoint/*.h)
HELPERS := $(BUILD)/test/reporter $(BUILD)/test/mkelf $(BUILD)/test/binfmt-match

BATS := bats
# tests/engines: the end-to-end suites on trixie's docker 26 and podman 5;
# tests/release: the release path into a real registry (mk/release.mk).
SUITES ?= tests tests/e2e tests/peers tests/engines tests/release

# Generated sources compiled into register (mk/probes.mk adds the probes).
EXTRA_SOURCES :=
# Targets that `make test` needs built first (each mk/*.mk may add its own).
TEST_PREREQS :=

# Each topic's targets live in mk/<topic>.mk; `make` alone still builds register.
.DEFAULT_GOAL := all
-include mk/*.mk

.PHONY: all qemu fixtures cross image image-all image-oci run run-host test test-suites suite-prereqs test-e2e test-deps deps lint clean

all: $(BUILD)/register

$(BUILD)/register: $(SOURCES) $(EXTRA_SOURCES) $(HEADERS) VERSION Makefile
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(SOURCES) $(EXTRA_SOURCES)

# Test helpers: small static programs the suites execute through the kernel.
$(BUILD)/test/%: tests/helpers/%.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -Os $(WARN) -D_GNU_SOURCE -static -o $@ $<

qemu:
	qemu-static/fetch $(ROOTFS)

fixtures:
	tests/fixtures/fetch $(BUILD)/fixtures

cross: $(EXTRA_SOURCES)
	scripts/cross-build --all $(BUILD)/cross

image: all
	scripts/install-deps image
	containers/build native

image-all: all
	scripts/install-deps image
	containers/build all

image-oci: image-all
	containers/build oci $(BUILD)/oci

deps:
	scripts/install-deps build

test-deps:
	scripts/install-deps test

run: deps image
	scripts/run-image

# Without an engine: the host build registers the emulators of build/rootfs.
run-host: deps all qemu
	$(BUILD)/register --reset -p yes -Q $(QEMU_BIN)
	$(BUILD)/register

# The unit tests first: a wrong function fails in seconds, before images,
# fuzzers and bench tools are built. Two steps, in this order even with -j.
test: test-deps
	$(MAKE) --no-print-directory check
	$(MAKE) --no-print-directory test-suites

# What the suites need built (tests/host-states builds it too).
suite-prereqs: all qemu fixtures $(HELPERS) image $(TEST_PREREQS)

test-suites: suite-prereqs
	$(BATS) --formatter tap --print-output-on-failure $(SUITES)

# The end-to-end suites alone: they use this machine's real binfmt_misc.
test-e2e: test-deps all qemu fixtures $(HELPERS) image engines
	$(BATS) --formatter tap --print-output-on-failure tests/e2e tests/peers tests/engines

# The same checks as tests/lint.bats, for a quick run while editing.
lint: $(EXTRA_SOURCES)
	$(BATS) tests/lint.bats

clean:
	rm -rf $(BUILD)
