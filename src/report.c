/* report: `check` results, collected per object and rendered as text or JSON.
 *
 * Entries own copies of everything they show, so the manifests and verdicts they came from
 * can be freed as soon as an object is judged. Text output is meant for people and CI logs
 * (one grep-able line per violation); the JSON output is one document so tools can read it
 * whole. Control characters in names coming from manifests are escaped in the text output,
 * so a hostile manifest cannot forge lines.
 */
#include "socklock/report.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"

static char *dup_or_empty(const char *s)
{
    return sl_xstrdup(s != NULL ? s : "");
}

void sl_report_init(struct sl_report *r, const char *profile)
{
    memset(r, 0, sizeof(*r));
    r->profile = dup_or_empty(profile);
}

static void entry_cleanup(struct sl_report_entry *e)
{
    free(e->file);
    free(e->api_version);
    free(e->kind);
    free(e->namespace_);
    free(e->name);
    free(e->message);
    sl_pss_findings_cleanup(&e->findings);
    for (size_t j = 0; j < e->nwarnings; j++)
        free(e->warnings[j]);
    free(e->warnings);
    json_decref(e->patch);
    free(e->profile);
    sl_pss_findings_cleanup(&e->waived);
}

void sl_report_cleanup(struct sl_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->len; i++)
        entry_cleanup(&r->entries[i]);
    free(r->entries);
    for (size_t i = 0; i < r->nnet; i++) {
        struct sl_report_net *n = &r->net[i];
        free(n->file);
        free(n->kind);
        free(n->namespace_);
        free(n->name);
        free(n->check);
        free(n->detail);
        free(n->profile);
        sl_strlist_cleanup(&n->workloads);
    }
    free(r->net);
    free(r->errors);
    free(r->profile);
    memset(r, 0, sizeof(*r));
}

static void count(struct sl_report_counts *c, const struct sl_report_entry *e)
{
    c->waived += e->waived.len;
    switch (e->status) {
    case SL_REPORT_ALLOWED:
        c->allowed++;
        break;
    case SL_REPORT_DENIED:
        c->denied++;
        break;
    case SL_REPORT_EXEMPT:
        c->exempt++;
        c->allowed++;
        break;
    case SL_REPORT_SKIPPED:
        c->skipped++;
        break;
    }
    c->checked = c->allowed + c->denied;
}

static void render_entry(const struct sl_report *r, struct sl_buf *b,
                         const struct sl_report_entry *e, bool first);

/* Stream mode: writes the object held back for set_patch()/set_profile(), and drops it. */
static void flush_pending(struct sl_report *r)
{
    if (r->emit == NULL || r->len == 0)
        return;
    struct sl_buf b;
    sl_buf_init(&b, 0);
    render_entry(r, &b, &r->entries[0], r->emitted == 0);
    r->emit(r->emit_ctx, b.data != NULL ? b.data : "", b.len);
    sl_buf_cleanup(&b);
    entry_cleanup(&r->entries[0]);
    r->len = 0;
    r->emitted++;
}

void sl_report_add(struct sl_report *r, const char *file, int line, size_t doc,
                   const char *api_version, const char *kind, const char *namespace_,
                   const char *name, bool carries_pod, const struct sl_verdict *v)
{
    flush_pending(r);
    r->entries = sl_xrealloc(r->entries, (r->len + 1) * sizeof(*r->entries));
    struct sl_report_entry *e = &r->entries[r->len++];
    memset(e, 0, sizeof(*e));
    e->file = dup_or_empty(file);
    e->line = line;
    e->doc = doc;
    e->api_version = dup_or_empty(api_version);
    e->kind = dup_or_empty(kind);
    e->namespace_ = dup_or_empty(namespace_);
    e->name = dup_or_empty(name);
    sl_pss_findings_init(&e->findings);
    sl_pss_findings_init(&e->waived);
    e->profile = sl_xstrdup(r->profile);
    for (size_t i = 0; i < v->waived.len; i++) {
        const struct sl_violation *x = &v->waived.items[i];
        sl_pss_findings_add_waived(&e->waived, x->check, x->reason, x->detail, x->exception);
    }
    if (!v->allowed)
        e->status = SL_REPORT_DENIED;
    else if (v->evaluated)
        e->status = SL_REPORT_ALLOWED;
    else
        e->status = carries_pod ? SL_REPORT_EXEMPT : SL_REPORT_SKIPPED;
    e->code = v->code;
    e->message = v->message ? sl_xstrdup(v->message) : NULL;
    for (size_t i = 0; i < v->findings.len; i++) {
        const struct sl_violation *x = &v->findings.items[i];
        sl_pss_findings_add(&e->findings, x->check, x->reason, x->detail);
        e->findings.items[e->findings.len - 1].fixable = x->fixable;
    }
    if (v->nwarnings > 0) {
        e->warnings = sl_xcalloc(v->nwarnings, sizeof(*e->warnings));
        for (size_t i = 0; i < v->nwarnings; i++)
            e->warnings[i] = sl_xstrdup(v->warnings[i]);
        e->nwarnings = v->nwarnings;
    }
    count(&r->counts, e);
}

