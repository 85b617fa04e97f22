/* Conformance: the Kubernetes project's own Pod Security Admission fixtures
 * (tests/conformance/pod-security-admission). Each fixture is one Pod, to be allowed or
 * denied at one level and pinned version; we evaluate every one with socklock's extras off
 * and count matches per level and version. The YAML fixtures are converted to JSON by
 * python3-yaml once per run, so this suite does not depend on socklock's own YAML reader
 * (which has its own tests). Also asserted, from the policy code (README section 5): a
 * restricted pass is a baseline pass at the same version, a baseline fail is a restricted
 * fail, and every fixture is allowed at privileged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "socklock/alloc.h"
#include "socklock/pss.h"
#include "testutil.h"

/* Fixtures we believe wrong, with the reason: none. Listed here so that a skip is never
 * silent; each is printed when the suite runs. */
static const struct {
    const char *path;
    const char *why;
} believed_wrong[] = {{NULL, NULL}};

enum { C_PATH, C_LEVEL, C_VERSION, C_EXPECT, C_CHECK, NCOL };

/* Evaluates pod at level/version; returns 1 denied, 0 allowed, -1 error (printed). */
static int judge(const json_t *pod, enum sl_level level, int version, const char *what)
{
    struct sl_pss_opts opts = {.level = level, .version = version};
    struct sl_findings out;
    struct sl_error err = {0};
    sl_pss_findings_init(&out);
    enum sl_status rc = sl_pss_eval(json_object_get(pod, "metadata"), json_object_get(pod, "spec"),
                                    &opts, &out, &err);
    int verdict = out.len > 0;
    sl_pss_findings_cleanup(&out);
    if (rc != SL_OK) {
        printf("psa %s: error %s\n", what, err.msg);
        return -1;
    }
    return verdict;
}

struct tally {
    char key[48];
    int pass, total;
};

static void tally_add(struct tally *t, size_t *nt, const char *key, bool ok)
{
    for (size_t i = 0; i < *nt; i++) {
        if (strcmp(t[i].key, key) == 0) {
            t[i].total++;
            t[i].pass += ok;
            return;
        }
    }
    snprintf(t[*nt].key, sizeof(t[*nt].key), "%s", key);
    t[*nt].total = 1;
    t[*nt].pass = ok;
    (*nt)++;
}

static int version_minor(const char *key)
{
    const char *p = strstr(key, "v1.");
    return p ? atoi(p + 3) : 0;
}

static int cmp_tally(const void *a, const void *b)
{
    const struct tally *x = a, *y = b;
    int c = strncmp(x->key, y->key, 5); /* "basel" vs "restr" */
    if (c)
        return c;
    return version_minor(x->key) - version_minor(y->key);
}

START_TEST(test_conformance_psa_fixtures)
{
    for (size_t i = 0; believed_wrong[i].path; i++)
        printf("psa: fixture %s believed wrong: %s\n", believed_wrong[i].path,
               believed_wrong[i].why);

    char *base = tu_conformance_set("pod-security-admission", "manifest.tsv");
    char *manifest = sl_xasprintf("%s/manifest.tsv", base);
    struct tu_tsv tsv;
    tu_tsv_read(manifest, NCOL, &tsv);
    size_t n = tsv.nrows;
    ck_assert_uint_gt(n, 0);
    char **paths = sl_xcalloc(n, sizeof(*paths));
    for (size_t i = 0; i < n; i++)
        paths[i] = tsv.cells[i][C_PATH];
    json_t *docs = tu_yaml_files(base, paths, n);

    struct tally *t = sl_xcalloc(2 * 64, sizeof(*t));
    size_t nt = 0;
    int pass = 0, mismatches = 0, implication_failures = 0;
    for (size_t i = 0; i < n; i++) {
        char **row = tsv.cells[i];
        const json_t *pod = json_array_get(json_object_get(docs, row[C_PATH]), 0);
        enum sl_level level;
        int version;
        ck_assert(sl_pss_parse_level(row[C_LEVEL], &level) == SL_OK);
        ck_assert(sl_pss_parse_version(row[C_VERSION], &version) == SL_OK);
        bool want_deny = strcmp(row[C_EXPECT], "deny") == 0;
        bool wrong = false;
        for (size_t w = 0; believed_wrong[w].path; w++)
            wrong = wrong || strcmp(believed_wrong[w].path, row[C_PATH]) == 0;

        int got = judge(pod, level, version, row[C_PATH]);
        bool ok = got == (want_deny ? 1 : 0);
        if (!ok && !wrong) {
            mismatches++;
            printf("psa mismatch: %s expected %s, got %s\n", row[C_PATH], row[C_EXPECT],
                   got < 0 ? "error"
                   : got   ? "deny"
                           : "allow");
        }
        pass += ok;
        char key[48];
        snprintf(key, sizeof(key), "%s %s", row[C_LEVEL], row[C_VERSION]);
        tally_add(t, &nt, key, ok);

        /* The implications of README section 5. */
        if (level == SL_LEVEL_RESTRICTED && !want_deny &&
            judge(pod, SL_LEVEL_BASELINE, version, row[C_PATH]) != 0) {
            implication_failures++;
            printf("psa implication: %s allowed at restricted but not baseline\n", row[C_PATH]);
        }
        if (level == SL_LEVEL_BASELINE && want_deny &&
            judge(pod, SL_LEVEL_RESTRICTED, version, row[C_PATH]) != 1) {
            implication_failures++;
            printf("psa implication: %s denied at baseline but not restricted\n", row[C_PATH]);
        }
        if (judge(pod, SL_LEVEL_PRIVILEGED, version, row[C_PATH]) != 0) {
            implication_failures++;
            printf("psa implication: %s not allowed at privileged\n", row[C_PATH]);
        }
    }
    qsort(t, nt, sizeof(*t), cmp_tally);
    for (size_t i = 0; i < nt; i++)
        printf("psa %s: %d/%d\n", t[i].key, t[i].pass, t[i].total);
    printf("psa total: %d/%zu\n", pass, n);

    json_decref(docs);
    free(t);
    free(paths);
    tu_tsv_free(&tsv);
    free(manifest);
    free(base);
    fflush(stdout);
    ck_assert_msg(mismatches == 0, "%d PSA fixtures judged differently", mismatches);
    /* Every public fixture of the vendored set (its README: 3222), so a truncated manifest
     * cannot pass with fewer. */
    ck_assert_uint_eq(n, 3222);
    ck_assert_msg(implication_failures == 0, "%d implication failures", implication_failures);
}
END_TEST

/* Declared for -Wmissing-prototypes; the runner finds the suite by this name. */
extern Suite *suite_conformance_psa(void);

Suite *suite_conformance_psa(void)
{
    Suite *s = suite_create("conformance_psa");
    TCase *tc = tcase_create("fixtures");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_conformance_psa_fixtures);
    suite_add_tcase(s, tc);
    return s;
}
