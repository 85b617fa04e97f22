/* Unit tests for pss: every check on both sides of each version gate, container-over-pod
 * precedence, Windows and hostUsers waivers, exact PSA message texts, option handling, and
 * malformed input. Cases are rows of a table (pods written inline, with ' for "). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "socklock/alloc.h"
#include "socklock/pss.h"
#include "testutil.h"

/* F_MULTI: other checks may fail too; the named one must be among them. */
enum { F_RELAX = 1, F_RORFS = 2, F_MULTI = 4 };

/* Evaluates a Pod object (written with single quotes) at level and version. */
static enum sl_status eval_pod(const char *pod, const char *level, const char *version, int flags,
                               const char *only, struct sl_findings *out, struct sl_error *err)
{
    json_t *obj = tu_json_sq(pod);
    struct sl_pss_opts opts = {.relax_user_ns = flags & F_RELAX,
                               .extras = (flags & F_RORFS) ? SL_PSS_EXTRA_READ_ONLY_ROOT_FS : 0u,
                               .only_check = only};
    ck_assert(sl_pss_parse_level(level, &opts.level) == SL_OK);
    ck_assert(sl_pss_parse_version(version, &opts.version) == SL_OK);
    sl_pss_findings_init(out);
    enum sl_status rc = sl_pss_eval(json_object_get(obj, "metadata"), json_object_get(obj, "spec"),
                                    &opts, out, err);
    json_decref(obj);
    return rc;
}

/* Pieces of pods. */
#define C1                  "{'name':'c1'}"
#define POD(spec)           "{'metadata':{'name':'p'},'spec':" spec "}"
#define POD_A(annots, spec) "{'metadata':{'name':'p','annotations':" annots "},'spec':" spec "}"
/* A container that satisfies every restricted check at every version. */
#define RC(name)                                                              \
    "{'name':'" name "','securityContext':{'allowPrivilegeEscalation':false," \
    "'capabilities':{'drop':['ALL']}}}"
#define RSC         "'securityContext':{'runAsNonRoot':true,'seccompProfile':{'type':'RuntimeDefault'}}"
#define RPOD(extra) POD("{" RSC ",'containers':[" RC("c1") "]" extra "}")

struct verdict_case {
    const char *name;
    const char *pod;
    const char *level, *version;
    int flags;
    const char *check;  /* the one check expected to fail, or NULL for allowed */
    const char *reason; /* when non-NULL, the exact reason */
    const char *detail; /* when non-NULL, the exact detail */
};

