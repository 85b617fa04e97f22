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
    ck_assert_int_ge(cases, 36);
    free(tsv);
}
END_TEST

/* Every warning the warning fixtures make, at its position, and nothing else. */
START_TEST(test_policy_warnings_name_file_line_column)
{
    size_t len;
    char *tsv = tu_read_file(FIXTURES "warnings/expected.tsv", &len);
    ck_assert_ptr_nonnull(tsv);
    static const char *const files[] = {"shadowed.yaml", "never.yaml"};
    for (size_t f = 0; f < SL_ARRAY_LEN(files); f++) {
        char path[256];
        snprintf(path, sizeof(path), FIXTURES "warnings/%s", files[f]);
        struct sl_error err = {0};
        struct sl_policy *pol = load(path, &err);
        ck_assert_msg(pol != NULL, "%s", err.msg);
        size_t want = 0;
        char *copy = sl_xstrdup(tsv), *save = NULL;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
            ck_assert_ptr_nonnull(t2);
            *t1 = *t2 = '\0';
            if (strcmp(line, files[f]) != 0)
                continue;
            char *expect = sl_xasprintf("%s:%s: %s", path, t1 + 1, t2 + 1);
            ck_assert_msg(want < pol->warnings.len, "%s: missing warning %s", path, expect);
            ck_assert_str_eq(pol->warnings.items[want], expect);
            free(expect);
            want++;
        }
        ck_assert_uint_eq(pol->warnings.len, want);
        free(copy);
        sl_policy_free(pol);
    }
    free(tsv);
}
END_TEST

/* The README's example loads without a warning, and routes as its comments say. */
START_TEST(test_policy_namespaces_first_match_wins)
{
    struct sl_error err = {0};
    struct sl_policy *pol = load(FIXTURES "cluster.yaml", &err);
    ck_assert_msg(pol != NULL, "%s", err.msg);
    ck_assert_uint_eq(pol->warnings.len, 0);
    const struct sl_ns_rule *rule;
    const struct sl_profile *p = sl_policy_route(pol, "legacy-billing", &rule);
    ck_assert_str_eq(p->name, "baseline");
    ck_assert_int_eq(p->level, SL_LEVEL_BASELINE);
    ck_assert_ptr_eq(rule, &pol->rules[0]);
    /* A glob matches whole names only. */
    p = sl_policy_route(pol, "xlegacy-billing", &rule);
    ck_assert_str_eq(p->name, "default");
    ck_assert_ptr_null(rule);
    /* mode alone: the default profile, changed. */
    p = sl_policy_route(pol, "sandbox", &rule);
    ck_assert_str_eq(p->name, "default");
    ck_assert_int_eq(p->mode, SL_MODE_WARN);
    ck_assert_int_eq(p->level, SL_LEVEL_RESTRICTED);
    ck_assert(p->read_only_root_fs);
    ck_assert_ptr_eq(p->policy, pol);
    ck_assert_int_eq(sl_policy_find(pol, "default")->mode, SL_MODE_ENFORCE);
    p = sl_policy_route(pol, "payments", NULL);
    ck_assert_int_eq(p->mode, SL_MODE_AUDIT);
    ck_assert_int_eq(p->version, 30);
    /* Exact names are not globs: sandbox-2 is not sandbox. */
    ck_assert_int_eq(sl_policy_route(pol, "sandbox-2", NULL)->mode, SL_MODE_ENFORCE);
    sl_policy_free(pol);

    /* First match wins, whatever comes later. */
    const char *text = "profiles: {default: {}, open: {level: privileged}}\n"
                       "namespaces:\n"
                       "  - {match: \"team-?\", mode: audit}\n"
                       "  - {match: \"team-*\", profile: open}\n"
                       "  - {match: \"[ab]*\", mode: warn}\n";
    ck_assert_int_eq(sl_policy_load(text, strlen(text), "t", &pol, &err), SL_OK);
    ck_assert_int_eq(sl_policy_route(pol, "team-a", NULL)->mode, SL_MODE_AUDIT);
    ck_assert_str_eq(sl_policy_route(pol, "team-ab", NULL)->name, "open");
    ck_assert_int_eq(sl_policy_route(pol, "alpha", NULL)->mode, SL_MODE_WARN);
    ck_assert_int_eq(sl_policy_route(pol, "zeta", NULL)->mode, SL_MODE_ENFORCE);
    sl_policy_free(pol);

    /* No profile "default", but a catch-all: every namespace has a profile. */
    text = "profiles: {base: {level: baseline}}\nnamespaces: [{match: \"*\", profile: base}]\n";
    ck_assert_int_eq(sl_policy_load(text, strlen(text), "t", &pol, &err), SL_OK);
    ck_assert_str_eq(sl_policy_route(pol, "anything", NULL)->name, "base");
    sl_policy_free(pol);
}
END_TEST

