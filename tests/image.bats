#!/usr/bin/env bats
# The images of `make image`: what they hold (exactly), their configuration
# and labels, the versions the emulators report, what the entrypoint does
# without privileges, and that building them again gives the same layers.
# No binfmt_misc changes: containers run without --privileged. Needs podman
# (root) and the images (localhost/qemu-user-static:*).

load helpers/common
load helpers/engines

REPRO_IMAGE=localhost/qus-repro

setup_file() {
	require_root
	require_tools podman runc git
	podman_setup
	require_images "$IMAGE:latest" "$IMAGE:register" "$IMAGE:aarch64"
	[ -d "$QEMU_BIN" ] || fail "$QEMU_BIN is missing: run make qemu"
}

teardown_file() {
	remove_repro_images
}

# Images mounted by a test (listed in a file: image_mount runs in
# subshells), unmounted by teardown even when the test fails, once per mount.
teardown() {
	local refs
	[ -f "$BATS_TEST_TMPDIR/mounted" ] || return 0
	mapfile -t refs <"$BATS_TEST_TMPDIR/mounted"
	podman image unmount "${refs[@]}" >/dev/null ||
		echo "# could not unmount every image of: ${refs[*]}" >&3
}

# Mount image REF and print the folder.
image_mount() {
	echo "$1" >>"$BATS_TEST_TMPDIR/mounted"
	podman image mount "$1"
}

# Every path in an image with its type, mode and owner, sorted.
image_tree() {
	local dir
	dir=$(image_mount "$1") || return 1
	(cd "$dir" && find . -mindepth 1 -printf '%M %U:%G /%P\n' | sort -k3)
}

remove_repro_images() {
	local ref
	# A reproducible build gives the very images of localhost/qemu-user-static
	# (same IDs), and podman then lists their other names too: keep to ours.
	for ref in $(podman images --format '{{.Repository}}:{{.Tag}}' "$REPRO_IMAGE" 2>/dev/null |
		grep "^$REPRO_IMAGE:"); do
		podman rmi "$ref" >/dev/null 2>&1 || echo "# could not remove $ref" >&3
	done
}

# The targets whose emulators build/rootfs holds (33 on amd64).
rootfs_targets() {
	local f
	for f in "$QEMU_BIN"/qemu-*-static; do
		f=${f##*/qemu-}
		echo "${f%-static}"
	done
}

upstream_version() {
	sed 's/+.*//' "$REPO/qemu-static/VERSION"
}

label() {
	podman image inspect --format "{{index .Labels \"$2\"}}" "$1"
}

@test "there is no shell: --entrypoint /bin/sh fails" {
	run -127 podman run --rm --pull=never --entrypoint /bin/sh localhost/qemu-user-static:latest -c true
	assert_failure
	assert_output --partial /bin/sh
	run -127 podman run --rm --pull=never --entrypoint /bin/sh localhost/qemu-user-static:register -c true
	assert_failure
}

@test "the entrypoint is [\"/register\"] with no Cmd, for this machine's platform" {
	local ref release
	release=$(upstream_version)-$(cat "$REPO/containers/REVISION")
	for ref in "$IMAGE:latest" "$IMAGE:register" "$IMAGE:$release"; do
		run podman image inspect --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}} {{.Os}}/{{.Architecture}}' "$ref"
		assert_success
		assert_output '["/register"] null linux/amd64'
	done
	assert_equal "$(podman image inspect --format '{{.Id}}' "$IMAGE:$release")" \
		"$(podman image inspect --format '{{.Id}}' "$IMAGE:latest")"
}

