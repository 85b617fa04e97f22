/* pss_checks: one function per baseline Pod Security Standards check (the restricted ones
 * and socklock's extras are in pss_restricted.c).
 *
 * Each function follows the Kubernetes Pod Security Admission check of the same id
 * (k8s.io/pod-security-admission/policy/check_<id>.go) rule for rule, and builds the same
 * ForbiddenReason and ForbiddenDetail texts, because users search for those strings. Two
 * habits of that code matter for the texts: container lists keep visiting order (init,
 * regular, ephemeral) and repeat a name that appears twice, while the "values" parts
 * (capabilities, types, ports) are sets, sorted by byte value and without repeats.
 * Version gates inside a check are explicit comparisons on `version`; the first version
 * of every check and the overrides between checks live in the table in pss.c. */
#include "pss_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socklock/alloc.h"

/* ---- baseline ---- */

static bool apparmor_type_ok(const char *t)
{
    return strcmp(t, "RuntimeDefault") == 0 || strcmp(t, "Localhost") == 0;
}

static bool apparmor_annotation_ok(const char *v)
{
    return *v == '\0' || strcmp(v, "runtime/default") == 0 || pss_starts_with(v, "localhost/");
}

void pss_check_apparmor(const struct pss_pod *pod, int version, const struct sl_pss_opts *opts,
                        const char *id, struct sl_findings *out)
{
    struct pss_strlist values = {0}, names = {0}, annots = {0};
    bool pod_bad = false;
    SL_UNUSED(version);
    SL_UNUSED(opts);

    if (pod->sc.apparmor.set && !apparmor_type_ok(pod->sc.apparmor.type)) {
        pod_bad = true;
        pss_list_add(&values, pod->sc.apparmor.type);
    }
    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *c = &pod->containers[i];
        if (c->sc.apparmor.set && !apparmor_type_ok(c->sc.apparmor.type)) {
            pss_list_add(&names, c->name);
            pss_list_add(&values, c->sc.apparmor.type);
        }
    }
    if (pod->annotations) {
        const char *key;
        const json_t *v;
        json_object_foreach((json_t *)(uintptr_t)pod->annotations, key, v)
        {
            if (pss_starts_with(key, "container.apparmor.security.beta.kubernetes.io/") &&
                !apparmor_annotation_ok(json_string_value(v)))
                pss_list_take(&annots, pss_annotation_phrase(key, json_string_value(v)));
        }
    }
    pss_list_sort_unique(&values);
    if (annots.n > 1)
        qsort(annots.v, annots.n, sizeof(*annots.v), pss_cmp_str);
    size_t nvalues = values.n + annots.n;
    for (size_t i = 0; i < annots.n; i++)
        pss_list_add(&values, annots.v[i]);

    if (pod_bad || names.n || annots.n) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        pss_put_setters(&d, pod_bad, &names,
                        annots.n ? pss_plural("annotation", "annotations", annots.n) : NULL);
        (void)sl_buf_puts(&d, " must not set AppArmor profile type to ");
        pss_put_join_quote(&d, &values);
        pss_emit(out, id,
                 pss_plural("forbidden AppArmor profile", "forbidden AppArmor profiles", nvalues),
                 &d);
    }
    pss_list_free(&values);
    pss_list_free(&names);
    pss_list_free(&annots);
}

static const char *const caps_baseline_allowed[] = {
    "AUDIT_WRITE",      "CHOWN",   "DAC_OVERRIDE", "FOWNER",  "FSETID", "KILL",       "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID",       "SETPCAP", "SETUID", "SYS_CHROOT",
};

bool pss_in_set(const char *const *set, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(set[i], s) == 0)
            return true;
    return false;
}

void pss_check_caps_baseline(const struct pss_pod *pod, int version, const struct sl_pss_opts *opts,
                             const char *id, struct sl_findings *out)
{
    struct pss_strlist names = {0}, caps = {0};
    SL_UNUSED(version);
    SL_UNUSED(opts);

    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *c = &pod->containers[i];
        bool bad = false;
        size_t j;
        const json_t *v;
        json_array_foreach(c->cap_add, j, v)
        {
            const char *cap = json_string_value(v);
            if (!pss_in_set(caps_baseline_allowed, SL_ARRAY_LEN(caps_baseline_allowed), cap)) {
                bad = true;
                pss_list_add(&caps, cap);
            }
        }
        if (bad)
            pss_list_add(&names, c->name);
    }
    if (names.n) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        pss_list_sort_unique(&caps);
        pss_put_setters(&d, false, &names, NULL);
        (void)sl_buf_puts(&d, " must not include ");
        pss_put_join_quote(&d, &caps);
        (void)sl_buf_puts(&d, " in securityContext.capabilities.add");
        pss_emit(out, id, "non-default capabilities", &d);
    }
    pss_list_free(&names);
    pss_list_free(&caps);
}

