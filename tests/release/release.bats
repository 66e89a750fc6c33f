#!/usr/bin/env bats
# END-TO-END (release): the release path into a real registry, and the images
# pulled back from it by docker and podman and run against this machine's
# REAL binfmt_misc.
#
# A registry of the suite's own (Debian's docker-registry 2.8, scripts/registry:
# 127.0.0.1 on a free port, its own config and storage folder, stopped by its
# PID and removed in teardown_file). containers/release stages every platform
# (stage), builds and pushes each platform's images (push) and joins them into
# the multi-platform indexes (merge): every tag of README.md's "Images and
# tags", with gzip layers and as -zstd. RELEASE_ENGINE=podman: the same steps
# as release.yml's buildx ones, with podman, because buildx's own push (by
# digest, zstd) is not usable with the engines of this machine (see
# containers/release).
#
# Then: docker and podman pull IMAGE for linux/amd64, run it and register; the
# arm64, s390x and riscv64 manifests hold register built for those machines;
# a zstd tag pulls and runs; `COPY --from=IMAGE:aarch64` builds; and
# docker/setup-qemu-action's main step (tests/tools/setup-qemu-action.mjs, on
# the npm packages its dist/index.js is built from, since the action itself
# is not on npm) runs with node against the registry's image.
#
# Host state: taken as found. setup_file records the host's binfmt_misc
# (helpers/host-binfmt: mounts, every entry's text); each test that registers
# starts from it with binfmt_misc mounted and no qemu-* entry (other tools'
# entries untouched), and is followed by host_binfmt_restore; the last test
# asserts that the host is byte for byte as recorded, and teardown_file
# restores it again (also after a failure).
# bats file_tags=e2e,release

load ../helpers/common
load ../helpers/engines
load ../helpers/docker26
# After engines: its host_binfmt_mount is the guarded one of docker.bats.
load ../helpers/host-binfmt
load ../helpers/node-tools

REPO_NAME="qemu-user-static"
PLATFORMS_ALL=(amd64 arm64 ppc64el s390x riscv64 armhf i386)

setup_file() {
	require_root
	require_tools podman skopeo runc unshare curl jq node
	require_node_tools
	# docker is trixie's 26.1 (make engines), the suite's own dockerd; docker
	# build is buildx's, the plugin of build/engines.
	docker26_use
	export HOST_SNAP=$BATS_FILE_TMPDIR/host-binfmt-before
	host_binfmt_snapshot "$HOST_SNAP" || fail "cannot record the host's binfmt_misc"
	why=$(host_binfmt_restorable "$HOST_SNAP") ||
		fail "the host's binfmt_misc could not be put back after the suite, so it is not touched: $why"
	podman_setup
	export RELEASE_LOG=$BATS_FILE_TMPDIR/release.log
	export REGISTRY_DIR=$BATS_FILE_TMPDIR/registry
	ADDR=$("$REPO/scripts/registry" start "$REGISTRY_DIR") || fail "the test registry did not start"
	export ADDR
	export RIMAGE=$ADDR/$REPO_NAME
	export DIGESTS=$BATS_FILE_TMPDIR/digests
	export RELEASE_ENGINE=podman REGISTRY_TLS_VERIFY=false STAGE_NAME=localhost/qus-e2e-release-stage
	local arch t0
	t0=$(date +%s)
	for arch in "${PLATFORMS_ALL[@]}"; do
		"$REPO/containers/release" stage "$arch" >>"$RELEASE_LOG" 2>&1 ||
			fail "containers/release stage $arch failed: $(tail -n 5 "$RELEASE_LOG")"
	done
	echo "# staged the 7 platforms in $(($(date +%s) - t0)) s" >&3
	# release.yml runs one push job per platform, in parallel: two at a time
	# here (two cores).
	t0=$(date +%s)
	printf '%s\n' "${PLATFORMS_ALL[@]}" | xargs -P 2 -I '{}' sh -c '
		"$1/containers/release" push "$2" "$3" "$4" >"$5/push-$2.log" 2>&1 || {
			echo "containers/release push $2 failed:"; tail -n 5 "$5/push-$2.log"; exit 255; }' \
		sh "$REPO" '{}' "$RIMAGE" "$DIGESTS" "$BATS_FILE_TMPDIR" >>"$RELEASE_LOG" 2>&1 ||
		fail "$(cat "$RELEASE_LOG")"
	echo "# pushed the images of the 7 platforms in $(($(date +%s) - t0)) s" >&3
	t0=$(date +%s)
	"$REPO/containers/release" merge "$RIMAGE" "$DIGESTS" >>"$RELEASE_LOG" 2>&1 ||
		fail "containers/release merge failed: $(tail -n 5 "$RELEASE_LOG")"
	echo "# merged the indexes in $(($(date +%s) - t0)) s; registry storage $(du -sm "$REGISTRY_DIR/storage" | cut -f1) MB" >&3
	remove_stage_images
	build_busybox_images linux/arm64
	docker_start
	docker_load "$TEST_IMAGE:arm64"
}

