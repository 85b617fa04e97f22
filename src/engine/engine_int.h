/* engine_int: what the engine's files share. scope.c decides whether and how a request is
 * judged (PSA's scoping); verdict.c builds verdicts (messages, warnings, denials);
 * engine.c judges (/validate); mutate.c patches (/mutate) and tells which violations a
 * patch would fix. */
#ifndef SOCKLOCK_ENGINE_INT_H
#define SOCKLOCK_ENGINE_INT_H

#include <stdbool.h>

#include <jansson.h>

#include "socklock/engine.h"
#include "socklock/workload.h"

/* What answers may carry: warnings the API server passes on (it drops one with a control
 * character or invalid UTF-8, and all webhooks of a request share its budget), the denial
 * message and the audit annotation. */
#define ENG_MAX_WARNINGS       10
#define ENG_MAX_WARNING_BYTES  120
#define ENG_MAX_WARNINGS_TOTAL 2048
#define ENG_MAX_MESSAGE_BYTES  4096
#define ENG_MAX_AUDIT_BYTES    1024

/* The request's fields as the steps read them: never NULL. */
struct eng_scope {
    const char *op, *sub, *group, *kind, *name;
    bool is_pod; /* a Pod, or any request on core pods */
};

/* The waivers the policy's exceptions give one pod (exceptions.c). */
struct eng_waivers {
    struct sl_pss_waiver *v;
    size_t n, cap;
    struct sl_strlist expired; /* expired exceptions that would apply */
};

/* ---- scope.c ---- */
void eng_scope_init(struct eng_scope *s, const struct sl_request *req);
/* Steps 1 to 3: operations, kinds, subresources, and exemptions by namespace and user. */
bool eng_in_scope(const struct sl_profile *prof, const struct sl_request *req,
                  const struct eng_scope *s);
/* The object is present, an object, and a Pod on a pods request; else a 400 denial in out. */
bool eng_object_present(const struct sl_request *req, const struct eng_scope *s,
                        struct sl_verdict *out);
/* Step 4: an UPDATE changes what pods run with (a pod UPDATE without oldObject is a 400
 * denial in out). */
bool eng_significant(const struct sl_request *req, const struct eng_scope *s,
                     const struct sl_podref *ref, struct sl_verdict *out);
/* Step 5's exemption: the pod's runtimeClassName is exempt. */
bool eng_runtime_class_exempt(const struct sl_profile *prof, const struct sl_podref *ref);
/* The check options of a profile, with the waivers w (may be NULL) and where waived
 * violations go (may be NULL). */
struct sl_pss_opts eng_pss_opts(const struct sl_profile *prof, const struct eng_waivers *w,
                                struct sl_findings *waived);

/* ---- exceptions.c ---- */
/* The waivers prof's policy exceptions give the pod of ref in req (s names it). Release with
 * eng_waivers_cleanup(). */
void eng_waivers_for(const struct sl_profile *prof, const struct sl_request *req,
                     const struct eng_scope *s, const struct sl_podref *ref, struct eng_waivers *w);
void eng_waivers_cleanup(struct eng_waivers *w);
/* Puts what out->waived holds into out->exceptions (the audit annotation), and a warning for
 * each expired exception that would have waived one of out->findings. */
void eng_note_exceptions(const struct sl_profile *prof, const struct eng_waivers *w,
                         struct sl_verdict *out);

/* ---- verdict.c ---- */
/* A copy of s of at most max bytes, never cutting UTF-8: control characters (C0, DEL, C1,
 * U+2028/9) written \xNN or \uNNNN, bytes that are not UTF-8 \xNN, "..." where it is cut.
 * Every name or value from a request that an answer or a log shows goes through it. */
char *eng_escape(const char *s, size_t max);
/* eng_escape(), for warnings and annotations. */
char *eng_clean_text(const char *s, size_t max);
/* Appends warnings "socklock PROFILE: PREFIXreason (detail)" for f's violations to v,
 * within the warning budget. prefix may be "". */
void eng_add_warnings(struct sl_verdict *v, const char *profile, const char *prefix,
                      const struct sl_findings *f);
void eng_deny(struct sl_verdict *v, int code, const char *reason, char *message);
/* A 400 denial for an object that cannot be judged (fail closed). */
void eng_deny_unreadable(struct sl_verdict *v, const struct eng_scope *s, const char *fmt, ...)
    SL_PRINTF(3, 4);
/* The profile's mode made of findings f: a 403 denial, warnings or an audit annotation. */
void eng_apply_mode(const struct sl_profile *prof, const struct eng_scope *s,
                    const struct sl_findings *f, struct sl_verdict *out);

/* ---- mutate.c ---- */
/* Fixes a copy of ref's pod spec as prof's mutation settings say, leaving what w waives
 * (only_ephemeral as in struct sl_pss_fix_opts). *fixed is the copy (a new reference) on success.
 */
enum sl_status eng_fix_copy(const struct sl_profile *prof, const struct eng_waivers *w,
                            const struct sl_podref *ref, const struct sl_strlist *only_ephemeral,
                            json_t **fixed, struct sl_error *err);

#endif
