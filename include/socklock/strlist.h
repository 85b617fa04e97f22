/* strlist: a growable list of owned strings, the one list type the modules share (policy
 * lists, the files `check` walks, the names and values a check message collects). */
#ifndef SOCKLOCK_STRLIST_H
#define SOCKLOCK_STRLIST_H

#include <stdbool.h>
#include <stddef.h>

/* Zero-initialise ({0}) or call sl_strlist_init(); release with sl_strlist_cleanup(). Every
 * item is owned by the list. */
struct sl_strlist {
    char **items;
    size_t len;
    size_t cap;
};

void sl_strlist_init(struct sl_strlist *l);
/* Frees every item and empties the list; it may be used again. Accepts NULL. */
void sl_strlist_cleanup(struct sl_strlist *l);
/* Appends a copy of s. */
void sl_strlist_add(struct sl_strlist *l, const char *s);
/* Appends s itself. Steals s (which must come from malloc). */
void sl_strlist_take(struct sl_strlist *l, char *s);
/* True when an item equals s byte for byte. */
bool sl_strlist_has(const struct sl_strlist *l, const char *s);
/* Sorts by byte value and drops repeats (Go's sort.Strings over a set). */
void sl_strlist_sort_unique(struct sl_strlist *l);
/* Sorts by byte value, keeping repeats. */
void sl_strlist_sort(struct sl_strlist *l);

#endif