void pss_check_host_namespaces(const struct pss_pod *pod, int version,
                               const struct sl_pss_opts *opts, const char *id,
                               struct sl_findings *out)
{
    struct pss_strlist l = {0};
    SL_UNUSED(version);
    SL_UNUSED(opts);
    if (pod->host_network)
        pss_list_add(&l, "hostNetwork=true");
    if (pod->host_pid)
        pss_list_add(&l, "hostPID=true");
    if (pod->host_ipc)
        pss_list_add(&l, "hostIPC=true");
    if (l.n) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        pss_put_join(&d, &l, ", ");
        pss_emit(out, id, "host namespaces", &d);
    }
    pss_list_free(&l);
}

void pss_check_host_path(const struct pss_pod *pod, int version, const struct sl_pss_opts *opts,
                         const char *id, struct sl_findings *out)
{
    struct pss_strlist names = {0};
    SL_UNUSED(version);
    SL_UNUSED(opts);
    for (size_t i = 0; i < pod->nvolumes; i++)
        if (pod->volumes[i].host_path)
            pss_list_add(&names, pod->volumes[i].name);
    if (names.n) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        (void)sl_buf_printf(&d, "%s ", pss_plural("volume", "volumes", names.n));
        pss_put_join_quote(&d, &names);
        pss_emit(out, id, "hostPath volumes", &d);
    }
    pss_list_free(&names);
}

void pss_check_host_ports(const struct pss_pod *pod, int version, const struct sl_pss_opts *opts,
                          const char *id, struct sl_findings *out)
{
    struct pss_strlist names = {0}, ports = {0};
    SL_UNUSED(version);
    SL_UNUSED(opts);
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
                pss_list_take(&ports, sl_xasprintf("%lld", (long long)port));
            }
        }
        if (bad)
            pss_list_add(&names, c->name);
    }
    if (names.n) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        pss_list_sort_unique(&ports);
        pss_put_setters(&d, false, &names, NULL);
        (void)sl_buf_printf(&d, " %s %s ", pss_plural("uses", "use", names.n),
                            pss_plural("hostPort", "hostPorts", ports.n));
        pss_put_join(&d, &ports, ", ");
        pss_emit(out, id, "hostPort", &d);
    }
    pss_list_free(&names);
    pss_list_free(&ports);
}

void pss_check_host_probes(const struct pss_pod *pod, int version, const struct sl_pss_opts *opts,
                           const char *id, struct sl_findings *out)
{
    /* Unlike most checks, PSA keeps the containers here in a set: sorted, no repeats. */
    struct pss_strlist names = {0}, hosts = {0};
    SL_UNUSED(version);
    SL_UNUSED(opts);
    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *c = &pod->containers[i];
        for (size_t j = 0; j < c->nhosts; j++)
            pss_list_add(&hosts, c->hosts[j]);
        if (c->nhosts)
            pss_list_add(&names, c->name);
    }
    if (names.n) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        pss_list_sort_unique(&names);
        pss_list_sort_unique(&hosts);
        pss_put_setters(&d, false, &names, NULL);
        (void)sl_buf_printf(
            &d, " %s %s ", pss_plural("uses", "use", names.n),
            pss_plural("probe or lifecycle host", "probe or lifecycle hosts", hosts.n));
        pss_put_join_quote(&d, &hosts);
        pss_emit(out, id, "probe or lifecycle host", &d);
    }
    pss_list_free(&names);
    pss_list_free(&hosts);
}

void pss_check_privileged(const struct pss_pod *pod, int version, const struct sl_pss_opts *opts,
                          const char *id, struct sl_findings *out)
{
    struct pss_strlist names = {0};
    SL_UNUSED(version);
    SL_UNUSED(opts);
    for (size_t i = 0; i < pod->ncontainers; i++)
        if (pod->containers[i].privileged == PSS_TRUE)
            pss_list_add(&names, pod->containers[i].name);
    if (names.n) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        pss_put_setters(&d, false, &names, NULL);
        (void)sl_buf_puts(&d, " must not set securityContext.privileged=true");
        pss_emit(out, id, "privileged", &d);
    }
    pss_list_free(&names);
}

