/* yamledit: a JSON patch carried out on YAML text.
 *
 * The positions libyaml reports (yamljson keeps them per node: start and end offsets, the
 * key's offset, the style) say where each node's text lies. An operation becomes:
 *
 *   add a member or item  lines inserted after the line where the block's last entry ends,
 *                         at the block's own indentation; all the adds into one block are one
 *                         insertion, in the patch's order;
 *   replace a scalar      its text rewritten in place, in its own quoting style (plain,
 *                         'single', "double"), which is safe inside a flow collection too;
 *   replace null or {}    ("securityContext:", "securityContext: null", "securityContext:
 *                         {}") by a block: the value's text removed, the block's lines put
 *                         after the key;
 *   remove                a block sequence's item or a block mapping's member: its lines
 *                         removed.
 *
 * Anything else is refused, and the document is left for a fix by hand: an insertion into a
 * flow collection with content, a change to an anchored node, an alias, a mapping with a
 * merge key or anything inside them (the text of one node would change others), a block
 * scalar to rewrite, a collection replaced whole. New values are written in block style with
 * the document's own indentation habits; strings plain when that reads back as the same
 * string, else double-quoted. */
#include "fix_int.h"

#include <stdlib.h>
#include <string.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"
#include "socklock/json.h"
#include "socklock/patch.h"

void edits_cleanup(struct edits *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i].text);
    free(e->v);
    e->v = NULL;
    e->n = e->cap = 0;
}

static void edits_add(struct edits *e, const struct edit *x)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? 2 * e->cap : 16;
        e->v = sl_xrealloc(e->v, e->cap * sizeof(*e->v));
    }
    e->v[e->n++] = *x;
}

/* ---- writing values ---- */

static bool is_word_in(const char *s, const char *const *words)
{
    for (; *words != NULL; words++) {
        const char *a = s, *b = *words;
        while (*a && *b && (*a | 0x20) == *b) {
            a++;
            b++;
        }
        if (*a == '\0' && *b == '\0')
            return true;
    }
    return false;
}

/* True when s, written plain, reads back as the string s (YAML 1.1 as go-yaml resolves it):
 * a conservative set of characters, and not a word that reads as a boolean or null. Numbers
 * are excluded by refusing a leading digit, sign or dot. */
static bool plain_safe(const char *s)
{
    static const char *const words[] = {"y",   "n",    "yes",   "no",   "on",
                                        "off", "true", "false", "null", NULL};
    if (*s == '\0' || is_word_in(s, words))
        return false;
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '/' || *s == '_'))
        return false;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || c == '/'))
            return false;
    }
    return true;
}

/* A scalar value as YAML text in a style: plain when it can be, else double-quoted (JSON's
 * escapes are YAML's); single-quoted keeps single quotes. */
static void put_scalar(struct sl_buf *b, const json_t *v, enum sl_yaml_style style)
{
    if (!json_is_string(v)) {
        char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        (void)sl_buf_puts(b, t != NULL ? t : "null");
        free(t);
        return;
    }
    const char *s = json_string_value(v);
    if (style == SL_YAML_SINGLE_QUOTED) {
        (void)sl_buf_puts(b, "'");
        for (const char *p = s; *p; p++)
            (void)sl_buf_puts(b, *p == '\'' ? "''" : (char[]){*p, '\0'});
        (void)sl_buf_puts(b, "'");
        return;
    }
    if (style == SL_YAML_PLAIN && plain_safe(s)) {
        (void)sl_buf_puts(b, s);
        return;
    }
    char *t = json_dumps(v, JSON_ENCODE_ANY);
    (void)sl_buf_puts(b, t != NULL ? t : "\"\"");
    free(t);
}

static void put_key(struct sl_buf *b, const char *key)
{
    json_t *k = json_string(key);
    put_scalar(b, k, SL_YAML_PLAIN);
    json_decref(k);
}

