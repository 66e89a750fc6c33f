# Benchmarks (bench/): ratios against peers measured in the same run.
#
#   make bench        the whole bench (under 10 minutes), written to BENCHMARKS.md
#   make bench-smoke  the same with tiny counts, written to build/bench/smoke.md;
#                     it never touches the host's binfmt_misc (tests/bench.bats)
#
# `make test` needs: $(BENCH_TOOLS) (in TEST_PREREQS).

# The product's objects compiled one by one, so that the link map names the
# file each byte comes from; stripped, this build is build/register.
# (Expanded in recipes only: mk/*.mk read after this one add EXTRA_SOURCES.)
BENCH_OBJS = $(patsubst %.c,$(BUILD)/bench/obj/%.o,$(SOURCES) $(EXTRA_SOURCES))
BENCH_TOOLS := $(BUILD)/bench/timer $(BUILD)/bench/true $(BUILD)/bench/register.unstripped

$(BUILD)/bench/timer: bench/timer.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -Os $(WARN) -D_GNU_SOURCE -static -s -o $@ $<

# The floor of fork+exec: a native static program that does nothing.
$(BUILD)/bench/true:
	@mkdir -p $(@D)
	printf 'int main(void) { return 0; }\n' | $(CC) -x c -std=c11 -Os -static -s -o $@ -

$(BUILD)/bench/obj/%.o: %.c $(HEADERS) VERSION Makefile
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Ientrypoint $(CFLAGS) -c -o $@ $<

$(BUILD)/bench/register.unstripped: $(BUILD)/register
	$(MAKE) -s --no-print-directory $(BENCH_OBJS)
	$(CC) $(CFLAGS) $(filter-out -s,$(LDFLAGS)) -Wl,-Map=$(BUILD)/bench/register.map -o $@ $(BENCH_OBJS)

.PHONY: bench bench-smoke
bench: test-deps all qemu fixtures image $(BENCH_TOOLS)
	bench/run --out BENCHMARKS.md

bench-smoke: test-deps all qemu fixtures image $(BENCH_TOOLS)
	bench/run --smoke --out $(BUILD)/bench/smoke.md

TEST_PREREQS += $(BENCH_TOOLS)
