#include "watch.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "report.h"

static void reap_children(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Put back what is missing or different; leave alone what an administrator
 * disabled (reported once), as a plain registration would. */
static void repair(const struct binfmt *b, const struct plan *p, bool *told_disabled)
{
	char err[256];

	if (binfmt_recheck(b, err, sizeof(err)) != 0) {
		report_error("watch: %s", err);
		return;
	}
	for (size_t i = 0; i < p->count; i++) {
		const struct plan_item *item = &p->items[i];
		struct binfmt_entry e;
		int r;

		if (item->action != PLAN_REGISTER)
			continue;
		r = binfmt_read(b, item->entry_name, &e);
		if (r == 0 && plan_item_matches(p, item, &e)) {
			if (!e.enabled && !told_disabled[i])
				report_warning("watch: %s is disabled (0 was written to it); left "
					       "as is", item->entry_name);
			told_disabled[i] = !e.enabled;
			continue;
		}
		bool existed = r == 0;
		if (existed && binfmt_remove(b, item->entry_name) != 0)
			continue;
		r = binfmt_register(b, item->line, item->line_len);
		if (r == 0)
			report_note("watch: re-created %s (it had %s)", item->entry_name,
				    existed ? "changed" : "vanished");
		else if (r != EEXIST)  /* EEXIST: another process put it back */
			report_error("watch: cannot re-create %s: %s", item->entry_name,
				     strerror(r));
	}
}

static struct timespec until(const struct timespec *deadline)
{
	struct timespec now;
	struct timespec left = { 0, 0 };

	clock_gettime(CLOCK_MONOTONIC, &now);
	left.tv_sec = deadline->tv_sec - now.tv_sec;
	left.tv_nsec = deadline->tv_nsec - now.tv_nsec;
	if (left.tv_nsec < 0) {
		left.tv_nsec += 1000000000L;
		left.tv_sec--;
	}
	if (left.tv_sec < 0)
		left.tv_sec = left.tv_nsec = 0;
	return left;
}

int watch_run(const struct binfmt *b, const struct plan *p, unsigned seconds)
{
	bool told_disabled[TARGET_COUNT] = { false };
	sigset_t set;

	/* Signals are taken synchronously: no handler runs in the middle of a
	 * repair, and as PID 1 (where unhandled signals are ignored) SIGTERM
	 * still ends the watch. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	report_note("watch: checking the entries every %u s; SIGTERM or SIGINT ends the watch",
		    seconds);
	for (;;) {
		struct timespec deadline;

		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += seconds;
		for (;;) {
			struct timespec left = until(&deadline);
			int sig;

			if (left.tv_sec == 0 && left.tv_nsec == 0)
				break;
			sig = sigtimedwait(&set, NULL, &left);
			if (sig == SIGTERM || sig == SIGINT) {
				report_note("watch: stopped by %s; the entries stay registered",
					    sig == SIGTERM ? "SIGTERM" : "SIGINT");
				return 0;
			}
			if (sig == SIGCHLD)
				reap_children();
			else if (sig < 0 && errno == EAGAIN)
				break;
		}
		reap_children();
		repair(b, p, told_disabled);
	}
}
