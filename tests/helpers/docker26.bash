# docker 26 of build/engines (trixie's docker.io 26.1, docker-cli, buildx
# 0.13, containerd 1.7, runc 1.1.15: tests/engines/fetch) for the suites that
# run it: tests/release/release.bats and tests/engines/docker26.bats. Load it
# after helpers/engines, then call docker26_use in setup_file, before
# docker_start (which starts the suite's own dockerd with these programs).
# shellcheck shell=bash

# docker26_use [containerd-store]: the client, the daemon and the PATH the
# daemon finds containerd, its shim and runc on; buildx as the client's
# plugin, in a DOCKER_CONFIG of the suite's own (podman reads its
# credentials from there too, and wants the file). With containerd-store the
# daemon keeps its images in containerd (the containerd snapshotter), which
# BuildKit's docker driver needs for multi-platform builds and OCI output.
docker26_use() {
	if [ ! -x "$BUILD/engines/bin/dockerd" ] || [ ! -x "$BUILD/engines/cli-plugins/docker-buildx" ]; then
		fail "build/engines is missing: make engines"
	fi
	export DOCKER_CLI=$BUILD/engines/bin/docker DOCKERD_BIN=$BUILD/engines/bin/dockerd
	export DOCKERD_PATH=$BUILD/engines/bin:$PATH
	export DOCKER_CONFIG=$BATS_FILE_TMPDIR/docker-config
	mkdir -p "$DOCKER_CONFIG/cli-plugins"
	ln -sf "$BUILD/engines/cli-plugins/docker-buildx" "$DOCKER_CONFIG/cli-plugins/docker-buildx"
	echo '{}' >"$DOCKER_CONFIG/config.json"
	case ${1:-} in
	"") ;;
	containerd-store) export DOCKERD_CONFIG_JSON='{"features": {"containerd-snapshotter": true}}' ;;
	*) fail "docker26_use: unknown option $1" ;;
	esac
}