teardown_file() {
	local rc=0
	if [ -d "${HOST_SNAP:-}" ]; then
		host_binfmt_restore "$HOST_SNAP" || rc=1
	fi
	docker_stop || rc=1
	remove_stage_images
	remove_pulled_images
	remove_test_images
	"$REPO/scripts/registry" stop "$REGISTRY_DIR" || rc=1
	[ ! -e "$REGISTRY_DIR" ] || {
		echo "# the registry's folder $REGISTRY_DIR is still there" >&3
		rc=1
	}
	return "$rc"
}

# A test that registers on the host calls host_fresh first: binfmt_misc
# mounted, no qemu-* entry; teardown puts back what setup_file recorded.
CLEAN_AFTER=
host_without_qemu_entries() {
	CLEAN_AFTER=1
	local qemu
	qemu=$(host_binfmt_names | grep '^qemu-' || true)
	if [ -n "$qemu" ]; then
		# shellcheck disable=SC2086 # one name a word
		host_binfmt_remove $qemu || fail "cannot remove the host's qemu entries"
	fi
}
host_fresh() {
	CLEAN_AFTER=1
	host_binfmt_mount || fail "cannot mount binfmt_misc on the host"
	host_without_qemu_entries
}
teardown() {
	if [ -n "$CLEAN_AFTER" ]; then
		host_binfmt_restore "$HOST_SNAP"
	fi
}

# podman's images of the release's push step and of the pulls from the registry.
remove_stage_images() {
	local ref
	for ref in $(podman images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep "^$STAGE_NAME:"); do
		podman manifest rm "$ref" >/dev/null 2>&1 || podman rmi -f "$ref" >/dev/null 2>&1 ||
			echo "# could not remove image $ref" >&3
	done
}
remove_pulled_images() {
	local ref
	for ref in $(podman images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep "^$RIMAGE:"); do
		podman rmi -f "$ref" >/dev/null 2>&1 || echo "# could not remove image $ref" >&3
	done
}

# The registry's answer for PATH (below /v2/NAME/), as JSON.
reg_get() {
	curl -fsS -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json' \
		"http://$ADDR/v2/$REPO_NAME/$1"
}

# The QEMU targets of Debian architecture ARCH's image, as staged.
staged_targets() {
	local f
	for f in "$BUILD/image/$1"/usr/bin/qemu-*-static; do
		f=${f##*/qemu-}
		echo "${f%-static}"
	done
}

# Every tag README.md's "Images and tags" promises, for this release.
expected_tags() {
	local release arch host t
	release=$(sed 's/+.*//' "$REPO/qemu-static/VERSION")-$(cat "$REPO/containers/REVISION")
	{
		echo latest
		echo "$release"
		echo register
		for arch in "${PLATFORMS_ALL[@]}"; do
			host=$(host_of "$arch")
			for t in $(staged_targets "$arch"); do
				echo "$t"
				echo "$host-$t"
			done
		done
	} | sort -u | sed 'p; s/$/-zstd/'
}

host_of() {
	case $1 in
	amd64) echo x86_64 ;; arm64) echo aarch64 ;; armhf) echo arm ;; i386) echo i386 ;;
	ppc64el) echo ppc64le ;; s390x) echo s390x ;; riscv64) echo riscv64 ;;
	esac
}

