/* log: one line per event, JSON or text (log.h says what a line holds).
 *
 * A line is built in a buffer on the caller's stack and written with one write(2): stdio
 * would hold a lock per call and may split a long line into several writes, which another
 * thread's line could land between. The buffer is bounded; a field that does not fit is
 * rolled back whole, so a cut line is still one valid JSON object. OpenBSD's pairing stays:
 * sl_log_warn appends strerror(errno), sl_log_warnx does not. */
#include "socklock/log.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int min_level = SL_LOG_INFO;
static atomic_int format = SL_LOG_JSON;
static atomic_int out_fd = 2;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void sl_log_set_level(enum sl_log_level level)
{
    atomic_store_explicit(&min_level, (int)level, memory_order_relaxed);
}

void sl_log_set_format(enum sl_log_format f)
{
    atomic_store_explicit(&format, (int)f, memory_order_relaxed);
}

void sl_log_set_fd(int fd)
{
    atomic_store_explicit(&out_fd, fd, memory_order_relaxed);
}

bool sl_log_enabled(enum sl_log_level level)
{
    return (int)level >= atomic_load_explicit(&min_level, memory_order_relaxed);
}

enum sl_status sl_log_parse_level(const char *s, enum sl_log_level *out)
{
    for (size_t i = 0; s != NULL && i < SL_ARRAY_LEN(level_names); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum sl_log_level)i;
            return SL_OK;
        }
    }
    return SL_E_INVALID;
}

enum sl_status sl_log_parse_format(const char *s, enum sl_log_format *out)
{
    if (s != NULL && strcmp(s, "json") == 0)
        *out = SL_LOG_JSON;
    else if (s != NULL && strcmp(s, "text") == 0)
        *out = SL_LOG_TEXT;
    else
        return SL_E_INVALID;
    return SL_OK;
}

/* ---- escaping ----------------------------------------------------------------------- */

/* The UTF-8 sequence at s[0..len): its length (2 to 4) and code point, or 0 when it is not
 * well-formed (Unicode's table of well-formed byte sequences: no overlong forms, no
 * surrogates, nothing above U+10FFFF), with *bad the length of its longest well-formed
 * start (at least 1), which one U+FFFD replaces. */
static size_t utf8_next(const unsigned char *s, size_t len, unsigned *cp, size_t *bad)
{
    unsigned c = s[0], lo = 0x80, hi = 0xbf, v;
    size_t need;
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        v = c & 0x0f;
        lo = c == 0xe0 ? 0xa0 : lo;
        hi = c == 0xed ? 0x9f : hi;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        v = c & 0x07;
        lo = c == 0xf0 ? 0x90 : lo;
        hi = c == 0xf4 ? 0x8f : hi;
    } else {
        *bad = 1;
        return 0;
    }
    for (size_t k = 1; k <= need; k++) {
        if (k >= len || s[k] < lo || s[k] > hi) {
            *bad = k;
            return 0;
        }
        v = (v << 6) | (s[k] & 0x3fu);
        lo = 0x80;
        hi = 0xbf;
    }
    *cp = v;
    return need + 1;
}

size_t sl_log_json_escape(const char *s, size_t len, char *out, size_t size)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, o = 0;
    if (size == 0)
        return 0;
    while (i < len) {
        char tmp[8];
        const char *piece = tmp;
        size_t plen = 0, adv = 1;
        unsigned c = u[i], cp = 0;
        if (c < 0x80) {
            /* Each escape JSON names, as the byte it stands for and its two characters. */
            static const char *const named[] = {"\"\\\"", "\\\\\\", "\n\\n", "\r\\r",
                                                "\t\\t",  "\b\\b",  "\f\\f"};
            const char *hit = NULL;
            for (size_t k = 0; k < SL_ARRAY_LEN(named) && hit == NULL; k++)
                hit = (unsigned char)named[k][0] == c ? named[k] + 1 : NULL;
            if (hit != NULL) {
                piece = hit;
                plen = 2;
            } else if (c < 0x20 || c == 0x7f) {
                plen = (size_t)snprintf(tmp, sizeof(tmp), "\\u%04x", c);
            } else {
                piece = s + i;
                plen = 1;
            }
        } else {
            size_t bad = 1, n = utf8_next(u + i, len - i, &cp, &bad);
            if (n == 0) {
                piece = "\\ufffd";
                plen = 6;
                adv = bad;
            } else if ((cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029) {
                /* C1 controls reach terminals; U+2028/9 end a line in JavaScript. */
                plen = (size_t)snprintf(tmp, sizeof(tmp), "\\u%04x", cp);
                adv = n;
            } else {
                piece = s + i;
                plen = n;
                adv = n;
            }
        }
        if (o + plen >= size)
            break;
        memcpy(out + o, piece, plen);
        o += plen;
        i += adv;
    }
    out[o] = '\0';
    return i;
}

