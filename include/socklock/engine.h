/* engine: judge (/validate) or patch (/mutate) one object under one profile. It applies Pod
 * Security Admission's scoping (operations, subresources, significant updates, exemptions),
 * finds the pod spec, runs the checks or the fixers, and turns the findings into a verdict
 * for the profile's mode. Pure. */
#ifndef SOCKLOCK_ENGINE_H
#define SOCKLOCK_ENGINE_H

#include <stdbool.h>
#include <time.h>

#include <jansson.h>

#include "socklock/common.h"
#include "socklock/policy.h"
#include "socklock/pss.h"

/* What is judged. All pointers borrowed; strings never NULL ("" when absent). */
struct sl_request {
    const char *operation;   /* CREATE, UPDATE, DELETE, CONNECT */
    const char *group;       /* "" for core */
    const char *kind;        /* e.g. "Deployment" */
    const char *subresource; /* "" when none */
    const char *resource;    /* core request.resource.resource, e.g. "pods"; "" otherwise */
    const char *namespace_;
    const char *name;
    const char *username;
    const json_t *object;     /* may be NULL */
    const json_t *old_object; /* may be NULL */
    bool as_written;          /* `check`: judge workload templates as written, every violation
                               * counting, rather than as /validate does when pods are mutated */
    time_t now;               /* when exceptions expire against; 0: now */
};

struct sl_verdict {
    bool allowed;
    bool evaluated; /* the checks ran (false: out of scope, exempt, not significant) */
    bool violates;  /* the checks found what the profile's mode acts on: enforce denied for it,
                     * warn and audit reported it (Pod Security Admission's "deny" decision
                     * whatever the mode); also a denial for an object not understood */
    int code;       /* 0 when allowed; 403 denied by a check; 400 not understood */
    char *reason;   /* status reason for a denial: "Forbidden" or "BadRequest"; else NULL */
    char *message;  /* denial message, or NULL */
    struct sl_findings findings; /* every violation found, whatever the mode */
    char **warnings;             /* AdmissionReview warnings (warn mode), each owned */
    size_t nwarnings;
    char *audit;               /* audit annotation value (audit mode), or NULL */
    json_t *patch;             /* /mutate: the RFC 6902 operations (non-empty), or NULL; owned */
    struct sl_findings waived; /* violations policy exceptions waived, each naming its one */
    char *exceptions;          /* audit annotation naming them, or NULL */
};

/* The request the API server would send for creating obj, as `check` and `fix` judge a
 * manifest: operation CREATE, group from apiVersion (written into group, gsize bytes),
 * namespace from metadata or "default", name or generateName, no user. Borrows obj. */
void sl_engine_request_create(const json_t *obj, char *group, size_t gsize, struct sl_request *out);

void sl_engine_verdict_init(struct sl_verdict *v);
void sl_engine_verdict_cleanup(struct sl_verdict *v);

/* Judges req under prof into out (which the caller has initialised). Never fails: a pod that
 * cannot be understood is a denial with code 400 that says why (fail closed). */
void sl_engine_eval(const struct sl_profile *prof, const struct sl_request *req,
                    struct sl_verdict *out);

/* Answers /mutate for req under prof into out (initialised by the caller): always allowed;
 * out->patch holds the operations that bring the object's pods into compliance as far as the
 * profile's fixers may go, or NULL when nothing changes or nothing may; out->findings the
 * violations left after the patch, which out->warnings name ("not fixed: ..."). An object
 * that cannot be understood gets no patch and a warning. out->patch is made with jansson
 * (inside the caller's arena when there is one, see alloc.h). */
void sl_engine_mutate(const struct sl_profile *prof, const struct sl_request *req,
                      struct sl_verdict *out);

/* Builds the denial message "KIND \"NAME\" violates profile \"PROFILE\": reason (detail), ..."
 * from findings, at most `max` bytes (cut with "... (N more)"). Caller frees. */
char *sl_engine_message(const char *kind, const char *name, const char *profile,
                        const struct sl_findings *f, size_t max);

#endif
