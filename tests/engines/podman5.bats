#!/usr/bin/env bats
# END-TO-END (podman 5): multi-platform builds and `podman kube play` of the
# DaemonSet against this machine's REAL, host-wide binfmt_misc, with trixie's
# podman 5.4 (build/engines, `make engines`).
#
# podman 5 gets a storage, a run folder, a tmp_dir and a network config
# folder of the suite's own below /tmp/qus-podman5.*: it never opens
# bookworm podman 4.3's storage (whose database podman 5 would take over),
# and the folder is removed in teardown_file. Nothing is pulled: the busybox
# images FROM scratch are built by podman 5 from the fixtures, IMAGE is
# copied in from podman 4.3's storage (`make image`) as an OCI archive.
# Containers get no network (--network none, netns "none").
#
# 1. `podman build --platform linux/arm64,linux/s390x --manifest NAME` of a
#    Containerfile with RUN steps: each platform's RUN output is its own
#    machine's, and the manifest list holds both platforms.
# 2. `podman kube play` of containers/kubernetes/daemonset.yaml with the
#    image name replaced by the local one (podman 5.4 plays kind DaemonSet
#    as one pod): the pod runs, `register --reset -p yes --watch 60`
#    registers in the host's binfmt_misc, and `podman kube down` ends it and
#    leaves the entries.
#
# Host state: taken as found (see tests/e2e/podman.bats): recorded in
# setup_file, each registering test starts with binfmt_misc mounted and no
# qemu-* entry and is followed by an exact restore; the last test asserts the
# host is byte for byte as found, and teardown_file restores it again.
# bats file_tags=e2e

load ../helpers/common
load ../helpers/engines

MANIFEST=localhost/qus-e2e-manifest
POD=qemu-user-static-pod

# Every podman of this file is podman 5 with the suite's settings
# (build_busybox_images and remove_test_images too).
podman() {
	"$BUILD/engines/bin/podman" "$@"
}

setup_file() {
	require_root
	require_tools runc unshare jq
	[ -x "$BUILD/engines/bin/podman" ] || fail "build/engines is missing: make engines"
	host_binfmt_record
	require_host_binfmt_restorable
	# IMAGE from podman 4.3's storage, before podman 5's settings apply.
	podman_setup "$BATS_FILE_TMPDIR/podman4"
	/usr/bin/podman image exists "$IMAGE:latest" || fail "image $IMAGE:latest is missing: run make image"
	local t0
	t0=$(date +%s)
	/usr/bin/podman save -q --format oci-archive -o "$BATS_FILE_TMPDIR/image.tar" "$IMAGE:latest" ||
		fail "podman 4.3 could not save $IMAGE:latest"
	podman5_start
	podman load -q -i "$BATS_FILE_TMPDIR/image.tar" >/dev/null || fail "podman 5 could not load $IMAGE:latest"
	rm -f "$BATS_FILE_TMPDIR/image.tar"
	podman image exists "$IMAGE:latest" || fail "podman 5 does not hold $IMAGE:latest after the load"
	build_busybox_images linux/arm64 linux/s390x
	echo "# podman 5's storage ready (IMAGE copied, busybox images built) in $(($(date +%s) - t0)) s" >&3
}

teardown_file() {
	local rc=0
	host_binfmt_put_back || rc=1
	podman5_stop || rc=1
	return "$rc"
}

