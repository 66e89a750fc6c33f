# A private binfmt_misc instance, for the test suites (helpers/common.bash)
# and the bench (bench/run): a user + mount namespace with binfmt_misc
# mounted over /proc/sys/fs/binfmt_misc (Linux >= 6.7). It starts empty,
# serves only the processes inside, and dies with the namespace, so
# `register` runs unchanged and the machine's own binfmt_misc is never
# touched. Plain bash: no bats function is used here.
# shellcheck shell=bash

BINFMT=${BINFMT:-/proc/sys/fs/binfmt_misc}

# The PID of the process that holds the namespaces open.
INSTANCE_PID=

# Start a private instance: a sleeping process in a new user and mount
# namespace, with binfmt_misc mounted inside. `in_instance` runs commands
# there. DIR (default: the bats test's own temporary folder) holds the
# file by which the process says it is ready.
instance_start() { # [DIR]
	local ready=${1:-$BATS_TEST_TMPDIR}/instance.ready
	rm -f "$ready"
	# Never on top of the machine's own mount (after `make run`, on a systemd
	# host): below the instance's, it would surface at the first umount in
	# the namespace, and a root mapped to root may write to it. As root, the
	# namespace is made from one where that mount was taken away (the machine
	# keeps its own); one process throughout, each step exec'ing the next.
	if [ "$(id -u)" = 0 ]; then
		unshare --mount --propagation private sh -c '
			while [ "$(stat -f -c %T "$1")" = binfmt_misc ]; do umount "$1" || exit 1; done
			exec unshare --user --map-root-user --mount --propagation private \
				sh -c "touch \"\$1\"; exec sleep 3600" sh "$2"' sh "$BINFMT" "$ready" 3>&- &
	else
		unshare --user --map-root-user --mount --propagation private \
			sh -c 'touch "$1"; exec sleep 3600' sh "$ready" 3>&- &
	fi
	INSTANCE_PID=$!
	local _
	for _ in $(seq 100); do
		[ -e "$ready" ] && break
		sleep 0.05
	done
	[ -e "$ready" ] || { echo "private instance did not start" >&2; return 1; }
	in_instance mount -t binfmt_misc binfmt_misc "$BINFMT" || {
		echo "cannot mount a private binfmt_misc instance: this needs Linux >= 6.7" >&2
		return 1
	}
}

# Run a command inside the private instance.
in_instance() {
	nsenter --target "$INSTANCE_PID" --user --mount -- "$@"
}

# End the instance: killing its only process ends the namespaces, and the
# instance with its entries goes with them.
instance_stop() {
	if [ -n "$INSTANCE_PID" ]; then
		kill "$INSTANCE_PID" 2>/dev/null || true
		wait "$INSTANCE_PID" 2>/dev/null || true
		INSTANCE_PID=
	fi
}
