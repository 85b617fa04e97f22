/* common: status codes, error details and small macros shared by every module. */
#ifndef SOCKLOCK_COMMON_H
#define SOCKLOCK_COMMON_H

#include <stddef.h>

#define SL_ARRAY_LEN(a)      (sizeof(a) / sizeof((a)[0]))
#define SL_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define SL_UNUSED(x)         ((void)(x))
#define SL_RETURNS_NONNULL   __attribute__((returns_nonnull))

/* `socklock version`, and the version label of /metrics' socklock_build_info. */
#ifndef SOCKLOCK_VERSION
#define SOCKLOCK_VERSION "0.1.0"
#endif

/* Every function that can fail returns one of these; SL_OK is 0. */
enum sl_status {
    SL_OK = 0,
    SL_E_INVALID,  /* the input is malformed or not understood */
    SL_E_NOTFOUND, /* the thing looked for is absent (not an error for every caller) */
    SL_E_LIMIT,    /* a size, depth or count limit was exceeded */
    SL_E_IO,       /* a file or socket operation failed */
    SL_E_USAGE,    /* a command line or API misuse */
    SL_E_INTERNAL, /* a bug or an unexpected library failure */
};

/* Human detail for a failure, the one error record every module fills. `file`, `line` and
 * `column` are set only for input with positions (line and column 1-based, 0 when unknown;
 * file "" when the input is not a file, e.g. a request body); `offset` is the byte offset of
 * the fault in that input when a parser knows it, else 0. Only sl_error_format() turns a
 * record into text. */
struct sl_error {
    char msg[1024];
    char file[256];
    int line;
    int column;
    size_t offset;
};

/* Returns a static English name for `rc`. */
const char *sl_strerror(enum sl_status rc);

/* Sets err->msg from a printf format and clears the position. Accepts err == NULL. */
void sl_error_set(struct sl_error *err, const char *fmt, ...) SL_PRINTF(2, 3);

/* Like sl_error_set, and records the position as well (file may be NULL: no file). */
void sl_error_setpos(struct sl_error *err, const char *file, int line, int column, const char *fmt,
                     ...) SL_PRINTF(5, 6);

/* Formats `err` as "FILE:LINE:COLUMN: message" (parts that are unknown are left out) into
 * `out`, truncating to `size`. */
void sl_error_format(const struct sl_error *err, char *out, size_t size);

#endif
