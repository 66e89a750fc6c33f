# The host's binfmt_misc, recorded and put back exactly: for the suites that
# touch the machine's real instance (tests/e2e/, scripts/host-states, .ci/run).
# Plain bash, usable outside bats: each function returns non-zero and says why
# on stderr. Load it after helpers/common (or set BINFMT yourself).
#
#   host_binfmt_snapshot DIR       record into DIR (made afresh): the binfmt_misc
#                                  mounts of this mount namespace (their lines
#                                  of /proc/self/mounts), the instance's status,
#                                  every entry's full text as the kernel prints it
#   host_binfmt_restore DIR        put back what DIR holds: the mounts at
#                                  $BINFMT, every entry (qemu-* ones removed
#                                  when new or changed, re-created as recorded),
#                                  the status. Another tool's entry is never
#                                  removed or changed; one that vanished is
#                                  re-created, and that is an error.
#   host_binfmt_compare DIR        print every difference between DIR and now,
#                                  byte for byte; status 1 if there is one
#   host_binfmt_compare_others DIR the same for other tools' entries only (all
#                                  but qemu-*): they must never change
#   assert_host_binfmt_restored DIR   (bats) fail with that difference
#   host_binfmt_make_bare DIR      take the host to "binfmt_misc not mounted"
#                                  (remove qemu-* entries, unmount), but only
#                                  when host_binfmt_restore DIR can put back
#                                  everything that loses; otherwise change
#                                  nothing, say why, status 1
#   host_binfmt_restorable DIR     can every entry DIR holds be written again
#                                  here? says which cannot (status 1)
#   host_binfmt_mount              mount binfmt_misc at $BINFMT unless it is
#   host_binfmt_register STRING... write each register string in one write(2)
#   host_binfmt_remove NAME...     -1 to each named entry (never to status)
#   host_binfmt_mount_lines        the binfmt_misc mounts here (/proc/self/mounts)
#   host_binfmt_names              the instance's entry names, sorted
#   host_binfmt_recorded_names DIR the names of the entries DIR holds
#   host_binfmt_foreign_names      the same, without the qemu-* ones
#
# Since Linux 6.7 the entries of the host's instance live only while some
# mount of it exists: unmounting the last one destroys every entry, other
# tools' too. Reading and writing therefore happen in a private mount
# namespace of the initial user namespace (`unshare --mount`), where a mount
# of binfmt_misc is still the host's instance, and which ends with the command.
#
# An entry with flag F was opened by the kernel when it was registered, by
# path, in the writer's mount namespace: entries registered from a container
# (`make run`: /usr/bin/qemu-aarch64-static) name files the host does not
# have. They are re-created in such a private mount namespace with a folder
# of the same emulators bind-mounted over the interpreter's folder, and the
# string written by the shell's builtin printf (after the bind, /usr/bin may
# hold nothing else). The folders looked in: HOST_BINFMT_EMULATORS (colon
# separated), by default $QEMU_BIN (build/rootfs/usr/bin, the pinned
# emulators the image is built from).
#
# HOST_BINFMT_ENTER: a command prefix that enters the namespaces to work on
# (default none: this process's own, the host's). The helpers' own tests
# (tests/host-binfmt.bats) point it at a private instance.
# shellcheck shell=bash

: "${BINFMT:=/proc/sys/fs/binfmt_misc}"

# Run COMMAND in the namespaces worked on.
_hb_enter() {
	# shellcheck disable=SC2086 # a command prefix, one word per argument
	${HOST_BINFMT_ENTER:-} "$@"
}

# Run the sh SCRIPT (with "$@" after it) in a private mount namespace where
# $BINFMT is the instance: the mount found there, or one made for the script.
# In SCRIPT, $b is the folder.
_hb_view() {
	local script=$1
	shift
	_hb_enter unshare --mount --propagation private sh -c '
		b=$1
		shift
		if [ "$(stat -f -c %T "$b" 2>/dev/null)" != binfmt_misc ]; then
			mount -t binfmt_misc binfmt_misc "$b" ||
				{ echo "cannot mount binfmt_misc at $b" >&2; exit 3; }
		fi
		cd "$b" || exit 3
		'"$script" sh "$BINFMT" "$@"
}

# The binfmt_misc mounts (and an automount at $BINFMT) of the mount
# namespace worked on: their lines of /proc/self/mounts, in order.
host_binfmt_mount_lines() {
	_hb_enter awk -v p="$BINFMT" '$3 == "binfmt_misc" || ($3 == "autofs" && $2 == p)' /proc/self/mounts
}

# How many binfmt_misc mounts there are at $BINFMT.
_hb_mount_count() {
	host_binfmt_mount_lines | awk -v p="$BINFMT" '$2 == p && $3 == "binfmt_misc" { n++ } END { print n + 0 }'
}

