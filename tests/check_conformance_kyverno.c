/* Conformance: the Kyverno policy library's Pod Security tests
 * (../shared/conformance/kyverno-policies), judged against the column psa_v1.37_reading:
 * what PSA at v1.37 decides for the PSA check a Kyverno policy corresponds to. Rows read
 * "n/a" have no PSA equivalent and are skipped. Each row evaluates only the mapped check
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

struct row {
    char *col[NCOL];
};

static size_t read_rows(const char *file, struct row **rows)
{
    FILE *f = fopen(file, "r");
    ck_assert_msg(f != NULL, "cannot open %s", file);
    char *line = NULL;
    size_t cap = 0, n = 0, alloc = 0;
    bool header = true;
    *rows = NULL;
    while (getline(&line, &cap, f) > 0) {
        line[strcspn(line, "\r\n")] = '\0';
        if (header || !*line) {
            header = false;
            continue;
        }
        struct row r = {{0}};
        char *p = line;
        for (int i = 0; i < NCOL; i++) {
            ck_assert_msg(p != NULL, "short line %zu in %s", n + 2, file);
            char *tab = strchr(p, '\t');
            if (tab)
                *tab = '\0';
            r.col[i] = sl_xstrdup(p);
            p = tab ? tab + 1 : NULL;
        }
        if (n == alloc) {
            alloc = alloc ? alloc * 2 : 256;
            *rows = sl_xrealloc(*rows, alloc * sizeof(**rows));
        }
        (*rows)[n++] = r;
    }
    free(line);
    fclose(f);
    return n;
}

/* Converts YAML files (relative to base) with python3-yaml: an object mapping each path to
 * the array of its documents (empty ones kept as null: the doc column counts them). */
static json_t *yaml_files_to_json(const char *base, struct row *rows, size_t n)
{
    char dir[] = "/tmp/sl-kyv-XXXXXX";
    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp failed");
    char *list = sl_xasprintf("%s/list", dir), *out = sl_xasprintf("%s/out.json", dir);
    FILE *f = fopen(list, "w");
    ck_assert(f != NULL);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s\n", rows[i].col[C_PATH]);
    fclose(f);
    char *cmd = sl_xasprintf("python3 -c 'import sys, json, yaml\n"
                             "base, lst, out = sys.argv[1:4]\n"
                             "res = {}\n"
                             "for p in open(lst).read().split(\"\\n\"):\n"
                             "    if p and p not in res:\n"
                             "        res[p] = list(yaml.safe_load_all(open(base + \"/\" + p)))\n"
                             "json.dump(res, open(out, \"w\"), default=str)\n"
                             "' '%s' '%s' '%s'",
                             base, list, out);
    int st = system(cmd);
    ck_assert_msg(st == 0, "python3 YAML conversion failed (is python3-yaml installed?)");
    json_t *docs = tu_json_file(out);
    unlink(list);
    unlink(out);
    rmdir(dir);
    free(cmd);
    free(list);
    free(out);
    ck_assert(json_is_object(docs));
    return docs;
}

