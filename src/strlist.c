/* strlist: a growable list of owned strings. Capacity doubles, so appending is amortised
 * constant time; sorting compares bytes, as Go's sort.Strings does, because the check
 * messages must match Pod Security Admission's byte for byte. */
#include "socklock/strlist.h"

#include <stdlib.h>
#include <string.h>

#include "socklock/alloc.h"

void sl_strlist_init(struct sl_strlist *l)
{
    l->items = NULL;
    l->len = 0;
    l->cap = 0;
}

void sl_strlist_cleanup(struct sl_strlist *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->len; i++)
        free(l->items[i]);
    free(l->items);
    sl_strlist_init(l);
}

void sl_strlist_take(struct sl_strlist *l, char *s)
{
    if (l->len == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->items = sl_xrealloc(l->items, l->cap * sizeof(*l->items));
    }
    l->items[l->len++] = s;
}

void sl_strlist_add(struct sl_strlist *l, const char *s)
{
    sl_strlist_take(l, sl_xstrdup(s));
}

bool sl_strlist_has(const struct sl_strlist *l, const char *s)
{
    for (size_t i = 0; i < l->len; i++)
        if (strcmp(l->items[i], s) == 0)
            return true;
    return false;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void sl_strlist_sort(struct sl_strlist *l)
{
    if (l->len > 1)
        qsort(l->items, l->len, sizeof(*l->items), cmp_str);
}

void sl_strlist_sort_unique(struct sl_strlist *l)
{
    if (l->len < 2)
        return;
    sl_strlist_sort(l);
    size_t w = 1;
    for (size_t r = 1; r < l->len; r++) {
        if (strcmp(l->items[r], l->items[w - 1]) == 0)
            free(l->items[r]);
        else
            l->items[w++] = l->items[r];
    }
    l->len = w;
}