/* ---- one line ------------------------------------------------------------------------ */

/* Room kept at the end of every line for what closes it: `,"truncated":true}` and the
 * newline. */
#define RESERVE 32

struct line {
    char b[SL_LOG_LINE_MAX];
    size_t n;
    bool json;
    bool cut; /* a field was left out */
};

/* Appends len bytes, or nothing (false) when they would eat into the reserve. */
static bool put(struct line *l, const char *s, size_t len)
{
    if (l->n + len > sizeof(l->b) - RESERVE)
        return false;
    memcpy(l->b + l->n, s, len);
    l->n += len;
    return true;
}

static bool put_cstr(struct line *l, const char *s)
{
    return put(l, s, strlen(s));
}

static bool putf(struct line *l, const char *fmt, ...) SL_PRINTF(2, 3);

static bool putf(struct line *l, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < sizeof(tmp) && put(l, tmp, (size_t)n);
}

/* A JSON string, quoted, or nothing when it does not fit whole. */
static bool put_json_str(struct line *l, const char *s, size_t len)
{
    size_t room = sizeof(l->b) - RESERVE - l->n;
    if (room < 3)
        return false;
    l->b[l->n] = '"';
    size_t done = sl_log_json_escape(s, len, l->b + l->n + 1, room - 2);
    if (done < len)
        return false;
    l->n += 1 + strlen(l->b + l->n + 1);
    l->b[l->n++] = '"';
    return true;
}

/* A text value: bare when it is made of printable ASCII without space, '"' and '=';
 * quoted otherwise, with '"' and '\' escaped and every other byte outside printable ASCII
 * shown as '?', as a terminal shows it safely. */
static bool put_text_str(struct line *l, const char *s, size_t len)
{
    bool quote = len == 0;
    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] <= ' ' || s[i] == '"' || s[i] == '=' || (unsigned char)s[i] >= 0x7f;
    if (quote && !put(l, "\"", 1))
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char tmp[2] = {'\\', (char)c};
        bool ok = (c == '"' || c == '\\')   ? put(l, tmp, 2)
                  : (c < 0x20 || c >= 0x7f) ? put(l, "?", 1)
                                            : put(l, tmp + 1, 1);
        if (!ok)
            return false;
    }
    return !quote || put(l, "\"", 1);
}

static bool put_str(struct line *l, const char *s, size_t len)
{
    return l->json ? put_json_str(l, s, len) : put_text_str(l, s, len);
}

/* A list of n strings, each got by item(). */
static bool put_list(struct line *l, size_t n, const char *(*item)(const void *, size_t, size_t *),
                     const void *arg)
{
    if (l->json && !put(l, "[", 1))
        return false;
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        const char *s = item(arg, i, &len);
        if (i > 0 && !put(l, ",", 1))
            return false;
        if (!(l->json ? put_json_str(l, s, len) : put_text_str(l, s, len)))
            return false;
    }
    return !l->json || put(l, "]", 1);
}

static const char *list_item(const void *arg, size_t i, size_t *len)
{
    const char *const *list = arg;
    const char *s = list[i] != NULL ? list[i] : "";
    *len = strlen(s);
    return s;
}

/* The i-th item of a comma-separated list (empty items are not items). */
static const char *csv_item(const void *arg, size_t i, size_t *len)
{
    const char *s = arg;
    for (;;) {
        s += strspn(s, ",");
        size_t n = strcspn(s, ",");
        if (i == 0 || n == 0) {
            *len = n;
            return s;
        }
        s += n;
        i--;
    }
}

static size_t csv_count(const char *s)
{
    size_t n = 0;
    for (s += strspn(s, ","); *s != '\0'; s += strspn(s, ",")) {
        n++;
        s += strcspn(s, ",");
    }
    return n;
}

