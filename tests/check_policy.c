/* Policy: the embedded default, plain profiles, YAML loading and its errors with
 * FILE:LINE:COLUMN (the invalid cases are files with their expected messages). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"
#include "socklock/policy.h"
#include "testutil.h"

#define FIXTURES "tests/fixtures/policy/"

static struct sl_policy *load(const char *path, struct sl_error *err)
{
    size_t len;
    char *data = tu_read_file(path, &len);
    ck_assert_msg(data != NULL, "cannot read %s", path);
    struct sl_policy *pol = NULL;
    sl_policy_load(data, len, path, &pol, err);
    free(data);
    return pol;
}

START_TEST(test_policy_default_is_restricted_latest_with_extras)
{
    struct sl_policy *pol = sl_policy_new_default();
    const struct sl_profile *p = sl_policy_find(pol, "default");
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(p->level, SL_LEVEL_RESTRICTED);
    ck_assert_int_eq(p->version, SL_VERSION_LATEST);
    ck_assert(p->read_only_root_fs);
    ck_assert_int_eq(p->mode, SL_MODE_ENFORCE);
    ck_assert(!p->relax_user_ns);
    ck_assert_uint_eq(p->exempt_namespaces.len, 2);
    ck_assert_str_eq(p->exempt_namespaces.items[0], "kube-system");
    ck_assert_str_eq(p->exempt_namespaces.items[1], "socklock-system");
    ck_assert_uint_eq(pol->limits.max_body_bytes, 7u << 20);
    ck_assert_ptr_null(sl_policy_find(pol, "nope"));
    sl_policy_free(pol);
}
END_TEST

START_TEST(test_policy_plain_has_no_extras_or_exemptions)
{
    struct sl_policy *pol = sl_policy_new_plain("check", SL_LEVEL_BASELINE, 25);
    const struct sl_profile *p = sl_policy_find(pol, "check");
    ck_assert_int_eq(p->level, SL_LEVEL_BASELINE);
    ck_assert_int_eq(p->version, 25);
    ck_assert(!p->read_only_root_fs);
    ck_assert_uint_eq(p->exempt_namespaces.len, 0);
    sl_policy_free(pol);
}
END_TEST

START_TEST(test_policy_loads_profiles_modes_and_exemptions)
{
    struct sl_error err = {0};
    struct sl_policy *pol = load(FIXTURES "modes.yaml", &err);
    ck_assert_msg(pol != NULL, "%s", err.msg);
    ck_assert_uint_eq(pol->nprofiles, 3);
    const struct sl_profile *d = sl_policy_find(pol, "default");
    ck_assert_int_eq(d->level, SL_LEVEL_RESTRICTED);
    ck_assert(!d->read_only_root_fs);
    ck_assert_int_eq(sl_policy_find(pol, "warn")->mode, SL_MODE_WARN);
    const struct sl_profile *a = sl_policy_find(pol, "audit");
    ck_assert_int_eq(a->mode, SL_MODE_AUDIT);
    ck_assert_int_eq(a->level, SL_LEVEL_BASELINE);
    ck_assert_int_eq(a->version, 25);
    ck_assert_str_eq(a->exempt_namespaces.items[0], "legacy");
    ck_assert_str_eq(a->exempt_usernames.items[0], "system:serviceaccount:ci:deployer");
    ck_assert_str_eq(a->exempt_runtime_classes.items[0], "kata");
    sl_policy_free(pol);
}
END_TEST

START_TEST(test_policy_loads_limits)
{
    struct sl_error err = {0};
    struct sl_policy *pol = load(FIXTURES "limits-small.yaml", &err);
    ck_assert_msg(pol != NULL, "%s", err.msg);
    ck_assert_uint_eq(pol->limits.max_body_bytes, 65536);
    ck_assert_uint_eq(pol->limits.per_ip_connections, 32);
    ck_assert_uint_eq(pol->limits.idle_timeout_s, 3);
    ck_assert_uint_eq(pol->limits.inflight_body_bytes, 64u << 20);
    sl_policy_free(pol);
}
END_TEST

/* The dump of a file that sets everything, compared with the text a reader expects (written
 * by hand, not by the dumper), then loaded again: the same text. */
START_TEST(test_policy_dump_shows_every_setting)
{
    struct sl_error err = {0};
    struct sl_policy *pol = load(FIXTURES "every-setting.yaml", &err);
    ck_assert_msg(pol != NULL, "%s", err.msg);
    size_t len;
    char *want = tu_read_file(FIXTURES "every-setting.dump.yaml", &len);
    ck_assert_ptr_nonnull(want);
    char *text = sl_policy_dump(pol);
    ck_assert_str_eq(text, want);
    struct sl_policy *again = NULL;
    ck_assert_int_eq(sl_policy_load(text, strlen(text), "dump", &again, &err), SL_OK);
    char *text2 = sl_policy_dump(again);
    ck_assert_str_eq(text2, want);
    free(want);
    free(text);
    free(text2);
    sl_policy_free(pol);
    sl_policy_free(again);
}
END_TEST

START_TEST(test_policy_invalid_files_name_file_line_column)
{
    size_t len;
    char *tsv = tu_read_file(FIXTURES "invalid/expected.tsv", &len);
    ck_assert_ptr_nonnull(tsv);
    int cases = 0;
    char *save = NULL;
    for (char *line = strtok_r(tsv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "file\t", 5) == 0)
            continue;
        char *t1 = strchr(line, '\t');
        ck_assert_ptr_nonnull(t1);
        *t1 = '\0';
        char *t2 = strchr(t1 + 1, '\t');
        ck_assert_ptr_nonnull(t2);
        *t2 = '\0';
        const char *file = line, *pos = t1 + 1, *msg = t2 + 1;
        char path[256], want[512], got[1024];
        snprintf(path, sizeof(path), FIXTURES "invalid/%s", file);
        snprintf(want, sizeof(want), "%s:%s: ", path, pos);
        struct sl_error err = {0};
        struct sl_policy *pol = load(path, &err);
        ck_assert_msg(pol == NULL, "%s loaded", file);
        sl_error_format(&err, got, sizeof(got));
        ck_assert_msg(strncmp(got, want, strlen(want)) == 0, "%s: got \"%s\", want \"%s...\"", file,
                      got, want);
        ck_assert_msg(strstr(got, msg) != NULL, "%s: got \"%s\", want \"%s\"", file, got, msg);
        cases++;
    }
    ck_assert_int_ge(cases, 9);
    free(tsv);
}
END_TEST

Suite *suite_policy(void); /* for the runner; see run_units.c */

Suite *suite_policy(void)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("policy");
    tcase_add_test(tc, test_policy_default_is_restricted_latest_with_extras);
    tcase_add_test(tc, test_policy_plain_has_no_extras_or_exemptions);
    tcase_add_test(tc, test_policy_loads_profiles_modes_and_exemptions);
    tcase_add_test(tc, test_policy_loads_limits);
    tcase_add_test(tc, test_policy_dump_shows_every_setting);
    tcase_add_test(tc, test_policy_invalid_files_name_file_line_column);
    suite_add_tcase(s, tc);
    return s;
}
