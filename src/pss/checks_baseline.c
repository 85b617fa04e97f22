/* checks_baseline: the implementations of the baseline Pod Security Standards checks (the
 * restricted ones and socklock's extras are in checks_restricted.c).
 *
 * Each function follows the Kubernetes Pod Security Admission check of the same id
 * (k8s.io/pod-security-admission/policy/check_<id>.go) rule for rule, and builds the same
 * ForbiddenReason and ForbiddenDetail texts, because users search for those strings. Two
 * habits of that code matter for the texts: container lists keep visiting order (init,
 * regular, ephemeral) and repeat a name that appears twice, while the "values" parts
 * (capabilities, types, ports) are sets, sorted by byte value and without repeats.
 * No implementation knows about versions: where a rule changes with the policy version,
 * the table in pss.c has one row per version, each naming the implementation, the allowed
 * values and the waivers that hold from that version on. */
#include "pss_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socklock/alloc.h"
#include "socklock/json.h"

/* ---- baseline ---- */

static bool apparmor_type_ok(const char *t)
{
    return strcmp(t, "RuntimeDefault") == 0 || strcmp(t, "Localhost") == 0;
}

static bool apparmor_annotation_ok(const char *v)
{
    return *v == '\0' || strcmp(v, "runtime/default") == 0 || pss_starts_with(v, "localhost/");
}

void pss_check_apparmor(const struct pss_pod *pod, const char *const *allowed, const char *id,
                        struct sl_findings *out)
{
    struct sl_strlist values = {0}, names = {0}, annots = {0};
    bool pod_bad = false;
    SL_UNUSED(allowed);

    if (pod->sc.apparmor.set && !apparmor_type_ok(pod->sc.apparmor.type)) {
        pod_bad = true;
        sl_strlist_add(&values, pod->sc.apparmor.type);
    }
    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *c = &pod->containers[i];
        if (c->sc.apparmor.set && !apparmor_type_ok(c->sc.apparmor.type)) {
            sl_strlist_add(&names, c->name);
            sl_strlist_add(&values, c->sc.apparmor.type);
        }
    }
    if (pod->annotations) {
        const char *key;
        const json_t *v;
        json_object_foreach(sl_json_mut(pod->annotations), key, v)
        {
            if (pss_starts_with(key, "container.apparmor.security.beta.kubernetes.io/") &&
                !apparmor_annotation_ok(json_string_value(v)))
                sl_strlist_take(&annots, pss_annotation_phrase(key, json_string_value(v)));
        }
    }
    sl_strlist_sort_unique(&values);
    sl_strlist_sort(&annots);
    size_t nvalues = values.len + annots.len;
    for (size_t i = 0; i < annots.len; i++)
        sl_strlist_add(&values, annots.items[i]);

    if (pod_bad || names.len || annots.len) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        pss_put_setters(&d, pod_bad, &names,
                        annots.len ? pss_plural("annotation", "annotations", annots.len) : NULL);
        (void)sl_buf_puts(&d, " must not set AppArmor profile type to ");
        pss_put_join_quote(&d, &values);
        pss_emit(out, id,
                 pss_plural("forbidden AppArmor profile", "forbidden AppArmor profiles", nvalues),
                 &d);
    }
    sl_strlist_cleanup(&values);
    sl_strlist_cleanup(&names);
    sl_strlist_cleanup(&annots);
}

/* allowed: the capabilities a container may add. */
void pss_check_caps_baseline(const struct pss_pod *pod, const char *const *allowed, const char *id,
                             struct sl_findings *out)
{
    struct sl_strlist names = {0}, caps = {0};

    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *c = &pod->containers[i];
        bool bad = false;
        size_t j;
        const json_t *v;
        json_array_foreach(c->cap_add, j, v)
        {
            const char *cap = json_string_value(v);
            if (!pss_in_set(allowed, cap)) {
                bad = true;
                sl_strlist_add(&caps, cap);
            }
        }
        if (bad)
            sl_strlist_add(&names, c->name);
    }
    if (names.len) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        sl_strlist_sort_unique(&caps);
        pss_put_setters(&d, false, &names, NULL);
        (void)sl_buf_puts(&d, " must not include ");
        pss_put_join_quote(&d, &caps);
        (void)sl_buf_puts(&d, " in securityContext.capabilities.add");
        pss_emit(out, id, "non-default capabilities", &d);
    }
    sl_strlist_cleanup(&names);
    sl_strlist_cleanup(&caps);
}