@test ":latest holds exactly /register, the emulators of build/rootfs and the version file; root-owned, executables 0755" {
	local expected t
	expected=$(
		{
			echo "-rwxr-xr-x 0:0 /register"
			echo "drwxr-xr-x 0:0 /usr"
			echo "drwxr-xr-x 0:0 /usr/bin"
			for t in $(rootfs_targets); do
				echo "-rwxr-xr-x 0:0 /usr/bin/qemu-$t-static"
			done
			echo "drwxr-xr-x 0:0 /usr/share"
			echo "drwxr-xr-x 0:0 /usr/share/qemu-user-static"
			echo "-rw-r--r-- 0:0 /usr/share/qemu-user-static/version"
		} | sort -k3
	)
	assert_equal "$(rootfs_targets | wc -l)" 33
	run image_tree "$IMAGE:latest"
	assert_success
	assert_output "$expected"

	# The emulators are build/rootfs's, byte for byte, and the version file
	# names the pinned release.
	local dir
	dir=$(image_mount "$IMAGE:latest")
	for t in $(rootfs_targets); do
		cmp -s "$dir/usr/bin/qemu-$t-static" "$QEMU_BIN/qemu-$t-static" ||
			fail "qemu-$t-static in the image differs from $QEMU_BIN's"
	done
	run cat "$dir/usr/share/qemu-user-static/version"
	assert_line "upstream $(upstream_version)"
	assert_line "$(cat "$REPO/qemu-static/VERSION")"
}

@test ":register holds only /register" {
	run image_tree "$IMAGE:register"
	assert_success
	assert_output "-rwxr-xr-x 0:0 /register"
}

