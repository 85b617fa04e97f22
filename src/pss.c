/* pss: the Pod Security Standards as one table, and the evaluator that runs it.
 *
 * This follows Kubernetes' Pod Security Admission (k8s.io/pod-security-admission/policy,
 * registry.go). Every check has an id, a level, the first policy version it exists at, and
 * a function (pss_checks.c) that knows the version gates inside the check. A restricted
 * check may override a baseline one: at the restricted level the overridden check does not
 * run while the overriding one does (capabilities_restricted replaces capabilities_baseline,
 * and so on). Checks run in PSA's order, baseline ids sorted by byte value, then restricted
 * ids sorted, so violations come out in the order PSA reports them; socklock's extras
 * follow. A version newer than the newest one any check knows (and "latest") evaluates as
 * that newest version, as PSA's EvaluatePod clamps it.
 *
 * Evaluation first decodes the pod (pss_model.c), so a field of the wrong type is an error
 * whatever the level, then runs the enabled checks over the decoded pod. */
#include "socklock/pss.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pss_int.h"
#include "socklock/alloc.h"

/* The check table: id, level, first version, the baseline check it overrides (from its
 * first version on), the summary for documentation, whether it is a socklock extra, and
 * the function. Extras carry SL_LEVEL_PRIVILEGED and run only when their option is on. */
#define B SL_LEVEL_BASELINE
#define R SL_LEVEL_RESTRICTED
#define P SL_LEVEL_PRIVILEGED
#define PSS_CHECKS(X)                                                                             \
    X("appArmorProfile", B, 0, NULL, "v1.0+ (annotations and fields at every version)", false,    \
      pss_check_apparmor)                                                                         \
    X("capabilities_baseline", B, 0, NULL, "v1.0+", false, pss_check_caps_baseline)               \
    X("hostNamespaces", B, 0, NULL, "v1.0+", false, pss_check_host_namespaces)                    \
    X("hostPathVolumes", B, 0, NULL, "v1.0+", false, pss_check_host_path)                         \
    X("hostPorts", B, 0, NULL, "v1.0+", false, pss_check_host_ports)                              \
    X("hostProbesAndHostLifecycle", B, 34, NULL, "v1.34+", false, pss_check_host_probes)          \
    X("privileged", B, 0, NULL, "v1.0+", false, pss_check_privileged)                             \
    X("procMount", B, 0, NULL, "v1.0+; v1.35 allows any value when hostUsers: false", false,      \
      pss_check_proc_mount)                                                                       \
    X("seLinuxOptions", B, 0, NULL, "v1.0+; v1.31 adds container_engine_t", false,                \
      pss_check_selinux)                                                                          \
    X("seccompProfile_baseline", B, 0, NULL, "v1.0-v1.18 annotations; v1.19+ fields", false,      \
      pss_check_seccomp_baseline)                                                                 \
    X("sysctls", B, 0, NULL, "v1.0+; safe set grows at v1.27, v1.29, v1.32, v1.37", false,        \
      pss_check_sysctls)                                                                          \
    X("windowsHostProcess", B, 0, NULL, "v1.0+", false, pss_check_host_process)                   \
    X("allowPrivilegeEscalation", R, 8, NULL, "v1.8+; v1.25 Windows waiver", false,               \
      pss_check_allow_priv_esc)                                                                   \
    X("capabilities_restricted", R, 22, "capabilities_baseline", "v1.22+; v1.25 Windows waiver",  \
      false, pss_check_caps_restricted)                                                           \
    X("procMount_restricted", R, 35, "procMount", "v1.35+", false,                                \
      pss_check_proc_mount_restricted)                                                            \
    X("restrictedVolumes", R, 0, "hostPathVolumes", "v1.0+", false, pss_check_restricted_volumes) \
    X("runAsNonRoot", R, 0, NULL, "v1.0+; v1.35 hostUsers: false waiver", false,                  \
      pss_check_run_as_non_root)                                                                  \
    X("runAsUser", R, 23, NULL, "v1.23+; v1.35 hostUsers: false waiver", false,                   \
      pss_check_run_as_user)                                                                      \
    X("seccompProfile_restricted", R, 19, "seccompProfile_baseline",                              \
      "v1.19+; v1.25 Windows waiver", false, pss_check_seccomp_restricted)                        \
    X("readOnlyRootFilesystem", P, 0, NULL, "socklock extra, every version", true,                \
      pss_check_ro_rootfs)