void pss_check_host_namespaces(const struct pss_pod *pod, const char *const *allowed,
                               const char *id, struct sl_findings *out)
{
    struct sl_strlist l = {0};
    SL_UNUSED(allowed);
    if (pod->host_network)
        sl_strlist_add(&l, "hostNetwork=true");
    if (pod->host_pid)
        sl_strlist_add(&l, "hostPID=true");
    if (pod->host_ipc)
        sl_strlist_add(&l, "hostIPC=true");
    if (l.len) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        pss_put_join(&d, &l, ", ");
        pss_emit(out, id, "host namespaces", &d);
    }
    sl_strlist_cleanup(&l);
}

void pss_check_host_path(const struct pss_pod *pod, const char *const *allowed, const char *id,
                         struct sl_findings *out)
{
    struct sl_strlist names = {0};
    SL_UNUSED(allowed);
    for (size_t i = 0; i < pod->nvolumes; i++)
        if (pod->volumes[i].host_path)
            sl_strlist_add(&names, pod->volumes[i].name);
    if (names.len) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        (void)sl_buf_printf(&d, "%s ", pss_plural("volume", "volumes", names.len));
        pss_put_join_quote(&d, &names);
        pss_emit(out, id, "hostPath volumes", &d);
    }
    sl_strlist_cleanup(&names);
}

void pss_check_host_ports(const struct pss_pod *pod, const char *const *allowed, const char *id,
                          struct sl_findings *out)
{
    struct sl_strlist names = {0}, ports = {0};
    SL_UNUSED(allowed);
    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *c = &pod->containers[i];
        bool bad = false;
        size_t j;
        const json_t *p;
        json_array_foreach(c->ports, j, p)
        {
            json_int_t port = json_integer_value(json_object_get(p, "hostPort"));
            if (port != 0) {
                bad = true;
                sl_strlist_take(&ports, sl_xasprintf("%lld", (long long)port));
            }
        }
        if (bad)
            sl_strlist_add(&names, c->name);
    }
    if (names.len) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        sl_strlist_sort_unique(&ports);
        pss_put_setters(&d, false, &names, NULL);
        (void)sl_buf_printf(&d, " %s %s ", pss_plural("uses", "use", names.len),
                            pss_plural("hostPort", "hostPorts", ports.len));
        pss_put_join(&d, &ports, ", ");
        pss_emit(out, id, "hostPort", &d);
    }
    sl_strlist_cleanup(&names);
    sl_strlist_cleanup(&ports);
}

void pss_check_host_probes(const struct pss_pod *pod, const char *const *allowed, const char *id,
                           struct sl_findings *out)
{
    /* Unlike most checks, PSA keeps the containers here in a set: sorted, no repeats. */
    struct sl_strlist names = {0}, hosts = {0};
    SL_UNUSED(allowed);
    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *c = &pod->containers[i];
        for (size_t j = 0; j < c->nhosts; j++)
            sl_strlist_add(&hosts, c->hosts[j]);
        if (c->nhosts)
            sl_strlist_add(&names, c->name);
    }
    if (names.len) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        sl_strlist_sort_unique(&names);
        sl_strlist_sort_unique(&hosts);
        pss_put_setters(&d, false, &names, NULL);
        (void)sl_buf_printf(
            &d, " %s %s ", pss_plural("uses", "use", names.len),
            pss_plural("probe or lifecycle host", "probe or lifecycle hosts", hosts.len));
        pss_put_join_quote(&d, &hosts);
        pss_emit(out, id, "probe or lifecycle host", &d);
    }
    sl_strlist_cleanup(&names);
    sl_strlist_cleanup(&hosts);
}

void pss_check_privileged(const struct pss_pod *pod, const char *const *allowed, const char *id,
                          struct sl_findings *out)
{
    struct sl_strlist names = {0};
    SL_UNUSED(allowed);
    for (size_t i = 0; i < pod->ncontainers; i++)
        if (pod->containers[i].privileged == PSS_TRUE)
            sl_strlist_add(&names, pod->containers[i].name);
    if (names.len) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        pss_put_setters(&d, false, &names, NULL);
        (void)sl_buf_puts(&d, " must not set securityContext.privileged=true");
        pss_emit(out, id, "privileged", &d);
    }
    sl_strlist_cleanup(&names);
}

