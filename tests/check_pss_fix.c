/* pss fixers: for each fixer, the exact patch it makes (as sl_patch_diff writes it) for a pod
 * spec, and that fixing the fixed spec changes nothing. Cases cover parents present, absent,
 * null and empty, explicit values at pod and container level with and without override,
 * every container list, Windows pods, hostUsers: false, the ephemeral-containers
 * subresource, and names with '/' and '~' (which never reach a pointer: containers are
 * addressed by index). Pods are written with ' for ". The conformance suite applies the
 * same patches with the API server's own library. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "socklock/alloc.h"
#include "socklock/patch.h"
#include "socklock/pss.h"
#include "testutil.h"

Suite *suite_pss_fix(void); /* for the runner */

enum {
    RO = 1 << 0,       /* readOnlyRootFilesystem extra on */
    TMP = 1 << 1,      /* tmpDir */
    UID = 1 << 2,      /* runAsUser 10001 */
    OVERRIDE = 1 << 3, /* every fixable check may override */
    EPH = 1 << 4,      /* only ephemeral container "new" may change */
    V124 = 1 << 5,     /* policy version v1.24 instead of latest */
    BASELINE = 1 << 6, /* level baseline instead of restricted */
    SIZE = 1 << 7,     /* tmp sizeLimit 64Mi */
};

