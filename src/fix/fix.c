/* fix: the driver of `socklock fix` on one file's text.
 *
 * 1. The text is read as manifests (the reader `check` uses), and each object with a pod
 *    spec gets its patch: what /mutate would send for it, pod templates included when asked.
 * 2. YAML: each object's patch becomes text edits (yamledit.c), in the habits of its
 *    document. A document where an edit is refused keeps its text; its objects are "by hand".
 * 3. The edits are carried out, and the new text read again: every document must equal the
 *    original with its patches applied (compared as JSON), the untouched ones themselves. A
 *    document that does not is put back as it was and left for a fix by hand, and the text
 *    made again, until every document reads back right.
 * JSON (a file that is one JSON value): the patches are applied to the value, which is
 * written back with the input's indentation and line ends. */
#include "fix_int.h"

#include <stdlib.h>
#include <string.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"
#include "socklock/engine.h"
#include "socklock/json.h"
#include "socklock/manifest.h"
#include "socklock/patch.h"
#include "socklock/workload.h"

json_t *sl_fix_patch(const struct sl_profile *profile, bool templates, const json_t *object)
{
    /* The profile's own settings, but pods always, and templates as asked. */
    struct sl_profile p = *profile;
    p.mutate.pods = true;
    p.mutate.templates = templates;
    char group[256];
    struct sl_request req;
    sl_engine_request_create(object, group, sizeof(group), &req);
    struct sl_verdict v;
    sl_engine_verdict_init(&v);
    sl_engine_mutate(&p, &req, &v);
    json_t *patch = v.patch != NULL ? json_incref(v.patch) : NULL;
    sl_engine_verdict_cleanup(&v);
    return patch;
}

static void object_cleanup(struct sl_fix_object *o)
{
    free(o->kind);
    free(o->namespace_);
    free(o->name);
    json_decref(o->patch);
    free(o->why);
}

void sl_fix_result_cleanup(struct sl_fix_result *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nobjs; i++)
        object_cleanup(&r->objs[i]);
    free(r->objs);
    free(r->text);
    *r = (struct sl_fix_result){0};
}

static const char *str_or(const json_t *obj, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s != NULL && s[0] != '\0' ? s : dflt;
}

/* One file being fixed: its objects with a patch (r->objs), where each came from in f
 * (src), and per document whether its edits still stand and where its objects begin (objects
 * are in document order, so a document's objects are r->objs[first[d] .. first[d + 1])). */
struct run {
    const char *data;
    size_t len;
    const char *name;
    const struct sl_manifest_file *f;
    struct sl_fix_result *r;
    size_t *src;   /* r->objs[k] is f->objs[src[k]] */
    size_t *first; /* stream.len + 1 entries */
    bool *fixed;   /* the document's edits still stand */
};

/* The objects of f with a patch, into r->objs, and the run's tables. */
static void collect(const struct sl_fix_opts *opts, struct run *run)
{
    const struct sl_manifest_file *f = run->f;
    struct sl_fix_result *r = run->r;
    size_t ndocs = f->stream.len;
    run->src = sl_xcalloc(f->nobjs + 1, sizeof(*run->src));
    run->first = sl_xcalloc(ndocs + 1, sizeof(*run->first));
    run->fixed = sl_xcalloc(ndocs + 1, sizeof(*run->fixed));
    r->objs = sl_xcalloc(f->nobjs + 1, sizeof(*r->objs));
    size_t d = 0;
    for (size_t i = 0; i < f->nobjs; i++) {
        const struct sl_manifest_obj *mo = &f->objs[i];
        const json_t *meta = json_object_get(mo->object, "metadata");
        const struct sl_profile *prof = opts->profile;
        if (prof == NULL) {
            /* As `check` and the webhook do: the namespace picks the profile. */
            prof = sl_policy_route(opts->policy, str_or(meta, "namespace", "default"), NULL);
            if (prof == NULL)
                continue;
        }
        json_t *patch = sl_fix_patch(prof, opts->templates, mo->object);
        if (patch == NULL)
            continue;
        for (; d <= mo->doc; d++)
            run->first[d] = r->nobjs;
        run->fixed[mo->doc] = true;
        run->src[r->nobjs] = i;
        r->objs[r->nobjs++] = (struct sl_fix_object){
            .doc = mo->doc,
            .line = mo->line,
            .kind = sl_xstrdup(str_or(mo->object, "kind", "")),
            .namespace_ = sl_xstrdup(str_or(meta, "namespace", "")),
            .name = sl_xstrdup(str_or(meta, "name", str_or(meta, "generateName", ""))),
            .outcome = SL_FIX_FIXED,
            .patch = patch,
        };
    }
    for (; d <= ndocs; d++)
        run->first[d] = r->nobjs;
}

