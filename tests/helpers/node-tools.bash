# The offline validators of tests/tools (npm packages pinned by its
# package-lock.json, installed by `make node-tools`).
# shellcheck shell=bash

TOOLS=$REPO/tests/tools
export TOOLS

# Fail (never skip) when node or the pinned packages are missing.
require_node_tools() {
	command -v node >/dev/null || fail "node is not installed (apt-get install nodejs npm)"
	[ -e "$TOOLS/node_modules/.installed" ] ||
		fail "the pinned npm packages are not installed: run make node-tools"
}

# node_tool NAME ARGS...: run tests/tools/NAME.cjs.
node_tool() {
	local name=$1
	shift
	node "$TOOLS/$name.cjs" "$@"
}

# yq_json FILE JQ-FILTER [JQ-OPTIONS...]: query a YAML file, parsed by node, with jq.
yq_json() {
	local file=$1 filter=$2
	shift 2
	local json
	json=$(node_tool yaml2json "$file") || return 1
	jq "$@" "$filter" <<<"$json"
}
