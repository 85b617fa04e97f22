/* manifest: from command-line paths to Kubernetes objects with their source positions.
 *
 * Three steps, each usable alone: sl_manifest_expand() turns a PATH into files (folders are
 * walked with opendir, entries sorted per folder so the output is stable across file
 * systems); sl_manifest_load() reads one file with a hard cap and hands the bytes to
 * sl_manifest_parse(), which runs yamljson and then flattens every document into objects.
 * Flattening follows kubectl's resource builder: a document whose kind ends in "List" and
 * which has an `items` sequence stands for its items (kubectl's meta.ExtractList accepts any
 * such kind, v1 List, PodList, DeploymentList...), and empty or null documents are passed
 * over.
 */
#include "socklock/manifest.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"

static bool has_manifest_ext(const char *name)
{
    static const char *const exts[] = {".yaml", ".yml", ".json"};
    size_t n = strlen(name);
    for (size_t i = 0; i < SL_ARRAY_LEN(exts); i++) {
        size_t e = strlen(exts[i]);
        if (n > e && strcmp(name + n - e, exts[i]) == 0)
            return true;
    }
    return false;
}

/* NOLINTNEXTLINE(misc-no-recursion): one frame per folder, at most SL_MANIFEST_MAX_DIR_DEPTH */
static enum sl_status walk(const char *dir, int depth, struct sl_strlist *out, struct sl_error *err)
{
    enum sl_status rc = SL_OK;
    struct sl_strlist names = {0};
    if (depth > SL_MANIFEST_MAX_DIR_DEPTH) {
        sl_error_setpos(err, dir, 0, 0, "folders nested too deeply");
        return SL_E_LIMIT;
    }
    DIR *d = opendir(dir);
    if (d == NULL) {
        sl_error_setpos(err, dir, 0, 0, "cannot open folder: %s", strerror(errno));
        return SL_E_IO;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            sl_strlist_add(&names, de->d_name);
    }
    closedir(d);
    sl_strlist_sort(&names);
    size_t dlen = strlen(dir);
    bool slash = dlen > 0 && dir[dlen - 1] == '/';
    for (size_t i = 0; i < names.len && rc == SL_OK; i++) {
        char *path = sl_xasprintf("%s%s%s", dir, slash ? "" : "/", names.items[i]);
        struct stat st;
        if (lstat(path, &st) != 0) {
            sl_error_setpos(err, path, 0, 0, "cannot read: %s", strerror(errno));
            rc = SL_E_IO;
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk(path, depth + 1, out, err);
        } else if (has_manifest_ext(names.items[i])) {
            /* A symbolic link counts when it leads to a regular file; one that leads
             * nowhere (dangling, a loop) is listed too, so that reading it fails loudly, as
             * it does when given by name, rather than the file being skipped in silence.
             * Links to folders are not followed. */
            bool reg = S_ISREG(st.st_mode);
            bool broken = false;
            if (S_ISLNK(st.st_mode)) {
                struct stat target;
                if (stat(path, &target) == 0)
                    reg = S_ISREG(target.st_mode);
                else
                    broken = true;
            }
            if (reg || broken) {
                sl_strlist_take(out, path);
                path = NULL;
            }
        }
        free(path);
    }
    sl_strlist_cleanup(&names);
    return rc;
}

enum sl_status sl_manifest_expand(const char *path, struct sl_strlist *out, struct sl_error *err)
{
    if (strcmp(path, "-") == 0) {
        sl_strlist_add(out, path);
        return SL_OK;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        sl_error_setpos(err, path, 0, 0, "cannot read: %s", strerror(errno));
        return SL_E_IO;
    }
    if (S_ISDIR(st.st_mode))
        return walk(path, 0, out, err);
    sl_strlist_add(out, path);
    return SL_OK;
}

/* The objects of one document, as flatten() finds them. */
struct objs {
    struct sl_manifest_obj *v;
    size_t n;
};

static void add_obj(struct objs *o, const json_t *obj, size_t doc, const char *pointer,
                    const struct sl_yaml_pos *pos)
{
    o->v = sl_xrealloc(o->v, (o->n + 1) * sizeof(*o->v));
    o->v[o->n++] = (struct sl_manifest_obj){.object = obj,
                                            .doc = doc,
                                            .pointer = sl_xstrdup(pointer),
                                            .line = pos->line,
                                            .column = pos->column};
}

static void objs_cleanup(struct objs *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->v[i].pointer);
    free(o->v);
    o->v = NULL;
    o->n = 0;
}

static const char *type_name(const json_t *v)
{
    if (json_is_array(v))
        return "a sequence";
    if (json_is_string(v))
        return "a string";
    if (json_is_null(v))
        return "null";
    if (json_is_boolean(v))
        return "a boolean";
    return "a number";
}

