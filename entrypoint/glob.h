/* Shell-style patterns, the small subset this program needs. */
#ifndef QUS_GLOB_H
#define QUS_GLOB_H

#include <stdbool.h>

/* Whether S matches PATTERN: `*` any run, `?` one character, `[a-z0-9]`
 * one of a set of characters and ranges (`[!...]` negates). Bytes, not
 * locales: names here are ASCII. (libc's fnmatch would pull in ~10 KB of
 * wide-character tables.) */
bool glob_match(const char *pattern, const char *s);

#endif