void sl_report_set_profile(struct sl_report *r, const char *profile)
{
    if (r->len == 0)
        return;
    struct sl_report_entry *e = &r->entries[r->len - 1];
    free(e->profile);
    e->profile = sl_xstrdup(profile != NULL ? profile : "");
}

void sl_report_set_patch(struct sl_report *r, json_t *patch)
{
    if (r->len == 0)
        return;
    struct sl_report_entry *e = &r->entries[r->len - 1];
    json_decref(e->patch);
    e->patch = json_incref(patch);
}

void sl_report_add_network(struct sl_report *r, const char *file, int line, const char *kind,
                           const char *namespace_, const char *name, const char *check,
                           const char *detail, const struct sl_strlist *workloads,
                           const char *profile, bool deny)
{
    r->net = sl_xrealloc(r->net, (r->nnet + 1) * sizeof(*r->net));
    struct sl_report_net *n = &r->net[r->nnet++];
    memset(n, 0, sizeof(*n));
    n->file = dup_or_empty(file);
    n->line = line;
    n->kind = dup_or_empty(kind);
    n->namespace_ = dup_or_empty(namespace_);
    n->name = dup_or_empty(name);
    n->check = dup_or_empty(check);
    n->detail = dup_or_empty(detail);
    n->profile = dup_or_empty(profile);
    n->deny = deny;
    for (size_t i = 0; workloads != NULL && i < workloads->len; i++)
        sl_strlist_add(&n->workloads, workloads->items[i]);
    if (deny)
        r->counts.network_denied++;
    else
        r->counts.network_warnings++;
}

void sl_report_add_error(struct sl_report *r, const struct sl_error *err)
{
    r->errors = sl_xrealloc(r->errors, (r->nerrors + 1) * sizeof(*r->errors));
    r->errors[r->nerrors++] = *err;
}

void sl_report_counts(const struct sl_report *r, struct sl_report_counts *out)
{
    *out = r->counts;
    out->errors = r->nerrors;
}

/* Appends s with control characters (and backslashes) escaped, so one finding stays one
 * line whatever a manifest puts in a name. */
static void put_clean(struct sl_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f)
            sl_buf_printf(b, "\\x%02x", *p);
        else if (*p == '\\')
            sl_buf_puts(b, "\\\\");
        else
            sl_buf_append(b, p, 1);
    }
}

static void put_prefix(struct sl_buf *b, const struct sl_report_entry *e)
{
    put_clean(b, e->file);
    sl_buf_printf(b, ":%d: ", e->line);
    put_clean(b, e->kind);
    sl_buf_puts(b, " ");
    put_clean(b, e->namespace_);
    sl_buf_puts(b, "/");
    put_clean(b, e->name);
    sl_buf_puts(b, ": ");
}

static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static void text_entry(struct sl_buf *b, const struct sl_report_entry *e)
{
    for (size_t j = 0; j < e->findings.len; j++) {
        const struct sl_violation *v = &e->findings.items[j];
        put_prefix(b, e);
        put_clean(b, v->check);
        sl_buf_puts(b, ": ");
        put_clean(b, v->detail != NULL && v->detail[0] != '\0' ? v->detail : v->reason);
        sl_buf_puts(b, v->fixable ? " (fixable)\n" : "\n");
    }
    for (size_t j = 0; j < e->waived.len; j++) {
        const struct sl_violation *v = &e->waived.items[j];
        put_prefix(b, e);
        put_clean(b, v->check);
        sl_buf_puts(b, ": ");
        put_clean(b, v->detail != NULL && v->detail[0] != '\0' ? v->detail : v->reason);
        sl_buf_puts(b, " (waived by exception \"");
        put_clean(b, v->exception);
        sl_buf_puts(b, "\")\n");
    }
    if (e->status == SL_REPORT_DENIED && e->findings.len == 0) {
        put_prefix(b, e);
        sl_buf_puts(b, "invalid: ");
        put_clean(b, e->message != NULL ? e->message : "denied");
        sl_buf_puts(b, "\n");
    }
}

