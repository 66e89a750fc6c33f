# Unit tests (tests/unit/*.c, with the TAP helper tests/unit/tap.[ch]): the
# product's own functions called directly, on this machine's compiler.
# Unprivileged, no image, no network; the whole tier takes seconds.
#
#   make check             build and run every unit test (tests/unit/run)
#   make check SANITIZE=1  the same, built with ASan + UBSan (clang-14), as
#                          `make test SANITIZE=1` runs it
#
# `make test` runs `make check` first, before it builds anything else.

UNIT_PROGRAMS := $(filter-out tests/unit/tap.c,$(wildcard tests/unit/*.c))

ifeq ($(SANITIZE),1)
UNIT_DIR := $(BUILD)/sanitize/unit
UNIT_CC := clang-14
UNIT_FLAGS = $(SANITIZE_FLAGS)
else
UNIT_DIR := $(BUILD)/unit
UNIT_CC := gcc
UNIT_FLAGS = -std=c11 -g -O1 $(WARN)
endif

# Every product module but main.c, in one archive: each test links only
# the modules it calls, whichever file they live in. (mk/probes.mk, read
# before this file, has added the generated probes to EXTRA_SOURCES.)
UNIT_OBJS := $(patsubst %.c,$(UNIT_DIR)/obj/%.o,$(filter-out entrypoint/main.c,$(SOURCES)) $(EXTRA_SOURCES))
UNIT_BINS := $(patsubst tests/unit/%.c,$(UNIT_DIR)/%,$(UNIT_PROGRAMS))

$(UNIT_DIR)/obj/%.o: %.c $(HEADERS) VERSION
	@mkdir -p $(@D)
	$(UNIT_CC) $(CPPFLAGS) $(UNIT_FLAGS) -c -o $@ $<

$(UNIT_DIR)/libregister.a: $(UNIT_OBJS)
	rm -f $@
	ar rcs $@ $^

# The tests' own ELF facts are read where they are.
$(UNIT_BINS): $(UNIT_DIR)/%: tests/unit/%.c tests/unit/tap.c tests/unit/tap.h $(UNIT_DIR)/libregister.a
	$(UNIT_CC) $(CPPFLAGS) $(UNIT_FLAGS) -DELF_MACHINES='"$(CURDIR)/tests/data/elf-machines.tsv"' \
		-o $@ $< tests/unit/tap.c $(UNIT_DIR)/libregister.a

.PHONY: check
check: $(UNIT_BINS)
	tests/unit/run $(UNIT_BINS)