static const struct {
    const char *pattern, *image;
    bool match;
} images[] = {
    {"istio/proxyv2:*", "istio/proxyv2:1.20.0", true},
    {"istio/proxyv2:*", "docker.io/istio/proxyv2:1.20.0", true},
    {"docker.io/istio/proxyv2:*", "istio/proxyv2:1.20.0", true},
    {"docker.io/istio/proxyv2:*", "istio/proxyv2", true}, /* :latest */
    {"istio/proxyv2:*", "gcr.io/istio-release/proxyv2:1.20", false},
    {"istio/proxyv2", "istio/proxyv2@sha256:0123abcd", true}, /* no tag: every tag, digest */
    {"istio/proxyv2:*", "istio/proxyv2@sha256:0123abcd", false},
    {"istio/proxyv2@sha256:*", "istio/proxyv2@sha256:0123abcd", true},
    {"nginx", "nginx:1.27", true},
    {"docker.io/library/nginx:*", "nginx:1.27", true},
    {"library/nginx", "nginx", false}, /* as written or in full, not half */
    {"registry.example.com:5000/team/*", "registry.example.com:5000/team/app:v2", true},
    {"team/*", "registry.example.com:5000/team/app:v2", false},
    {"localhost/app:dev", "localhost/app:dev", true},
    {"*/proxyv2:*", "docker.io/istio/proxyv2:1.2", true},
    {"*", "anything/at:all", true},
};

START_TEST(test_policy_image_patterns)
{
    ck_assert_msg(sl_policy_image_match(images[_i].pattern, images[_i].image) == images[_i].match,
                  "%s vs %s: want %s", images[_i].pattern, images[_i].image,
                  images[_i].match ? "match" : "no match");
}
END_TEST

/* An exception applies through its last day (UTC), not a second more. */
START_TEST(test_policy_exception_expiry)
{
    struct sl_error err = {0};
    struct sl_policy *pol = load(FIXTURES "cluster.yaml", &err);
    ck_assert_msg(pol != NULL, "%s", err.msg);
    const struct sl_exception *e = &pol->exceptions[2];
    ck_assert_str_eq(e->name, "payments-migration");
    ck_assert_str_eq(e->expires_text, "2027-03-31");
    time_t last = (time_t)e->expires * 86400; /* 2027-03-31T00:00:00Z */
    ck_assert_int_eq((long)(last / 86400), 20908);
    ck_assert(!sl_exception_expired(e, last + 86399));
    ck_assert(sl_exception_expired(e, last + 86400));
    ck_assert(!sl_exception_expired(&pol->exceptions[0], last * 2)); /* never */
    sl_policy_free(pol);
}
END_TEST

/* --explain says what applies in a namespace, and which exceptions match each image. */
START_TEST(test_policy_explain)
{
    struct sl_error err = {0};
    struct sl_policy *pol = load(FIXTURES "cluster.yaml", &err);
    ck_assert_msg(pol != NULL, "%s", err.msg);
    char img1[] = "istio/proxyv2:1.20.0", img2[] = "nginx";
    char *images_[] = {img1, img2};
    char *text = sl_policy_explain(pol, "sock-shop", images_, 2, 1700000000);
    ck_assert_str_eq(
        text, "namespace \"sock-shop\":\n"
              "  rule: none matches; the profile \"default\"\n"
              "  profile: default (level restricted, version latest, mode enforce, "
              "readOnlyRootFilesystem)\n"
              "  exempt: no\n"
              "  exceptions:\n"
              "    istio-proxy: waives capabilities_restricted (capability adds \"NET_ADMIN\", "
              "\"NET_RAW\" only); for images \"docker.io/istio/proxyv2:*\", \"istio/proxyv2:*\" "
              "(line 21)\n"
              "    sock-shop-databases: waives capabilities_restricted (capability adds \"CHOWN\", "
              "\"SETGID\", \"SETUID\" only); for containers named \"carts-db\", \"orders-db\", "
              "\"session-db\", \"user-db\" (line 25)\n"
              "image \"istio/proxyv2:1.20.0\":\n"
              "    istio-proxy: waives capabilities_restricted (capability adds \"NET_ADMIN\", "
              "\"NET_RAW\" only); for images \"docker.io/istio/proxyv2:*\", \"istio/proxyv2:*\" "
              "(line 21)\n"
              "image \"nginx\":\n"
              "    no image exception matches\n");
    free(text);
    /* After its last day the payments exception is marked expired. */
    text = sl_policy_explain(pol, "payments", NULL, 0, (time_t)20909 * 86400);
    ck_assert_ptr_nonnull(strstr(text, "  rule: namespaces[2] (line 18), match \"payments\"\n"
                                       "  profile: payments (level restricted, version v1.30, "
                                       "mode audit)\n"));
    ck_assert_ptr_nonnull(strstr(text, "payments-migration: waives runAsNonRoot; for the whole "
                                       "pod; EXPIRED on 2027-03-31: no longer applies (line 30)"));
    free(text);
    text = sl_policy_explain(pol, "kube-system", NULL, 0, 0);
    ck_assert_ptr_nonnull(strstr(text, "  exempt: yes"));
    free(text);
    sl_policy_free(pol);
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
    tcase_add_test(tc, test_policy_warnings_name_file_line_column);
    tcase_add_test(tc, test_policy_namespaces_first_match_wins);
    tcase_add_loop_test(tc, test_policy_image_patterns, 0, (int)SL_ARRAY_LEN(images));
    tcase_add_test(tc, test_policy_exception_expiry);
    tcase_add_test(tc, test_policy_explain);
    suite_add_tcase(s, tc);
    return s;
}
