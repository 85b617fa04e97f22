/* common: status names and error detail formatting. */
#include "socklock/common.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *sl_strerror(enum sl_status rc)
{
    switch (rc) {
    case SL_OK:
        return "success";
    case SL_E_INVALID:
        return "invalid input";
    case SL_E_NOTFOUND:
        return "not found";
    case SL_E_LIMIT:
        return "limit exceeded";
    case SL_E_IO:
        return "I/O error";
    case SL_E_USAGE:
        return "usage error";
    case SL_E_INTERNAL:
        return "internal error";
    }
    return "unknown error";
}

static void error_vset(struct sl_error *err, const char *fmt, va_list ap) SL_PRINTF(2, 0);

static void error_vset(struct sl_error *err, const char *fmt, va_list ap)
{
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

void sl_error_set(struct sl_error *err, const char *fmt, ...)
{
    if (err == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, fmt, ap);
    va_end(ap);
    err->file[0] = '\0';
    err->line = 0;
    err->column = 0;
    err->offset = 0;
}

void sl_error_setpos(struct sl_error *err, const char *file, int line, int column, const char *fmt,
                     ...)
{
    if (err == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, fmt, ap);
    va_end(ap);
    snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
    err->line = line;
    err->column = column;
    err->offset = 0;
}

void sl_error_format(const struct sl_error *err, char *out, size_t size)
{
    if (size == 0)
        return;
    if (err->file[0] != '\0' && err->line > 0 && err->column > 0)
        snprintf(out, size, "%s:%d:%d: %s", err->file, err->line, err->column, err->msg);
    else if (err->file[0] != '\0' && err->line > 0)
        snprintf(out, size, "%s:%d: %s", err->file, err->line, err->msg);
    else if (err->file[0] != '\0')
        snprintf(out, size, "%s: %s", err->file, err->msg);
    else
        snprintf(out, size, "%s", err->msg);
}