static const struct verdict_case cases[] = {
    /* hostNamespaces */
    {"hostnet", POD("{'hostNetwork':true,'containers':[" C1 "]}"), "baseline", "v1.0", 0,
     "hostNamespaces", "host namespaces", "hostNetwork=true"},
    {"hostpid_ipc", POD("{'hostPID':true,'hostIPC':true,'containers':[" C1 "]}"), "baseline",
     "latest", 0, "hostNamespaces", "host namespaces", "hostPID=true, hostIPC=true"},
    {"hostnet_false", POD("{'hostNetwork':false,'hostPID':null,'containers':[" C1 "]}"), "baseline",
     "latest", 0, NULL, NULL, NULL},
    /* privileged */
    {"privileged",
     POD("{'initContainers':[{'name':'i','securityContext':{'privileged':true}}],"
         "'containers':[{'name':'c','securityContext':{'privileged':true}}]}"),
     "baseline", "v1.0", 0, "privileged", "privileged",
     "containers \"i\", \"c\" must not set securityContext.privileged=true"},
    {"privileged_false",
     POD("{'containers':[{'name':'c','securityContext':{'privileged':false}}]}"), "baseline",
     "latest", 0, NULL, NULL, NULL},
    /* capabilities_baseline: exact, case-sensitive */
    {"caps_baseline_ok",
     POD("{'containers':[{'name':'c','securityContext':{'capabilities':{'add':['CHOWN',"
         "'NET_BIND_SERVICE','SYS_CHROOT']}}}]}"),
     "baseline", "latest", 0, NULL, NULL, NULL},
    {"caps_baseline_case",
     POD("{'containers':[{'name':'c','securityContext':{'capabilities':{'add':['chown',"
         "'CAP_CHOWN','NET_RAW','chown']}}}]}"),
     "baseline", "v1.0", 0, "capabilities_baseline", "non-default capabilities",
     "container \"c\" must not include \"CAP_CHOWN\", \"NET_RAW\", \"chown\" in "
     "securityContext.capabilities.add"},
    /* hostPathVolumes, and restrictedVolumes overriding it */
    {"hostpath", POD("{'containers':[" C1 "],'volumes':[{'name':'h','hostPath':{'path':'/'}}]}"),
     "baseline", "v1.0", 0, "hostPathVolumes", "hostPath volumes", "volume \"h\""},
    {"hostpath_restricted",
     RPOD(",'volumes':[{'name':'h','hostPath':{'path':'/'}},{'name':'n','nfs':{}}]"), "restricted",
     "latest", 0, "restrictedVolumes", "restricted volume types",
     "volumes \"h\", \"n\" use restricted volume types \"hostPath\", \"nfs\""},
    {"volumes_allowed",
     RPOD(",'volumes':[{'name':'a'},{'name':'b','image':{'reference':'x'}},{'name':'c','csi':"
          "{'driver':'d'}},{'name':'d','ephemeral':{}},{'name':'e','emptyDir':{}}]"),
     "restricted", "v1.0", 0, NULL, NULL, NULL},
    /* hostPorts: ports are a set sorted as strings */
    {"hostports",
     POD("{'containers':[{'name':'a','ports':[{'containerPort':1,'hostPort':8080},"
         "{'hostPort':90}]},{'name':'b','ports':[{'hostPort':8080},{'hostPort':0}]}]}"),
     "baseline", "v1.0", 0, "hostPorts", "hostPort",
     "containers \"a\", \"b\" use hostPorts 8080, 90"},
    {"hostport_zero", POD("{'containers':[{'name':'a','ports':[{'hostPort':0}]}]}"), "baseline",
     "latest", 0, NULL, NULL, NULL},
    /* appArmorProfile: annotations and fields, pod and container */
    {"apparmor_annotation",
     POD_A("{'container.apparmor.security.beta.kubernetes.io/c':'unconfined'}",
           "{'containers':[{'name':'c'}]}"),
     "baseline", "v1.0", 0, "appArmorProfile", "forbidden AppArmor profile",
     "annotation must not set AppArmor profile type to "
     "\"container.apparmor.security.beta.kubernetes.io/c=\"unconfined\"\""},
    {"apparmor_annotation_ok",
     POD_A("{'container.apparmor.security.beta.kubernetes.io/c':'localhost/foo',"
           "'container.apparmor.security.beta.kubernetes.io/d':'runtime/default',"
           "'container.apparmor.security.beta.kubernetes.io/e':''}",
           "{'containers':[{'name':'c'}]}"),
     "baseline", "latest", 0, NULL, NULL, NULL},
    {"apparmor_fields",
     POD("{'securityContext':{'appArmorProfile':{'type':'Unconfined'}},'containers':[{'name':'c',"
         "'securityContext':{'appArmorProfile':{'type':'Foo'}}},{'name':'d','securityContext':"
         "{'appArmorProfile':{'type':'Localhost','localhostProfile':'x'}}}]}"),
     "baseline", "v1.0", 0, "appArmorProfile", "forbidden AppArmor profiles",
     "pod and container \"c\" must not set AppArmor profile type to \"Foo\", \"Unconfined\""},
    {"apparmor_runtime_default",
     POD("{'securityContext':{'appArmorProfile':{'type':'RuntimeDefault'}},'containers':[" C1 "]}"),
     "baseline", "latest", 0, NULL, NULL, NULL},
    /* seLinuxOptions: container_engine_t from v1.31 */
    {"selinux_engine_1_30",
     POD("{'containers':[{'name':'c','securityContext':{'seLinuxOptions':{'type':"
         "'container_engine_t'}}}]}"),
     "baseline", "v1.30", 0, "seLinuxOptions", "seLinuxOptions",
     "container \"c\" set forbidden securityContext.seLinuxOptions: type "
     "\"container_engine_t\""},
    {"selinux_engine_1_31",
     POD("{'containers':[{'name':'c','securityContext':{'seLinuxOptions':{'type':"
         "'container_engine_t'}}}]}"),
     "baseline", "v1.31", 0, NULL, NULL, NULL},
    {"selinux_user_role",
     POD("{'securityContext':{'seLinuxOptions':{'user':'u','role':'r','level':'s0'}},"
         "'containers':[" C1 "]}"),
     "baseline", "latest", 0, "seLinuxOptions", "seLinuxOptions",
     "pod set forbidden securityContext.seLinuxOptions: user may not be set; role may not be "
     "set"},
    {"selinux_empty", POD("{'securityContext':{'seLinuxOptions':{}},'containers':[" C1 "]}"),
     "baseline", "latest", 0, NULL, NULL, NULL},
    /* procMount: hostUsers relaxation at baseline from v1.35, not at restricted */
    {"procmount_1_34",
     POD("{'hostUsers':false,'containers':[{'name':'c','securityContext':{'procMount':"
         "'Unmasked'}}]}"),
     "baseline", "v1.34", 0, "procMount", "procMount",
     "container \"c\" must not set securityContext.procMount to \"Unmasked\""},
    {"procmount_1_35",
     POD("{'hostUsers':false,'containers':[{'name':'c','securityContext':{'procMount':"
         "'Unmasked'}}]}"),
     "baseline", "v1.35", 0, NULL, NULL, NULL},
    {"procmount_hostusers_true",
     POD("{'hostUsers':true,'containers':[{'name':'c','securityContext':{'procMount':"
         "'Unmasked'}}]}"),
     "baseline", "latest", 0, "procMount", NULL, NULL},
    {"procmount_restricted_1_35",
     POD("{'hostUsers':false," RSC ",'containers':[{'name':'c','securityContext':{'procMount':"
         "'Unmasked','allowPrivilegeEscalation':false,'capabilities':{'drop':['ALL']}}}]}"),
     "restricted", "v1.35", 0, "procMount_restricted", "procMount", NULL},
    {"procmount_restricted_1_34",
     POD("{'hostUsers':false," RSC ",'containers':[{'name':'c','securityContext':{'procMount':"
         "'Unmasked','allowPrivilegeEscalation':false,'capabilities':{'drop':['ALL']}}}]}"),
     "restricted", "v1.34", 0, "procMount", "procMount", NULL},
    {"procmount_default",
     POD("{'containers':[{'name':'c','securityContext':{'procMount':'Default'}}]}"), "baseline",
     "latest", 0, NULL, NULL, NULL},
    /* seccompProfile_baseline: annotations below v1.19, fields from v1.19 */
    {"seccomp_annotation_1_18",
     POD_A("{'seccomp.security.alpha.kubernetes.io/pod':'unconfined',"
           "'container.seccomp.security.alpha.kubernetes.io/c':'runtime/default'}",
           "{'containers':[{'name':'c'}]}"),
     "baseline", "v1.18", 0, "seccompProfile_baseline", "seccompProfile",
     "forbidden annotation seccomp.security.alpha.kubernetes.io/pod=\"unconfined\""},
    {"seccomp_annotation_1_19",
     POD_A("{'seccomp.security.alpha.kubernetes.io/pod':'unconfined'}",
           "{'containers':[{'name':'c'}]}"),
     "baseline", "v1.19", 0, NULL, NULL, NULL},
    {"seccomp_field_1_18",
     POD("{'securityContext':{'seccompProfile':{'type':'Unconfined'}},'containers':[" C1 "]}"),
     "baseline", "v1.18", 0, NULL, NULL, NULL},
    {"seccomp_field_1_19",
     POD("{'securityContext':{'seccompProfile':{'type':'Unconfined'}},'containers':[{'name':'c',"
         "'securityContext':{'seccompProfile':{'type':'Unconfined'}}}]}"),
     "baseline", "v1.19", 0, "seccompProfile_baseline", "seccompProfile",
     "pod and container \"c\" must not set securityContext.seccompProfile.type to "
     "\"Unconfined\""},
    /* sysctls: the safe set grows */
    {"sysctl_1_28",
     POD("{'securityContext':{'sysctls':[{'name':'net.ipv4.tcp_keepalive_time','value':'1'},"
         "{'name':'kernel.msgmax','value':'1'}]},'containers':[" C1 "]}"),
     "baseline", "v1.28", 0, "sysctls", "forbidden sysctls",
     "net.ipv4.tcp_keepalive_time, kernel.msgmax"},
    {"sysctl_1_29",
     POD("{'securityContext':{'sysctls':[{'name':'net.ipv4.tcp_keepalive_time','value':'1'}]},"
         "'containers':[" C1 "]}"),
     "baseline", "v1.29", 0, NULL, NULL, NULL},
    {"sysctl_1_26",
     POD("{'securityContext':{'sysctls':[{'name':'net.ipv4.ip_local_reserved_ports'}]},"
         "'containers':[" C1 "]}"),
     "baseline", "v1.26", 0, "sysctls", NULL, NULL},
    {"sysctl_1_27",
     POD("{'securityContext':{'sysctls':[{'name':'net.ipv4.ip_local_reserved_ports'}]},"
         "'containers':[" C1 "]}"),
     "baseline", "v1.27", 0, NULL, NULL, NULL},
    {"sysctl_1_31",
     POD("{'securityContext':{'sysctls':[{'name':'net.ipv4.tcp_rmem'}]},'containers':[" C1 "]}"),
     "baseline", "v1.31", 0, "sysctls", NULL, NULL},
    {"sysctl_1_32",
     POD("{'securityContext':{'sysctls':[{'name':'net.ipv4.tcp_wmem'}]},'containers':[" C1 "]}"),
     "baseline", "v1.32", 0, NULL, NULL, NULL},
    {"sysctl_1_36",
     POD("{'securityContext':{'sysctls':[{'name':'net.ipv4.tcp_notsent_lowat'}]},'containers':[" C1
         "]}"),
     "baseline", "v1.36", 0, "sysctls", NULL, NULL},
    {"sysctl_latest",
     POD("{'securityContext':{'sysctls':[{'name':'net.ipv4.tcp_slow_start_after_idle'}]},"
         "'containers':[" C1 "]}"),
     "baseline", "latest", 0, NULL, NULL, NULL},
    {"sysctl_future",
     POD("{'securityContext':{'sysctls':[{'name':'net.ipv4.tcp_slow_start_after_idle'}]},"
         "'containers':[" C1 "]}"),
     "baseline", "v1.99", 0, NULL, NULL, NULL},
    /* hostProbesAndHostLifecycle: from v1.34; containers as a sorted set */
    {"probe_host_1_33",
     POD("{'containers':[{'name':'c','livenessProbe':{'httpGet':{'host':'1.2.3.4','port':80}}}]}"),
     "baseline", "v1.33", 0, NULL, NULL, NULL},
    {"probe_host_1_34",
     POD("{'initContainers':[{'name':'z','restartPolicy':'Always','startupProbe':{'tcpSocket':"
         "{'host':'::1','port':1}}}],'containers':[{'name':'c','livenessProbe':{'httpGet':"
         "{'host':'127.0.0.1','port':80}},'lifecycle':{'preStop':{'httpGet':{'host':'127.0.0.1',"
         "'port':80}}}}]}"),
     "baseline", "v1.34", 0, "hostProbesAndHostLifecycle", "probe or lifecycle host",
     "containers \"c\", \"z\" use probe or lifecycle hosts \"127.0.0.1\", \"::1\""},
    {"probe_host_empty",
     POD("{'containers':[{'name':'c','readinessProbe':{'httpGet':{'host':'','port':80}}}]}"),
     "baseline", "latest", 0, NULL, NULL, NULL},
    /* windowsHostProcess */
    {"hostprocess",
     POD("{'securityContext':{'windowsOptions':{'hostProcess':true}},'containers':[{'name':'c',"
         "'securityContext':{'windowsOptions':{'hostProcess':true}}}]}"),
     "baseline", "v1.0", 0, "windowsHostProcess", "hostProcess",
     "pod and container \"c\" must not set securityContext.windowsOptions.hostProcess=true"},
    {"windows_options_empty",
     POD("{'securityContext':{'windowsOptions':{}},'containers':[{'name':'c','securityContext':"
         "{}}]}"),
     "baseline", "latest", 0, NULL, NULL, NULL},
    /* restricted base pods, and the gates of the restricted checks */
    {"restricted_base", RPOD(""), "restricted", "latest", 0, NULL, NULL, NULL},
    {"restricted_1_7_minimal",
     POD("{'securityContext':{'runAsNonRoot':true},'containers':[" C1 "]}"), "restricted", "v1.7",
     0, NULL, NULL, NULL},
    {"ape_1_8", POD("{'securityContext':{'runAsNonRoot':true},'containers':[" C1 "]}"),
     "restricted", "v1.8", 0, "allowPrivilegeEscalation", "allowPrivilegeEscalation != false",
     "container \"c1\" must set securityContext.allowPrivilegeEscalation=false"},
    {"seccomp_restricted_1_19",
     POD("{'securityContext':{'runAsNonRoot':true},'containers':[{'name':'c1','securityContext':"
         "{'allowPrivilegeEscalation':false}}]}"),
     "restricted", "v1.19", 0, "seccompProfile_restricted", "seccompProfile",
     "pod or container \"c1\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" "
     "or \"Localhost\""},
    {"seccomp_restricted_container_only",
     POD("{'securityContext':{'runAsNonRoot':true},'containers':[{'name':'c1','securityContext':"
         "{'allowPrivilegeEscalation':false,'seccompProfile':{'type':'Localhost',"
         "'localhostProfile':'p'},'capabilities':{'drop':['ALL']}}}]}"),
     "restricted", "latest", 0, NULL, NULL, NULL},
    {"seccomp_restricted_container_overrides",
     POD("{" RSC ",'containers':[{'name':'c1','securityContext':{'allowPrivilegeEscalation':false,"
         "'seccompProfile':{'type':'Unconfined'},'capabilities':{'drop':['ALL']}}}]}"),
     "restricted", "latest", 0, "seccompProfile_restricted", "seccompProfile",
     "container \"c1\" must not set securityContext.seccompProfile.type to \"Unconfined\""},
    {"caps_restricted_1_21",
     POD("{" RSC ",'containers':[{'name':'c1','securityContext':"
         "{'allowPrivilegeEscalation':false}}]}"),
     "restricted", "v1.21", 0, NULL, NULL, NULL},
    {"caps_restricted_1_22",
     POD("{" RSC ",'containers':[{'name':'c1','securityContext':"
         "{'allowPrivilegeEscalation':false}}]}"),
     "restricted", "v1.22", 0, "capabilities_restricted", "unrestricted capabilities",
     "container \"c1\" must set securityContext.capabilities.drop=[\"ALL\"]"},
    {"caps_restricted_lowercase_all",
     POD("{" RSC ",'containers':[{'name':'c1','securityContext':{'allowPrivilegeEscalation':"
         "false,'capabilities':{'drop':['all'],'add':['NET_BIND_SERVICE','SYS_ADMIN']}}}]}"),
     "restricted", "latest", 0, "capabilities_restricted", "unrestricted capabilities",
     "container \"c1\" must set securityContext.capabilities.drop=[\"ALL\"]; container \"c1\" "
     "must not include \"SYS_ADMIN\" in securityContext.capabilities.add"},
    {"caps_restricted_net_bind",
     POD("{" RSC ",'containers':[{'name':'c1','securityContext':{'allowPrivilegeEscalation':"
         "false,'capabilities':{'drop':['ALL'],'add':['NET_BIND_SERVICE']}}}]}"),
     "restricted", "latest", 0, NULL, NULL, NULL},
    /* Windows: the waivers start at v1.25; runAsNonRoot still applies */
    {"windows_1_24",
     POD("{'os':{'name':'windows'},'securityContext':{'runAsNonRoot':true},'containers':[" C1 "]}"),
     "restricted", "v1.24", F_MULTI, "allowPrivilegeEscalation", NULL, NULL},
    {"windows_1_25",
     POD("{'os':{'name':'windows'},'securityContext':{'runAsNonRoot':true},'containers':[" C1 "]}"),
     "restricted", "v1.25", 0, NULL, NULL, NULL},
    {"windows_needs_nonroot", POD("{'os':{'name':'windows'},'containers':[" C1 "]}"), "restricted",
     "latest", 0, "runAsNonRoot", NULL, NULL},
    {"windows_exact_name",
     POD("{'os':{'name':'Windows'},'securityContext':{'runAsNonRoot':true},'containers':[" C1 "]}"),
     "restricted", "latest", F_MULTI, "allowPrivilegeEscalation", NULL, NULL},
    /* runAsNonRoot: precedence and the hostUsers waiver */
    {"nonroot_container_true",
     POD("{'securityContext':{'seccompProfile':{'type':'RuntimeDefault'}},'containers':[{'name':"
         "'c1','securityContext':{'runAsNonRoot':true,'allowPrivilegeEscalation':false,"
         "'capabilities':{'drop':['ALL']}}}]}"),
     "restricted", "latest", 0, NULL, NULL, NULL},
    {"nonroot_container_false",
     POD("{" RSC ",'initContainers':[{'name':'i','securityContext':{'runAsNonRoot':false,"
         "'allowPrivilegeEscalation':false,'capabilities':{'drop':['ALL']}}}],'containers':[" RC(
             "c1") "]}"),
     "restricted", "latest", 0, "runAsNonRoot", "runAsNonRoot != true",
     "container \"i\" must not set securityContext.runAsNonRoot=false"},
    {"nonroot_pod_false",
     POD("{'securityContext':{'runAsNonRoot':false,'seccompProfile':{'type':'RuntimeDefault'}},"
         "'containers':[" RC("c1") "," RC("c2") "]}"),
     "restricted", "latest", 0, "runAsNonRoot", "runAsNonRoot != true",
     "pod must not set securityContext.runAsNonRoot=false"},
    {"nonroot_missing",
     POD("{'securityContext':{'seccompProfile':{'type':'RuntimeDefault'}},'containers':[" RC(
         "c1") "," RC("c2") "]}"),
     "restricted", "latest", 0, "runAsNonRoot", "runAsNonRoot != true",
     "pod or containers \"c1\", \"c2\" must set securityContext.runAsNonRoot=true"},
    {"hostusers_1_34",
     POD("{'hostUsers':false,'securityContext':{'seccompProfile':{'type':'RuntimeDefault'}},"
         "'containers':[" RC("c1") "]}"),
     "restricted", "v1.34", 0, "runAsNonRoot", NULL, NULL},
    {"hostusers_1_34_relaxed",
     POD("{'hostUsers':false,'securityContext':{'seccompProfile':{'type':'RuntimeDefault'},"
         "'runAsUser':0},'containers':[" RC("c1") "]}"),
     "restricted", "v1.34", F_RELAX, NULL, NULL, NULL},
    {"hostusers_1_35",
     POD("{'hostUsers':false,'securityContext':{'seccompProfile':{'type':'RuntimeDefault'},"
         "'runAsUser':0},'containers':[" RC("c1") "]}"),
     "restricted", "v1.35", 0, NULL, NULL, NULL},
    /* runAsUser from v1.23 */
    {"runasuser_1_22",
     POD("{'securityContext':{'runAsNonRoot':true,'runAsUser':0,"
         "'seccompProfile':{'type':'RuntimeDefault'}},'containers':[" RC("c1") "]}"),
     "restricted", "v1.22", 0, NULL, NULL, NULL},
    {"runasuser_1_23",
     POD("{'securityContext':{'runAsNonRoot':true,'runAsUser':0,'seccompProfile':{'type':"
         "'RuntimeDefault'}},'containers':[{'name':'c1','securityContext':{'runAsUser':0,"
         "'allowPrivilegeEscalation':false,'capabilities':{'drop':['ALL']}}}]}"),
     "restricted", "v1.23", 0, "runAsUser", "runAsUser=0",
     "pod and container \"c1\" must not set runAsUser=0"},
    {"runasuser_nonzero",
     POD("{'securityContext':{'runAsNonRoot':true,'runAsUser':1000,"
         "'seccompProfile':{'type':'RuntimeDefault'}},'containers':[" RC("c1") "]}"),
     "restricted", "latest", 0, NULL, NULL, NULL},
    /* ephemeral containers are visited too */
    {"ephemeral",
     POD("{'containers':[" C1 "],'ephemeralContainers':[{'name':'dbg',"
         "'securityContext':{'privileged':true}}]}"),
     "baseline", "latest", 0, "privileged", "privileged",
     "container \"dbg\" must not set securityContext.privileged=true"},
    /* privileged level denies nothing */
    {"privileged_level",
     POD("{'hostNetwork':true,'containers':[{'name':'c','securityContext':"
         "{'privileged':true}}]}"),
     "privileged", "latest", 0, NULL, NULL, NULL},
    /* socklock's readOnlyRootFilesystem */
    {"rorfs", RPOD(""), "restricted", "latest", F_RORFS, "readOnlyRootFilesystem",
     "readOnlyRootFilesystem != true",
     "container \"c1\" must set securityContext.readOnlyRootFilesystem=true"},
    {"rorfs_ok",
     POD("{" RSC ",'containers':[{'name':'c1','securityContext':{'allowPrivilegeEscalation':"
         "false,'readOnlyRootFilesystem':true,'capabilities':{'drop':['ALL']}}}]}"),
     "restricted", "latest", F_RORFS, NULL, NULL, NULL},
};

