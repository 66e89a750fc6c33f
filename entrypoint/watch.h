/* --watch SECONDS: stay in the foreground and keep the entries registered. */
#ifndef QUS_WATCH_H
#define QUS_WATCH_H

#include "apply.h"

/* Hold SIGTERM and SIGINT from now on, so that one arriving before the
 * watch starts (as PID 1, during the first pass's probes) ends the watch
 * at once instead of being lost; SIGCHLD too, to be taken in turn. */
void watch_hold_signals(void);

/* Every SECONDS, apply_repair(A): put back what the first pass put in place
 * and what vanished since (a systemd-binfmt restart or another tool may
 * flush entries at any time), logging each repair. Returns on SIGTERM or
 * SIGINT, with the entries left in place; reaps children meanwhile, as
 * PID 1 must. */
void watch_run(struct apply *a, unsigned seconds);

#endif
