/* Process life: `certs` output, refusing bad certificates and settings at start,
 * and graceful shutdown on SIGTERM (docs/admission.md, "Shutdown"). */
#include "itest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "testutil.h"

static char *path_in(const char *name)
{
    static char buf[4][600];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, 600, "%s/%s", it_env.dir, name);
    return p;
}

/* Writes a self-signed certificate and key, with or without a DNS SAN, valid from
 * not_before to not_after seconds from now. */
static void write_cert(const char *crt, const char *key, bool san, long not_before, long not_after)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    ck_assert(k != NULL && x != NULL);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 42);
    X509_gmtime_adj(X509_getm_notBefore(x), not_before);
    X509_gmtime_adj(X509_getm_notAfter(x), not_after);
    X509_set_pubkey(x, k);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)"socklock.socklock.svc", -1, -1, 0);
    X509_set_issuer_name(x, name);
    if (san) {
        X509V3_CTX ctx;
        X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
        X509_EXTENSION *e =
            X509V3_EXT_nconf_nid(NULL, &ctx, NID_subject_alt_name, "DNS:socklock.socklock.svc");
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
    ck_assert(X509_sign(x, k, EVP_sha256()) > 0);
    FILE *f = fopen(crt, "w");
    PEM_write_X509(f, x);
    fclose(f);
    f = fopen(key, "w");
    PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(k);
}

/* Runs `serve` with the given certificate and key and expects exit 2 with `want` on
 * stderr. */
static void expect_start_failure(const char *crt, const char *key, const char *listen,
                                 const char *want)
{
    const char *argv[] = {tu_socklock_bin(), "serve", "--listen", listen, "--cert", crt,
                          "--key",           key,     NULL};
    char *log = path_in("fail.log");
    int st = it_run(argv, NULL, log, IT_HANG_GUARD);
    size_t len = 0;
    char *text = tu_read_file(log, &len);
    ck_assert_msg(st == 2, "exit %d, log: %s", st, text ? text : "");
    ck_assert_msg(text != NULL && strstr(text, want) != NULL, "log lacks \"%s\": %s", want,
                  text ? text : "");
    ck_assert_msg(strstr(text, "listening on") == NULL, "it served: %s", text);
    free(text);
}