static void put_indent(struct sl_buf *b, int n)
{
    for (int i = 0; i < n; i++)
        (void)sl_buf_puts(b, " ");
}

static void put_member(struct sl_buf *b, const struct ystyle *st, int indent, const char *key,
                       const json_t *v);

/* An item of a block sequence: "- " and its value, further lines at indent + 2. */
/* NOLINTNEXTLINE(misc-no-recursion): one frame per level of the value written */
static void put_item(struct sl_buf *b, const struct ystyle *st, int indent, const json_t *v)
{
    put_indent(b, indent);
    (void)sl_buf_puts(b, "- ");
    if (json_is_object(v) && json_object_size(v) > 0) {
        bool first = true;
        const char *k;
        const json_t *m;
        json_object_foreach(sl_json_mut(v), k, m)
        {
            /* The first member shares the dash's line. */
            struct sl_buf line;
            sl_buf_init(&line, 0);
            put_member(&line, st, indent + 2, k, m);
            (void)sl_buf_puts(b, first ? line.data + indent + 2 : line.data);
            sl_buf_cleanup(&line);
            first = false;
        }
        return;
    }
    if (json_is_array(v) || json_is_object(v)) {
        char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        (void)sl_buf_printf(b, "%s%s", t != NULL ? t : "[]", st->eol);
        free(t);
        return;
    }
    put_scalar(b, v, SL_YAML_PLAIN);
    (void)sl_buf_puts(b, st->eol);
}

/* "key: value" at indent, a nested block on the following lines. */
/* NOLINTNEXTLINE(misc-no-recursion): one frame per level of the value written */
static void put_member(struct sl_buf *b, const struct ystyle *st, int indent, const char *key,
                       const json_t *v)
{
    put_indent(b, indent);
    put_key(b, key);
    (void)sl_buf_puts(b, ":");
    if (json_is_object(v) && json_object_size(v) > 0) {
        (void)sl_buf_puts(b, st->eol);
        const char *k;
        const json_t *m;
        json_object_foreach(sl_json_mut(v), k, m)
        {
            put_member(b, st, indent + st->map_indent, k, m);
        }
        return;
    }
    if (json_is_array(v) && json_array_size(v) > 0) {
        (void)sl_buf_puts(b, st->eol);
        size_t i;
        const json_t *item;
        json_array_foreach(v, i, item)
        {
            put_item(b, st, indent + st->seq_indent, item);
        }
        return;
    }
    (void)sl_buf_puts(b, " ");
    if (json_is_object(v))
        (void)sl_buf_puts(b, "{}");
    else if (json_is_array(v))
        (void)sl_buf_puts(b, "[]");
    else
        put_scalar(b, v, SL_YAML_PLAIN);
    (void)sl_buf_puts(b, st->eol);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* ---- places in the text ---- */

/* Where a line inserted after the one holding offset `end` goes, and whether the text ends
 * there without a newline (then the insertion must start one). */
static size_t after_line(const char *data, size_t len, size_t end, bool *need_eol)
{
    *need_eol = false;
    if (end > 0 && end <= len && data[end - 1] == '\n')
        return end;
    const char *nl = end < len ? memchr(data + end, '\n', len - end) : NULL;
    if (nl != NULL)
        return (size_t)(nl - data) + 1;
    *need_eol = true;
    return len;
}

/* From `at`, a line start, past the comment lines indented deeper than `indent` (and the
 * blank lines among them): they belong to the inner block that ends the one written into,
 * and stay with it. Sets *need_eol when that reaches a text's end without a line end. */
static size_t past_deeper_comments(const char *data, size_t len, size_t at, int indent,
                                   bool *need_eol)
{
    size_t pos = at, keep = at;
    while (pos < len) {
        size_t i = pos;
        int col = 0;
        while (i < len && data[i] == ' ') {
            i++;
            col++;
        }
        const char *nl = memchr(data + i, '\n', len - i);
        size_t next = nl != NULL ? (size_t)(nl - data) + 1 : len;
        if (i == len || data[i] == '\n' || data[i] == '\r') {
            pos = next; /* blank: kept only if a deeper comment follows */
            continue;
        }
        if (data[i] != '#' || col <= indent)
            break;
        pos = keep = next;
    }
    if (keep != at)
        *need_eol = data[keep - 1] != '\n';
    return keep;
}

/* The offset just past the ':' before a mapping member's value at `value`, or (size_t)-1. */
static size_t after_colon(const char *data, const struct sl_yaml_pos *p)
{
    size_t i = p->start;
    while (i > p->key_start && (data[i - 1] == ' ' || data[i - 1] == '\t'))
        i--;
    if (i > p->key_start && data[i - 1] == ':')
        return i;
    return (size_t)-1;
}

/* ---- one object ---- */

/* The JSON value at pointer in v, or NULL. */
static const json_t *value_at(const json_t *v, const char *pointer)
{
    /* Tokens separated by '/', with RFC 6901's escapes. */
    const json_t *cur = v;
    const char *p = pointer;
    while (cur != NULL && *p == '/') {
        p++;
        const char *slash = strchr(p, '/');
        size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
        char *tok = sl_xmalloc(n + 1);
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
            if (p[i] == '~' && i + 1 < n) {
                tok[o++] = p[i + 1] == '1' ? '/' : '~';
                i++;
            } else {
                tok[o++] = p[i];
            }
        }
        tok[o] = '\0';
        if (json_is_object(cur))
            cur = json_object_get(cur, tok);
        else if (json_is_array(cur))
            cur = json_array_get(cur, strtoul(tok, NULL, 10));
        else
            cur = NULL;
        free(tok);
        p += n;
    }
    return cur;
}

