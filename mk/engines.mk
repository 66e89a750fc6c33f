# The container engines of Debian 13 "trixie" (docker 26.1 + buildx 0.13 +
# containerd 1.7, podman 5.4, runc 1.1.15), pinned in tests/engines/pins.tsv
# and run from a folder beside bookworm's installed docker 20.10 and podman 4.3
# (tests/engines/fetch says why they are not installed). Downloads are cached
# in .cache/debs.
#
#   make engines        build/engines (then: . build/engines/env)
#
# `make test` needs: engines (in TEST_PREREQS).

ENGINES_DIR := $(BUILD)/engines

.PHONY: engines
engines:
	tests/engines/fetch $(ENGINES_DIR)

TEST_PREREQS += engines
