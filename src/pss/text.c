/* text: the small string tools the checks share to build Pod Security Admission's messages:
 * its joinQuote and pluralize helpers, Go's %q quoting, and set membership. Lists are
 * sl_strlist; PSA's sets are lists after sl_strlist_sort_unique(). */
#include "pss_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socklock/alloc.h"

const char *pss_plural(const char *one, const char *many, size_t n)
{
    return n == 1 ? one : many;
}

/* Appends the items joined by sep. */
void pss_put_join(struct sl_buf *b, const struct sl_strlist *l, const char *sep)
{
    for (size_t i = 0; i < l->len; i++) {
        if (i)
            (void)sl_buf_puts(b, sep);
        (void)sl_buf_puts(b, l->items[i]);
    }
}

/* PSA's joinQuote: "a", "b" (no escaping). */
void pss_put_join_quote(struct sl_buf *b, const struct sl_strlist *l)
{
    if (l->len == 0)
        return;
    (void)sl_buf_puts(b, "\"");
    pss_put_join(b, l, "\", \"");
    (void)sl_buf_puts(b, "\"");
}

/* "container \"a\"" or "containers \"a\", \"b\"" as a new string. */
static char *containers_phrase(const struct sl_strlist *names)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    (void)sl_buf_printf(&b, "%s ", pss_plural("container", "containers", names->len));
    pss_put_join_quote(&b, names);
    return sl_buf_detach(&b, NULL);
}

/* Go's %q for the strings PSA quotes (annotation values): backslash escapes for quotes,
 * backslashes and control bytes; other bytes (valid UTF-8 from jansson) as they are. */
static void put_go_quote(struct sl_buf *b, const char *s)
{
    (void)sl_buf_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            (void)sl_buf_puts(b, "\\\"");
            break;
        case '\\':
            (void)sl_buf_puts(b, "\\\\");
            break;
        case '\a':
            (void)sl_buf_puts(b, "\\a");
            break;
        case '\b':
            (void)sl_buf_puts(b, "\\b");
            break;
        case '\f':
            (void)sl_buf_puts(b, "\\f");
            break;
        case '\n':
            (void)sl_buf_puts(b, "\\n");
            break;
        case '\r':
            (void)sl_buf_puts(b, "\\r");
            break;
        case '\t':
            (void)sl_buf_puts(b, "\\t");
            break;
        case '\v':
            (void)sl_buf_puts(b, "\\v");
            break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                (void)sl_buf_printf(b, "\\x%02x", *p);
            else
                (void)sl_buf_append(b, p, 1);
        }
    }
    (void)sl_buf_puts(b, "\"");
}

/* "key=\"value\"" with Go quoting, as a new string. */
char *pss_annotation_phrase(const char *key, const char *value)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    (void)sl_buf_printf(&b, "%s=", key);
    put_go_quote(&b, value);
    return sl_buf_detach(&b, NULL);
}

/* Adds the violation and releases the detail buffer. */
void pss_emit(struct sl_findings *out, const char *id, const char *reason, struct sl_buf *detail)
{
    (void)sl_buf_puts(detail, ""); /* makes data non-NULL even when empty */
    sl_pss_findings_add(out, id, reason, detail->data);
    sl_buf_cleanup(detail);
}

bool pss_in_set(const char *const *set, const char *s)
{
    for (; set != NULL && *set != NULL; set++)
        if (strcmp(*set, s) == 0)
            return true;
    return false;
}

bool pss_starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Appends "pod", "container(s) ...", ... joined by " and ". */
void pss_put_setters(struct sl_buf *b, bool pod, const struct sl_strlist *containers,
                     const char *extra)
{
    bool first = true;
    if (pod) {
        (void)sl_buf_puts(b, "pod");
        first = false;
    }
    if (containers && containers->len) {
        char *p = containers_phrase(containers);
        (void)sl_buf_printf(b, "%s%s", first ? "" : " and ", p);
        free(p);
        first = false;
    }
    if (extra)
        (void)sl_buf_printf(b, "%s%s", first ? "" : " and ", extra);
}

char *pss_canonical_cap(const char *s)
{
    if ((s[0] == 'c' || s[0] == 'C') && (s[1] == 'a' || s[1] == 'A') &&
        (s[2] == 'p' || s[2] == 'P') && s[3] == '_')
        s += 4;
    char *out = sl_xstrdup(s);
    for (char *p = out; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    return out;
}