START_TEST(test_pss_verdicts)
{
    const struct verdict_case *c = &cases[_i];
    struct sl_findings f;
    struct sl_error err = {0};
    enum sl_status rc = eval_pod(c->pod, c->level, c->version, c->flags, NULL, &f, &err);
    ck_assert_msg(rc == SL_OK, "%s: %s", c->name, err.msg);
    if (!c->check) {
        ck_assert_msg(f.len == 0, "%s: expected allowed, got %s (%s)", c->name,
                      f.len ? f.items[0].check : "", f.len ? f.items[0].detail : "");
    } else {
        ck_assert_msg(f.len == 1 || (c->flags & F_MULTI),
                      "%s: expected exactly %s, got %zu violations (first %s)", c->name, c->check,
                      f.len, f.len ? f.items[0].check : "-");
        const struct sl_violation *v = NULL;
        for (size_t i = 0; i < f.len; i++)
            if (strcmp(f.items[i].check, c->check) == 0)
                v = &f.items[i];
        ck_assert_msg(v != NULL, "%s: %s did not fail", c->name, c->check);
        if (c->reason)
            ck_assert_str_eq(v->reason, c->reason);
        if (c->detail)
            ck_assert_str_eq(v->detail, c->detail);
    }
    sl_pss_findings_cleanup(&f);
}
END_TEST

