#!/usr/bin/env bats
# containers/kubernetes/daemonset.yaml: valid for the Kubernetes API (checked
# offline against the schemas of the pinned kubernetes-models package, with
# strict field validation), on every node with the privileges register needs
# and no more, and its exact command line does what the README promises when
# run against a private binfmt_misc instance: registers every foreign target
# with F, stays, re-creates vanished entries, and ends with 0 on SIGTERM.

load helpers/common
load helpers/node-tools

MANIFEST=$REPO/containers/kubernetes/daemonset.yaml
POD='.[0].spec.template.spec'
CONTAINER="$POD.containers[0]"

# The 31 targets that are not of x86_64's family (i386, i486, x86_64).
FOREIGN="aarch64 aarch64_be alpha arm armeb hexagon hppa loongarch64 m68k
microblaze microblazeel mips mips64 mips64el mipsel mipsn32 mipsn32el or1k ppc
ppc64 ppc64le riscv32 riscv64 s390x sh4 sh4eb sparc sparc32plus sparc64 xtensa
xtensaeb"

setup() {
	require_node_tools
	REG_PID=
}

teardown() {
	if [ -n "$REG_PID" ]; then
		kill "$REG_PID" 2>/dev/null || true
		wait "$REG_PID" 2>/dev/null || true
	fi
	instance_stop
}

# The manifest's field at jq PATH, as JSON (compact).
field() {
	yq_json "$MANIFEST" "$1" -c
}

# The container's args exactly as the manifest gives them, one per line.
manifest_args() {
	yq_json "$MANIFEST" "$CONTAINER.args[]" -r
}

# Start register in the private instance in the background with ARGS, the
# emulators of build/rootfs standing in for the image's /usr/bin. nsenter
# execs (no fork for user and mount namespaces), and so does env: REG_PID is
# register itself.
start_register() {
	nsenter --target "$INSTANCE_PID" --user --mount -- \
		env QEMU_BIN_DIR="$QEMU_BIN" "$REGISTER" "$@" \
		>"$BATS_TEST_TMPDIR/reg.out" 2>"$BATS_TEST_TMPDIR/reg.err" 3>&- &
	REG_PID=$!
}

