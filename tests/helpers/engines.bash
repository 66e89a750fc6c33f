# Container engines and the host's own binfmt_misc, for the end-to-end suites
# (tests/e2e/) and the image checks (tests/image.bats). Load it after
# helpers/common.
#
# podman   root podman with a containers.conf of the tests' own (explicit
#          ulimits and runc, which this machine needs; no network).
# docker   a dockerd of the tests' own (Debian's docker.io): its own data root,
#          exec root, socket and pidfile, no bridge and no iptables rules, and
#          tests/e2e/runc-wrapper as its default runtime (drops
#          CAP_SYS_RESOURCE, which root lacks here, so --privileged works).
# images   busybox images FROM scratch, one per platform, from the fixtures.
# host     mounting binfmt_misc on the host, and taking every qemu-* entry and
#          every mount away again (host_binfmt_cleanup).
#
# Every name the tests create starts with localhost/qus-e2e- (images) or
# /tmp/qus-dockerd. (docker's folder), and is removed by the suite that made it.
# shellcheck shell=bash

# common.bash derives REPO from BATS_TEST_DIRNAME, one level too deep for a
# suite in tests/e2e/; this file's own place is right for every suite.
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$REPO/build
REGISTER=$BUILD/register
QEMU_BIN=$BUILD/rootfs/usr/bin
FIXTURES=$BUILD/fixtures
HELPERS=$BUILD/test
E2E=$REPO/tests/e2e
IMAGE=localhost/qemu-user-static
TEST_IMAGE=localhost/qus-e2e-busybox
BUILT_IMAGE=localhost/qus-e2e-built
export REPO BUILD REGISTER QEMU_BIN FIXTURES HELPERS E2E IMAGE TEST_IMAGE BUILT_IMAGE

# The busybox test images: OCI platform, Debian architecture of the fixture,
# image tag, and what `busybox uname -m` prints under emulation.
BUSYBOX_PLATFORMS='linux/arm64 arm64 arm64 aarch64
linux/riscv64 riscv64 riscv64 riscv64
linux/ppc64le ppc64el ppc64le ppc64le
linux/s390x s390x s390x s390x
linux/arm/v7 armhf armv7 armv7l'

# Debian's client, the one made for the 20.10 daemon (/usr/local/bin/docker on
# PATH is another client). A function, so that tests read as users type.
# A suite that runs trixie's docker 26 (build/engines) sets DOCKER_CLI and
# DOCKERD_BIN to its programs, and DOCKERD_PATH to a PATH that finds its
# containerd and runc first, before docker_start.
DOCKER_CLI=${DOCKER_CLI:-/usr/bin/docker}
docker() {
	"$DOCKER_CLI" "$@"
}

require_root() {
	[ "$(id -u)" = 0 ] || fail "these tests need root (they use the host's binfmt_misc and root container engines)"
}

# Fail, never skip, when a tool is missing.
require_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null ||
			fail "$t is missing: install the test dependencies (scripts/install-deps test)"
	done
}

# The project's images must have been built on this machine (make image).
require_images() {
	local ref
	for ref in "$@"; do
		podman image exists "$ref" || fail "image $ref is missing: run make image"
	done
}

# ---------------------------------------------------------------- podman

# podman here needs explicit ulimits (root lacks CAP_SYS_RESOURCE) and runc
# (crun refuses the hybrid cgroup layout). netns "none" keeps the literal
# `podman run ...` from creating bridges and firewall rules on the host.
podman_setup() {
	local dir=${1:-$BATS_FILE_TMPDIR}
	mkdir -p "$dir"
	cat >"$dir/containers.conf" <<-'EOF'
		[containers]
		default_ulimits = ["nofile=1024:1024","nproc=1024:1024"]
		netns = "none"

		[engine]
		runtime = "runc"
	EOF
	export CONTAINERS_CONF=$dir/containers.conf
}