# podman 5's own folder: storage.conf and containers.conf (build/engines'
# settings for this machine, plus the folders), exported for every test.
podman5_start() {
	P5_DIR=$(mktemp -d /tmp/qus-podman5.XXXXXX)
	export P5_DIR
	mkdir -p "$P5_DIR/tmp" "$P5_DIR/networks"
	cat >"$P5_DIR/storage.conf" <<-EOF2
		[storage]
		driver = "overlay"
		graphroot = "$P5_DIR/root"
		runroot = "$P5_DIR/run"
	EOF2
	{
		sed '/^\[engine\]$/q' "$BUILD/engines/containers.conf"
		cat <<-EOF2
			tmp_dir = "$P5_DIR/tmp"
			events_logger = "file"
			events_logfile_path = "$P5_DIR/events.log"
		EOF2
		sed '1,/^\[engine\]$/d' "$BUILD/engines/containers.conf"
	} | sed "s|^\[network\]$|[network]\nnetwork_config_dir = \"$P5_DIR/networks\"|" >"$P5_DIR/containers.conf"
	export CONTAINERS_CONF=$P5_DIR/containers.conf CONTAINERS_STORAGE_CONF=$P5_DIR/storage.conf
	# This machine's hybrid cgroups are v1 to podman 5, which warns on every call.
	export PODMAN_IGNORE_CGROUPSV1_WARNING=1
	local info
	info=$(podman info --format '{{.Store.GraphRoot}} {{.Version.Version}}') || info=
	[ "$info" = "$P5_DIR/root 5.4.2" ] || fail "podman 5 does not use the suite's storage: $info"
}

# Remove what podman 5 made (pods, containers, images: all the suite's own),
# unmount what is left below its folder and remove the folder.
podman5_stop() {
	[ -n "${P5_DIR:-}" ] && [ -d "$P5_DIR" ] || return 0
	case $P5_DIR in /tmp/qus-podman5.*) ;; *) return 1 ;; esac
	local rc=0 m
	podman pod rm -af -t 5 >/dev/null 2>&1 || rc=1
	podman rm -af -t 5 >/dev/null 2>&1 || rc=1
	podman rmi -af >/dev/null 2>&1 || rc=1
	while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m" || rc=1
	done < <(awk -v d="$P5_DIR/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r)
	rm -rf --one-file-system "$P5_DIR" || rc=1
	return "$rc"
}

teardown() {
	e2e_teardown
}

@test "the suite's podman is podman 5.4 (build/engines) on storage of its own, holding IMAGE and the busybox images" {
	run podman version --format '{{.Client.Version}}'
	assert_output 5.4.2
	assert_equal "$(podman info --format '{{.Store.GraphRoot}}')" "$P5_DIR/root"
	run podman image inspect --format '{{.Architecture}}' "$IMAGE:latest" "$TEST_IMAGE:arm64" "$TEST_IMAGE:s390x"
	assert_success
	assert_output $'amd64\narm64\ns390x'
}

@test "podman build --platform linux/arm64,linux/s390x --manifest: each platform's RUN steps run on its machine, the list holds both" {
	host_fresh
	run --separate-stderr podman run --rm --privileged "$IMAGE:latest" --reset -p yes
	assert_success
	assert_equal "$(host_entry_field qemu-s390x flags:)" F
	local ctx=$BATS_TEST_TMPDIR/ctx t0
	mkdir -p "$ctx"
	cp "$REPO/tests/engines/Containerfile.run-arch" "$ctx/Containerfile"
	t0=$(date +%s)
	run podman build --pull=never --network=none --platform linux/arm64,linux/s390x --manifest "$MANIFEST" "$ctx"
	assert_success
	echo "# podman build --platform linux/arm64,linux/s390x --manifest: $(($(date +%s) - t0)) s" >&3
	run podman manifest inspect "$MANIFEST"
	assert_success
	assert_equal "$(jq -r '.manifests[] | .platform.os + "/" + .platform.architecture' <<<"$output" | sort | tr '\n' ' ')" \
		"linux/arm64 linux/s390x "
	local platform machine digest id
	for platform in "linux/arm64 aarch64" "linux/s390x s390x"; do
		read -r platform machine <<<"$platform"
		digest=$(podman manifest inspect "$MANIFEST" |
			jq -r --arg a "${platform#linux/}" '.manifests[] | select(.platform.architecture == $a) | .digest')
		[ -n "$digest" ] || fail "no $platform in $MANIFEST"
		# The local image the list's instance is.
		id=$(podman images -a --no-trunc --format '{{.Digest}} {{.ID}}' | awk -v d="$digest" '$1 == d { print $2; exit }')
		[ -n "$id" ] || fail "no local image has the digest $digest of $MANIFEST's $platform"
		assert_equal "$(podman image inspect --format '{{.Os}}/{{.Architecture}}' "$id")" "$platform"
		run podman run --rm --pull=never "$id"
		assert_success
		assert_output "$machine"
		run podman run --rm --pull=never --entrypoint /bin/busybox "$id" cat /built-machine.copy
		assert_output "$machine"
	done
	# (podman 5.4's `run --platform P LIST` does not pick a local list's
	# instance: it looks for the host's amd64 and fails, hence the IDs.)
	podman manifest rm "$MANIFEST" >/dev/null
}

