/* log: one line per event on stderr, as a JSON object (the default, for log collectors) or as
 * text (for a terminal). Only the outer modules (server, cli) log; the core never does.
 *
 * A JSON line is {"time": RFC 3339 UTC with milliseconds, "level": "debug" | "info" |
 * "warn" | "error", "msg": text, then the event's fields in the order given}. Every string
 * is escaped as JSON: control characters, DEL, U+0080..U+009F, U+2028 and U+2029 as \u
 * escapes, and invalid UTF-8 replaced with U+FFFD, so request data can neither split a line
 * nor make it unparsable. A text line is "TIME LEVEL MSG key=value ...", values quoted when
 * they hold a space, '"' or '=', and bytes outside printable ASCII shown as '?'.
 *
 * Each line is written by one write(2), so lines from different threads never interleave.
 * A line is at most SL_LOG_LINE_MAX bytes: a field that would not fit is left out whole, and
 * the line then ends with "truncated": true. Settings are process-wide; set them before the
 * threads that log start. Every function is safe from any thread. */
#ifndef SOCKLOCK_LOG_H
#define SOCKLOCK_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "socklock/common.h"

#define SL_LOG_LINE_MAX 16384

enum sl_log_level { SL_LOG_DEBUG, SL_LOG_INFO, SL_LOG_WARN, SL_LOG_ERROR };
enum sl_log_format { SL_LOG_JSON, SL_LOG_TEXT };

/* Lines below `level` are dropped (default SL_LOG_INFO). */
void sl_log_set_level(enum sl_log_level level);
/* Default SL_LOG_JSON. */
void sl_log_set_format(enum sl_log_format format);
/* Where lines go: a file descriptor, 2 (stderr) by default. For tests. */
void sl_log_set_fd(int fd);
/* True when a line at `level` would be written: lets a caller skip building one. */
bool sl_log_enabled(enum sl_log_level level);

/* "debug", "info", "warn", "error"; SL_E_INVALID for anything else. */
enum sl_status sl_log_parse_level(const char *s, enum sl_log_level *out);
/* "json", "text"; SL_E_INVALID for anything else. */
enum sl_status sl_log_parse_format(const char *s, enum sl_log_format *out);

/* Messages: "msg" is the formatted text (at most 1023 bytes). */
void sl_log_debug(const char *fmt, ...) SL_PRINTF(1, 2);
void sl_log_info(const char *fmt, ...) SL_PRINTF(1, 2);
/* Appends ": strerror(errno)". */
void sl_log_warn(const char *fmt, ...) SL_PRINTF(1, 2);
/* Without errno. */
void sl_log_warnx(const char *fmt, ...) SL_PRINTF(1, 2);
/* An error the process cannot go on from (it exits after it); without errno. */
void sl_log_errorx(const char *fmt, ...) SL_PRINTF(1, 2);

/* One field of an event. Keys are static identifiers chosen by the caller, never "time",
 * "level" or "msg"; values are borrowed for the call. */
enum sl_log_type {
    SL_LOG_STR,     /* s; NULL is written as "" */
    SL_LOG_UINT,    /* u */
    SL_LOG_BOOL,    /* b */
    SL_LOG_SECONDS, /* d, a duration: JSON a number of seconds, text milliseconds ("0.412ms") */
    SL_LOG_NUMBER,  /* d, any other number */
    SL_LOG_LIST,    /* list[0..n): JSON an array of strings, text comma-separated */
    SL_LOG_CSV,     /* s, a comma-separated list: JSON an array of its items, text as is */
};

struct sl_log_field {
    const char *key;
    enum sl_log_type type;
    const char *s;
    unsigned long long u;
    bool b;
    double d;
    const char *const *list;
    size_t n;
};

#define SL_LOG_F_STR(k, v)     ((struct sl_log_field){.key = (k), .type = SL_LOG_STR, .s = (v)})
#define SL_LOG_F_UINT(k, v)    ((struct sl_log_field){.key = (k), .type = SL_LOG_UINT, .u = (v)})
#define SL_LOG_F_BOOL(k, v)    ((struct sl_log_field){.key = (k), .type = SL_LOG_BOOL, .b = (v)})
#define SL_LOG_F_SECONDS(k, v) ((struct sl_log_field){.key = (k), .type = SL_LOG_SECONDS, .d = (v)})
#define SL_LOG_F_NUMBER(k, v)  ((struct sl_log_field){.key = (k), .type = SL_LOG_NUMBER, .d = (v)})
#define SL_LOG_F_LIST(k, l, count) \
    ((struct sl_log_field){.key = (k), .type = SL_LOG_LIST, .list = (l), .n = (count)})
#define SL_LOG_F_CSV(k, v) ((struct sl_log_field){.key = (k), .type = SL_LOG_CSV, .s = (v)})

/* One event: msg (static text, not a format) and its fields. */
void sl_log_event(enum sl_log_level level, const char *msg, const struct sl_log_field *fields,
                  size_t nfields);

/* Escapes s[0..len) as the inside of a JSON string (no quotes) into out, at most size - 1
 * bytes and NUL-terminated, never cutting an escape or a UTF-8 sequence; returns the number
 * of input bytes consumed (len when it all fit). What the JSON lines use; exposed for the
 * tests. */
size_t sl_log_json_escape(const char *s, size_t len, char *out, size_t size);

#endif
