# Reliability: fuzzing, sanitizer and valgrind builds, the exit-check build.
#
#   make fuzz-build     the libFuzzer harnesses in build/fuzz/ (clang 14)
#   make fuzz           each harness for FUZZ_TIME seconds (default 600)
#   make fuzz-short     tests/fuzz.bats: each harness 60 s, no crash, leak or UB
#   make sanitize       build/sanitize/register: ASan + UBSan, glibc, dynamic
#   make test-sanitize  the unit tests (mk/unit.mk) and the whole bats suite
#                       against ASan + UBSan builds: build/sanitize/unit/ and
#                       build/sanitize/register (same as `make test SANITIZE=1`)
#   make valgrind-build build/valgrind/register: glibc, dynamic, -g (valgrind
#                       cannot follow malloc in a static musl program)
#   make exitcheck      build/exitcheck/register: the product build plus a
#                       destructor that reports open descriptors and peak RSS
#   make faultinject    build/faultinject/faultinject.so: LD_PRELOAD fault
#                       injection for the glibc build (tests/faults.bats)
#
# `make test` needs: fuzz-build valgrind-build exitcheck faultinject (they
# are in TEST_PREREQS).

FUZZ_CC := clang-14
FUZZ_TIME ?= 600
FUZZ_HARNESSES := cli names entry export
FUZZ_FLAGS := -std=c11 -g -O1 $(WARN) -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

# Every harness links the product's files but main.c: the lead's modules
# move between files, and each harness calls only what it exercises.
FUZZ_SOURCES := $(filter-out entrypoint/main.c,$(SOURCES) $(EXTRA_SOURCES))

FUZZ_BINS := $(addprefix $(BUILD)/fuzz/,$(FUZZ_HARNESSES))

define fuzz_rule
$(BUILD)/fuzz/$(1): tests/fuzz/$(1).c $(FUZZ_SOURCES) $(HEADERS)
	@mkdir -p $$(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) -o $$@ $$< $(FUZZ_SOURCES)
endef
$(foreach h,$(FUZZ_HARNESSES),$(eval $(call fuzz_rule,$(h))))

.PHONY: fuzz-build fuzz fuzz-short sanitize test-sanitize valgrind-build exitcheck faultinject

fuzz-build: $(FUZZ_BINS)

# Long runs: new inputs go to build/fuzz/work/<harness>/corpus (seeded from the
# committed corpus), crashes to build/fuzz/work/<harness>/artifacts/.
fuzz: fuzz-build
	@for h in $(FUZZ_HARNESSES); do \
		tests/fuzz/run "$$h" $(FUZZ_TIME) || exit 1; \
	done

fuzz-short: fuzz-build
	$(BATS) --formatter tap --print-output-on-failure tests/fuzz.bats

# The product's sources, for the variants below (generated ones included).
RELIABILITY_SOURCES := $(SOURCES) $(EXTRA_SOURCES)

SANITIZE_FLAGS := -std=c11 -g -O1 $(WARN) -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined

$(BUILD)/sanitize/register: $(RELIABILITY_SOURCES) $(HEADERS) VERSION
	@mkdir -p $(@D)
	clang-14 $(CPPFLAGS) $(SANITIZE_FLAGS) -o $@ $(RELIABILITY_SOURCES)

sanitize: $(BUILD)/sanitize/register

# A sanitizer report is never mistaken for one of register's own statuses.
ifeq ($(SANITIZE),1)
export REGISTER_UNDER_TEST := $(CURDIR)/$(BUILD)/sanitize/register
export ASAN_OPTIONS := detect_leaks=1:exitcode=86:abort_on_error=0
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1:exitcode=87
export LSAN_OPTIONS := exitcode=88
TEST_PREREQS += $(BUILD)/sanitize/register
endif

test-sanitize: $(BUILD)/sanitize/register
	$(MAKE) test SANITIZE=1

$(BUILD)/valgrind/register: $(RELIABILITY_SOURCES) $(HEADERS) VERSION
	@mkdir -p $(@D)
	gcc $(CPPFLAGS) -std=c11 -g -O1 $(WARN) -o $@ $(RELIABILITY_SOURCES)

valgrind-build: $(BUILD)/valgrind/register

# The shipped build (same compiler and flags) plus tests/helpers/exitcheck.c.
$(BUILD)/exitcheck/register: $(RELIABILITY_SOURCES) $(HEADERS) VERSION tests/helpers/exitcheck.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(RELIABILITY_SOURCES) tests/helpers/exitcheck.c

exitcheck: $(BUILD)/exitcheck/register

# LD_PRELOAD fault injection for the glibc build (tests/faults.bats).
$(BUILD)/faultinject/faultinject.so: tests/helpers/faultinject.c
	@mkdir -p $(@D)
	gcc -std=c11 -D_GNU_SOURCE -O1 $(WARN) -shared -fPIC -o $@ $< -ldl

faultinject: $(BUILD)/faultinject/faultinject.so

TEST_PREREQS += fuzz-build valgrind-build exitcheck faultinject
