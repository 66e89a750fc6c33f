/* What the kernel holds and what runs here: the JSON document that
 * docker/setup-qemu-action parses, and a table for people. */
#ifndef QUS_STATUS_H
#define QUS_STATUS_H

#include <stdbool.h>

#include "binfmt.h"

/* {"supported": [platforms], "emulators": [enabled entries]} on stdout:
 * the native platforms plus each platform whose probe ran through the
 * kernel. Returns 0, or the errno when the entries cannot be listed. */
int status_json(const struct binfmt *b);

/* One line per entry: name, target, interpreter, flags, state, probe. With
 * JSON, the same as one JSON array. Returns 0 or errno. */
int status_table(const struct binfmt *b, bool json);

#endif
