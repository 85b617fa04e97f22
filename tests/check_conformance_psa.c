/* Conformance: the Kubernetes project's own Pod Security Admission fixtures
 * (../shared/conformance/pod-security-admission). Each fixture is one Pod, to be allowed or
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

struct row {
    char *path, *level, *version, *expect, *check;
};

static size_t read_manifest(const char *file, struct row **rows)
{
    FILE *f = fopen(file, "r");
    ck_assert_msg(f != NULL, "cannot open %s", file);
    char *line = NULL;
    size_t cap = 0, n = 0, alloc = 0;
    *rows = NULL;
    bool header = true;
    while (getline(&line, &cap, f) > 0) {
        line[strcspn(line, "\r\n")] = '\0';
        if (header || !*line) {
            header = false;
            continue;
        }
        char *f5[5] = {0};
        char *p = line;
        for (int i = 0; i < 5 && p; i++) {
            f5[i] = p;
            p = strchr(p, '\t');
            if (p)
                *p++ = '\0';
        }
        ck_assert_msg(f5[4] != NULL, "bad manifest line %zu", n + 2);
        if (n == alloc) {
            alloc = alloc ? alloc * 2 : 256;
            *rows = sl_xrealloc(*rows, alloc * sizeof(**rows));
        }
        (*rows)[n++] = (struct row){sl_xstrdup(f5[0]), sl_xstrdup(f5[1]), sl_xstrdup(f5[2]),
                                    sl_xstrdup(f5[3]), sl_xstrdup(f5[4])};
    }
    free(line);
    fclose(f);
    return n;
}

static void free_rows(struct row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].path);
        free(rows[i].level);
        free(rows[i].version);
        free(rows[i].expect);
        free(rows[i].check);
    }
    free(rows);
}

/* Converts the YAML files `paths` (relative to base) to JSON with python3-yaml: returns an
 * array with, per file, the array of its documents. */
static json_t *yaml_files_to_json(const char *base, char *const *paths, size_t n)
{
    char dir[] = "/tmp/sl-psa-XXXXXX";
    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp failed");
    char *list = sl_xasprintf("%s/list", dir), *out = sl_xasprintf("%s/out.json", dir);
    FILE *f = fopen(list, "w");
    ck_assert(f != NULL);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s\n", paths[i]);
    fclose(f);
    char *cmd =
        sl_xasprintf("python3 -c 'import sys, json, yaml\n"
                     "base, lst, out = sys.argv[1:4]\n"
                     "res = []\n"
                     "for p in open(lst).read().split(\"\\n\"):\n"
                     "    if p:\n"
                     "        res.append(list(yaml.safe_load_all(open(base + \"/\" + p))))\n"
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
    ck_assert(json_is_array(docs) && json_array_size(docs) == n);
    return docs;
}

/* Evaluates pod at level/version; returns 1 denied, 0 allowed, -1 error (printed). */
static int judge(const json_t *pod, enum sl_level level, int version, const char *what)
{
    struct sl_pss_opts opts = {.level = level, .version = version};
    struct sl_findings out;
    struct sl_error err = {0};
    sl_findings_init(&out);
    enum sl_status rc = sl_pss_eval(json_object_get(pod, "metadata"), json_object_get(pod, "spec"),
                                    &opts, &out, &err);
    int verdict = out.len > 0;
    sl_findings_cleanup(&out);
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
    const char *conf = tu_conformance_dir();
    if (!conf) {
        printf("SKIP conformance_psa: ../shared/conformance absent\n");
        return;
    }
    for (size_t i = 0; believed_wrong[i].path; i++)
        printf("psa: fixture %s believed wrong: %s\n", believed_wrong[i].path,
               believed_wrong[i].why);

    char *base = sl_xasprintf("%s/pod-security-admission", conf);
    char *manifest = sl_xasprintf("%s/manifest.tsv", base);
    struct row *rows;
    size_t n = read_manifest(manifest, &rows);
    ck_assert_uint_gt(n, 0);
    char **paths = sl_xcalloc(n, sizeof(*paths));
    for (size_t i = 0; i < n; i++)
        paths[i] = rows[i].path;
    json_t *docs = yaml_files_to_json(base, paths, n);

    struct tally *t = sl_xcalloc(2 * 64, sizeof(*t));
    size_t nt = 0;
    int pass = 0, mismatches = 0, implication_failures = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *pod = json_array_get(json_array_get(docs, i), 0);
        enum sl_level level;
        int version;
        ck_assert(sl_pss_parse_level(rows[i].level, &level) == SL_OK);
        ck_assert(sl_pss_parse_version(rows[i].version, &version) == SL_OK);
        bool want_deny = strcmp(rows[i].expect, "deny") == 0;
        bool wrong = false;
        for (size_t w = 0; believed_wrong[w].path; w++)
            wrong = wrong || strcmp(believed_wrong[w].path, rows[i].path) == 0;

        int got = judge(pod, level, version, rows[i].path);
        bool ok = got == (want_deny ? 1 : 0);
        if (!ok && !wrong) {
            mismatches++;
            printf("psa mismatch: %s expected %s, got %s\n", rows[i].path, rows[i].expect,
                   got < 0 ? "error"
                   : got   ? "deny"
                           : "allow");
        }
        pass += ok;
        char key[48];
        snprintf(key, sizeof(key), "%s %s", rows[i].level, rows[i].version);
        tally_add(t, &nt, key, ok);

        /* The implications of README section 5. */
        if (level == SL_LEVEL_RESTRICTED && !want_deny &&
            judge(pod, SL_LEVEL_BASELINE, version, rows[i].path) != 0) {
            implication_failures++;
            printf("psa implication: %s allowed at restricted but not baseline\n", rows[i].path);
        }
        if (level == SL_LEVEL_BASELINE && want_deny &&
            judge(pod, SL_LEVEL_RESTRICTED, version, rows[i].path) != 1) {
            implication_failures++;
            printf("psa implication: %s denied at baseline but not restricted\n", rows[i].path);
        }
        if (judge(pod, SL_LEVEL_PRIVILEGED, version, rows[i].path) != 0) {
            implication_failures++;
            printf("psa implication: %s not allowed at privileged\n", rows[i].path);
        }
    }
    qsort(t, nt, sizeof(*t), cmp_tally);
    for (size_t i = 0; i < nt; i++)
        printf("psa %s: %d/%d\n", t[i].key, t[i].pass, t[i].total);
    printf("psa total: %d/%zu\n", pass, n);

    json_decref(docs);
    free(t);
    free(paths);
    free_rows(rows, n);
    free(manifest);
    free(base);
    fflush(stdout);
    ck_assert_msg(mismatches == 0, "%d PSA fixtures judged differently", mismatches);
    ck_assert_msg(implication_failures == 0, "%d implication failures", implication_failures);
}
END_TEST

/* Declared here for -Wmissing-prototypes; "extern" keeps the runner's grep to one match. */
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
