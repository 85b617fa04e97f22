/* alloc: allocation wrappers that abort on exhaustion, as Redis and jq do. */
#ifndef SOCKLOCK_ALLOC_H
#define SOCKLOCK_ALLOC_H

#include <stddef.h>

#include <jansson.h>

#include "socklock/common.h"

/* Installs the aborting allocators into jansson. Call once, before any other thread runs. */
void sl_alloc_init(void);

/* These never return NULL: on exhaustion they print a message and abort. Caller frees. */
void *sl_xmalloc(size_t n) SL_RETURNS_NONNULL;
void *sl_xcalloc(size_t count, size_t size) SL_RETURNS_NONNULL;
void *sl_xrealloc(void *p, size_t n) SL_RETURNS_NONNULL;
char *sl_xstrdup(const char *s) SL_RETURNS_NONNULL;
char *sl_xstrndup(const char *s, size_t n) SL_RETURNS_NONNULL;
/* printf into a new string. Caller frees. */
char *sl_xasprintf(const char *fmt, ...) SL_PRINTF(1, 2) SL_RETURNS_NONNULL;

/* A per-thread arena for the jansson values of one request. Between sl_arena_begin() and
 * sl_arena_end() on a thread, every allocation jansson makes on that thread comes from the
 * arena (a bump pointer into chunks the thread keeps), and jansson's frees of them cost
 * nothing; sl_arena_end() takes all of it back at once. This removes malloc and free from
 * the request path, where they were a quarter of the server's CPU time.
 *
 * The rule that makes it safe: no jansson value or string made inside the arena may be used
 * after sl_arena_end(). Values made before sl_arena_begin() may be used and released inside.
 * Calls do not nest. Under AddressSanitizer every allocation keeps a poisoned red zone and
 * the whole arena is poisoned at the end, so overruns and use after the end are reported. */
void sl_arena_begin(void);
void sl_arena_end(void);
/* Bytes the calling thread's arena handed out since sl_arena_begin() (for tests). */
size_t sl_arena_used(void);

/* For a long-running server: memory a request used goes back to the system once it is
 * done. glibc raises its mmap threshold each time it frees a mapped block, after which large
 * blocks (request bodies, arena chunks) come from the heap and their pages stay resident
 * after a peak; this fixes the threshold at SL_ALLOC_MMAP_THRESHOLD, so such blocks are
 * mapped and unmapped with their request. Call once at start. */
#define SL_ALLOC_MMAP_THRESHOLD ((size_t)128 * 1024)
void sl_alloc_tune_for_server(void);

/* Gives the heap's free pages back to the system (malloc_trim): for after a request that
 * used far more than usual. Costs a walk of the heap, so not for every request. */
void sl_alloc_trim(void);

/* Releases v, a value the caller owns. When the calling thread's arena is active and v was
 * allocated from it, nothing is done: sl_arena_end() takes it back with the rest, without
 * walking the tree. Otherwise json_decref(v). A tree must be made wholly inside the arena or
 * wholly outside it. Code that releases its values this way is correct with or without an
 * arena (and without sl_alloc_init()). Accepts NULL. Steals v. */
void sl_arena_release(json_t *v);

#endif
