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
            /* A symbolic link counts when it leads to a regular file. */
            if (S_ISREG(st.st_mode) || (stat(path, &st) == 0 && S_ISREG(st.st_mode))) {
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

static void add_obj(struct sl_manifest_file *f, const json_t *obj, size_t doc, const char *pointer,
                    const struct sl_yaml_pos *pos)
{
    f->objs = sl_xrealloc(f->objs, (f->nobjs + 1) * sizeof(*f->objs));
    f->objs[f->nobjs++] = (struct sl_manifest_obj){.object = obj,
                                                   .doc = doc,
                                                   .pointer = sl_xstrdup(pointer),
                                                   .line = pos->line,
                                                   .column = pos->column};
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

/* Adds obj (at `pointer` in document `doc`) or, for a list, its items. */
/* NOLINTNEXTLINE(misc-no-recursion): one frame per nested List, at most SL_YAML_MAX_DEPTH */
static enum sl_status flatten(struct sl_manifest_file *f, const struct sl_yaml_doc *d, size_t doc,
                              const json_t *obj, const char *pointer, struct sl_error *err)
{
    struct sl_yaml_pos pos;
    sl_yamljson_find(d, pointer, &pos, NULL);
    if (!json_is_object(obj)) {
        sl_error_setpos(err, f->name, pos.line, pos.column,
                        "%s is %s, not a Kubernetes object (a mapping)",
                        pointer[0] ? "list item" : "document", type_name(obj));
        return SL_E_INVALID;
    }
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    if (kind == NULL || kind[0] == '\0') {
        sl_error_setpos(err, f->name, pos.line, pos.column, "object has no kind");
        return SL_E_INVALID;
    }
    size_t klen = strlen(kind);
    const json_t *items = json_object_get(obj, "items");
    if (klen >= 4 && strcmp(kind + klen - 4, "List") == 0 && json_is_array(items)) {
        for (size_t i = 0; i < json_array_size(items); i++) {
            char *p = sl_xasprintf("%s/items/%zu", pointer, i);
            enum sl_status rc = flatten(f, d, doc, json_array_get(items, i), p, err);
            free(p);
            if (rc != SL_OK)
                return rc;
        }
        return SL_OK;
    }
    add_obj(f, obj, doc, pointer, &pos);
    return SL_OK;
}

enum sl_status sl_manifest_parse(const char *data, size_t len, const char *name,
                                 struct sl_manifest_file *f, struct sl_error *err)
{
    memset(f, 0, sizeof(*f));
    f->name = sl_xstrdup(name);
    enum sl_status rc = sl_yamljson_load(data, len, name, &f->stream, err);
    for (size_t i = 0; rc == SL_OK && i < f->stream.len; i++) {
        const struct sl_yaml_doc *d = &f->stream.docs[i];
        rc = flatten(f, d, i, d->value, "", err);
    }
    if (rc != SL_OK)
        sl_manifest_file_cleanup(f);
    return rc;
}

enum sl_status sl_manifest_load(const char *path, struct sl_manifest_file *f, struct sl_error *err)
{
    const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    struct sl_buf b;
    sl_buf_init(&b, SL_MANIFEST_MAX_BYTES);
    memset(f, 0, sizeof(*f));
    enum sl_status rc = sl_buf_load_file(&b, path, err);
    if (rc == SL_OK)
        rc = sl_manifest_parse(b.data, b.len, name, f, err);
    else if (err != NULL)
        snprintf(err->file, sizeof(err->file), "%s", name);
    sl_buf_cleanup(&b);
    return rc;
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
