/* pss: the Pod Security Standards as one table, and the evaluator that reads it.
 *
 * The table follows Kubernetes' Pod Security Admission registry
 * (k8s.io/pod-security-admission/policy): every check has an id, a level and a list of
 * versioned rows. A row says: from this minor version on, the check is this implementation,
 * with these allowed values, skipping these pods (Windows pods, pods in a user namespace),
 * and at the restricted level it replaces that baseline check. The evaluator picks, for the
 * policy version, the last row that has begun; a check whose first row has not begun does
 * not exist at that version. Implementations (checks_*.c) know nothing of versions.
 *
 * Checks run in PSA's order, baseline ids sorted by byte value, then restricted ids sorted,
 * so violations come out in the order PSA reports them; socklock's extras follow, and run
 * only when the profile turns them on, at any level. A version newer than the newest row
 * (and "latest") evaluates as that newest version, as PSA's EvaluatePod clamps it; the
 * newest version is computed from the rows, never written down.
 *
 * sl_pss_table_check() verifies the table's invariants (order, unique ids, rows ascending,
 * overrides naming a baseline check, one bit per extra); the command line runs it at start
 * and the unit tests run it too.
 *
 * Adding a check: write its implementation (a pss_check_fn) and add one row here; if it
 * reads a field the decoder does not yet know, add that field to model.c. Changing a check
 * at a new Kubernetes version: add one versioned row. */
#include "socklock/pss.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pss_int.h"
#include "socklock/alloc.h"
#include "socklock/json.h"

/* ---- allowed values, per version ---- */

static const char *const caps_baseline_1_0[] = {
    "AUDIT_WRITE",      "CHOWN",   "DAC_OVERRIDE", "FOWNER",  "FSETID", "KILL",       "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID",       "SETPCAP", "SETUID", "SYS_CHROOT", NULL,
};

static const char *const caps_restricted_1_22[] = {"NET_BIND_SERVICE", NULL};

#define SELINUX_TYPES_1_0 "", "container_t", "container_init_t", "container_kvm_t"
static const char *const selinux_types_1_0[] = {SELINUX_TYPES_1_0, NULL};
static const char *const selinux_types_1_31[] = {SELINUX_TYPES_1_0, "container_engine_t", NULL};

/* check_sysctls.go: each version's safe set is the previous one plus what it adds. */
#define SYSCTLS_1_0                                                                      \
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", \
        "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"
#define SYSCTLS_1_27 SYSCTLS_1_0, "net.ipv4.ip_local_reserved_ports"
#define SYSCTLS_1_29                                                         \
    SYSCTLS_1_27, "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", \
        "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"
#define SYSCTLS_1_32 SYSCTLS_1_29, "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"
#define SYSCTLS_1_37 \
    SYSCTLS_1_32, "net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"
static const char *const sysctls_1_0[] = {SYSCTLS_1_0, NULL};
static const char *const sysctls_1_27[] = {SYSCTLS_1_27, NULL};
static const char *const sysctls_1_29[] = {SYSCTLS_1_29, NULL};
static const char *const sysctls_1_32[] = {SYSCTLS_1_32, NULL};
static const char *const sysctls_1_37[] = {SYSCTLS_1_37, NULL};

/* ---- the table ---- */

#define B               SL_LEVEL_BASELINE
#define R               SL_LEVEL_RESTRICTED
#define WINDOWS         PSS_WAIVE_WINDOWS
#define USER_NS         PSS_WAIVE_USER_NS
#define USER_NS_RELAXED PSS_WAIVE_USER_NS_RELAXED

/* Each check is {id, level, extra bit, rows, pod-only}; rows are {since, implementation,
 * allowed values, waivers, overridden baseline check, fixer}. A pod-only check reads nothing
 * of a container, so a policy exception for a container can never waive it.
 * Windows waivers (v1.25): API validation forbids these fields on Windows pods. User
 * namespace waivers (KEP-127): such pods may run as uid 0 and unmask /proc inside their
 * namespace; PSA waives them from v1.35, and earlier only when the administrator opted in. */
