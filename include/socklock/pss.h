/* pss: the Pod Security Standards checks (baseline and restricted, every version) plus
 * socklock's own extra checks, kept as one table. The module is pure: it reads a pod's
 * metadata and spec (jansson values) and returns the violations found. */
#ifndef SOCKLOCK_PSS_H
#define SOCKLOCK_PSS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "socklock/common.h"
#include "socklock/strlist.h"

enum sl_level { SL_LEVEL_PRIVILEGED = 0, SL_LEVEL_BASELINE = 1, SL_LEVEL_RESTRICTED = 2 };

/* A policy version is the minor number of Kubernetes v1.X. "latest" is SL_VERSION_LATEST,
 * which evaluates as the newest version the table knows (as PSA's EvaluatePod does). */
#define SL_VERSION_LATEST 0x7fff

/* One violation. Strings are owned by the violation. The shape follows PSA's
 * CheckResult: reason is ForbiddenReason ("host namespaces"), detail is ForbiddenDetail
 * ("hostNetwork=true"), and the denial message shows "reason (detail)". */
struct sl_violation {
    char *check;  /* check id, e.g. "runAsNonRoot" or "readOnlyRootFilesystem" */
    char *reason; /* e.g. "runAsNonRoot != true" */
    char *detail; /* e.g. "pod or container \"app\" must set securityContext.runAsNonRoot=true"; may
                     be "" */
    bool fixable; /* a patch the profile allows fixes it (set by the engine; else false) */
    char *exception; /* a waived violation: the policy exception that waives it; else NULL */
};

struct sl_findings {
    struct sl_violation *items;
    size_t len;
    size_t cap;
};

/* socklock's own checks, beyond the Pod Security Standards; each is turned on by its bit. */
enum sl_pss_extra {
    SL_PSS_EXTRA_READ_ONLY_ROOT_FS = 1u << 0, /* check "readOnlyRootFilesystem" */
};

/* A check a policy exception waives for one pod: for the whole pod (list NULL), or for one
 * container, entirely or (capabilities non-NULL) only for those capability adds. A waiver
 * for one container never waives what the pod itself sets (host namespaces, volumes,
 * sysctls, a pod-level securityContext): the check runs as if that container were not
 * there, or did not add those capabilities. */
struct sl_pss_waiver {
    const char *check; /* a check id, or "*" for every check */
    const char *list;  /* NULL, or "initContainers", "containers", "ephemeralContainers" */
    size_t index;      /* the container's place in that list */
    const struct sl_strlist *capabilities; /* canonical names (upper case, no CAP_), or NULL */
    const char *by;                        /* the exception's name, for the record */
};

struct sl_pss_opts {
    enum sl_level level;
    int version;            /* minor version, or SL_VERSION_LATEST */
    unsigned extras;        /* enum sl_pss_extra bits: the extra checks to run */
    bool relax_user_ns;     /* waive runAsNonRoot/runAsUser for hostUsers:false pods before
                             * v1.35 too (PSA's former RelaxPolicyForUserNamespacePods
                             * option); from v1.35 PSA waives them unconditionally */
    const char *only_check; /* when non-NULL, evaluate only the check with this id */
    const struct sl_pss_waiver *waivers; /* what policy exceptions waive for this pod */
    size_t nwaivers;
    struct sl_findings *waived; /* sl_pss_eval: where waived violations go (each with its
                                 * `exception`); NULL to drop them */
};

void sl_pss_findings_init(struct sl_findings *f);
/* Frees every violation and empties f. Accepts NULL. */
void sl_pss_findings_cleanup(struct sl_findings *f);
/* Appends a violation, copying the three strings. */
void sl_pss_findings_add(struct sl_findings *f, const char *check, const char *reason,
                         const char *detail);
/* Appends a waived violation: the three strings and the exception's name, copied. */
void sl_pss_findings_add_waived(struct sl_findings *f, const char *check, const char *reason,
                                const char *detail, const char *exception);

/* Parses "privileged", "baseline", "restricted". SL_E_INVALID otherwise. */
enum sl_status sl_pss_parse_level(const char *s, enum sl_level *out);
const char *sl_pss_level_name(enum sl_level level);
/* Parses "latest" or "v1.Y" (Y decimal, no sign or leading zero). SL_E_INVALID otherwise.
 * Versions above the newest are kept (they evaluate as the newest). */
enum sl_status sl_pss_parse_version(const char *s, int *out);
/* Writes "latest" or "v1.Y" into out. */
void sl_pss_version_name(int version, char *out, size_t size);
/* The newest minor version at which any check starts or changes (what "latest" means),
 * computed from the check table. */
int sl_pss_newest_version(void);