/* Splits "/a/b/c" into the parent "/a/b" (a new string) and the last token, decoded. */
static void split_path(const char *path, char **parent, char **last)
{
    const char *slash = strrchr(path, '/');
    size_t plen = slash != NULL ? (size_t)(slash - path) : 0;
    *parent = sl_xstrndup(path, plen);
    const char *t = slash != NULL ? slash + 1 : path;
    char *out = sl_xmalloc(strlen(t) + 1);
    size_t o = 0;
    for (size_t i = 0; t[i]; i++) {
        if (t[i] == '~' && t[i + 1] != '\0') {
            out[o++] = t[i + 1] == '1' ? '/' : '~';
            i++;
        } else {
            out[o++] = t[i];
        }
    }
    out[o] = '\0';
    *last = out;
}

/* The adds into one block, gathered so they become one insertion. */
struct group {
    char *parent;    /* pointer, in the document */
    json_t *members; /* an object (mapping) or an array (sequence) of what is added */
};

struct work {
    const char *data;
    size_t len;
    const struct sl_yaml_doc *d;
    size_t d_index;
    const struct ystyle *st;
    struct edits edits;
    struct group *groups;
    size_t ngroups;
    char *why;
};

static enum sl_status refuse(struct work *w, const char *path, const char *what)
{
    free(w->why);
    w->why = sl_xasprintf("%s at %s", what, *path ? path : "/");
    return SL_E_INVALID;
}

static struct group *group_for(struct work *w, const char *parent, bool mapping)
{
    for (size_t i = 0; i < w->ngroups; i++)
        if (strcmp(w->groups[i].parent, parent) == 0)
            return &w->groups[i];
    w->groups = sl_xrealloc(w->groups, (w->ngroups + 1) * sizeof(*w->groups));
    struct group *g = &w->groups[w->ngroups++];
    g->parent = sl_xstrdup(parent);
    g->members = mapping ? json_object() : json_array();
    return g;
}

/* Writes a whole block (the members of an object, the items of an array) at indent. */
static char *render_block(const struct ystyle *st, int indent, const json_t *v)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    if (json_is_object(v)) {
        const char *k;
        const json_t *m;
        json_object_foreach(sl_json_mut(v), k, m)
        {
            put_member(&b, st, indent, k, m);
        }
    } else {
        size_t i;
        const json_t *item;
        json_array_foreach(v, i, item)
        {
            put_item(&b, st, indent, item);
        }
    }
    (void)sl_buf_puts(&b, "");
    return sl_buf_detach(&b, NULL);
}