/* Violations come out in PSA's order: baseline ids sorted, then restricted ids sorted. */
START_TEST(test_pss_order_and_overrides)
{
    struct sl_findings f;
    struct sl_error err = {0};
    const char *pod = POD("{'hostNetwork':true,'volumes':[{'name':'h','hostPath':{}}],"
                          "'containers':[{'name':'c','securityContext':{'privileged':true,"
                          "'capabilities':{'add':['SYS_ADMIN']}}}]}");
    ck_assert(eval_pod(pod, "restricted", "latest", 0, NULL, &f, &err) == SL_OK);
    const char *want[] = {
        "hostNamespaces",    "privileged",   "allowPrivilegeEscalation", "capabilities_restricted",
        "restrictedVolumes", "runAsNonRoot", "seccompProfile_restricted"};
    ck_assert_uint_eq(f.len, SL_ARRAY_LEN(want));
    for (size_t i = 0; i < f.len; i++)
        ck_assert_str_eq(f.items[i].check, want[i]);
    sl_pss_findings_cleanup(&f);

    ck_assert(eval_pod(pod, "baseline", "latest", 0, NULL, &f, &err) == SL_OK);
    const char *want_b[] = {"capabilities_baseline", "hostNamespaces", "hostPathVolumes",
                            "privileged"};
    ck_assert_uint_eq(f.len, SL_ARRAY_LEN(want_b));
    for (size_t i = 0; i < f.len; i++)
        ck_assert_str_eq(f.items[i].check, want_b[i]);
    sl_pss_findings_cleanup(&f);

    /* Before v1.22 capabilities_baseline is not overridden at restricted. */
    ck_assert(eval_pod(pod, "restricted", "v1.21", 0, NULL, &f, &err) == SL_OK);
    ck_assert_str_eq(f.items[0].check, "capabilities_baseline");
    sl_pss_findings_cleanup(&f);
}
END_TEST