host_binfmt_names() {
	_hb_view 'ls -A1 | grep -vx -e register -e status | LC_ALL=C sort'
}

host_binfmt_foreign_names() {
	host_binfmt_names | grep -v '^qemu-' || true
}

host_binfmt_mount() {
	[ "$(_hb_mount_count)" -gt 0 ] && return 0
	_hb_enter mount -t binfmt_misc binfmt_misc "$BINFMT" ||
		{ echo "host_binfmt_mount: cannot mount binfmt_misc at $BINFMT" >&2; return 1; }
}

host_binfmt_register() {
	_hb_view 'for s in "$@"; do printf "%s" "$s" >register || exit 1; done' "$@" ||
		{ echo "host_binfmt_register: the kernel refused one of: $*" >&2; return 1; }
}

host_binfmt_remove() {
	_hb_view 'for e in "$@"; do
			[ -e "$e" ] || continue
			echo -1 >"$e" || { echo "cannot remove entry $e" >&2; exit 1; }
		done' "$@"
}

host_binfmt_snapshot() {
	local dir=$1
	[ -n "$dir" ] || { echo "host_binfmt_snapshot: no folder given" >&2; return 2; }
	rm -rf "$dir" && mkdir -p "$dir/entries" || return 1
	host_binfmt_mount_lines >"$dir/mounts" || return 1
	_hb_view '
		d=$1
		cat status >"$d/status" || exit 1
		ls -A1 | grep -vx -e register -e status | while IFS= read -r e; do
			cat "./$e" >"$d/entries/$e" || { echo "cannot read entry $e" >&2; exit 1; }
		done' "$dir" ||
		{ echo "host_binfmt_snapshot: cannot read the instance" >&2; return 1; }
}

host_binfmt_compare() {
	_hb_compare "$1" .
}

host_binfmt_compare_others() {
	_hb_compare "$1" entries -x 'qemu-*'
}

# diff -r [OPTIONS...] of the snapshot DIR's PART (. or entries) and now's.
_hb_compare() { # DIR PART [DIFF OPTION...]
	local want=$1 part=$2 now out rc=0
	shift 2
	now=$(mktemp -d "${TMPDIR:-/tmp}/qus-binfmt-now.XXXXXX") || return 1
	if host_binfmt_snapshot "$now"; then
		out=$(diff -r "$@" "$want/$part" "$now/$part") || rc=1
		[ -z "$out" ] || printf '%s\n' "$out" | sed "s|$now/\./|now/|g; s|$want/\./|recorded/|g; s|$now|now|g; s|$want|recorded|g"
	else
		rc=1
	fi
	rm -rf "$now"
	return "$rc"
}

# The kernel's hex (7f454c46) as the escapes it decodes (\x7f\x45\x4c\x46).
_hb_escaped() {
	local hex=$1 out="" i
	for ((i = 0; i < ${#hex}; i += 2)); do
		out+="\\x${hex:i:2}"
	done
	printf '%s' "$out"
}

# The entry names a snapshot DIR holds, sorted.
host_binfmt_recorded_names() {
	find "$1/entries" -mindepth 1 -maxdepth 1 -type f -printf '%f\n' | LC_ALL=C sort
}

# The register string for the entry whose kernel text is in FILE (its name
# is the file's). Fields: magic and mask as \xHH escapes of the kernel's hex,
# flags as read back (O and C are written as such); the delimiter is the
# first character no field holds.
_hb_register_string() {
	local file=$1 name line state="" interp="" flags="" offset="" magic="" mask="" ext="" type=M d
	name=${file##*/}
	{
		IFS= read -r state
		while IFS= read -r line; do
			case $line in
			"interpreter "*) interp=${line#interpreter } ;;
			"flags: "*) flags=${line#flags: } ;;
			"offset "*) offset=${line#offset } ;;
			"magic "*) magic=$(_hb_escaped "${line#magic }") ;;
			"mask "*) mask=$(_hb_escaped "${line#mask }") ;;
			"extension ."*) ext=${line#extension .} type=E ;;
			*) echo "entry $name: unknown line '$line'" >&2; return 1 ;;
			esac
		done
	} <"$file"
	case $state in enabled | disabled) ;; *) echo "entry $name: unknown state '$state'" >&2; return 1 ;; esac
	[ -n "$interp" ] || { echo "entry $name: no interpreter" >&2; return 1; }
	[ "$type" = E ] && magic=$ext offset=""
	for d in : '|' '#' ',' ';' '!' '@' '%' '^' '~' '='; do
		case "$name$interp$flags$magic$offset" in *"$d"*) continue ;; esac
		printf '%s\n' "$d$name${d}$type$d$offset$d$magic$d$mask$d$interp$d$flags"
		return 0
	done
	echo "entry $name: every delimiter occurs in its fields" >&2
	return 1
}