# Build localhost/qus-e2e-busybox:TAG for every platform named (linux/arm64
# ...: BUSYBOX_PLATFORMS' first column), or for all of them.
build_busybox_images() {
	local platform debarch tag _ ctx arch want
	while read -r platform debarch tag _; do
		if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$platform"; then
			continue
		fi
		[ -x "$FIXTURES/busybox-$debarch/bin/busybox" ] ||
			fail "fixture $FIXTURES/busybox-$debarch/bin/busybox is missing: run make fixtures"
		ctx=$BATS_FILE_TMPDIR/busybox-$debarch
		mkdir -p "$ctx"
		cp "$FIXTURES/busybox-$debarch/bin/busybox" "$ctx/busybox"
		podman build -q --pull=never --network=none --layers=false --platform "$platform" \
			-f "$E2E/Containerfile.busybox" -t "$TEST_IMAGE:$tag" "$ctx" >/dev/null ||
			fail "podman build of $TEST_IMAGE:$tag ($platform) failed"
		arch=$(podman image inspect --format '{{.Os}}/{{.Architecture}}' "$TEST_IMAGE:$tag")
		want=$(echo "$platform" | cut -d/ -f1-2)
		[ "$arch" = "$want" ] || fail "$TEST_IMAGE:$tag is $arch, not $want"
	done <<<"$BUSYBOX_PLATFORMS"
}

# Remove every image the suites tagged (test images and build results).
remove_test_images() {
	local ref
	for ref in $(podman images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null |
		grep -e "^$TEST_IMAGE:" -e "^$BUILT_IMAGE:"); do
		podman rmi "$ref" >/dev/null 2>&1 || echo "# could not remove image $ref" >&3
	done
}

# ---------------------------------------------------------------- docker

# Is PID a live process (not gone, not a zombie)?
proc_alive() {
	local state
	[ -n "$1" ] && [ "$1" -gt 1 ] 2>/dev/null || return 1
	state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# Wait up to SECONDS for PID to end.
wait_gone() {
	local pid=$1 tenths=$(($2 * 10)) i
	for ((i = 0; i < tenths; i++)); do
		proc_alive "$pid" || return 0
		sleep 0.1
	done
	! proc_alive "$pid"
}

# Stop PID (one we started): TERM, then KILL after SECONDS. Refuses PID 1 and
# processes whose command name is not NAME (a reused PID).
stop_pid() {
	local pid=$1 name=$2 secs=$3
	proc_alive "$pid" || return 0
	[ "$pid" -gt 1 ] || return 1
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] || {
		echo "# pid $pid is not $name any more; left alone" >&3
		return 0
	}
	kill -TERM "$pid" 2>/dev/null || true
	wait_gone "$pid" "$secs" && return 0
	echo "# $name ($pid) ignored TERM for ${secs}s; killing it" >&3
	kill -KILL "$pid" 2>/dev/null || true
	wait_gone "$pid" 5
}

# Start the tests' dockerd. Sets and exports DOCKER_DIR and DOCKER_HOST.
docker_start() {
	require_tools dockerd containerd runc jq
	[ -x "$DOCKER_CLI" ] || fail "$DOCKER_CLI is missing: install docker.io"
	DOCKER_DIR=$(mktemp -d /tmp/qus-dockerd.XXXXXX)
	DOCKER_HOST=unix://$DOCKER_DIR/docker.sock
	export DOCKER_DIR DOCKER_HOST
	PATH=${DOCKERD_PATH:-$PATH} "${DOCKERD_BIN:-/usr/sbin/dockerd}" --data-root "$DOCKER_DIR/data" --exec-root "$DOCKER_DIR/exec" \
		--pidfile "$DOCKER_DIR/dockerd.pid" -H "$DOCKER_HOST" \
		--add-runtime "qus=$E2E/runc-wrapper" --default-runtime qus \
		--iptables=false --ip6tables=false --ip-forward=false --ip-masq=false --bridge=none \
		</dev/null >"$DOCKER_DIR/dockerd.log" 2>&1 3>&- &
	echo $! >"$DOCKER_DIR/dockerd.started"
	local i
	for i in $(seq 150); do
		docker version >/dev/null 2>&1 && break
		proc_alive "$(cat "$DOCKER_DIR/dockerd.started")" || break
		sleep 0.2
	done
	docker version >/dev/null 2>&1 || {
		tail -n 20 "$DOCKER_DIR/dockerd.log" >&2
		fail "dockerd did not start (log above, in $DOCKER_DIR/dockerd.log)"
	}
	[ "$(cat "$DOCKER_DIR/dockerd.pid")" = "$(cat "$DOCKER_DIR/dockerd.started")" ] ||
		fail "dockerd's pidfile does not name the dockerd started here"
	# containerd, started by dockerd: remembered now, so that docker_stop can
	# wait for it even if dockerd dies first.
	for i in $(seq 50); do
		[ -s "$DOCKER_DIR/exec/containerd/containerd.pid" ] && break
		sleep 0.1
	done
	cp "$DOCKER_DIR/exec/containerd/containerd.pid" "$DOCKER_DIR/containerd.started" 2>/dev/null ||
		fail "dockerd started no containerd of its own"
	# The --pid=host tests expect the engine in this mount namespace.
	local p
	for p in "$(cat "$DOCKER_DIR/dockerd.pid")" "$(cat "$DOCKER_DIR/containerd.started")"; do
		[ "$(readlink "/proc/$p/ns/mnt")" = "$(readlink /proc/self/ns/mnt)" ] ||
			fail "process $p of the test dockerd is in another mount namespace"
	done
	docker info --format '{{.DefaultRuntime}}' | grep -qx qus ||
		fail "the test dockerd does not use tests/e2e/runc-wrapper"
}

