/* yamljson: libyaml events to jansson values.
 *
 * libyaml's parser turns the bytes into a flat stream of events (document start, scalar,
 * sequence start, alias, ...). We build each document's value bottom-up with an explicit
 * stack of open sequences and mappings, so nesting costs no C recursion, and the stack's
 * size is the depth cap (64): libyaml's own handling of deep flow nesting is quadratic, so
 * stopping early also bounds its time.
 *
 * Scalars are resolved in resolve.c. Anchors are remembered per document with the
 * finished value and its node count; an alias inserts a deep copy, and the copies of one
 * stream together may not exceed 100,000 nodes, which stops "billion laughs" before any
 * memory is spent on it. Merge keys follow go-yaml v2: `<<` applies its mapping (or, for a
 * sequence of mappings, each one from last to first) over what the mapping holds so far,
 * and keys written later override merged ones. A key written twice in one mapping is an
 * error at the second; go-yaml v2 keeps the last one silently, and we never guess.
 *
 * Positions: every value placed in a mapping or sequence gets an entry (its container, its
 * key or index, where the value and its key start). The entries of a document are sorted
 * once it ends, and sl_yamljson_find() walks a JSON pointer through them.
 */
#include "socklock/yamljson.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "socklock/alloc.h"
#include "yamljson_int.h"

struct pos_entry {
    const json_t *parent; /* the mapping or sequence holding the value */
    char *key;            /* mapping key, or NULL for a sequence index */
    size_t index;
    struct sl_yaml_pos pos;
};

struct sl_yaml_posmap {
    struct pos_entry *items;
    size_t len;
    size_t cap;
};

/* One open sequence or mapping. */
struct frame {
    json_t *node;  /* the array or object being filled */
    size_t nodes;  /* nodes in this subtree so far, alias copies included */
    bool anchored; /* the node carries an anchor, registered at anchor_ix */
    size_t anchor_ix;
    size_t pos_mark; /* position entries before this node's own */
    int line;        /* where the node starts, 1-based */
    int column;
    size_t start;    /* byte offset of the node's start */
    size_t last_end; /* byte offset where its last item so far ends */
    bool flow;       /* written [..] or {..} */
    bool merged;     /* a mapping that took a merge key */
    /* Mappings only. */
    char *key;      /* key waiting for its value, or NULL */
    bool key_merge; /* that key is `<<` */
    int key_line;
    int key_column;
    size_t key_start;
    json_t *explicit_keys; /* once a merge happened: the keys written in this mapping */
};

struct anchor {
    json_t *value; /* NULL while the anchored node is still open */
    size_t nodes;
    char *key;               /* for a scalar: its mapping-key form, or NULL */
    struct sl_error key_err; /* why it cannot be a mapping key, when key is NULL */
};

struct builder {
    const char *file;
    struct sl_error *err;
    struct frame stack[SL_YAML_MAX_DEPTH];
    size_t depth;
    json_t *anchor_index; /* name -> integer index into anchors */
    struct anchor *anchors;
    size_t nanchors;
    size_t alias_nodes; /* nodes copied by aliases, whole stream */
    json_t *root;
    struct sl_yaml_pos root_pos;
    struct sl_yaml_posmap *pos;
    size_t doc_start; /* where the document being built starts */
};

/* A finished node handed to its parent. */
struct item {
    json_t *value; /* new reference */
    size_t nodes;
    int line;
    int column;
    size_t pos_mark;   /* position entries recorded before this node */
    size_t start, end; /* byte offsets of its text */
    enum sl_yaml_style style;
    bool anchored;
    bool merged;
    const struct yj_scalar *scalar; /* when the item is a scalar read just now */
    const char *key_form;           /* when the item is an alias of a scalar */
    const struct sl_error *key_err; /* when the item is an alias: why it is no key */
};

static enum sl_status fail(struct builder *b, enum sl_status rc, int line, int column,
                           const char *fmt, ...) SL_PRINTF(5, 6);

