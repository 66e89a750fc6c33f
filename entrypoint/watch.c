#include "watch.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <time.h>

#include "report.h"

static void reap_children(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
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

static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGCHLD);
}

void watch_hold_signals(void)
{
	sigset_t set;

	stop_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

/* Wait until DEADLINE, reaping children. True when SIGTERM or SIGINT came. */
static bool wait_for_stop(const sigset_t *set, const struct timespec *deadline)
{
	for (;;) {
		struct timespec left = until(deadline);
		int sig;

		if (left.tv_sec == 0 && left.tv_nsec == 0)
			return false;
		sig = sigtimedwait(set, NULL, &left);
		if (sig == SIGTERM || sig == SIGINT) {
			report_note("watch: stopped by %s; the entries stay registered",
				    sig == SIGTERM ? "SIGTERM" : "SIGINT");
			return true;
		}
		if (sig == SIGCHLD)
			reap_children();
		else if (sig < 0 && errno == EAGAIN)
			return false;
	}
}

void watch_run(struct apply *a, unsigned seconds)
{
	sigset_t set;

	/* Signals are taken synchronously: no handler runs in the middle of a
	 * repair, and as PID 1 (where unhandled signals are ignored) SIGTERM
	 * still ends the watch. */
	watch_hold_signals();
	stop_signals(&set);
	report_note("watch: checking the entries every %u s; SIGTERM or SIGINT ends the watch",
		    seconds);
	for (;;) {
		struct timespec deadline;

		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += seconds;
		if (wait_for_stop(&set, &deadline))
			return;
		reap_children();
		apply_repair(a);
	}
}