const struct pss_check pss_checks[] = {
    {"appArmorProfile", B, 0, {{0, pss_check_apparmor, NULL, 0, NULL, NULL}}, false, false},
    {"capabilities_baseline",
     B,
     0,
     {{0, pss_check_caps_baseline, caps_baseline_1_0, 0, NULL, pss_fix_caps_baseline}},
     false,
     false},
    {"hostNamespaces", B, 0, {{0, pss_check_host_namespaces, NULL, 0, NULL, NULL}}, true, false},
    {"hostPathVolumes", B, 0, {{0, pss_check_host_path, NULL, 0, NULL, NULL}}, true, false},
    {"hostPorts", B, 0, {{0, pss_check_host_ports, NULL, 0, NULL, NULL}}, false, false},
    {"hostProbesAndHostLifecycle",
     B,
     0,
     {{34, pss_check_host_probes, NULL, 0, NULL, NULL}},
     false,
     false},
    {"privileged", B, 0, {{0, pss_check_privileged, NULL, 0, NULL, NULL}}, false, false},
    {"procMount",
     B,
     0,
     {{0, pss_check_proc_mount, NULL, 0, NULL, NULL},
      {35, pss_check_proc_mount, NULL, USER_NS, NULL, NULL}},
     false,
     false},
    {"seLinuxOptions",
     B,
     0,
     {{0, pss_check_selinux, selinux_types_1_0, 0, NULL, NULL},
      {31, pss_check_selinux, selinux_types_1_31, 0, NULL, NULL}},
     false,
     false},
    {"seccompProfile_baseline",
     B,
     0,
     {{0, pss_check_seccomp_annotations, NULL, 0, NULL, NULL},
      {19, pss_check_seccomp_fields, NULL, 0, NULL, pss_fix_seccomp_fields}},
     false,
     false},
    {"sysctls",
     B,
     0,
     {{0, pss_check_sysctls, sysctls_1_0, 0, NULL, NULL},
      {27, pss_check_sysctls, sysctls_1_27, 0, NULL, NULL},
      {29, pss_check_sysctls, sysctls_1_29, 0, NULL, NULL},
      {32, pss_check_sysctls, sysctls_1_32, 0, NULL, NULL},
      {37, pss_check_sysctls, sysctls_1_37, 0, NULL, NULL}},
     true,
     false},
    {"windowsHostProcess", B, 0, {{0, pss_check_host_process, NULL, 0, NULL, NULL}}, false, false},
    {"allowPrivilegeEscalation",
     R,
     0,
     {{8, pss_check_allow_priv_esc, NULL, 0, NULL, pss_fix_allow_priv_esc},
      {25, pss_check_allow_priv_esc, NULL, WINDOWS, NULL, pss_fix_allow_priv_esc}},
     false,
     true}, /* false beside an added CAP_SYS_ADMIN is invalid: after the capabilities fixers */
    {"capabilities_restricted",
     R,
     0,
     {{22, pss_check_caps_restricted, caps_restricted_1_22, 0, "capabilities_baseline",
       pss_fix_caps_restricted},
      {25, pss_check_caps_restricted, caps_restricted_1_22, WINDOWS, "capabilities_baseline",
       pss_fix_caps_restricted}},
     false,
     false},
    {"procMount_restricted",
     R,
     0,
     {{35, pss_check_proc_mount, NULL, 0, "procMount", NULL}},
     false,
     false},
    {"restrictedVolumes",
     R,
     0,
     {{0, pss_check_restricted_volumes, NULL, 0, "hostPathVolumes", NULL}},
     true,
     false},
    {"runAsNonRoot",
     R,
     0,
     {{0, pss_check_run_as_non_root, NULL, USER_NS_RELAXED, NULL, pss_fix_run_as_non_root},
      {35, pss_check_run_as_non_root, NULL, USER_NS, NULL, pss_fix_run_as_non_root}},
     false,
     false},
    {"runAsUser",
     R,
     0,
     {{23, pss_check_run_as_user, NULL, USER_NS_RELAXED, NULL, pss_fix_run_as_user},
      {35, pss_check_run_as_user, NULL, USER_NS, NULL, pss_fix_run_as_user}},
     false,
     false},
    {"seccompProfile_restricted",
     R,
     0,
     {{19, pss_check_seccomp_required, NULL, 0, "seccompProfile_baseline",
       pss_fix_seccomp_required},
      {25, pss_check_seccomp_required, NULL, WINDOWS, "seccompProfile_baseline",
       pss_fix_seccomp_required}},
     false,
     false},
    /* socklock's extras. Windows pods are waived: API validation forbids the field there. */
    {"readOnlyRootFilesystem",
     SL_LEVEL_PRIVILEGED,
     SL_PSS_EXTRA_READ_ONLY_ROOT_FS,
     {{0, pss_check_ro_rootfs, NULL, WINDOWS, NULL, pss_fix_ro_rootfs}},
     false,
     false},
};