/* Adds obj (at `pointer` in document `doc` of file `name`) or, for a list, its items. */
/* NOLINTNEXTLINE(misc-no-recursion): one frame per nested List, at most SL_YAML_MAX_DEPTH */
static enum sl_status flatten(const char *name, const struct sl_yaml_doc *d, size_t doc,
                              const json_t *obj, const char *pointer, struct objs *o,
                              struct sl_error *err)
{
    struct sl_yaml_pos pos;
    sl_yamljson_find(d, pointer, &pos, NULL);
    if (!json_is_object(obj)) {
        sl_error_setpos(err, name, pos.line, pos.column,
                        "%s is %s, not a Kubernetes object (a mapping)",
                        pointer[0] ? "list item" : "document", type_name(obj));
        return SL_E_INVALID;
    }
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    if (kind == NULL || kind[0] == '\0') {
        sl_error_setpos(err, name, pos.line, pos.column, "object has no kind");
        return SL_E_INVALID;
    }
    size_t klen = strlen(kind);
    const json_t *items = json_object_get(obj, "items");
    if (klen >= 4 && strcmp(kind + klen - 4, "List") == 0 && json_is_array(items)) {
        for (size_t i = 0; i < json_array_size(items); i++) {
            char *p = sl_xasprintf("%s/items/%zu", pointer, i);
            enum sl_status rc = flatten(name, d, doc, json_array_get(items, i), p, o, err);
            free(p);
            if (rc != SL_OK)
                return rc;
        }
        return SL_OK;
    }
    add_obj(o, obj, doc, pointer, &pos);
    return SL_OK;
}

enum sl_status sl_manifest_parse(const char *data, size_t len, const char *name,
                                 struct sl_manifest_file *f, struct sl_error *err)
{
    memset(f, 0, sizeof(*f));
    f->name = sl_xstrdup(name);
    struct objs o = {0};
    enum sl_status rc = sl_yamljson_load(data, len, name, &f->stream, err);
    for (size_t i = 0; rc == SL_OK && i < f->stream.len; i++) {
        const struct sl_yaml_doc *d = &f->stream.docs[i];
        rc = flatten(name, d, i, d->value, "", &o, err);
    }
    f->objs = o.v;
    f->nobjs = o.n;
    if (rc != SL_OK)
        sl_manifest_file_cleanup(f);
    return rc;
}

/* Reads path ("-": stdin) whole, within the file size limit. */
static enum sl_status read_whole(const char *path, const char *name, struct sl_buf *b,
                                 struct sl_error *err)
{
    sl_buf_init(b, SL_MANIFEST_MAX_BYTES);
    enum sl_status rc = sl_buf_load_file(b, path, err);
    if (rc != SL_OK && err != NULL)
        snprintf(err->file, sizeof(err->file), "%s", name);
    return rc;
}

enum sl_status sl_manifest_load(const char *path, struct sl_manifest_file *f, struct sl_error *err)
{
    const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    struct sl_buf b;
    memset(f, 0, sizeof(*f));
    enum sl_status rc = read_whole(path, name, &b, err);
    if (rc == SL_OK)
        rc = sl_manifest_parse(b.data, b.len, name, f, err);
    sl_buf_cleanup(&b);
    return rc;
}

struct sl_manifest_reader {
    char *name;
    struct sl_buf text;
    struct sl_yaml_reader *yaml;
    size_t docs; /* documents given so far */
};

enum sl_status sl_manifest_open(const char *path, struct sl_manifest_reader **out,
                                struct sl_error *err)
{
    struct sl_manifest_reader *r = sl_xcalloc(1, sizeof(*r));
    r->name = sl_xstrdup(strcmp(path, "-") == 0 ? "<stdin>" : path);
    enum sl_status rc = read_whole(path, r->name, &r->text, err);
    if (rc == SL_OK)
        rc = sl_yamljson_open(r->text.data, r->text.len, r->name, &r->yaml, err);
    if (rc != SL_OK) {
        sl_manifest_close(r);
        r = NULL;
    }
    *out = r;
    return rc;
}

const char *sl_manifest_name(const struct sl_manifest_reader *r)
{
    return r->name;
}

enum sl_status sl_manifest_next(struct sl_manifest_reader *r, struct sl_manifest_doc *d, bool *got,
                                struct sl_error *err)
{
    memset(d, 0, sizeof(*d));
    enum sl_status rc = sl_yamljson_next(r->yaml, &d->yaml, got, err);
    if (rc != SL_OK || !*got)
        return rc;
    d->index = r->docs++;
    struct objs o = {0};
    rc = flatten(r->name, &d->yaml, d->index, d->yaml.value, "", &o, err);
    d->objs = o.v;
    d->nobjs = o.n;
    if (rc != SL_OK) {
        sl_manifest_doc_cleanup(d);
        *got = false;
    }
    return rc;
}

void sl_manifest_doc_cleanup(struct sl_manifest_doc *d)
{
    if (d == NULL)
        return;
    struct objs o = {d->objs, d->nobjs};
    objs_cleanup(&o);
    sl_yamljson_doc_cleanup(&d->yaml);
    memset(d, 0, sizeof(*d));
}

void sl_manifest_close(struct sl_manifest_reader *r)
{
    if (r == NULL)
        return;
    sl_yamljson_close(r->yaml);
    sl_buf_cleanup(&r->text);
    free(r->name);
    free(r);
}

void sl_manifest_file_cleanup(struct sl_manifest_file *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->nobjs; i++)
        free(f->objs[i].pointer);
    free(f->objs);
    sl_yamljson_stream_cleanup(&f->stream);
    free(f->name);
    memset(f, 0, sizeof(*f));
}