# "os/arch[/variant] digest" of each platform in the index tagged $1.
index_platforms() {
	reg_get "manifests/$1" | jq -r '.manifests[] | "\(.platform.os)/\(.platform.architecture)\(if .platform.variant then "/" + .platform.variant else "" end) \(.digest)"'
}

# Whether the registry's log shows a GET of URI answered 200. One query over
# the whole log: jq 1.6's -e, run line by line (-R), exits 4 when the LAST
# line gives no output, so a match followed by any other request read as
# "never sent".
registry_sent() {
	jq -Rne --arg u "$1" '[inputs | fromjson? | select(.["http.request.method"] == "GET" and
		.["http.request.uri"] == $u and .["http.response.status"] == 200)] | length > 0' \
		"$REGISTRY_DIR/registry.log" >/dev/null
}

# The distinct layer media types of the image manifests in index $1.
index_layer_types() {
	local _ d
	index_platforms "$1" | while read -r _ d; do
		reg_get "manifests/$d" | jq -r '.layers[].mediaType'
	done | sort -u
}

@test "the suite's docker is docker 26.1 (trixie's, build/engines), with the capability-dropping runtime" {
	run docker version --format '{{.Client.Version}} {{.Server.Version}}'
	assert_success
	assert_output --regexp '^26\.1\.[0-9]+[^ ]* 26\.1\.[0-9]+[^ ]*$'
	assert_equal "$(docker info --format '{{.DefaultRuntime}}')" qus
}

@test "the registry holds every tag of README's table, gzip and -zstd, and nothing else" {
	run curl -fsS "http://$ADDR/v2/$REPO_NAME/tags/list?n=10000"
	assert_success
	local have want
	have=$(jq -r '.tags[]' <<<"$output" | sort)
	want=$(expected_tags | sort)
	[ "$(echo "$want" | wc -l)" -gt 200 ] || fail "expected more than 200 tags: $want"
	assert_equal "$have" "$want"
	# README's table names the kinds of tags pushed here.
	grep -qF '| `latest`, `<qemu-version>-<revision>` (e.g. `10.0.13-1`) |' "$REPO/README.md"
	grep -qF '| `register` |' "$REPO/README.md"
	grep -qF '| `<target>`, `<host>-<target>` (e.g. `aarch64`, `x86_64-aarch64`) |' "$REPO/README.md"
}

