/* review: AdmissionReview in, AdmissionReview out.
 *
 * The parser (json.c) is strict on purpose (TESTPLAN V16): the API server re-encodes every
 * review from its typed object, so duplicate keys, NUL characters, out-of-range numbers and
 * absurd nesting come only from callers that bypass it. It builds the same jansson values
 * json_loadb would, several times faster, and stops at depth 128 before recursing further.
 * Well-formed reviews always get HTTP 200 and an AdmissionReview that echoes request.uid
 * and the request's apiVersion; only envelope errors get 400 with {"error": "..."}. */
#include "socklock/review.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"
#include "socklock/engine.h"
#include "socklock/json.h"
#include "socklock/workload.h"

#define API_V1      "admission.k8s.io/v1"
#define API_V1BETA1 "admission.k8s.io/v1beta1"

void sl_answer_cleanup(struct sl_answer *ans)
{
    if (ans == NULL)
        return;
    free(ans->body);
    ans->body = NULL;
    ans->len = 0;
}

static int dump_to_buf(const char *p, size_t n, void *data)
{
    return sl_buf_append(data, p, n) == SL_OK ? 0 : -1;
}

char *sl_review_error_body(const char *msg, size_t *len)
{
    json_t *o = json_pack("{s:s}", "error", msg);
    struct sl_buf b;
    sl_buf_init(&b, 0);
    if (o == NULL || json_dump_callback(o, dump_to_buf, &b, JSON_COMPACT) != 0) {
        /* msg was not valid UTF-8; say so without echoing it */
        sl_buf_cleanup(&b);
        sl_buf_puts(&b, "{\"error\":\"invalid request\"}");
    }
    json_decref(o);
    return sl_buf_steal(&b, len);
}

static void answer_error(struct sl_answer *ans, const char *fmt, ...) SL_PRINTF(2, 3);

static void answer_error(struct sl_answer *ans, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ans->http_status = 400;
    ans->body = sl_review_error_body(msg, &ans->len);
}

