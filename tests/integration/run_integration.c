/* Integration runner: makes certificates with `socklock certs`, starts the shared servers on
 * 127.0.0.1 with free ports, runs the suites (each test in its own process, as Check forks),
 * then kills the servers and removes the temporary directory. Servers die with this process
 * even when it crashes (PR_SET_PDEATHSIG). Also the conformance suite: every wrapped review
 * in tests/conformance/admission-review through the real server. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "itest.h"

#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "socklock/alloc.h"
#include "testutil.h"

/* Columns of admission-review/index.tsv used here. */
enum {
    C_WRAPPED = 1,
    C_OPERATION = 7,
    C_KIND = 8,
    C_FAILS_BASELINE = 15,
    C_FAILS_RESTRICTED = 16,
    NCOL = 17
};

START_TEST(test_conformance_reviews)
{
    /* Every wrapped review through the server: the envelope echoed, and the verdict of the
     * default policy (restricted plus readOnlyRootFilesystem, mutating pods; no exemption
     * applies to these namespaces) as the index reads it. CREATEs are judged: a Pod is denied
     * with 403 when a restricted check fails (all of them here). A workload that fails is
     * denied with 403 when some violation is one the mutating webhook will not fix when its
     * pods are created (the index does not say which: an explicit value and an unset one
     * fail alike), and otherwise allowed with a "pods will be patched" warning for each. A
     * workload with a baseline violation is always denied: no patch fixes those. DELETEs are
     * not judged, and neither are the set's two UPDATEs, which change only metadata, not the
     * pod template (the set's README): both allowed. */
    char *set = tu_conformance_set("admission-review", "index.tsv");
    char index[1024];
    snprintf(index, sizeof(index), "%s/index.tsv", set);
    struct tu_tsv tsv;
    tu_tsv_read(index, NCOL, &tsv);
    size_t allowed = 0, denied = 0, patched = 0;
    for (size_t i = 0; i < tsv.nrows; i++) {
        char *const *row = tsv.cells[i];
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", set, row[C_WRAPPED]);
        size_t blen = 0;
        char *body = tu_read_file(path, &blen);
        ck_assert_msg(body != NULL, "cannot read %s", path);
        json_t *req = tu_json(body);
        const char *uid =
            json_string_value(json_object_get(json_object_get(req, "request"), "uid"));
        const char *api = json_string_value(json_object_get(req, "apiVersion"));
        ck_assert_ptr_nonnull(uid);

        struct it_req q = {
            .path = "/validate", .ctype = "application/json", .body = body, .len = blen};
        struct it_resp r;
        it_request(it_env.main.port, &q, &r);
        ck_assert_msg(r.status == 200, "%s: HTTP %ld %s", path, r.status, r.body);
        json_t *ans = tu_json(r.body);
        json_t *resp = json_object_get(ans, "response");
        ck_assert_msg(json_is_string(json_object_get(resp, "uid")), "%s: no uid", path);
        ck_assert_str_eq(json_string_value(json_object_get(resp, "uid")), uid);
        ck_assert_str_eq(json_string_value(json_object_get(ans, "apiVersion")), api);
        bool judged = strcmp(row[C_OPERATION], "CREATE") == 0;
        bool fails = strcmp(row[C_FAILS_RESTRICTED], "-") != 0;
        bool workload = strcmp(row[C_KIND], "core/v1/Pod") != 0;
        json_t *verdict = json_object_get(resp, "allowed");
        ck_assert_msg(json_is_boolean(verdict), "%s: allowed is not a boolean", path);
        bool patched_later = judged && fails && workload && json_is_true(verdict);
        bool want_allowed = !judged || !fails || patched_later;
        ck_assert_msg(json_is_true(verdict) == want_allowed, "%s (%s, fails %s): %s", path,
                      row[C_OPERATION], row[C_FAILS_RESTRICTED], r.body);
        ck_assert_msg(!patched_later || strcmp(row[C_FAILS_BASELINE], "-") == 0,
                      "%s: allowed with baseline violations: %s", path, r.body);
        if (!want_allowed) {
            json_t *st = json_object_get(resp, "status");
            ck_assert_msg(json_integer_value(json_object_get(st, "code")) == 403, "%s: %s", path,
                          r.body);
            denied++;
        } else {
            allowed++;
        }
        if (judged && patched_later) {
            const char *w = json_string_value(json_array_get(json_object_get(resp, "warnings"), 0));
            ck_assert_msg(w != NULL && strstr(w, "pods will be patched: ") != NULL, "%s: %s", path,
                          r.body);
            patched++;
        }
        json_decref(ans);
        json_decref(req);
        it_resp_cleanup(&r);
        free(body);
    }
    /* The set's README: 37 reviews, 32 CREATEs, 2 UPDATEs and 3 DELETEs. */
    ck_assert_uint_eq(tsv.nrows, 37);
    ck_assert_uint_eq(allowed + denied, 37);
    ck_assert_uint_eq(allowed - patched, 5);
    ck_assert_uint_ge(denied, 18); /* every Pod CREATE */
    printf("admission-review through the server: %zu/37 answered as read, %zu allowed (%zu of "
           "them workloads whose pods will be patched), %zu denied\n",
           tsv.nrows, allowed, patched, denied);
    tu_tsv_free(&tsv);
    free(set);
}
END_TEST

