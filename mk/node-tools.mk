# Offline validators for the Kubernetes manifest and the GitHub workflows
# (tests/kubernetes.bats, tests/github.bats): npm packages pinned by
# tests/tools/package-lock.json (versions and integrity hashes), installed
# with `npm ci` into tests/tools/node_modules (gitignored). Needs node >= 20
# and npm. Installed again only when the package files change.

NODE_TOOLS_DIR := tests/tools
NODE_TOOLS_STAMP := $(NODE_TOOLS_DIR)/node_modules/.installed

.PHONY: node-tools
node-tools: $(NODE_TOOLS_STAMP)

$(NODE_TOOLS_STAMP): $(NODE_TOOLS_DIR)/package.json $(NODE_TOOLS_DIR)/package-lock.json
	@command -v node >/dev/null && command -v npm >/dev/null || \
		{ echo "node-tools: node and npm are needed (apt-get install nodejs npm)" >&2; exit 1; }
	cd $(NODE_TOOLS_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

TEST_PREREQS += node-tools