const size_t pss_nchecks = SL_ARRAY_LEN(pss_checks);

#undef B
#undef R
#undef WINDOWS
#undef USER_NS
#undef USER_NS_RELAXED

/* ---- findings ---- */

void sl_pss_findings_init(struct sl_findings *f)
{
    f->items = NULL;
    f->len = 0;
    f->cap = 0;
}

void sl_pss_findings_cleanup(struct sl_findings *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->len; i++) {
        free(f->items[i].check);
        free(f->items[i].reason);
        free(f->items[i].detail);
        free(f->items[i].exception);
    }
    free(f->items);
    sl_pss_findings_init(f);
}

void sl_pss_findings_add(struct sl_findings *f, const char *check, const char *reason,
                         const char *detail)
{
    if (f->len == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->items = sl_xrealloc(f->items, f->cap * sizeof(*f->items));
    }
    struct sl_violation *v = &f->items[f->len++];
    v->check = sl_xstrdup(check ? check : "");
    v->reason = sl_xstrdup(reason ? reason : "");
    v->detail = sl_xstrdup(detail ? detail : "");
    v->fixable = false;
    v->exception = NULL;
}

void sl_pss_findings_add_waived(struct sl_findings *f, const char *check, const char *reason,
                                const char *detail, const char *exception)
{
    sl_pss_findings_add(f, check, reason, detail);
    f->items[f->len - 1].exception = sl_xstrdup(exception ? exception : "");
}

/* ---- levels and versions ---- */

static const char *const level_names[] = {"privileged", "baseline", "restricted"};

enum sl_status sl_pss_parse_level(const char *s, enum sl_level *out)
{
    for (size_t i = 0; s && i < SL_ARRAY_LEN(level_names); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum sl_level)i;
            return SL_OK;
        }
    }
    return SL_E_INVALID;
}

const char *sl_pss_level_name(enum sl_level level)
{
    if ((unsigned)level < SL_ARRAY_LEN(level_names))
        return level_names[level];
    return "unknown";
}

/* Accepts exactly PSA's forms: "latest" or "v1.<minor>" with no sign, no leading zero and
 * nothing after it. A minor above any we could mean is kept above the newest (it evaluates
 * as the newest), without overflowing. */
enum sl_status sl_pss_parse_version(const char *s, int *out)
{
    if (!s)
        return SL_E_INVALID;
    if (strcmp(s, "latest") == 0) {
        *out = SL_VERSION_LATEST;
        return SL_OK;
    }
    if (strncmp(s, "v1.", 3) != 0)
        return SL_E_INVALID;
    const char *p = s + 3;
    if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] != '\0'))
        return SL_E_INVALID;
    long n = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return SL_E_INVALID;
        if (n < 100000)
            n = n * 10 + (*p - '0');
    }
    *out = n >= SL_VERSION_LATEST ? SL_VERSION_LATEST - 1 : (int)n;
    return SL_OK;
}

void sl_pss_version_name(int version, char *out, size_t size)
{
    if (version == SL_VERSION_LATEST)
        snprintf(out, size, "latest");
    else
        snprintf(out, size, "v1.%d", version);
}

static size_t nrows(const struct pss_check *c)
{
    size_t n = 0;
    while (n < PSS_MAX_VERSIONS && c->versions[n].fn != NULL)
        n++;
    return n;
}

