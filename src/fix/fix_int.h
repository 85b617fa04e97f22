/* Private to the fix module: the text edits a patch becomes (yamledit.c), shared with the
 * driver (fix.c). */
#ifndef SOCKLOCK_FIX_INT_H
#define SOCKLOCK_FIX_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "socklock/fix.h"
#include "socklock/yamljson.h"

enum edit_kind { EDIT_INSERT, EDIT_REPLACE, EDIT_REMOVE };

/* Replace data[start, end) with text (an insertion has start == end). */
struct edit {
    size_t start, end;
    char *text;
    int depth;  /* at the same offset, deeper insertions go first */
    size_t doc; /* the document it belongs to */
    enum edit_kind kind;
    size_t lines; /* lines inserted or removed */
};

struct edits {
    struct edit *v;
    size_t n, cap;
};

void edits_cleanup(struct edits *e);

/* How one document writes its blocks. */
struct ystyle {
    const char *eol; /* "\n" or "\r\n", as the file ends its lines */
    int map_indent;  /* columns a nested mapping's keys sit right of their parent key */
    int seq_indent;  /* columns a block sequence's dashes sit right of their key */
};

/* Turns the operations ops, made at pointer obj of document d (of the text data[0..len)),
 * into text edits appended to out (tagged with d_index). SL_OK, or SL_E_INVALID with *why (a
 * new string) when an operation cannot be carried out on the text safely; out is then left
 * as it was. */
enum sl_status yedit_object(const char *data, size_t len, const struct sl_yaml_doc *d,
                            size_t d_index, const struct ystyle *style, const char *obj,
                            const json_t *ops, struct edits *out, char **why);

/* The indentation habits of document d around the object at pointer obj whose pod spec is
 * at obj + spec. */
void yedit_style(const char *data, size_t len, const struct sl_yaml_doc *d, const char *obj,
                 const char *spec, struct ystyle *out);

#endif
