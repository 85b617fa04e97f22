/* pss_int: what the pss module's files share. pss_model.c decodes a pod (metadata and spec)
 * into the plain structs below, checking the JSON type of every field a check reads, as
 * the API server's typed decoding would; pss_checks.c holds one function per check, all
 * of which read only those structs; pss.c holds the check table and the evaluator. */
#ifndef SOCKLOCK_PSS_INT_H
#define SOCKLOCK_PSS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "socklock/buf.h"
#include "socklock/common.h"
#include "socklock/pss.h"

/* The newest minor version at which any check changes (sysctls, v1.37). */
#define PSS_NEWEST_VERSION 37

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

struct pss_container {
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
};

struct pss_volume {
    const char *name;
    bool host_path;
    const char *bad_type; /* restrictedVolumes: NULL when allowed, else the type name */
};

struct pss_pod {
    const json_t *annotations; /* object of strings, or NULL */
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

/* A list of owned strings (pss_text.c). Zero-initialise; release with pss_list_free(). */
struct pss_strlist {
    char **v;
    size_t n, cap;
};

void pss_list_take(struct pss_strlist *l, char *s); /* steals s */
void pss_list_add(struct pss_strlist *l, const char *s);
void pss_list_free(struct pss_strlist *l);
int pss_cmp_str(const void *a, const void *b);
/* Sorts by byte value and drops repeats, as PSA's sets.List() does. */
void pss_list_sort_unique(struct pss_strlist *l);
const char *pss_plural(const char *one, const char *many, size_t n);
void pss_put_join(struct sl_buf *b, const struct pss_strlist *l, const char *sep);
/* PSA's joinQuote: "a", "b". */
void pss_put_join_quote(struct sl_buf *b, const struct pss_strlist *l);
/* "key=\"value\"" with Go's %q quoting. Caller frees. */
char *pss_annotation_phrase(const char *key, const char *value);
/* Appends "pod", "container(s) ..." and extra, joined by " and ". */
void pss_put_setters(struct sl_buf *b, bool pod, const struct pss_strlist *containers,
                     const char *extra);
/* Adds the violation (id, reason, detail's text) and releases detail. */
void pss_emit(struct sl_findings *out, const char *id, const char *reason, struct sl_buf *detail);
bool pss_starts_with(const char *s, const char *prefix);
bool pss_in_set(const char *const *set, size_t n, const char *s);
/* Shared by baseline and restricted checks (pss_checks.c). */
void pss_seccomp_fields(const struct pss_pod *pod, bool require, const char *id,
                        struct sl_findings *out);
void pss_proc_mount_strict(const struct pss_pod *pod, const char *id, struct sl_findings *out);

/* A check: reads pod at policy `version` (already clamped to the newest) and, when the pod
 * fails it, appends one violation with check id `id` to out. */
typedef void pss_check_fn(const struct pss_pod *pod, int version, const struct sl_pss_opts *opts,
                          const char *id, struct sl_findings *out);

pss_check_fn pss_check_apparmor;
pss_check_fn pss_check_caps_baseline;
pss_check_fn pss_check_host_namespaces;
pss_check_fn pss_check_host_path;
pss_check_fn pss_check_host_ports;
pss_check_fn pss_check_host_probes;
pss_check_fn pss_check_privileged;
pss_check_fn pss_check_proc_mount;
pss_check_fn pss_check_selinux;
pss_check_fn pss_check_seccomp_baseline;
pss_check_fn pss_check_sysctls;
pss_check_fn pss_check_host_process;
pss_check_fn pss_check_allow_priv_esc;
pss_check_fn pss_check_caps_restricted;
pss_check_fn pss_check_proc_mount_restricted;
pss_check_fn pss_check_restricted_volumes;
pss_check_fn pss_check_run_as_non_root;
pss_check_fn pss_check_run_as_user;
pss_check_fn pss_check_seccomp_restricted;
pss_check_fn pss_check_ro_rootfs;

#endif