int sl_pss_newest_version(void)
{
    int newest = 0;
    for (size_t i = 0; i < pss_nchecks; i++) {
        const struct pss_check *c = &pss_checks[i];
        size_t n = nrows(c);
        if (n > 0 && c->versions[n - 1].since > newest)
            newest = c->versions[n - 1].since;
    }
    return newest;
}

static const struct pss_check *find_check(const char *id)
{
    for (size_t i = 0; id != NULL && i < pss_nchecks; i++)
        if (strcmp(pss_checks[i].id, id) == 0)
            return &pss_checks[i];
    return NULL;
}

bool sl_pss_check_exists(const char *id)
{
    return find_check(id) != NULL;
}

bool sl_pss_check_fixable(const char *id)
{
    const struct pss_check *c = find_check(id);
    for (size_t v = 0; c != NULL && v < PSS_MAX_VERSIONS && c->versions[v].fn != NULL; v++)
        if (c->versions[v].fix != NULL)
            return true;
    return false;
}

size_t sl_pss_check_count(void)
{
    return pss_nchecks;
}

void sl_pss_check_describe(size_t i, struct sl_pss_check_info *out)
{
    assert(i < pss_nchecks);
    const struct pss_check *c = &pss_checks[i];
    memset(out, 0, sizeof(*out));
    out->id = c->id;
    out->level = c->level;
    out->extra = c->extra;
    out->pod_only = c->pod_only;
    out->nversions = nrows(c);
    for (size_t v = 0; v < out->nversions; v++) {
        out->versions[v] = c->versions[v].since;
        out->fixable = out->fixable || c->versions[v].fix != NULL;
    }
}

/* ---- the table's invariants ---- */

static int level_order(const struct pss_check *c)
{
    return c->extra ? 3 : (int)c->level;
}

static enum sl_status check_rows(const struct pss_check *c, struct sl_error *err)
{
    size_t n = nrows(c);
    if (n == 0) {
        sl_error_set(err, "check %s has no versioned row", c->id);
        return SL_E_INTERNAL;
    }
    for (size_t v = n; v < PSS_MAX_VERSIONS; v++) {
        if (c->versions[v].since != 0 || c->versions[v].allowed != NULL ||
            c->versions[v].waive != 0 || c->versions[v].overrides != NULL ||
            c->versions[v].fix != NULL) {
            sl_error_set(err, "check %s has a row without an implementation", c->id);
            return SL_E_INTERNAL;
        }
    }
    for (size_t v = 0; v < n; v++) {
        const struct pss_versioned *row = &c->versions[v];
        if (row->since < 0 || (v > 0 && row->since <= c->versions[v - 1].since)) {
            sl_error_set(err, "check %s: versioned rows must start at ascending versions", c->id);
            return SL_E_INTERNAL;
        }
        if (row->overrides == NULL)
            continue;
        const struct pss_check *o = find_check(row->overrides);
        if (c->level != SL_LEVEL_RESTRICTED || c->extra || o == NULL ||
            o->level != SL_LEVEL_BASELINE || o->extra) {
            sl_error_set(err,
                         "check %s: only a restricted check may override, and only an "
                         "existing baseline check (not \"%s\")",
                         c->id, row->overrides);
            return SL_E_INTERNAL;
        }
    }
    return SL_OK;
}

enum sl_status sl_pss_table_check(struct sl_error *err)
{
    unsigned extras = 0;
    for (size_t i = 0; i < pss_nchecks; i++) {
        const struct pss_check *c = &pss_checks[i];
        enum sl_status rc = check_rows(c, err);
        if (rc != SL_OK)
            return rc;
        if (c->extra != 0 && (c->level != SL_LEVEL_PRIVILEGED || (c->extra & (c->extra - 1)) != 0 ||
                              (extras & c->extra) != 0)) {
            sl_error_set(err, "extra check %s must carry level privileged and a bit of its own",
                         c->id);
            return SL_E_INTERNAL;
        }
        if (c->extra == 0 && c->level != SL_LEVEL_BASELINE && c->level != SL_LEVEL_RESTRICTED) {
            sl_error_set(err, "check %s: a Pod Security Standards check is baseline or restricted",
                         c->id);
            return SL_E_INTERNAL;
        }
        extras |= c->extra;
        if (i == 0)
            continue;
        /* PSA's order: baseline ids sorted, then restricted ids sorted, then the extras. */
        const struct pss_check *prev = &pss_checks[i - 1];
        int lp = level_order(prev), lc = level_order(c);
        if (lp > lc || (lp == lc && strcmp(prev->id, c->id) >= 0)) {
            sl_error_set(err,
                         "check %s is out of order after %s (baseline ids sorted, then "
                         "restricted ids sorted, then extras; ids unique)",
                         c->id, prev->id);
            return SL_E_INTERNAL;
        }
    }
    return SL_OK;
}