/* A null, empty or {} / [] value of a mapping member replaced by a block: the value's text
 * goes, the block's lines follow the key. */
/* Lines inserted after the line holding offset `end` (past the deeper comments that follow
 * it, see past_deeper_comments), for a block at `indent`; `block` is consumed. */
static void insert_after(struct work *w, size_t end, int indent, int depth, char *block)
{
    bool need_eol;
    size_t at = after_line(w->data, w->len, end, &need_eol);
    at = past_deeper_comments(w->data, w->len, at, indent, &need_eol);
    struct edit e = {
        .start = at, .end = at, .depth = depth, .doc = w->d_index, .kind = EDIT_INSERT};
    if (need_eol) {
        /* The text ends without a line end: start one, and end as the file did. */
        size_t blen = strlen(block), eol = strlen(w->st->eol);
        if (blen >= eol)
            block[blen - eol] = '\0';
        e.text = sl_xasprintf("%s%s", w->st->eol, block);
        free(block);
    } else {
        e.text = block;
    }
    e.lines = count_lines(e.text);
    edits_add(&w->edits, &e);
}

/* A null, empty or {} / [] value of a block mapping's member replaced by a block: the
 * value's text goes (what follows it on the line, a comment, stays), the block's lines
 * follow the key's line. */
static enum sl_status to_block(struct work *w, const char *path, const struct sl_yaml_pos *p,
                               const json_t *value)
{
    char *parent, *last;
    split_path(path, &parent, &last);
    struct sl_yaml_pos pp;
    bool block_parent =
        sl_yamljson_find(w->d, parent, &pp, NULL) == SL_OK && pp.style == SL_YAML_BLOCK_MAPPING;
    free(parent);
    free(last);
    size_t colon = after_colon(w->data, p);
    if (!block_parent || colon == (size_t)-1 || p->key_column == 0)
        return refuse(w, path, "an insertion into a flow collection");
    /* Trailing blanks after an emptied value go with it. */
    size_t end = p->end;
    while (end < w->len && (w->data[end] == ' ' || w->data[end] == '\t'))
        end++;
    if (end < w->len && w->data[end] != '\n' && w->data[end] != '\r')
        end = p->end;
    if (end > colon) {
        struct edit cut = {.start = colon,
                           .end = end,
                           .text = sl_xstrdup(""),
                           .doc = w->d_index,
                           .kind = EDIT_REPLACE};
        edits_add(&w->edits, &cut);
    }
    int indent =
        p->key_column - 1 + (json_is_object(value) ? w->st->map_indent : w->st->seq_indent);
    /* Deeper than the mapping holding the key, so it goes before that mapping's additions. */
    insert_after(w, end, p->key_column - 1, p->key_column + 1, render_block(w->st, indent, value));
    return SL_OK;
}

static bool scalar_style(enum sl_yaml_style s)
{
    return s == SL_YAML_PLAIN || s == SL_YAML_SINGLE_QUOTED || s == SL_YAML_DOUBLE_QUOTED;
}

static bool empty_collection(const struct sl_yaml_pos *p, const json_t *now)
{
    bool flow = p->style == SL_YAML_FLOW_MAPPING || p->style == SL_YAML_FLOW_SEQUENCE;
    size_t n = json_is_object(now) ? json_object_size(now) : json_array_size(now);
    return flow && n == 0;
}

