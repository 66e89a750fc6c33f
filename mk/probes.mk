# The platform probes: probes/<name>.S, assembled by scripts/build-probes with
# clang-19 and lld-19 into build/probes/<name> and embedded in register as C
# arrays (build/probes.c), so that the image gains no files.
#
#   make probes     build/probes.c and build/probes/*
#
# `make test` needs: $(BUILD)/probes.c and $(BUILD)/test/probe-run (in TEST_PREREQS).

PROBE_SOURCES := $(wildcard probes/*.S)

$(BUILD)/probes.c: $(PROBE_SOURCES) scripts/build-probes
	scripts/build-probes $@

EXTRA_SOURCES += $(BUILD)/probes.c

# tests/probes.bats drives probe_run() through this helper.
PROBE_RUN_SOURCES := tests/helpers/probe-run.c entrypoint/probe.c entrypoint/spawn.c entrypoint/host.c \
	entrypoint/targets.c entrypoint/glob.c $(BUILD)/probes.c

$(BUILD)/test/probe-run: $(PROBE_RUN_SOURCES) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -std=c11 -Os $(WARN) -static -o $@ $(PROBE_RUN_SOURCES)

.PHONY: probes
probes: $(BUILD)/probes.c

TEST_PREREQS += $(BUILD)/probes.c $(BUILD)/test/probe-run