START_TEST(test_certs_output)
{
    /* The caBundle on stdout is the base64 of ca.crt (decoded by python3, not by the
     * OpenSSL encoder socklock uses) and one newline; keys are 0600. */
    size_t b_len = 0;
    char *bundle = tu_read_file(it_env.bundle, &b_len);
    ck_assert_ptr_nonnull(bundle);
    ck_assert_uint_gt(b_len, 1);
    ck_assert_int_eq(bundle[b_len - 1], '\n');
    char why[512];
    ck_assert_msg(tu_base64_of_file(bundle, b_len - 1, it_env.ca, why, sizeof(why)),
                  "caBundle is not the base64 of ca.crt: %s", why);
    struct stat st;
    ck_assert_int_eq(stat(it_env.key, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(stat(it_env.ca_key, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    free(bundle);
}
END_TEST

START_TEST(test_certs_bad_arguments)
{
    const char *argv[] = {tu_socklock_bin(), "certs",    "--out", path_in("x"),
                          "--service",       "Bad,Name", NULL};
    ck_assert_int_eq(it_run(argv, NULL, NULL, IT_HANG_GUARD), 2);
    const char *argv2[] = {tu_socklock_bin(), "certs", "--days", "0", NULL};
    ck_assert_int_eq(it_run(argv2, NULL, NULL, IT_HANG_GUARD), 2);
    const char *argv3[] = {tu_socklock_bin(), "serve", "--bogus", NULL};
    ck_assert_int_eq(it_run(argv3, NULL, NULL, IT_HANG_GUARD), 2);
}
END_TEST

START_TEST(test_refuses_key_mismatch)
{
    char *crt = path_in("mm.crt"), *key = path_in("mm.key");
    write_cert(crt, key, true, -60, 86400);
    expect_start_failure(crt, it_env.key, "127.0.0.1:0", it_env.key);
    expect_start_failure(crt, it_env.key, "127.0.0.1:0", "does not match");
}
END_TEST

START_TEST(test_refuses_cn_only)
{
    char *crt = path_in("cn.crt"), *key = path_in("cn.key");
    write_cert(crt, key, false, -60, 86400);
    expect_start_failure(crt, key, "127.0.0.1:0", crt);
    expect_start_failure(crt, key, "127.0.0.1:0", "subjectAltName");
}
END_TEST

START_TEST(test_refuses_expired)
{
    char *crt = path_in("old.crt"), *key = path_in("old.key");
    write_cert(crt, key, true, -7200, -3600);
    expect_start_failure(crt, key, "127.0.0.1:0", "expired");
}
END_TEST

START_TEST(test_refuses_non_pem)
{
    char *junk = path_in("junk.crt");
    FILE *f = fopen(junk, "w");
    fputs("this is not a certificate\n", f);
    fclose(f);
    expect_start_failure(junk, it_env.key, "127.0.0.1:0", junk);
    expect_start_failure(it_env.crt, junk, "127.0.0.1:0", junk);
    expect_start_failure(path_in("missing.crt"), it_env.key, "127.0.0.1:0", "missing.crt");
}
END_TEST

START_TEST(test_refuses_bad_listen)
{
    static const char *const bad[] = {"nonsense", "127.0.0.1", "127.0.0.1:99999", "localhost:8443",
                                      "127.0.0.1:-1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_start_failure(it_env.crt, it_env.key, bad[i], "--listen");
    /* A port already in use. */
    char busy[64];
    snprintf(busy, sizeof(busy), "127.0.0.1:%u", it_env.main.port);
    expect_start_failure(it_env.crt, it_env.key, busy, "--listen");
}
END_TEST

/* A policy whose shutdown delay (600 s, the most a policy may ask for) no test waits out:
 * a server that exits within IT_HANG_GUARD was cut short, not done waiting. */
static const char long_delay_policy[] = "limits:\n"
                                        "  shutdownDelaySeconds: 600\n"
                                        "  drainTimeoutSeconds: 5\n"
                                        "profiles:\n"
                                        "  default:\n"
                                        "    level: restricted\n"
                                        "    readOnlyRootFilesystem: true\n";

/* Starts a server with the long-delay policy. */
static void start_long_delay(struct it_server *s, const char *name)
{
    const char *policy = it_write_file("long-delay.yaml", long_delay_policy);
    const char *args[] = {"--cert", it_env.crt,  "--key", it_env.key, "--policy",
                          policy,   "--threads", "2",     NULL};
    ck_assert_msg(it_server_start(s, name, args), "server did not start, see %s", s->log);
}

/* Polls /readyz until it answers `status`; fails the test at the hang guard. */
static void wait_readyz(unsigned port, long status)
{
    double end = it_now() + IT_HANG_GUARD;
    for (;;) {
        struct it_req q = {.path = "/readyz"};
        struct it_resp r;
        it_request(port, &q, &r);
        long got = r.status;
        it_resp_cleanup(&r);
        if (got == status)
            return;
        ck_assert_msg(it_now() < end, "/readyz still %ld, never %ld", got, status);
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL); /* poll interval */
    }
}

START_TEST(test_sighup_does_not_stop_serving)
{
    /* SIGHUP (a reload request) never stops a serving webhook: once the server has logged
     * that it handled the signal, it still answers and still runs. Started without --policy,
     * it has no file to reload and says so. */
    const char *args[] = {"--cert", it_env.crt, "--key", it_env.key, NULL};
    struct it_server s;
    ck_assert(it_server_start(&s, "sighup", args));
    it_assert_alive(s.port);
    ck_assert_int_eq(kill(s.pid, SIGHUP), 0);
    ck_assert_msg(it_log_wait(&s, "SIGHUP: no policy file to reload", IT_HANG_GUARD),
                  "SIGHUP not handled, see %s", s.log);
    it_assert_alive(s.port);
    ck_assert_int_eq(kill(s.pid, 0), 0);
    wait_readyz(s.port, 200);
    it_server_kill(&s);
}
END_TEST

START_TEST(test_draining_serves_with_connection_close)
{
    /* After SIGTERM, during the shutdown delay: readyz 503, health 200, reviews still served
     * with Connection: close. The 600 s delay keeps the server in this state for the whole
     * test; a second signal then ends it with exit 0. */
    struct it_server s;
    start_long_delay(&s, "drain");
    it_assert_alive(s.port);
    ck_assert_int_eq(kill(s.pid, SIGTERM), 0);
    wait_readyz(s.port, 503);
    /* The drain begins as the signal is read, and this line follows it. */
    ck_assert(it_log_wait(&s, "SIGTERM: draining (delay 600 s", IT_HANG_GUARD));
    struct it_req h = {.path = "/healthz"};
    struct it_resp r;
    it_request(s.port, &h, &r);
    ck_assert_int_eq(r.status, 200);
    it_resp_cleanup(&r);
    char *body = it_review_good("admission.k8s.io/v1", "draining");
    struct it_req v = {
        .path = "/validate", .ctype = "application/json", .body = body, .len = strlen(body)};
    it_request(s.port, &v, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"draining\""));
    char conn[32];
    ck_assert(it_resp_header(&r, "Connection", conn, sizeof(conn)));
    ck_assert_str_eq(conn, "close");
    it_resp_cleanup(&r);
    free(body);
    /* Still draining, not stopped: nothing in the log says otherwise. */
    ck_assert(!it_log_has(&s, "stopped"));
    int st = it_server_signal_wait(&s, SIGINT, IT_HANG_GUARD);
    ck_assert_msg(st == 0, "exit status %d, see %s", st, s.log);
}
END_TEST

START_TEST(test_second_signal_cuts_shutdown_delay)
{
    /* SIGTERM starts the 600 s delay (seen as readyz 503); SIGINT during it makes the server
     * stop at once: it exits 0 long before the delay could have run out, and says why. */
    struct it_server s;
    start_long_delay(&s, "shutdown2");
    ck_assert_int_eq(kill(s.pid, SIGTERM), 0);
    wait_readyz(s.port, 503);
    int st = it_server_signal_wait(&s, SIGINT, IT_HANG_GUARD);
    ck_assert_msg(st == 0, "no exit 0 after the second signal (%d), see %s", st, s.log);
    ck_assert(it_log_has(&s, "second signal: skipping the rest of the shutdown delay"));
    ck_assert(it_log_has(&s, "stopped"));
}
END_TEST

START_TEST(test_exits_after_shutdown_delay)
{
    /* One SIGTERM is enough: with the default policy (5 s delay, then up to 10 s for open
     * connections) the server stops by itself, exits 0, and the port then refuses
     * connections. */
    const char *args[] = {"--cert", it_env.crt, "--key", it_env.key, NULL};
    struct it_server s;
    ck_assert(it_server_start(&s, "shutdown", args));
    it_assert_alive(s.port);
    unsigned port = s.port;
    int st = it_server_signal_wait(&s, SIGTERM, IT_HANG_GUARD);
    ck_assert_msg(st == 0, "exit status %d, see %s", st, s.log);
    ck_assert(it_log_has(&s, "SIGTERM: draining (delay 5 s"));
    ck_assert(!it_log_has(&s, "second signal"));
    ck_assert(it_log_has(&s, "stopped"));
    struct it_req h = {.path = "/healthz"};
    struct it_resp r;
    it_request(port, &h, &r);
    ck_assert_int_eq(r.curl_rc, CURLE_COULDNT_CONNECT);
    it_resp_cleanup(&r);
}
END_TEST

Suite *it_suite_lifecycle(void)
{
    Suite *s = suite_create("lifecycle");
    TCase *tc = tcase_create("startup");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_certs_output);
    tcase_add_test(tc, test_certs_bad_arguments);
    tcase_add_test(tc, test_refuses_key_mismatch);
    tcase_add_test(tc, test_refuses_cn_only);
    tcase_add_test(tc, test_refuses_expired);
    tcase_add_test(tc, test_refuses_non_pem);
    tcase_add_test(tc, test_refuses_bad_listen);
    suite_add_tcase(s, tc);
    TCase *sd = tcase_create("shutdown");
    tcase_set_timeout(sd, 120);
    tcase_add_test(sd, test_sighup_does_not_stop_serving);
    tcase_add_test(sd, test_draining_serves_with_connection_close);
    tcase_add_test(sd, test_second_signal_cuts_shutdown_delay);
    tcase_add_test(sd, test_exits_after_shutdown_delay);
    suite_add_tcase(s, sd);
    return s;
}