static enum sl_status do_replace(struct work *w, const char *path, const json_t *value)
{
    struct sl_yaml_pos p;
    bool tangled;
    if (sl_yamljson_find(w->d, path, &p, &tangled) != SL_OK || tangled)
        return refuse(w, path, "a change to an anchored, aliased or merged node");
    const json_t *now = value_at(w->d->value, path);
    bool container = json_is_object(value) || json_is_array(value);
    if (container && ((json_is_null(now) && p.style == SL_YAML_PLAIN) || empty_collection(&p, now)))
        return to_block(w, path, &p, value);
    if (container || !scalar_style(p.style) || json_is_object(now) || json_is_array(now))
        return refuse(w, path, "a value that is not a plain or quoted scalar");
    struct sl_buf b;
    sl_buf_init(&b, 0);
    put_scalar(&b, value, p.style);
    struct edit e = {.start = p.start,
                     .end = p.end,
                     .text = sl_buf_detach(&b, NULL),
                     .doc = w->d_index,
                     .kind = EDIT_REPLACE};
    edits_add(&w->edits, &e);
    return SL_OK;
}

static enum sl_status do_remove(struct work *w, const char *path)
{
    char *parent, *last;
    split_path(path, &parent, &last);
    struct sl_yaml_pos pp, p;
    bool tp, t;
    enum sl_status rc = SL_OK;
    if (sl_yamljson_find(w->d, parent, &pp, &tp) != SL_OK || tp ||
        sl_yamljson_find(w->d, path, &p, &t) != SL_OK || t)
        rc = refuse(w, path, "a change to an anchored, aliased or merged node");
    else if (pp.style != SL_YAML_BLOCK_SEQUENCE && pp.style != SL_YAML_BLOCK_MAPPING)
        rc = refuse(w, path, "a removal from a flow collection");
    free(parent);
    free(last);
    if (rc != SL_OK)
        return rc;
    /* An item's first line holds only its dash before it, a member's only blanks before its
     * key (the first member of a list item shares the dash's line: refused); the last line
     * holds nothing after the value but a comment. */
    bool member = pp.style == SL_YAML_BLOCK_MAPPING;
    size_t first = member ? p.key_start : p.start;
    size_t ls = first;
    while (ls > 0 && w->data[ls - 1] != '\n')
        ls--;
    for (size_t i = ls; i < first; i++)
        if (w->data[i] != ' ' && (member || w->data[i] != '-'))
            return refuse(w, path,
                          member ? "a removal of a list item's first member"
                                 : "a list item that shares its line");
    size_t i = p.end;
    while (i < w->len && (w->data[i] == ' ' || w->data[i] == '\t' || w->data[i] == '\r'))
        i++;
    if (i < w->len && w->data[i] != '\n' && w->data[i] != '#')
        return refuse(w, path, "a value that shares its line");
    bool need_eol;
    size_t le = after_line(w->data, w->len, p.end, &need_eol);
    struct edit e = {
        .start = ls, .end = le, .text = sl_xstrdup(""), .doc = w->d_index, .kind = EDIT_REMOVE};
    for (size_t k = ls; k < le; k++)
        e.lines += w->data[k] == '\n';
    edits_add(&w->edits, &e);
    return SL_OK;
}

static enum sl_status do_add(struct work *w, const char *path, const json_t *value)
{
    char *parent, *last;
    split_path(path, &parent, &last);
    const json_t *at = value_at(w->d->value, parent);
    enum sl_status rc = SL_OK;
    if (json_is_object(at)) {
        json_object_set(group_for(w, parent, true)->members, last, sl_json_mut(value));
    } else if (json_is_array(at)) {
        struct group *g = group_for(w, parent, false);
        /* Only appends, in order: the index is the list's length so far. */
        if (strtoul(last, NULL, 10) != json_array_size(at) + json_array_size(g->members))
            rc = refuse(w, path, "an insertion in the middle of a list");
        else
            json_array_append(g->members, sl_json_mut(value));
    } else {
        rc = refuse(w, path, "an addition to something that is not a mapping or list");
    }
    free(parent);
    free(last);
    return rc;
}

