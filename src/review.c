/* review: AdmissionReview in, AdmissionReview out.
 *
 * Decoding is strict on purpose: the API server re-encodes every review from its typed
 * object, so duplicate keys, NUL characters, out-of-range numbers and absurd nesting come
 * only from callers that bypass it (a parser differential is a way past a webhook). The
 * parser (json.c) builds the same jansson values json_loadb would, several times faster,
 * and stops at depth SL_REVIEW_MAX_DEPTH before recursing further. Well-formed reviews
 * always get HTTP 200 and an AdmissionReview that echoes request.uid and the request's
 * apiVersion; only envelope errors get 400 with {"error": "..."}, as Pod Security
 * Admission's webhook answers. docs/admission.md describes the contract. */
#include "socklock/review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socklock/alloc.h"
#include "socklock/base64.h"
#include "socklock/buf.h"
#include "socklock/json.h"
#include "socklock/netpol.h"
#include "socklock/workload.h"

#define API_V1      "admission.k8s.io/v1"
#define API_V1BETA1 "admission.k8s.io/v1beta1"

static int dump_to_buf(const char *p, size_t n, void *data)
{
    return sl_buf_append(data, p, n) == SL_OK ? 0 : -1;
}

/* Encodes v compactly into a new malloc'd text (never in the arena). */
static enum sl_status dump(const json_t *v, char **out, size_t *len)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    if (v == NULL || json_dump_callback(v, dump_to_buf, &b, JSON_COMPACT) != 0) {
        sl_buf_cleanup(&b);
        return SL_E_INTERNAL;
    }
    *out = sl_buf_detach(&b, len);
    return SL_OK;
}

char *sl_review_error_body(const char *msg, size_t *len)
{
    json_t *o = json_pack("{s:s}", "error", msg);
    char *body = NULL;
    /* json_pack fails when msg is not valid UTF-8; say so without echoing it. */
    if (dump(o, &body, len) != SL_OK)
        body = sl_xstrdup("{\"error\":\"invalid request\"}");
    if (len != NULL)
        *len = strlen(body);
    sl_arena_release(o);
    return body;
}

/* ---- decode ---- */

static enum sl_status not_review(struct sl_error *err, const char *what)
{
    sl_error_set(err, "not an AdmissionReview: %s", what);
    return SL_E_INVALID;
}

/* Reads an optional string member: absent or null gives "", another type is an error. */
static bool opt_string(const json_t *obj, const char *key, const char **out)
{
    const json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v)) {
        *out = "";
        return true;
    }
    if (!json_is_string(v))
        return false;
    *out = json_string_value(v);
    return true;
}

static enum sl_status parse_body(const char *body, size_t len, json_t **doc, struct sl_error *err)
{
    struct sl_error jerr = {0};
    if (len == 0) {
        sl_error_set(err, "empty body");
        return SL_E_INVALID;
    }
    enum sl_status rc = sl_json_parse(body, len, SL_REVIEW_MAX_DEPTH, doc, &jerr);
    if (rc == SL_E_LIMIT)
        sl_error_set(err, "JSON nested too deeply (limit %d) at line %d column %d",
                     SL_REVIEW_MAX_DEPTH, jerr.line, jerr.column);
    else if (rc != SL_OK)
        sl_error_set(err, "invalid JSON: %s at line %d column %d", jerr.msg, jerr.line,
                     jerr.column);
    return rc;
}