@test "latest, the release tag and register are OCI indexes of the seven platforms; gzip layers, and zstd layers in the -zstd tags" {
	local tag want
	want=$(printf '%s\n' linux/386 linux/amd64 linux/arm/v7 linux/arm64 linux/ppc64le linux/riscv64 linux/s390x)
	for tag in latest 10.0.13-1 register; do
		assert_equal "$(reg_get "manifests/$tag" | jq -r .mediaType)" application/vnd.oci.image.index.v1+json
		assert_equal "$(index_platforms "$tag" | cut -d' ' -f1 | sort)" "$want"
		assert_equal "$(index_platforms "$tag-zstd" | cut -d' ' -f1 | sort)" "$want"
		assert_equal "$(index_layer_types "$tag")" application/vnd.oci.image.layer.v1.tar+gzip
		assert_equal "$(index_layer_types "$tag-zstd")" application/vnd.oci.image.layer.v1.tar+zstd
	done
	# The release tag is latest; the -zstd index holds other manifests (other
	# layer digests) of the same images (same configs).
	assert_equal "$(reg_get manifests/latest | sha256sum)" "$(reg_get manifests/10.0.13-1 | sha256sum)"
	local gz zs
	gz=$(index_platforms latest | while read -r _ d; do reg_get "manifests/$d" | jq -r .config.digest; done)
	zs=$(index_platforms latest-zstd | while read -r _ d; do reg_get "manifests/$d" | jq -r .config.digest; done)
	assert_equal "$zs" "$gz"
	[ "$(index_platforms latest | cut -d' ' -f2)" != "$(index_platforms latest-zstd | cut -d' ' -f2)" ]
	# A target's index has a platform for each host that builds its emulator;
	# the 32-bit hosts have no 64-bit emulator.
	assert_equal "$(index_platforms aarch64 | cut -d' ' -f1 | sort | tr '\n' ' ')" \
		"linux/amd64 linux/arm64 linux/ppc64le linux/riscv64 linux/s390x "
	# ... joined from the <host>-<target> images pushed before: the index's
	# amd64 entry is x86_64-aarch64's manifest, and so for the -zstd twins.
	local zs_tag
	for zs_tag in "" -zstd; do
		assert_equal "$(index_platforms "aarch64$zs_tag" | awk '$1 == "linux/amd64" { print $2 }')" \
			"sha256:$(reg_get "manifests/x86_64-aarch64$zs_tag" | sha256sum | cut -d' ' -f1)"
	done
	assert_equal "$(reg_get manifests/x86_64-aarch64-zstd | jq -r '.layers[].mediaType')" \
		application/vnd.oci.image.layer.v1.tar+zstd
	assert_equal "$(reg_get manifests/x86_64-aarch64 | jq -r '.layers[].mediaType')" \
		application/vnd.oci.image.layer.v1.tar+gzip
}