/* Records the error at (line, column) of the file being read and returns rc. */
static enum sl_status fail(struct builder *b, enum sl_status rc, int line, int column,
                           const char *fmt, ...)
{
    char msg[sizeof(b->err->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    sl_error_setpos(b->err, b->file, line, column, "%s", msg);
    return rc;
}

static void posmap_add(struct sl_yaml_posmap *m, const json_t *parent, const char *key,
                       size_t index, const struct sl_yaml_pos *pos)
{
    if (m->len == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->items = sl_xrealloc(m->items, m->cap * sizeof(*m->items));
    }
    struct pos_entry *e = &m->items[m->len++];
    e->parent = parent;
    e->key = key ? sl_xstrdup(key) : NULL;
    e->index = index;
    e->pos = *pos;
}

static void posmap_truncate(struct sl_yaml_posmap *m, size_t len)
{
    while (m->len > len)
        free(m->items[--m->len].key);
}

static void posmap_free(struct sl_yaml_posmap *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->len; i++)
        free(m->items[i].key);
    free(m->items);
    free(m);
}

/* Orders entries by the slot they describe: parent, then key (sequence items first), then
 * index. */
static int slot_cmp(const struct pos_entry *a, const json_t *parent, const char *key, size_t index)
{
    uintptr_t pa = (uintptr_t)a->parent, pb = (uintptr_t)parent;
    if (pa != pb)
        return pa < pb ? -1 : 1;
    if ((a->key == NULL) != (key == NULL))
        return a->key == NULL ? -1 : 1;
    if (a->key != NULL)
        return strcmp(a->key, key);
    if (a->index != index)
        return a->index < index ? -1 : 1;
    return 0;
}

static int pos_qsort_cmp(const void *a, const void *b)
{
    const struct pos_entry *eb = b;
    return slot_cmp(a, eb->parent, eb->key, eb->index);
}

static const struct pos_entry *posmap_lookup(const struct sl_yaml_posmap *m, const json_t *parent,
                                             const char *key, size_t index)
{
    if (m == NULL || m->len == 0)
        return NULL;
    /* Later entries for the same slot replace earlier ones, so take the last match. */
    size_t lo = 0, hi = m->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (slot_cmp(&m->items[mid], parent, key, index) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0 && slot_cmp(&m->items[lo - 1], parent, key, index) == 0)
        return &m->items[lo - 1];
    return NULL;
}

static void frame_clear(struct frame *f)
{
    json_decref(f->node);
    free(f->key);
    json_decref(f->explicit_keys);
    memset(f, 0, sizeof(*f));
}

static void anchors_reset(struct builder *b)
{
    for (size_t i = 0; i < b->nanchors; i++) {
        json_decref(b->anchors[i].value);
        free(b->anchors[i].key);
    }
    free(b->anchors);
    b->anchors = NULL;
    b->nanchors = 0;
    json_object_clear(b->anchor_index);
}

/* Registers (or re-registers: a later anchor of the same name wins) an anchor. */
static size_t anchor_open(struct builder *b, const char *name)
{
    b->anchors = sl_xrealloc(b->anchors, (b->nanchors + 1) * sizeof(*b->anchors));
    struct anchor *a = &b->anchors[b->nanchors];
    memset(a, 0, sizeof(*a));
    json_object_set_new(b->anchor_index, name, json_integer((json_int_t)b->nanchors));
    b->nanchors++;
    return b->nanchors - 1;
}

static struct anchor *anchor_find(struct builder *b, const char *name)
{
    json_t *ix = json_object_get(b->anchor_index, name);
    if (ix == NULL)
        return NULL;
    return &b->anchors[json_integer_value(ix)];
}

/* Applies a merge value (a mapping, or a sequence of mappings) to the mapping in f, as
 * go-yaml v2's merge(): earlier mappings of a sequence take precedence. */
static enum sl_status apply_merge(struct builder *b, struct frame *f, const struct item *it)
{
    static const char want[] = "map merge requires map or sequence of maps as the value";
    if (f->explicit_keys == NULL) {
        /* From now on "present" no longer means "written here": keep the written keys. */
        f->explicit_keys = json_object();
        const char *k;
        json_t *v;
        json_object_foreach(f->node, k, v)
        {
            json_object_set(f->explicit_keys, k, json_null());
        }
    }
    if (json_is_object(it->value)) {
        json_object_update(f->node, it->value);
        return SL_OK;
    }
    if (!json_is_array(it->value))
        return fail(b, SL_E_INVALID, it->line, it->column, want);
    for (size_t i = json_array_size(it->value); i-- > 0;) {
        if (!json_is_object(json_array_get(it->value, i)))
            return fail(b, SL_E_INVALID, it->line, it->column, want);
    }
    for (size_t i = json_array_size(it->value); i-- > 0;)
        json_object_update(f->node, json_array_get(it->value, i));
    return SL_OK;
}

/* Takes a finished key node for the mapping in f. */
static enum sl_status take_key(struct builder *b, struct frame *f, const struct item *it,
                               bool merge)
{
    struct sl_error e = {0};
    char *key = NULL;
    if (merge) {
        key = sl_xstrdup("<<");
    } else if (it->scalar != NULL) {
        (void)yj_scalar_key(it->scalar, &key, &e);
    } else if (it->key_form != NULL) {
        key = sl_xstrdup(it->key_form);
    } else if (it->key_err != NULL && it->key_err->msg[0] != '\0') {
        e = *it->key_err;
    } else {
        sl_error_set(&e, "a mapping key must be a scalar");
    }
    if (key == NULL)
        return fail(b, SL_E_INVALID, it->line, it->column, "%s", e.msg);
    f->key = key;
    f->key_merge = merge;
    f->key_line = it->line;
    f->key_column = it->column;
    f->key_start = it->start;
    return SL_OK;
}

/* Hands a finished node to the open container on top of the stack, or makes it the
 * document root. Steals it->value. */
static enum sl_status deliver(struct builder *b, struct item *it, bool merge_key)
{
    enum sl_status rc = SL_OK;
    struct sl_yaml_pos pos = {.line = it->line,
                              .column = it->column,
                              .start = it->start,
                              .end = it->end,
                              .key_start = it->start,
                              .style = it->style,
                              .anchored = it->anchored,
                              .merged = it->merged};
    if (b->depth == 0) {
        b->root = it->value;
        b->root_pos = pos;
        return SL_OK;
    }
    struct frame *f = &b->stack[b->depth - 1];
    f->nodes += it->nodes;
    f->last_end = it->end;
    if (json_is_array(f->node)) {
        posmap_add(b->pos, f->node, NULL, json_array_size(f->node), &pos);
        json_array_append_new(f->node, it->value);
        return SL_OK;
    }
    if (f->key == NULL) {
        rc = take_key(b, f, it, merge_key);
        json_decref(it->value);
        return rc;
    }
    if (f->key_merge) {
        f->merged = true;
        rc = apply_merge(b, f, it);
        json_decref(it->value);
        /* The merge value itself is discarded: forget where its insides were, before
         * their addresses can be reused. */
        posmap_truncate(b->pos, it->pos_mark);
    } else {
        json_t *seen = f->explicit_keys != NULL ? f->explicit_keys : f->node;
        if (json_object_get(seen, f->key) != NULL) {
            json_decref(it->value);
            rc = fail(b, SL_E_INVALID, f->key_line, f->key_column,
                      "duplicate mapping key \"%.200s\"", f->key);
        } else {
            pos.key_line = f->key_line;
            pos.key_column = f->key_column;
            pos.key_start = f->key_start;
            posmap_add(b->pos, f->node, f->key, 0, &pos);
            json_object_set_new(f->node, f->key, it->value);
            if (f->explicit_keys != NULL)
                json_object_set_new(f->explicit_keys, f->key, json_null());
        }
    }
    free(f->key);
    f->key = NULL;
    f->key_merge = false;
    return rc;
}

static bool awaiting_key(const struct builder *b)
{
    if (b->depth == 0)
        return false;
    const struct frame *f = &b->stack[b->depth - 1];
    return json_is_object(f->node) && f->key == NULL;
}

static enum sl_yaml_style scalar_style(yaml_scalar_style_t s)
{
    switch (s) {
    case YAML_SINGLE_QUOTED_SCALAR_STYLE:
        return SL_YAML_SINGLE_QUOTED;
    case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
        return SL_YAML_DOUBLE_QUOTED;
    case YAML_LITERAL_SCALAR_STYLE:
        return SL_YAML_LITERAL;
    case YAML_FOLDED_SCALAR_STYLE:
        return SL_YAML_FOLDED;
    default:
        return SL_YAML_PLAIN;
    }
}

static enum sl_status on_scalar(struct builder *b, const yaml_event_t *ev)
{
    const char *tag = (const char *)ev->data.scalar.tag;
    const char *text = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    bool plain = ev->data.scalar.plain_implicit != 0;
    int line = (int)ev->start_mark.line + 1, column = (int)ev->start_mark.column + 1;
    struct sl_error e = {0};
    struct yj_scalar sc;
    bool is_key = awaiting_key(b);
    bool merge = is_key && yj_is_merge(tag, text, len, plain);
    enum sl_status rc = yj_resolve(tag, text, len, plain, &sc, &e);
    if (rc != SL_OK)
        return fail(b, rc, line, column, "%s", e.msg);
    json_t *value = NULL;
    if (is_key) {
        value = json_null(); /* keys are read from the scalar itself */
    } else if (yj_scalar_json(&sc, &value, &e) != SL_OK) {
        return fail(b, SL_E_INVALID, line, column, "%s", e.msg);
    }
    if (ev->data.scalar.anchor != NULL) {
        size_t ix = anchor_open(b, (const char *)ev->data.scalar.anchor);
        struct anchor *a = &b->anchors[ix];
        a->nodes = 1;
        (void)yj_scalar_key(&sc, &a->key, &a->key_err);
        if (is_key) {
            /* A key may be .inf; its value form is refused on use. */
            if (yj_scalar_json(&sc, &a->value, &e) != SL_OK)
                a->value = json_null();
        } else {
            a->value = json_incref(value);
        }
    }
    struct item it = {.value = value,
                      .nodes = 1,
                      .line = line,
                      .column = column,
                      .pos_mark = b->pos->len,
                      .start = ev->start_mark.index,
                      .end = ev->end_mark.index,
                      .style = scalar_style(ev->data.scalar.style),
                      .anchored = ev->data.scalar.anchor != NULL,
                      .scalar = &sc};
    return deliver(b, &it, merge);
}

static enum sl_status on_alias(struct builder *b, const yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;
    int line = (int)ev->start_mark.line + 1, column = (int)ev->start_mark.column + 1;
    struct anchor *a = anchor_find(b, name);
    if (a == NULL)
        return fail(b, SL_E_INVALID, line, column, "unknown anchor '%.200s' referenced", name);
    if (a->value == NULL)
        return fail(b, SL_E_INVALID, line, column, "anchor '%.200s' value contains itself", name);
    if (a->nodes > SL_YAML_MAX_ALIAS_NODES - b->alias_nodes)
        return fail(b, SL_E_LIMIT, line, column, "aliases expand too far (over %d nodes)",
                    SL_YAML_MAX_ALIAS_NODES);
    b->alias_nodes += a->nodes;
    struct item it = {.value = json_deep_copy(a->value),
                      .nodes = a->nodes,
                      .line = line,
                      .column = column,
                      .pos_mark = b->pos->len,
                      .start = ev->start_mark.index,
                      .end = ev->end_mark.index,
                      .style = SL_YAML_ALIAS,
                      .key_form = a->key,
                      .key_err = &a->key_err};
    /* An alias used as the merge key itself is not a merge (go-yaml's isMerge wants a
     * scalar node). */
    return deliver(b, &it, false);
}

static enum sl_status on_start(struct builder *b, const yaml_event_t *ev, bool mapping)
{
    int line = (int)ev->start_mark.line + 1, column = (int)ev->start_mark.column + 1;
    if (b->depth == SL_YAML_MAX_DEPTH)
        return fail(b, SL_E_LIMIT, line, column, "nested too deeply (more than %d levels)",
                    SL_YAML_MAX_DEPTH);
    if (awaiting_key(b))
        return fail(b, SL_E_INVALID, line, column,
                    "a mapping key must be a scalar (JSON keys are strings)");
    const yaml_char_t *anchor =
        mapping ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    struct frame *f = &b->stack[b->depth++];
    memset(f, 0, sizeof(*f));
    f->node = mapping ? json_object() : json_array();
    f->nodes = 1;
    f->line = line;
    f->column = column;
    f->pos_mark = b->pos->len;
    f->start = ev->start_mark.index;
    f->last_end = ev->end_mark.index;
    f->flow = mapping ? ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                      : ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
    if (anchor != NULL) {
        /* Open until the node ends: an alias to it from inside is an error. */
        f->anchored = true;
        f->anchor_ix = anchor_open(b, (const char *)anchor);
    }
    return SL_OK;
}

static enum sl_status on_end(struct builder *b, const yaml_event_t *ev)
{
    struct frame *f = &b->stack[--b->depth];
    bool mapping = json_is_object(f->node);
    enum sl_yaml_style style = mapping ? (f->flow ? SL_YAML_FLOW_MAPPING : SL_YAML_BLOCK_MAPPING)
                                       : (f->flow ? SL_YAML_FLOW_SEQUENCE : SL_YAML_BLOCK_SEQUENCE);
    /* A flow collection ends at its bracket; a block one where its last item's text ends
     * (libyaml's end mark for it lies past trailing comments and blank lines). */
    struct item it = {.value = f->node,
                      .nodes = f->nodes,
                      .line = f->line,
                      .column = f->column,
                      .pos_mark = f->pos_mark,
                      .start = f->start,
                      .end = f->flow ? ev->end_mark.index : f->last_end,
                      .style = style,
                      .anchored = f->anchored,
                      .merged = f->merged};
    f->node = NULL;
    if (f->anchored) {
        struct anchor *a = &b->anchors[f->anchor_ix];
        a->value = json_incref(it.value);
        a->nodes = it.nodes;
        sl_error_set(&a->key_err, "a mapping key must be a scalar");
    }
    frame_clear(f);
    return deliver(b, &it, false);
}

static void builder_unwind(struct builder *b)
{
    while (b->depth > 0)
        frame_clear(&b->stack[--b->depth]);
    json_decref(b->root);
    b->root = NULL;
    posmap_free(b->pos);
    b->pos = NULL;
}

/* Hands the document just built over to d. */
static void take_doc(struct builder *b, struct sl_yaml_doc *d)
{
    if (b->pos->len > 1)
        qsort(b->pos->items, b->pos->len, sizeof(*b->pos->items), pos_qsort_cmp);
    *d = (struct sl_yaml_doc){.value = b->root,
                              .line = b->root_pos.line,
                              .column = b->root_pos.column,
                              .root = b->root_pos,
                              .pos = b->pos,
                              .start = b->doc_start};
    b->root = NULL;
    b->pos = NULL;
}

/* libyaml's reader errors carry a byte offset, not a mark. */
static void offset_to_pos(const char *data, size_t len, size_t off, int *line, int *column)
{
    int l = 1, c = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (data[i] == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char)data[i] & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *column = c;
}

static enum sl_status parser_error(struct builder *b, const yaml_parser_t *p, const char *data,
                                   size_t len)
{
    int line = (int)p->problem_mark.line + 1, column = (int)p->problem_mark.column + 1;
    if (p->error == YAML_READER_ERROR)
        offset_to_pos(data, len, p->problem_offset, &line, &column);
    const char *problem = p->problem ? p->problem : "invalid YAML";
    if (p->context != NULL)
        return fail(b, SL_E_INVALID, line, column, "%s (%s at line %d)", problem, p->context,
                    (int)p->context_mark.line + 1);
    return fail(b, SL_E_INVALID, line, column, "%s", problem);
}

/* One event; *done when it ended a non-empty document, now in *d. */
static enum sl_status on_event(struct builder *b, const yaml_event_t *ev, struct sl_yaml_doc *d,
                               bool *done)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        anchors_reset(b);
        b->pos = sl_xcalloc(1, sizeof(*b->pos));
        b->doc_start = ev->start_mark.index;
        return SL_OK;
    case YAML_DOCUMENT_END_EVENT:
        if (b->root != NULL && !json_is_null(b->root)) {
            take_doc(b, d);
            *done = true;
        } else {
            json_decref(b->root);
            b->root = NULL;
            posmap_free(b->pos);
            b->pos = NULL;
        }
        return SL_OK;
    case YAML_SCALAR_EVENT:
        /* libyaml sends nodes only between a document's start and end. */
        assert(b->pos != NULL);
        return on_scalar(b, ev);
    case YAML_ALIAS_EVENT:
        assert(b->pos != NULL);
        return on_alias(b, ev);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        assert(b->pos != NULL);
        return on_start(b, ev, ev->type == YAML_MAPPING_START_EVENT);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return on_end(b, ev);
    default:
        return SL_OK;
    }
}