static void run_cleanup(struct run *run)
{
    free(run->src);
    free(run->first);
    free(run->fixed);
}

/* Document d keeps its text: its objects are for a fix by hand, for `why`. */
static void by_hand(struct run *run, size_t d, const char *why)
{
    if (!run->fixed[d])
        return;
    run->fixed[d] = false;
    for (size_t k = run->first[d]; k < run->first[d + 1]; k++) {
        struct sl_fix_object *o = &run->r->objs[k];
        o->outcome = SL_FIX_BY_HAND;
        o->why = sl_xstrdup(why);
    }
}

/* Document d as it must read after the fix: with its objects' patches applied when its
 * edits stand, else as it was. A new reference (copy on write: what the patches do not
 * touch is shared with the original). */
static json_t *expected_doc(const struct run *run, size_t d)
{
    json_t *v = json_incref(run->f->stream.docs[d].value);
    for (size_t k = run->first[d]; run->fixed[d] && k < run->first[d + 1]; k++) {
        const struct sl_fix_object *o = &run->r->objs[k];
        json_t *ops = sl_patch_prefix(o->patch, run->f->objs[run->src[k]].pointer);
        (void)sl_patch_apply(&v, ops, NULL);
        json_decref(ops);
    }
    return v;
}

/* ---- YAML ---- */

static int edit_order(const void *pa, const void *pb)
{
    const struct edit *a = pa, *b = pb;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->depth != b->depth)
        return a->depth > b->depth ? -1 : 1; /* deeper first at the same place */
    return 0;
}

/* The edits of every object; a document where one is refused keeps its text. */
static void make_edits(struct run *run, struct edits *out)
{
    for (size_t k = 0; k < run->r->nobjs; k++) {
        struct sl_fix_object *o = &run->r->objs[k];
        if (!run->fixed[o->doc])
            continue;
        const struct sl_manifest_obj *mo = &run->f->objs[run->src[k]];
        const struct sl_yaml_doc *d = &run->f->stream.docs[o->doc];
        char group[256];
        sl_workload_group_of(str_or(mo->object, "apiVersion", ""), group, sizeof(group));
        struct sl_podref ref;
        struct ystyle st;
        if (sl_workload_find(mo->object, group, o->kind, &ref, NULL) != SL_OK)
            ref.pointer = "/spec";
        yedit_style(run->data, run->len, d, mo->pointer, ref.pointer, &st);
        char *why = NULL;
        if (yedit_object(run->data, run->len, d, o->doc, &st, mo->pointer, o->patch, out, &why) !=
            SL_OK)
            by_hand(run, o->doc, why);
        free(why);
    }
}

/* Drops the edits of documents that keep their text. */
static void keep_fixed(const struct run *run, struct edits *e)
{
    size_t n = 0;
    for (size_t i = 0; i < e->n; i++) {
        if (run->fixed[e->v[i].doc])
            e->v[n++] = e->v[i];
        else
            free(e->v[i].text);
    }
    e->n = n;
}

/* The text with the edits carried out, into r; false, with the documents of the first
 * overlapping pair keeping their text, when two edits overlap. */
