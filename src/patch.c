/* patch: RFC 6902 patches by difference, and their replay.
 *
 * The API server applies a mutating webhook's patch with evanphx/json-patch (RFC 6902): a
 * patch that fails to apply, or whose result no longer decodes, fails the request with an
 * internal error that no failurePolicy hides. So the patches made here keep to the plain
 * core of the RFC: "add" of a member (or of an array item at an index up to the array's
 * length), "remove", "replace", every path escaped per RFC 6901. sl_patch_apply() follows
 * the same rules, so the engine can replay a patch on a copy of the original and compare
 * with the intended result before it answers. */
#include "socklock/patch.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socklock/alloc.h"
#include "socklock/json.h"

void sl_patch_pointer_append(struct sl_buf *b, const char *token)
{
    (void)sl_buf_puts(b, "/");
    for (const char *p = token; *p != '\0';) {
        size_t plain = strcspn(p, "~/");
        (void)sl_buf_append(b, p, plain);
        p += plain;
        if (*p != '\0') {
            (void)sl_buf_puts(b, *p == '~' ? "~0" : "~1");
            p++;
        }
    }
}

/* ---- diff ---- */

static void add_op(json_t *ops, const char *op, const char *path, const json_t *value)
{
    json_t *o = json_pack("{s:s, s:s}", "op", op, "path", path);
    if (value != NULL)
        json_object_set_new(o, "value", json_deep_copy(value));
    json_array_append_new(ops, o);
}

/* The pointer being compared, grown and cut back as the walk descends and returns, so no
 * node costs an allocation unless it becomes an operation. */
static size_t push_key(struct sl_buf *at, const char *key)
{
    size_t mark = at->len;
    sl_patch_pointer_append(at, key);
    return mark;
}

static size_t push_index(struct sl_buf *at, size_t i)
{
    size_t mark = at->len;
    (void)sl_buf_printf(at, "/%zu", i);
    return mark;
}

static void pop(struct sl_buf *at, size_t mark)
{
    at->len = mark;
    at->data[mark] = '\0';
}

/* NOLINTNEXTLINE(misc-no-recursion): one frame per level of the values, bounded by their depth */
static void diff(const json_t *from, const json_t *to, struct sl_buf *at, json_t *ops)
{
    /* A value shared by both documents is unchanged (the fixers share what they leave). */
    if (from == to)
        return;
    if (json_is_object(from) && json_is_object(to)) {
        const char *key;
        const json_t *v;
        json_object_foreach(sl_json_mut(to), key, v)
        {
            const json_t *old = json_object_get(from, key);
            size_t mark = push_key(at, key);
            if (old == NULL)
                add_op(ops, "add", at->data, v);
            else
                diff(old, v, at, ops);
            pop(at, mark);
        }
        json_object_foreach(sl_json_mut(from), key, v)
        {
            if (json_object_get(to, key) == NULL) {
                size_t mark = push_key(at, key);
                add_op(ops, "remove", at->data, NULL);
                pop(at, mark);
            }
        }
        return;
    }
    if (json_is_array(from) && json_is_array(to)) {
        size_t nf = json_array_size(from), nt = json_array_size(to);
        for (size_t i = 0; i < nf && i < nt; i++) {
            size_t mark = push_index(at, i);
            diff(json_array_get(from, i), json_array_get(to, i), at, ops);
            pop(at, mark);
        }
        for (size_t i = nf; i < nt; i++) {
            size_t mark = push_index(at, i);
            add_op(ops, "add", at->data, json_array_get(to, i));
            pop(at, mark);
        }
        for (size_t i = nf; i-- > nt;) {
            size_t mark = push_index(at, i);
            add_op(ops, "remove", at->data, NULL);
            pop(at, mark);
        }
        return;
    }
    if (!json_equal(from, to))
        add_op(ops, "replace", at->data, to);
}

void sl_patch_diff(const json_t *from, const json_t *to, const char *at, json_t *ops)
{
    struct sl_buf path;
    sl_buf_init(&path, 0);
    (void)sl_buf_puts(&path, at != NULL ? at : "");
    diff(from, to, &path, ops);
    sl_buf_cleanup(&path);
}

json_t *sl_patch_prefix(const json_t *ops, const char *pointer)
{
    json_t *out = json_array();
    size_t i;
    const json_t *op;
    json_array_foreach(ops, i, op)
    {
        json_t *o = json_deep_copy(op);
        const char *path = json_string_value(json_object_get(op, "path"));
        char *full = sl_xasprintf("%s%s", pointer, path != NULL ? path : "");
        json_object_set_new(o, "path", json_string(full));
        free(full);
        json_array_append_new(out, o);
    }
    return out;
}

/* ---- apply ---- */

/* Decodes one RFC 6901 reference token of length n into a new string; NULL for a '~' not
 * followed by '0' or '1'. */
static char *token_decode(const char *s, size_t n)
{
    char *out = sl_xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '~') {
            out[o++] = s[i];
        } else if (i + 1 < n && (s[i + 1] == '0' || s[i + 1] == '1')) {
            out[o++] = s[i + 1] == '0' ? '~' : '/';
            i++;
        } else {
            free(out);
            return NULL;
        }
    }
    out[o] = '\0';
    return out;
}