static void text_network(struct sl_buf *b, const struct sl_report *r)
{
    for (size_t i = 0; i < r->nnet; i++) {
        const struct sl_report_net *n = &r->net[i];
        put_clean(b, n->file);
        sl_buf_printf(b, ":%d: ", n->line);
        put_clean(b, n->kind);
        sl_buf_puts(b, " ");
        put_clean(b, n->namespace_);
        sl_buf_puts(b, "/");
        put_clean(b, n->name);
        sl_buf_puts(b, ": ");
        put_clean(b, n->check);
        sl_buf_puts(b, ": ");
        put_clean(b, n->detail);
        sl_buf_puts(b, n->deny ? "\n" : " (warning)\n");
    }
}

static void text_summary(struct sl_buf *b, const struct sl_report *r)
{
    struct sl_report_counts c;
    sl_report_counts(r, &c);
    sl_buf_printf(b, "%zu %s checked: %zu allowed, %zu denied", c.checked,
                  plural(c.checked, "object", "objects"), c.allowed, c.denied);
    if (c.exempt > 0)
        sl_buf_printf(b, " (%zu exempt)", c.exempt);
    sl_buf_printf(b, "; %zu skipped (no pod spec)", c.skipped);
    if (c.waived > 0)
        sl_buf_printf(b, "; %zu %s waived", c.waived, plural(c.waived, "violation", "violations"));
    if (c.network_warnings + c.network_denied > 0)
        sl_buf_printf(b, "; network: %zu %s, %zu denied", c.network_warnings,
                      plural(c.network_warnings, "warning", "warnings"), c.network_denied);
    if (c.errors > 0)
        sl_buf_printf(b, "; %zu %s", c.errors, plural(c.errors, "error", "errors"));
    sl_buf_puts(b, "\n");
}

char *sl_report_text(const struct sl_report *r)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    for (size_t i = 0; i < r->len; i++)
        text_entry(&b, &r->entries[i]);
    text_network(&b, r);
    text_summary(&b, r);
    return sl_buf_detach(&b, NULL);
}

static const char *status_name(enum sl_report_status s)
{
    switch (s) {
    case SL_REPORT_ALLOWED:
        return "allowed";
    case SL_REPORT_DENIED:
        return "denied";
    case SL_REPORT_EXEMPT:
        return "exempt";
    case SL_REPORT_SKIPPED:
        break;
    }
    return "skipped";
}

/* jansson refuses strings that are not UTF-8; our inputs came through yamljson and are, but
 * never let one bad string drop a whole report. */
static json_t *jstr(const char *s)
{
    json_t *v = json_string(s != NULL ? s : "");
    return v != NULL ? v : json_string("?");
}

static json_t *entry_json(const struct sl_report_entry *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "file", jstr(e->file));
    json_object_set_new(o, "line", json_integer(e->line));
    json_object_set_new(o, "document", json_integer((json_int_t)e->doc));
    json_object_set_new(o, "apiVersion", jstr(e->api_version));
    json_object_set_new(o, "kind", jstr(e->kind));
    json_object_set_new(o, "namespace", jstr(e->namespace_));
    json_object_set_new(o, "name", jstr(e->name));
    json_object_set_new(o, "verdict", json_string(status_name(e->status)));
    json_object_set_new(o, "code", json_integer(e->code));
    json_object_set_new(o, "message", e->message ? jstr(e->message) : json_null());
    json_t *vs = json_array();
    for (size_t i = 0; i < e->findings.len; i++) {
        const struct sl_violation *v = &e->findings.items[i];
        json_array_append_new(vs, json_pack("{s:o,s:o,s:o,s:b}", "check", jstr(v->check), "reason",
                                            jstr(v->reason), "detail", jstr(v->detail), "fixable",
                                            v->fixable));
    }
    json_object_set_new(o, "violations", vs);
    json_t *ws = json_array();
    for (size_t i = 0; i < e->nwarnings; i++)
        json_array_append_new(ws, jstr(e->warnings[i]));
    json_object_set_new(o, "warnings", ws);
    json_object_set_new(o, "patch", e->patch != NULL ? json_incref(e->patch) : json_null());
    json_t *wv = json_array();
    for (size_t i = 0; i < e->waived.len; i++) {
        const struct sl_violation *v = &e->waived.items[i];
        json_array_append_new(wv, json_pack("{s:o,s:o,s:o,s:o}", "check", jstr(v->check), "reason",
                                            jstr(v->reason), "detail", jstr(v->detail), "exception",
                                            jstr(v->exception)));
    }
    json_object_set_new(o, "waived", wv);
    json_object_set_new(o, "profile", jstr(e->profile));
    return o;
}