/* apiVersion, kind, request and request.uid. */
static enum sl_status decode_envelope(struct sl_review *r, const json_t **req, struct sl_error *err)
{
    if (!json_is_object(r->doc))
        return not_review(err, "top level is not an object");
    const char *api = json_string_value(json_object_get(r->doc, "apiVersion"));
    if (api == NULL || (strcmp(api, API_V1) != 0 && strcmp(api, API_V1BETA1) != 0))
        return not_review(err, "apiVersion must be " API_V1 " or " API_V1BETA1);
    const char *kind = json_string_value(json_object_get(r->doc, "kind"));
    if (kind == NULL || strcmp(kind, "AdmissionReview") != 0)
        return not_review(err, "kind must be AdmissionReview");
    *req = json_object_get(r->doc, "request");
    if (!json_is_object(*req))
        return not_review(err, "request missing or not an object");
    const json_t *uid = json_object_get(*req, "uid");
    if (!json_is_string(uid) || json_string_length(uid) == 0)
        return not_review(err, "request.uid missing or not a string");
    if (json_string_length(uid) > SL_REVIEW_MAX_UID) {
        sl_error_set(err, "not an AdmissionReview: request.uid longer than %d bytes",
                     SL_REVIEW_MAX_UID);
        return SL_E_INVALID;
    }
    r->api_version = api;
    r->uid = json_string_value(uid);
    return SL_OK;
}

/* request.kind {group, version, kind} is what the object is, after any conversion that
 * matchPolicy: Equivalent made; older callers that leave it out get the object's own
 * apiVersion and kind. */
static enum sl_status decode_kind(struct sl_review *r, const json_t *req, struct sl_error *err)
{
    const json_t *jkind = json_object_get(req, "kind");
    const json_t *object = r->req.object;
    if (jkind != NULL && !json_is_null(jkind)) {
        if (!json_is_object(jkind) || !opt_string(jkind, "group", &r->req.group) ||
            !opt_string(jkind, "kind", &r->req.kind))
            return not_review(err, "request.kind is not a GroupVersionKind");
    } else if (json_is_object(object)) {
        const char *av = json_string_value(json_object_get(object, "apiVersion"));
        sl_workload_group_of(av ? av : "", r->group, sizeof(r->group));
        r->req.group = r->group;
        const char *k = json_string_value(json_object_get(object, "kind"));
        r->req.kind = k ? k : "";
    }
    return SL_OK;
}

/* operation, subResource, namespace, name, resource and userInfo.username. */
static enum sl_status decode_request(struct sl_review *r, const json_t *req, struct sl_error *err)
{
    struct sl_request *q = &r->req;
    if (!opt_string(req, "operation", &q->operation) || *q->operation == '\0')
        return not_review(err, "request.operation missing or not a string");
    if (!opt_string(req, "subResource", &q->subresource) ||
        !opt_string(req, "namespace", &q->namespace_) || !opt_string(req, "name", &q->name))
        return not_review(err, "request.subResource, namespace and name must be strings");
    /* The resource matters for core pods only (engine.h); another group's "pods" is not. */
    const json_t *jres = json_object_get(req, "resource");
    const char *rgroup = "";
    if (jres != NULL && !json_is_null(jres) &&
        (!json_is_object(jres) || !opt_string(jres, "resource", &q->resource) ||
         !opt_string(jres, "group", &rgroup)))
        return not_review(err, "request.resource is not a GroupVersionResource");
    if (*rgroup != '\0')
        q->resource = "";
    const json_t *ui = json_object_get(req, "userInfo");
    if (json_is_object(ui) && !opt_string(ui, "username", &q->username))
        return not_review(err, "request.userInfo.username is not a string");
    /* Only logged, never judged (a dry run gets the same answer), so any other type is
     * taken as false rather than refused. */
    r->dry_run = json_is_true(json_object_get(req, "dryRun"));
    return SL_OK;
}

enum sl_status sl_review_decode(const char *body, size_t len, struct sl_review *out,
                                struct sl_error *err)
{
    memset(out, 0, sizeof(*out));
    out->req = (struct sl_request){
        .operation = "",
        .group = "",
        .kind = "",
        .subresource = "",
        .resource = "",
        .namespace_ = "",
        .name = "",
        .username = "",
    };
    const json_t *req = NULL;
    enum sl_status rc = parse_body(body, len, &out->doc, err);
    if (rc == SL_OK)
        rc = decode_envelope(out, &req, err);
    if (rc == SL_OK) {
        out->req.object = json_object_get(req, "object");
        out->req.old_object = json_object_get(req, "oldObject");
        rc = decode_kind(out, req, err);
    }
    if (rc == SL_OK)
        rc = decode_request(out, req, err);
    if (rc != SL_OK) {
        sl_review_cleanup(out);
        memset(out, 0, sizeof(*out));
    }
    return rc;
}