START_TEST(test_pss_only_check)
{
    struct sl_findings f;
    struct sl_error err = {0};
    const char *pod = POD("{'hostNetwork':true,'containers':[{'name':'c','securityContext':"
                          "{'privileged':true,'capabilities':{'add':['SYS_ADMIN']}}}]}");
    ck_assert(eval_pod(pod, "restricted", "latest", 0, "privileged", &f, &err) == SL_OK);
    ck_assert_uint_eq(f.len, 1);
    ck_assert_str_eq(f.items[0].check, "privileged");
    sl_pss_findings_cleanup(&f);
    /* Asked for by name, an overridden check still runs. */
    ck_assert(eval_pod(pod, "restricted", "latest", 0, "capabilities_baseline", &f, &err) == SL_OK);
    ck_assert_uint_eq(f.len, 1);
    sl_pss_findings_cleanup(&f);
    /* A restricted check does not run at baseline. */
    ck_assert(eval_pod(pod, "baseline", "latest", 0, "runAsNonRoot", &f, &err) == SL_OK);
    ck_assert_uint_eq(f.len, 0);
    sl_pss_findings_cleanup(&f);
    ck_assert(eval_pod(pod, "baseline", "latest", 0, "noSuchCheck", &f, &err) == SL_E_USAGE);
    sl_pss_findings_cleanup(&f);
}
END_TEST

