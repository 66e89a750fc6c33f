#!/usr/bin/env node
// run-composite ACTION_YML [NAME=VALUE...]: run a composite action's steps
// here, as the runner does, so that a test can give it inputs and read its
// outputs: each `run:` step goes to `bash --noprofile --norc -eo pipefail`
// (the runner's bash) with the step's env, GITHUB_OUTPUT and
// GITHUB_ACTION_PATH (the action's folder unless set). Inputs not given
// take the action's defaults.
// Expressions: only ${{ inputs.NAME }} and ${{ steps.ID.outputs.NAME }} are
// understood, and only in env and outputs values; anything else (an
// expression in a script, a `uses:` step, another shell) fails, so that the
// action cannot grow a feature this runner silently skips.
// Prints the action's outputs as one JSON object on stdout (the steps' own
// output goes to stderr); exit status 1 when a step
// fails (its status is reported), 2 on usage or an unsupported construct.
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawnSync } = require("node:child_process");
const YAML = require("yaml");

class Unsupported extends Error {}

function evaluate(text, ctx) {
	return String(text).replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_, expr) => {
		let m = /^inputs\.([A-Za-z0-9_-]+)$/.exec(expr);
		if (m) {
			if (!(m[1] in ctx.inputs)) throw new Unsupported(`unknown input ${m[1]}`);
			return ctx.inputs[m[1]];
		}
		m = /^steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)$/.exec(expr);
		if (m) return (ctx.steps[m[1]] || {})[m[2]] || "";
		throw new Unsupported(`expression not understood here: ${expr}`);
	});
}

// GITHUB_OUTPUT's NAME=VALUE lines (the NAME<<EOF form too).
function readOutputs(file) {
	const out = {};
	const lines = fs.readFileSync(file, "utf8").split("\n");
	for (let i = 0; i < lines.length; i++) {
		const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[i]);
		if (heredoc) {
			const value = [];
			for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) value.push(lines[i]);
			out[heredoc[1]] = value.join("\n");
			continue;
		}
		const eq = lines[i].indexOf("=");
		if (eq > 0) out[lines[i].slice(0, eq)] = lines[i].slice(eq + 1);
	}
	return out;
}

function main(argv) {
	if (argv.length < 1) throw new Unsupported("usage: run-composite ACTION_YML [NAME=VALUE...]");
	const file = path.resolve(argv[0]);
	const action = YAML.parse(fs.readFileSync(file, "utf8"), { uniqueKeys: true });
	if (!action.runs || action.runs.using !== "composite") throw new Unsupported("not a composite action");
	const ctx = { inputs: {}, steps: {} };
	for (const [name, spec] of Object.entries(action.inputs || {}))
		ctx.inputs[name] = spec && spec.default !== undefined ? String(spec.default) : "";
	for (const arg of argv.slice(1)) {
		const eq = arg.indexOf("=");
		if (eq < 1 || !(arg.slice(0, eq) in ctx.inputs)) throw new Unsupported(`not an input: ${arg}`);
		ctx.inputs[arg.slice(0, eq)] = arg.slice(eq + 1);
	}
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "composite-"));
	for (const [i, step] of action.runs.steps.entries()) {
		const label = step.name || `step ${i + 1}`;
		if (typeof step.run !== "string" || step.uses) throw new Unsupported(`${label}: only run steps are supported`);
		if (step.shell !== "bash") throw new Unsupported(`${label}: shell ${step.shell} is not supported`);
		if (step.if !== undefined) throw new Unsupported(`${label}: if: is not supported`);
		if (/\$\{\{/.test(step.run)) throw new Unsupported(`${label}: expressions in run: are not supported (use env:)`);
		const output = path.join(tmp, `output.${i}`);
		fs.writeFileSync(output, "");
		const env = { ...process.env, GITHUB_OUTPUT: output };
		env.GITHUB_ACTION_PATH = process.env.GITHUB_ACTION_PATH || path.dirname(file);
		for (const [k, v] of Object.entries(step.env || {})) env[k] = evaluate(v, ctx);
		const script = path.join(tmp, `step.${i}.sh`);
		fs.writeFileSync(script, step.run);
		const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", script],
			{ env, stdio: ["ignore", 2, 2] }); // step logs to stderr: stdout is the outputs
		if (r.status !== 0) {
			process.stderr.write(`run-composite: ${label} failed with status ${r.status}\n`);
			return 1;
		}
		if (step.id) ctx.steps[step.id] = readOutputs(output);
	}
	const outputs = {};
	for (const [name, spec] of Object.entries(action.outputs || {})) outputs[name] = evaluate(spec.value, ctx);
	process.stdout.write(JSON.stringify(outputs) + "\n");
	return 0;
}

try {
	process.exitCode = main(process.argv.slice(2));
} catch (e) {
	if (!(e instanceof Unsupported)) throw e;
	process.stderr.write(`run-composite: ${e.message}\n`);
	process.exitCode = 2;
}
