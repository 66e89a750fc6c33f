#!/usr/bin/env bats
# END-TO-END (docker 26): the README's docker commands and BuildKit builds
# against this machine's REAL, host-wide binfmt_misc, with trixie's docker
# 26.1, buildx 0.13 and containerd 1.7 (build/engines, `make engines`).
#
# One dockerd of the suite's own for the whole file (helpers/docker26.bash,
# helpers/engines.bash: own data root, exec root, socket and pidfile, no
# bridge, no iptables rules, tests/e2e/runc-wrapper as its runtime so that
# --privileged works without CAP_SYS_RESOURCE), with the containerd image
# store, which BuildKit's docker driver needs for a multi-platform build and
# OCI output; stopped by its PID, with its containerd, in teardown_file, and
# its folder removed. Nothing is pulled: the images come from podman's
# storage (`make image`, and busybox images FROM scratch built from the
# fixtures), loaded with `docker load`; a build's FROM finds them in the
# daemon's store (BuildKit resolves an image it holds locally, --pull is not
# given) and the builds use no network.
#
# 1. `docker run --rm --privileged IMAGE --reset -p yes` registers with F,
#    read back from the host's /proc/sys/fs/binfmt_misc; an arm64 container
#    runs. docker/setup-qemu-action's sequence (`--install all`, then IMAGE
#    alone, whose stdout parses as JSON).
# 2. `docker buildx build --platform linux/arm64 --load` and linux/riscv64:
#    BuildKit inside dockerd executes the RUN steps through binfmt_misc; the
#    loaded image says aarch64 / riscv64 and has that architecture. A build
#    for linux/arm64,linux/riscv64 into an OCI archive holds both platforms.
#
# Host state: taken as found (see tests/e2e/docker.bats): recorded in
# setup_file, each registering test starts with binfmt_misc mounted and no
# qemu-* entry and is followed by an exact restore; the last test asserts the
# host is byte for byte as found, and teardown_file restores it again.
# bats file_tags=e2e

load ../helpers/common
load ../helpers/engines
load ../helpers/docker26

setup_file() {
	require_root
	require_tools podman runc unshare jq node tar
	host_binfmt_record
	require_host_binfmt_restorable
	podman_setup
	require_images "$IMAGE:latest"
	build_busybox_images linux/arm64 linux/riscv64
	docker26_use containerd-store
	docker_start
	docker_load "$IMAGE:latest" "$TEST_IMAGE:arm64" "$TEST_IMAGE:riscv64"
}

teardown_file() {
	e2e_teardown_file docker
}

teardown() {
	e2e_teardown
}

# Register with flag F from a container, the README's way.
register_f() {
	run --separate-stderr docker run --rm --privileged "$IMAGE:latest" --reset -p yes
	assert_success
	assert_summary_line '^31 registered, 0 already present, [0-9]+ removed, 3 skipped, 0 failed$'
}

# The platforms ("os/arch[/variant]") of the image manifests an OCI layout's
# index (DIR/index.json) reaches, through nested indexes, sorted.
oci_platforms() {
	local dir=$1
	_oci_walk "$dir" "$(cat "$dir/index.json")" | sort
}
_oci_walk() {
	local dir=$1 json=$2 m type digest
	jq -c '.manifests[]' <<<"$json" | while read -r m; do
		type=$(jq -r .mediaType <<<"$m")
		digest=$(jq -r '.digest | sub(":"; "/")' <<<"$m")
		case $type in
		application/vnd.oci.image.index.v1+json)
			_oci_walk "$dir" "$(cat "$dir/blobs/$digest")"
			;;
		application/vnd.oci.image.manifest.v1+json)
			# Attestation manifests (unknown/unknown) are not platforms.
			jq -r 'select(.platform.os != "unknown") | .platform | "\(.os)/\(.architecture)\(if .variant then "/" + .variant else "" end)"' <<<"$m"
			;;
		esac
	done
}

@test "the suite's docker is docker 26.1 with buildx 0.13 (build/engines), the containerd image store and the capability-dropping runtime" {
	run docker version --format '{{.Client.Version}} {{.Server.Version}}'
	assert_success
	assert_output --regexp '^26\.1\.[0-9]+[^ ]* 26\.1\.[0-9]+[^ ]*$'
	assert_equal "$(docker info --format '{{.DefaultRuntime}}')" qus
	run docker info --format '{{json .DriverStatus}}'
	assert_output --partial io.containerd.snapshotter
	run docker buildx version
	assert_success
	assert_output --regexp '^github\.com/docker/buildx 0\.13\.'
	run docker buildx inspect default
	assert_success
	assert_line --regexp '^Driver: +docker$'
	run docker image inspect --format '{{.Architecture}}' "$IMAGE:latest" "$TEST_IMAGE:arm64" "$TEST_IMAGE:riscv64"
	assert_output $'amd64\narm64\nriscv64'
}

@test "docker run --rm --privileged IMAGE --reset -p yes registers with F in the host's binfmt_misc, and an arm64 container runs" {
	host_fresh
	register_f
	assert_line "Setting /usr/bin/qemu-aarch64-static as binfmt interpreter for aarch64"
	# Read back from the host after the container has gone.
	assert_equal "$(host_entry qemu-aarch64 | head -n 1)" enabled
	assert_equal "$(host_entry_field qemu-aarch64 interpreter)" /usr/bin/qemu-aarch64-static
	local n
	for n in $(host_entry_names); do
		assert_equal "$n: $(host_entry_field "$n" flags:)" "$n: F"
	done
	assert_equal "$(host_entry_names | wc -l)" 31
	run docker run --rm --pull=never --platform linux/arm64 "$TEST_IMAGE:arm64" uname -m
	assert_success
	assert_output aarch64
}