struct sl_yaml_reader {
    yaml_parser_t parser;
    struct builder b;
    const char *data;
    size_t len;
    bool ended; /* the stream's end (or an error) was reached */
};

enum sl_status sl_yamljson_open(const char *data, size_t len, const char *filename,
                                struct sl_yaml_reader **out, struct sl_error *err)
{
    struct sl_yaml_reader *r = sl_xcalloc(1, sizeof(*r));
    r->b.file = filename ? filename : "";
    r->data = data;
    r->len = len;
    if (!yaml_parser_initialize(&r->parser)) {
        sl_error_setpos(err, r->b.file, 0, 0, "cannot initialise the YAML parser");
        free(r);
        *out = NULL;
        return SL_E_INTERNAL;
    }
    yaml_parser_set_input_string(&r->parser, (const unsigned char *)data, len);
    r->b.anchor_index = json_object();
    *out = r;
    return SL_OK;
}

enum sl_status sl_yamljson_next(struct sl_yaml_reader *r, struct sl_yaml_doc *d, bool *got,
                                struct sl_error *err)
{
    enum sl_status rc = SL_OK;
    *got = false;
    memset(d, 0, sizeof(*d));
    r->b.err = err;
    while (!r->ended && !*got) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&r->parser, &ev)) {
            rc = parser_error(&r->b, &r->parser, r->data, r->len);
            r->ended = true;
            break;
        }
        r->ended = ev.type == YAML_STREAM_END_EVENT;
        rc = on_event(&r->b, &ev, d, got);
        yaml_event_delete(&ev);
        if (rc != SL_OK)
            r->ended = true;
    }
    if (rc != SL_OK && *got) {
        sl_yamljson_doc_cleanup(d);
        *got = false;
    }
    return rc;
}

