/* verdict: what a verdict says, in the forms the API server passes on: the denial message in
 * Pod Security Admission's shape, warnings and the audit annotation, each kept within the
 * limits the API server and other webhooks leave (docs/admission.md). */
#include "engine_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"

void sl_engine_verdict_init(struct sl_verdict *v)
{
    memset(v, 0, sizeof(*v));
    v->allowed = true;
    sl_pss_findings_init(&v->findings);
    sl_pss_findings_init(&v->waived);
}

void sl_engine_verdict_cleanup(struct sl_verdict *v)
{
    if (v == NULL)
        return;
    free(v->reason);
    free(v->message);
    free(v->audit);
    for (size_t i = 0; i < v->nwarnings; i++)
        free(v->warnings[i]);
    free(v->warnings);
    sl_pss_findings_cleanup(&v->findings);
    sl_pss_findings_cleanup(&v->waived);
    free(v->exceptions);
    sl_arena_release(v->patch);
    memset(v, 0, sizeof(*v));
}

/* An exemption list never matches an absent (empty) name. */
static void lower_copy(char *out, size_t size, const char *s)
{
    size_t i = 0;
    for (; s[i] != '\0' && i + 1 < size; i++)
        out[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a' : s[i]);
    out[i] = '\0';
}

/* The length of the UTF-8 sequence starting at s (n bytes left), or 0 when it is not a
 * valid one (overlong forms, surrogates and values past U+10FFFF count as invalid). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t k = 1; k < len; k++)
        if ((s[k] >> 6) != 2)
            return 0;
    if ((len == 2 && c < 0xc2) || (len == 3 && c == 0xe0 && s[1] < 0xa0) ||
        (len == 3 && c == 0xed && s[1] >= 0xa0) || (len == 4 && c == 0xf0 && s[1] < 0x90) ||
        (len == 4 && (c > 0xf4 || (c == 0xf4 && s[1] >= 0x90))))
        return 0;
    return len;
}

char *eng_escape(const char *s, size_t max)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    (void)sl_buf_puts(&b, "");
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        char piece[16];
        size_t len = utf8_len(p + i, n - i);
        if (len == 0) {
            snprintf(piece, sizeof(piece), "\\x%02x", p[i]); /* not UTF-8 */
            len = 1;
        } else if (len == 1 && (p[i] < 0x20 || p[i] == 0x7f)) {
            snprintf(piece, sizeof(piece), "\\x%02x", p[i]);
        } else if (len == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0) {
            snprintf(piece, sizeof(piece), "\\u%04x", p[i + 1]); /* C1 controls */
        } else if (len == 3 && p[i] == 0xe2 && p[i + 1] == 0x80 &&
                   (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
            snprintf(piece, sizeof(piece), "\\u20%02x", p[i + 2] - 0x80); /* line breaks */
        } else {
            memcpy(piece, p + i, len);
            piece[len] = '\0';
        }
        size_t plen = strlen(piece);
        /* Room for "..." when more follows. */
        if (b.len + plen > max || (b.len + plen + 3 > max && i + len < n)) {
            (void)sl_buf_puts(&b, max >= 3 ? "..." : "");
            break;
        }
        (void)sl_buf_puts(&b, piece);
        i += len;
    }
    return sl_buf_detach(&b, NULL);
}

/* An object name as messages show it: escaped, at most this many bytes. */
#define ENG_MAX_NAME_BYTES 253

char *sl_engine_message(const char *kind, const char *name, const char *profile,
                        const struct sl_findings *f, size_t max)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    char lkind[64] = {0}; /* whole array defined, for the analyser */
    lower_copy(lkind, sizeof(lkind), kind);
    char *ename = eng_escape(name, ENG_MAX_NAME_BYTES);
    char *ekind = eng_escape(lkind, sizeof(lkind));
    (void)sl_buf_printf(&b, "%s \"%s\" violates profile \"%s\": ", ekind, ename, profile);
    free(ename);
    free(ekind);
    size_t head = b.len;
    /* The reasons name the checks, and every one is kept; details share what room is
     * left, cut evenly, so that one long detail never pushes the other checks out. */
    char **reasons = sl_xcalloc(f->len + 1, sizeof(char *));
    char **details = sl_xcalloc(f->len + 1, sizeof(char *));
    size_t need = 0, detail_total = 0;
    for (size_t i = 0; i < f->len; i++) {
        reasons[i] = eng_escape(f->items[i].reason, max);
        details[i] = eng_escape(f->items[i].detail != NULL ? f->items[i].detail : "", max);
        need += strlen(reasons[i]) + 2;
        if (*details[i] != '\0')
            detail_total += strlen(details[i]) + 3;
    }
    size_t room = max > head + need ? max - head - need : 0;
    bool fits = head + need <= max;
    for (size_t i = 0; i < f->len; i++) {
        size_t mark = b.len;
        if (i > 0)
            (void)sl_buf_puts(&b, ", ");
        if (!fits && b.len + strlen(reasons[i]) + 32 > max) {
            /* Only when there are more findings than any pod can have checks. */
            b.len = mark;
            b.data[b.len] = '\0';
            (void)sl_buf_printf(&b, "%s... (%zu more)", i > 0 ? ", " : "", f->len - i);
            break;
        }
        (void)sl_buf_puts(&b, reasons[i]);
        if (*details[i] == '\0' || !fits)
            continue;
        size_t share = detail_total <= room ? strlen(details[i]) + 3 : room / f->len;
        if (share < 8)
            continue;
        char *d = strlen(details[i]) + 3 <= share ? sl_xstrdup(details[i])
                                                  : eng_escape(f->items[i].detail, share - 3);
        (void)sl_buf_printf(&b, " (%s)", d);
        free(d);
    }
    for (size_t i = 0; i < f->len; i++) {
        free(reasons[i]);
        free(details[i]);
    }
    free(reasons);
    free(details);
    return sl_buf_detach(&b, NULL);
}