/* Evaluates a pod under opts. `meta` is the pod's (or template's) metadata, may be NULL;
 * `spec` is the pod spec object. A violation opts->waivers waive goes to opts->waived instead
 * of `out` (one partly waived: what is left to `out`, the waived part to opts->waived). Violations
 * are appended to `out` in table order (PSA's order: baseline ids sorted, then restricted ids
 * sorted, then socklock's extras). At the restricted level a baseline check overridden by a
 * restricted one does not run. `only_check` runs just that check when it is enabled at (level,
 * version), overridden or not; extras run when their bit is set in opts->extras, at any level. At
 * the privileged level no PSS check runs. Every field any check reads is type-checked first,
 * whatever the level: returns SL_E_INVALID with err naming the field path (e.g. "spec.containers[1]
 * is not an object") when the structure cannot be understood, SL_E_LIMIT when the pod has more than
 * 100000 containers or volumes, SL_E_USAGE for an unknown only_check or a negative
 * version; `out` may then hold partial results. Borrows meta and spec. */
enum sl_status sl_pss_eval(const json_t *meta, const json_t *spec, const struct sl_pss_opts *opts,
                           struct sl_findings *out, struct sl_error *err);

/* How fixers may change a pod (the mutating webhook, `socklock fix`). */
struct sl_pss_fix_opts {
    const struct sl_strlist *override; /* ids of checks whose fixers may replace explicit
                                        * values (runAsNonRoot: false, Unconfined, ...); NULL
                                        * for none: then only unset fields are filled in */
    long long run_as_user;      /* uid the runAsUser fixer sets where it is unset; -1: none */
    bool tmp_dir;               /* mount an emptyDir at /tmp in containers made read-only */
    const char *tmp_size_limit; /* that emptyDir's sizeLimit, or NULL */
    /* The pods/ephemeralcontainers subresource: only these ephemeral containers (by name)
     * may change, and nothing at pod level (the API server refuses any other change there).
     * NULL: every container and the pod may change. */
    const struct sl_strlist *only_ephemeral;
};

/* Makes *out, a fixed copy of `spec`, by the fixer of every check that sl_pss_eval() would
 * run under opts (in force, not overridden, not waived for this pod):
 * it fills in what is unset (runAsNonRoot, allowPrivilegeEscalation, capabilities drop ALL,
 * seccomp RuntimeDefault, readOnlyRootFilesystem with a /tmp emptyDir, runAsUser where fix
 * names one), normalises capability names ("all" to "ALL"), and replaces explicit values only
 * for the checks fix->override names. It never sets a field the API forbids for the pod
 * (Linux-only fields on Windows pods, allowPrivilegeEscalation=false beside privileged or
 * CAP_SYS_ADMIN). Violations no fixer may fix are left as they are.
 * *out is a new reference that shares with spec every value no fixer may write (env, probes,
 * images, ...): only the objects on the way to securityContext, volumes and volumeMounts are
 * its own. So compare it with spec (sl_patch_diff, json_equal) but never change it in place.
 * Borrows meta and spec, which are unchanged. Errors as sl_pss_eval() (the pod cannot be
 * understood); *out is then NULL. */
enum sl_status sl_pss_fix(const json_t *meta, const json_t *spec, const struct sl_pss_opts *opts,
                          const struct sl_pss_fix_opts *fix, json_t **out, struct sl_error *err);

/* The most versioned rows one check has. */
#define SL_PSS_MAX_VERSIONS 6

/* What the check table says of one check. */
struct sl_pss_check_info {
    const char *id;      /* static */
    enum sl_level level; /* SL_LEVEL_PRIVILEGED for socklock's extras */
    unsigned extra;      /* its enum sl_pss_extra bit; 0 for Pod Security Standards checks */
    size_t nversions;
    int versions[SL_PSS_MAX_VERSIONS]; /* minor versions at which it starts or changes */
    bool fixable;                      /* some row has a fixer */
    bool pod_only; /* it reads only what the pod sets, never a container: a waiver for one
                    * container can never change it */
};

/* The number of checks in the table; sl_pss_check_describe() reads entry i < that. */
size_t sl_pss_check_count(void);
void sl_pss_check_describe(size_t i, struct sl_pss_check_info *out);
/* True when `id` names a check in the table. */
bool sl_pss_check_exists(const char *id);
/* True when `id` names a check that has a fixer (at some version). */
bool sl_pss_check_fixable(const char *id);

/* Verifies the table's invariants: ids unique and in PSA's order (baseline ids sorted by
 * byte value, then restricted ids, then extras), versioned rows in ascending order, overrides
 * naming a baseline check from a restricted one, one bit per extra. SL_E_INTERNAL with err
 * saying which row is wrong. */
enum sl_status sl_pss_table_check(struct sl_error *err);

#endif
