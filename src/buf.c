/* buf: a growable byte buffer with a hard cap. Every untrusted input (request bodies,
 * manifest files) is collected through one, so a size limit is enforced in one place. */
#include "socklock/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "socklock/alloc.h"

void sl_buf_init(struct sl_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void sl_buf_cleanup(struct sl_buf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

enum sl_status sl_buf_append(struct sl_buf *b, const void *p, size_t n)
{
    if (b->max != 0 && (n > b->max || b->len > b->max - n))
        return SL_E_LIMIT;
    if (b->data == NULL || b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = sl_xrealloc(b->data, cap);
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return SL_OK;
}

enum sl_status sl_buf_puts(struct sl_buf *b, const char *s)
{
    return sl_buf_append(b, s, strlen(s));
}

enum sl_status sl_buf_vprintf(struct sl_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return SL_E_INTERNAL;
    char small[256];
    if ((size_t)n < sizeof(small)) {
        vsnprintf(small, sizeof(small), fmt, ap);
        return sl_buf_append(b, small, (size_t)n);
    }
    char *tmp = sl_xmalloc((size_t)n + 1);
    vsnprintf(tmp, (size_t)n + 1, fmt, ap);
    enum sl_status rc = sl_buf_append(b, tmp, (size_t)n);
    free(tmp);
    return rc;
}

enum sl_status sl_buf_printf(struct sl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum sl_status rc = sl_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *sl_buf_detach(struct sl_buf *b, size_t *len)
{
    if (b->data == NULL)
        sl_buf_append(b, "", 0);
    char *p = b->data;
    if (len != NULL)
        *len = b->len;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

enum sl_status sl_buf_load_fd(struct sl_buf *b, int fd, const char *name, struct sl_error *err)
{
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            sl_error_setpos(err, name, 0, 0, "read error: %s", strerror(errno));
            return SL_E_IO;
        }
        if (n == 0)
            break;
        if (sl_buf_append(b, chunk, (size_t)n) != SL_OK) {
            sl_error_setpos(err, name, 0, 0, "file is larger than %zu bytes", b->max);
            return SL_E_LIMIT;
        }
    }
    if (b->data == NULL)
        (void)sl_buf_append(b, "", 0);
    return SL_OK;
}

enum sl_status sl_buf_load_file(struct sl_buf *b, const char *path, struct sl_error *err)
{
    if (strcmp(path, "-") == 0)
        return sl_buf_load_fd(b, STDIN_FILENO, path, err);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        sl_error_setpos(err, path, 0, 0, "cannot open: %s", strerror(errno));
        return SL_E_IO;
    }
    enum sl_status rc = sl_buf_load_fd(b, fd, path, err);
    close(fd);
    return rc;
}
