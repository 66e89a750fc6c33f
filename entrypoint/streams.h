/* The standard streams, which whoever started register chose: they may be
 * closed, a pipe whose reader has gone, or a full disk. None of that may
 * put register's own words into the kernel's files, stop it halfway, or go
 * unnoticed in its exit status. */
#ifndef QUS_STREAMS_H
#define QUS_STREAMS_H

/* First thing in main: make descriptors 0-2 safe to write to (a closed one
 * becomes /dev/null, before anything else can take its number), and make
 * a write to a pipe without reader fail (EPIPE) instead of killing. */
void streams_guard(void);

/* Flush stdout, remembering why when that fails. */
void streams_flush_stdout(void);

/* The same, right after one large write to stdout (stdio writes what does
 * not fit its buffer at once): its errno, when it failed, is still fresh. */
void streams_after_large_write(void);

/* Last thing in main: when some of stdout's output was lost, say so on
 * stderr, and return STATUS, or EXIT_OUTPUT_LOST when STATUS was 0. */
int streams_finish(int status);

#endif
