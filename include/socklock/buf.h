/* buf: a growable byte buffer with a hard size cap, and bounded file loading. */
#ifndef SOCKLOCK_BUF_H
#define SOCKLOCK_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "socklock/common.h"

struct sl_buf {
    char *data; /* always NUL-terminated after a successful append (len excludes it) */
    size_t len;
    size_t cap;
    size_t max; /* appends that would make len exceed max fail with SL_E_LIMIT; 0 = no cap */
};

void sl_buf_init(struct sl_buf *b, size_t max);
/* Releases the memory; the buffer may be initialised again. Accepts NULL. */
void sl_buf_cleanup(struct sl_buf *b);
/* Appends n bytes. SL_E_LIMIT (buffer unchanged) when the cap would be passed. */
enum sl_status sl_buf_append(struct sl_buf *b, const void *p, size_t n);
enum sl_status sl_buf_puts(struct sl_buf *b, const char *s);
enum sl_status sl_buf_printf(struct sl_buf *b, const char *fmt, ...) SL_PRINTF(2, 3);
enum sl_status sl_buf_vprintf(struct sl_buf *b, const char *fmt, va_list ap) SL_PRINTF(2, 0);
/* Returns the data (never NULL, NUL-terminated) and its length in *len when len is not NULL,
 * and resets the buffer. Caller frees the data. */
char *sl_buf_detach(struct sl_buf *b, size_t *len);

/* Reads a whole file (or stdin when path is "-") into b, failing with SL_E_LIMIT when it is
 * larger than b->max and SL_E_IO when it cannot be read; err names the file. */
enum sl_status sl_buf_load_file(struct sl_buf *b, const char *path, struct sl_error *err);

/* Reads fd to its end into b, as sl_buf_load_file() does; `name` names it in err. */
enum sl_status sl_buf_load_fd(struct sl_buf *b, int fd, const char *name, struct sl_error *err);

#endif