/* ---- evaluation ---- */

/* The row in force at `version`, or NULL when the check does not exist yet. */
static const struct pss_versioned *row_at(const struct pss_check *c, int version)
{
    const struct pss_versioned *row = NULL;
    for (size_t v = 0; v < PSS_MAX_VERSIONS && c->versions[v].fn != NULL; v++)
        if (c->versions[v].since <= version)
            row = &c->versions[v];
    return row;
}

/* True when a restricted check in force at `version` replaces check c. */
static bool overridden(const struct pss_check *c, int version, enum sl_level level)
{
    /* Only restricted checks override, and only baseline ones (sl_pss_table_check). */
    if (level != SL_LEVEL_RESTRICTED || c->level != SL_LEVEL_BASELINE || c->extra)
        return false;
    for (size_t i = 0; i < pss_nchecks; i++) {
        if (pss_checks[i].extra || pss_checks[i].level != SL_LEVEL_RESTRICTED)
            continue;
        const struct pss_versioned *row = row_at(&pss_checks[i], version);
        if (row != NULL && row->overrides != NULL && strcmp(row->overrides, c->id) == 0)
            return true;
    }
    return false;
}

static bool waived(const struct pss_versioned *row, const struct pss_pod *pod,
                   const struct sl_pss_opts *opts)
{
    if ((row->waive & PSS_WAIVE_WINDOWS) && pod->windows)
        return true;
    if ((row->waive & PSS_WAIVE_USER_NS) && pod->host_users == PSS_FALSE)
        return true;
    return (row->waive & PSS_WAIVE_USER_NS_RELAXED) && pod->host_users == PSS_FALSE &&
           opts->relax_user_ns;
}

/* Checks opts and clamps the version: "latest" and anything newer evaluate as the newest. */
static enum sl_status check_opts(const struct sl_pss_opts *opts, int *version, struct sl_error *err)
{
    if (opts->version < 0 || (unsigned)opts->level > SL_LEVEL_RESTRICTED) {
        sl_error_set(err, "invalid policy level or version");
        return SL_E_USAGE;
    }
    if (opts->only_check && !sl_pss_check_exists(opts->only_check)) {
        sl_error_set(err, "unknown check \"%s\"", opts->only_check);
        return SL_E_USAGE;
    }
    int newest = sl_pss_newest_version();
    *version = opts->version > newest ? newest : opts->version;
    return SL_OK;
}

/* The row of check c that applies to pod under opts, or NULL: the check is off (level,
 * extras, only_check), does not exist yet, is overridden, or waives this pod. */
static const struct pss_versioned *row_in_force(const struct pss_check *c,
                                                const struct pss_pod *pod,
                                                const struct sl_pss_opts *opts, int version)
{
    if (opts->only_check && strcmp(opts->only_check, c->id) != 0)
        return NULL;
    if (c->extra ? (opts->extras & c->extra) == 0 : c->level > opts->level)
        return NULL;
    const struct pss_versioned *row = row_at(c, version);
    if (row == NULL)
        return NULL;
    /* A caller asking for one check by name gets that check, overridden or not. */
    if (!opts->only_check && overridden(c, version, opts->level))
        return NULL;
    return waived(row, pod, opts) ? NULL : row;
}

/* ---- policy exceptions ---- */

/* One waiver that applies to the check at hand. */
struct wref {
    const struct sl_pss_waiver *w;
};

/* The waivers of opts for check id: into w (room for opts->nwaivers); their number. *whole
 * says one of them covers the whole pod. */
