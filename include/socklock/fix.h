/* fix: the repair of a manifest file at the source, for `socklock fix`. Each object with a
 * pod spec gets the patch the mutating webhook would send for it (pod templates included),
 * and the patch is carried out on the text: an added field becomes lines inserted with the
 * block's indentation, a normalised scalar is replaced in place in its own quoting style, an
 * item removed from a block list loses its lines. Everything else (comments, key order,
 * blank lines, document separators, quoting, line endings) stays byte for byte. A document
 * where a text edit is not safe (an insertion into a flow collection, into an anchored or
 * aliased node or a mapping with a merge key, a block scalar to rewrite) is left as it is and
 * reported for a fix by hand, with the patch. Every edited document is parsed again and must
 * equal the original with its patch applied, or it is left as it was too. JSON files are
 * written back as JSON with the input's indentation. Pure: bytes in, bytes out. */
#ifndef SOCKLOCK_FIX_H
#define SOCKLOCK_FIX_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "socklock/common.h"
#include "socklock/policy.h"

enum sl_fix_outcome {
    SL_FIX_NONE,    /* nothing to fix (or not a pod, or exempt) */
    SL_FIX_FIXED,   /* fixed in place */
    SL_FIX_BY_HAND, /* left as it was: `why` says what a text edit could not do */
};

/* One object of the file that has something to fix. */
struct sl_fix_object {
    size_t doc; /* 0-based index among the file's non-empty documents */
    int line;   /* where the object starts */
    char *kind; /* the object's kind, namespace and name, for messages */
    char *namespace_;
    char *name;
    enum sl_fix_outcome outcome;
    json_t *patch; /* the RFC 6902 operations, at the object's root; owned */
    char *why;     /* SL_FIX_BY_HAND: the reason; else NULL */
};

struct sl_fix_result {
    char *text; /* the fixed file: the input itself, byte for byte, when nothing changed;
                 * NULL when opts->emit took it */
    size_t len;
    bool changed;
    /* The objects left for a fix by hand, in input order, and, when opts->keep_patches,
     * those fixed in place too. */
    struct sl_fix_object *objs;
    size_t nobjs;
    size_t fixed;            /* objects fixed in place */
    size_t by_hand;          /* objects left for a fix by hand */
    size_t inserted_lines;   /* lines added */
    size_t replaced_scalars; /* scalars rewritten in place */
    size_t removed_lines;    /* lines of removed list items */
};

/* How to fix. */
struct sl_fix_opts {
    const struct sl_profile *profile; /* its fixers and mutate settings; borrowed. NULL: the
                                       * profile `policy` routes each object's namespace to */
    const struct sl_policy *policy;   /* borrowed; used when profile is NULL */
    bool templates;                   /* fix workload pod templates too (default true) */
    bool keep_patches; /* keep the objects fixed in place in the result too (else only those
                        * left for a fix by hand: a large file's patches would outweigh it) */
    /* When set, the fixed text is handed over document by document as it is made, and
     * the result's text stays NULL: printing a large file then holds one document's text,
     * not the whole. */
    void (*emit)(void *ctx, const char *text, size_t len);
    void *emit_ctx;
    /* When set, each object left for a fix by hand is handed over (borrowed for the call)
     * as soon as its document is done, and not kept in the result (out->by_hand counts
     * them): a large file full of them would otherwise hold every patch to the end. */
    void (*by_hand)(void *ctx, const struct sl_fix_object *o);
    void *by_hand_ctx;
};

/* Fixes the manifest text data[0..len) (`name` only names it in messages) into *out, which
 * the caller releases with sl_fix_result_cleanup() whatever the status. SL_E_INVALID or
 * SL_E_LIMIT with err at FILE:LINE:COLUMN when the text cannot be read as manifests (the
 * errors `check` reports). Documents left for a fix by hand are not errors: see out->objs. */
enum sl_status sl_fix_text(const struct sl_fix_opts *opts, const char *data, size_t len,
                           const char *name, struct sl_fix_result *out, struct sl_error *err);

void sl_fix_result_cleanup(struct sl_fix_result *r);

/* The patch socklock fix applies to one object (pods, and templates when `templates`): the
 * operations at the object's root, or NULL when nothing would change. For `check`. Returns a
 * new reference. */
json_t *sl_fix_patch(const struct sl_profile *profile, bool templates, const json_t *object);

/* A unified diff (3 lines of context) turning a into b, with headers "--- a/NAME" and
 * "+++ b/NAME" (NAME alone when absolute); "" when they are equal. Caller frees. */
char *sl_fix_diff(const char *name, const char *a, size_t alen, const char *b, size_t blen);

#endif
