/* The standard streams, which whoever started register chose: they may be
 * closed, a pipe whose reader has gone, or a full disk. None of that may
 * put register's own words into the kernel's files. */
#ifndef QUS_STREAMS_H
#define QUS_STREAMS_H

/* First thing in main: make descriptors 0-2 safe to write to (a closed one
 * becomes /dev/null, before anything else can take its number). */
void streams_guard(void);

#endif
