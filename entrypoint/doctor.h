/* --doctor [PROGRAM]: explain, in one screen, why foreign programs do or do
 * not run here. Read-only. */
#ifndef QUS_DOCTOR_H
#define QUS_DOCTOR_H

#include "cli.h"

/* Returns the program's exit status: 0 no problem found, 1 otherwise. */
int doctor_run(const struct options *o);

#endif
