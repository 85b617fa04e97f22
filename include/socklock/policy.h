/* policy: profiles (level, version, extras, mode, mutation), exemptions, the namespaces
 * rules that pick a profile, the exceptions that waive checks, and server limits; the
 * embedded default policy and YAML policy files. A loaded policy is read-only. */
#ifndef SOCKLOCK_POLICY_H
#define SOCKLOCK_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

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

/* What a network finding (netpol.h) does under a profile: nothing, a warning (never changes
 * a verdict or an exit status), or a denial. */
enum sl_net_action { SL_NET_OFF, SL_NET_WARN, SL_NET_DENY };

/* The profile's `network` settings, one per network check id. */
struct sl_network {
    enum sl_net_action ingress;      /* networkPolicyIngress */
    enum sl_net_action default_deny; /* networkPolicyDefaultDeny */
    enum sl_net_action open;         /* networkPolicyOpen */
};

struct sl_policy;

struct sl_profile {
    char *name;
    enum sl_level level;
    int version;               /* minor version or SL_VERSION_LATEST */
    bool read_only_root_fs;    /* socklock extra check */
    bool relax_user_ns;        /* PSA's RelaxPolicyForUserNamespacePods (off by default) */
    struct sl_network network; /* network findings: warn by default, off for plain PSS */
    enum sl_mode mode;
    struct sl_mutate mutate;
    struct sl_strlist exempt_namespaces;
    struct sl_strlist exempt_usernames;
    struct sl_strlist exempt_runtime_classes;
    const struct sl_policy *policy; /* the policy it belongs to (its exceptions); may be NULL */
};

/* A `namespaces` rule: the namespaces `match` names are judged by `profile`. */
struct sl_ns_rule {
    char *match;        /* a namespace name or a glob (*, ?, [...]) */
    char *profile_name; /* the profile it names, "default" when it names none */
    /* The profile in force there: the named one itself, or (derived) a copy of it with the
     * rule's mode, level or version. */
    struct sl_profile *profile;
    bool derived;
    int line, column; /* where the rule is written */
};

/* An `exceptions` entry: what it matches, and which checks (and values) it waives there. */
struct sl_exception {
    char *name;
    /* Globs; an empty list matches everything. containers and images make it an exception
     * for the containers they match (never for what the pod itself sets). */
    struct sl_strlist namespaces, names, containers, images;
    struct sl_strlist checks;       /* check ids, or the one entry "*": every check */
    struct sl_strlist capabilities; /* for the capabilities checks, only these adds (canonical:
                                     * upper case, no CAP_); empty: the whole check */
    long expires;                   /* the last day it applies, in days since 1970-01-01 UTC;
                                     * -1: it never expires */
    char expires_text[11];          /* "YYYY-MM-DD", or "" */
    int line, column;               /* where it is written */
};

struct sl_limits {
    size_t max_body_bytes;       /* 7 MiB */
    size_t inflight_body_bytes;  /* 64 MiB, all connections together */
    bool inflight_set;           /* the file set it (else serve may fit it to a memory limit) */
    unsigned connections;        /* 1024 */
    unsigned per_ip_connections; /* 256 */
    unsigned head_timeout_s;     /* 10: a new connection's handshake and first request head */
    unsigned idle_timeout_s;     /* 30 */
    unsigned shutdown_delay_s;   /* 5 */
    unsigned drain_timeout_s;    /* 10 */
};

struct sl_policy {
    struct sl_profile *profiles;
    size_t nprofiles;
    struct sl_ns_rule *rules; /* `namespaces`, in order: the first that matches wins */
    size_t nrules;
    struct sl_exception *exceptions;
    size_t nexceptions;
    struct sl_limits limits;
    struct sl_strlist warnings; /* "FILE:LINE:COLUMN: message" of what loads but is suspect */
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

/* The profile that judges namespace ns on the default routes (/validate, /mutate, `check`
 * without --profile): the first `namespaces` rule that matches, else the profile "default";
 * NULL when there is none (or pol is NULL). *rule (when not NULL) is the rule that matched,
 * or NULL. */
const struct sl_profile *sl_policy_route(const struct sl_policy *pol, const char *ns,
                                         const struct sl_ns_rule **rule);

/* True when glob `pattern` (*, ?, [...]; `*` matches '/' too) matches s whole. */
bool sl_policy_glob(const char *pattern, const char *s);

/* True when one of globs matches s whole, or globs is empty (a selector left out matches
 * everything). */
bool sl_policy_glob_any(const struct sl_strlist *globs, const char *s);

/* True when `pattern` matches the container image reference `image`: the reference as
 * written, in full (registry docker.io, library/ for official images, :latest when it has no
 * tag or digest) or in brief (docker.io/ and library/ left out). A pattern with no tag or
 * digest matches every tag and digest. */
bool sl_policy_image_match(const char *pattern, const char *image);

/* True when e has expired at time now (it applies through its last day, UTC). */
bool sl_exception_expired(const struct sl_exception *e, time_t now);

/* What applies in namespace ns, and to each of images[0..nimages): the rule, the profile
 * (level, version, mode), whether the namespace is exempt, and every exception that may
 * apply, expired ones marked. Text for `socklock policy --explain`. Caller frees. */
char *sl_policy_explain(const struct sl_policy *pol, const char *ns, char *const *images,
                        size_t nimages, time_t now);

/* Writes the effective policy as YAML text. Caller frees. */
char *sl_policy_dump(const struct sl_policy *pol);

void sl_policy_free(struct sl_policy *pol);

/* The action prof takes on the network check `check` ("networkPolicyIngress", ...);
 * SL_NET_OFF for an unknown id. */
enum sl_net_action sl_policy_net_action(const struct sl_profile *prof, const char *check);

/* "off", "warn" or "deny". */
const char *sl_policy_net_action_name(enum sl_net_action a);

/* "enforce", "warn" or "audit". */
const char *sl_policy_mode_name(enum sl_mode mode);

#endif