# Stop the tests' dockerd and its containerd, wait for both, and remove its
# folder. Safe to call twice, or when docker_start failed half-way.
docker_stop() {
	[ -n "${DOCKER_DIR:-}" ] && [ -d "$DOCKER_DIR" ] || return 0
	case $DOCKER_DIR in /tmp/qus-dockerd.*) ;; *) return 1 ;; esac
	local dpid cpid rc=0 ids p m
	dpid=$(cat "$DOCKER_DIR/dockerd.started" 2>/dev/null) || dpid=
	cpid=$(cat "$DOCKER_DIR/containerd.started" 2>/dev/null) || cpid=
	if proc_alive "$dpid"; then
		# The tests use --rm; anything left is a failed test's.
		ids=$(docker ps -aq 2>/dev/null) || ids=
		if [ -n "$ids" ]; then
			# shellcheck disable=SC2086 # one id a word
			docker rm -f $ids >/dev/null 2>&1 || true
		fi
	fi
	stop_pid "$dpid" dockerd 30 || rc=1
	wait "$dpid" 2>/dev/null || true
	# dockerd stops its containerd; wait for that, and stop it if it stayed.
	wait_gone "$cpid" 15 || stop_pid "$cpid" containerd 10 || rc=1
	# Shims outlive containerd only if a container did; they name our socket.
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" -gt 1 ] || continue
		case $(cat "/proc/$p/comm" 2>/dev/null) in containerd-shim*) ;; *) continue ;; esac
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF "$DOCKER_DIR/" || continue
		echo "# stopping containerd-shim $p left by the test dockerd" >&3
		stop_pid "$p" "$(cat "/proc/$p/comm")" 10 || rc=1
	done
	# Unmount whatever is still mounted below the folder, deepest first.
	while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m" || rc=1
	done < <(awk -v d="$DOCKER_DIR/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r)
	if awk -v d="$DOCKER_DIR/" 'index($2, d) == 1 { f = 1 } END { exit !f }' /proc/self/mounts; then
		echo "# something is still mounted below $DOCKER_DIR; folder kept" >&3
		return 1
	fi
	rm -rf --one-file-system "$DOCKER_DIR" || rc=1
	return "$rc"
}

# Move images from podman's storage into the test dockerd (docker-archive).
docker_load() {
	podman save -m --format docker-archive "$@" | docker load >/dev/null ||
		fail "could not load $* into the test dockerd"
}

# ---------------------------------------------------------------- the host's binfmt_misc

# Is binfmt_misc mounted at /proc/sys/fs/binfmt_misc here (the host's mount
# namespace: the suites run there)?
host_binfmt_mounted() {
	awk -v p="$BINFMT" '$2 == p && $3 == "binfmt_misc" { f = 1 } END { exit !f }' /proc/self/mounts
}

