#include "glob.h"

#include <stddef.h>

/* Match one bracket expression at P against C; *END gets what follows it.
 * A bracket without its closing `]` matches a literal `[`. */
static bool match_set(const char *p, char c, const char **end)
{
	bool negate = *p == '!';
	bool found = false;
	const char *q = p + negate;

	do {
		if (*q == '\0') {
			*end = p;
			return c == '[';
		}
		if (q[1] == '-' && q[2] != ']' && q[2] != '\0') {
			found |= c >= q[0] && c <= q[2];
			q += 3;
		} else {
			found |= c == *q++;
		}
	} while (*q != ']');
	*end = q + 1;
	return found != negate;
}

bool glob_match(const char *pattern, const char *s)
{
	const char *star = NULL;  /* where to resume after the last `*` */
	const char *resume = NULL;

	while (*s != '\0') {
		const char *next = pattern + 1;
		bool ok;

		if (*pattern == '*') {
			star = ++pattern;
			resume = s;
			continue;
		}
		if (*pattern == '[')
			ok = match_set(pattern + 1, *s, &next);
		else
			ok = *pattern != '\0' && (*pattern == '?' || *pattern == *s);
		if (ok) {
			pattern = next;
			s++;
		} else if (star != NULL) {
			pattern = star;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}