/* A copy of s for a warning or an annotation: control characters and invalid UTF-8 escaped
 * (the API server drops a warning holding one), at most `max` bytes. */
char *eng_clean_text(const char *s, size_t max)
{
    return eng_escape(s, max);
}

/* Adds one warning unless the budget is spent; false when it is. */
static bool add_warning(struct sl_verdict *v, char *raw, size_t *total)
{
    char *w = eng_clean_text(raw, ENG_MAX_WARNING_BYTES);
    free(raw);
    size_t len = strlen(w);
    if (v->nwarnings == ENG_MAX_WARNINGS || *total + len > ENG_MAX_WARNINGS_TOTAL) {
        free(w);
        return false;
    }
    if (v->warnings == NULL)
        v->warnings = sl_xcalloc(ENG_MAX_WARNINGS, sizeof(char *));
    v->warnings[v->nwarnings++] = w;
    *total += len;
    return true;
}

void eng_add_warnings(struct sl_verdict *v, const char *profile, const char *prefix,
                      const struct sl_findings *f)
{
    size_t total = 0;
    for (size_t i = 0; i < v->nwarnings; i++)
        total += strlen(v->warnings[i]);
    for (size_t i = 0; i < f->len; i++) {
        char *raw;
        /* The last place left says how many did not fit. */
        if (v->nwarnings + 1 == ENG_MAX_WARNINGS && i + 1 < f->len)
            raw = sl_xasprintf("socklock %s: %s... and %zu more violations", profile, prefix,
                               f->len - i);
        else if (f->items[i].detail && *f->items[i].detail)
            raw = sl_xasprintf("socklock %s: %s%s (%s)", profile, prefix, f->items[i].reason,
                               f->items[i].detail);
        else
            raw = sl_xasprintf("socklock %s: %s%s", profile, prefix, f->items[i].reason);
        bool last = v->nwarnings + 1 == ENG_MAX_WARNINGS && i + 1 < f->len;
        if (!add_warning(v, raw, &total) || last)
            break;
    }
}

void eng_apply_mode(const struct sl_profile *prof, const struct eng_scope *s,
                    const struct sl_findings *f, struct sl_verdict *out)
{
    if (f->len == 0)
        return;
    out->violates = true;
    switch (prof->mode) {
    case SL_MODE_ENFORCE:
        eng_deny(out, 403, "Forbidden",
                 sl_engine_message(s->kind, s->name, prof->name, f, ENG_MAX_MESSAGE_BYTES));
        break;
    case SL_MODE_WARN:
        eng_add_warnings(out, prof->name, "", f);
        break;
    case SL_MODE_AUDIT: {
        char *msg = sl_engine_message(s->kind, s->name, prof->name, f, ENG_MAX_AUDIT_BYTES);
        out->audit = eng_clean_text(msg, ENG_MAX_AUDIT_BYTES);
        free(msg);
        break;
    }
    }
}

void eng_deny(struct sl_verdict *v, int code, const char *reason, char *message)
{
    v->allowed = false;
    v->violates = true;
    v->code = code;
    free(v->reason);
    v->reason = sl_xstrdup(reason);
    free(v->message);
    v->message = message;
}

/* A denial for an object that cannot be judged (fail closed). */
void eng_deny_unreadable(struct sl_verdict *v, const struct eng_scope *s, const char *fmt, ...)
{
    char why[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    eng_deny(v, 400, "BadRequest",
             sl_xasprintf("%s \"%s\" could not be evaluated: %s", s->kind, s->name, why));
}
