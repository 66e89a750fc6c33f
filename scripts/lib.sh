# Shared by the project's shell scripts (scripts/*, qemu-static/fetch,
# tests/fixtures/fetch, tests/helpers/debootstrap-cache, containers/*,
# bench/*): messages, failure, usage. Every message goes to stderr and starts
# with "$prog: ", the name the sourcing script sets before sourcing this
# (default: its file name), so that a user sees which tool said it.
#
#   prog=qemu-static/fetch
#   # shellcheck source=scripts/lib.sh
#   . "$repo_root/scripts/lib.sh"
# shellcheck shell=bash

: "${prog:=${0##*/}}"

# die STATUS MESSAGE...: say what went wrong and exit with STATUS, which
# each script documents (1 failure, 2 usage, more where callers must tell
# causes apart).
die() {
	local status=$1
	shift
	printf '%s: %s\n' "$prog" "$*" >&2
	exit "$status"
}

# note MESSAGE...: progress or a remark; the run goes on.
note() {
	printf '%s: %s\n' "$prog" "$*" >&2
}

# usage STATUS: the script's header comment (from line 2 up to its
# `set -euo pipefail`), without the '# ', and exit STATUS.
usage() {
	sed -n '2,/^set -euo pipefail$/{/^#/{s/^# \{0,1\}//;p}}' "$0" >&2
	exit "$1"
}