struct check_impl {
    int since;             /* first minor version the check exists at */
    const char *overrides; /* baseline check id it replaces at restricted, or NULL */
    pss_check_fn *fn;
};

#define INFO(id, level, since, overrides, doc, extra, fn) {id, level, doc, extra},
static const struct sl_pss_check_info check_info[] = {PSS_CHECKS(INFO)};
#undef INFO

#define IMPL(id, level, since, overrides, doc, extra, fn) {since, overrides, fn},
static const struct check_impl check_impl[] = {PSS_CHECKS(IMPL)};
#undef IMPL

#undef B
#undef R
#undef P

_Static_assert(SL_ARRAY_LEN(check_info) == SL_ARRAY_LEN(check_impl), "one table");

/* ---- findings ---- */

void sl_findings_init(struct sl_findings *f)
{
    f->items = NULL;
    f->len = 0;
    f->cap = 0;
}

void sl_findings_cleanup(struct sl_findings *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->len; i++) {
        free(f->items[i].check);
        free(f->items[i].reason);
        free(f->items[i].detail);
    }
    free(f->items);
    sl_findings_init(f);
}

void sl_findings_add(struct sl_findings *f, const char *check, const char *reason,
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

int sl_pss_newest_version(void)
{
    return PSS_NEWEST_VERSION;
}

const struct sl_pss_check_info *sl_pss_checks(size_t *n)
{
    *n = SL_ARRAY_LEN(check_info);
    return check_info;
}

bool sl_pss_check_exists(const char *id)
{
    for (size_t i = 0; id && i < SL_ARRAY_LEN(check_info); i++)
        if (strcmp(check_info[i].id, id) == 0)
            return true;
    return false;
}

/* ---- evaluation ---- */

static bool check_enabled(size_t i, int version, enum sl_level level)
{
    return !check_info[i].extra && check_info[i].level <= level && version >= check_impl[i].since;
}

/* True when a restricted check enabled at `version` replaces check i. */
static bool check_overridden(size_t i, int version, enum sl_level level)
{
    if (level != SL_LEVEL_RESTRICTED)
        return false;
    for (size_t j = 0; j < SL_ARRAY_LEN(check_impl); j++) {
        if (check_impl[j].overrides && strcmp(check_impl[j].overrides, check_info[i].id) == 0 &&
            check_enabled(j, version, level))
            return true;
    }
    return false;
}

enum sl_status sl_pss_eval(const json_t *meta, const json_t *spec, const struct sl_pss_opts *opts,
                           struct sl_findings *out, struct sl_error *err)
{
    struct pss_pod pod;
    enum sl_status rc;

    if (opts->version < 0 || (unsigned)opts->level > SL_LEVEL_RESTRICTED) {
        sl_error_set(err, "invalid policy level or version");
        return SL_E_USAGE;
    }
    if (opts->only_check && !sl_pss_check_exists(opts->only_check)) {
        sl_error_set(err, "unknown check \"%s\"", opts->only_check);
        return SL_E_USAGE;
    }
    rc = pss_pod_decode(&pod, meta, spec, err);
    if (rc != SL_OK)
        goto out;

    int version = opts->version > PSS_NEWEST_VERSION ? PSS_NEWEST_VERSION : opts->version;
    for (size_t i = 0; i < SL_ARRAY_LEN(check_info); i++) {
        const char *id = check_info[i].id;
        if (opts->only_check && strcmp(opts->only_check, id) != 0)
            continue;
        if (check_info[i].extra) {
            /* Extras are socklock policy, independent of the PSS level. */
            if (strcmp(id, "readOnlyRootFilesystem") == 0 && opts->read_only_root_fs)
                check_impl[i].fn(&pod, version, opts, id, out);
            continue;
        }
        if (!check_enabled(i, version, opts->level))
            continue;
        /* A caller asking for one check by name gets that check, overridden or not. */
        if (!opts->only_check && check_overridden(i, version, opts->level))
            continue;
        check_impl[i].fn(&pod, version, opts, id, out);
    }
out:
    pss_pod_cleanup(&pod);
    return rc;
}