/* PSA's procMount_1_0: procMount must be unset or "Default". */
void pss_proc_mount_strict(const struct pss_pod *pod, const char *id, struct sl_findings *out)
{
    struct pss_strlist names = {0}, types = {0};
    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *c = &pod->containers[i];
        if (c->proc_mount && strcmp(c->proc_mount, "Default") != 0) {
            pss_list_add(&names, c->name);
            pss_list_add(&types, c->proc_mount);
        }
    }
    if (names.n) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        pss_list_sort_unique(&types);
        pss_put_setters(&d, false, &names, NULL);
        (void)sl_buf_puts(&d, " must not set securityContext.procMount to ");
        pss_put_join_quote(&d, &types);
        pss_emit(out, id, "procMount", &d);
    }
    pss_list_free(&names);
    pss_list_free(&types);
}

void pss_check_proc_mount(const struct pss_pod *pod, int version, const struct sl_pss_opts *opts,
                          const char *id, struct sl_findings *out)
{
    SL_UNUSED(opts);
    /* v1.35: a pod in a user namespace may unmask /proc (KEP-127); restricted still may not
     * (procMount_restricted overrides this check there). */
    if (version >= 35 && pod->host_users == PSS_FALSE)
        return;
    pss_proc_mount_strict(pod, id, out);
}

