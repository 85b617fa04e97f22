/* pss_restricted: the restricted Pod Security Standards checks, and socklock's extra checks.
 * Same conventions as pss_checks.c: each function follows PSA's check of the same id rule
 * for rule and reproduces its ForbiddenReason and ForbiddenDetail texts. */
#include "pss_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socklock/alloc.h"

/* KEP-127: pods in a user namespace (hostUsers: false) may run as uid 0 inside it. PSA
 * waives runAsNonRoot and runAsUser for them from policy v1.35; before that only when the
 * administrator opted in (PSA's former RelaxPolicyForUserNamespacePods, our relax_user_ns). */
static bool user_ns_waiver(const struct pss_pod *pod, int version, const struct sl_pss_opts *opts)
{
    return pod->host_users == PSS_FALSE && (version >= 35 || opts->relax_user_ns);
}

/* ---- restricted ---- */

void pss_check_allow_priv_esc(const struct pss_pod *pod, int version,
                              const struct sl_pss_opts *opts, const char *id,
                              struct sl_findings *out)
{
    struct pss_strlist names = {0};
    SL_UNUSED(opts);
    /* v1.25: Windows pods cannot set the field (API validation), so they are waived. */
    if (version >= 25 && pod->windows)
        return;
    for (size_t i = 0; i < pod->ncontainers; i++)
        if (pod->containers[i].allow_priv_esc != PSS_FALSE)
            pss_list_add(&names, pod->containers[i].name);
    if (names.n) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        pss_put_setters(&d, false, &names, NULL);
        (void)sl_buf_puts(&d, " must set securityContext.allowPrivilegeEscalation=false");
        pss_emit(out, id, "allowPrivilegeEscalation != false", &d);
    }
    pss_list_free(&names);
}

void pss_check_caps_restricted(const struct pss_pod *pod, int version,
                               const struct sl_pss_opts *opts, const char *id,
                               struct sl_findings *out)
{
    struct pss_strlist nodrop = {0}, adding = {0}, caps = {0};
    SL_UNUSED(opts);
    /* v1.25: Windows pods cannot set capabilities (API validation), so they are waived. */
    if (version >= 25 && pod->windows)
        return;
    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *c = &pod->containers[i];
        if (!c->caps_set) {
            pss_list_add(&nodrop, c->name);
            continue;
        }
        bool dropped_all = false, bad_add = false;
        size_t j;
        const json_t *v;
        /* Exact and case-sensitive, as PSA compares: "all" does not drop ALL. */
        json_array_foreach(c->cap_drop, j, v)
        {
            if (strcmp(json_string_value(v), "ALL") == 0)
                dropped_all = true;
        }
        if (!dropped_all)
            pss_list_add(&nodrop, c->name);
        json_array_foreach(c->cap_add, j, v)
        {
            if (strcmp(json_string_value(v), "NET_BIND_SERVICE") != 0) {
                bad_add = true;
                pss_list_add(&caps, json_string_value(v));
            }
        }
        if (bad_add)
            pss_list_add(&adding, c->name);
    }
    if (nodrop.n || adding.n) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        if (nodrop.n) {
            pss_put_setters(&d, false, &nodrop, NULL);
            (void)sl_buf_puts(&d, " must set securityContext.capabilities.drop=[\"ALL\"]");
        }
        if (adding.n) {
            pss_list_sort_unique(&caps);
            if (nodrop.n)
                (void)sl_buf_puts(&d, "; ");
            pss_put_setters(&d, false, &adding, NULL);
            (void)sl_buf_puts(&d, " must not include ");
            pss_put_join_quote(&d, &caps);
            (void)sl_buf_puts(&d, " in securityContext.capabilities.add");
        }
        pss_emit(out, id, "unrestricted capabilities", &d);
    }
    pss_list_free(&nodrop);
    pss_list_free(&adding);
    pss_list_free(&caps);
}

void pss_check_proc_mount_restricted(const struct pss_pod *pod, int version,
                                     const struct sl_pss_opts *opts, const char *id,
                                     struct sl_findings *out)
{
    SL_UNUSED(version);
    SL_UNUSED(opts);
    pss_proc_mount_strict(pod, id, out);
}

