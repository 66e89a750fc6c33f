#include "words.h"

#include <string.h>

int words_next(const char **cursor, char *word, size_t size)
{
	const char *s = *cursor;
	const char *comma;
	size_t n;

	if (*s == '\0')
		return 0;
	comma = strchr(s, ',');
	n = comma != NULL ? (size_t)(comma - s) : strlen(s);
	*cursor = s + n + (comma != NULL);
	if (size == 0)
		return -1;
	if (n >= size) {
		memcpy(word, s, size - 1);
		word[size - 1] = '\0';
		return -1;
	}
	memcpy(word, s, n);
	word[n] = '\0';
	return n == 0 ? -1 : 1;
}
