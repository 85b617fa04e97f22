/* pss_int: what the pss module's files share. model.c decodes a pod (metadata and spec)
 * into the plain structs below, checking the JSON type of every field a check reads, as
 * the API server's typed decoding would; checks_baseline.c and checks_restricted.c hold the
 * check implementations, all of which read only those structs; pss.c holds the check table
 * and the evaluator that reads it; text.c the helpers that build PSA's message texts. */
#ifndef SOCKLOCK_PSS_INT_H
#define SOCKLOCK_PSS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "socklock/buf.h"
#include "socklock/common.h"
#include "socklock/pss.h"
#include "socklock/strlist.h"

/* Most containers (init, regular and ephemeral together) one pod may carry. The API
 * server's request size limit keeps real pods far below this. */
#define PSS_MAX_CONTAINERS 100000
/* Most volumes one pod may carry. */
#define PSS_MAX_VOLUMES 100000

/* A *bool field of the Kubernetes API: absent and null are both "unset". */
enum pss_tri { PSS_UNSET = 0, PSS_FALSE, PSS_TRUE };

/* A pointer-to-struct profile field (seccompProfile, appArmorProfile): present when it is a
 * non-null object, even an empty one, exactly as a Go pointer would be non-nil. */
struct pss_profile {
    bool set;
    const char *type; /* "" when absent */
};

struct pss_selinux {
    bool set;
    const char *type, *user, *role; /* "" when absent */
};

/* The fields pod and container securityContexts share. */
struct pss_sc {
    enum pss_tri run_as_non_root;
    bool run_as_user_set;
    long long run_as_user;
    struct pss_profile seccomp;
    struct pss_profile apparmor;
    struct pss_selinux selinux;
    enum pss_tri host_process; /* windowsOptions.hostProcess */
};

/* Hosts named by probes and lifecycle handlers: 3 probes and 2 handlers, httpGet and
 * tcpSocket each. */
#define PSS_MAX_HOSTS 10

/* The container lists, in PSA's visiting order. */
enum pss_list { PSS_INIT_CONTAINERS, PSS_CONTAINERS, PSS_EPHEMERAL_CONTAINERS };
extern const char *const pss_list_names[3];

struct pss_container {
    const json_t *json; /* the container object itself */
    enum pss_list list; /* which list, and where in it */
    size_t index;
    const char *name; /* "" when absent */
    struct pss_sc sc;
    enum pss_tri privileged, allow_priv_esc, ro_rootfs;
    bool caps_set;          /* securityContext.capabilities is an object */
    const json_t *cap_add;  /* array of strings, or NULL */
    const json_t *cap_drop; /* array of strings, or NULL */
    const char *proc_mount; /* NULL when unset */
    const json_t *ports;    /* array of objects with a valid hostPort, or NULL */
    const char *hosts[PSS_MAX_HOSTS];
    size_t nhosts; /* non-empty probe and lifecycle hosts, in field order */
    /* Fixers only: capability adds a policy exception lets this container keep, whatever
     * the allowed set says (canonical names); NULL for none. */
    const struct sl_strlist *waived_caps;
};

struct pss_volume {
    const char *name;
    bool host_path;
    const char *bad_type; /* restrictedVolumes: NULL when allowed, else the type name */
};

struct pss_pod {
    const json_t *annotations;  /* object of strings, or NULL */
    const json_t *volumes_json; /* spec.volumes: an array, or NULL */
    bool host_network, host_pid, host_ipc;
    enum pss_tri host_users;
    bool windows; /* spec.os.name == "windows" */
    struct pss_sc sc;
    const json_t *sysctls; /* array of objects with string names, or NULL */
    struct pss_volume *volumes;
    size_t nvolumes;
    struct pss_container *containers; /* initContainers, containers, ephemeralContainers */
    size_t ncontainers;
};

/* Decodes meta (may be NULL) and spec into pod. SL_E_INVALID or SL_E_LIMIT with err naming
 * the field. Strings and values in pod are borrowed from meta and spec. Release pod with
 * pss_pod_cleanup() whatever the result. */
enum sl_status pss_pod_decode(struct pss_pod *pod, const json_t *meta, const json_t *spec,
                              struct sl_error *err);
void pss_pod_cleanup(struct pss_pod *pod);

const char *pss_plural(const char *one, const char *many, size_t n);
void pss_put_join(struct sl_buf *b, const struct sl_strlist *l, const char *sep);
/* PSA's joinQuote: "a", "b". */
void pss_put_join_quote(struct sl_buf *b, const struct sl_strlist *l);
/* "key=\"value\"" with Go's %q quoting. Caller frees. */
char *pss_annotation_phrase(const char *key, const char *value);
/* Appends "pod", "container(s) ..." and extra, joined by " and ". */
void pss_put_setters(struct sl_buf *b, bool pod, const struct sl_strlist *containers,
                     const char *extra);
/* Adds the violation (id, reason, detail's text) and releases detail. */
void pss_emit(struct sl_findings *out, const char *id, const char *reason, struct sl_buf *detail);
bool pss_starts_with(const char *s, const char *prefix);
/* A capability as the runtime reads it: "CAP_" prefix dropped, upper case ("cap_net_raw" ->
 * "NET_RAW"). Caller frees. */
