/* pss_text: the small string tools the checks share to build Pod Security Admission's
 * messages: lists of owned strings, PSA's set semantics (sorted by byte value, no repeats),
 * its joinQuote and pluralize helpers, and Go's %q quoting. */
#include "pss_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socklock/alloc.h"

void pss_list_take(struct pss_strlist *l, char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = sl_xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = s;
}

void pss_list_add(struct pss_strlist *l, const char *s)
{
    pss_list_take(l, sl_xstrdup(s));
}

void pss_list_free(struct pss_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

int pss_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts by byte value (as Go's sort.Strings does) and drops repeats: PSA's sets.List(). */
void pss_list_sort_unique(struct pss_strlist *l)
{
    if (l->n < 2)
        return;
    qsort(l->v, l->n, sizeof(*l->v), pss_cmp_str);
    size_t w = 1;
    for (size_t r = 1; r < l->n; r++) {
        if (strcmp(l->v[r], l->v[w - 1]) == 0)
            free(l->v[r]);
        else
            l->v[w++] = l->v[r];
    }
    l->n = w;
}

const char *pss_plural(const char *one, const char *many, size_t n)
{
    return n == 1 ? one : many;
}

/* Appends the items joined by sep. */
void pss_put_join(struct sl_buf *b, const struct pss_strlist *l, const char *sep)
{
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            (void)sl_buf_puts(b, sep);
        (void)sl_buf_puts(b, l->v[i]);
    }
}

/* PSA's joinQuote: "a", "b" (no escaping). */
void pss_put_join_quote(struct sl_buf *b, const struct pss_strlist *l)
{
    if (l->n == 0)
        return;
    (void)sl_buf_puts(b, "\"");
    pss_put_join(b, l, "\", \"");
    (void)sl_buf_puts(b, "\"");
}

/* "container \"a\"" or "containers \"a\", \"b\"" as a new string. */
static char *containers_phrase(const struct pss_strlist *names)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    (void)sl_buf_printf(&b, "%s ", pss_plural("container", "containers", names->n));
    pss_put_join_quote(&b, names);
    return sl_buf_steal(&b, NULL);
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
    return sl_buf_steal(&b, NULL);
}

/* Adds the violation and releases the detail buffer. */
void pss_emit(struct sl_findings *out, const char *id, const char *reason, struct sl_buf *detail)
{
    (void)sl_buf_puts(detail, ""); /* makes data non-NULL even when empty */
    sl_findings_add(out, id, reason, detail->data);
    sl_buf_cleanup(detail);
}

bool pss_starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Appends "pod", "container(s) ...", ... joined by " and ". */
void pss_put_setters(struct sl_buf *b, bool pod, const struct pss_strlist *containers,
                     const char *extra)
{
    bool first = true;
    if (pod) {
        (void)sl_buf_puts(b, "pod");
        first = false;
    }
    if (containers && containers->n) {
        char *p = containers_phrase(containers);
        (void)sl_buf_printf(b, "%s%s", first ? "" : " and ", p);
        free(p);
        first = false;
    }
    if (extra)
        (void)sl_buf_printf(b, "%s%s", first ? "" : " and ", extra);
}