static const struct {
    const char *name;
    const char *spec; /* the pod spec */
    int flags;
    const char *ops; /* the exact patch, or "[]" */
} cases[] = {
    {"nothing set: container and pod parents created whole", "{'containers':[{'name':'a'}]}", 0,
     "[{'op':'add','path':'/containers/0/"
     "securityContext','value':{'allowPrivilegeEscalation':false,"
     "'capabilities':{'drop':['ALL']}}},"
     "{'op':'add','path':'/securityContext','value':{'runAsNonRoot':true,'seccompProfile':{'type':"
     "'RuntimeDefault'}}}]"},
    {"null parents are replaced",
     "{'securityContext':null,'containers':[{'name':'a','securityContext':null}]}", 0,
     "[{'op':'replace','path':'/securityContext','value':{'runAsNonRoot':true,'seccompProfile':{"
     "'type':'RuntimeDefault'}}},"
     "{'op':'replace','path':'/containers/0/securityContext','value':{'allowPrivilegeEscalation':"
     "false,'capabilities':{'drop':['ALL']}}}]"},
    {"empty parents get members",
     "{'securityContext':{},'containers':[{'name':'a','securityContext':{'capabilities':{}}}]}", 0,
     "[{'op':'add','path':'/securityContext/runAsNonRoot','value':true},"
     "{'op':'add','path':'/securityContext/seccompProfile','value':{'type':'RuntimeDefault'}},"
     "{'op':'add','path':'/containers/0/securityContext/capabilities/drop','value':['ALL']},"
     "{'op':'add','path':'/containers/0/securityContext/allowPrivilegeEscalation','value':false}]"},
    {"compliant: no patch",
     "{'securityContext':{'runAsNonRoot':true,'seccompProfile':{'type':'Localhost'}},"
     "'containers':[{'name':'a','securityContext':{'allowPrivilegeEscalation':false,"
     "'capabilities':{'drop':['ALL'],'add':['NET_BIND_SERVICE']}}}]}",
     0, "[]"},
    {"explicit values stay without override",
     "{'securityContext':{'runAsNonRoot':false,'seccompProfile':{'type':'Unconfined'}},"
     "'containers':[{'name':'a','securityContext':{'allowPrivilegeEscalation':true,"
     "'runAsNonRoot':false,'capabilities':{'drop':['ALL'],'add':['CHOWN']}}}]}",
     0, "[]"},
    {"explicit values replaced with override",
     "{'securityContext':{'runAsNonRoot':false,'seccompProfile':{'type':'Unconfined'}},"
     "'containers':[{'name':'a','securityContext':{'allowPrivilegeEscalation':true,"
     "'runAsNonRoot':false,'capabilities':{'drop':['ALL'],'add':['CHOWN']}}}]}",
     OVERRIDE,
     "[{'op':'replace','path':'/securityContext/runAsNonRoot','value':true},"
     "{'op':'replace','path':'/securityContext/seccompProfile/type','value':'RuntimeDefault'},"
     "{'op':'replace','path':'/containers/0/securityContext/"
     "allowPrivilegeEscalation','value':false},"
     "{'op':'replace','path':'/containers/0/securityContext/runAsNonRoot','value':true},"
     "{'op':'remove','path':'/containers/0/securityContext/capabilities/add/0'}]"},
    {"every container list, in PSA's order",
     "{'securityContext':{'runAsNonRoot':true,'seccompProfile':{'type':'RuntimeDefault'}},"
     "'initContainers':[{'name':'i'}],'containers':[{'name':'c','securityContext':"
     "{'allowPrivilegeEscalation':false,'capabilities':{'drop':['ALL']}}}],"
     "'ephemeralContainers':[{'name':'e'}]}",
     0,
     "[{'op':'add','path':'/initContainers/0/securityContext','value':{'allowPrivilegeEscalation':"
     "false,'capabilities':{'drop':['ALL']}}},"
     "{'op':'add','path':'/ephemeralContainers/0/securityContext','value':{"
     "'allowPrivilegeEscalation':false,'capabilities':{'drop':['ALL']}}}]"},
    {"capability names normalised, no repeats; others kept",
     "{'securityContext':{'runAsNonRoot':true,'seccompProfile':{'type':'RuntimeDefault'}},"
     "'containers':[{'name':'a','securityContext':{'allowPrivilegeEscalation':false,"
     "'capabilities':{'drop':['all','ALL','kill'],'add':['cap_net_bind_service',"
     "'NET_BIND_SERVICE','CHOWN']}}}]}",
     0,
     "[{'op':'replace','path':'/containers/0/securityContext/capabilities/drop/0','value':'ALL'},"
     "{'op':'replace','path':'/containers/0/securityContext/capabilities/drop/1','value':'kill'},"
     "{'op':'remove','path':'/containers/0/securityContext/capabilities/drop/2'},"
     "{'op':'replace','path':'/containers/0/securityContext/capabilities/add/0','value':"
     "'NET_BIND_SERVICE'},"
     "{'op':'replace','path':'/containers/0/securityContext/capabilities/add/1','value':'CHOWN'},"
     "{'op':'remove','path':'/containers/0/securityContext/capabilities/add/2'}]"},
    {"baseline: only names normalised, nothing required",
     "{'containers':[{'name':'a','securityContext':{'capabilities':{'add':['chown']}}}]}", BASELINE,
     "[{'op':'replace','path':'/containers/0/securityContext/capabilities/add/0','value':"
     "'CHOWN'}]"},
    {"privileged or CAP_SYS_ADMIN: allowPrivilegeEscalation left unset (the API refuses false)",
     "{'securityContext':{'runAsNonRoot':true,'seccompProfile':{'type':'RuntimeDefault'}},"
     "'containers':[{'name':'p','securityContext':{'privileged':true,'capabilities':{'drop':"
     "['ALL']}}},{'name':'s','securityContext':{'capabilities':{'drop':['ALL'],'add':"
     "['CAP_SYS_ADMIN']}}}]}",
     0, "[]"},
    {"CAP_SYS_ADMIN taken out by override: allowPrivilegeEscalation false then allowed",
     "{'securityContext':{'runAsNonRoot':true,'seccompProfile':{'type':'RuntimeDefault'}},"
     "'containers':[{'name':'s','securityContext':{'capabilities':{'drop':['ALL'],'add':"
     "['CAP_SYS_ADMIN']}}}]}",
     OVERRIDE,
     "[{'op':'remove','path':'/containers/0/securityContext/capabilities/add/0'},"
     "{'op':'add','path':'/containers/0/securityContext/allowPrivilegeEscalation','value':"
     "false}]"},
    {"Windows pod: only runAsNonRoot, the one field the API allows there",
     "{'os':{'name':'windows'},'containers':[{'name':'a'}]}", V124,
     "[{'op':'add','path':'/securityContext','value':{'runAsNonRoot':true}}]"},
    {"hostUsers: false at latest: runAsNonRoot and runAsUser waived",
     "{'hostUsers':false,'securityContext':{'seccompProfile':{'type':'RuntimeDefault'}},"
     "'containers':[{'name':'a','securityContext':{'allowPrivilegeEscalation':false,"
     "'capabilities':{'drop':['ALL']}}}]}",
     UID, "[]"},
    {"runAsUser where the profile names one; explicit 0 replaced only with override",
     "{'containers':[{'name':'a','securityContext':{'runAsUser':0,'allowPrivilegeEscalation':"
     "false,'capabilities':{'drop':['ALL']}}}]}",
     UID | OVERRIDE,
     "[{'op':'replace','path':'/containers/0/securityContext/runAsUser','value':10001},"
     "{'op':'add','path':'/securityContext','value':{'runAsNonRoot':true,'runAsUser':10001,"
     "'seccompProfile':{'type':'RuntimeDefault'}}}]"},
    {"read-only root filesystem with a writable /tmp",
     "{'securityContext':{'runAsNonRoot':true,'seccompProfile':{'type':'RuntimeDefault'}},"
     "'containers':[{'name':'a','securityContext':{'allowPrivilegeEscalation':false,"
     "'capabilities':{'drop':['ALL']}}},{'name':'b','volumeMounts':[{'name':'t','mountPath':"
     "'/tmp'}],'securityContext':{'allowPrivilegeEscalation':false,'capabilities':{'drop':"
     "['ALL']}}}],'volumes':[{'name':'t','emptyDir':{}}]}",
     RO | TMP | SIZE,
     "[{'op':'add','path':'/containers/0/securityContext/readOnlyRootFilesystem','value':true},"
     "{'op':'add','path':'/containers/0/volumeMounts','value':[{'name':'socklock-tmp',"
     "'mountPath':'/tmp'}]},"
     "{'op':'add','path':'/containers/1/securityContext/readOnlyRootFilesystem','value':true},"
     "{'op':'add','path':'/volumes/1','value':{'name':'socklock-tmp','emptyDir':{'sizeLimit':"
     "'64Mi'}}}]"},
    {"a volume named socklock-tmp that is not an emptyDir: no /tmp mount",
     "{'securityContext':{'runAsNonRoot':true,'seccompProfile':{'type':'RuntimeDefault'}},"
     "'containers':[{'name':'a','securityContext':{'allowPrivilegeEscalation':false,"
     "'capabilities':{'drop':['ALL']}}}],'volumes':[{'name':'socklock-tmp','secret':{}}]}",
     RO | TMP,
     "[{'op':'add','path':'/containers/0/securityContext/readOnlyRootFilesystem','value':true}]"},
    {"pods/ephemeralcontainers: only the container added, at its own level",
     "{'containers':[{'name':'a'}],'ephemeralContainers':[{'name':'old'},{'name':'new'}]}",
     EPH | RO | TMP,
     "[{'op':'add','path':'/ephemeralContainers/1/securityContext','value':{"
     "'allowPrivilegeEscalation':false,'capabilities':{'drop':['ALL']},'runAsNonRoot':true,"
     "'seccompProfile':{'type':'RuntimeDefault'},'readOnlyRootFilesystem':true}}]"},
    {"names with '/' and '~' stay out of pointers",
     "{'containers':[{'name':'a/b~c'}],'ephemeralContainers':[{'name':'~1/'}]}", EPH,
     "[{'op':'add','path':'/ephemeralContainers/0/securityContext','value':{"
     "'allowPrivilegeEscalation':false,'capabilities':{'drop':['ALL']},'runAsNonRoot':true,"
     "'seccompProfile':{'type':'RuntimeDefault'}}}]"},
};