# wait_until MS COMMAND...: poll COMMAND every 0.1 s until it succeeds, for at
# most MS milliseconds.
wait_until() {
	local deadline=$(($(date +%s%3N) + $1))
	shift
	until "$@"; do
		[ "$(date +%s%3N)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

count_is() {
	[ "$(entries | grep -c .)" -eq "$1" ]
}

expected_names() {
	local t
	for t in $FOREIGN; do echo "qemu-$t"; done | sort
}

# SIGTERM the register we started; it must exit 0 within 2 seconds, even
# in the middle of its interval.
stop_register() {
	local t0 status
	t0=$(date +%s%N)
	kill -TERM "$REG_PID"
	status=0
	wait "$REG_PID" || status=$?
	REG_PID=
	local ms=$((($(date +%s%N) - t0) / 1000000))
	echo "# register ended ${ms} ms after SIGTERM with status $status" >&3
	assert_equal "$status" 0
	[ "$ms" -lt 2000 ] || fail "register took ${ms} ms to end after SIGTERM"
}

@test "the DaemonSet is valid for the Kubernetes API, offline and with strict field validation" {
	run node_tool k8s-validate "$MANIFEST"
	assert_success
	assert_output "ok DaemonSet kube-system/qemu-user-static"
}

@test "the validator catches an unknown field, a wrong type and a bad enum value in a copy" {
	local bad=$BATS_TEST_TMPDIR/bad.yaml
	sed -e 's/hostPID: true/hostPid: true/' -e 's/privileged: true/privileged: "yes"/' \
		-e 's/- operator: Exists/- operator: Always/' "$MANIFEST" >"$bad"
	run node_tool k8s-validate "$bad"
	assert_failure 1
	assert_line --partial "/spec/template/spec/hostPid is not a field of DaemonSet"
	assert_line --partial "/spec/template/spec/containers/0/securityContext/privileged must be boolean"
	assert_line --partial "/spec/template/spec/tolerations/0/operator must be equal to one of the allowed values"
	sed 's/kind: DaemonSet/kind: DaemonSett/' "$MANIFEST" >"$bad"
	run node_tool k8s-validate "$bad"
	assert_failure 1
	assert_output --partial "unknown apiVersion/kind apps/v1/DaemonSett"
}

@test "one pod on every node: all taints tolerated, Linux nodes, node-critical, selector matches the template" {
	assert_equal "$(field '.[0].kind')" '"DaemonSet"'
	assert_equal "$(field '.[0].metadata.namespace')" '"kube-system"'
	assert_equal "$(field "$POD.tolerations")" '[{"operator":"Exists"}]'
	assert_equal "$(field "$POD.nodeSelector")" '{"kubernetes.io/os":"linux"}'
	assert_equal "$(field "$POD.priorityClassName")" '"system-node-critical"'
	assert_equal "$(field '.[0].spec.updateStrategy.type')" '"RollingUpdate"'
	# Every selector label is on the pod template (the API server refuses
	# the DaemonSet otherwise; the schema alone cannot say so).
	assert_equal "$(field '.[0] | .spec.selector.matchLabels as $s
		| .spec.template.metadata.labels | with_entries(select(.key | in($s))) == $s')" true
	assert_equal "$(field '.[0].spec.selector | keys')" '["matchLabels"]'
}

@test "the pod has what register needs and no more: privileged, the host's PIDs, no token, read-only root, small limits" {
	assert_equal "$(field "$POD.hostPID")" true
	assert_equal "$(field "$POD.automountServiceAccountToken")" false
	assert_equal "$(field "$POD | [.hostNetwork, .hostIPC, .volumes, .initContainers, .serviceAccountName]")" \
		'[null,null,null,null,null]'
	assert_equal "$(field "$POD.containers | length")" 1
	assert_equal "$(field "$CONTAINER.securityContext")" \
		'{"privileged":true,"runAsUser":0,"readOnlyRootFilesystem":true}'
	assert_equal "$(field "$CONTAINER | [.volumeMounts, .ports, .env, .command]")" '[null,null,null,null]'
	assert_equal "$(field "$CONTAINER.resources")" \
		'{"requests":{"cpu":"5m","memory":"8Mi"},"limits":{"cpu":"50m","memory":"32Mi"}}'
	# SIGTERM ends register at once; the grace period only bounds a stuck node.
	assert_equal "$(field "$POD.terminationGracePeriodSeconds")" 10
}

@test "the image is pinned by digest, with the placeholder that containers/kubernetes/README.md fills in" {
	assert_equal "$(field "$CONTAINER.image")" '"ghcr.io/OWNER/qemu-user-static@sha256:<digest>"'
	assert_equal "$(field "$CONTAINER.imagePullPolicy")" '"IfNotPresent"'
	# The README's own fill-in command (its one `sed -i` line), run on a copy
	# with a made-up image and digest, gives a manifest that still validates
	# and names them.
	local readme=$REPO/containers/kubernetes/README.md fill
	fill=$(grep -E '^sed -i "s\|ghcr.io/OWNER/qemu-user-static@sha256:<digest>\|' "$readme")
	[ "$(echo "$fill" | grep -c .)" -eq 1 ] || fail "no single fill-in sed line in $readme"
	cp "$MANIFEST" "$BATS_TEST_TMPDIR/daemonset.yaml"
	cd "$BATS_TEST_TMPDIR"
	local digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
	run env image=ghcr.io/example/qemu-user-static digest="$digest" bash -euc "$fill"
	assert_success
	run node_tool k8s-validate daemonset.yaml
	assert_success
	assert_equal "$(yq_json daemonset.yaml "$CONTAINER.image" -r)" "ghcr.io/example/qemu-user-static@$digest"
}

@test "the container's command line is register --reset -p yes --watch 60 (the image's entrypoint)" {
	run manifest_args
	assert_success
	assert_equal "$(echo "$output" | paste -sd' ')" "--reset -p yes --watch 60"
	# The interval follows --watch directly and is 60 seconds.
	assert_equal "$(field "$CONTAINER.args | .[(index(\"--watch\") + 1)]")" '"60"'
	# No command: the image's entrypoint, /register, runs with these args.
	assert_equal "$(field "$CONTAINER.command")" null
}

@test "run with the manifest's exact args, register registers the 31 foreign targets with F and stays until SIGTERM, then exits 0" {
	[ "$(uname -m)" = x86_64 ] || fail "these expectations are written for an x86_64 host"
	local args
	mapfile -t args < <(manifest_args)
	assert_equal "${#args[@]}" 5
	instance_start
	start_register "${args[@]}"
	wait_until 5000 count_is 31 || fail "31 entries did not appear: $(entries | wc -l) $(cat "$BATS_TEST_TMPDIR/reg.err")"
	assert_equal "$(entries)" "$(expected_names)"
	local t
	for t in $FOREIGN; do
		assert_equal "$(entry_field qemu-"$t" flags:)" F
		assert_equal "$(entry_field qemu-"$t" interpreter)" "$QEMU_BIN/qemu-$t-static"
	done
	# It stays in the foreground: still there a second after registering.
	sleep 1
	kill -0 "$REG_PID" || fail "register exited: $(cat "$BATS_TEST_TMPDIR/reg.err")"
	assert_equal "$(readlink "/proc/$REG_PID/exe")" "$(readlink -f "$REGISTER")"
	stop_register
	# stdout: multiarch's 31 lines; the summary goes to stderr.
	assert_equal "$(grep -c '^Setting ' "$BATS_TEST_TMPDIR/reg.out")" 31
	assert_equal "$(grep -vc '^Setting ' "$BATS_TEST_TMPDIR/reg.out")" 0
	grep -qx "31 registered, 0 already present, 0 removed, 3 skipped, 0 failed" "$BATS_TEST_TMPDIR/reg.err"
	# Ending leaves the entries registered.
	assert_equal "$(entries)" "$(expected_names)"
}

@test "the same args with a 1-second interval re-create two removed entries within one interval, unchanged" {
	local args
	mapfile -t args < <(manifest_args)
	# Only the interval differs from the manifest (60 s cannot be waited for).
	assert_equal "${args[*]}" "--reset -p yes --watch 60"
	args[4]=1
	instance_start
	start_register "${args[@]}"
	wait_until 5000 count_is 31 || fail "31 entries did not appear: $(cat "$BATS_TEST_TMPDIR/reg.err")"
	local before
	before=$(snapshot)
	# Removed and checked gone in one go: the watcher may repair at any moment.
	run in_instance sh -c 'echo -1 > "$1/qemu-aarch64" && echo -1 > "$1/qemu-riscv64" &&
		! [ -e "$1/qemu-aarch64" ] && ! [ -e "$1/qemu-riscv64" ]' sh "$BINFMT"
	assert_success
	# One interval (1 s), and one more second of slack for a loaded machine.
	local t0
	t0=$(date +%s%3N)
	wait_until 2000 count_is 31 || fail "the removed entries did not come back within 2 s: $(cat "$BATS_TEST_TMPDIR/reg.err")"
	echo "# re-created $(($(date +%s%3N) - t0)) ms after the removal" >&3
	assert_equal "$(snapshot)" "$before"
	kill -0 "$REG_PID" || fail "register exited after repairing"
	stop_register
}
