#!/usr/bin/env bats
# tests/engines/fetch: trixie's container engines in a folder (build/engines),
# every program trixie's pinned version, running on trixie's own glibc and
# libraries, never on bookworm's. Starts no engine, so it needs no lock.

load helpers/common

FETCH=$REPO/tests/engines/fetch
PINS=$REPO/tests/engines/pins.tsv
ENGINES=$BUILD/engines

setup_file() {
	"$REPO/tests/engines/fetch" "$BUILD/engines" ||
		fail "tests/engines/fetch failed (see above)"
}

# The package version a pin's pool file names (PACKAGE_VERSION_ARCH.deb).
pinned_version() {
	awk -F'\t' -v n="$1:amd64" '$1 == n { print $2 }' "$PINS" | sed 's#.*/##; s#\.deb$##' |
		cut -d_ -f2 | sed 's/%3a/:/'
}

@test "the folder holds every pinned package at its pinned version (versions.tsv from the .debs themselves)" {
	local name pkg n=0
	while IFS=$'\t' read -r name _; do
		[[ -z $name || $name == '#'* ]] && continue
		pkg=${name%:amd64}
		# Pool file names carry no epoch (libsubid5 is 1:4.17.4-2).
		run awk -F'\t' -v p="$pkg" '$1 == p { sub(/^[0-9]+:/, "", $2); print p, $2 }' "$ENGINES/versions.tsv"
		assert_output "$pkg $(pinned_version "$pkg")"
		n=$((n + 1))
	done <"$PINS"
	assert_equal "$(wc -l <"$ENGINES/versions.tsv")" "$n"
	grep -qx $'podman\t5.4.2+ds1-2+b2' "$ENGINES/versions.tsv" || fail "podman is not 5.4.2"
	grep -qx $'docker.io\t26.1.5+dfsg1-9+deb13u1+b1' "$ENGINES/versions.tsv" || fail "docker.io is not 26.1.5"
}

@test "every program runs on trixie's loader and libraries: runc links trixie's libseccomp 2.6, not bookworm's 2.5" {
	local loader=$ENGINES/root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 p
	for p in docker dockerd containerd containerd-shim-runc-v2 runc podman conmon netavark; do
		assert_equal "$p: $(patchelf --print-interpreter "$ENGINES/bin/$p")" "$p: $loader"
		assert_equal "$p: $(patchelf --print-rpath "$ENGINES/bin/$p")" "$p: $ENGINES/root/usr/lib/x86_64-linux-gnu"
	done
	# catatonit is static: nothing to rewrite, and it still runs.
	run patchelf --print-interpreter "$ENGINES/bin/catatonit"
	assert_failure
	# The library actually loaded is the folder's (runc asks libseccomp for
	# its version at run time).
	run "$ENGINES/bin/runc" --version
	assert_success
	assert_line "runc version 1.1.15+ds1"
	assert_line "libseccomp: 2.6.0"
	run "$ENGINES/bin/podman" --version
	assert_output "podman version 5.4.2"
	run "$ENGINES/bin/dockerd" --version
	assert_output --regexp '^Docker version 26\.1\.5\+dfsg1, build '
	run "$ENGINES/cli-plugins/docker-buildx" version
	assert_output --regexp '^github\.com/docker/buildx 0\.13\.1\+ds1 '
}

@test "the env file puts the folder's bin first on PATH, once, and names each engine" {
	run bash -c '. "$1/env"; . "$1/env"; command -v podman docker dockerd runc
		printf "%s\n" "$PATH" | tr : "\n" | grep -cx "$1/bin"
		printf "%s\n" "$QUS_PODMAN5" "$QUS_DOCKER26" "$QUS_DOCKERD26" "$QUS_RUNC_TRIXIE" "$QUS_CONTAINERD17"' \
		sh "$ENGINES"
	assert_success
	assert_equal "${lines[0]}" "$ENGINES/bin/podman"
	assert_equal "${lines[1]}" "$ENGINES/bin/docker"
	assert_equal "${lines[2]}" "$ENGINES/bin/dockerd"
	assert_equal "${lines[3]}" "$ENGINES/bin/runc"
	assert_equal "${lines[4]}" 1
	assert_equal "${lines[5]}" "$ENGINES/bin/podman"
	assert_equal "${lines[9]}" "$ENGINES/bin/containerd"
	# podman's settings name the folder's runtime and helpers.
	grep -qxF "runc = [\"$ENGINES/bin/runc\"]" "$ENGINES/containers.conf"
	grep -qxF "helper_binaries_dir = [\"$ENGINES/libexec/podman\"]" "$ENGINES/containers.conf"
	local h
	for h in conmon netavark aardvark-dns catatonit rootlessport; do
		[ -x "$ENGINES/libexec/podman/$h" ] || fail "helper $h missing from $ENGINES/libexec/podman"
	done
}

@test "a second run changes nothing (the stamp is current)" {
	local before after
	before=$(stat -c '%i %Y' "$ENGINES/.engines-stamp" "$ENGINES/root" "$ENGINES/bin/podman")
	run "$FETCH" "$ENGINES"
	assert_success
	assert_output ""
	after=$(stat -c '%i %Y' "$ENGINES/.engines-stamp" "$ENGINES/root" "$ENGINES/bin/podman")
	assert_equal "$after" "$before"
}

@test "it refuses to replace a folder it did not make (exit 2), and leaves it as it was" {
	local dir=$BATS_TEST_TMPDIR/mine
	mkdir -p "$dir"
	echo keep >"$dir/file"
	run "$FETCH" "$dir"
	assert_failure 2
	assert_output --partial "was not made by tests/engines/fetch"
	assert_equal "$(cat "$dir/file")" keep
	assert_equal "$(ls -A "$dir")" file
}

@test "usage errors exit 2" {
	run "$FETCH" --bogus
	assert_failure 2
	run "$FETCH" a b
	assert_failure 2
}
