/* Conformance: the Kyverno policy library's Pod Security tests
 * (tests/conformance/kyverno-policies), judged against the column psa_v1.37_reading:
 * what PSA at v1.37 decides for the PSA check a Kyverno policy corresponds to. Rows read
 * "n/a" have no PSA equivalent and are not judged (they are counted and the count is
 * printed). Each row evaluates only the mapped check
 * (the podSecurity subrule rows evaluate the whole level), on the pod spec of the Pod,
 * Deployment or CronJob found by sl_workload_find. Two policies are read per rule, and
 * there the rule's part of PSA's detail text decides: disallow-selinux (type vs user and
 * role) and disallow-capabilities-strict (drop ALL vs add). The YAML resources are
 * converted to JSON by python3-yaml, independently of socklock's YAML reader. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "socklock/alloc.h"
#include "socklock/pss.h"
#include "socklock/workload.h"
#include "testutil.h"

/* Kyverno policy -> PSA check id; NULL id means the whole level. */
static const struct {
    const char *policy;
    const char *check;
} policy_map[] = {
    {"disallow-capabilities", "capabilities_baseline"},
    {"disallow-capabilities-strict", "capabilities_restricted"},
    {"disallow-host-namespaces", "hostNamespaces"},
    {"disallow-host-path", "hostPathVolumes"},
    {"disallow-host-ports", "hostPorts"},
    {"disallow-host-ports-range", "hostPorts"},
    {"disallow-host-process", "windowsHostProcess"},
    {"disallow-privilege-escalation", "allowPrivilegeEscalation"},
    {"disallow-privileged-containers", "privileged"},
    {"disallow-proc-mount", "procMount"},
    {"disallow-selinux", "seLinuxOptions"},
    {"restrict-apparmor-profiles", "appArmorProfile"},
    {"restrict-seccomp", "seccompProfile_baseline"},
    {"restrict-sysctls", "sysctls"},
    {"require-run-as-non-root-user", "runAsUser"},
    {"require-run-as-nonroot", "runAsNonRoot"},
    {"restrict-seccomp-strict", "seccompProfile_restricted"},
    {"restrict-volume-types", "restrictedVolumes"},
    {"podsecurity-subrule-baseline", NULL},
    {"podsecurity-subrule-restricted", NULL},
};

/* Rules judged by their part of the check's detail: the rule fails when the detail holds
 * `needle`. */
static const struct {
    const char *rule;
    const char *needle1, *needle2;
} rule_parts[] = {
    {"selinux-type", "forbidden securityContext.seLinuxOptions: type", NULL},
    {"selinux-user-role", "user may not be set", "role may not be set"},
    {"require-drop-all", "must set securityContext.capabilities.drop=[\"ALL\"]", NULL},
    {"adding-capabilities-strict", "in securityContext.capabilities.add", NULL},
};

enum { C_PATH, C_DOC, C_KIND, C_NAME, C_LEVEL, C_POLICY, C_RULE, C_EXPECT, C_SOURCE, C_READ, NCOL };

/* Judges one row: 1 deny, 0 allow, -1 error (printed). */
static int judge_row(char *const *r, const json_t *obj, const char *check)
{
    char group[64];
    struct sl_podref ref;
    struct sl_error err = {0};
    const char *what = r[C_NAME];

    const json_t *kind = json_object_get(obj, "kind"),
                 *name = json_object_get(json_object_get(obj, "metadata"), "name");
    if (!json_is_string(kind) || strcmp(json_string_value(kind), r[C_KIND]) != 0 ||
        !json_is_string(name) || strcmp(json_string_value(name), r[C_NAME]) != 0) {
        printf("kyverno: %s doc %s is not %s %s\n", r[C_PATH], r[C_DOC], r[C_KIND], r[C_NAME]);
        return -1;
    }
    sl_workload_group_of(json_string_value(json_object_get(obj, "apiVersion")), group,
                         sizeof(group));
    if (sl_workload_find(obj, group, r[C_KIND], &ref, &err) != SL_OK) {
        printf("kyverno: %s: cannot find pod spec: %s\n", what, err.msg);
        return -1;
    }
    struct sl_pss_opts opts = {.version = SL_VERSION_LATEST, .only_check = check};
    ck_assert(sl_pss_parse_level(r[C_LEVEL], &opts.level) == SL_OK);
    struct sl_findings out;
    sl_pss_findings_init(&out);
    enum sl_status rc = sl_pss_eval(ref.meta, ref.spec, &opts, &out, &err);
    int verdict = out.len > 0;
    for (size_t i = 0; i < SL_ARRAY_LEN(rule_parts); i++) {
        if (strcmp(rule_parts[i].rule, r[C_RULE]) != 0)
            continue;
        verdict = 0;
        for (size_t j = 0; j < out.len; j++) {
            const char *d = out.items[j].detail;
            if (strstr(d, rule_parts[i].needle1) ||
                (rule_parts[i].needle2 && strstr(d, rule_parts[i].needle2)))
                verdict = 1;
        }
    }
    sl_pss_findings_cleanup(&out);
    if (rc != SL_OK) {
        printf("kyverno: %s: error %s\n", what, err.msg);
        return -1;
    }
    return verdict;
}