void sl_review_cleanup(struct sl_review *r)
{
    if (r == NULL)
        return;
    sl_arena_release(r->doc);
    r->doc = NULL;
}

/* ---- encode ---- */

/* patchType and the base64 of the compact patch, when there is one. */
static enum sl_status add_patch(json_t *resp, const json_t *patch)
{
    if (patch == NULL || json_array_size(patch) == 0)
        return SL_OK;
    char *text = NULL;
    size_t len = 0;
    if (dump(patch, &text, &len) != SL_OK)
        return SL_E_INTERNAL;
    char *b64 = sl_base64_encode(text, len);
    free(text);
    json_object_set_new(resp, "patchType", json_string("JSONPatch"));
    json_object_set_new(resp, "patch", json_string(b64));
    free(b64);
    return SL_OK;
}

static json_t *response_json(const char *uid, const struct sl_verdict *v)
{
    json_t *resp = json_pack("{s:s, s:b}", "uid", uid, "allowed", v->allowed);
    if (resp == NULL)
        return NULL;
    if (add_patch(resp, v->patch) != SL_OK) {
        sl_arena_release(resp);
        return NULL;
    }
    if (!v->allowed) {
        json_object_set_new(resp, "status",
                            json_pack("{s:s, s:i, s:s, s:s}", "status", "Failure", "code", v->code,
                                      "reason", v->reason ? v->reason : "Forbidden", "message",
                                      v->message ? v->message : ""));
    }
    if (v->nwarnings > 0) {
        json_t *w = json_array();
        for (size_t i = 0; i < v->nwarnings; i++)
            json_array_append_new(w, json_string(v->warnings[i]));
        json_object_set_new(resp, "warnings", w);
    }
    if (v->audit != NULL || v->exceptions != NULL) {
        json_t *a = json_object();
        if (v->audit != NULL)
            json_object_set_new(a, "audit-violations", json_string(v->audit));
        if (v->exceptions != NULL)
            json_object_set_new(a, "exceptions", json_string(v->exceptions));
        json_object_set_new(resp, "auditAnnotations", a);
    }
    return resp;
}

enum sl_status sl_review_encode(const struct sl_review *r, const struct sl_verdict *v, char **body,
                                size_t *len, struct sl_error *err)
{
    json_t *out = json_pack("{s:s, s:s, s:o?}", "apiVersion", r->api_version, "kind",
                            "AdmissionReview", "response", response_json(r->uid, v));
    enum sl_status rc = SL_E_INTERNAL;
    if (out != NULL && json_is_object(json_object_get(out, "response")))
        rc = dump(out, body, len);
    if (rc != SL_OK)
        sl_error_set(err, "cannot encode the response");
    sl_arena_release(out);
    return rc;
}

/* ---- NetworkPolicy objects ---- */

static void add_warning(struct sl_verdict *v, char *text)
{
    v->warnings = sl_xrealloc(v->warnings, (v->nwarnings + 1) * sizeof(*v->warnings));
    v->warnings[v->nwarnings++] = text;
}

/* A NetworkPolicy created or updated is judged for rules that admit every source
 * (networkPolicyOpen, netpol.h): by the profile's network setting, a warning each, or, when
 * it denies, what the profile's mode does with a violation (a denial in enforce mode, a
 * warning in warn mode, the audit annotation in audit mode). Only the policy itself is seen
 * here, not the pods it selects. A policy that cannot be read is left to the API server's
 * own validation, which runs before this webhook is called. */
