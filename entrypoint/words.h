/* Comma-separated lists, as --install and --uninstall take them. */
#ifndef QUS_WORDS_H
#define QUS_WORDS_H

#include <stddef.h>

/* Copy the next word of *CURSOR into WORD (SIZE bytes) and advance past its
 * comma. Returns 1 for a word, 0 at the end, -1 for an empty or too long
 * word (WORD then holds as much as fits). */
int words_next(const char **cursor, char *word, size_t size);

#endif