static const struct {
    const char *pod;
    const char *msg;
} malformed[] = {
    {POD("{'containers':{}}"), "spec.containers is not an array"},
    {POD("{'containers':[" C1 ",5]}"), "spec.containers[1] is not an object"},
    {POD("{'containers':[" C1 ",{'name':'b','securityContext':'x'}]}"),
     "spec.containers[1].securityContext is not an object"},
    {POD("{'containers':[{'name':'a','securityContext':{'runAsNonRoot':'true'}}]}"),
     "spec.containers[0].securityContext.runAsNonRoot is not a boolean"},
    {POD("{'securityContext':{'runAsUser':-1},'containers':[" C1 "]}"),
     "spec.securityContext.runAsUser is out of range (0..2147483647)"},
    {POD("{'securityContext':{'runAsUser':1.5},'containers':[" C1 "]}"),
     "spec.securityContext.runAsUser is not an integer"},
    {POD("{'containers':[{'name':'a','securityContext':{'runAsUser':4294967296}}]}"),
     "spec.containers[0].securityContext.runAsUser is out of range (0..2147483647)"},
    {POD("{'containers':[{'name':'a','securityContext':{'capabilities':{'add':'SYS_ADMIN'}}}]}"),
     "spec.containers[0].securityContext.capabilities.add is not an array"},
    {POD("{'containers':[{'name':'a','securityContext':{'capabilities':{'drop':[1]}}}]}"),
     "spec.containers[0].securityContext.capabilities.drop[0] is not a string"},
    {POD("{'containers':[" C1 "],'volumes':{}}"), "spec.volumes is not an array"},
    {POD("{'containers':[" C1 "],'volumes':[{'name':'v','hostPath':'/'}]}"),
     "spec.volumes[0].hostPath is not an object"},
    {POD("{'hostNetwork':'yes','containers':[" C1 "]}"), "spec.hostNetwork is not a boolean"},
    {POD("{'initContainers':[{'name':'i','ports':[{'hostPort':'80'}]}]}"),
     "spec.initContainers[0].ports[0].hostPort is not an integer"},
    {POD("{'containers':[{'name':'a','livenessProbe':{'httpGet':{'host':7}}}]}"),
     "spec.containers[0].livenessProbe.httpGet.host is not a string"},
    {POD("{'securityContext':{'sysctls':[{'name':5}]},'containers':[" C1 "]}"),
     "spec.securityContext.sysctls[0].name is not a string"},
    {POD("{'os':{'name':1},'containers':[" C1 "]}"), "spec.os.name is not a string"},
    {POD_A("{'a':1}", "{'containers':[" C1 "]}"), "metadata.annotations[\"a\"] is not a string"},
    {POD("{'ephemeralContainers':[{'name':'e','securityContext':{'seccompProfile':"
         "{'type':false}}}]}"),
     "spec.ephemeralContainers[0].securityContext.seccompProfile.type is not a string"},
    {"{'spec':[]}", "spec is not an object"},
};