void sl_yamljson_close(struct sl_yaml_reader *r)
{
    if (r == NULL)
        return;
    builder_unwind(&r->b);
    anchors_reset(&r->b);
    json_decref(r->b.anchor_index);
    yaml_parser_delete(&r->parser);
    free(r);
}

void sl_yamljson_doc_cleanup(struct sl_yaml_doc *d)
{
    if (d == NULL)
        return;
    json_decref(d->value);
    posmap_free(d->pos);
    memset(d, 0, sizeof(*d));
}

enum sl_status sl_yamljson_load(const char *data, size_t len, const char *filename,
                                struct sl_yaml_stream *out, struct sl_error *err)
{
    struct sl_yaml_reader *r;
    out->docs = NULL;
    out->len = 0;
    enum sl_status rc = sl_yamljson_open(data, len, filename, &r, err);
    for (bool got = true; rc == SL_OK && got;) {
        struct sl_yaml_doc d;
        rc = sl_yamljson_next(r, &d, &got, err);
        if (got) {
            out->docs = sl_xrealloc(out->docs, (out->len + 1) * sizeof(*out->docs));
            out->docs[out->len++] = d;
        }
    }
    sl_yamljson_close(r);
    if (rc != SL_OK)
        sl_yamljson_stream_cleanup(out);
    return rc;
}