# Every binfmt_misc mount here, wherever it is.
host_binfmt_mounts() {
	awk '$3 == "binfmt_misc" { print $2 }' /proc/self/mounts
}

# The qemu-* entries of the host's instance (the initial user namespace's),
# mounted here or not: read through a mount in a private mount namespace that
# ends with the command (or the copy of the mount here, if there is one). With REMOVE=1 they are removed first (-1 to each
# qemu-* entry; never to status).
host_qemu_entries() {
	unshare --mount --propagation private sh -c '
		grep -q " $1 binfmt_misc " /proc/self/mounts ||
			mount -t binfmt_misc binfmt_misc "$1" || exit 3
		if [ "$2" = 1 ]; then
			for e in "$1"/qemu-*; do
				[ -e "$e" ] && echo -1 >"$e"
			done
		fi
		cd "$1" && ls -1 | grep "^qemu-" || true' sh "$BINFMT" "${REMOVE:-0}"
}

# setup_file: refuse to run when the host already has something this suite
# would clobber or take away. Only once it has passed does host_binfmt_cleanup
# touch anything (teardown_file also runs after a failed setup_file). The mark
# is exported, not initialised here: this file is sourced again in each test.
host_binfmt_guard() {
	unset QUS_HOST_GUARDED
	local mounts entries
	mounts=$(host_binfmt_mounts)
	[ -z "$mounts" ] ||
		fail "the host has binfmt_misc mounted ($mounts), which these tests did not do: refusing to touch it (these tests need a host without binfmt_misc mounted)"
	entries=$(host_qemu_entries) || fail "cannot read the host's binfmt_misc instance"
	[ -z "$entries" ] ||
		fail "the host's binfmt_misc already holds qemu entries ($(echo "$entries" | tr '\n' ' ')): refusing to clobber them"
	export QUS_HOST_GUARDED=1
}

# The systemd way: binfmt_misc mounted on the host, which keeps entries made
# by containers alive after they exit (Linux >= 6.7).
host_binfmt_mount() {
	[ "${QUS_HOST_GUARDED:-}" = 1 ] || fail "host_binfmt_guard must pass first"
	host_binfmt_mounted && fail "binfmt_misc is already mounted at $BINFMT"
	mount -t binfmt_misc binfmt_misc "$BINFMT" || fail "cannot mount binfmt_misc at $BINFMT"
}

# Remove every qemu-* entry, unmount every binfmt_misc mount at
# /proc/sys/fs/binfmt_misc (also the ones register made through --pid=host),
# and check that the host is as it was: nothing mounted, no qemu entries.
host_binfmt_cleanup() {
	local e i rc=0 left
	if [ "${QUS_HOST_GUARDED:-}" != 1 ]; then
		echo "host_binfmt_cleanup: the host was not checked (host_binfmt_guard); its binfmt_misc is left alone" >&2
		return 0
	fi
	if host_binfmt_mounted; then
		for e in "$BINFMT"/qemu-*; do
			[ -e "$e" ] && { echo -1 >"$e" || rc=1; }
		done
	fi
	for i in $(seq 10); do
		host_binfmt_mounted || break
		umount "$BINFMT" || rc=1
	done
	# Entries kept alive by a mount elsewhere (another mount namespace).
	left=$(REMOVE=1 host_qemu_entries) || rc=1
	if host_binfmt_mounted || [ -n "$(host_binfmt_mounts)" ]; then
		echo "host_binfmt_cleanup: binfmt_misc is still mounted: $(host_binfmt_mounts)" >&2
		rc=1
	fi
	if [ -n "$left" ]; then
		echo "host_binfmt_cleanup: qemu entries could not be removed: $left" >&2
		rc=1
	fi
	return "$rc"
}

# Fail unless the host's instance holds no qemu entries.
assert_host_has_no_qemu_entries() {
	local left
	left=$(host_qemu_entries) || fail "cannot read the host's binfmt_misc instance"
	[ -z "$left" ] || fail "the host's binfmt_misc holds qemu entries: $(echo "$left" | tr '\n' ' ')"
}

