#!/usr/bin/env bats
# The host's mount namespace (issue 11, items 5 and 6). On Linux >= 6.7 a
# register that had to mount binfmt_misc itself (a privileged container)
# mounts it again in the host's mount namespace, so that the entries outlive
# the container. That namespace must be the host's, known positively (the
# machine's initial mount namespace), never merely "an ancestor's that is
# not mine"; and going there and back must not move register out of a
# chroot.
#
# Nothing here reaches the machine's own binfmt_misc or namespaces: all of it
# runs in a private instance (a user namespace of the test's own), and its
# "host" is a mount namespace made by the test inside that instance. The
# glibc build runs with tests/helpers/faultinject.c, which makes that user
# namespace look like the initial one and that mount namespace like the
# machine's initial mount namespace (and the real one look like any other).

load helpers/common

setup() {
	fake_qemu_instance
	INJECT=$BUILD/faultinject/faultinject.so
	GLIBC_REGISTER=$BUILD/valgrind/register
	[ -x "$GLIBC_REGISTER" ] || fail "$GLIBC_REGISTER is missing: run make valgrind-build"
	[ -e "$INJECT" ] || fail "$INJECT is missing: run make faultinject"
	T=$BATS_TEST_TMPDIR/scene
	mkdir -p "$T"
}