/* PSA's procMount_1_0: procMount must be unset or "Default". From v1.35 a pod in a user
 * namespace may unmask /proc (KEP-127): the table waives those pods for `procMount`, and
 * `procMount_restricted` runs this same rule without the waiver. */
void pss_check_proc_mount(const struct pss_pod *pod, const char *const *allowed, const char *id,
                          struct sl_findings *out)
{
    struct sl_strlist names = {0}, types = {0};
    SL_UNUSED(allowed);
    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *c = &pod->containers[i];
        if (c->proc_mount && strcmp(c->proc_mount, "Default") != 0) {
            sl_strlist_add(&names, c->name);
            sl_strlist_add(&types, c->proc_mount);
        }
    }
    if (names.len) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        sl_strlist_sort_unique(&types);
        pss_put_setters(&d, false, &names, NULL);
        (void)sl_buf_puts(&d, " must not set securityContext.procMount to ");
        pss_put_join_quote(&d, &types);
        pss_emit(out, id, "procMount", &d);
    }
    sl_strlist_cleanup(&names);
    sl_strlist_cleanup(&types);
}

static bool selinux_ok(const struct pss_selinux *o, const char *const *types_allowed,
                       struct sl_strlist *types, bool *set_user, bool *set_role)
{
    bool ok = true;
    if (!pss_in_set(types_allowed, o->type)) {
        ok = false;
        sl_strlist_add(types, o->type);
    }
    if (*o->user) {
        ok = false;
        *set_user = true;
    }
    if (*o->role) {
        ok = false;
        *set_role = true;
    }
    return ok;
}

void pss_check_selinux(const struct pss_pod *pod, const char *const *allowed, const char *id,
                       struct sl_findings *out)
{
    struct sl_strlist names = {0}, types = {0};
    bool set_user = false, set_role = false, pod_bad = false;
    /* allowed: the allowed seLinuxOptions types. */

    if (pod->sc.selinux.set)
        pod_bad = !selinux_ok(&pod->sc.selinux, allowed, &types, &set_user, &set_role);
    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *c = &pod->containers[i];
        if (c->sc.selinux.set && !selinux_ok(&c->sc.selinux, allowed, &types, &set_user, &set_role))
            sl_strlist_add(&names, c->name);
    }
    if (pod_bad || names.len) {
        struct sl_buf d;
        const char *sep = "";
        sl_buf_init(&d, 0);
        sl_strlist_sort_unique(&types);
        pss_put_setters(&d, pod_bad, &names, NULL);
        (void)sl_buf_puts(&d, " set forbidden securityContext.seLinuxOptions: ");
        if (types.len) {
            (void)sl_buf_printf(&d, "%s ", pss_plural("type", "types", types.len));
            pss_put_join_quote(&d, &types);
            sep = "; ";
        }
        if (set_user) {
            (void)sl_buf_printf(&d, "%suser may not be set", sep);
            sep = "; ";
        }
        if (set_role)
            (void)sl_buf_printf(&d, "%srole may not be set", sep);
        pss_emit(out, id, "seLinuxOptions", &d);
    }
    sl_strlist_cleanup(&names);
    sl_strlist_cleanup(&types);
}

static bool seccomp_type_ok(const char *t)
{
    return strcmp(t, "Localhost") == 0 || strcmp(t, "RuntimeDefault") == 0;
}

static bool seccomp_annotation_ok(const char *v)
{
    return strcmp(v, "runtime/default") == 0 || strcmp(v, "docker/default") == 0 ||
           pss_starts_with(v, "localhost/");
}

static void seccomp_annotation_check(const struct pss_pod *pod, const char *key,
                                     struct sl_strlist *bad)
{
    const json_t *v = json_object_get(pod->annotations, key);
    if (json_is_string(v) && !seccomp_annotation_ok(json_string_value(v)))
        sl_strlist_take(bad, pss_annotation_phrase(key, json_string_value(v)));
}

/* Baseline from v1.0 to v1.18: the alpha annotations, and only those. */
void pss_check_seccomp_annotations(const struct pss_pod *pod, const char *const *allowed,
                                   const char *id, struct sl_findings *out)
{
    struct sl_strlist bad = {0};
    SL_UNUSED(allowed);
    if (pod->annotations) {
        seccomp_annotation_check(pod, "seccomp.security.alpha.kubernetes.io/pod", &bad);
        for (size_t i = 0; i < pod->ncontainers; i++) {
            char *key = sl_xasprintf("container.seccomp.security.alpha.kubernetes.io/%s",
                                     pod->containers[i].name);
            seccomp_annotation_check(pod, key, &bad);
            free(key);
        }
    }
    if (bad.len) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        sl_strlist_sort_unique(&bad);
        (void)sl_buf_printf(&d, "forbidden %s ", pss_plural("annotation", "annotations", bad.len));
        pss_put_join(&d, &bad, ", ");
        pss_emit(out, id, "seccompProfile", &d);
    }
    sl_strlist_cleanup(&bad);
}