@test "docker/setup-qemu-action's sequence on docker 26: IMAGE --install all, then IMAGE, whose stdout parses as JSON listing linux/arm64 and the rest" {
	host_fresh
	run --separate-stderr docker run --rm --privileged "$IMAGE:latest" --install all
	assert_success
	assert_equal "$(jq -r '[.emulators[] | select(startswith("qemu-"))] | join(" ")' <<<"$output")" \
		"qemu-aarch64 qemu-arm qemu-loongarch64 qemu-mips64 qemu-mips64el qemu-ppc64le qemu-riscv64 qemu-s390x"
	assert_equal "$(host_entry_field qemu-aarch64 flags:)" POCF
	run --separate-stderr docker run --rm --privileged "$IMAGE:latest"
	assert_success
	assert_supported_everything "$output"
	run docker run --rm --pull=never --platform linux/riscv64 "$TEST_IMAGE:riscv64" uname -m
	assert_success
	assert_output riscv64
}

@test "docker buildx build --platform linux/arm64 --load and linux/riscv64 --load: BuildKit runs the RUN steps through binfmt_misc" {
	host_fresh
	register_f
	local ctx=$BATS_TEST_TMPDIR/ctx platform arch machine t0
	mkdir -p "$ctx"
	cp "$REPO/tests/engines/Containerfile.run-arch" "$ctx/Dockerfile"
	for platform in "linux/arm64 arm64 aarch64" "linux/riscv64 riscv64 riscv64"; do
		read -r platform arch machine <<<"$platform"
		t0=$(date +%s)
		run docker buildx build --builder default --progress plain --network none \
			--platform "$platform" --load -t "qus-e2e-buildx:$arch" "$ctx"
		assert_success
		echo "# buildx build $platform --load: $(($(date +%s) - t0)) s" >&3
		# The RUN step's own output, in the build log and in the image.
		assert_line --regexp '^#[0-9]+ \[2/3\] RUN \["/bin/busybox", "sh", "-c", "/bin/busybox uname -m >/built-machine"\]$'
		assert_equal "$(docker image inspect --format '{{.Os}}/{{.Architecture}}' "qus-e2e-buildx:$arch")" "$platform"
		run docker run --rm --pull=never --platform "$platform" "qus-e2e-buildx:$arch"
		assert_success
		assert_output "$machine"
		run docker run --rm --pull=never --platform "$platform" --entrypoint /bin/busybox "qus-e2e-buildx:$arch" cat /built-machine.copy
		assert_output "$machine"
		docker image rm "qus-e2e-buildx:$arch" >/dev/null
	done
}

@test "docker buildx build --platform linux/arm64,linux/riscv64 --output type=oci: the OCI index holds both platforms, each built by its own machine" {
	host_fresh
	register_f
	local ctx=$BATS_TEST_TMPDIR/ctx out=$BATS_TEST_TMPDIR/oci t0
	mkdir -p "$ctx" "$out"
	cp "$REPO/tests/engines/Containerfile.run-arch" "$ctx/Dockerfile"
	t0=$(date +%s)
	run docker buildx build --builder default --progress plain --network none \
		--platform linux/arm64,linux/riscv64 --output "type=oci,dest=$BATS_TEST_TMPDIR/oci.tar" "$ctx"
	assert_success
	echo "# buildx build linux/arm64,linux/riscv64 --output type=oci: $(($(date +%s) - t0)) s" >&3
	tar -xf "$BATS_TEST_TMPDIR/oci.tar" -C "$out"
	assert_equal "$(jq -r .imageLayoutVersion "$out/oci-layout")" 1.0.0
	assert_equal "$(oci_platforms "$out" | tr '\n' ' ')" "linux/arm64 linux/riscv64 "
	# Each platform's image: its config names the platform, and its top
	# layer holds what that machine's RUN step wrote.
	local m digest cfg top layer want
	while read -r m; do
		digest=$(jq -r '.digest | sub(":"; "/")' <<<"$m")
		cfg=$(jq -r '.config.digest | sub(":"; "/")' "$out/blobs/$digest")
		want=$(jq -r '.architecture' "$out/blobs/$cfg")
		layer=$BATS_TEST_TMPDIR/layers-$want
		mkdir -p "$layer"
		for top in $(jq -r '.layers[].digest | sub(":"; "/")' "$out/blobs/$digest"); do
			tar -xzf "$out/blobs/$top" -C "$layer" 2>/dev/null || tar -xf "$out/blobs/$top" -C "$layer"
		done
		case $want in
		arm64) assert_equal "$(cat "$layer/built-machine")" aarch64 ;;
		riscv64) assert_equal "$(cat "$layer/built-machine")" riscv64 ;;
		*) fail "unexpected architecture $want in the OCI index" ;;
		esac
	done < <(jq -c '.manifests[]' "$out/blobs/$(jq -r '.manifests[0].digest | sub(":"; "/")' "$out/index.json")" |
		jq -c 'select(.platform.os == "linux")')
}

@test "the host's binfmt_misc is back as the suite found it: mounts, status and every entry, byte for byte" {
	host_binfmt_restore "$QUS_HOST_SNAPSHOT"
	assert_host_binfmt_restored "$QUS_HOST_SNAPSHOT"
}
