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
# host     the host's binfmt_misc as found: recorded in setup_file, put back
#          exactly in teardown (helpers/host-binfmt.bash); only qemu-* entries
#          are ever removed or replaced, other tools' entries never touched.
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
# image tag, and what `busybox uname -m` prints under emulation (linux/386
# runs natively on an x86_64 host, which prints x86_64).
BUSYBOX_PLATFORMS='linux/arm64 arm64 arm64 aarch64
linux/riscv64 riscv64 riscv64 riscv64
linux/ppc64le ppc64el ppc64le ppc64le
linux/s390x s390x s390x s390x
linux/arm/v7 armhf armv7 armv7l
linux/386 i386 386 i686'

# Debian's client, the one made for the 20.10 daemon (/usr/local/bin/docker on
# PATH is another client). A function, so that tests read as users type.
# A suite that runs trixie's docker 26 (build/engines) calls docker26_use
# (helpers/docker26.bash) before docker_start: it sets DOCKER_CLI and
# DOCKERD_BIN to its programs, and DOCKERD_PATH to a PATH that finds its
# containerd and runc first.
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
	# DOCKERD_CONFIG_JSON: the daemon's settings file (daemon.json), if any.
	local -a config=()
	if [ -n "${DOCKERD_CONFIG_JSON:-}" ]; then
		printf '%s\n' "$DOCKERD_CONFIG_JSON" >"$DOCKER_DIR/daemon.json"
		config=(--config-file "$DOCKER_DIR/daemon.json")
	fi
	PATH=${DOCKERD_PATH:-$PATH} "${DOCKERD_BIN:-/usr/sbin/dockerd}" --data-root "$DOCKER_DIR/data" --exec-root "$DOCKER_DIR/exec" \
		--pidfile "$DOCKER_DIR/dockerd.pid" -H "$DOCKER_HOST" "${config[@]}" \
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

# The snapshot and exact restore (host_binfmt_snapshot, host_binfmt_restore,
# host_binfmt_make_bare, assert_host_binfmt_restored, ...).
# shellcheck source=tests/helpers/host-binfmt.bash
. "$REPO/tests/helpers/host-binfmt.bash"

# Is binfmt_misc mounted at /proc/sys/fs/binfmt_misc here (the host's mount
# namespace: the suites run there)?
host_binfmt_mounted() {
	awk -v p="$BINFMT" '$2 == p && $3 == "binfmt_misc" { f = 1 } END { exit !f }' /proc/self/mounts
}

# setup_file: record the host's binfmt_misc as the suite finds it (mounted or
# not, other tools' entries, ours from `make run`), for host_binfmt_put_back.
# The path is exported: this file is sourced again in each test.
host_binfmt_record() {
	export QUS_HOST_SNAPSHOT=$BATS_FILE_TMPDIR/host-binfmt
	host_binfmt_snapshot "$QUS_HOST_SNAPSHOT" || fail "cannot read the host's binfmt_misc instance"
	echo "# the host's binfmt_misc as found: $(awk '{ print $2 }' "$QUS_HOST_SNAPSHOT/mounts" | tr '\n' ' ')mounted, entries: $(host_binfmt_recorded_names "$QUS_HOST_SNAPSHOT" | tr '\n' ' ')" >&3
}

# teardown_file, and teardown of the tests that change the mounts: put the
# host back as recorded, and fail unless it is exactly that. Does nothing
# when setup_file failed before recording.
host_binfmt_put_back() {
	[ -d "${QUS_HOST_SNAPSHOT:-}/entries" ] || return 0
	local rc=0 diff
	host_binfmt_restore "$QUS_HOST_SNAPSHOT" || rc=1
	diff=$(host_binfmt_compare "$QUS_HOST_SNAPSHOT") || {
		echo "the host's binfmt_misc is not as it was found:" >&2
		echo "$diff" >&2
		rc=1
	}
	return "$rc"
}

# teardown of every test: other tools' entries are exactly as recorded (no
# test removes, changes or, by unmounting, destroys them).
assert_other_tools_entries_untouched() {
	[ -d "${QUS_HOST_SNAPSHOT:-}/entries" ] || return 0
	local diff
	diff=$(host_binfmt_compare_others "$QUS_HOST_SNAPSHOT") ||
		fail "other tools' entries of the host's binfmt_misc changed:
$diff"
}

# The host "without a mount" the Linux 6.7 scenarios need, when taking it
# there loses nothing that cannot be put back exactly (ours only, or nothing).
# Otherwise nothing is changed, the reason is printed, and status is 1: the
# caller then checks what applies to the host as it is (mounted).
host_binfmt_bare() {
	host_binfmt_make_bare "$QUS_HOST_SNAPSHOT"
}

# The names of the host's qemu-* entries, read through a mount of the
# host's instance in a private mount namespace (mounted here or not).
host_qemu_entries() {
	host_binfmt_names | grep '^qemu-' || true
}