/* Fixes spec under the case's settings and returns the patch (a new reference). */
static json_t *fix(const json_t *spec, int flags)
{
    static const char *const fixable[] = {"allowPrivilegeEscalation",
                                          "capabilities_baseline",
                                          "capabilities_restricted",
                                          "readOnlyRootFilesystem",
                                          "runAsNonRoot",
                                          "runAsUser",
                                          "seccompProfile_baseline",
                                          "seccompProfile_restricted"};
    struct sl_strlist override = {0}, only = {0};
    for (size_t i = 0; (flags & OVERRIDE) && i < SL_ARRAY_LEN(fixable); i++)
        sl_strlist_add(&override, fixable[i]);
    sl_strlist_add(&only, "new");
    sl_strlist_add(&only, "~1/");
    struct sl_pss_opts opts = {
        .level = (flags & BASELINE) ? SL_LEVEL_BASELINE : SL_LEVEL_RESTRICTED,
        .version = (flags & V124) ? 24 : SL_VERSION_LATEST,
        .extras = (flags & RO) ? SL_PSS_EXTRA_READ_ONLY_ROOT_FS : 0u,
    };
    struct sl_pss_fix_opts fo = {
        .override = &override,
        .run_as_user = (flags & UID) ? 10001 : -1,
        .tmp_dir = (flags & TMP) != 0,
        .tmp_size_limit = (flags & SIZE) ? "64Mi" : NULL,
        .only_ephemeral = (flags & EPH) ? &only : NULL,
    };
    json_t *out = NULL;
    json_t *before = json_deep_copy(spec);
    struct sl_error err = {0};
    ck_assert_msg(sl_pss_fix(NULL, spec, &opts, &fo, &out, &err) == SL_OK, "%s", err.msg);
    /* The fixed copy shares what it does not change; the spec itself is never written. */
    ck_assert(json_equal(spec, before));
    json_decref(before);
    json_t *ops = json_array();
    sl_patch_diff(spec, out, "", ops);
    json_decref(out);
    sl_strlist_cleanup(&override);
    sl_strlist_cleanup(&only);
    return ops;
}