/* One insertion per block: after the line where its last entry ends, at its indentation. */
static enum sl_status insert_group(struct work *w, const struct group *g)
{
    struct sl_yaml_pos p;
    bool tangled;
    if (sl_yamljson_find(w->d, g->parent, &p, &tangled) != SL_OK || tangled)
        return refuse(w, g->parent, "an insertion into an anchored, aliased or merged node");
    const json_t *now = value_at(w->d->value, g->parent);
    if (empty_collection(&p, now))
        return to_block(w, g->parent, &p, g->members);
    if (p.style != SL_YAML_BLOCK_MAPPING && p.style != SL_YAML_BLOCK_SEQUENCE)
        return refuse(w, g->parent, "an insertion into a flow collection");
    insert_after(w, p.end, p.column - 1, p.column, render_block(w->st, p.column - 1, g->members));
    return SL_OK;
}

enum sl_status yedit_object(const char *data, size_t len, const struct sl_yaml_doc *d,
                            size_t d_index, const struct ystyle *style, const char *obj,
                            const json_t *ops, struct edits *out, char **why)
{
    struct work w = {.data = data, .len = len, .d = d, .d_index = d_index, .st = style};
    enum sl_status rc = SL_OK;
    size_t i;
    const json_t *op;
    json_array_foreach(ops, i, op)
    {
        const char *kind = json_string_value(json_object_get(op, "op"));
        const char *rel = json_string_value(json_object_get(op, "path"));
        const json_t *value = json_object_get(op, "value");
        char *path = sl_xasprintf("%s%s", obj, rel != NULL ? rel : "");
        if (kind != NULL && strcmp(kind, "add") == 0)
            rc = do_add(&w, path, value);
        else if (kind != NULL && strcmp(kind, "replace") == 0)
            rc = do_replace(&w, path, value);
        else if (kind != NULL && strcmp(kind, "remove") == 0)
            rc = do_remove(&w, path);
        else
            rc = refuse(&w, path, "an operation of another kind");
        free(path);
        if (rc != SL_OK)
            break;
    }
    for (size_t g = 0; rc == SL_OK && g < w.ngroups; g++)
        rc = insert_group(&w, &w.groups[g]);
    for (size_t g = 0; g < w.ngroups; g++) {
        free(w.groups[g].parent);
        json_decref(w.groups[g].members);
    }
    free(w.groups);
    if (rc == SL_OK) {
        for (size_t k = 0; k < w.edits.n; k++)
            edits_add(out, &w.edits.v[k]);
        free(w.edits.v);
        *why = NULL;
    } else {
        edits_cleanup(&w.edits);
        *why = w.why;
    }
    return rc;
}

void yedit_style(const char *data, size_t len, const struct sl_yaml_doc *d, const char *obj,
                 const char *spec, struct ystyle *out)
{
    const char *crlf = memchr(data, '\n', len);
    out->eol = crlf != NULL && crlf > data && crlf[-1] == '\r' ? "\r\n" : "\n";
    out->map_indent = 2;
    out->seq_indent = 0;
    struct sl_yaml_pos root, child;
    char *p = sl_xasprintf("%s/spec", obj);
    if (sl_yamljson_find(d, obj, &root, NULL) == SL_OK &&
        sl_yamljson_find(d, p, &child, NULL) == SL_OK && child.style == SL_YAML_BLOCK_MAPPING &&
        child.column > child.key_column && child.key_column > 0)
        out->map_indent = child.column - child.key_column;
    free(p);
    static const char *const lists[] = {"containers", "initContainers", "volumes"};
    for (size_t i = 0; i < SL_ARRAY_LEN(lists); i++) {
        char *lp = sl_xasprintf("%s%s/%s", obj, spec, lists[i]);
        bool found = sl_yamljson_find(d, lp, &child, NULL) == SL_OK &&
                     child.style == SL_YAML_BLOCK_SEQUENCE && child.key_column > 0 &&
                     child.column >= child.key_column;
        free(lp);
        if (found) {
            out->seq_indent = child.column - child.key_column;
            break;
        }
    }
}