@test "each per-target image (:<t>, :x86_64-<t>) holds only its emulator, identical to :latest's" {
	local latest t ref dir tag id tree refs=()
	local -A ids
	while read -r tag id; do
		ids[$tag]=$id
	done < <(podman images --no-trunc --format '{{.Tag}} {{.Id}}' "$IMAGE")
	for t in $(rootfs_targets); do
		[ -n "${ids[$t]:-}" ] || fail "no image $IMAGE:$t"
		[ "${ids[x86_64-$t]:-}" = "${ids[$t]}" ] || fail "$IMAGE:x86_64-$t is not the image $IMAGE:$t"
		refs+=("$IMAGE:$t")
	done
	latest=$(image_mount "$IMAGE:latest")
	# One mount call for all of them: "REF FOLDER" lines.
	printf '%s\n' "${refs[@]}" >>"$BATS_TEST_TMPDIR/mounted"
	while read -r ref dir; do
		t=${ref##*:}
		tree=$(find "$dir" -mindepth 1 -printf '%M %U:%G /%P\n')
		assert_equal "$tree" "drwxr-xr-x 0:0 /usr
drwxr-xr-x 0:0 /usr/bin
-rwxr-xr-x 0:0 /usr/bin/qemu-$t-static"
		cmp -s "$dir/usr/bin/qemu-$t-static" "$latest/usr/bin/qemu-$t-static" ||
			fail ":$t's emulator differs from :latest's"
	done < <(podman image mount "${refs[@]}")
}

@test "every emulator, run as the entrypoint of :latest, reports the pinned QEMU version" {
	local version out=$BATS_TEST_TMPDIR/versions t
	version=$(upstream_version)
	# Four at a time: 33 container starts.
	rootfs_targets | xargs -P 4 -I{} sh -c \
		'echo "{} $(podman run --rm --pull=never --entrypoint /usr/bin/qemu-{}-static "$1" --version 2>&1 | head -n 1)"' \
		sh "$IMAGE:latest" >"$out"
	assert_equal "$(wc -l <"$out")" 33
	for t in $(rootfs_targets); do
		grep -qx "$t qemu-$t version $version (Debian .*)" "$out" ||
			fail "qemu-$t-static --version: $(grep "^$t " "$out")"
	done
}

@test "OCI labels: title, description, version, revision, source, licenses, created" {
	local ref=$IMAGE:latest rev
	assert_equal "$(label "$ref" org.opencontainers.image.title)" qemu-user-static
	[ -n "$(label "$ref" org.opencontainers.image.description)" ] || fail "no description label"
	assert_equal "$(label "$ref" org.opencontainers.image.version)" \
		"$(upstream_version)-$(cat "$REPO/containers/REVISION")"
	rev=$(label "$ref" org.opencontainers.image.revision)
	[[ $rev =~ ^[0-9a-f]{40}$ ]] || fail "revision label is not a commit: '$rev'"
	git -C "$REPO" cat-file -e "$rev^{commit}" || fail "revision $rev is not a commit of this repository"
	[[ $(label "$ref" org.opencontainers.image.source) =~ ^https://[^[:space:]]+$ ]] || fail "source label is not a URL"
	[[ $(label "$ref" org.opencontainers.image.licenses) =~ ^[A-Za-z0-9.+-]+([[:space:]](AND|OR|WITH)[[:space:]][A-Za-z0-9.+-]+)*$ ]] ||
		fail "licenses label is not an SPDX expression: '$(label "$ref" org.opencontainers.image.licenses)'"
	[[ $(label "$ref" org.opencontainers.image.created) =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] ||
		fail "created label is not an RFC 3339 UTC time"
	# The other images carry them too.
	local other
	for other in "$IMAGE:register" "$IMAGE:aarch64"; do
		assert_equal "$(label "$other" org.opencontainers.image.revision)" "$rev"
		[ -n "$(label "$other" org.opencontainers.image.licenses)" ] || fail "$other has no licenses label"
	done
}

@test "podman run IMAGE --version prints register's version and the pinned QEMU's" {
	run podman run --rm --pull=never localhost/qemu-user-static:latest --version
	assert_success
	assert_line "register $(cat "$REPO/VERSION")"
	assert_line --regexp "^QEMU $(upstream_version | sed 's/\./\\./g')"
}

@test "--dry-run works through the image without --privileged and touches nothing" {
	run --separate-stderr podman run --rm --pull=never localhost/qemu-user-static:latest --dry-run
	assert_success
	assert_equal "${#lines[@]}" 31
	assert_line ':qemu-aarch64:M::\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-aarch64-static:'
	local l
	for l in "${lines[@]}"; do
		[[ $l =~ ^:qemu-[a-z0-9_]+:M::[^:]+:[^:]+:/usr/bin/qemu-[a-z0-9_]+-static:$ ]] || fail "not a register string: $l"
	done
	# shellcheck disable=SC2154 # run --separate-stderr sets stderr
	[[ $stderr != *mounted* ]] || fail "a dry run mounted something: $stderr"
}

@test "building the images again (containers/build native) gives the same layer digests" {
	local created epoch
	created=$(label "$IMAGE:latest" org.opencontainers.image.created)
	epoch=$(date -u -d "$created" +%s) || fail "cannot read the created label '$created'"
	# The same epoch the first build used: file times and labels come from it.
	run env SOURCE_DATE_EPOCH="$epoch" IMAGE_NAME="$REPRO_IMAGE" "$REPO/containers/build" native
	assert_success
	local ref t a b differ=
	for t in latest register $(rootfs_targets); do
		a=$(podman image inspect --format '{{json .RootFS.Layers}}' "$IMAGE:$t")
		b=$(podman image inspect --format '{{json .RootFS.Layers}}' "$REPRO_IMAGE:$t")
		[ "$a" = "$b" ] || differ+=" $t"
	done
	if [ -n "$differ" ]; then
		# Say which files differ, for the first image that does.
		ref=${differ# }
		ref=${ref%% *}
		local x y
		x=$(image_mount "$IMAGE:$ref")
		y=$(image_mount "$REPRO_IMAGE:$ref")
		diff <(cd "$x" && find . -printf '%M %U:%G %T@ %s %p\n' | sort -k6) \
			<(cd "$y" && find . -printf '%M %U:%G %T@ %s %p\n' | sort -k6) >&2 || true
		diff <(cd "$x" && find . -type f -exec sha256sum {} + | sort -k2) \
			<(cd "$y" && find . -type f -exec sha256sum {} + | sort -k2) >&2 || true
		fail "layers differ for:$differ (files above; a /register that differs means the image is older than build/register: run make image)"
	fi
}