static bool put_value(struct line *l, const struct sl_log_field *f)
{
    switch (f->type) {
    case SL_LOG_STR: {
        const char *s = f->s != NULL ? f->s : "";
        return put_str(l, s, strlen(s));
    }
    case SL_LOG_UINT:
        return putf(l, "%llu", f->u);
    case SL_LOG_BOOL:
        return put_cstr(l, f->b ? "true" : "false");
    case SL_LOG_SECONDS:
        if (!isfinite(f->d))
            return put_cstr(l, l->json ? "null" : "?");
        return l->json ? putf(l, "%.6f", f->d) : putf(l, "%.3fms", f->d * 1e3);
    case SL_LOG_NUMBER:
        if (!isfinite(f->d))
            return put_cstr(l, l->json ? "null" : "?");
        return putf(l, "%.15g", f->d);
    case SL_LOG_LIST:
        return put_list(l, f->n, list_item, f->list);
    case SL_LOG_CSV: {
        const char *s = f->s != NULL ? f->s : "";
        return l->json ? put_list(l, csv_count(s), csv_item, s) : put_text_str(l, s, strlen(s));
    }
    }
    return false;
}

/* Appends one field whole, or leaves the line as it was and marks it cut. */
static void put_field(struct line *l, const struct sl_log_field *f)
{
    size_t mark = l->n;
    bool ok = l->json ? put(l, ",", 1) && put_json_str(l, f->key, strlen(f->key)) && put(l, ":", 1)
                      : put(l, " ", 1) && put_cstr(l, f->key) && put(l, "=", 1);
    if (!ok || !put_value(l, f)) {
        l->n = mark;
        l->cut = true;
    }
}

static void begin(struct line *l, enum sl_log_level level, const char *msg)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[40];
    size_t w = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + w, sizeof(when) - w, ".%03ldZ", ts.tv_nsec / 1000000);
    l->n = 0;
    l->cut = false;
    l->json = atomic_load_explicit(&format, memory_order_relaxed) == SL_LOG_JSON;
    const char *lv = level_names[level];
    if (l->json) {
        putf(l, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":", when, lv);
        if (!put_json_str(l, msg, strlen(msg))) {
            put_cstr(l, "\"\"");
            l->cut = true;
        }
    } else {
        putf(l, "%s %s ", when, lv);
        /* The message is the line's text: not quoted, but as safe as a value. */
        for (const char *p = msg; *p != '\0' && l->n < sizeof(l->b) - RESERVE; p++) {
            unsigned char c = (unsigned char)*p;
            l->b[l->n++] = (char)((c >= 0x20 && c < 0x7f) ? c : '?');
        }
    }
}

/* Closes the line (within the reserve) and writes it with one write(2) where the kernel
 * allows, keeping errno as the caller left it. */
static void finish(struct line *l)
{
    const char *tail = l->json ? (l->cut ? ",\"truncated\":true}\n" : "}\n")
                               : (l->cut ? " truncated=true\n" : "\n");
    size_t tl = strlen(tail);
    memcpy(l->b + l->n, tail, tl);
    l->n += tl;
    int saved = errno;
    int fd = atomic_load_explicit(&out_fd, memory_order_relaxed);
    size_t off = 0;
    while (off < l->n) {
        ssize_t w = write(fd, l->b + off, l->n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    errno = saved;
}

void sl_log_event(enum sl_log_level level, const char *msg, const struct sl_log_field *fields,
                  size_t nfields)
{
    if (!sl_log_enabled(level))
        return;
    struct line l;
    begin(&l, level, msg != NULL ? msg : "");
    for (size_t i = 0; i < nfields; i++)
        put_field(&l, &fields[i]);
    finish(&l);
}

static void vlog(enum sl_log_level level, const char *suffix, const char *fmt, va_list ap)
    SL_PRINTF(3, 0);

static void vlog(enum sl_log_level level, const char *suffix, const char *fmt, va_list ap)
{
    if (!sl_log_enabled(level))
        return;
    char msg[1024];
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    if (n >= 0 && suffix != NULL && (size_t)n < sizeof(msg))
        snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", suffix);
    sl_log_event(level, msg, NULL, 0);
}

void sl_log_debug(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(SL_LOG_DEBUG, NULL, fmt, ap);
    va_end(ap);
}

void sl_log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(SL_LOG_INFO, NULL, fmt, ap);
    va_end(ap);
}

void sl_log_warn(const char *fmt, ...)
{
    char e[128];
    snprintf(e, sizeof(e), "%s", strerror(errno));
    va_list ap;
    va_start(ap, fmt);
    vlog(SL_LOG_WARN, e, fmt, ap);
    va_end(ap);
}

void sl_log_warnx(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(SL_LOG_WARN, NULL, fmt, ap);
    va_end(ap);
}

void sl_log_errorx(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(SL_LOG_ERROR, NULL, fmt, ap);
    va_end(ap);
}
