#!/usr/bin/env node
// yaml2json FILE: print the YAML documents of FILE as one JSON array, so that
// the suites query manifests and workflows with jq. Duplicate keys, YAML
// errors and warnings fail (exit 1) instead of being silently resolved.
"use strict";
const fs = require("node:fs");
const YAML = require("yaml");

function main(argv) {
	if (argv.length !== 1) {
		process.stderr.write("usage: yaml2json FILE\n");
		return 2;
	}
	const docs = YAML.parseAllDocuments(fs.readFileSync(argv[0], "utf8"), {
		uniqueKeys: true,
		prettyErrors: true,
	});
	let bad = 0;
	for (const doc of docs) {
		for (const e of [...doc.errors, ...doc.warnings]) {
			process.stderr.write(`${argv[0]}: ${e.message}\n`);
			bad++;
		}
	}
	if (bad) return 1;
	process.stdout.write(JSON.stringify(docs.map((d) => d.toJS())) + "\n");
	return 0;
}

process.exitCode = main(process.argv.slice(2));