# The emulator folder (of HOST_BINFMT_EMULATORS) that holds every file named.
_hb_emulator_dir() {
	local dirs=${HOST_BINFMT_EMULATORS:-${QEMU_BIN:-}} dir f ok
	local IFS=:
	for dir in $dirs; do
		[ -n "$dir" ] || continue
		ok=1
		for f in "$@"; do
			[ -f "$dir/$f" ] || { ok=0; break; }
		done
		[ "$ok" = 1 ] && { echo "$dir"; return 0; }
	done
	return 1
}

# Does the entry text in FILE have flag F?
_hb_has_f() {
	grep -q '^flags: .*F' "$1"
}

# The interpreter named in the entry text in FILE.
_hb_interpreter() {
	sed -n 's/^interpreter //p' "$1"
}

# Re-create the recorded entries FILE... (kernel texts, named by entry).
# Those with F whose interpreter is missing here are written in a private
# mount namespace where an emulator folder covers the interpreter's folder.
_hb_recreate() {
	local f s interp dir src rc=0
	local -a direct=() disabled=()
	local -A by_dir=()
	for f in "$@"; do
		s=$(_hb_register_string "$f") || { rc=1; continue; }
		interp=$(_hb_interpreter "$f")
		if _hb_has_f "$f" && ! _hb_enter test -e "$interp"; then
			by_dir[${interp%/*}]+="$f"$'\n'
		else
			direct+=("$s")
		fi
		[ "$(head -n 1 "$f")" = disabled ] && disabled+=("${f##*/}")
	done
	if [ "${#direct[@]}" -gt 0 ]; then
		host_binfmt_register "${direct[@]}" || rc=1
	fi
	for dir in "${!by_dir[@]}"; do
		local -a strings=() files=() bases=()
		mapfile -t files < <(printf '%s' "${by_dir[$dir]}")
		for f in "${files[@]}"; do
			strings+=("$(_hb_register_string "$f")")
			interp=$(_hb_interpreter "$f")
			bases+=("${interp##*/}")
		done
		if ! _hb_enter test -d "$dir"; then
			echo "cannot re-create ${files[*]##*/}: their interpreters' folder $dir does not exist here" >&2
			rc=1
			continue
		fi
		if ! src=$(_hb_emulator_dir "${bases[@]}"); then
			echo "cannot re-create ${files[*]##*/} (flag F): $dir/{${bases[*]}} are not here, and no folder of HOST_BINFMT_EMULATORS (${HOST_BINFMT_EMULATORS:-${QEMU_BIN:-unset}}) holds them all" >&2
			rc=1
			continue
		fi
		# After the bind, only the shell's builtins are left to run.
		_hb_view 'src=$1 dir=$2
			shift 2
			mount --bind "$src" "$dir" || exit 1
			for s in "$@"; do printf "%s" "$s" >register || exit 1; done' "$src" "$dir" "${strings[@]}" ||
			{ echo "cannot re-create ${files[*]##*/} through $src bound over $dir" >&2; rc=1; }
	done
	if [ "${#disabled[@]}" -gt 0 ]; then
		_hb_view 'for e in "$@"; do echo 0 >"$e" || exit 1; done' "${disabled[@]}" || rc=1
	fi
	return "$rc"
}

# Can every entry DIR recorded be written again here (those with F: their
# interpreter is here, or an emulator folder holds it)? Says which cannot.
host_binfmt_restorable() {
	local -a files=()
	mapfile -t files < <(host_binfmt_recorded_names "$1" | sed "s|^|$1/entries/|")
	[ "${#files[@]}" -eq 0 ] || _hb_recreatable "${files[@]}"
}

# Are all the recorded entries FILE... re-creatable here (F ones: interpreter
# present, or in an emulator folder)? Says which is not.
_hb_recreatable() {
	local f interp
	for f in "$@"; do
		_hb_has_f "$f" || continue
		interp=$(_hb_interpreter "$f")
		_hb_enter test -e "$interp" && continue
		_hb_enter test -d "${interp%/*}" && _hb_emulator_dir "${interp##*/}" >/dev/null && continue
		echo "entry ${f##*/} (flag F): $interp is not here and no emulator folder holds ${interp##*/}"
		return 1
	done
}

host_binfmt_restore() {
	local want=$1 rc=0 n line opts src have count now_dir name missing=() foreign
	[ -d "$want/entries" ] || { echo "host_binfmt_restore: $want is not a snapshot" >&2; return 2; }
	# 1. As many mounts at $BINFMT as recorded, with the recorded options.
	count=$(awk -v p="$BINFMT" '$2 == p && $3 == "binfmt_misc" { n++ } END { print n + 0 }' "$want/mounts")
	have=$(_hb_mount_count)
	n=0
	while IFS= read -r line; do
		read -r src _ _ opts _ <<<"$line"
		n=$((n + 1))
		[ "$n" -gt "$have" ] || continue
		_hb_enter mount -t binfmt_misc -o "$opts" "$src" "$BINFMT" ||
			{ echo "host_binfmt_restore: cannot mount binfmt_misc at $BINFMT" >&2; return 1; }
	done < <(awk -v p="$BINFMT" '$2 == p && $3 == "binfmt_misc"' "$want/mounts")

	# 2. The entries: qemu-* ones that are new or changed go; every recorded
	# one that is missing is written again.
	now_dir=$(mktemp -d "${TMPDIR:-/tmp}/qus-binfmt-now.XXXXXX") || return 1
	host_binfmt_snapshot "$now_dir" || { rm -rf "$now_dir"; return 1; }
	local -a remove=() names=()
	mapfile -t names < <(host_binfmt_recorded_names "$now_dir")
	for name in "${names[@]}"; do
		if [ -f "$want/entries/$name" ] && cmp -s "$want/entries/$name" "$now_dir/entries/$name"; then
			continue
		fi
		case $name in
		qemu-*) remove+=("$name") ;;
		*)
			echo "host_binfmt_restore: another tool's entry $name $([ -f "$want/entries/$name" ] && echo changed || echo appeared) since the snapshot; left alone" >&2
			rc=1
			;;
		esac
	done
	if [ "${#remove[@]}" -gt 0 ]; then
		host_binfmt_remove "${remove[@]}" || rc=1
	fi
	mapfile -t names < <(host_binfmt_recorded_names "$want")
	for name in "${names[@]}"; do
		if [ -f "$now_dir/entries/$name" ] && ! printf '%s\n' "${remove[@]}" | grep -qxF -- "$name"; then
			continue
		fi
		case $name in
		qemu-*) ;;
		*)
			echo "host_binfmt_restore: another tool's entry $name had vanished; written again as recorded" >&2
			rc=1
			;;
		esac
		missing+=("$want/entries/$name")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		_hb_recreate "${missing[@]}" || rc=1
	fi
	# 3. The status (0/1 only: -1 to status would remove every entry).
	if ! cmp -s "$want/status" "$now_dir/status"; then
		case $(cat "$want/status") in
		enabled) _hb_view 'echo 1 >status' || rc=1 ;;
		disabled) _hb_view 'echo 0 >status' || rc=1 ;;
		esac
	fi
	rm -rf "$now_dir"

	# 4. Mounts made since: unmounted, unless the last one would take with it
	# entries that were not there (the instance dies with its last mount).
	have=$(_hb_mount_count)
	if [ "$have" -gt "$count" ]; then
		foreign=$(host_binfmt_names | while IFS= read -r name; do [ -f "$want/entries/$name" ] || echo "$name"; done)
		if [ "$count" -eq 0 ] && [ -n "$foreign" ] &&
			[ "$(host_binfmt_mount_lines | awk '$3 == "binfmt_misc"' | wc -l)" -eq "$have" ]; then
			echo "host_binfmt_restore: not unmounting $BINFMT: the entries $(echo "$foreign" | tr '\n' ' ')would go with the last mount" >&2
			return 1
		fi
		for ((n = have; n > count; n--)); do
			_hb_enter umount "$BINFMT" || { echo "host_binfmt_restore: cannot unmount $BINFMT" >&2; return 1; }
		done
	fi
	return "$rc"
}

