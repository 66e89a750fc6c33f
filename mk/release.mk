# The release path into a real registry (tests/release/release.bats):
# containers/release stage, push and merge of every tag into Debian's
# docker-registry on 127.0.0.1, then docker 26 and podman pull, run and
# register from it, and docker/setup-qemu-action's step against its image.
# Uses the host's binfmt_misc (restored exactly) and starts engines: run it
# under the engines lock.
#
#   make test-release   this suite alone (`make test` runs it too)

.PHONY: test-release
test-release: test-deps all qemu fixtures $(HELPERS) image engines node-tools
	$(BATS) --formatter tap --print-output-on-failure tests/release