char *pss_canonical_cap(const char *s);
/* True when s is in the NULL-terminated set (a NULL set is empty). */
bool pss_in_set(const char *const *set, const char *s);
/* ---- the check table ---- */

/* One implementation of a check: reads the decoded pod and, when the pod fails, appends one
 * violation with check id `id` to out. `allowed` is the versioned row's set of allowed values
 * (a NULL-terminated list, e.g. the safe sysctls at that version), or NULL for checks that
 * need none. Implementations know nothing of versions: every version gate is a row. */
typedef void pss_check_fn(const struct pss_pod *pod, const char *const *allowed, const char *id,
                          struct sl_findings *out);

/* What a fixer works on: the decoded pod (never changed), the copy it changes, and how. */
struct pss_fix {
    const struct pss_pod *pod;
    json_t *spec; /* the copy of the pod spec being fixed */
    const struct sl_pss_fix_opts *opts;
    bool override; /* this check may replace explicit values */
};

/* A fixer: changes fx->spec so the pod passes the check, as far as fx allows. `allowed` is
 * the row's allowed values, as for the check. */
typedef void pss_fix_fn(const struct pss_fix *fx, const char *const *allowed);

/* Pods a versioned row does not apply to; the evaluator skips the check for them. */
enum pss_waiver {
    PSS_WAIVE_NONE = 0,
    PSS_WAIVE_WINDOWS = 1u << 0, /* spec.os.name is exactly "windows" */
    PSS_WAIVE_USER_NS = 1u << 1, /* hostUsers: false (a pod in a user namespace) */
    /* hostUsers: false, when the profile opts in (PSA's former RelaxPolicyForUserNamespacePods) */
    PSS_WAIVE_USER_NS_RELAXED = 1u << 2,
};

/* One row of a check's version list: from minor version `since` on (until the next row), the
 * check is `fn` with `allowed`, skipped for the pods `waive` names, fixed by `fix`, and, at
 * the restricted level, replaces the baseline check `overrides` (NULL for none). As in Pod Security
 * Admission's registry, a row holds until a later row takes over. */
struct pss_versioned {
    int since;
    pss_check_fn *fn;
    const char *const *allowed; /* NULL-terminated, or NULL */
    unsigned waive;             /* enum pss_waiver bits */
    const char *overrides;
    pss_fix_fn *fix; /* NULL: no patch fixes a failure of this row */
};

/* The most rows one check has (sysctls: v1.0, v1.27, v1.29, v1.32, v1.37). */
#define PSS_MAX_VERSIONS SL_PSS_MAX_VERSIONS

/* One check: its id (PSA's, or socklock's own), its level, and its rows in ascending `since`
 * (unused rows are zero). `extra` is 0 for Pod Security Standards checks; socklock's own
 * checks carry the SL_PSS_EXTRA_* bit that turns them on, run at every level when it is set,
 * and carry SL_LEVEL_PRIVILEGED. */
struct pss_check {
    const char *id;
    enum sl_level level;
    unsigned extra;
    struct pss_versioned versions[PSS_MAX_VERSIONS];
    bool pod_only; /* reads only pod-level fields: a container's waiver never changes it */
    bool fix_late; /* its fixer reads what the other fixers wrote, so it runs after them */
};

/* The table (pss.c) and its length. */
extern const struct pss_check pss_checks[];
extern const size_t pss_nchecks;

/* Shared by baseline and restricted implementations (checks_baseline.c). */
void pss_seccomp_fields(const struct pss_pod *pod, bool require, const char *id,
                        struct sl_findings *out);

pss_check_fn pss_check_apparmor;
pss_check_fn pss_check_caps_baseline;
pss_check_fn pss_check_host_namespaces;
pss_check_fn pss_check_host_path;
pss_check_fn pss_check_host_ports;
pss_check_fn pss_check_host_probes;
pss_check_fn pss_check_privileged;
pss_check_fn pss_check_proc_mount;
pss_check_fn pss_check_selinux;
pss_check_fn pss_check_seccomp_annotations;
pss_check_fn pss_check_seccomp_fields;
pss_check_fn pss_check_sysctls;
pss_check_fn pss_check_host_process;
pss_check_fn pss_check_allow_priv_esc;
pss_check_fn pss_check_caps_restricted;
pss_check_fn pss_check_restricted_volumes;
pss_check_fn pss_check_run_as_non_root;
pss_check_fn pss_check_run_as_user;
pss_check_fn pss_check_seccomp_required;
pss_check_fn pss_check_ro_rootfs;

/* The fixers (fixers.c). */
pss_fix_fn pss_fix_allow_priv_esc;
pss_fix_fn pss_fix_caps_baseline;
pss_fix_fn pss_fix_caps_restricted;
pss_fix_fn pss_fix_run_as_non_root;
pss_fix_fn pss_fix_run_as_user;
pss_fix_fn pss_fix_seccomp_fields;
pss_fix_fn pss_fix_seccomp_required;
pss_fix_fn pss_fix_ro_rootfs;

#endif