START_TEST(test_pss_malformed)
{
    struct sl_findings f;
    struct sl_error err = {0};
    /* Malformed input is an error at every level, privileged included. */
    static const char *const levels[] = {"privileged", "baseline", "restricted"};
    for (size_t l = 0; l < SL_ARRAY_LEN(levels); l++) {
        enum sl_status rc = eval_pod(malformed[_i].pod, levels[l], "latest", 0, NULL, &f, &err);
        ck_assert_msg(rc == SL_E_INVALID, "case %d: rc %d", _i, (int)rc);
        ck_assert_str_eq(err.msg, malformed[_i].msg);
        sl_pss_findings_cleanup(&f);
    }
}
END_TEST

START_TEST(test_pss_null_is_absent)
{
    struct sl_findings f;
    struct sl_error err = {0};
    const char *pod = POD("{'securityContext':null,'volumes':null,'initContainers':null,"
                          "'containers':[{'name':'c','securityContext':{'capabilities':null,"
                          "'privileged':null,'seccompProfile':null}}],'hostUsers':null}");
    ck_assert(eval_pod(pod, "baseline", "latest", 0, NULL, &f, &err) == SL_OK);
    ck_assert_uint_eq(f.len, 0);
    sl_pss_findings_cleanup(&f);
    /* Unknown fields are ignored, as the API server's typed decoding does. */
    ck_assert(eval_pod(POD("{'containers':[{'name':'c','foo':{'bar':1}}],'zzz':1}"), "baseline",
                       "latest", 0, NULL, &f, &err) == SL_OK);
    ck_assert_uint_eq(f.len, 0);
    sl_pss_findings_cleanup(&f);
}
END_TEST

START_TEST(test_pss_many_containers)
{
    json_t *pod = tu_json_sq(POD("{" RSC ",'containers':[]}"));
    json_t *ctrs = json_object_get(json_object_get(pod, "spec"), "containers");
    for (int i = 0; i < 10000; i++) {
        char name[32];
        snprintf(name, sizeof(name), "c%d", i);
        json_array_append_new(ctrs, json_pack("{s:s}", "name", name));
    }
    struct sl_pss_opts opts = {.level = SL_LEVEL_RESTRICTED, .version = SL_VERSION_LATEST};
    struct sl_findings f;
    struct sl_error err = {0};
    sl_pss_findings_init(&f);
    ck_assert(sl_pss_eval(json_object_get(pod, "metadata"), json_object_get(pod, "spec"), &opts, &f,
                          &err) == SL_OK);
    ck_assert_uint_eq(f.len, 2); /* allowPrivilegeEscalation, capabilities_restricted */
    ck_assert(strncmp(f.items[0].detail, "containers \"c0\", \"c1\", ", 23) == 0);
    sl_pss_findings_cleanup(&f);
    json_decref(pod);
}
END_TEST

START_TEST(test_pss_parse_version)
{
    int v = -1;
    ck_assert(sl_pss_parse_version("latest", &v) == SL_OK);
    ck_assert_int_eq(v, SL_VERSION_LATEST);
    ck_assert(sl_pss_parse_version("v1.0", &v) == SL_OK);
    ck_assert_int_eq(v, 0);
    ck_assert(sl_pss_parse_version("v1.37", &v) == SL_OK);
    ck_assert_int_eq(v, 37);
    ck_assert(sl_pss_parse_version("v1.99999999999999999999", &v) == SL_OK);
    ck_assert_int_gt(v, sl_pss_newest_version());
    static const char *const bad[] = {"1.2",   "v2.0",  "v1.x",  "v1.",   "v1",   "",
                                      "v1.-1", "v1.+2", "v1.02", "v1.2 ", "V1.2", "Latest"};
    for (size_t i = 0; i < SL_ARRAY_LEN(bad); i++)
        ck_assert_msg(sl_pss_parse_version(bad[i], &v) == SL_E_INVALID, "%s", bad[i]);
    ck_assert(sl_pss_parse_version(NULL, &v) == SL_E_INVALID);

    char buf[16];
    sl_pss_version_name(SL_VERSION_LATEST, buf, sizeof(buf));
    ck_assert_str_eq(buf, "latest");
    sl_pss_version_name(25, buf, sizeof(buf));
    ck_assert_str_eq(buf, "v1.25");
}
END_TEST

