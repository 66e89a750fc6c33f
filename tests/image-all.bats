#!/usr/bin/env bats
# The multi-platform indexes (`make image-oci`: containers/build all, then an
# OCI layout in build/oci): every platform's image holds register built for
# that machine, statically, and the emulators Debian builds for it. Nothing
# here touches binfmt_misc: foreign binaries run under an emulator named
# explicitly.

load helpers/common

OCI=$BUILD/oci

setup_file() {
	make -s -C "$REPO" image-oci >&3 2>&1 || {
		echo "make image-oci failed" >&2
		return 1
	}
}

blob() {
	echo "$OCI/blobs/sha256/${1#sha256:}"
}

# The digest of the index tagged $1 in the layout.
index_of() {
	jq -r --arg t "$1" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$OCI/index.json"
}

# "arch[/variant] manifest-digest" for each platform of the index tagged $1.
platforms_of() {
	jq -r '.manifests[] | "\(.platform.architecture)\(if .platform.variant then "/" + .platform.variant else "" end) \(.digest)"' "$(blob "$(index_of "$1")")"
}

# List or extract a file of the (single-layer) image with manifest $1.
layer_of() {
	blob "$(jq -r '.layers[0].digest' "$(blob "$1")")"
}

@test "latest and register are indexes of the seven platforms" {
	local tag
	for tag in latest register 10.0.13-1; do
		run platforms_of "$tag"
		assert_success
		assert_equal "$(cut -d' ' -f1 <<<"$output" | sort | tr '\n' ' ')" "386 amd64 arm/v7 arm64 ppc64le riscv64 s390x "
	done
}

@test "each platform's /register is a static executable of that machine that runs (--version, --dry-run)" {
	local platform digest tmp=$BATS_TEST_TMPDIR machine emu want
	while read -r platform digest; do
		tar -xzOf "$(layer_of "$digest")" register >"$tmp/register"
		chmod +x "$tmp/register"
		case $platform in
		amd64) machine=62 emu='' want=31 ;;
		arm64) machine=183 emu=aarch64 want=32 ;;
		arm/v7) machine=40 emu=arm want=32 ;;
		386) machine=3 emu=i386 want=31 ;;
		ppc64le) machine=21 emu=ppc64le want=33 ;;
		s390x) machine=22 emu=s390x want=33 ;;
		riscv64) machine=243 emu=riscv64 want=32 ;;
		esac
		run "$REPO/scripts/elfinfo" "$tmp/register"
		assert_output --partial static
		local m
		m=$(od -An -tu2 -j18 -N2 "$tmp/register" | tr -d ' ')
		[ "$platform" = s390x ] && m=$(od -An -tu1 -j19 -N1 "$tmp/register" | tr -d ' ')
		[ "$platform" = ppc64le ] || [ "$platform" = s390x ] || assert_equal "$platform: $m" "$platform: $machine"
		local runner=()
		[ -z "$emu" ] || runner=("$QEMU_BIN/qemu-$emu-static")
		run "${runner[@]}" "$tmp/register" --version
		assert_success
		assert_line --index 0 "register $(cat "$REPO/VERSION")"
		run "${runner[@]}" "$tmp/register" --dry-run
		assert_success
		assert_equal "$platform: ${#lines[@]}" "$platform: $want"
	done < <(platforms_of latest)
}

@test "64-bit platforms ship 33 emulators, the 32-bit ones only the 17 32-bit targets QEMU 10 still builds there" {
	local platform digest count
	while read -r platform digest; do
		count=$(tar -tzf "$(layer_of "$digest")" | grep -c '^usr/bin/qemu-.*-static$')
		case $platform in
		386 | arm/v7)
			assert_equal "$platform: $count" "$platform: 17"
			if tar -tzf "$(layer_of "$digest")" | grep -q 'qemu-aarch64-static'; then
				fail "$platform ships a 64-bit target"
			fi
			;;
		*) assert_equal "$platform: $count" "$platform: 33" ;;
		esac
	done < <(platforms_of latest)
}

@test "a per-target index holds the platforms that have that emulator, each image with only it" {
	run platforms_of aarch64
	assert_equal "$(cut -d' ' -f1 <<<"$output" | sort | tr '\n' ' ')" "amd64 arm64 ppc64le riscv64 s390x "
	run platforms_of arm
	assert_equal "$(cut -d' ' -f1 <<<"$output" | sort | tr '\n' ' ')" "386 amd64 arm/v7 arm64 ppc64le riscv64 s390x "
	local platform digest
	while read -r platform digest; do
		assert_equal "$platform: $(tar -tzf "$(layer_of "$digest")" | grep -v '/$')" "$platform: usr/bin/qemu-aarch64-static"
	done < <(platforms_of aarch64)
}