/* An array index as RFC 6901 writes it: "0", or digits without a leading zero. */
static bool parse_index(const char *tok, size_t *out)
{
    if (tok[0] == '\0' || (tok[0] == '0' && tok[1] != '\0'))
        return false;
    size_t n = 0;
    for (const char *p = tok; *p; p++) {
        if (*p < '0' || *p > '9' || n > (SIZE_MAX - 9) / 10)
            return false;
        n = n * 10 + (size_t)(*p - '0');
    }
    *out = n;
    return true;
}

/* The container `child` as a shallow copy of its own, put in its place in `parent` (at key or
 * index), so writing into it never changes a value another document shares. jansson's
 * json_t carries its reference count in the open (json_incref is an inline on it). */
static json_t *own_child(json_t *parent, const char *key, size_t index, json_t *child)
{
    /* A container held once, by this parent alone, is the document's own already (copied by
     * an earlier operation, or never shared): copying it again would only cost time. */
    if ((!json_is_object(child) && !json_is_array(child)) || child->refcount == 1)
        return child;
    json_t *copy = json_copy(child);
    if (json_is_object(parent))
        json_object_set_new(parent, key, copy);
    else
        json_array_set_new(parent, index, copy);
    return copy;
}

/* Finds the parent of the value `path` names, and the last token (a new string). Every
 * container on the way, the parent included, is made the document's own first. */
static enum sl_status resolve_parent(json_t *doc, const char *path, json_t **parent, char **last)
{
    if (path[0] != '/')
        return SL_E_INVALID;
    json_t *cur = doc;
    const char *p = path + 1;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
        char *tok = token_decode(p, n);
        if (tok == NULL)
            return SL_E_INVALID;
        if (slash == NULL) {
            *parent = cur;
            *last = tok;
            return SL_OK;
        }
        json_t *next = NULL;
        size_t i = 0;
        if (json_is_object(cur))
            next = json_object_get(cur, tok);
        else if (json_is_array(cur) && parse_index(tok, &i))
            next = json_array_get(cur, i);
        if (next != NULL)
            next = own_child(cur, tok, i, next);
        free(tok);
        if (next == NULL)
            return SL_E_INVALID;
        cur = next;
        p = slash + 1;
    }
}

static enum sl_status apply_one(json_t **doc, const char *op, const char *path, json_t *value)
{
    bool add = strcmp(op, "add") == 0, remove = strcmp(op, "remove") == 0;
    bool replace = strcmp(op, "replace") == 0, test = strcmp(op, "test") == 0;
    if (!add && !remove && !replace && !test)
        return SL_E_INVALID;
    if (!remove && value == NULL)
        return SL_E_INVALID;
    if (path[0] == '\0') {
        /* The whole document. */
        if (test)
            return json_equal(*doc, value) ? SL_OK : SL_E_INVALID;
        if (remove)
            return SL_E_INVALID;
        json_decref(*doc);
        *doc = json_deep_copy(value);
        return SL_OK;
    }
    /* The root too is made the document's own before anything below it changes. */
    if ((json_is_object(*doc) || json_is_array(*doc)) && (*doc)->refcount > 1) {
        json_t *own = json_copy(*doc);
        json_decref(*doc);
        *doc = own;
    }
    json_t *parent = NULL;
    char *last = NULL;
    enum sl_status rc = resolve_parent(*doc, path, &parent, &last);
    if (rc != SL_OK)
        return rc;
    rc = SL_E_INVALID;
    if (json_is_object(parent)) {
        json_t *cur = json_object_get(parent, last);
        /* RFC 6902: add sets the member whether or not it exists; replace needs it. */
        if (add || (cur != NULL && replace))
            rc = json_object_set_new(parent, last, json_deep_copy(value)) == 0 ? SL_OK : rc;
        else if (cur != NULL && test)
            rc = json_equal(cur, value) ? SL_OK : rc;
        else if (cur != NULL && remove)
            rc = json_object_del(parent, last) == 0 ? SL_OK : rc;
    } else if (json_is_array(parent)) {
        size_t n = json_array_size(parent), i = n;
        bool end = strcmp(last, "-") == 0;
        if (end || parse_index(last, &i)) {
            if (add && i <= n)
                rc = json_array_insert_new(parent, i, json_deep_copy(value)) == 0 ? SL_OK : rc;
            else if (!end && i < n && test)
                rc = json_equal(json_array_get(parent, i), value) ? SL_OK : rc;
            else if (!end && i < n && replace)
                rc = json_array_set_new(parent, i, json_deep_copy(value)) == 0 ? SL_OK : rc;
            else if (!end && i < n && remove)
                rc = json_array_remove(parent, i) == 0 ? SL_OK : rc;
        }
    }
    free(last);
    return rc;
}

enum sl_status sl_patch_apply(json_t **doc, const json_t *ops, struct sl_error *err)
{
    if (!json_is_array(ops)) {
        sl_error_set(err, "a patch is a JSON array");
        return SL_E_INVALID;
    }
    size_t i;
    const json_t *o;
    json_array_foreach(ops, i, o)
    {
        const char *op = json_string_value(json_object_get(o, "op"));
        const char *path = json_string_value(json_object_get(o, "path"));
        if (op == NULL || path == NULL ||
            apply_one(doc, op, path, json_object_get(o, "value")) != SL_OK) {
            sl_error_set(err, "operation %zu (%s %s) does not apply", i, op ? op : "?",
                         path ? path : "?");
            return SL_E_INVALID;
        }
    }
    return SL_OK;
}