START_TEST(test_pss_fix_makes_the_expected_patch)
{
    json_t *spec = tu_json_sq(cases[_i].spec);
    json_t *want = tu_json_sq(cases[_i].ops);
    json_t *ops = fix(spec, cases[_i].flags);
    char *got = json_dumps(ops, JSON_COMPACT);
    ck_assert_msg(json_equal(ops, want), "%s:\n got %s", cases[_i].name, got);
    free(got);
    /* Fixing the fixed spec changes nothing (the webhook may be called again). */
    struct sl_error err = {0};
    ck_assert_int_eq(sl_patch_apply(&spec, ops, &err), SL_OK);
    json_t *again = fix(spec, cases[_i].flags);
    char *more = json_dumps(again, JSON_COMPACT);
    ck_assert_msg(json_array_size(again) == 0, "%s: second pass %s", cases[_i].name, more);
    free(more);
    json_decref(again);
    json_decref(ops);
    json_decref(want);
    json_decref(spec);
}
END_TEST

START_TEST(test_pss_fix_leaves_what_it_cannot_understand)
{
    json_t *spec = tu_json_sq("{'containers':{}}");
    json_t *out = spec;
    struct sl_pss_opts opts = {.level = SL_LEVEL_RESTRICTED, .version = SL_VERSION_LATEST};
    struct sl_pss_fix_opts fo = {.run_as_user = -1};
    struct sl_error err = {0};
    ck_assert_int_eq(sl_pss_fix(NULL, spec, &opts, &fo, &out, &err), SL_E_INVALID);
    ck_assert_str_eq(err.msg, "spec.containers is not an array");
    ck_assert_ptr_null(out);
    json_decref(spec);
}
END_TEST

START_TEST(test_pss_fixable_checks)
{
    ck_assert(sl_pss_check_fixable("runAsNonRoot"));
    ck_assert(sl_pss_check_fixable("readOnlyRootFilesystem"));
    ck_assert(sl_pss_check_fixable("seccompProfile_baseline"));
    ck_assert(!sl_pss_check_fixable("privileged"));
    ck_assert(!sl_pss_check_fixable("hostPathVolumes"));
    ck_assert(!sl_pss_check_fixable("nope"));
}
END_TEST

Suite *suite_pss_fix(void)
{
    Suite *s = suite_create("pss_fix");
    TCase *tc = tcase_create("fix");
    tcase_add_loop_test(tc, test_pss_fix_makes_the_expected_patch, 0, (int)SL_ARRAY_LEN(cases));
    tcase_add_test(tc, test_pss_fix_leaves_what_it_cannot_understand);
    tcase_add_test(tc, test_pss_fixable_checks);
    suite_add_tcase(s, tc);
    return s;
}
