/* alloc: allocation wrappers that abort on exhaustion. Running out of memory is not a
 * recoverable condition for a webhook (a half-built answer is worse than none), and aborting
 * removes many untestable
 * branches. The same allocators are installed into jansson so that its failures are ours. */
#include "socklock/alloc.h"

#include <assert.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <malloc.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define ARENA_REDZONE  16
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define ARENA_REDZONE  0
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

static void oom(size_t n)
{
    fprintf(stderr, "socklock: out of memory allocating %zu bytes\n", n);
    abort();
}

void *sl_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        oom(n);
    return p;
}

void *sl_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p == NULL)
        oom(count * size);
    return p;
}

void *sl_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        oom(n);
    return q;
}

char *sl_xstrdup(const char *s)
{
    return sl_xstrndup(s, strlen(s));
}

char *sl_xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = sl_xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *sl_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        oom(0);
    char *p = sl_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

/* ---- the per-request arena ------------------------------------------------------------ */

#define ARENA_CHUNK (256u << 10) /* kept per thread between requests */
#define ARENA_ALIGN 16

struct chunk {
    struct chunk *next;
    size_t cap; /* usable bytes after the header */
    size_t used;
    max_align_t data[]; /* aligned start of the usable bytes */
};

struct arena {
    struct chunk *head;  /* the chunk being filled; its `next` are older, fuller ones */
    struct chunk *first; /* the chunk kept between requests (last in the list) */
    size_t handed_out;
    bool active;
};

/* The calling thread's arena. The pthread key exists only so that a thread's arena is
 * freed when the thread ends; lookups read the thread-local pointer, which is cheaper. */
static _Thread_local struct arena *tl_arena;
static pthread_key_t arena_key;
static pthread_once_t arena_once = PTHREAD_ONCE_INIT;

static struct chunk *chunk_new(size_t cap)
{
    struct chunk *c = sl_xmalloc(sizeof(*c) + cap);
    c->next = NULL;
    c->cap = cap;
    c->used = 0;
    POISON(c->data, cap);
    return c;
}

static void arena_destroy(void *p)
{
    struct arena *a = p;
    while (a->head != NULL) {
        struct chunk *next = a->head->next;
        UNPOISON(a->head->data, a->head->cap);
        free(a->head);
        a->head = next;
    }
    free(a);
}

static void arena_key_init(void)
{
    if (pthread_key_create(&arena_key, arena_destroy) != 0)
        abort();
}

static struct arena *arena_get(void)
{
    return tl_arena;
}

void sl_arena_begin(void)
{
    struct arena *a = arena_get();
    if (a == NULL) {
        pthread_once(&arena_once, arena_key_init);
        a = sl_xcalloc(1, sizeof(*a));
        a->first = a->head = chunk_new(ARENA_CHUNK);
        if (pthread_setspecific(arena_key, a) != 0)
            abort();
        tl_arena = a;
    }
    assert(!a->active);
    a->active = true;
    a->handed_out = 0;
}

void sl_arena_end(void)
{
    struct arena *a = arena_get();
    assert(a != NULL && a->active);
    /* Give back every chunk but the first, and empty that one. */
    while (a->head != a->first) {
        struct chunk *next = a->head->next;
        UNPOISON(a->head->data, a->head->cap);
        free(a->head);
        a->head = next;
    }
    a->first->used = 0;
    POISON(a->first->data, a->first->cap);
    a->active = false;
}

size_t sl_arena_used(void)
{
    struct arena *a = arena_get();
    return a != NULL && a->active ? a->handed_out : 0;
}

static void *arena_alloc(struct arena *a, size_t n)
{
    size_t need = (n + ARENA_REDZONE + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need < n) /* overflow */
        abort();
    struct chunk *c = a->head;
    if (c->cap - c->used < need) {
        c = chunk_new(need > ARENA_CHUNK ? need : ARENA_CHUNK);
        c->next = a->head;
        a->head = c;
    }
    char *p = (char *)c->data + c->used;
    c->used += need;
    a->handed_out += n;
    UNPOISON(p, n);
    return p;
}

static bool arena_owns(const struct arena *a, const void *p)
{
    uintptr_t q = (uintptr_t)p;
    for (const struct chunk *c = a->head; c != NULL; c = c->next) {
        uintptr_t lo = (uintptr_t)c->data;
        if (q >= lo && q - lo < c->cap)
            return true;
    }
    return false;
}

static void *json_xmalloc(size_t n)
{
    struct arena *a = arena_get();
    if (a != NULL && a->active)
        return arena_alloc(a, n);
    return sl_xmalloc(n);
}

/* jansson frees what it allocated: arena memory is taken back at sl_arena_end(), the rest
 * goes to free(). A value made before the arena began may be released inside it. */
static void json_xfree(void *p)
{
    if (p == NULL)
        return;
    struct arena *a = arena_get();
    if (a != NULL && arena_owns(a, p)) {
        assert(a->active); /* an arena value outlived its request */
        return;
    }
    free(p);
}

void sl_arena_release(json_t *v)
{
    if (v == NULL)
        return;
    struct arena *a = arena_get();
    if (a != NULL && a->active && arena_owns(a, v))
        return;
    json_decref(v);
}

void sl_alloc_init(void)
{
    json_set_alloc_funcs(json_xmalloc, json_xfree);
}

void sl_alloc_tune_for_server(void)
{
    (void)mallopt(M_MMAP_THRESHOLD, (int)SL_ALLOC_MMAP_THRESHOLD);
}

void sl_alloc_trim(void)
{
    (void)malloc_trim(0);
}