static void judge_netpol(const struct sl_profile *prof, const struct sl_request *req,
                         struct sl_verdict *v)
{
    if (strcmp(req->kind, "NetworkPolicy") != 0 ||
        (strcmp(req->group, "networking.k8s.io") != 0 && strcmp(req->group, "extensions") != 0) ||
        (strcmp(req->operation, "CREATE") != 0 && strcmp(req->operation, "UPDATE") != 0) ||
        *req->subresource != '\0' || !json_is_object(req->object) ||
        prof->network.open == SL_NET_OFF ||
        sl_strlist_has(&prof->exempt_namespaces, req->namespace_))
        return;
    struct sl_netpol_policy p;
    struct sl_strlist open = {0};
    if (sl_netpol_policy_read(req->object, &p, NULL) == SL_OK)
        sl_netpol_open_rules(&p, &open);
    v->evaluated = true;
    bool deny = prof->network.open == SL_NET_DENY;
    struct sl_buf msg;
    sl_buf_init(&msg, 0);
    for (size_t i = 0; i < open.len; i++) {
        sl_pss_findings_add(&v->findings, SL_NETPOL_CHECK_OPEN, "admits every source",
                            open.items[i]);
        if (!deny || prof->mode == SL_MODE_WARN)
            add_warning(v, sl_xasprintf("%s: NetworkPolicy \"%s\": %s", SL_NETPOL_CHECK_OPEN,
                                        p.name, open.items[i]));
        else
            sl_buf_printf(&msg, "%s%s (%s)", msg.len > 0 ? ", " : "", SL_NETPOL_CHECK_OPEN,
                          open.items[i]);
    }
    if (msg.len > 0 && prof->mode == SL_MODE_AUDIT) {
        free(v->audit);
        v->audit = sl_xstrdup(msg.data);
    } else if (msg.len > 0) {
        v->allowed = false;
        v->code = 403;
        free(v->reason);
        v->reason = sl_xstrdup("Forbidden");
        free(v->message);
        v->message = sl_xasprintf("networkpolicy \"%s\" violates profile \"%s\": %s", p.name,
                                  prof->name, msg.data);
    }
    sl_buf_cleanup(&msg);
    sl_strlist_cleanup(&open);
    sl_netpol_policy_cleanup(&p);
}

/* ---- all three ---- */

/* Copies s into out[size], cut to fit. */
static void copy_field(char *out, size_t size, const char *s)
{
    size_t n = s != NULL ? strnlen(s, size - 1) : 0;
    if (n > 0)
        memcpy(out, s, n);
    out[n] = '\0';
}

/* Lists the checks of findings f as check table indexes, each once, in table order. */
static size_t check_indexes(const struct sl_findings *f, unsigned short *out)
{
    size_t n = 0;
    for (size_t i = 0; i < sl_pss_check_count() && n < SL_ANSWER_MAX_CHECKS; i++) {
        struct sl_pss_check_info info;
        sl_pss_check_describe(i, &info);
        bool found = false;
        for (size_t k = 0; k < f->len && !found; k++)
            found = strcmp(f->items[k].check, info.id) == 0;
        if (found)
            out[n++] = (unsigned short)i;
    }
    return n;
}