START_TEST(test_servers_still_alive)
{
    /* Runs last: nothing above crashed the shared servers. */
    ck_assert_int_eq(kill(it_env.main.pid, 0), 0);
    ck_assert_int_eq(kill(it_env.mtls.pid, 0), 0);
    it_assert_alive(it_env.main.port);
}
END_TEST

Suite *it_suite_conformance(void)
{
    Suite *s = suite_create("conformance");
    TCase *tc = tcase_create("admission-review");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_conformance_reviews);
    suite_add_tcase(s, tc);
    TCase *end = tcase_create("liveness");
    tcase_add_test(end, test_servers_still_alive);
    suite_add_tcase(s, end);
    return s;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static bool setup(void)
{
    snprintf(it_env.dir, sizeof(it_env.dir), "/tmp/socklock-it-XXXXXX");
    if (mkdtemp(it_env.dir) == NULL) {
        perror("mkdtemp");
        return false;
    }
    char certs[400], err_log[400];
    snprintf(certs, sizeof(certs), "%s/certs", it_env.dir);
    snprintf(it_env.ca, sizeof(it_env.ca), "%s/ca.crt", certs);
    snprintf(it_env.ca_key, sizeof(it_env.ca_key), "%s/ca.key", certs);
    snprintf(it_env.crt, sizeof(it_env.crt), "%s/tls.crt", certs);
    snprintf(it_env.key, sizeof(it_env.key), "%s/tls.key", certs);
    snprintf(it_env.bundle, sizeof(it_env.bundle), "%s/bundle.txt", it_env.dir);
    snprintf(err_log, sizeof(err_log), "%s/certs.log", it_env.dir);
    const char *argv[] = {tu_socklock_bin(), "certs",    "--out",  certs, "--service", "socklock",
                          "--namespace",     "socklock", "--days", "2",   NULL};
    int st = it_run(argv, it_env.bundle, err_log, IT_HANG_GUARD);
    if (st != 0) {
        fprintf(stderr, "run_integration: `%s certs` failed (%d); is SOCKLOCK_BIN right?\n",
                tu_socklock_bin(), st);
        return false;
    }
    const char *args[] = {"--cert", it_env.crt, "--key", it_env.key, NULL};
    if (!it_server_start(&it_env.main, "main", args)) {
        fprintf(stderr, "run_integration: the server did not start; see %s\n", it_env.main.log);
        return false;
    }
    const char *margs[] = {"--cert",      it_env.crt, "--key", it_env.key,
                           "--client-ca", it_env.ca,  NULL};
    if (!it_server_start(&it_env.mtls, "mtls", margs)) {
        fprintf(stderr, "run_integration: the mTLS server did not start; see %s\n",
                it_env.mtls.log);
        return false;
    }
    return true;
}

int main(void)
{
    sl_alloc_init();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int failed = 1;
    if (setup()) {
        SRunner *sr = srunner_create(it_suite_http());
        srunner_add_suite(sr, it_suite_tls());
        srunner_add_suite(sr, it_suite_lifecycle());
        srunner_add_suite(sr, it_suite_reload());
        srunner_add_suite(sr, it_suite_certs());
        srunner_add_suite(sr, it_suite_shutdown());
        srunner_add_suite(sr, it_suite_conformance());
        srunner_add_suite(sr, it_suite_policy());
        srunner_add_suite(sr, it_suite_observe());
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
    }
    /* Stop the shared servers the graceful way (a second signal, once the first one is
     * being handled, skips the shutdown delay), so that sanitizer builds check them for
     * leaks and errors at exit. */
    struct it_server *servers[] = {&it_env.main, &it_env.mtls};
    for (size_t i = 0; i < 2; i++) {
        if (servers[i]->pid <= 0)
            continue;
        kill(servers[i]->pid, SIGTERM);
        if (!it_log_wait(servers[i], "SIGTERM: draining", IT_HANG_GUARD)) {
            fprintf(stderr, "run_integration: no draining line in %s\n", servers[i]->log);
            failed++;
        }
        int st = it_server_signal_wait(servers[i], SIGINT, IT_HANG_GUARD);
        if (st != 0) {
            fprintf(stderr, "run_integration: a server exited with %d; see %s\n", st,
                    servers[i]->log);
            failed++;
        }
    }
    if (getenv("SOCKLOCK_KEEP_TMP") == NULL && failed == 0 && it_env.dir[0] != '\0')
        nftw(it_env.dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    else
        fprintf(stderr, "run_integration: kept %s\n", it_env.dir);
    curl_global_cleanup();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
