/* certstore: reloading the served pair from files laid out as a mounted Secret (links through
 * `..data`), refusing pairs that must not be served while the one in force stays, and keeping
 * the pair a connection's handshake got alive until that connection closes. The handshake is
 * played by calling the retrieve function as GnuTLS would, on a real GnuTLS session. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "socklock/certgen.h"
#include "socklock/certstore.h"

static char dir[64];
static int version; /* of the folder ..data leads to */

static char *in_dir(const char *name)
{
    static char buf[8][160];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, 160, "%s/%s", dir, name);
    return p;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* The CA in ca/, and DIR/tls.crt -> ..data/tls.crt, DIR/tls.key -> ..data/tls.key. */
static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/socklock-certstore-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    struct sl_certgen_opts o = {
        .out_dir = in_dir("ca"), .service = "hook", .namespace_ = "sec", .days = 3};
    struct sl_error err = {0};
    char *bundle = NULL;
    ck_assert_msg(sl_certgen_write(&o, &bundle, &err) == SL_OK, "%s", err.msg);
    free(bundle);
    ck_assert_int_eq(symlink("..data/tls.crt", in_dir("tls.crt")), 0);
    ck_assert_int_eq(symlink("..data/tls.key", in_dir("tls.key")), 0);
    version = 0;
}