enum sl_status sl_yamljson_doc_starts(const char *data, size_t len, size_t **starts, size_t *n,
                                      struct sl_error *err)
{
    yaml_parser_t parser;
    *starts = NULL;
    *n = 0;
    if (!yaml_parser_initialize(&parser)) {
        sl_error_set(err, "cannot initialise the YAML parser");
        return SL_E_INTERNAL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    enum sl_status rc = SL_OK;
    size_t cap = 0;
    for (bool end = false; !end;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            sl_error_set(err, "%s", parser.problem != NULL ? parser.problem : "invalid YAML");
            rc = SL_E_INVALID;
            break;
        }
        if (ev.type == YAML_DOCUMENT_START_EVENT) {
            if (*n == cap) {
                cap = cap ? 2 * cap : 16;
                *starts = sl_xrealloc(*starts, cap * sizeof(**starts));
            }
            (*starts)[(*n)++] = ev.start_mark.index;
        }
        end = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    if (rc != SL_OK) {
        free(*starts);
        *starts = NULL;
        *n = 0;
    }
    return rc;
}

void sl_yamljson_stream_cleanup(struct sl_yaml_stream *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->len; i++) {
        json_decref(s->docs[i].value);
        posmap_free(s->docs[i].pos);
    }
    free(s->docs);
    s->docs = NULL;
    s->len = 0;
}

