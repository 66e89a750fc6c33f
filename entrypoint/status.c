#include "status.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "probe.h"
#include "targets.h"
#include "report.h"

/* JSON arrays of strings, indented as Go's json.MarshalIndent does, which
 * is what tonistiigi/binfmt prints: opened, items one by one, closed. */
static void json_array_open(const char *key)
{
	printf("  \"%s\": [", key);
}

static void json_array_item(const char *item, size_t index)
{
	printf("%s\n    ", index ? "," : "");
	report_json_string(item);
}

static void json_array_close(size_t count, bool last)
{
	printf("%s]%s\n", count ? "\n  " : "", last ? "" : ",");
}

static bool listed(const char *const *list, size_t count, const char *s)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

static size_t supported_platforms(const char **out, size_t max)
{
	size_t n = probe_native_platforms(out, max);

	for (size_t i = 0; i < probe_count && n < max; i++)
		if (!listed(out, n, probes[i].platform) && probe_ran(i))
			out[n++] = probes[i].platform;
	return n;
}

int status_json(const struct binfmt *b)
{
	struct binfmt_names names;
	const char *supported[64];
	size_t n_supported = supported_platforms(supported, 64);
	size_t n_enabled = 0;
	int r = binfmt_list(b, &names);

	if (r != 0)
		return r;
	printf("{\n");
	json_array_open("supported");
	for (size_t i = 0; i < n_supported; i++)
		json_array_item(supported[i], i);
	json_array_close(n_supported, false);
	/* Printed as they are read: there may be any number of them. */
	json_array_open("emulators");
	for (size_t i = 0; i < names.count; i++) {
		struct binfmt_entry e;
		if (binfmt_read(b, names.names[i], &e) == 0 && e.enabled)
			json_array_item(names.names[i], n_enabled++);
	}
	json_array_close(n_enabled, true);
	printf("}\n");
	binfmt_names_release(&names);
	return 0;
}

/* The probe that shows whether the entry for target T works, if any. */
static const char *probe_result(const struct target *t, bool probing)
{
	if (t == NULL)
		return "-";
	for (size_t i = 0; i < probe_count; i++)
		if (strcmp(probes[i].target, t->name) == 0)
			return !probing ? "skipped" : probe_ran(i) ? "ok" : "failed";
	return "-";
}

static const struct target *target_of_entry(const char *name)
{
	return strncmp(name, "qemu-", 5) == 0 ? target_by_name(name + 5) : NULL;
}

/* PROBING: whether a probe run here goes through these entries. */
static void table_row(const char *name, const struct binfmt_entry *e, bool json, bool first,
		      bool probing)
{
	const struct target *t = target_of_entry(name);
	char flags[5];

	binfmt_flags_format(e->flags, flags);
	if (!json) {
		/* The kernel's names and paths are anyone's: escaped. */
		char shown[4 * BINFMT_FIELD_MAX];

		report_escape(name, shown, sizeof(shown));
		printf("%-18s %-13s %-8s %-5s %-7s ", shown, t != NULL ? t->name : "-",
		       e->enabled ? "enabled" : "disabled", flags[0] ? flags : "-",
		       probe_result(t, probing));
		report_text(e->interpreter);
		putchar('\n');
		return;
	}
	printf("%s\n  {\"entry\": ", first ? "" : ",");
	report_json_string(name);
	printf(", \"target\": ");
	if (t != NULL)
		report_json_string(t->name);
	else
		printf("null");
	printf(", \"interpreter\": ");
	report_json_string(e->interpreter);
	printf(", \"flags\": \"%s\", \"enabled\": %s, \"probe\": \"%s\"}", flags,
	       e->enabled ? "true" : "false", probe_result(t, probing));
}

int status_table(const struct binfmt *b, bool json)
{
	bool probing = binfmt_serves_this_process(b);
	struct binfmt_names names;
	bool first = true;
	int r = binfmt_list(b, &names);

	if (r != 0)
		return r;
	if (json)
		printf("[");
	else
		printf("%-18s %-13s %-8s %-5s %-7s %s\n", "ENTRY", "TARGET", "STATE", "FLAGS",
		       "PROBE", "INTERPRETER");
	for (size_t i = 0; i < names.count; i++) {
		struct binfmt_entry e;
		int unread = binfmt_read(b, names.names[i], &e);

		if (unread != 0) {
			if (!json) {
				char shown[4 * BINFMT_FIELD_MAX];

				report_escape(names.names[i], shown, sizeof(shown));
				printf("%-18s (cannot read: %s)\n", shown, strerror(unread));
			}
			continue;
		}
		table_row(names.names[i], &e, json, first, probing);
		first = false;
	}
	if (json)
		printf("%s]\n", first ? "" : "\n");
	binfmt_names_release(&names);
	return 0;
}