static bool selinux_ok(const struct pss_selinux *o, int version, struct pss_strlist *types,
                       bool *set_user, bool *set_role)
{
    static const char *const allowed[] = {"", "container_t", "container_init_t", "container_kvm_t",
                                          "container_engine_t"};
    /* container_engine_t is allowed from v1.31. */
    size_t nallowed = version >= 31 ? 5 : 4;
    bool ok = true;
    if (!pss_in_set(allowed, nallowed, o->type)) {
        ok = false;
        pss_list_add(types, o->type);
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

void pss_check_selinux(const struct pss_pod *pod, int version, const struct sl_pss_opts *opts,
                       const char *id, struct sl_findings *out)
{
    struct pss_strlist names = {0}, types = {0};
    bool set_user = false, set_role = false, pod_bad = false;
    SL_UNUSED(opts);

    if (pod->sc.selinux.set)
        pod_bad = !selinux_ok(&pod->sc.selinux, version, &types, &set_user, &set_role);
    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *c = &pod->containers[i];
        if (c->sc.selinux.set && !selinux_ok(&c->sc.selinux, version, &types, &set_user, &set_role))
            pss_list_add(&names, c->name);
    }
    if (pod_bad || names.n) {
        struct sl_buf d;
        const char *sep = "";
        sl_buf_init(&d, 0);
        pss_list_sort_unique(&types);
        pss_put_setters(&d, pod_bad, &names, NULL);
        (void)sl_buf_puts(&d, " set forbidden securityContext.seLinuxOptions: ");
        if (types.n) {
            (void)sl_buf_printf(&d, "%s ", pss_plural("type", "types", types.n));
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
    pss_list_free(&names);
    pss_list_free(&types);
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
                                     struct pss_strlist *bad)
{
    const json_t *v = json_object_get(pod->annotations, key);
    if (json_is_string(v) && !seccomp_annotation_ok(json_string_value(v)))
        pss_list_take(bad, pss_annotation_phrase(key, json_string_value(v)));
}

/* v1.0 to v1.18: the alpha annotations, and only those. */
static void seccomp_baseline_annotations(const struct pss_pod *pod, const char *id,
                                         struct sl_findings *out)
{
    struct pss_strlist bad = {0};
    if (pod->annotations) {
        seccomp_annotation_check(pod, "seccomp.security.alpha.kubernetes.io/pod", &bad);
        for (size_t i = 0; i < pod->ncontainers; i++) {
            char *key = sl_xasprintf("container.seccomp.security.alpha.kubernetes.io/%s",
                                     pod->containers[i].name);
            seccomp_annotation_check(pod, key, &bad);
            free(key);
        }
    }
    if (bad.n) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        pss_list_sort_unique(&bad);
        (void)sl_buf_printf(&d, "forbidden %s ", pss_plural("annotation", "annotations", bad.n));
        pss_put_join(&d, &bad, ", ");
        pss_emit(out, id, "seccompProfile", &d);
    }
    pss_list_free(&bad);
}

/* The fields (v1.19+). With `require`, a container without a valid profile of its own or
 * from the pod fails too (restricted); otherwise only explicit bad values fail. */
void pss_seccomp_fields(const struct pss_pod *pod, bool require, const char *id,
                        struct sl_findings *out)
{
    struct pss_strlist values = {0}, bad = {0}, missing = {0};
    bool pod_bad = false, pod_ok = false;

    if (pod->sc.seccomp.set) {
        if (seccomp_type_ok(pod->sc.seccomp.type)) {
            pod_ok = true;
        } else {
            pod_bad = true;
            pss_list_add(&values, pod->sc.seccomp.type);
        }
    }
    for (size_t i = 0; i < pod->ncontainers; i++) {
        const struct pss_container *c = &pod->containers[i];
        if (c->sc.seccomp.set) {
            if (!seccomp_type_ok(c->sc.seccomp.type)) {
                pss_list_add(&bad, c->name);
                pss_list_add(&values, c->sc.seccomp.type);
            }
        } else if (!pod_ok) {
            pss_list_add(&missing, c->name);
        }
    }
    struct sl_buf d;
    sl_buf_init(&d, 0);
    if (pod_bad || bad.n) {
        pss_list_sort_unique(&values);
        pss_put_setters(&d, pod_bad, &bad, NULL);
        (void)sl_buf_puts(&d, " must not set securityContext.seccompProfile.type to ");
        pss_put_join_quote(&d, &values);
        pss_emit(out, id, "seccompProfile", &d);
    } else if (require && missing.n) {
        (void)sl_buf_puts(&d, "pod or ");
        pss_put_setters(&d, false, &missing, NULL);
        (void)sl_buf_puts(&d, " must set securityContext.seccompProfile.type to \"RuntimeDefault\" "
                              "or \"Localhost\"");
        pss_emit(out, id, "seccompProfile", &d);
    } else {
        sl_buf_cleanup(&d);
    }
    pss_list_free(&values);
    pss_list_free(&bad);
    pss_list_free(&missing);
}

void pss_check_seccomp_baseline(const struct pss_pod *pod, int version,
                                const struct sl_pss_opts *opts, const char *id,
                                struct sl_findings *out)
{
    SL_UNUSED(opts);
    if (version < 19)
        seccomp_baseline_annotations(pod, id, out);
    else
        pss_seccomp_fields(pod, false, id, out);
}

/* The safe sysctls and the version each became safe at (check_sysctls.go). */
static const struct {
    const char *name;
    int since;
} safe_sysctls[] = {
    {"kernel.shm_rmid_forced", 0},
    {"net.ipv4.ip_local_port_range", 0},
    {"net.ipv4.tcp_syncookies", 0},
    {"net.ipv4.ping_group_range", 0},
    {"net.ipv4.ip_unprivileged_port_start", 0},
    {"net.ipv4.ip_local_reserved_ports", 27},
    {"net.ipv4.tcp_keepalive_time", 29},
    {"net.ipv4.tcp_fin_timeout", 29},
    {"net.ipv4.tcp_keepalive_intvl", 29},
    {"net.ipv4.tcp_keepalive_probes", 29},
    {"net.ipv4.tcp_rmem", 32},
    {"net.ipv4.tcp_wmem", 32},
    {"net.ipv4.tcp_slow_start_after_idle", 37},
    {"net.ipv4.tcp_notsent_lowat", 37},
};

static bool sysctl_safe(const char *name, int version)
{
    for (size_t i = 0; i < SL_ARRAY_LEN(safe_sysctls); i++)
        if (version >= safe_sysctls[i].since && strcmp(safe_sysctls[i].name, name) == 0)
            return true;
    return false;
}

void pss_check_sysctls(const struct pss_pod *pod, int version, const struct sl_pss_opts *opts,
                       const char *id, struct sl_findings *out)
{
    struct pss_strlist bad = {0};
    size_t i;
    const json_t *s;
    SL_UNUSED(opts);
    json_array_foreach(pod->sysctls, i, s)
    {
        const json_t *n = json_object_get(s, "name");
        const char *name = json_is_string(n) ? json_string_value(n) : "";
        if (!sysctl_safe(name, version))
            pss_list_add(&bad, name);
    }
    if (bad.n) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        pss_put_join(&d, &bad, ", ");
        pss_emit(out, id, "forbidden sysctls", &d);
    }
    pss_list_free(&bad);
}

void pss_check_host_process(const struct pss_pod *pod, int version, const struct sl_pss_opts *opts,
                            const char *id, struct sl_findings *out)
{
    struct pss_strlist names = {0};
    bool pod_bad = pod->sc.host_process == PSS_TRUE;
    SL_UNUSED(version);
    SL_UNUSED(opts);
    for (size_t i = 0; i < pod->ncontainers; i++)
        if (pod->containers[i].sc.host_process == PSS_TRUE)
            pss_list_add(&names, pod->containers[i].name);
    if (pod_bad || names.n) {
        struct sl_buf d;
        sl_buf_init(&d, 0);
        pss_put_setters(&d, pod_bad, &names, NULL);
        (void)sl_buf_puts(&d, " must not set securityContext.windowsOptions.hostProcess=true");
        pss_emit(out, id, "hostProcess", &d);
    }
    pss_list_free(&names);
}