/* The fields (v1.19+). With `require`, a container without a valid profile of its own or
 * from the pod fails too (restricted); otherwise only explicit bad values fail. */
void pss_seccomp_fields(const struct pss_pod *pod, bool require, const char *id,
                        struct sl_findings *out)
{
    struct sl_strlist values = {0}, bad = {0}, missing = {0};
    bool pod_bad = false, pod_ok = false;

    if (pod->sc.seccomp.set) {
        if (seccomp_type_ok(pod->sc.seccomp.type)) {
            pod_ok = true;
        } else {
            pod_bad = true;
            sl_strlist_add(&values, pod->sc.seccomp.type);
        }
    }
    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *c = &pod->containers[i];
        if (c->sc.seccomp.set) {
            if (!seccomp_type_ok(c->sc.seccomp.type)) {
                sl_strlist_add(&bad, c->name);
                sl_strlist_add(&values, c->sc.seccomp.type);
            }
        } else if (!pod_ok) {
            sl_strlist_add(&missing, c->name);
        }
    }
    struct sl_buf d;
    sl_buf_init(&d, 0);
    if (pod_bad || bad.len) {
        sl_strlist_sort_unique(&values);
        pss_put_setters(&d, pod_bad, &bad, NULL);
        (void)sl_buf_puts(&d, " must not set securityContext.seccompProfile.type to ");
        pss_put_join_quote(&d, &values);
        pss_emit(out, id, "seccompProfile", &d);
    } else if (require && missing.len) {
        (void)sl_buf_puts(&d, "pod or ");
        pss_put_setters(&d, false, &missing, NULL);
        (void)sl_buf_puts(&d, " must set securityContext.seccompProfile.type to \"RuntimeDefault\" "
                              "or \"Localhost\"");
        pss_emit(out, id, "seccompProfile", &d);
    } else {
        sl_buf_cleanup(&d);
    }
    sl_strlist_cleanup(&values);
    sl_strlist_cleanup(&bad);
    sl_strlist_cleanup(&missing);
}

/* Baseline from v1.19: explicit bad profile types fail, an unset profile does not. */
void pss_check_seccomp_fields(const struct pss_pod *pod, const char *const *allowed, const char *id,
                              struct sl_findings *out)
{
    SL_UNUSED(allowed);
    pss_seccomp_fields(pod, false, id, out);
}

/* allowed: the safe sysctls at the row's version. */
void pss_check_sysctls(const struct pss_pod *pod, const char *const *allowed, const char *id,
                       struct sl_findings *out)
{
    struct sl_strlist bad = {0};
    size_t i;
    const json_t *s;
    json_array_foreach(pod->sysctls, i, s)
    {
        const json_t *n = json_object_get(s, "name");
        const char *name = json_is_string(n) ? json_string_value(n) : "";
        if (!pss_in_set(allowed, name))
            sl_strlist_add(&bad, name);
    }
    if (bad.len) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        pss_put_join(&d, &bad, ", ");
        pss_emit(out, id, "forbidden sysctls", &d);
    }
    sl_strlist_cleanup(&bad);
}

void pss_check_host_process(const struct pss_pod *pod, const char *const *allowed, const char *id,
                            struct sl_findings *out)
{
    struct sl_strlist names = {0};
    bool pod_bad = pod->sc.host_process == PSS_TRUE;
    SL_UNUSED(allowed);
    for (size_t i = 0; i < pod->ncontainers; i++)
        if (pod->containers[i].sc.host_process == PSS_TRUE)
            sl_strlist_add(&names, pod->containers[i].name);
    if (pod_bad || names.len) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        pss_put_setters(&d, pod_bad, &names, NULL);
        (void)sl_buf_puts(&d, " must not set securityContext.windowsOptions.hostProcess=true");
        pss_emit(out, id, "hostProcess", &d);
    }
    sl_strlist_cleanup(&names);
}