/* Reads one RFC 6901 reference token from *p into a new string, advancing *p. */
static char *next_token(const char **p)
{
    const char *s = *p + 1; /* skip '/' */
    const char *end = strchr(s, '/');
    size_t n = end ? (size_t)(end - s) : strlen(s);
    char *tok = sl_xmalloc(n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '~' && i + 1 < n && (s[i + 1] == '0' || s[i + 1] == '1')) {
            tok[j++] = s[i + 1] == '0' ? '~' : '/';
            i++;
        } else {
            tok[j++] = s[i];
        }
    }
    tok[j] = '\0';
    *p = s + n;
    return tok;
}

static bool parse_index(const char *tok, size_t *out)
{
    if (tok[0] == '\0' || (tok[0] == '0' && tok[1] != '\0'))
        return false;
    size_t v = 0;
    for (const char *c = tok; *c != '\0'; c++) {
        if (*c < '0' || *c > '9' || v > (SIZE_MAX - 9) / 10)
            return false;
        v = v * 10 + (size_t)(*c - '0');
    }
    *out = v;
    return true;
}

/* A node whose text stands for more than itself, or is not its own. */
static bool tangled_node(const struct sl_yaml_pos *p)
{
    return p->anchored || p->merged || p->style == SL_YAML_ALIAS;
}