static bool carry_out(struct run *run, struct edits *e)
{
    struct sl_fix_result *r = run->r;
    if (e->n > 1)
        qsort(e->v, e->n, sizeof(*e->v), edit_order);
    for (size_t i = 1; i < e->n; i++) {
        if (e->v[i].start < e->v[i - 1].end) {
            by_hand(run, e->v[i].doc, "two changes to the same text");
            by_hand(run, e->v[i - 1].doc, "two changes to the same text");
            return false;
        }
    }
    struct sl_buf b;
    sl_buf_init(&b, 0);
    size_t at = 0;
    r->inserted_lines = r->replaced_scalars = r->removed_lines = 0;
    for (size_t i = 0; i < e->n; i++) {
        const struct edit *x = &e->v[i];
        (void)sl_buf_append(&b, run->data + at, x->start - at);
        (void)sl_buf_puts(&b, x->text);
        at = x->end;
        if (x->kind == EDIT_INSERT)
            r->inserted_lines += x->lines;
        else if (x->kind == EDIT_REPLACE)
            r->replaced_scalars++;
        else
            r->removed_lines += x->lines;
    }
    (void)sl_buf_append(&b, run->data + at, run->len - at);
    free(r->text);
    r->text = sl_buf_detach(&b, &r->len);
    return true;
}

/* Reads r->text again and compares every document with what it must be; the documents
 * that differ keep their text. True when all agree. */
static bool reads_back(struct run *run)
{
    static const char *const why = "the edited text did not read back as the patched object";
    const struct sl_manifest_file *f = run->f;
    struct sl_yaml_stream s = {0};
    bool ok = true;
    if (sl_yamljson_load(run->r->text, run->r->len, run->name, &s, NULL) != SL_OK ||
        s.len != f->stream.len) {
        /* Not one document can be trusted: they all go back. */
        for (size_t d = 0; d < f->stream.len; d++)
            by_hand(run, d, why);
        sl_yamljson_stream_cleanup(&s);
        return false;
    }
    bool stray = false; /* a document with no edits of its own changed */
    for (size_t d = 0; d < s.len; d++) {
        json_t *want = expected_doc(run, d);
        if (!json_equal(want, s.docs[d].value)) {
            stray = stray || !run->fixed[d];
            by_hand(run, d, why);
            ok = false;
        }
        json_decref(want);
    }
    for (size_t d = 0; stray && d < s.len; d++)
        by_hand(run, d, why);
    sl_yamljson_stream_cleanup(&s);
    return ok;
}

static void fix_yaml(struct run *run)
{
    struct edits e = {0};
    make_edits(run, &e);
    keep_fixed(run, &e);
    /* Each round that fails puts at least one more document back (or all of them), so this
     * ends. */
    while (!(carry_out(run, &e) && reads_back(run)))
        keep_fixed(run, &e);
    edits_cleanup(&e);
}

/* ---- JSON ---- */

/* The input's indentation: the spaces before the first line's first key, 0 when all on
 * one line; and its line end. */
static void json_habits(const char *data, size_t len, int *indent, const char **eol)
{
    *indent = 0;
    *eol = "\n";
    const char *nl = memchr(data, '\n', len);
    if (nl == NULL)
        return;
    if (nl > data && nl[-1] == '\r')
        *eol = "\r\n";
    size_t i = (size_t)(nl - data) + 1;
    int n = 0;
    while (i < len && data[i] == ' ') {
        n++;
        i++;
    }
    *indent = n > 0 && n <= 31 ? n : 2;
}