teardown() {
	local p
	for p in "$T"/*.pid; do
		[ -e "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	instance_stop
}

# The "host": a mount namespace of the instance without binfmt_misc mounted,
# whose shell runs SCENE (a function of scene.sh below) and records, once
# register has run, which namespaces hold a binfmt_misc mount. FAKE_INITIAL
# says which mount namespace is to look initial: "host" (this one) or
# "nothing".
run_scene() {
	local scene=$1 fake_initial=$2
	cat >"$T/scene.sh" <<-'SCRIPT'
		set -u
		T=$1 SCENE=$2 FAKE_INITIAL=$3 REG=$4 INJECT=$5 FAKE=$6 REPORTER=$7
		# An empty tmpfs over the instance's mount, not an umount: that
		# would show what lies below, the machine's own binfmt_misc when
		# it is mounted. Whatever mounts binfmt_misc here gets this user
		# namespace's private instance.
		mount -t tmpfs -o size=64k tmpfs /proc/sys/fs/binfmt_misc || exit 90
		[ "$(stat -f -c %T /proc/sys/fs/binfmt_misc)" = tmpfs ] || exit 90
		echo $$ >"$T/host.pid.self"
		ino=$(stat -L -c %i /proc/self/ns/mnt)
		[ "$FAKE_INITIAL" = host ] || ino=1
		faked=(env LD_PRELOAD="$INJECT" QUS_FAKE_INITIAL_USERNS=1 QUS_FAKE_INITIAL_MNTNS="$ino")
		# 1 when what is mounted on top at /proc/sys/fs/binfmt_misc in the
		# mount namespace of process $1 is binfmt_misc, else 0.
		mounted_in() {
			[ "$(nsenter --target "$1" --mount stat -f -c %T /proc/sys/fs/binfmt_misc)" = \
				binfmt_misc ] && echo 1 || echo 0
		}
		case $SCENE in
		parent)
			# --pid=host: the container's parent is the engine's shim, here.
			unshare --mount --propagation private "${faked[@]}" "$REG" --reset -p yes \
				-Q "$FAKE" aarch64 >"$T/out" 2>&1
			echo $? >"$T/rc"
			;;
		nsenter)
			# Container D, and container C whose shell enters D's mount
			# namespace to run register: its parent is C's shell.
			unshare --mount --propagation private sleep 600 &
			echo $! >"$T/d.pid"
			until [ "$(stat -L -c %i /proc/$!/ns/mnt)" != "$(stat -L -c %i /proc/self/ns/mnt)" ]; do
				sleep 0.05
			done
			unshare --mount --propagation private bash -c '
				T=$1; shift
				echo $$ >"$T/c.pid"
				nsenter --mount="/proc/$(cat "$T/d.pid")/ns/mnt" -- "$@" >"$T/out" 2>&1
				echo $? >"$T/rc"
				exec sleep 600' bash "$T" "${faked[@]}" "$REG" --reset -p yes -Q "$FAKE" aarch64 &
			until [ -s "$T/rc" ]; do sleep 0.05; done
			echo "$(mounted_in "$(cat "$T/c.pid")")" >"$T/mounted.c"
			echo "$(mounted_in "$(cat "$T/d.pid")")" >"$T/mounted.d"
			;;
		chroot)
			# A root of its own (a hostPID pod's /host, say) holding the
			# emulator at a path the namespace's root does not have.
			R=$T/root
			mkdir -p "$R/usr" "$R/proc" "$R/opt" "$R/qemu"
			mount --bind /usr "$R/usr"
			ln -s usr/lib "$R/lib"
			ln -s usr/lib64 "$R/lib64"
			ln -s usr/bin "$R/bin"
			cp "$REG" "$INJECT" "$R/opt/"
			cp "$REPORTER" "$R/qemu/qemu-aarch64-static"
			unshare --mount --propagation private bash -c '
				R=$1 ino=$2
				mount --rbind /proc "$R/proc" || exit 91
				cd "$R/qemu" || exit 92
				exec chroot "$R" env LD_PRELOAD=/opt/faultinject.so QUS_FAKE_INITIAL_USERNS=1 \
					QUS_FAKE_INITIAL_MNTNS="$ino" /opt/register --reset -p yes -Q /qemu aarch64' \
				bash "$R" "$ino" >"$T/out" 2>&1
			echo $? >"$T/rc"
			;;
		esac
		echo "$(mounted_in $$)" >"$T/mounted.host"
	SCRIPT
	in_instance unshare --mount --propagation private bash "$T/scene.sh" "$T" "$scene" \
		"$fake_initial" "$GLIBC_REGISTER" "$INJECT" "$FAKE" "$HELPERS/reporter"
	HOST_PID=$(cat "$T/host.pid.self")
	rm -f "$T/host.pid.self"
	run cat "$T/out"
}

@test "the container's parent in the host's mount namespace: binfmt_misc is mounted there, and the note names it" {
	run_scene parent host
	assert_equal "$(cat "$T/rc")" 0
	assert_line --regexp "^register: note: mounted binfmt_misc at /proc/sys/fs/binfmt_misc in the host's mount namespace \(the machine's initial one, mnt:\[[0-9]+\], entered through process $HOST_PID \(bash\)\), so that the entries outlive this container$"
	assert_equal "$(cat "$T/mounted.host")" 1
	assert_equal "$(entry_field qemu-aarch64 flags:)" F
}

@test "run through nsenter from a container: the host's namespace is found above it, not the container's" {
	run_scene nsenter host
	assert_equal "$(cat "$T/rc")" 0
	assert_line --regexp "in the host's mount namespace \(the machine's initial one, mnt:\[[0-9]+\], entered through process $HOST_PID \(bash\)\)"
	# Mounted in the host's namespace and in register's own (D), never in
	# that of the container whose shell started it (C).
	assert_equal "$(cat "$T/mounted.host")" 1
	assert_equal "$(cat "$T/mounted.d")" 1
	assert_equal "$(cat "$T/mounted.c")" 0
}

@test "no ancestor in the machine's initial mount namespace: nothing is mounted elsewhere, and the warning says why" {
	run_scene nsenter nothing
	assert_equal "$(cat "$T/rc")" 0
	refute_line --regexp "^register: note: mounted binfmt_misc at .* in the host's mount namespace"
	# Above the test's "host" come the test runner's processes, of another
	# user namespace: out of sight from here, as the machine's are from a
	# container's.
	assert_line --partial "register: warning: the entries will vanish when this container exits"
	assert_line --partial "mount it itself; the host's mount namespace is out of reach: process "
	assert_equal "$(cat "$T/mounted.host")" 0
	assert_equal "$(cat "$T/mounted.c")" 0
}

@test "from a chroot: the trip to the host's namespace keeps the root, and the kernel pins the emulator register checked" {
	run_scene chroot host
	[ "$(cat "$T/rc")" -eq 0 ] || fail "register exited $(cat "$T/rc"): $output"
	assert_line "Setting /qemu/qemu-aarch64-static as binfmt interpreter for aarch64"
	assert_line --partial "in the host's mount namespace"
	assert_equal "$(cat "$T/mounted.host")" 1
	assert_equal "$(entry_field qemu-aarch64 flags:)" F
	# The pinned file is the chroot's: /qemu exists nowhere else.
	in_instance test ! -e /qemu
	"$HELPERS/mkelf" "$BATS_TEST_TMPDIR/prog" 64 le 0xb7 exec
	run in_instance "$BATS_TEST_TMPDIR/prog"
	assert_success
	assert_output "qemu-aarch64-static $BATS_TEST_TMPDIR/prog"
}
