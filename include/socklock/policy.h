/* policy: profiles (level, version, extras, mode, mutation), exemptions and server limits;
 * the embedded default policy and YAML policy files. A loaded policy is read-only. */
#ifndef SOCKLOCK_POLICY_H
#define SOCKLOCK_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "socklock/common.h"
#include "socklock/pss.h"
#include "socklock/strlist.h"

enum sl_mode { SL_MODE_ENFORCE, SL_MODE_WARN, SL_MODE_AUDIT };

/* What the profile's mutating endpoint (and its template verdicts) may do. */
struct sl_mutate {
    bool pods;                  /* /mutate patches pods (default on) */
    bool templates;             /* /mutate patches workload pod templates (default off) */
    long long run_as_user;      /* uid set where runAsUser is unset; -1: none (default) */
    bool tmp_dir;               /* an emptyDir at /tmp for containers made read-only (on) */
    char *tmp_size_limit;       /* its sizeLimit (a Kubernetes quantity), or NULL */
    struct sl_strlist override; /* checks whose fixers may replace explicit values */
};

struct sl_profile {
    char *name;
    enum sl_level level;
    int version;            /* minor version or SL_VERSION_LATEST */
    bool read_only_root_fs; /* socklock extra check */
    bool relax_user_ns;     /* PSA's RelaxPolicyForUserNamespacePods (off by default) */
    enum sl_mode mode;
    struct sl_mutate mutate;
    struct sl_strlist exempt_namespaces;
    struct sl_strlist exempt_usernames;
    struct sl_strlist exempt_runtime_classes;
};

struct sl_limits {
    size_t max_body_bytes;       /* 7 MiB */
    size_t inflight_body_bytes;  /* 64 MiB, all connections together */
    unsigned connections;        /* 1024 */
    unsigned per_ip_connections; /* 512 */
    unsigned idle_timeout_s;     /* 30 */
    unsigned shutdown_delay_s;   /* 5 */
    unsigned drain_timeout_s;    /* 10 */
};

struct sl_policy {
    struct sl_profile *profiles;
    size_t nprofiles;
    struct sl_limits limits;
};

/* Returns a new policy holding the embedded default: profile "default" = restricted,
 * latest, readOnlyRootFilesystem, enforce, mutating pods (with a /tmp emptyDir, no
 * runAsUser), namespaces kube-system and
 * socklock-system exempt. Caller frees with sl_policy_free(). */
struct sl_policy *sl_policy_new_default(void);

/* Parses a YAML policy. Errors carry FILE:LINE:COLUMN. Caller frees *out. */
enum sl_status sl_policy_load(const char *data, size_t len, const char *filename,
                              struct sl_policy **out, struct sl_error *err);

/* Returns a new policy with one profile "NAME" that runs the plain Pod Security Standards at
 * level and version: no extra checks, enforce, no mutation, no exemptions. */
struct sl_policy *sl_policy_new_plain(const char *name, enum sl_level level, int version);

/* Finds a profile by name; NULL when absent. Borrowed. */
const struct sl_profile *sl_policy_find(const struct sl_policy *pol, const char *name);

/* Writes the effective policy as YAML text. Caller frees. */
char *sl_policy_dump(const struct sl_policy *pol);

void sl_policy_free(struct sl_policy *pol);

/* "enforce", "warn" or "audit". */
const char *sl_policy_mode_name(enum sl_mode mode);

#endif