host_binfmt_make_bare() {
	local want=$1 foreign why
	foreign=$(host_binfmt_foreign_names) || return 1
	if [ -n "$foreign" ]; then
		echo "other tools' entries are registered ($(echo "$foreign" | tr '\n' ' ')): unmounting would destroy them"
		return 1
	fi
	if [ "$(host_binfmt_mount_lines | awk -v p="$BINFMT" '$3 == "binfmt_misc" && $2 != p' | wc -l)" -gt 0 ]; then
		echo "binfmt_misc is mounted elsewhere too: $(host_binfmt_mount_lines | tr '\n' ';')"
		return 1
	fi
	why=$(host_binfmt_restorable "$want") || { echo "$why"; return 1; }
	local -a ours=()
	mapfile -t ours < <(host_binfmt_names)
	if [ "${#ours[@]}" -gt 0 ]; then
		host_binfmt_remove "${ours[@]}" || return 1
	fi
	while [ "$(_hb_mount_count)" -gt 0 ]; do
		_hb_enter umount "$BINFMT" || { echo "cannot unmount $BINFMT"; return 1; }
	done
	[ -z "$(host_binfmt_names)" ] || { echo "entries are left: $(host_binfmt_names | tr '\n' ' ')"; return 1; }
}

# bats: the host is as DIR recorded, byte for byte.
assert_host_binfmt_restored() {
	local diff
	diff=$(host_binfmt_compare "$1") || fail "the host's binfmt_misc differs from the snapshot $1:
$diff"
}