/* What the decision log and the metrics read of the request and its verdict. */
static void describe(const struct sl_review *r, const struct sl_verdict *v, struct sl_answer *ans)
{
    ans->allowed = v->allowed;
    ans->evaluated = v->evaluated;
    ans->violates = v->violates;
    ans->patched = v->patch != NULL;
    ans->dry_run = r->dry_run;
    copy_field(ans->uid, sizeof(ans->uid), r->uid);
    copy_field(ans->group, sizeof(ans->group), r->req.group);
    copy_field(ans->kind, sizeof(ans->kind), r->req.kind);
    copy_field(ans->namespace_, sizeof(ans->namespace_), r->req.namespace_);
    copy_field(ans->name, sizeof(ans->name), r->req.name);
    copy_field(ans->operation, sizeof(ans->operation), r->req.operation);
    copy_field(ans->subresource, sizeof(ans->subresource), r->req.subresource);
    copy_field(ans->resource, sizeof(ans->resource), r->req.resource);
    copy_field(ans->user, sizeof(ans->user), r->req.username);
    for (size_t i = 0; i < v->waived.len; i++) {
        size_t used = strlen(ans->exceptions);
        if (strstr(ans->exceptions, v->waived.items[i].exception) == NULL)
            snprintf(ans->exceptions + used, sizeof(ans->exceptions) - used, "%s%s",
                     used ? "," : "", v->waived.items[i].exception);
    }
    ans->nchecks = check_indexes(&v->findings, ans->checks);
    ans->nwaived = check_indexes(&v->waived, ans->waived);
}

/* Answers with prof, or, when it is NULL, with the profile pol's namespaces rules give the
 * request's namespace (404 when there is none). */
static void answer(const struct sl_policy *pol, const struct sl_profile *prof, enum sl_endpoint ep,
                   const char *body, size_t len, struct sl_answer *ans)
{
    struct sl_review r;
    struct sl_verdict v;
    struct sl_error err = {0};
    memset(ans, 0, sizeof(*ans));
    ans->endpoint = ep;
    sl_engine_verdict_init(&v);

    enum sl_status rc = sl_review_decode(body, len, &r, &err);
    if (rc == SL_OK && prof == NULL) {
        prof = sl_policy_route(pol, r.req.namespace_, NULL);
        if (prof == NULL) {
            ans->http_status = 404;
            char *msg = sl_xasprintf("no profile judges namespace \"%s\": the policy has no "
                                     "profile named default",
                                     r.req.namespace_);
            ans->body = sl_review_error_body(msg, &ans->len);
            copy_field(ans->error, sizeof(ans->error), msg);
            free(msg);
            goto out;
        }
    }
    if (rc == SL_OK) {
        snprintf(ans->profile, sizeof(ans->profile), "%s", prof->name);
        ans->mode = prof->mode;
        ans->level = prof->level;
        ans->version = prof->version;
        if (ep == SL_EP_MUTATE) {
            sl_engine_mutate(prof, &r.req, &v);
        } else {
            sl_engine_eval(prof, &r.req, &v);
            judge_netpol(prof, &r.req, &v);
        }
        rc = sl_review_encode(&r, &v, &ans->body, &ans->len, &err);
    }
    if (rc != SL_OK) {
        ans->http_status = 400;
        ans->body = sl_review_error_body(err.msg, &ans->len);
        copy_field(ans->error, sizeof(ans->error), err.msg);
        goto out;
    }
    ans->http_status = 200;
    describe(&r, &v, ans);
out:
    sl_engine_verdict_cleanup(&v);
    sl_review_cleanup(&r);
}

void sl_review_answer(const struct sl_profile *prof, enum sl_endpoint ep, const char *body,
                      size_t len, struct sl_answer *ans)
{
    answer(NULL, prof, ep, body, len, ans);
}

void sl_review_answer_routed(const struct sl_policy *pol, const char *profile, enum sl_endpoint ep,
                             const char *body, size_t len, struct sl_answer *ans)
{
    const struct sl_profile *prof = NULL;
    if (profile != NULL && (prof = sl_policy_find(pol, profile)) == NULL) {
        memset(ans, 0, sizeof(*ans));
        ans->endpoint = ep;
        ans->http_status = 404;
        ans->body = sl_review_error_body("not found", &ans->len);
        copy_field(ans->error, sizeof(ans->error), "not found");
        return;
    }
    answer(pol, prof, ep, body, len, ans);
}

void sl_review_answer_cleanup(struct sl_answer *ans)
{
    if (ans == NULL)
        return;
    free(ans->body);
    ans->body = NULL;
    ans->len = 0;
}