static size_t waivers_for(const struct sl_pss_opts *opts, const char *id, struct wref *w,
                          const struct sl_pss_waiver **whole)
{
    size_t n = 0;
    *whole = NULL;
    for (size_t i = 0; i < opts->nwaivers; i++) {
        const struct sl_pss_waiver *x = &opts->waivers[i];
        if (strcmp(x->check, "*") != 0 && strcmp(x->check, id) != 0)
            continue;
        if (x->list == NULL && *whole == NULL)
            *whole = x;
        w[n++].w = x;
    }
    return n;
}

static bool waiver_covers(const struct sl_pss_waiver *w, const struct pss_container *c)
{
    return w->list != NULL && strcmp(w->list, pss_list_names[c->list]) == 0 && w->index == c->index;
}

/* The capability adds of cap_add that caps does not waive: a new array. */
static json_t *caps_left(const json_t *cap_add, const struct sl_strlist *caps)
{
    json_t *out = json_array();
    size_t i;
    const json_t *v;
    json_array_foreach(cap_add, i, v)
    {
        char *canon = pss_canonical_cap(json_string_value(v));
        if (!sl_strlist_has(caps, canon))
            json_array_append(out, sl_json_mut(v));
        free(canon);
    }
    return out;
}

/* A view of a pod: the same pod-level fields, its own list of containers. The capability
 * arrays it makes are its own too (released by view_cleanup). */
struct view {
    struct pss_pod pod;
    json_t **owned;
    size_t nowned;
};

static void view_init(struct view *v, const struct pss_pod *pod)
{
    v->pod = *pod;
    v->pod.containers = sl_xcalloc(pod->ncontainers + 1, sizeof(*v->pod.containers));
    v->pod.ncontainers = 0;
    v->owned = sl_xcalloc(pod->ncontainers + 1, sizeof(json_t *));
    v->nowned = 0;
}

/* Adds container c to the view, with the capability adds `caps` waives taken out (for a
 * check) or kept aside for its fixer (for_fix); caps NULL: as it is. */
static void view_add(struct view *v, const struct pss_container *c, const struct sl_strlist *caps,
                     bool for_fix)
{
    struct pss_container *to = &v->pod.containers[v->pod.ncontainers++];
    *to = *c;
    if (caps == NULL || c->cap_add == NULL)
        return;
    if (for_fix) {
        to->waived_caps = caps;
        return;
    }
    to->cap_add = v->owned[v->nowned++] = caps_left(c->cap_add, caps);
}

static void view_cleanup(struct view *v)
{
    for (size_t i = 0; i < v->nowned; i++)
        json_decref(v->owned[i]);
    free(v->owned);
    free(v->pod.containers);
}

/* The pod as check or fixer sees it under container waivers w[0..n): the containers they
 * waive whole left out, the capability adds they waive taken out (or, for a fixer, kept). */
static void view_waived(struct view *v, const struct pss_pod *pod, struct wref *w, size_t n,
                        bool for_fix)
{
    view_init(v, pod);
    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *c = &pod->containers[i];
        const struct sl_pss_waiver *whole = NULL, *caps = NULL;
        for (size_t k = 0; k < n; k++) {
            if (!waiver_covers(w[k].w, c))
                continue;
            if (w[k].w->capabilities == NULL)
                whole = w[k].w;
            else if (caps == NULL)
                caps = w[k].w;
        }
        if (whole == NULL)
            view_add(v, c, caps != NULL ? caps->capabilities : NULL, for_fix);
    }
}

/* The check's violation on pod, as "reason: detail" (a new string), or NULL when it passes. */
static char *failure(const struct pss_check *c, const struct pss_versioned *row,
                     const struct pss_pod *pod)
{
    struct sl_findings f;
    sl_pss_findings_init(&f);
    row->fn(pod, row->allowed, c->id, &f);
    char *text = f.len > 0 ? sl_xasprintf("%s: %s", f.items[0].reason, f.items[0].detail) : NULL;
    sl_pss_findings_cleanup(&f);
    return text;
}

/* Whether waiver w, for container ct, changes the check: ct fails it (with what its pod
 * sets), and without ct, or without ct's waived adds, the pod passes or fails otherwise. */
