/* Host configuration files: binfmt.d(5) for systemd-binfmt, and templates
 * for Debian's update-binfmts, in the line formats of QEMU's script. */
#ifndef QUS_EXPORT_H
#define QUS_EXPORT_H

#include "cli.h"
#include "plan.h"

/* -s CPU|ALL, -d, -e DIR: write the files for the planned targets.
 * Returns the program's exit status. */
int export_run(const struct options *o, const struct plan *p);

#endif