static void teardown(void)
{
    nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* A new folder v<N> with a leaf valid from/to the given seconds from now (a new key unless
 * key_from names an earlier version whose key is copied), then ..data switched to it as the
 * kubelet does: a new link renamed over the old one. */
static void publish(long not_before, long not_after, int key_from)
{
    char name[32], crt[160], key[160];
    snprintf(name, sizeof(name), "v%d", ++version);
    ck_assert_int_eq(mkdir(in_dir(name), 0700), 0);
    snprintf(crt, sizeof(crt), "%s/v%d/tls.crt", dir, version);
    snprintf(key, sizeof(key), "%s/v%d/tls.key", dir, version);
    if (key_from > 0) {
        char from[160];
        snprintf(from, sizeof(from), "%s/v%d/tls.key", dir, key_from);
        ck_assert_int_eq(link(from, key), 0);
    }
    struct sl_certgen_leaf leaf = {.ca_crt = in_dir("ca/ca.crt"),
                                   .ca_key = in_dir("ca/ca.key"),
                                   .key = key,
                                   .crt = crt,
                                   .san = "DNS:hook.sec.svc",
                                   .not_before = not_before,
                                   .not_after = not_after};
    struct sl_error err = {0};
    ck_assert_msg(sl_certgen_write_leaf(&leaf, &err) == SL_OK, "%s", err.msg);
    ck_assert_int_eq(symlink(name, in_dir("..data_tmp")), 0);
    ck_assert_int_eq(rename(in_dir("..data_tmp"), in_dir("..data")), 0);
}

/* Replaces what ..data/tls.key holds by another key of the same type (a pair that does not
 * match). */
static void publish_mismatch(void)
{
    publish(-60, 86400, 0);
    char other[160], key[160];
    snprintf(other, sizeof(other), "%s/other.key", dir);
    snprintf(key, sizeof(key), "%s/v%d/tls.key", dir, version);
    struct sl_certgen_leaf leaf = {.ca_crt = in_dir("ca/ca.crt"),
                                   .ca_key = in_dir("ca/ca.key"),
                                   .key = other,
                                   .crt = in_dir("other.crt"),
                                   .san = "DNS:hook.sec.svc",
                                   .not_before = -60,
                                   .not_after = 86400};
    struct sl_error err = {0};
    ck_assert_msg(sl_certgen_write_leaf(&leaf, &err) == SL_OK, "%s", err.msg);
    ck_assert_int_eq(rename(other, key), 0);
}

static struct sl_certstore *open_store(void)
{
    struct sl_certstore_files files = {.cert = in_dir("tls.crt"), .key = in_dir("tls.key")};
    struct sl_certstore *s = NULL;
    struct sl_error err = {0};
    ck_assert_msg(sl_certstore_new(&files, &s, &err) == SL_OK, "%s", err.msg);
    return s;
}

/* The serial of a served certificate, as certstore prints it. */
static void serial_of(const gnutls_pcert_st *pc, char *out, size_t size)
{
    gnutls_x509_crt_t crt = NULL;
    ck_assert_int_eq(gnutls_x509_crt_init(&crt), 0);
    ck_assert_int_eq(gnutls_x509_crt_import(crt, &pc->cert, GNUTLS_X509_FMT_DER), 0);
    unsigned char raw[40];
    size_t len = sizeof(raw);
    ck_assert_int_eq(gnutls_x509_crt_get_serial(crt, raw, &len), 0);
    size_t i = 0;
    while (i + 1 < len && raw[i] == 0)
        i++;
    out[0] = '\0';
    for (size_t o = 0; i < len && o + 3 <= size; i++, o += 2)
        snprintf(out + o, 3, "%02X", raw[i]);
    gnutls_x509_crt_deinit(crt);
}

/* A server session as libmicrohttpd makes one, told to the store; then its handshake asks
 * for the pair. */
struct conn {
    gnutls_session_t session;
    struct sl_certstore_conn *hold;
    gnutls_pcert_st *chain;
    unsigned n;
    gnutls_privkey_t key;
};

static void handshake(struct sl_certstore *s, struct conn *c)
{
    ck_assert_int_eq(gnutls_init(&c->session, GNUTLS_SERVER), 0);
    c->hold = sl_certstore_connection_started(s, c->session);
    ck_assert_int_eq(sl_certstore_retrieve(c->session, NULL, 0, NULL, 0, &c->chain, &c->n, &c->key),
                     0);
    ck_assert_uint_ge(c->n, 1);
    ck_assert_ptr_nonnull(c->key);
}

static void close_conn(struct conn *c)
{
    /* libmicrohttpd may deinitialise the session first: the hold must not need it. */
    gnutls_deinit(c->session);
    sl_certstore_connection_closed(c->hold);
}

static enum sl_status reload(struct sl_certstore *s, struct sl_certstore_info *info, char *msg,
                             size_t size)
{
    struct sl_error err = {0};
    enum sl_status rc = sl_certstore_reload(s, info, &err);
    sl_error_format(&err, msg, size);
    return rc;
}

START_TEST(test_certstore_reload_serves_new_pair_to_new_handshakes)
{
    publish(-60, 86400, 0);
    struct sl_certstore *s = open_store();
    struct sl_certstore_info first, info;
    sl_certstore_info(s, &first);
    ck_assert_uint_eq(first.generation, 1);
    ck_assert_str_eq(first.dns_name, "hook.sec.svc");
    ck_assert(!sl_certstore_expired(s));
    ck_assert(!sl_certstore_mtls(s));

    struct conn old;
    handshake(s, &old);
    char serial[64];
    serial_of(&old.chain[0], serial, sizeof(serial));
    ck_assert_str_eq(serial, first.serial);

    /* A renewal with a new key, then one that keeps the key (cert-manager's rotationPolicy
     * Never): both put in force; the open connection keeps the pair it was served. */
    char msg[1400];
    for (int i = 0; i < 2; i++) {
        publish(-60, 2 * 86400, i == 0 ? 0 : version);
        ck_assert_msg(reload(s, &info, msg, sizeof(msg)) == SL_OK, "%s", msg);
        ck_assert_uint_eq(info.generation, 2 + (unsigned)i);
        ck_assert_str_ne(info.serial, first.serial);
        ck_assert(info.not_after > first.not_after);
        struct conn fresh;
        handshake(s, &fresh);
        serial_of(&fresh.chain[0], serial, sizeof(serial));
        ck_assert_str_eq(serial, info.serial);
        close_conn(&fresh);
    }
    /* Read after two reloads freed nothing it holds (ASan and valgrind would say so). */
    serial_of(&old.chain[0], serial, sizeof(serial));
    ck_assert_str_eq(serial, first.serial);
    close_conn(&old);
    sl_certstore_free(s);
}
END_TEST

START_TEST(test_certstore_refuses_bad_pairs_and_keeps_serving)
{
    publish(-60, 86400, 0);
    struct sl_certstore *s = open_store();
    struct sl_certstore_info good, info;
    sl_certstore_info(s, &good);
    char msg[1400];

    publish_mismatch();
    ck_assert_int_eq(reload(s, &info, msg, sizeof(msg)), SL_E_INVALID);
    ck_assert_msg(strstr(msg, "private key does not match the certificate") != NULL, "%s", msg);
    ck_assert_msg(strstr(msg, "/tls.key: ") == msg + strlen(dir), "%s", msg);
    ck_assert_str_eq(info.serial, good.serial);
    ck_assert_uint_eq(info.generation, 1);

    publish(-7200, -3600, 0);
    ck_assert_int_eq(reload(s, &info, msg, sizeof(msg)), SL_E_INVALID);
    ck_assert_msg(strstr(msg, "certificate has expired (not after ") != NULL, "%s", msg);
    ck_assert_str_eq(info.serial, good.serial);

    publish(3600, 7200, 0);
    ck_assert_int_eq(reload(s, &info, msg, sizeof(msg)), SL_E_INVALID);
    ck_assert_msg(strstr(msg, "certificate is not valid yet (not before ") != NULL, "%s", msg);

    /* Garbage where the certificate should be, then no files at all. */
    publish(-60, 86400, 0);
    FILE *f = fopen(in_dir("..data/tls.crt"), "w");
    ck_assert_ptr_nonnull(f);
    fputs("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n", f);
    fclose(f);
    ck_assert_int_eq(reload(s, &info, msg, sizeof(msg)), SL_E_INVALID);
    ck_assert_msg(strstr(msg, "no PEM certificate") != NULL, "%s", msg);
    ck_assert_int_eq(unlink(in_dir("..data")), 0);
    ck_assert_int_eq(reload(s, &info, msg, sizeof(msg)), SL_E_IO);
    ck_assert_msg(strstr(msg, "cannot open") != NULL || strstr(msg, "cannot read") != NULL, "%s",
                  msg);

    /* Through all of that the first pair was served. */
    struct conn c;
    handshake(s, &c);
    char serial[64];
    serial_of(&c.chain[0], serial, sizeof(serial));
    ck_assert_str_eq(serial, good.serial);
    close_conn(&c);
    sl_certstore_info(s, &info);
    ck_assert_uint_eq(info.generation, 1);

    /* And a good pair after them is taken. */
    publish(-60, 86400, 0);
    ck_assert_msg(reload(s, &info, msg, sizeof(msg)) == SL_OK, "%s", msg);
    ck_assert_uint_eq(info.generation, 2);
    sl_certstore_free(s);
}
END_TEST

START_TEST(test_certstore_refuses_bad_pair_at_start)
{
    publish_mismatch();
    struct sl_certstore_files files = {.cert = in_dir("tls.crt"), .key = in_dir("tls.key")};
    struct sl_certstore *s = NULL;
    struct sl_error err = {0};
    ck_assert_int_eq(sl_certstore_new(&files, &s, &err), SL_E_INVALID);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err.msg, "does not match") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(test_certstore_session_not_told_is_refused)
{
    /* A handshake on a session the store was never told of gets no pair: nothing could keep
     * one alive for it. */
    publish(-60, 86400, 0);
    struct sl_certstore *s = open_store();
    gnutls_session_t session = NULL;
    ck_assert_int_eq(gnutls_init(&session, GNUTLS_SERVER), 0);
    gnutls_pcert_st *chain = NULL;
    unsigned n = 0;
    gnutls_privkey_t key = NULL;
    ck_assert_int_eq(sl_certstore_retrieve(session, NULL, 0, NULL, 0, &chain, &n, &key), -1);
    gnutls_deinit(session);
    /* A connection without a session, or that closes before its handshake, holds nothing. */
    sl_certstore_connection_closed(sl_certstore_connection_started(s, NULL));
    sl_certstore_connection_closed(NULL);
    ck_assert_int_eq(gnutls_init(&session, GNUTLS_SERVER), 0);
    struct sl_certstore_conn *hold = sl_certstore_connection_started(s, session);
    gnutls_deinit(session);
    sl_certstore_connection_closed(hold);
    sl_certstore_free(s);
}
END_TEST

START_TEST(test_certstore_mutual_tls_reloads_client_ca)
{
    publish(-60, 86400, 0);
    struct sl_certstore_files files = {
        .cert = in_dir("tls.crt"), .key = in_dir("tls.key"), .client_ca = in_dir("ca/ca.crt")};
    struct sl_certstore *s = NULL;
    struct sl_error err = {0};
    ck_assert_msg(sl_certstore_new(&files, &s, &err) == SL_OK, "%s", err.msg);
    ck_assert(sl_certstore_mtls(s));
    /* A client CA that is not a certificate is refused on reload. */
    FILE *f = fopen(in_dir("ca/ca.crt"), "w");
    ck_assert_ptr_nonnull(f);
    fputs("nothing\n", f);
    fclose(f);
    struct sl_certstore_info info;
    char msg[1400];
    ck_assert_int_eq(reload(s, &info, msg, sizeof(msg)), SL_E_INVALID);
    ck_assert_msg(strstr(msg, "ca/ca.crt: no PEM certificate") != NULL, "%s", msg);
    ck_assert_uint_eq(info.generation, 1);
    sl_certstore_free(s);
}
END_TEST

Suite *suite_certstore(void); /* collected into the runner by the Makefile */

Suite *suite_certstore(void)
{
    Suite *s = suite_create("certstore");
    TCase *tc = tcase_create("certstore");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_certstore_reload_serves_new_pair_to_new_handshakes);
    tcase_add_test(tc, test_certstore_refuses_bad_pairs_and_keeps_serving);
    tcase_add_test(tc, test_certstore_refuses_bad_pair_at_start);
    tcase_add_test(tc, test_certstore_session_not_told_is_refused);
    tcase_add_test(tc, test_certstore_mutual_tls_reloads_client_ca);
    suite_add_tcase(s, tc);
    return s;
}