static void fix_json(struct run *run)
{
    const char *data = run->data;
    size_t len = run->len;
    struct sl_fix_result *r = run->r;
    json_t *v = expected_doc(run, 0);
    int indent;
    const char *eol;
    json_habits(data, len, &indent, &eol);
    size_t flags = JSON_ENCODE_ANY | (indent > 0 ? JSON_INDENT(indent) : 0);
    char *t = json_dumps(v, flags);
    json_decref(v);
    struct sl_buf b;
    sl_buf_init(&b, 0);
    for (const char *p = t; p != NULL && *p; p++)
        (void)(*p == '\n' ? sl_buf_puts(&b, eol) : sl_buf_append(&b, p, 1));
    free(t);
    /* The file's own ending: as many line ends as it had. */
    size_t end = len;
    while (end > 0 && (data[end - 1] == '\n' || data[end - 1] == '\r' || data[end - 1] == ' '))
        end--;
    (void)sl_buf_append(&b, data + end, len - end);
    free(r->text);
    r->text = sl_buf_detach(&b, &r->len);
}

/* True when the text is one JSON value (and not YAML that happens to start with '{'). */
static bool is_json(const char *data, size_t len)
{
    size_t i = 0;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    if (i == len || (data[i] != '{' && data[i] != '['))
        return false;
    json_t *v = NULL;
    struct sl_error err = {0};
    bool ok = sl_json_parse(data, len, SL_YAML_MAX_DEPTH, &v, &err) == SL_OK;
    json_decref(v);
    return ok;
}

/* Fixes data[0..len) whole. */
static enum sl_status fix_one(const struct sl_fix_opts *opts, const char *data, size_t len,
                              const char *name, struct sl_fix_result *out, struct sl_error *err)
{
    *out = (struct sl_fix_result){0};
    struct sl_manifest_file f;
    enum sl_status rc = sl_manifest_parse(data, len, name, &f, err);
    if (rc != SL_OK)
        return rc;
    struct run run = {.data = data, .len = len, .name = name, .f = &f, .r = out};
    collect(opts, &run);
    if (out->nobjs > 0 && is_json(data, len))
        fix_json(&run);
    else if (out->nobjs > 0)
        fix_yaml(&run);
    run_cleanup(&run);
    /* Only what is left to do is kept, unless the caller wants every patch: a large file's
     * patches would outweigh the file. */
    size_t kept = 0;
    for (size_t k = 0; k < out->nobjs; k++) {
        struct sl_fix_object *o = &out->objs[k];
        out->fixed += o->outcome == SL_FIX_FIXED;
        out->by_hand += o->outcome == SL_FIX_BY_HAND;
        if (o->outcome == SL_FIX_FIXED && !opts->keep_patches) {
            object_cleanup(o);
        } else {
            out->objs[kept++] = *o;
        }
    }
    out->nobjs = kept;
    out->changed = out->text != NULL && (out->len != len || memcmp(out->text, data, len) != 0);
    if (!out->changed) {
        free(out->text);
        out->text = sl_xmalloc(len + 1);
        memcpy(out->text, data, len);
        out->text[len] = '\0';
        out->len = len;
        out->inserted_lines = out->replaced_scalars = out->removed_lines = 0;
    }
    sl_manifest_file_cleanup(&f);
    return SL_OK;
}

/* Hands r's objects left by hand to opts->by_hand, when set, and drops them from r. */
static void hand_over(const struct sl_fix_opts *opts, struct sl_fix_result *r)
{
    size_t kept = 0;
    for (size_t k = 0; k < r->nobjs; k++) {
        struct sl_fix_object *o = &r->objs[k];
        if (o->outcome == SL_FIX_BY_HAND && opts->by_hand != NULL) {
            opts->by_hand(opts->by_hand_ctx, o);
            object_cleanup(o);
        } else {
            r->objs[kept++] = *o;
        }
    }
    r->nobjs = kept;
}

/* Moves the objects of part (its document indexes and lines counted from the part's start)
 * into out, at document offset `docs` and line offset `lines`. */
