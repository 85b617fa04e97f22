/* yamljson: YAML (and JSON, which is YAML too) to jansson values, the way Kubernetes reads
 * manifests: sigs.k8s.io/yaml, that is go-yaml v2's YAML 1.1 scalar resolution turned into
 * JSON. Every document of a stream becomes one value; where each node came from (line and
 * column) is kept in a position map, so callers can point at the source of a problem. Pure:
 * it works on the bytes it is given and never opens a file. */
#ifndef SOCKLOCK_YAMLJSON_H
#define SOCKLOCK_YAMLJSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "socklock/common.h"

/* Limits on untrusted input (docs/admission.md, "Limits"). */
#define SL_YAML_MAX_DEPTH       64     /* nested sequences and mappings: "nested too deeply" */
#define SL_YAML_MAX_ALIAS_NODES 100000 /* nodes copied by aliases: "aliases expand too far" */

struct sl_yaml_posmap; /* private: where each node of a document came from */

/* How a node is written. */
enum sl_yaml_style {
    SL_YAML_PLAIN,          /* a plain scalar (an empty value too) */
    SL_YAML_SINGLE_QUOTED,  /* 'text' */
    SL_YAML_DOUBLE_QUOTED,  /* "text" */
    SL_YAML_LITERAL,        /* | */
    SL_YAML_FOLDED,         /* > */
    SL_YAML_BLOCK_MAPPING,  /* one key per line */
    SL_YAML_FLOW_MAPPING,   /* {a: 1} */
    SL_YAML_BLOCK_SEQUENCE, /* - items */
    SL_YAML_FLOW_SEQUENCE,  /* [1, 2] */
    SL_YAML_ALIAS,          /* *name: a copy of an anchored node */
};

/* Where a node came from. For a mapping member, line/column are its value's and key_line/
 * key_column its key's; for a sequence item or a document root the key fields are 0.
 * start and end are byte offsets of the value's text in the input: [start, end). For a block
 * collection, start is its first key or dash and end the end of its last item's text (trailing
 * comments and blank lines are outside); key_start is the key's offset (members only, else
 * equal to start). `anchored` says the node carries an anchor (&name), `merged` that it is a
 * mapping with a merge key (<<). */
struct sl_yaml_pos {
    int line;
    int column;
    int key_line;
    int key_column;
    size_t start, end;
    size_t key_start;
    enum sl_yaml_style style;
    bool anchored;
    bool merged;
};

struct sl_yaml_doc {
    json_t *value; /* the document's root; owned by the stream (or the caller of
                    * sl_yamljson_next()) */
    int line;      /* start of the document's root node, 1-based */
    int column;
    struct sl_yaml_pos root;    /* the root node's position */
    struct sl_yaml_posmap *pos; /* for sl_yamljson_find(); owned with value */
    size_t start;               /* where the document starts: its `---`, or its first node */
};

struct sl_yaml_stream {
    struct sl_yaml_doc *docs;
    size_t len;
};

/* Parses every document of a YAML stream (JSON is YAML too). Empty documents (nothing, or a
 * lone null) are left out. Scalars resolve as sigs.k8s.io/yaml resolves them: plain
 * true/false/yes/no/on/off/y/n in go-yaml's case variants are booleans; ints in decimal,
 * 0x, 0o, 0b and leading-0 octal with underscores ignored; floats; ~, null and empty are null;
 * quoted scalars and !!str are strings. Aliases are expanded (copies), merge keys `<<` are
 * applied in order as go-yaml v2 does. Errors, with err carrying file, line and column:
 * SL_E_INVALID for YAML syntax, a duplicate mapping key (at the second key), an unknown alias,
 * an invalid merge, a key JSON cannot have (null, a mapping, a sequence), a value JSON cannot
 * hold (.inf, .nan, an integer beyond 64 bits) or an unsupported tag (!!binary);
 * SL_E_LIMIT for "nested too deeply" and "aliases expand too far". On failure *out is empty.
 * `filename` is only used in messages. Caller frees with sl_yamljson_stream_cleanup(). */
enum sl_status sl_yamljson_load(const char *data, size_t len, const char *filename,
                                struct sl_yaml_stream *out, struct sl_error *err);

/* Frees every document and resets s to empty. Accepts NULL. */
void sl_yamljson_stream_cleanup(struct sl_yaml_stream *s);

/* The same, one document at a time, so that a caller holds only the document at hand: a
 * reader over data[0..len) (borrowed until sl_yamljson_close()), each call of
 * sl_yamljson_next() giving the next non-empty document in *d (*got true; the caller frees
 * it with sl_yamljson_doc_cleanup()), until *got is false at the end. An error (as
 * sl_yamljson_load() describes) ends the stream: the documents before it were given. */
struct sl_yaml_reader;
enum sl_status sl_yamljson_open(const char *data, size_t len, const char *filename,
                                struct sl_yaml_reader **out, struct sl_error *err);
enum sl_status sl_yamljson_next(struct sl_yaml_reader *r, struct sl_yaml_doc *d, bool *got,
                                struct sl_error *err);
void sl_yamljson_close(struct sl_yaml_reader *r);
void sl_yamljson_doc_cleanup(struct sl_yaml_doc *d);

/* Where each document of a stream starts (its directives or `---`, or its first node),
 * empty ones included, found without building any value: into *starts (caller frees), *n of
 * them. SL_E_INVALID for a syntax error (sl_yamljson_load() says where). */
enum sl_status sl_yamljson_doc_starts(const char *data, size_t len, size_t **starts, size_t *n,
                                      struct sl_error *err);

/* Finds the source position of the value at `pointer` (RFC 6901, "" is the root, e.g.
 * "/items/2" or "/profiles/0/level") in doc. SL_OK when that node has a recorded position.
 * SL_E_NOTFOUND when the path does not exist or the node was made by an alias or a merge;
 * out then holds the position of the deepest node on the path that has one (at worst the
 * document root), so an error can always name a line. When `tangled` is not NULL it says
 * whether the node, or a node on the way to it, is anchored, an alias, or a mapping with a
 * merge key: changing its text would change other values too. Borrows doc. */
enum sl_status sl_yamljson_find(const struct sl_yaml_doc *doc, const char *pointer,
                                struct sl_yaml_pos *out, bool *tangled);

#endif
