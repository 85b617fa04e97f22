/* checks_restricted: the implementations of the restricted Pod Security Standards checks,
 * and of socklock's extras. Same conventions as checks_baseline.c: each function follows
 * PSA's check of the same id rule for rule and reproduces its ForbiddenReason and
 * ForbiddenDetail texts; the Windows and user-namespace waivers that later versions added
 * are columns of the table in pss.c, applied before an implementation runs. */
#include "pss_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socklock/alloc.h"

/* ---- restricted ---- */

void pss_check_allow_priv_esc(const struct pss_pod *pod, const char *const *allowed, const char *id,
                              struct sl_findings *out)
{
    struct sl_strlist names = {0};
    SL_UNUSED(allowed);
    for (size_t i = 0; i < pod->ncontainers; i++)
        if (pod->containers[i].allow_priv_esc != PSS_FALSE)
            sl_strlist_add(&names, pod->containers[i].name);
    if (names.len) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        pss_put_setters(&d, false, &names, NULL);
        (void)sl_buf_puts(&d, " must set securityContext.allowPrivilegeEscalation=false");
        pss_emit(out, id, "allowPrivilegeEscalation != false", &d);
    }
    sl_strlist_cleanup(&names);
}

/* allowed: the capabilities a container may add. */
void pss_check_caps_restricted(const struct pss_pod *pod, const char *const *allowed,
                               const char *id, struct sl_findings *out)
{
    struct sl_strlist nodrop = {0}, adding = {0}, caps = {0};
    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *c = &pod->containers[i];
        if (!c->caps_set) {
            sl_strlist_add(&nodrop, c->name);
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
            sl_strlist_add(&nodrop, c->name);
        json_array_foreach(c->cap_add, j, v)
        {
            if (!pss_in_set(allowed, json_string_value(v))) {
                bad_add = true;
                sl_strlist_add(&caps, json_string_value(v));
            }
        }
        if (bad_add)
            sl_strlist_add(&adding, c->name);
    }
    if (nodrop.len || adding.len) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        if (nodrop.len) {
            pss_put_setters(&d, false, &nodrop, NULL);
            (void)sl_buf_puts(&d, " must set securityContext.capabilities.drop=[\"ALL\"]");
        }
        if (adding.len) {
            sl_strlist_sort_unique(&caps);
            if (nodrop.len)
                (void)sl_buf_puts(&d, "; ");
            pss_put_setters(&d, false, &adding, NULL);
            (void)sl_buf_puts(&d, " must not include ");
            pss_put_join_quote(&d, &caps);
            (void)sl_buf_puts(&d, " in securityContext.capabilities.add");
        }
        pss_emit(out, id, "unrestricted capabilities", &d);
    }
    sl_strlist_cleanup(&nodrop);
    sl_strlist_cleanup(&adding);
    sl_strlist_cleanup(&caps);
}

void pss_check_restricted_volumes(const struct pss_pod *pod, const char *const *allowed,
                                  const char *id, struct sl_findings *out)
{
    struct sl_strlist names = {0}, types = {0};
    SL_UNUSED(allowed);
    for (size_t i = 0; i < pod->nvolumes; i++) {
        if (pod->volumes[i].bad_type) {
            sl_strlist_add(&names, pod->volumes[i].name);
            sl_strlist_add(&types, pod->volumes[i].bad_type);
        }
    }
    if (names.len) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        sl_strlist_sort_unique(&types);
        (void)sl_buf_printf(&d, "%s ", pss_plural("volume", "volumes", names.len));
        pss_put_join_quote(&d, &names);
        (void)sl_buf_printf(
            &d, " %s %s ", pss_plural("uses", "use", names.len),
            pss_plural("restricted volume type", "restricted volume types", types.len));
        pss_put_join_quote(&d, &types);
        pss_emit(out, id, "restricted volume types", &d);
    }
    sl_strlist_cleanup(&names);
    sl_strlist_cleanup(&types);
}

void pss_check_run_as_non_root(const struct pss_pod *pod, const char *const *allowed,
                               const char *id, struct sl_findings *out)
{
    struct sl_strlist bad = {0}, missing = {0};
    SL_UNUSED(allowed);
    bool pod_bad = pod->sc.run_as_non_root == PSS_FALSE;
    bool pod_ok = pod->sc.run_as_non_root == PSS_TRUE;
    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *c = &pod->containers[i];
        if (c->sc.run_as_non_root == PSS_FALSE)
            sl_strlist_add(&bad, c->name);
        else if (c->sc.run_as_non_root == PSS_UNSET && !pod_ok)
            sl_strlist_add(&missing, c->name);
    }
    struct sl_buf d;
    sl_buf_init(&d, 0);
    if (pod_bad || bad.len) {
        pss_put_setters(&d, pod_bad, &bad, NULL);
        (void)sl_buf_puts(&d, " must not set securityContext.runAsNonRoot=false");
        pss_emit(out, id, "runAsNonRoot != true", &d);
    } else if (missing.len) {
        (void)sl_buf_puts(&d, "pod or ");
        pss_put_setters(&d, false, &missing, NULL);
        (void)sl_buf_puts(&d, " must set securityContext.runAsNonRoot=true");
        pss_emit(out, id, "runAsNonRoot != true", &d);
    } else {
        sl_buf_cleanup(&d);
    }
    sl_strlist_cleanup(&bad);
    sl_strlist_cleanup(&missing);
}

void pss_check_run_as_user(const struct pss_pod *pod, const char *const *allowed, const char *id,
                           struct sl_findings *out)
{
    struct sl_strlist bad = {0};
    SL_UNUSED(allowed);
    bool pod_bad = pod->sc.run_as_user_set && pod->sc.run_as_user == 0;
    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *c = &pod->containers[i];
        if (c->sc.run_as_user_set && c->sc.run_as_user == 0)
            sl_strlist_add(&bad, c->name);
    }
    if (pod_bad || bad.len) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        pss_put_setters(&d, pod_bad, &bad, NULL);
        (void)sl_buf_puts(&d, " must not set runAsUser=0");
        pss_emit(out, id, "runAsUser=0", &d);
    }
    sl_strlist_cleanup(&bad);
}

/* Restricted from v1.19: every container needs a valid profile, its own or the pod's. */
void pss_check_seccomp_required(const struct pss_pod *pod, const char *const *allowed,
                                const char *id, struct sl_findings *out)
{
    SL_UNUSED(allowed);
    pss_seccomp_fields(pod, true, id, out);
}

/* ---- socklock's extras ---- */

void pss_check_ro_rootfs(const struct pss_pod *pod, const char *const *allowed, const char *id,
                         struct sl_findings *out)
{
    struct sl_strlist names = {0};
    SL_UNUSED(allowed);
    for (size_t i = 0; i < pod->ncontainers; i++)
        if (pod->containers[i].ro_rootfs != PSS_TRUE)
            sl_strlist_add(&names, pod->containers[i].name);
    if (names.len) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        pss_put_setters(&d, false, &names, NULL);
        (void)sl_buf_puts(&d, " must set securityContext.readOnlyRootFilesystem=true");
        pss_emit(out, id, "readOnlyRootFilesystem != true", &d);
    }
    sl_strlist_cleanup(&names);
}