static bool contributes(const struct pss_check *c, const struct pss_versioned *row,
                        const struct pss_pod *pod, const struct pss_container *ct,
                        const struct sl_pss_waiver *w)
{
    struct view with, without;
    view_init(&with, pod);
    view_add(&with, ct, NULL, false);
    view_init(&without, pod);
    if (w->capabilities != NULL)
        view_add(&without, ct, w->capabilities, false);
    char *a = failure(c, row, &with.pod), *b = failure(c, row, &without.pod);
    bool yes = a != NULL && (b == NULL || strcmp(a, b) != 0);
    free(a);
    free(b);
    view_cleanup(&with);
    view_cleanup(&without);
    return yes;
}

/* Records what waivers w[0..n) waived of check c's violation `full`. */
static void record_waived(const struct pss_check *c, const struct pss_versioned *row,
                          const struct pss_pod *pod, struct wref *w, size_t n,
                          const struct sl_violation *full, struct sl_findings *waived)
{
    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *ct = &pod->containers[i];
        for (size_t k = 0; k < n; k++) {
            if (!waiver_covers(w[k].w, ct) || !contributes(c, row, pod, ct, w[k].w))
                continue;
            struct sl_buf d;
            sl_buf_init(&d, 0);
            (void)sl_buf_printf(&d, "container \"%s\"", ct->name);
            if (w[k].w->capabilities != NULL) {
                /* The adds it has that the exception waives. */
                struct sl_strlist added = {0};
                size_t j;
                const json_t *cap;
                json_array_foreach(ct->cap_add, j, cap)
                {
                    char *canon = pss_canonical_cap(json_string_value(cap));
                    if (sl_strlist_has(w[k].w->capabilities, canon))
                        sl_strlist_add(&added, json_string_value(cap));
                    free(canon);
                }
                (void)sl_buf_puts(&d, " adding ");
                pss_put_join_quote(&d, &added);
                sl_strlist_cleanup(&added);
            }
            sl_pss_findings_add_waived(waived, c->id, full->reason, d.data, w[k].w->by);
            sl_buf_cleanup(&d);
            break; /* one record per container */
        }
    }
}

/* Runs check c (row in force) on pod into out, with the policy's waivers for it. */
static void run_check(const struct pss_check *c, const struct pss_versioned *row,
                      const struct pss_pod *pod, const struct sl_pss_opts *opts,
                      struct sl_findings *out)
{
    if (opts->nwaivers == 0) {
        row->fn(pod, row->allowed, c->id, out);
        return;
    }
    struct wref *w = sl_xcalloc(opts->nwaivers, sizeof(struct wref));
    const struct sl_pss_waiver *whole;
    size_t n = waivers_for(opts, c->id, w, &whole);
    struct sl_findings full, part;
    sl_pss_findings_init(&full);
    sl_pss_findings_init(&part);
    row->fn(pod, row->allowed, c->id, &full);
    if (full.len == 0 || n == 0) {
        for (size_t i = 0; i < full.len; i++)
            sl_pss_findings_add(out, full.items[i].check, full.items[i].reason,
                                full.items[i].detail);
    } else if (whole != NULL) {
        if (opts->waived != NULL)
            sl_pss_findings_add_waived(opts->waived, c->id, full.items[0].reason,
                                       full.items[0].detail, whole->by);
    } else {
        struct view v;
        view_waived(&v, pod, w, n, false);
        row->fn(&v.pod, row->allowed, c->id, &part);
        view_cleanup(&v);
        for (size_t i = 0; i < part.len; i++)
            sl_pss_findings_add(out, part.items[i].check, part.items[i].reason,
                                part.items[i].detail);
        if (opts->waived != NULL)
            record_waived(c, row, pod, w, n, &full.items[0], opts->waived);
    }
    sl_pss_findings_cleanup(&full);
    sl_pss_findings_cleanup(&part);
    free(w);
}

