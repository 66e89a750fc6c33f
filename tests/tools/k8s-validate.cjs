#!/usr/bin/env node
// k8s-validate FILE...: validate every Kubernetes object in the YAML FILEs
// offline, against the API schemas that the kubernetes-models package carries
// (what `kubectl apply --dry-run=server --validate=strict` would check, without
// a cluster):
//   - each document's apiVersion and kind must name a known type;
//   - the object must satisfy that type's schema (types, required fields,
//     enums, formats such as quantities);
//   - no field may be unknown to the schema (strict field validation). The
//     generated validators read every property their schema defines, so the
//     object is handed to them behind a Proxy that records which keys were
//     read; a key that was never read is one the schema does not know (maps
//     such as labels or resources.limits are enumerated, so all their keys
//     count as read).
// Prints "ok KIND NAMESPACE/NAME" per object; exit 1 on any finding, 2 on usage.
"use strict";
const fs = require("node:fs");
const YAML = require("yaml");

function modelOf(apiVersion, kind) {
	if (typeof apiVersion !== "string" || typeof kind !== "string" || !/^[A-Za-z0-9]+$/.test(kind))
		return null;
	const mod = `kubernetes-models/${apiVersion}/${kind}`;
	try {
		return require(mod)[kind];
	} catch {
		return null;
	}
}

// Wrap VALUE so that every key read by the validator is recorded in SEEN
// (a Map from each plain object to its path and the set of keys read).
function recorder(value, seen) {
	const proxies = new WeakMap();
	function wrap(v, path) {
		if (v === null || typeof v !== "object") return v;
		if (proxies.has(v)) return proxies.get(v);
		const read = new Set();
		seen.set(v, { path, read });
		const p = new Proxy(v, {
			get(target, key, receiver) {
				const x = Reflect.get(target, key, receiver);
				if (typeof key !== "string") return x;
				read.add(key);
				return Object.prototype.hasOwnProperty.call(target, key) ? wrap(x, `${path}/${key}`) : x;
			},
			ownKeys(target) {
				const keys = Reflect.ownKeys(target);
				for (const k of keys) read.add(k);
				return keys;
			},
		});
		proxies.set(v, p);
		return p;
	}
	return wrap(value, "");
}

function validateObject(obj, where) {
	const problems = [];
	if (obj === null || typeof obj !== "object" || Array.isArray(obj))
		return [`${where}: not a Kubernetes object`];
	const Model = modelOf(obj.apiVersion, obj.kind);
	if (!Model) return [`${where}: unknown apiVersion/kind ${obj.apiVersion}/${obj.kind}`];
	const seen = new Map();
	try {
		Model.prototype.validate.call(recorder(obj, seen));
	} catch (e) {
		for (const err of e.errors || [{ instancePath: "", message: e.message }])
			problems.push(`${where}: ${err.instancePath || "/"} ${err.message}` +
				(err.params && err.params.allowedValues ? ` (${err.params.allowedValues.join(", ")})` : ""));
	}
	for (const [o, { path, read }] of seen) {
		if (Array.isArray(o)) continue;
		for (const k of Object.keys(o))
			if (!read.has(k)) problems.push(`${where}: ${path}/${k} is not a field of ${obj.kind}`);
	}
	return problems;
}

function main(files) {
	if (files.length === 0) {
		process.stderr.write("usage: k8s-validate FILE...\n");
		return 2;
	}
	let bad = 0;
	for (const file of files) {
		const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"), { uniqueKeys: true });
		docs.forEach((doc, i) => {
			const where = `${file}#${i + 1}`;
			const errs = [...doc.errors, ...doc.warnings].map((e) => `${where}: ${e.message}`);
			const obj = errs.length ? null : doc.toJS();
			const problems = errs.length ? errs : obj === null ? [] : validateObject(obj, where);
			for (const p of problems) process.stderr.write(p + "\n");
			bad += problems.length;
			if (!problems.length && obj !== null) {
				const md = obj.metadata || {};
				process.stdout.write(`ok ${obj.kind} ${md.namespace || "-"}/${md.name || "-"}\n`);
			}
		});
	}
	return bad ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