@test "podman kube play of containers/kubernetes/daemonset.yaml with the local image: the pod runs, registers in the host's binfmt_misc, and kube down leaves the entries" {
	host_changes
	# The host as this machine keeps it: binfmt_misc not mounted. The pod's
	# hostPID lets register mount it in the host's mount namespace, so the
	# entries outlive the pod (Linux >= 6.7). A host whose mount holds other
	# tools' entries cannot be made so without losing them: there the pod
	# finds the host's mount.
	local bare=1 why
	why=$(host_binfmt_bare) || bare=0
	if [ "$bare" = 0 ]; then
		echo "# the host keeps its binfmt_misc mount ($why): the pod registers there" >&3
		host_fresh
	fi
	local yaml=$BATS_TEST_TMPDIR/daemonset.yaml
	sed 's|image: ghcr.io/OWNER/qemu-user-static@sha256:<digest>|image: localhost/qemu-user-static:latest|' \
		"$REPO/containers/kubernetes/daemonset.yaml" >"$yaml"
	grep -qx '          image: localhost/qemu-user-static:latest' "$yaml" || fail "the DaemonSet's image line was not replaced"
	grep -qx 'kind: DaemonSet' "$yaml" || fail "the manifest is no DaemonSet any more"
	run podman kube play --network none "$yaml"
	assert_success
	assert_line Pod:
	# One pod for the DaemonSet, its register container running (register
	# stays in the foreground: --watch 60).
	local ctr=$POD-register _
	assert_equal "$(podman pod inspect --format '{{.State}}' "$POD")" Running
	assert_equal "$(podman inspect --format '{{.State.Status}} {{.HostConfig.Privileged}} {{.HostConfig.PidMode}} {{.HostConfig.ReadonlyRootfs}}' "$ctr")" \
		"running true host true"
	assert_equal "$(podman inspect --format '{{join .Config.Cmd " "}}' "$ctr")" "--reset -p yes --watch 60"
	for _ in $(seq 50); do
		[ "$(host_qemu_entries | wc -l)" -ge 31 ] && break
		sleep 0.2
	done
	assert_equal "$(host_qemu_entries | wc -l)" 31
	host_binfmt_mounted || fail "no binfmt_misc mount in the host's mount namespace while the pod runs"
	assert_equal "$(host_entry_field qemu-aarch64 flags:)" F
	run podman logs "$ctr"
	assert_output --partial "31 registered, 0 already present"
	if [ "$bare" = 1 ]; then
		assert_output --partial "register: note: mounted binfmt_misc at /proc/sys/fs/binfmt_misc in the host's mount namespace"
	fi
	run host_busybox arm64 uname -m
	assert_output aarch64
	# kube down stops and removes the pod; the mount and the entries stay.
	run podman kube down "$yaml"
	assert_success
	run podman pod exists "$POD"
	assert_failure
	run podman container exists "$ctr"
	assert_failure
	host_binfmt_mounted || fail "the host's binfmt_misc mount went with the pod"
	assert_equal "$(host_entry_names | wc -l)" 31
	run host_busybox s390x uname -m
	assert_output s390x
}

@test "the host's binfmt_misc is back as the suite found it: mounts, status and every entry, byte for byte" {
	host_binfmt_restore "$QUS_HOST_SNAPSHOT"
	assert_host_binfmt_restored "$QUS_HOST_SNAPSHOT"
}
