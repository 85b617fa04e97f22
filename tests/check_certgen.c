/* certgen: the CA and serving certificate `socklock certs` writes, verified with OpenSSL,
 * and the checks `serve` runs before it serves a certificate. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <check.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "socklock/certgen.h"
#include "testutil.h"

static char dir[64];

static char *in_dir(const char *name)
{
    static char buf[4][128];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, 128, "%s/%s", dir, name);
    return p;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static char *bundle;

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/socklock-certgen-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    struct sl_certgen_opts o = {
        .out_dir = in_dir("out"), .service = "hook", .namespace_ = "sec", .days = 3};
    struct sl_error err = {0};
    ck_assert_msg(sl_certgen_write(&o, &bundle, &err) == SL_OK, "%s", err.msg);
}

static void teardown(void)
{
    free(bundle);
    bundle = NULL;
    nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static X509 *load_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    ck_assert_ptr_nonnull(x);
    return x;
}

START_TEST(test_certgen_writes_files_with_modes)
{
    static const struct {
        const char *name;
        unsigned mode;
    } files[] = {
        {"out/ca.crt", 0644}, {"out/ca.key", 0600}, {"out/tls.crt", 0644}, {"out/tls.key", 0600}};
    for (size_t i = 0; i < 4; i++) {
        struct stat st;
        ck_assert_msg(stat(in_dir(files[i].name), &st) == 0, "%s missing", files[i].name);
        ck_assert_msg((st.st_mode & 0777) == files[i].mode, "%s has mode %o", files[i].name,
                      st.st_mode & 0777);
    }
    struct stat st;
    ck_assert_int_eq(stat(in_dir("out"), &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0700);
}
END_TEST

START_TEST(test_certgen_leaf_verifies_against_ca)
{
    X509 *ca = load_cert(in_dir("out/ca.crt"));
    X509 *leaf = load_cert(in_dir("out/tls.crt"));
    X509_STORE *store = X509_STORE_new();
    X509_STORE_add_cert(store, ca);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, store, leaf, NULL);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
    X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(ctx), "hook.sec.svc", 0);
    int ok = X509_verify_cert(ctx);
    ck_assert_msg(ok == 1, "verify: %s",
                  X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
    /* The leaf is no CA; the CA is one. */
    ck_assert_int_eq(X509_check_ca(leaf), 0);
    ck_assert_int_ne(X509_check_ca(ca), 0);
    ck_assert_int_ne(ASN1_INTEGER_cmp(X509_get0_serialNumber(ca), X509_get0_serialNumber(leaf)), 0);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    X509_free(leaf);
    X509_free(ca);
}
END_TEST

START_TEST(test_certgen_leaf_has_sans_and_eku)
{
    X509 *leaf = load_cert(in_dir("out/tls.crt"));
    static const char *const names[] = {"hook.sec.svc", "hook.sec.svc.cluster.local", "localhost"};
    for (size_t i = 0; i < 3; i++)
        ck_assert_msg(X509_check_host(leaf, names[i], 0, X509_CHECK_FLAG_NO_WILDCARDS, NULL) == 1,
                      "no SAN %s", names[i]);
    ck_assert_int_eq(X509_check_ip_asc(leaf, "127.0.0.1", 0), 1);
    ck_assert_int_ne(X509_check_host(leaf, "other.sec.svc", 0, 0, NULL), 1);
    ck_assert(X509_get_extended_key_usage(leaf) & XKU_SSL_SERVER);
    ck_assert(!(X509_get_extended_key_usage(leaf) & XKU_SSL_CLIENT));
    X509_free(leaf);
}
END_TEST

START_TEST(test_certgen_bundle_is_base64_of_ca)
{
    /* Decoded by python3's base64, not by the OpenSSL encoder certgen itself uses. */
    char why[512];
    ck_assert_msg(tu_base64_of_file(bundle, strlen(bundle), in_dir("out/ca.crt"), why, sizeof(why)),
                  "caBundle is not the base64 of ca.crt: %s", why);
}
END_TEST