@test "the arm64, s390x and riscv64 images of latest hold register built for those machines, and their emulators" {
	local platform machine d manifest layer dir
	for platform in "linux/arm64 ARM aarch64" "linux/s390x IBM S/390" "linux/riscv64 RISC-V"; do
		machine=${platform#* }
		platform=${platform%% *}
		d=$(index_platforms latest | awk -v p="$platform" '$1 == p { print $2 }')
		[ -n "$d" ] || fail "no $platform in latest"
		manifest=$(reg_get "manifests/$d")
		assert_equal "$(reg_get "blobs/$(jq -r .config.digest <<<"$manifest")" | jq -r '.os + "/" + .architecture')" "$platform"
		layer=$(jq -r '.layers[0].digest' <<<"$manifest")
		dir=$BATS_TEST_TMPDIR/${platform//\//-}
		mkdir -p "$dir"
		curl -fsS "http://$ADDR/v2/$REPO_NAME/blobs/$layer" | tar -xz -C "$dir" ||
			fail "could not unpack the $platform layer of latest"
		run file -b "$dir/register"
		assert_output --partial "statically linked"
		assert_output --partial "$machine"
		[ -x "$dir/usr/bin/qemu-x86_64-static" ] || fail "$platform's latest has no qemu-x86_64-static"
		[ -s "$dir/usr/share/qemu-user-static/version" ] || fail "$platform's latest has no version file"
	done
	# Nothing above ran a foreign program: the host's binfmt_misc is untouched.
	assert_host_binfmt_restored "$HOST_SNAP"
}

@test "docker pulls IMAGE for linux/amd64 from the registry, runs it, and registers in the host's binfmt_misc" {
	run docker pull --platform linux/amd64 "$RIMAGE:latest"
	assert_success
	assert_equal "$(docker image inspect --format '{{.Os}}/{{.Architecture}}' "$RIMAGE:latest")" linux/amd64
	run docker run --rm "$RIMAGE:latest" --version
	assert_success
	assert_line --partial "10.0.13"
	host_fresh
	run docker run --rm --privileged "$RIMAGE:latest" --reset -p yes
	assert_success
	assert_line --regexp '^31 registered, 0 already present, [0-9]+ removed, 3 skipped, 0 failed$'
	assert_equal "$(host_entry_field qemu-aarch64 flags:)" F
	run docker run --rm --pull=never --platform linux/arm64 "$TEST_IMAGE:arm64" uname -m
	assert_success
	assert_output aarch64
}

@test "podman pulls IMAGE for linux/amd64 from the registry, runs it with --pid=host, and the entries stay" {
	run podman pull -q --tls-verify=false --platform linux/amd64 "$RIMAGE:latest"
	assert_success
	assert_equal "$(podman image inspect --format '{{.Os}}/{{.Architecture}}' "$RIMAGE:latest")" linux/amd64
	# As found, mounted or not, without qemu entries: with --pid=host
	# register mounts binfmt_misc in the host's mount namespace if need be.
	host_without_qemu_entries
	run podman run --rm --privileged --pid=host "$RIMAGE:latest" --reset -p yes
	assert_success
	assert_line --regexp '^31 registered, '
	host_binfmt_mounted || fail "register made no mount in the host's mount namespace"
	run host_busybox s390x uname -m
	assert_success
	assert_output s390x
}

@test "a -zstd tag pulls and runs: podman's register-zstd; docker 26 pulls latest-zstd, whose layers are zstd, and it registers" {
	run podman pull -q --tls-verify=false --platform linux/amd64 "$RIMAGE:register-zstd"
	assert_success
	run podman run --rm "$RIMAGE:register-zstd" --version
	assert_success
	assert_output --partial "register "
	# The -zstd index's images have latest's configs: docker (classic store)
	# fetches no layer of an image whose config it holds, so latest, pulled
	# above, goes first, or the zstd layers are never asked for.
	docker image rm "$RIMAGE:latest" >/dev/null 2>&1 || true
	run docker image inspect "$RIMAGE:latest"
	assert_failure
	run docker pull --platform linux/amd64 "$RIMAGE:latest-zstd"
	assert_success
	# What docker fetched: the -zstd index's amd64 manifest, zstd layers.
	local d
	d=$(index_platforms latest-zstd | awk '$1 == "linux/amd64" { print $2 }')
	assert_equal "$(reg_get "manifests/$d" | jq -r '.layers[].mediaType')" application/vnd.oci.image.layer.v1.tar+zstd
	# Every zstd layer of it was sent by the registry for this pull.
	local layer
	for layer in $(reg_get "manifests/$d" | jq -r '.layers[].digest'); do
		registry_sent "/v2/$REPO_NAME/blobs/$layer" || {
			echo "# docker pull said:"; printf '%s\n' "$output"
			echo "# the registry's last 20 GETs of blobs:"
			jq -Rrc 'fromjson? | select(.["http.request.method"] == "GET" and (.["http.request.uri"] // "" | test("/blobs/"))) |
				[.["http.request.uri"], .["http.response.status"], .["http.response.written"]]' "$REGISTRY_DIR/registry.log" | tail -n 20
			fail "the registry never sent the zstd layer $layer of latest-zstd's amd64 manifest $d"
		}
	done
	host_fresh
	run docker run --rm --privileged "$RIMAGE:latest-zstd" --install arm64,riscv64
	assert_success
	assert_equal "$(host_entry_field qemu-riscv64 flags:)" POCF
	run host_busybox riscv64 uname -m
	assert_output riscv64
}

@test "COPY --from=IMAGE:aarch64 and IMAGE:x86_64-aarch64 of the registry work in podman and docker builds" {
	local ctx=$BATS_TEST_TMPDIR/ctx kind
	mkdir -p "$ctx"
	for kind in aarch64 x86_64-aarch64; do
		printf 'FROM %s\nCOPY --from=%s /usr/bin/qemu-aarch64-static /usr/bin/\n' \
			"$TEST_IMAGE:arm64" "$RIMAGE:$kind" >"$ctx/Containerfile"
		run podman build -q --tls-verify=false --network=none --layers=false -t "$BUILT_IMAGE:release-$kind" "$ctx"
		assert_success
		assert_equal "$(podman image inspect --format '{{.Architecture}}' "$BUILT_IMAGE:release-$kind")" arm64
		# The build's own platform (amd64) picked the index's amd64 image: the
		# emulator runs on this host as it is, and is amd64's, byte for byte.
		run podman run --rm --pull=never --entrypoint /usr/bin/qemu-aarch64-static "$BUILT_IMAGE:release-$kind" --version
		assert_success
		assert_line --partial "qemu-aarch64 version 10.0.13"
		podman create --name qus-e2e-release-copy "$BUILT_IMAGE:release-$kind" >/dev/null
		podman cp qus-e2e-release-copy:/usr/bin/qemu-aarch64-static "$BATS_TEST_TMPDIR/copied"
		podman rm qus-e2e-release-copy >/dev/null
		cmp "$BATS_TEST_TMPDIR/copied" "$BUILD/image/amd64/usr/bin/qemu-aarch64-static" ||
			fail "$kind: the copied emulator is not amd64's qemu-aarch64-static"
		# docker 26 builds with BuildKit (buildx's docker driver, inside the
		# dockerd), which resolves --from for the build's platform, amd64.
		printf 'FROM scratch\nCOPY --from=%s /usr/bin/qemu-aarch64-static /usr/bin/\n' "$RIMAGE:$kind" \
			>"$ctx/Dockerfile"
		run docker build -q -t "qus-e2e-release-$kind" -f "$ctx/Dockerfile" "$ctx"
		assert_success
		run docker run --rm --pull=never --entrypoint /usr/bin/qemu-aarch64-static "qus-e2e-release-$kind" --version
		assert_success
		assert_line --partial "qemu-aarch64 version 10.0.13"
	done
}

@test "docker/setup-qemu-action's main step, run with node against the registry's image, outputs the platforms" {
	host_fresh
	local gh=$BATS_TEST_TMPDIR/gh
	mkdir -p "$gh/tool-cache" "$gh/temp"
	: >"$gh/output"
	: >"$gh/state"
	# The inputs as the runner passes them: every input of the action's
	# action.yml with its default, image and platforms as a workflow sets them.
	run env "INPUT_IMAGE=$RIMAGE:latest" INPUT_PLATFORMS=all INPUT_CACHE-IMAGE=true INPUT_CACHE-IMAGE-PATH= \
		GITHUB_OUTPUT="$gh/output" GITHUB_STATE="$gh/state" RUNNER_TOOL_CACHE="$gh/tool-cache" \
		RUNNER_TEMP="$gh/temp" GITHUB_ACTIONS=true DOCKER_CONFIG="$gh/docker" \
		PATH="$(dirname "$DOCKER_CLI"):$PATH" node "$TOOLS/setup-qemu-action.mjs"
	assert_success
	refute_output --partial '::error::'
	local platforms p
	platforms=$(sed -n '/^platforms<</,/^ghadelimiter/{/^platforms<</d;/^ghadelimiter/d;p}' "$gh/output")
	[ -n "$platforms" ] || fail "no platforms output in GITHUB_OUTPUT: $(cat "$gh/output")"
	for p in linux/arm64 linux/riscv64 linux/ppc64le linux/s390x linux/arm/v7; do
		[[ ",$platforms," == *",$p,"* ]] || fail "$p missing from the action's platforms: $platforms"
	done
	assert_equal "$(host_entry_field qemu-aarch64 flags:)" POCF
	grep -q '^isPost' "$gh/state" || fail "the action saved no isPost state: $(cat "$gh/state")"
}

@test "afterwards the host's binfmt_misc is byte for byte as the suite found it" {
	host_binfmt_restore "$HOST_SNAP" || fail "host_binfmt_restore failed (see above)"
	assert_host_binfmt_restored "$HOST_SNAP"
}
