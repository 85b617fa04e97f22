/* review: AdmissionReview in, AdmissionReview out, in three steps each usable on its own:
 * sl_review_decode() turns a body into the request the engine judges, sl_engine_eval()
 * judges it, sl_review_encode() turns the verdict into the response body. sl_review_answer()
 * runs the three, as the server and `socklock review` do. Pure: bytes in, status and bytes
 * out; no I/O, no globals, no logging. */
#ifndef SOCKLOCK_REVIEW_H
#define SOCKLOCK_REVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "socklock/common.h"
#include "socklock/engine.h"
#include "socklock/policy.h"

enum sl_endpoint { SL_EP_VALIDATE, SL_EP_MUTATE };

/* Envelope limits: nesting deeper than this is refused before it is built, and a uid longer
 * than this is not a uid the API server sends. */
#define SL_REVIEW_MAX_DEPTH 128
#define SL_REVIEW_MAX_UID   128

/* A decoded AdmissionReview. Every string, and req.object and req.old_object, is borrowed
 * from `doc` (req.group may point into `group`); the struct owns doc. */
struct sl_review {
    json_t *doc;             /* the parsed body */
    const char *api_version; /* "admission.k8s.io/v1" or "admission.k8s.io/v1beta1" */
    const char *uid;         /* request.uid, 1 to SL_REVIEW_MAX_UID bytes */
    struct sl_request req;
    char group[128]; /* the group taken from object.apiVersion when request.kind is absent */
    bool dry_run;    /* request.dryRun: the API server will not persist the object */
};

/* Parses and checks the envelope of an AdmissionReview body (v1 or v1beta1): strict JSON
 * (duplicate keys, NUL, out-of-range numbers refused), apiVersion, kind, request, uid,
 * operation, and the types of kind, resource, subResource, namespace, name and userInfo.
 * On failure the status is SL_E_LIMIT (nested deeper than SL_REVIEW_MAX_DEPTH) or
 * SL_E_INVALID (anything else), and err->msg is the text for the 400 answer's "error"
 * ("invalid JSON: ... at line L column C", "not an AdmissionReview: ..."); *out is then
 * empty. Release *out with sl_review_cleanup() in either case. */
enum sl_status sl_review_decode(const char *body, size_t len, struct sl_review *out,
                                struct sl_error *err);

/* Releases what decode made (see sl_json_release() in alloc.h: inside the calling thread's
 * arena this costs nothing). Accepts NULL and an empty review. */
void sl_review_cleanup(struct sl_review *r);

/* Writes the AdmissionReview response for verdict v on review r: apiVersion and uid echoed,
 * status {Failure, code, reason, message} when denied, warnings, auditAnnotations, and
 * patchType JSONPatch with the base64 of v->patch when there is a patch. *body is
 * a new compact JSON text that the caller frees, outside any arena. SL_E_INTERNAL when the
 * verdict holds text JSON cannot carry (never expected: texts are built from valid UTF-8). */
enum sl_status sl_review_encode(const struct sl_review *r, const struct sl_verdict *v, char **body,
                                size_t *len, struct sl_error *err);

/* The most check ids one answer lists: more than the check table holds (a unit test keeps
 * it so). */
#define SL_ANSWER_MAX_CHECKS 64

/* The answer to one HTTP body. */
struct sl_answer {
    int http_status; /* 200 for every well-formed review; 400 otherwise */
    char *body;      /* JSON text (an AdmissionReview, or {"error": "..."}), owned */
    size_t len;
    char error[256]; /* the "error" of a body that is not an AdmissionReview; else "" */
    /* For the decision log and the metrics, filled when http_status is 200 (never whole
     * objects; texts cut to their buffers): */
    enum sl_endpoint endpoint;
    char uid[SL_REVIEW_MAX_UID + 1];
    char group[64]; /* request.kind.group, "" for core */
    char kind[64];
    char namespace_[254];
    char name[254];
    char operation[16];
    char subresource[64]; /* "" when none */
    char resource[64];    /* core request.resource.resource ("pods"); "" otherwise */
    char user[256];       /* request.userInfo.username */
    bool dry_run;         /* request.dryRun */
    bool allowed;
    bool evaluated;
    bool violates;     /* the checks found what the mode acts on (sl_verdict) */
    bool patched;      /* the answer carries a patch */
    char profile[64];  /* the profile that answered */
    enum sl_mode mode; /* its mode, level and version */
    enum sl_level level;
    int version;
    char exceptions[256]; /* the exceptions that waived a violation, comma-separated */
    /* The checks of the violations found (for /mutate: left after the patch) and of those
     * exceptions waived, each once, in table order, as indexes for sl_pss_check_describe(). */
    unsigned short checks[SL_ANSWER_MAX_CHECKS];
    size_t nchecks;
    unsigned short waived[SL_ANSWER_MAX_CHECKS];
    size_t nwaived;
};

/* Decodes `body`, judges it (SL_EP_VALIDATE) or patches it (SL_EP_MUTATE) under `prof`, and
 * encodes the answer into ans:
 * HTTP 200 with the AdmissionReview response, or 400 with {"error": "..."} for a body that
 * is not an AdmissionReview. Every JSON value it makes is released before it returns; a
 * caller that wraps the call in sl_arena_begin()/sl_arena_end() has them all taken from
 * and returned to the thread's arena at once (the server does). ans->body never lives in
 * the arena. Caller releases ans with sl_review_answer_cleanup(). */
void sl_review_answer(const struct sl_profile *prof, enum sl_endpoint ep, const char *body,
                      size_t len, struct sl_answer *ans);

/* As sl_review_answer(), with the profile named `profile` (NULL: the one pol's namespaces
 * rules give the request's namespace, as /validate and /mutate do). HTTP 404 when there is
 * no such profile. */
void sl_review_answer_routed(const struct sl_policy *pol, const char *profile, enum sl_endpoint ep,
                             const char *body, size_t len, struct sl_answer *ans);

void sl_review_answer_cleanup(struct sl_answer *ans);

/* Returns a new {"error": msg} body (a generic text when msg is not valid UTF-8). Caller
 * frees. */
char *sl_review_error_body(const char *msg, size_t *len);

#endif