static void copy_field(char *out, size_t size, const char *s)
{
    snprintf(out, size, "%s", s ? s : "");
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

static json_t *response_json(const char *api_version, const char *uid, const struct sl_verdict *v)
{
    json_t *resp = json_pack("{s:s, s:b}", "uid", uid, "allowed", v->allowed);
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
    if (v->audit != NULL)
        json_object_set_new(resp, "auditAnnotations",
                            json_pack("{s:s}", "audit-violations", v->audit));
    return json_pack("{s:s, s:s, s:o}", "apiVersion", api_version, "kind", "AdmissionReview",
                     "response", resp);
}

static void answer(const struct sl_profile *prof, enum sl_endpoint ep, const char *body, size_t len,
                   struct sl_answer *ans);

void sl_review_answer(const struct sl_profile *prof, enum sl_endpoint ep, const char *body,
                      size_t len, struct sl_answer *ans)
{
    /* Every jansson value of this request lives in the thread's arena (alloc.h), and
     * answer() leaves them for sl_arena_end() to take back; nothing made in the arena leaves
     * answer(): the body is copied out, findings own their strings. */
    sl_arena_begin();
    answer(prof, ep, body, len, ans);
    sl_arena_end();
}

static void answer(const struct sl_profile *prof, enum sl_endpoint ep, const char *body, size_t len,
                   struct sl_answer *ans)
{
    memset(ans, 0, sizeof(*ans));
    json_t *doc = NULL;
    json_t *out = NULL;
    struct sl_verdict verdict;
    sl_verdict_init(&verdict);

    if (len == 0) {
        answer_error(ans, "empty body");
        goto out;
    }
    struct sl_json_error jerr;
    doc = sl_json_parse(body, len, SL_REVIEW_MAX_DEPTH, &jerr);
    if (doc == NULL && strcmp(jerr.text, "maximum parsing depth reached") == 0) {
        answer_error(ans, "JSON nested too deeply (limit %d) at line %d column %d",
                     SL_REVIEW_MAX_DEPTH, jerr.line, jerr.column);
        goto out;
    }
    if (doc == NULL) {
        answer_error(ans, "invalid JSON: %s at line %d column %d", jerr.text, jerr.line,
                     jerr.column);
        goto out;
    }
    if (!json_is_object(doc)) {
        answer_error(ans, "not an AdmissionReview: top level is not an object");
        goto out;
    }
    const char *api = json_string_value(json_object_get(doc, "apiVersion"));
    if (api == NULL || (strcmp(api, API_V1) != 0 && strcmp(api, API_V1BETA1) != 0)) {
        answer_error(ans, "not an AdmissionReview: apiVersion must be %s or %s", API_V1,
                     API_V1BETA1);
        goto out;
    }
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    if (kind == NULL || strcmp(kind, "AdmissionReview") != 0) {
        answer_error(ans, "not an AdmissionReview: kind must be AdmissionReview");
        goto out;
    }
    const json_t *req = json_object_get(doc, "request");
    if (!json_is_object(req)) {
        answer_error(ans, "not an AdmissionReview: request missing or not an object");
        goto out;
    }
    const json_t *juid = json_object_get(req, "uid");
    if (!json_is_string(juid) || json_string_length(juid) == 0) {
        answer_error(ans, "not an AdmissionReview: request.uid missing or not a string");
        goto out;
    }
    if (json_string_length(juid) > SL_REVIEW_MAX_UID) {
        answer_error(ans, "not an AdmissionReview: request.uid longer than %d bytes",
                     SL_REVIEW_MAX_UID);
        goto out;
    }
    const char *uid = json_string_value(juid);

    /* The request's own fields. kind {group, version, kind} is what the object is, after
     * any conversion matchPolicy: Equivalent made (P-40); older callers that leave it out
     * get the object's own apiVersion and kind. */
    const json_t *object = json_object_get(req, "object");
    const json_t *old_object = json_object_get(req, "oldObject");
    const json_t *jkind = json_object_get(req, "kind");
    const char *group = "", *kname = "", *op = "", *sub = "", *ns = "", *name = "";
    const char *user = "", *resource = "";
    char objgroup[128];
    if (jkind != NULL && !json_is_null(jkind)) {
        if (!json_is_object(jkind) || !opt_string(jkind, "group", &group) ||
            !opt_string(jkind, "kind", &kname)) {
            answer_error(ans, "not an AdmissionReview: request.kind is not a GroupVersionKind");
            goto out;
        }
    } else if (json_is_object(object)) {
        const char *av = json_string_value(json_object_get(object, "apiVersion"));
        sl_workload_group_of(av ? av : "", objgroup, sizeof(objgroup));
        group = objgroup;
        kname = json_string_value(json_object_get(object, "kind"));
        kname = kname ? kname : "";
    }
    if (!opt_string(req, "operation", &op) || *op == '\0') {
        answer_error(ans, "not an AdmissionReview: request.operation missing or not a string");
        goto out;
    }
    if (!opt_string(req, "subResource", &sub) || !opt_string(req, "namespace", &ns) ||
        !opt_string(req, "name", &name)) {
        answer_error(ans, "not an AdmissionReview: request.subResource, namespace and name "
                          "must be strings");
        goto out;
    }
    /* The resource matters for core pods only (engine.h); another group's "pods" is not. */
    const json_t *jres = json_object_get(req, "resource");
    const char *rgroup = "";
    if (jres != NULL && !json_is_null(jres) &&
        (!json_is_object(jres) || !opt_string(jres, "resource", &resource) ||
         !opt_string(jres, "group", &rgroup))) {
        answer_error(ans, "not an AdmissionReview: request.resource is not a "
                          "GroupVersionResource");
        goto out;
    }
    if (*rgroup != '\0')
        resource = "";
    const json_t *ui = json_object_get(req, "userInfo");
    if (json_is_object(ui) && !opt_string(ui, "username", &user)) {
        answer_error(ans, "not an AdmissionReview: request.userInfo.username is not a string");
        goto out;
    }

    struct sl_request r = {
        .operation = op,
        .group = group,
        .kind = kname,
        .subresource = sub,
        .resource = resource,
        .namespace_ = ns,
        .name = name,
        .username = user,
        .object = object,
        .old_object = old_object,
    };
    /* /mutate is not served yet; the endpoint argument keeps the shared path ready. */
    SL_UNUSED(ep);
    sl_engine_eval(prof, &r, &verdict);

    out = response_json(api, uid, &verdict);
    /* The answer must outlive the request's arena, so it is written into our own buffer. */
    struct sl_buf b;
    sl_buf_init(&b, 0);
    if (out == NULL || json_dump_callback(out, dump_to_buf, &b, JSON_COMPACT) != 0) {
        sl_buf_cleanup(&b);
        answer_error(ans, "cannot encode the response");
        goto out;
    }
    ans->body = sl_buf_steal(&b, &ans->len);
    ans->http_status = 200;
    ans->allowed = verdict.allowed;
    ans->evaluated = verdict.evaluated;
    copy_field(ans->uid, sizeof(ans->uid), uid);
    copy_field(ans->kind, sizeof(ans->kind), kname);
    copy_field(ans->namespace_, sizeof(ans->namespace_), ns);
    copy_field(ans->name, sizeof(ans->name), name);
    copy_field(ans->operation, sizeof(ans->operation), op);
out:
    sl_verdict_cleanup(&verdict);
    /* `doc` and `out` are not released one by one: they live in the request's arena, which
     * sl_review_answer() takes back whole. Walking a large review to free each node cost a
     * fifth of the request's time and freed nothing the arena would not. */
    (void)doc;
    (void)out;
}