START_TEST(test_certgen_check_pair)
{
    size_t clen = 0, klen = 0, calen = 0, cklen = 0;
    char *crt = tu_read_file(in_dir("out/tls.crt"), &clen);
    char *key = tu_read_file(in_dir("out/tls.key"), &klen);
    char *ca = tu_read_file(in_dir("out/ca.crt"), &calen);
    char *cakey = tu_read_file(in_dir("out/ca.key"), &cklen);
    struct sl_error err = {0};
    ck_assert_int_eq(sl_certgen_check_pair(crt, clen, key, klen, "tls.crt", "tls.key", &err),
                     SL_OK);
    /* The CA's key does not match the leaf. */
    ck_assert_int_eq(sl_certgen_check_pair(crt, clen, cakey, cklen, "tls.crt", "ca.key", &err),
                     SL_E_INVALID);
    ck_assert_str_eq(err.file, "ca.key");
    ck_assert_ptr_nonnull(strstr(err.msg, "does not match"));
    /* The CA has no DNS SAN. */
    ck_assert_int_eq(sl_certgen_check_pair(ca, calen, cakey, cklen, "ca.crt", "ca.key", &err),
                     SL_E_INVALID);
    ck_assert_str_eq(err.file, "ca.crt");
    ck_assert_ptr_nonnull(strstr(err.msg, "subjectAltName"));
    /* Not PEM at all. */
    ck_assert_int_eq(sl_certgen_check_pair("junk", 4, key, klen, "junk.crt", "tls.key", &err),
                     SL_E_INVALID);
    ck_assert_str_eq(err.file, "junk.crt");
    ck_assert_int_eq(sl_certgen_check_pair(crt, clen, "junk", 4, "tls.crt", "junk.key", &err),
                     SL_E_INVALID);
    ck_assert_str_eq(err.file, "junk.key");
    ck_assert_int_eq(sl_certgen_check_ca(ca, calen, "ca.crt", &err), SL_OK);
    ck_assert_int_eq(sl_certgen_check_ca("junk", 4, "x", &err), SL_E_INVALID);
    free(crt);
    free(key);
    free(ca);
    free(cakey);
}
END_TEST

START_TEST(test_certgen_client_cert)
{
    struct sl_error err = {0};
    ck_assert_int_eq(sl_certgen_write_client(in_dir("out/ca.crt"), in_dir("out/ca.key"),
                                             "apiserver", 1, in_dir("c.crt"), in_dir("c.key"),
                                             &err),
                     SL_OK);
    X509 *c = load_cert(in_dir("c.crt"));
    ck_assert(X509_get_extended_key_usage(c) & XKU_SSL_CLIENT);
    struct stat st;
    ck_assert_int_eq(stat(in_dir("c.key"), &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    X509_free(c);
}
END_TEST

START_TEST(test_certgen_rejects_bad_names)
{
    static const char *const bad[] = {"", "Upper", "a,DNS:evil.com", "-x", "x-", "a.b"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sl_certgen_opts o = {
            .out_dir = in_dir("bad"), .service = bad[i], .namespace_ = "ns", .days = 1};
        char *b = NULL;
        struct sl_error err = {0};
        ck_assert_msg(sl_certgen_write(&o, &b, &err) == SL_E_USAGE, "accepted \"%s\"", bad[i]);
        ck_assert_ptr_null(b);
    }
}
END_TEST

Suite *suite_certgen(void); /* collected into the runner by the Makefile */

Suite *suite_certgen(void)
{
    Suite *s = suite_create("certgen");
    TCase *tc = tcase_create("certgen");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_certgen_writes_files_with_modes);
    tcase_add_test(tc, test_certgen_leaf_verifies_against_ca);
    tcase_add_test(tc, test_certgen_leaf_has_sans_and_eku);
    tcase_add_test(tc, test_certgen_bundle_is_base64_of_ca);
    tcase_add_test(tc, test_certgen_check_pair);
    tcase_add_test(tc, test_certgen_client_cert);
    tcase_add_test(tc, test_certgen_rejects_bad_names);
    suite_add_tcase(s, tc);
    return s;
}