START_TEST(test_conformance_kyverno_expected)
{
    char *base = tu_conformance_set("kyverno-policies", "expected.tsv");
    char *file = sl_xasprintf("%s/expected.tsv", base);
    struct tu_tsv tsv;
    tu_tsv_read(file, NCOL, &tsv);
    size_t n = tsv.nrows;
    ck_assert_uint_gt(n, 0);
    char **paths = sl_xcalloc(n, sizeof(*paths));
    for (size_t i = 0; i < n; i++)
        paths[i] = tsv.cells[i][C_PATH];
    json_t *files = tu_yaml_files(base, paths, n);
    free(paths);

    int judged = 0, pass = 0, not_judged = 0;
    int ppass[SL_ARRAY_LEN(policy_map)] = {0}, ptotal[SL_ARRAY_LEN(policy_map)] = {0};
    for (size_t i = 0; i < n; i++) {
        char *const *r = tsv.cells[i];
        if (strcmp(r[C_READ], "n/a") == 0) {
            not_judged++;
            continue;
        }
        size_t p = 0;
        while (p < SL_ARRAY_LEN(policy_map) && strcmp(policy_map[p].policy, r[C_POLICY]) != 0)
            p++;
        ck_assert_msg(p < SL_ARRAY_LEN(policy_map), "unmapped policy %s", r[C_POLICY]);
        const json_t *obj =
            json_array_get(json_object_get(files, r[C_PATH]), (size_t)strtoul(r[C_DOC], NULL, 10));
        int got = obj ? judge_row(r, obj, policy_map[p].check) : -1;
        int want = strcmp(r[C_READ], "deny") == 0;
        judged++;
        ptotal[p]++;
        if (got == want) {
            pass++;
            ppass[p]++;
        } else {
            printf("kyverno mismatch: %s doc %s (%s %s) %s/%s: reading %s, got %s\n", r[C_PATH],
                   r[C_DOC], r[C_KIND], r[C_NAME], r[C_POLICY], r[C_RULE], r[C_READ],
                   got < 0 ? "error"
                   : got   ? "deny"
                           : "allow");
        }
    }
    for (size_t p = 0; p < SL_ARRAY_LEN(policy_map); p++)
        printf("kyverno %s: %d/%d\n", policy_map[p].policy, ppass[p], ptotal[p]);
    printf("kyverno total: %d/%d (%d rows read n/a: no PSA equivalent, not judged)\n", pass, judged,
           not_judged);
    fflush(stdout);

    json_decref(files);
    tu_tsv_free(&tsv);
    free(file);
    free(base);
    ck_assert_int_eq(pass, judged);
    /* The vendored table (its README): 2248 rows, 186 of them read n/a. A truncated or
     * misread table fails here rather than passing with fewer rows. */
    ck_assert_int_eq(judged + not_judged, 2248);
    ck_assert_int_eq(not_judged, 186);
}
END_TEST

/* Declared for -Wmissing-prototypes; the runner finds the suite by this name. */
extern Suite *suite_conformance_kyverno(void);

Suite *suite_conformance_kyverno(void)
{
    Suite *s = suite_create("conformance_kyverno");
    TCase *tc = tcase_create("expected");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_conformance_kyverno_expected);
    suite_add_tcase(s, tc);
    return s;
}
