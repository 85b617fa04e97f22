/* manifest: the inputs of `check` (and `fix`): paths given on the command line, folders
 * walked recursively, stdin, every document of a YAML or JSON stream, `kind: List` (and any
 * *List kind's `items`) expanded, each object with the file and line it came from. This is
 * an outer module: it reads files. Parsing and expansion are also offered on bytes, so
 * they can be tested without files. */
#ifndef SOCKLOCK_MANIFEST_H
#define SOCKLOCK_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "socklock/common.h"
#include "socklock/strlist.h"
#include "socklock/yamljson.h"

/* Manifest files are bounded (docs/admission.md, "Limits"). */
#define SL_MANIFEST_MAX_BYTES (16u << 20)
/* Folders are walked at most this deep (a guard against symlink loops and hostile trees). */
#define SL_MANIFEST_MAX_DIR_DEPTH 64

/* One Kubernetes object found in a file. */
struct sl_manifest_obj {
    const json_t *object; /* borrowed from the file's stream */
    size_t doc;           /* 0-based index among the file's non-empty documents */
    char *pointer;        /* where in the document: "" or "/items/3"; owned */
    int line;             /* where the object starts, 1-based */
    int column;
};

struct sl_manifest_file {
    char *name; /* as given, "<stdin>" for "-"; owned */
    struct sl_yaml_stream stream;
    struct sl_manifest_obj *objs;
    size_t nobjs;
};

/* Adds to `out` the files a command-line PATH stands for: "-" itself; a regular file itself
 * (whatever its extension, as kubectl -f does); a folder's *.yaml, *.yml and *.json files,
 * recursively, in byte-wise sorted path order, not following symbolic links to folders.
 * SL_E_IO with err naming the path when it cannot be read; `out` keeps what was found. */
enum sl_status sl_manifest_expand(const char *path, struct sl_strlist *out, struct sl_error *err);

/* Parses a YAML/JSON stream into f and lists its objects: every non-empty document that is a
 * mapping, with the items of a *List kind (kind ending in "List" with an `items` sequence)
 * in place of the list itself, recursively. A document or list item that is not a mapping,
 * or an object without a string `kind`, is SL_E_INVALID with err at its position. `name`
 * is used in messages and copied into f. On failure f is cleaned up. Caller frees with
 * sl_manifest_file_cleanup(). */
enum sl_status sl_manifest_parse(const char *data, size_t len, const char *name,
                                 struct sl_manifest_file *f, struct sl_error *err);

/* Reads `path` ("-" is stdin, at most SL_MANIFEST_MAX_BYTES) and parses it as
 * sl_manifest_parse() does. SL_E_IO or SL_E_LIMIT with err naming the file when it cannot
 * be read. Caller frees with sl_manifest_file_cleanup(). */
enum sl_status sl_manifest_load(const char *path, struct sl_manifest_file *f, struct sl_error *err);

/* Frees everything f holds. Accepts NULL. */
void sl_manifest_file_cleanup(struct sl_manifest_file *f);

/* The same, one document at a time, so that `check` holds the document at hand and not the
 * whole file's objects: sl_manifest_open() reads `path` as sl_manifest_load() does; each
 * sl_manifest_next() gives the next non-empty document with its objects (*got true; the
 * caller frees d with sl_manifest_doc_cleanup()), until *got is false. An error (the file
 * cannot be read or parsed, a document is not an object) ends the file, with err at its
 * FILE:LINE:COLUMN; the documents before it were given. */
struct sl_manifest_doc {
    struct sl_yaml_doc yaml; /* owned */
    size_t index;            /* 0-based among the file's non-empty documents */
    struct sl_manifest_obj *objs;
    size_t nobjs;
};
struct sl_manifest_reader;
enum sl_status sl_manifest_open(const char *path, struct sl_manifest_reader **out,
                                struct sl_error *err);
/* The file's name as messages show it ("<stdin>" for "-"). */
const char *sl_manifest_name(const struct sl_manifest_reader *r);
enum sl_status sl_manifest_next(struct sl_manifest_reader *r, struct sl_manifest_doc *d, bool *got,
                                struct sl_error *err);
void sl_manifest_doc_cleanup(struct sl_manifest_doc *d);
void sl_manifest_close(struct sl_manifest_reader *r);

#endif