# setup_file: fail (never skip) when this suite would replace qemu entries of
# the host's that it cannot put back exactly (flag F, interpreter neither
# here nor in an emulator folder: see helpers/host-binfmt.bash).
require_host_binfmt_restorable() {
	local why
	why=$(host_binfmt_restorable "$QUS_HOST_SNAPSHOT") ||
		fail "the host's binfmt_misc holds an entry this suite would replace and could not put back: $why; set HOST_BINFMT_EMULATORS to a folder that holds that emulator"
}

# Remove every qemu-* entry of the host's instance (never another tool's).
host_remove_qemu_entries() {
	local -a ours=()
	mapfile -t ours < <(host_qemu_entries)
	[ "${#ours[@]}" -eq 0 ] || host_binfmt_remove "${ours[@]}"
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

# After `run --separate-stderr`: register's summary line, on stderr, matches
# the regular expression.
assert_summary_line() {
	# shellcheck disable=SC2154 # run --separate-stderr sets stderr
	grep -qE "$1" <<<"$stderr" || fail "no summary line matching '$1' on stderr: $stderr"
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
# working emulators, and register said where it mounted. A host that keeps
# other tools' entries cannot be made so without destroying them: there the
# mount is the host's own, register finds it and adds none, and the rest is
# the same.
assert_pid_host_keeps_entries() {
	local engine=$1 err out bare=1 why
	why=$(host_binfmt_bare) || bare=0
	if [ "$bare" = 1 ]; then
		refute host_binfmt_mounted
		run host_busybox arm64 uname -m
		assert_failure
	else
		echo "# the host keeps its binfmt_misc mount ($why): checking that register finds it" >&3
		host_binfmt_mount
		host_remove_qemu_entries
	fi
	local mounts
	mounts=$(host_binfmt_mount_lines | wc -l)

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
	if [ "$bare" = 1 ]; then
		grep -q "^register: note: mounted binfmt_misc at /proc/sys/fs/binfmt_misc in the host's mount namespace" <<<"$err" ||
			fail "no note about the host's mount namespace on stderr: $err"
	else
		# The host's own mount was found: none added, nothing said about one.
		assert_equal "$(host_binfmt_mount_lines | wc -l)" "$mounts"
		if grep -q "^register: note: mounted binfmt_misc" <<<"$err"; then
			fail "register mounted binfmt_misc although the host keeps a mount: $err"
		fi
	fi
}

# The same host without --pid=host: the entries vanish with the container,
# and register warns so, naming both fixes. On a host that keeps its mount
# (other tools' entries) they outlive the container, and register, which
# found entries, does not warn.
assert_entries_vanish_with_warning() {
	local engine=$1 err out warning bare=1 why
	why=$(host_binfmt_bare) || bare=0
	if [ "$bare" = 0 ]; then
		echo "# the host keeps its binfmt_misc mount ($why): checking that the entries outlive the container" >&3
		host_binfmt_mount
		host_remove_qemu_entries
	fi
	local others
	others=$(host_binfmt_names)

	run --separate-stderr "$engine" run --rm --privileged localhost/qemu-user-static:latest --reset -p yes
	assert_success
	# shellcheck disable=SC2154 # run --separate-stderr sets output and stderr
	err=$stderr out=$output
	assert_equal "$(grep -c '^Setting ' <<<"$out")" 31
	grep -q '^31 registered, ' <<<"$err" || fail "no summary on stderr: $err"

	if [ "$bare" = 0 ]; then
		assert_equal "$(host_entry_field qemu-aarch64 flags:)" F
		run host_busybox arm64 uname -m
		assert_success
		assert_output aarch64
		# It warns when it found no entry at all, which is not the case here.
		[ -n "$others" ] || fail "no entry of another tool, yet the host could not be made bare: $why"
		if grep -q "warning: the entries will vanish" <<<"$err"; then
			fail "register warned that the entries vanish, though it found entries of other tools ($others): $err"
		fi
		return 0
	fi
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

# The end-to-end suites' hooks, one copy for all of them. A test that
# changes the host's mounts or entries calls host_changes first (a suite
# whose every test does calls it at the top); e2e_teardown then puts the
# host back as setup_file found it. Other tools' entries must be untouched
# in any case.
CLEAN_AFTER=
host_changes() {
	CLEAN_AFTER=1
}
e2e_teardown() {
	if [ -n "$CLEAN_AFTER" ]; then
		host_binfmt_put_back
	fi
	assert_other_tools_entries_untouched
}

# teardown_file: the host put back, the suite's own dockerd stopped (with
# "docker"), its test images removed; all three are tried.
e2e_teardown_file() { # [docker]
	local rc=0
	host_binfmt_put_back || rc=1
	if [ "${1:-}" = docker ]; then
		docker_stop || rc=1
	fi
	remove_test_images
	return "$rc"
}

# A registering test starts here: binfmt_misc mounted on the host (as
# systemd's automount keeps it), no qemu-* entry; teardown puts back the host.
host_fresh() {
	host_changes
	host_binfmt_mount || fail "cannot mount binfmt_misc on the host"
	host_remove_qemu_entries || fail "cannot remove the host's qemu entries"
}