void pss_check_restricted_volumes(const struct pss_pod *pod, int version,
                                  const struct sl_pss_opts *opts, const char *id,
                                  struct sl_findings *out)
{
    struct pss_strlist names = {0}, types = {0};
    SL_UNUSED(version);
    SL_UNUSED(opts);
    for (size_t i = 0; i < pod->nvolumes; i++) {
        if (pod->volumes[i].bad_type) {
            pss_list_add(&names, pod->volumes[i].name);
            pss_list_add(&types, pod->volumes[i].bad_type);
        }
    }
    if (names.n) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        pss_list_sort_unique(&types);
        (void)sl_buf_printf(&d, "%s ", pss_plural("volume", "volumes", names.n));
        pss_put_join_quote(&d, &names);
        (void)sl_buf_printf(
            &d, " %s %s ", pss_plural("uses", "use", names.n),
            pss_plural("restricted volume type", "restricted volume types", types.n));
        pss_put_join_quote(&d, &types);
        pss_emit(out, id, "restricted volume types", &d);
    }
    pss_list_free(&names);
    pss_list_free(&types);
}

void pss_check_run_as_non_root(const struct pss_pod *pod, int version,
                               const struct sl_pss_opts *opts, const char *id,
                               struct sl_findings *out)
{
    struct pss_strlist bad = {0}, missing = {0};
    if (user_ns_waiver(pod, version, opts))
        return;
    bool pod_bad = pod->sc.run_as_non_root == PSS_FALSE;
    bool pod_ok = pod->sc.run_as_non_root == PSS_TRUE;
    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *c = &pod->containers[i];
        if (c->sc.run_as_non_root == PSS_FALSE)
            pss_list_add(&bad, c->name);
        else if (c->sc.run_as_non_root == PSS_UNSET && !pod_ok)
            pss_list_add(&missing, c->name);
    }
    struct sl_buf d;
    sl_buf_init(&d, 0);
    if (pod_bad || bad.n) {
        pss_put_setters(&d, pod_bad, &bad, NULL);
        (void)sl_buf_puts(&d, " must not set securityContext.runAsNonRoot=false");
        pss_emit(out, id, "runAsNonRoot != true", &d);
    } else if (missing.n) {
        (void)sl_buf_puts(&d, "pod or ");
        pss_put_setters(&d, false, &missing, NULL);
        (void)sl_buf_puts(&d, " must set securityContext.runAsNonRoot=true");
        pss_emit(out, id, "runAsNonRoot != true", &d);
    } else {
        sl_buf_cleanup(&d);
    }
    pss_list_free(&bad);
    pss_list_free(&missing);
}

void pss_check_run_as_user(const struct pss_pod *pod, int version, const struct sl_pss_opts *opts,
                           const char *id, struct sl_findings *out)
{
    struct pss_strlist bad = {0};
    if (user_ns_waiver(pod, version, opts))
        return;
    bool pod_bad = pod->sc.run_as_user_set && pod->sc.run_as_user == 0;
    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *c = &pod->containers[i];
        if (c->sc.run_as_user_set && c->sc.run_as_user == 0)
            pss_list_add(&bad, c->name);
    }
    if (pod_bad || bad.n) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        pss_put_setters(&d, pod_bad, &bad, NULL);
        (void)sl_buf_puts(&d, " must not set runAsUser=0");
        pss_emit(out, id, "runAsUser=0", &d);
    }
    pss_list_free(&bad);
}

void pss_check_seccomp_restricted(const struct pss_pod *pod, int version,
                                  const struct sl_pss_opts *opts, const char *id,
                                  struct sl_findings *out)
{
    SL_UNUSED(opts);
    /* v1.25: Windows pods cannot set seccompProfile (API validation), so they are waived. */
    if (version >= 25 && pod->windows)
        return;
    pss_seccomp_fields(pod, true, id, out);
}

/* ---- socklock's extras ---- */

void pss_check_ro_rootfs(const struct pss_pod *pod, int version, const struct sl_pss_opts *opts,
                         const char *id, struct sl_findings *out)
{
    struct pss_strlist names = {0};
    SL_UNUSED(version);
    SL_UNUSED(opts);
    /* API validation forbids readOnlyRootFilesystem on Windows pods, so, like PSA's Linux-only
     * restricted checks, this one waives them. */
    if (pod->windows)
        return;
    for (size_t i = 0; i < pod->ncontainers; i++)
        if (pod->containers[i].ro_rootfs != PSS_TRUE)
            pss_list_add(&names, pod->containers[i].name);
    if (names.n) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        pss_put_setters(&d, false, &names, NULL);
        (void)sl_buf_puts(&d, " must set securityContext.readOnlyRootFilesystem=true");
        pss_emit(out, id, "readOnlyRootFilesystem != true", &d);
    }
    pss_list_free(&names);
}