# Wait up to ~3 s for the host's instance to hold no qemu entries (an instance
# dies with its last mount, which the kernel may release a little after the
# container's exit), and say what is left.
host_entries_vanish() {
	local i left
	for i in $(seq 30); do
		left=$(host_qemu_entries) || return 1
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "$left"
	return 1
}

# The names of the host's qemu-* entries (binfmt_misc mounted here), sorted.
host_entry_names() {
	local e
	for e in "$BINFMT"/qemu-*; do
		[ -e "$e" ] && echo "${e##*/}"
	done | sort
}

# The kernel's text for the host's entry NAME, and one field of it.
host_entry() {
	cat "$BINFMT/$1"
}
host_entry_field() {
	host_entry "$1" | sed -n "s/^$2 \{0,1\}//p"
}

# The foreign busybox fixture of Debian architecture ARCH, run on the host.
host_busybox() {
	local arch=$1
	shift
	"$FIXTURES/busybox-$arch/bin/busybox" "$@"
}

# docker/setup-qemu-action's check: stdout ($1) parses with JSON.parse, as the
# action does, and .supported names every platform the image can emulate here.
assert_supported_everything() {
	local supported p
	supported=$(node -e 'const d = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(d.supported.join(" "))' <<<"$1")
	for p in linux/amd64 linux/386 linux/arm64 linux/arm/v7 linux/arm/v6 linux/riscv64 \
		linux/ppc64le linux/s390x linux/mips64le linux/mips64 linux/loong64; do
		[[ " $supported " == *" $p "* ]] || fail "$p missing from supported: $supported"
	done
}

# Linux >= 6.7 on a host that keeps no binfmt_misc mount: ENGINE (docker or
# podman) runs the image with --pid=host; once the container has exited the
# host keeps the mount register made in its namespace, the entries, and
# working emulators, and register said where it mounted.
assert_pid_host_keeps_entries() {
	local engine=$1 err out
	host_binfmt_cleanup
	refute host_binfmt_mounted
	run host_busybox arm64 uname -m
	assert_failure

	run --separate-stderr "$engine" run --rm --privileged --pid=host localhost/qemu-user-static:latest --reset -p yes
	assert_success
	# shellcheck disable=SC2154 # run --separate-stderr sets output and stderr
	err=$stderr out=$output
	assert_equal "$(grep -c '^Setting ' <<<"$out")" 31
	grep -q '^31 registered, ' <<<"$err" || fail "no summary on stderr: $err"

	host_binfmt_mounted || fail "no binfmt_misc mount in the host's mount namespace after the container exited"
	assert_equal "$(host_entry_field qemu-aarch64 flags:)" F
	run host_busybox arm64 uname -m
	assert_success
	assert_output aarch64
	run host_busybox s390x uname -m
	assert_success
	assert_output s390x
	grep -q "^register: note: mounted binfmt_misc at /proc/sys/fs/binfmt_misc in the host's mount namespace" <<<"$err" ||
		fail "no note about the host's mount namespace on stderr: $err"
}

# The same host without --pid=host: the entries vanish with the container,
# and register warns so, naming both fixes.
assert_entries_vanish_with_warning() {
	local engine=$1 err out warning
	host_binfmt_cleanup
	refute host_binfmt_mounted

	run --separate-stderr "$engine" run --rm --privileged localhost/qemu-user-static:latest --reset -p yes
	assert_success
	# shellcheck disable=SC2154 # run --separate-stderr sets output and stderr
	err=$stderr out=$output
	assert_equal "$(grep -c '^Setting ' <<<"$out")" 31
	grep -q '^31 registered, ' <<<"$err" || fail "no summary on stderr: $err"

	refute host_binfmt_mounted
	run host_entries_vanish
	assert_success
	run host_busybox arm64 uname -m
	assert_failure

	warning=$(grep "^register: warning: the entries will vanish when this container exits" <<<"$err") ||
		fail "no warning that the entries vanish on stderr: $err"
	grep -q -- "--pid=host" <<<"$warning" || fail "the warning does not name --pid=host: $warning"
	grep -qi "mount -t binfmt_misc" <<<"$warning" || fail "the warning does not name mounting binfmt_misc on the host: $warning"
}
