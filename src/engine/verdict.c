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

char *sl_engine_message(const char *kind, const char *name, const char *profile,
                        const struct sl_findings *f, size_t max)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    char lkind[64];
    lower_copy(lkind, sizeof(lkind), kind);
    sl_buf_printf(&b, "%s \"%s\" violates profile \"%s\": ", lkind, name, profile);
    for (size_t i = 0; i < f->len; i++) {
        const struct sl_violation *v = &f->items[i];
        size_t mark = b.len;
        if (i > 0)
            sl_buf_puts(&b, ", ");
        if (v->detail != NULL && *v->detail != '\0')
            sl_buf_printf(&b, "%s (%s)", v->reason, v->detail);
        else
            sl_buf_puts(&b, v->reason);
        /* Leave room for the longest possible tail, ", ... (N more)". */
        if (b.len + 32 > max && i + 1 < f->len) {
            b.len = mark;
            b.data[b.len] = '\0';
            sl_buf_printf(&b, "%s... (%zu more)", i > 0 ? ", " : "", f->len - i);
            break;
        }
        if (b.len > max) {
            b.len = max > 3 ? max - 3 : 0;
            /* Never cut a UTF-8 sequence: back off over continuation bytes. */
            while (b.len > 0 && ((unsigned char)b.data[b.len] >> 6) == 2)
                b.len--;
            b.data[b.len] = '\0';
            sl_buf_puts(&b, "...");
            break;
        }
    }
    return sl_buf_detach(&b, NULL);
}

/* Copies at most `max` bytes of s, dropping control characters and never cutting a UTF-8
 * sequence, for warnings (the API server silently drops a warning with a control
 * character or invalid UTF-8). */
char *eng_clean_text(const char *s, size_t max)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (len == 0 || i + len > n) {
            i++;
            continue;
        }
        bool ok = true;
        for (size_t k = 1; k < len; k++)
            ok = ok && ((unsigned char)s[i + k] >> 6) == 2;
        /* C0 controls, DEL and the C1 range U+0080..U+009F are dropped. */
        if (!ok || (len == 1 && (c < 0x20 || c == 0x7f)) ||
            (len == 2 && c == 0xc2 && (unsigned char)s[i + 1] < 0xa0)) {
            i += ok ? len : 1;
            continue;
        }
        if (b.len + len > max - 3 && i + len < n) {
            sl_buf_puts(&b, "...");
            break;
        }
        sl_buf_append(&b, s + i, len);
        i += len;
    }
    return sl_buf_detach(&b, NULL);
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