/* A value dumped with two-space indentation, its lines after the first indented by
 * `indent` more: the layout it has at that depth of the whole document. */
static void put_json(struct sl_buf *b, json_t *v, const char *indent)
{
    char *t = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    for (const char *p = t != NULL ? t : "null"; *p; p++) {
        sl_buf_append(b, p, 1);
        if (*p == '\n')
            sl_buf_puts(b, indent);
    }
    free(t);
    json_decref(v);
}

static void json_head(struct sl_buf *b, const struct sl_report *r)
{
    sl_buf_puts(b, "{\n  \"profile\": ");
    put_json(b, jstr(r->profile), "  ");
    sl_buf_puts(b, ",\n  \"objects\": [");
}

static void json_entry(struct sl_buf *b, const struct sl_report_entry *e, bool first)
{
    sl_buf_puts(b, first ? "\n    " : ",\n    ");
    put_json(b, entry_json(e), "    ");
}

/* After the objects: the errors, then the summary (known only once every object is in). */
static void json_tail(struct sl_buf *b, const struct sl_report *r, bool any)
{
    sl_buf_puts(b, any ? "\n  ],\n  \"network\": " : "],\n  \"network\": ");
    json_t *net = json_array();
    for (size_t i = 0; i < r->nnet; i++) {
        const struct sl_report_net *n = &r->net[i];
        json_t *ws = json_array();
        for (size_t j = 0; j < n->workloads.len; j++)
            json_array_append_new(ws, jstr(n->workloads.items[j]));
        json_array_append_new(net, json_pack("{s:o,s:i,s:o,s:o,s:o,s:o,s:s,s:o,s:o,s:o}", "file",
                                             jstr(n->file), "line", n->line, "kind", jstr(n->kind),
                                             "namespace", jstr(n->namespace_), "name",
                                             jstr(n->name), "check", jstr(n->check), "action",
                                             n->deny ? "deny" : "warn", "detail", jstr(n->detail),
                                             "workloads", ws, "profile", jstr(n->profile)));
    }
    put_json(b, net, "  ");
    sl_buf_puts(b, ",\n  \"errors\": ");
    json_t *errs = json_array();
    for (size_t i = 0; i < r->nerrors; i++) {
        const struct sl_error *e = &r->errors[i];
        json_array_append_new(errs,
                              json_pack("{s:o,s:i,s:i,s:o}", "file", jstr(e->file), "line", e->line,
                                        "column", e->column, "message", jstr(e->msg)));
    }
    put_json(b, errs, "  ");
    struct sl_report_counts c;
    sl_report_counts(r, &c);
    sl_buf_puts(b, ",\n  \"summary\": ");
    put_json(b,
             json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "checked", (json_int_t)c.checked,
                       "allowed", (json_int_t)c.allowed, "denied", (json_int_t)c.denied, "exempt",
                       (json_int_t)c.exempt, "skipped", (json_int_t)c.skipped, "errors",
                       (json_int_t)c.errors, "waived", (json_int_t)c.waived, "networkWarnings",
                       (json_int_t)c.network_warnings, "networkDenied",
                       (json_int_t)c.network_denied),
             "  ");
    sl_buf_puts(b, "\n}\n");
}

static void render_entry(const struct sl_report *r, struct sl_buf *b,
                         const struct sl_report_entry *e, bool first)
{
    if (r->json)
        json_entry(b, e, first);
    else
        text_entry(b, e);
}

char *sl_report_json(const struct sl_report *r)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    json_head(&b, r);
    for (size_t i = 0; i < r->len; i++)
        json_entry(&b, &r->entries[i], i == 0);
    json_tail(&b, r, r->len > 0);
    return sl_buf_detach(&b, NULL);
}

void sl_report_init_stream(struct sl_report *r, const char *profile, bool json,
                           void (*emit)(void *ctx, const char *text, size_t len), void *ctx)
{
    sl_report_init(r, profile);
    r->json = json;
    r->emit = emit;
    r->emit_ctx = ctx;
    if (json) {
        struct sl_buf b;
        sl_buf_init(&b, 0);
        json_head(&b, r);
        emit(ctx, b.data, b.len);
        sl_buf_cleanup(&b);
    }
}

void sl_report_finish(struct sl_report *r)
{
    flush_pending(r);
    struct sl_buf b;
    sl_buf_init(&b, 0);
    if (r->json) {
        json_tail(&b, r, r->emitted > 0);
    } else {
        text_network(&b, r);
        text_summary(&b, r);
    }
    r->emit(r->emit_ctx, b.data, b.len);
    sl_buf_cleanup(&b);
}