START_TEST(test_pss_parse_level_and_table)
{
    enum sl_level l;
    ck_assert(sl_pss_parse_level("privileged", &l) == SL_OK && l == SL_LEVEL_PRIVILEGED);
    ck_assert(sl_pss_parse_level("baseline", &l) == SL_OK && l == SL_LEVEL_BASELINE);
    ck_assert(sl_pss_parse_level("restricted", &l) == SL_OK && l == SL_LEVEL_RESTRICTED);
    ck_assert(sl_pss_parse_level("Restricted", &l) == SL_E_INVALID);
    ck_assert(sl_pss_parse_level("", &l) == SL_E_INVALID);
    ck_assert_str_eq(sl_pss_level_name(SL_LEVEL_BASELINE), "baseline");

    ck_assert(sl_pss_check_exists("procMount_restricted"));
    ck_assert(!sl_pss_check_exists("procmount"));
    ck_assert(!sl_pss_check_exists(NULL));
}
END_TEST

/* The table as Pod Security Admission's registry defines it (ids, levels, and the versions
 * at which each check starts or changes), written out here independently of src/pss, in
 * PSA's order. A row added, dropped, reordered or moved to another version fails this. */
static const struct {
    const char *id;
    enum sl_level level;
    unsigned extra;
    int versions[SL_PSS_MAX_VERSIONS];
    size_t nversions;
} want_table[] = {
    {"appArmorProfile", SL_LEVEL_BASELINE, 0, {0}, 1},
    {"capabilities_baseline", SL_LEVEL_BASELINE, 0, {0}, 1},
    {"hostNamespaces", SL_LEVEL_BASELINE, 0, {0}, 1},
    {"hostPathVolumes", SL_LEVEL_BASELINE, 0, {0}, 1},
    {"hostPorts", SL_LEVEL_BASELINE, 0, {0}, 1},
    {"hostProbesAndHostLifecycle", SL_LEVEL_BASELINE, 0, {34}, 1},
    {"privileged", SL_LEVEL_BASELINE, 0, {0}, 1},
    {"procMount", SL_LEVEL_BASELINE, 0, {0, 35}, 2},
    {"seLinuxOptions", SL_LEVEL_BASELINE, 0, {0, 31}, 2},
    {"seccompProfile_baseline", SL_LEVEL_BASELINE, 0, {0, 19}, 2},
    {"sysctls", SL_LEVEL_BASELINE, 0, {0, 27, 29, 32, 37}, 5},
    {"windowsHostProcess", SL_LEVEL_BASELINE, 0, {0}, 1},
    {"allowPrivilegeEscalation", SL_LEVEL_RESTRICTED, 0, {8, 25}, 2},
    {"capabilities_restricted", SL_LEVEL_RESTRICTED, 0, {22, 25}, 2},
    {"procMount_restricted", SL_LEVEL_RESTRICTED, 0, {35}, 1},
    {"restrictedVolumes", SL_LEVEL_RESTRICTED, 0, {0}, 1},
    {"runAsNonRoot", SL_LEVEL_RESTRICTED, 0, {0, 35}, 2},
    {"runAsUser", SL_LEVEL_RESTRICTED, 0, {23, 35}, 2},
    {"seccompProfile_restricted", SL_LEVEL_RESTRICTED, 0, {19, 25}, 2},
    {"readOnlyRootFilesystem", SL_LEVEL_PRIVILEGED, SL_PSS_EXTRA_READ_ONLY_ROOT_FS, {0}, 1},
};

START_TEST(test_pss_table_is_psa_registry)
{
    struct sl_error err = {0};
    ck_assert_msg(sl_pss_table_check(&err) == SL_OK, "%s", err.msg);
    ck_assert_uint_eq(sl_pss_check_count(), SL_ARRAY_LEN(want_table));
    for (size_t i = 0; i < SL_ARRAY_LEN(want_table); i++) {
        struct sl_pss_check_info ci;
        sl_pss_check_describe(i, &ci);
        ck_assert_str_eq(ci.id, want_table[i].id);
        ck_assert_int_eq(ci.level, want_table[i].level);
        ck_assert_uint_eq(ci.extra, want_table[i].extra);
        ck_assert_uint_eq(ci.nversions, want_table[i].nversions);
        for (size_t v = 0; v < ci.nversions; v++)
            ck_assert_msg(ci.versions[v] == want_table[i].versions[v], "%s row %zu: v1.%d", ci.id,
                          v, ci.versions[v]);
        ck_assert(sl_pss_check_exists(want_table[i].id));
    }
    /* "latest" is the newest version at which any row starts. */
    ck_assert_int_eq(sl_pss_newest_version(), 37);
}
END_TEST

/* Declared for -Wmissing-prototypes; the runner finds the suite by this name. */
extern Suite *suite_pss(void);

Suite *suite_pss(void)
{
    Suite *s = suite_create("pss");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_pss_verdicts, 0, (int)SL_ARRAY_LEN(cases));
    tcase_add_test(tc, test_pss_order_and_overrides);
    tcase_add_test(tc, test_pss_only_check);
    tcase_add_loop_test(tc, test_pss_malformed, 0, (int)SL_ARRAY_LEN(malformed));
    tcase_add_test(tc, test_pss_null_is_absent);
    tcase_add_test(tc, test_pss_many_containers);
    tcase_add_test(tc, test_pss_parse_version);
    tcase_add_test(tc, test_pss_parse_level_and_table);
    tcase_add_test(tc, test_pss_table_is_psa_registry);
    suite_add_tcase(s, tc);
    return s;
}