/* Judges one row: 1 deny, 0 allow, -1 error (printed). */
static int judge_row(const struct row *r, const json_t *obj, const char *check)
{
    char group[64];
    struct sl_podref ref;
    struct sl_error err = {0};
    const char *what = r->col[C_NAME];

    const json_t *kind = json_object_get(obj, "kind"),
                 *name = json_object_get(json_object_get(obj, "metadata"), "name");
    if (!json_is_string(kind) || strcmp(json_string_value(kind), r->col[C_KIND]) != 0 ||
        !json_is_string(name) || strcmp(json_string_value(name), r->col[C_NAME]) != 0) {
        printf("kyverno: %s doc %s is not %s %s\n", r->col[C_PATH], r->col[C_DOC], r->col[C_KIND],
               r->col[C_NAME]);
        return -1;
    }
    sl_workload_group_of(json_string_value(json_object_get(obj, "apiVersion")), group,
                         sizeof(group));
    if (sl_workload_find(obj, group, r->col[C_KIND], &ref, &err) != SL_OK) {
        printf("kyverno: %s: cannot find pod spec: %s\n", what, err.msg);
        return -1;
    }
    struct sl_pss_opts opts = {.version = SL_VERSION_LATEST, .only_check = check};
    ck_assert(sl_pss_parse_level(r->col[C_LEVEL], &opts.level) == SL_OK);
    struct sl_findings out;
    sl_findings_init(&out);
    enum sl_status rc = sl_pss_eval(ref.meta, ref.spec, &opts, &out, &err);
    int verdict = out.len > 0;
    for (size_t i = 0; i < SL_ARRAY_LEN(rule_parts); i++) {
        if (strcmp(rule_parts[i].rule, r->col[C_RULE]) != 0)
            continue;
        verdict = 0;
        for (size_t j = 0; j < out.len; j++) {
            const char *d = out.items[j].detail;
            if (strstr(d, rule_parts[i].needle1) ||
                (rule_parts[i].needle2 && strstr(d, rule_parts[i].needle2)))
                verdict = 1;
        }
    }
    sl_findings_cleanup(&out);
    if (rc != SL_OK) {
        printf("kyverno: %s: error %s\n", what, err.msg);
        return -1;
    }
    return verdict;
}

START_TEST(test_conformance_kyverno_expected)
{
    const char *conf = tu_conformance_dir();
    if (!conf) {
        printf("SKIP conformance_kyverno: ../shared/conformance absent\n");
        return;
    }
    char *base = sl_xasprintf("%s/kyverno-policies", conf);
    char *file = sl_xasprintf("%s/expected.tsv", base);
    struct row *rows;
    size_t n = read_rows(file, &rows);
    ck_assert_uint_gt(n, 0);
    json_t *files = yaml_files_to_json(base, rows, n);

    int judged = 0, pass = 0, skipped = 0;
    int ppass[SL_ARRAY_LEN(policy_map)] = {0}, ptotal[SL_ARRAY_LEN(policy_map)] = {0};
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        if (strcmp(r->col[C_READ], "n/a") == 0) {
            skipped++;
            continue;
        }
        size_t p = 0;
        while (p < SL_ARRAY_LEN(policy_map) && strcmp(policy_map[p].policy, r->col[C_POLICY]) != 0)
            p++;
        ck_assert_msg(p < SL_ARRAY_LEN(policy_map), "unmapped policy %s", r->col[C_POLICY]);
        const json_t *obj = json_array_get(json_object_get(files, r->col[C_PATH]),
                                           (size_t)strtoul(r->col[C_DOC], NULL, 10));
        int got = obj ? judge_row(r, obj, policy_map[p].check) : -1;
        int want = strcmp(r->col[C_READ], "deny") == 0;
        judged++;
        ptotal[p]++;
        if (got == want) {
            pass++;
            ppass[p]++;
        } else {
            printf("kyverno mismatch: %s doc %s (%s %s) %s/%s: reading %s, got %s\n",
                   r->col[C_PATH], r->col[C_DOC], r->col[C_KIND], r->col[C_NAME], r->col[C_POLICY],
                   r->col[C_RULE], r->col[C_READ],
                   got < 0 ? "error"
                   : got   ? "deny"
                           : "allow");
        }
    }
    for (size_t p = 0; p < SL_ARRAY_LEN(policy_map); p++)
        printf("kyverno %s: %d/%d\n", policy_map[p].policy, ppass[p], ptotal[p]);
    printf("kyverno total: %d/%d (%d n/a rows skipped)\n", pass, judged, skipped);
    fflush(stdout);

    json_decref(files);
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < NCOL; c++)
            free(rows[i].col[c]);
    free(rows);
    free(file);
    free(base);
    ck_assert_int_eq(pass, judged);
}
END_TEST

/* Declared here for -Wmissing-prototypes; "extern" keeps the runner's grep to one match. */
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