static void take_part(const struct sl_fix_opts *opts, struct sl_fix_result *out,
                      struct sl_fix_result *part, size_t docs, int lines)
{
    for (size_t i = 0; i < part->nobjs; i++) {
        part->objs[i].doc += docs;
        part->objs[i].line += lines;
    }
    hand_over(opts, part);
    if (part->nobjs > 0) {
        out->objs = sl_xrealloc(out->objs, (out->nobjs + part->nobjs) * sizeof(*out->objs));
        memcpy(out->objs + out->nobjs, part->objs, part->nobjs * sizeof(*out->objs));
        out->nobjs += part->nobjs;
        free(part->objs);
        part->objs = NULL;
        part->nobjs = 0;
    }
    out->by_hand += part->by_hand;
    out->fixed += part->fixed;
    out->inserted_lines += part->inserted_lines;
    out->replaced_scalars += part->replaced_scalars;
    out->removed_lines += part->removed_lines;
    out->changed = out->changed || part->changed;
}

static size_t count_lines(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += s[i] == '\n';
    return k;
}

/* The number of non-empty documents a part holds: those its objects name, read from its
 * text (an empty document holds no object but may be counted by none). */
static size_t part_docs(const char *data, size_t len, const char *name)
{
    struct sl_yaml_reader *r;
    size_t n = 0;
    struct sl_error e = {0};
    if (sl_yamljson_open(data, len, name, &r, &e) != SL_OK)
        return 0;
    for (bool got = true; got;) {
        struct sl_yaml_doc d;
        if (sl_yamljson_next(r, &d, &got, &e) != SL_OK)
            break;
        n += got;
        sl_yamljson_doc_cleanup(&d);
    }
    sl_yamljson_close(r);
    return n;
}

/* A stream is fixed one document at a time: each document's text, from its start to the
 * next one's, is read, fixed, verified and written out before the next is read, so that
 * memory follows the largest document rather than the file (documents share nothing: anchors
 * and directives are each document's own). JSON is one value, fixed whole. */
enum sl_status sl_fix_text(const struct sl_fix_opts *opts, const char *data, size_t len,
                           const char *name, struct sl_fix_result *out, struct sl_error *err)
{
    size_t *starts = NULL, n = 0;
    if (is_json(data, len) || sl_yamljson_doc_starts(data, len, &starts, &n, err) != SL_OK ||
        n < 2) {
        free(starts);
        /* A syntax error is reported as the whole reader reports it, with its position. */
        enum sl_status rc = fix_one(opts, data, len, name, out, err);
        if (rc == SL_OK)
            hand_over(opts, out);
        if (rc == SL_OK && opts->emit != NULL) {
            opts->emit(opts->emit_ctx, out->text, out->len);
            free(out->text);
            out->text = NULL;
        }
        return rc;
    }
    *out = (struct sl_fix_result){0};
    struct sl_buf text;
    sl_buf_init(&text, 0);
    size_t docs = 0;
    int lines = 0;
    enum sl_status rc = SL_OK;
    for (size_t i = 0; i < n && rc == SL_OK; i++) {
        size_t from = i == 0 ? 0 : starts[i], to = i + 1 < n ? starts[i + 1] : len;
        struct sl_fix_result part;
        rc = fix_one(opts, data + from, to - from, name, &part, err);
        if (rc == SL_OK) {
            if (opts->emit != NULL)
                opts->emit(opts->emit_ctx, part.text, part.len);
            else
                (void)sl_buf_append(&text, part.text, part.len);
            take_part(opts, out, &part, docs, lines);
            docs += part_docs(data + from, to - from, name);
        } else if (err != NULL && err->line > 0) {
            err->line += lines; /* positions in the file, not the part */
        }
        sl_fix_result_cleanup(&part);
        lines += (int)count_lines(data + from, to - from);
    }
    free(starts);
    if (rc != SL_OK) {
        sl_buf_cleanup(&text);
        sl_fix_result_cleanup(out);
        return rc;
    }
    if (opts->emit != NULL) {
        sl_buf_cleanup(&text);
        return SL_OK;
    }
    (void)sl_buf_puts(&text, "");
    out->text = sl_buf_detach(&text, &out->len);
    return SL_OK;
}
