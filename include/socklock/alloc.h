/* alloc: allocation wrappers that abort on exhaustion, as Redis and jq do. */
#ifndef SOCKLOCK_ALLOC_H
#define SOCKLOCK_ALLOC_H

#include <stddef.h>

#include "socklock/common.h"

/* Installs the aborting allocators into jansson. Call once, before any other thread runs. */
void sl_alloc_init(void);

/* These never return NULL: on exhaustion they print a message and abort. Caller frees. */
void *sl_xmalloc(size_t n);
void *sl_xcalloc(size_t count, size_t size);
void *sl_xrealloc(void *p, size_t n);
char *sl_xstrdup(const char *s);
char *sl_xstrndup(const char *s, size_t n);
/* printf into a new string. Caller frees. */
char *sl_xasprintf(const char *fmt, ...) SL_PRINTF(1, 2);

#endif
