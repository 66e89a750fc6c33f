/* --watch SECONDS: stay in the foreground and keep the entries registered. */
#ifndef QUS_WATCH_H
#define QUS_WATCH_H

#include "binfmt.h"
#include "plan.h"

/* Every SECONDS, re-create each planned entry that vanished or changed
 * (a systemd-binfmt restart or another tool may flush them at any time),
 * logging each repair. Returns 0 on SIGTERM or SIGINT, with the entries
 * left in place; reaps children meanwhile, as PID 1 must. */
int watch_run(const struct binfmt *b, const struct plan *p, unsigned seconds);

#endif