enum sl_status sl_pss_eval(const json_t *meta, const json_t *spec, const struct sl_pss_opts *opts,
                           struct sl_findings *out, struct sl_error *err)
{
    struct pss_pod pod;
    int version;
    enum sl_status rc = check_opts(opts, &version, err);
    if (rc != SL_OK)
        return rc;
    rc = pss_pod_decode(&pod, meta, spec, err);
    for (size_t i = 0; rc == SL_OK && i < pss_nchecks; i++) {
        const struct pss_versioned *row = row_in_force(&pss_checks[i], &pod, opts, version);
        if (row != NULL)
            run_check(&pss_checks[i], row, &pod, opts, out);
    }
    pss_pod_cleanup(&pod);
    return rc;
}

/* A copy of the pod spec that the fixers may write into: spec, its container lists and
 * containers and its volumes are shallow copies (their members shared with spec), the
 * securityContexts deep copies, volumeMounts shallow copies. Everything a fixer writes is the
 * copy's own; env, probes and the rest stay shared, so fixing and comparing a large pod
 * costs what its security fields cost. Run on a spec that decoded, so the lists are arrays. */
static json_t *writable_copy(const json_t *spec)
{
    json_t *out = json_copy(sl_json_mut(spec));
    const json_t *sc = json_object_get(spec, "securityContext");
    if (json_is_object(sc))
        json_object_set_new(out, "securityContext", json_deep_copy(sc));
    const json_t *vols = json_object_get(spec, "volumes");
    if (json_is_array(vols))
        json_object_set_new(out, "volumes", json_copy(sl_json_mut(vols)));
    for (size_t l = 0; l < 3; l++) {
        const json_t *list = json_object_get(spec, pss_list_names[l]);
        if (!json_is_array(list))
            continue;
        json_t *copy = json_array();
        size_t i;
        const json_t *c;
        json_array_foreach(list, i, c)
        {
            json_t *cc = json_copy(sl_json_mut(c));
            const json_t *csc = json_object_get(c, "securityContext");
            if (json_is_object(csc))
                json_object_set_new(cc, "securityContext", json_deep_copy(csc));
            const json_t *mounts = json_object_get(c, "volumeMounts");
            if (json_is_array(mounts))
                json_object_set_new(cc, "volumeMounts", json_copy(sl_json_mut(mounts)));
            json_array_append_new(copy, cc);
        }
        json_object_set_new(out, pss_list_names[l], copy);
    }
    return out;
}

enum sl_status sl_pss_fix(const json_t *meta, const json_t *spec, const struct sl_pss_opts *opts,
                          const struct sl_pss_fix_opts *fix, json_t **out, struct sl_error *err)
{
    struct pss_pod pod;
    int version;
    *out = NULL;
    enum sl_status rc = check_opts(opts, &version, err);
    if (rc != SL_OK)
        return rc;
    rc = pss_pod_decode(&pod, meta, spec, err);
    if (rc == SL_OK)
        *out = writable_copy(spec);
    /* Two rounds: the fixers that read what others wrote (fix_late) run in the second. */
    for (size_t k = 0; rc == SL_OK && k < 2 * pss_nchecks; k++) {
        const struct pss_check *c = &pss_checks[k % pss_nchecks];
        const struct pss_versioned *row = row_in_force(c, &pod, opts, version);
        if (row == NULL || row->fix == NULL || c->fix_late != (k >= pss_nchecks))
            continue;
        struct pss_fix fx = {
            .pod = &pod,
            .spec = *out,
            .opts = fix,
            .override = fix->override != NULL && sl_strlist_has(fix->override, c->id),
        };
        if (opts->nwaivers == 0) {
            row->fix(&fx, row->allowed);
            continue;
        }
        /* What a policy exception waives is not fixed: a waived pod stays as it is, a
         * waived container too (its waived capability adds are kept). */
        struct wref *w = sl_xcalloc(opts->nwaivers + 1, sizeof(struct wref));
        const struct sl_pss_waiver *whole;
        size_t n = waivers_for(opts, c->id, w, &whole);
        struct view v;
        view_waived(&v, &pod, w, n, true);
        fx.pod = &v.pod;
        if (whole == NULL)
            row->fix(&fx, row->allowed);
        view_cleanup(&v);
        free(w);
    }
    pss_pod_cleanup(&pod);
    return rc;
}