enum sl_status sl_yamljson_find(const struct sl_yaml_doc *doc, const char *pointer,
                                struct sl_yaml_pos *out, bool *tangled)
{
    *out = doc->root;
    bool tangle = tangled_node(&doc->root);
    const json_t *cur = doc->value;
    bool exact = true;
    const char *p = pointer ? pointer : "";
    if (tangled != NULL)
        *tangled = tangle;
    if (p[0] != '\0' && p[0] != '/')
        return SL_E_NOTFOUND;
    while (*p == '/') {
        char *tok = next_token(&p);
        const json_t *child = NULL;
        const struct pos_entry *e = NULL;
        size_t ix = 0;
        if (json_is_object(cur)) {
            child = json_object_get(cur, tok);
            e = posmap_lookup(doc->pos, cur, tok, 0);
        } else if (json_is_array(cur) && parse_index(tok, &ix)) {
            child = json_array_get(cur, ix);
            e = posmap_lookup(doc->pos, cur, NULL, ix);
        }
        free(tok);
        if (child == NULL)
            return SL_E_NOTFOUND;
        if (e != NULL && exact) {
            *out = e->pos;
            tangle = tangle || tangled_node(&e->pos);
        } else {
            exact = false;
            tangle = true;
        }
        cur = child;
    }
    if (tangled != NULL)
        *tangled = tangle;
    return exact ? SL_OK : SL_E_NOTFOUND;
}
