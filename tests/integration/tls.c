/* TLS versions, hostname verification and mutual TLS (docs/admission.md, "TLS"). */
#include "itest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "socklock/certgen.h"

static void review_with(unsigned port, struct it_req *q, struct it_resp *r)
{
    static char body[4096];
    char *b = it_review_good("admission.k8s.io/v1", "tls");
    snprintf(body, sizeof(body), "%s", b);
    free(b);
    q->path = q->path ? q->path : "/validate";
    q->ctype = "application/json";
    q->body = body;
    q->len = strlen(body);
    it_request(port, q, r);
}

START_TEST(test_tls12_and_tls13)
{
    static const long versions[] = {CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2,
                                    CURL_SSLVERSION_TLSv1_3 | CURL_SSLVERSION_MAX_TLSv1_3};
    for (size_t i = 0; i < 2; i++) {
        struct it_req q = {.sslversion = versions[i]};
        struct it_resp r;
        review_with(it_env.main.port, &q, &r);
        ck_assert_msg(r.curl_rc == CURLE_OK, "%s", curl_easy_strerror((CURLcode)r.curl_rc));
        ck_assert_int_eq(r.status, 200);
        it_resp_cleanup(&r);
    }
}
END_TEST

START_TEST(test_old_tls_refused)
{
    /* The client allows TLS 1.0/1.1 and weak suites (SECLEVEL=0), so only the server's
     * priority string can refuse them. */
    static const long versions[] = {CURL_SSLVERSION_TLSv1_0 | CURL_SSLVERSION_MAX_TLSv1_0,
                                    CURL_SSLVERSION_TLSv1_1 | CURL_SSLVERSION_MAX_TLSv1_1};
    for (size_t i = 0; i < 2; i++) {
        struct it_req q = {
            .path = "/healthz", .sslversion = versions[i], .cipher_list = "DEFAULT@SECLEVEL=0"};
        struct it_resp r;
        it_request(it_env.main.port, &q, &r);
        ck_assert_msg(r.curl_rc != CURLE_OK, "TLS 1.%zu accepted", i);
        ck_assert_int_eq(r.status, 0);
        it_resp_cleanup(&r);
    }
    /* TLS 1.2 with a CBC suite is refused too. */
    struct it_req q = {.path = "/healthz",
                       .sslversion = CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2,
                       .cipher_list = "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"};
    struct it_resp r;
    it_request(it_env.main.port, &q, &r);
    ck_assert_msg(r.curl_rc != CURLE_OK, "CBC suite accepted");
    it_resp_cleanup(&r);
    it_assert_alive(it_env.main.port);
}
END_TEST

START_TEST(test_hostnames)
{
    static const char *const good[] = {"socklock.socklock.svc",
                                       "socklock.socklock.svc.cluster.local", "localhost"};
    for (size_t i = 0; i < 3; i++) {
        struct it_req q = {.path = "/healthz", .host = good[i]};
        struct it_resp r;
        it_request(it_env.main.port, &q, &r);
        ck_assert_msg(r.curl_rc == CURLE_OK, "%s: %s", good[i],
                      curl_easy_strerror((CURLcode)r.curl_rc));
        it_resp_cleanup(&r);
    }
    struct it_req q = {.path = "/healthz", .host = "wrong.socklock.svc"};
    struct it_resp r;
    it_request(it_env.main.port, &q, &r);
    ck_assert_int_eq(r.curl_rc, CURLE_PEER_FAILED_VERIFICATION);
    it_resp_cleanup(&r);
}
END_TEST

START_TEST(test_mtls_requires_client_cert)
{
    /* Reviews need a client certificate from the CA; health and metrics do not. */
    struct it_req q = {0};
    struct it_resp r;
    review_with(it_env.mtls.port, &q, &r);
    ck_assert_int_eq(r.status, 403);
    ck_assert_str_eq(r.body, "{\"error\":\"client certificate required\"}");
    it_resp_cleanup(&r);
    static const char *const open_paths[] = {"/healthz", "/readyz", "/metrics"};
    for (size_t i = 0; i < 3; i++) {
        struct it_req g = {.path = open_paths[i]};
        it_request(it_env.mtls.port, &g, &r);
        ck_assert_msg(r.status == 200, "%s: %ld", open_paths[i], r.status);
        it_resp_cleanup(&r);
    }
}
END_TEST

START_TEST(test_mtls_valid_client_cert)
{
    char crt[600], key[600];
    snprintf(crt, sizeof(crt), "%s/client.crt", it_env.dir);
    snprintf(key, sizeof(key), "%s/client.key", it_env.dir);
    struct sl_error err;
    ck_assert_int_eq(
        sl_certgen_write_client(it_env.ca, it_env.ca_key, "kube-apiserver", 1, crt, key, &err),
        SL_OK);
    struct it_req q = {.client_cert = crt, .client_key = key};
    struct it_resp r;
    review_with(it_env.mtls.port, &q, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    it_resp_cleanup(&r);
}
END_TEST

START_TEST(test_mtls_other_ca_refused)
{
    /* A client certificate from another CA is not a client certificate from ours. */
    char other[300], crt[600], key[600], ca[600], cakey[600];
    snprintf(other, sizeof(other), "%s/other", it_env.dir);
    struct sl_certgen_opts o = {.out_dir = other, .service = "x", .namespace_ = "y", .days = 1};
    char *bundle = NULL;
    struct sl_error err;
    ck_assert_int_eq(sl_certgen_write(&o, &bundle, &err), SL_OK);
    free(bundle);
    snprintf(ca, sizeof(ca), "%s/ca.crt", other);
    snprintf(cakey, sizeof(cakey), "%s/ca.key", other);
    snprintf(crt, sizeof(crt), "%s/client.crt", other);
    snprintf(key, sizeof(key), "%s/client.key", other);
    ck_assert_int_eq(sl_certgen_write_client(ca, cakey, "intruder", 1, crt, key, &err), SL_OK);
    struct it_req q = {.client_cert = crt, .client_key = key};
    struct it_resp r;
    review_with(it_env.mtls.port, &q, &r);
    /* Either the handshake fails or the handler refuses; never a review. */
    ck_assert_msg(r.status == 403 || (r.curl_rc != CURLE_OK && r.status == 0), "%ld %s", r.status,
                  r.body);
    it_resp_cleanup(&r);
    /* The server's own serving certificate is not a client certificate either. */
    struct it_req q2 = {.client_cert = it_env.crt, .client_key = it_env.key};
    review_with(it_env.mtls.port, &q2, &r);
    ck_assert_msg(r.status == 403 || (r.curl_rc != CURLE_OK && r.status == 0), "%ld %s", r.status,
                  r.body);
    it_resp_cleanup(&r);
}
END_TEST

Suite *it_suite_tls(void)
{
    Suite *s = suite_create("tls");
    TCase *tc = tcase_create("tls");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_tls12_and_tls13);
    tcase_add_test(tc, test_old_tls_refused);
    tcase_add_test(tc, test_hostnames);
    suite_add_tcase(s, tc);
    TCase *m = tcase_create("mtls");
    tcase_set_timeout(m, 30);
    tcase_add_test(m, test_mtls_requires_client_cert);
    tcase_add_test(m, test_mtls_valid_client_cert);
    tcase_add_test(m, test_mtls_other_ca_refused);
    suite_add_tcase(s, m);
    return s;
}
