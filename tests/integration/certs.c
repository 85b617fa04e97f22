/* Reloading the serving certificate of a running server (README, "Certificate reloads"): the
 * pair laid out as the kubelet mounts a Secret and renewed as cert-manager renews it (a new
 * key and certificate from the same CA, the kubelet swapping `..data`), while client threads
 * send reviews over keep-alive connections and over a new connection each. No request may
 * fail, and new handshakes must see the new certificate: a GnuTLS client that shares no code
 * with socklock reads the serial of what the server presents, and OpenSSL reads the serial
 * of the file that was published. A pair whose key does not match is refused while the pair
 * in force keeps serving; /readyz answers 503 once the served certificate expires, and 200
 * again after a renewal. The figures are printed. */
#define _DEFAULT_SOURCE /* timegm */
#include "itest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "socklock/certgen.h"

#define HOST "socklock.socklock.svc"
#define SANS "DNS:socklock.socklock.svc,DNS:localhost,IP:127.0.0.1"

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- pairs and a Secret volume --------------------------------------------------------- */

/* A leaf for HOST signed by the integration CA, valid from/to seconds from now, with the key
 * in `key` when that file exists, else a new ECDSA key (or RSA, as cert-manager makes by
 * default). */
static void make_leaf(const char *crt, const char *key, bool rsa, long not_before, long not_after)
{
    struct sl_certgen_leaf leaf = {.ca_crt = it_env.ca,
                                   .ca_key = it_env.ca_key,
                                   .key = key,
                                   .rsa = rsa,
                                   .crt = crt,
                                   .san = SANS,
                                   .not_before = not_before,
                                   .not_after = not_after};
    struct sl_error err = {0};
    ck_assert_msg(sl_certgen_write_leaf(&leaf, &err) == SL_OK, "%s", err.msg);
}

/* The serial of the certificate in a PEM file, in hex as OpenSSL prints it (leading zero
 * bytes left out). */
static void file_serial(const char *path, char *out, size_t size)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    ck_assert_ptr_nonnull(x);
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *hex = BN_bn2hex(bn);
    snprintf(out, size, "%s", hex);
    OPENSSL_free(hex);
    BN_free(bn);
    X509_free(x);
}

/* DIR/..2026_..._N/{tls.crt,tls.key}, DIR/..data -> that folder, DIR/tls.crt ->
 * ..data/tls.crt, DIR/tls.key -> ..data/tls.key: a Secret volume as the kubelet writes it. */
struct secret {
    char dir[400];
    char crt[450], key[450];
    int version; /* of the folder ..data leads to; 0 before the first */
};

static void stamp(const struct secret *sec, int version, const char *leaf, char *out, size_t size)
{
    snprintf(out, size, "%s/..2026_11_30_06_%02d_00.%09d%s%s", sec->dir, version % 60, version,
             leaf ? "/" : "", leaf ? leaf : "");
}

static void secret_init(struct secret *sec, const char *name)
{
    snprintf(sec->dir, sizeof(sec->dir), "%s/%s", it_env.dir, name);
    snprintf(sec->crt, sizeof(sec->crt), "%s/tls.crt", sec->dir);
    snprintf(sec->key, sizeof(sec->key), "%s/tls.key", sec->dir);
    sec->version = 0;
    ck_assert_int_eq(mkdir(sec->dir, 0755), 0);
    ck_assert_int_eq(symlink("..data/tls.crt", sec->crt), 0);
    ck_assert_int_eq(symlink("..data/tls.key", sec->key), 0);
}

/* Moves crt and key into a new timestamped folder and switches ..data to it the kubelet's
 * way (a ..data_tmp link renamed over ..data), then removes the old folder. Returns when the
 * rename happened. */
static double secret_publish(struct secret *sec, const char *crt, const char *key)
{
    int next = sec->version + 1;
    char path[600], tmp[600], data[600];
    stamp(sec, next, NULL, path, sizeof(path));
    ck_assert_int_eq(mkdir(path, 0755), 0);
    stamp(sec, next, "tls.crt", path, sizeof(path));
    ck_assert_int_eq(rename(crt, path), 0);
    stamp(sec, next, "tls.key", path, sizeof(path));
    ck_assert_int_eq(rename(key, path), 0);
    stamp(sec, next, NULL, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s/..data_tmp", sec->dir);
    snprintf(data, sizeof(data), "%s/..data", sec->dir);
    ck_assert_int_eq(symlink(strrchr(path, '/') + 1, tmp), 0);
    ck_assert_int_eq(rename(tmp, data), 0);
    double when = it_now();
    if (sec->version > 0) {
        stamp(sec, sec->version, "tls.crt", path, sizeof(path));
        ck_assert_int_eq(unlink(path), 0);
        stamp(sec, sec->version, "tls.key", path, sizeof(path));
        ck_assert_int_eq(unlink(path), 0);
        stamp(sec, sec->version, NULL, path, sizeof(path));
        ck_assert_int_eq(rmdir(path), 0);
    }
    sec->version = next;
    return when;
}

/* A new pair for HOST published into sec; its serial into serial. */
static double secret_renew(struct secret *sec, bool rsa, long not_before, long not_after,
                           char *serial, size_t size)
{
    char crt[500], key[500];
    snprintf(crt, sizeof(crt), "%s/next.crt", it_env.dir);
    snprintf(key, sizeof(key), "%s/next.key", it_env.dir);
    unlink(key); /* a new key each time, as cert-manager's rotationPolicy Always */
    make_leaf(crt, key, rsa, not_before, not_after);
    file_serial(crt, serial, size);
    return secret_publish(sec, crt, key);
}

/* ---- a client that reads the served certificate ------------------------------------------ */

/* Connects to 127.0.0.1:port with GnuTLS, verifying the server against the integration CA for
 * HOST, and writes the serial of the certificate it presented. False, with why, when the
 * handshake or the verification failed. */
static bool served_serial(unsigned port, char *out, size_t size, char *why, size_t wsize)
{
    bool ok = false;
    gnutls_certificate_credentials_t cred = NULL;
    gnutls_session_t s = NULL;
    gnutls_x509_crt_t crt = NULL;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        snprintf(why, wsize, "cannot connect");
        goto out;
    }
    ck_assert_int_eq(gnutls_certificate_allocate_credentials(&cred), 0);
    ck_assert_int_gt(gnutls_certificate_set_x509_trust_file(cred, it_env.ca, GNUTLS_X509_FMT_PEM),
                     0);
    ck_assert_int_eq(gnutls_init(&s, GNUTLS_CLIENT), 0);
    ck_assert_int_eq(gnutls_set_default_priority(s), 0);
    ck_assert_int_eq(gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred), 0);
    gnutls_server_name_set(s, GNUTLS_NAME_DNS, HOST, strlen(HOST));
    gnutls_session_set_verify_cert(s, HOST, 0);
    gnutls_transport_set_int(s, fd);
    gnutls_handshake_set_timeout(s, (unsigned)(IT_HANG_GUARD * 1000));
    int e;
    do {
        e = gnutls_handshake(s);
    } while (e < 0 && gnutls_error_is_fatal(e) == 0);
    if (e < 0) {
        snprintf(why, wsize, "handshake: %s", gnutls_strerror(e));
        goto out;
    }
    unsigned n = 0;
    const gnutls_datum_t *peers = gnutls_certificate_get_peers(s, &n);
    ck_assert(peers != NULL && n >= 1);
    ck_assert_int_eq(gnutls_x509_crt_init(&crt), 0);
    ck_assert_int_eq(gnutls_x509_crt_import(crt, &peers[0], GNUTLS_X509_FMT_DER), 0);
    unsigned char raw[64];
    size_t len = sizeof(raw);
    ck_assert_int_eq(gnutls_x509_crt_get_serial(crt, raw, &len), 0);
    size_t i = 0;
    while (i + 1 < len && raw[i] == 0) /* DER's sign byte, not part of the number */
        i++;
    out[0] = '\0';
    for (size_t o = 0; i < len && o + 3 <= size; i++, o += 2)
        snprintf(out + o, 3, "%02X", raw[i]);
    gnutls_bye(s, GNUTLS_SHUT_WR);
    ok = true;
out:
    if (crt != NULL)
        gnutls_x509_crt_deinit(crt);
    if (s != NULL)
        gnutls_deinit(s);
    if (cred != NULL)
        gnutls_certificate_free_credentials(cred);
    if (fd >= 0)
        close(fd);
    return ok;
}

/* ---- metrics ----------------------------------------------------------------------------- */

#define RELOADS_OK  "socklock_certificate_reloads_total{result=\"success\"}"
#define RELOADS_BAD "socklock_certificate_reloads_total{result=\"failure\"}"
#define EXPIRY      "socklock_certificate_expiry_timestamp_seconds"

/* The notAfter of a PEM certificate file, Unix seconds. */
static double file_not_after(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    ck_assert_ptr_nonnull(x);
    struct tm tm;
    ck_assert_int_eq(ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm), 1);
    X509_free(x);
    return (double)timegm(&tm);
}

/* ---- the load ---------------------------------------------------------------------------- */

struct load {
    unsigned port;
    atomic_bool stop;
    pthread_mutex_t lock;
    unsigned long sent_keepalive, sent_fresh;
    unsigned long failed; /* not an HTTP 200 AdmissionReview answering the request */
    char problem[600];    /* the first failure */
};

struct worker {
    pthread_t thread;
    struct load *ld;
    int id;
    bool keepalive; /* one connection for every request; else a new one for each */
    long connections;
};

static void *work(void *arg)
{
    struct worker *wk = arg;
    struct load *ld = wk->ld;
    struct it_client *cl = wk->keepalive ? it_client_new(ld->port) : NULL;
    for (unsigned long i = 0; !atomic_load(&ld->stop); i++) {
        char uid[64];
        snprintf(uid, sizeof(uid), "c%d-%lu", wk->id, i);
        char *body = it_review_good("admission.k8s.io/v1", uid);
        struct it_resp r;
        if (cl != NULL) {
            it_client_post(cl, "/validate", body, strlen(body), &r);
        } else {
            struct it_req q = {.path = "/validate",
                               .ctype = "application/json",
                               .body = body,
                               .len = strlen(body)};
            it_request(ld->port, &q, &r);
        }
        bool ok = r.curl_rc == CURLE_OK && r.status == 200 && r.body != NULL &&
                  strstr(r.body, uid) != NULL && strstr(r.body, "\"allowed\":true") != NULL;
        pthread_mutex_lock(&ld->lock);
        if (cl != NULL)
            ld->sent_keepalive++;
        else
            ld->sent_fresh++;
        if (!ok) {
            ld->failed++;
            if (ld->problem[0] == '\0')
                snprintf(ld->problem, sizeof(ld->problem), "request %s: %s, HTTP %ld: %.300s", uid,
                         curl_easy_strerror((CURLcode)r.curl_rc), r.status, r.body ? r.body : "");
        }
        pthread_mutex_unlock(&ld->lock);
        it_resp_cleanup(&r);
        free(body);
    }
    if (cl != NULL)
        wk->connections = it_client_connections(cl);
    it_client_free(cl);
    return NULL;
}

static void sent(struct load *ld, unsigned long *keepalive, unsigned long *fresh)
{
    pthread_mutex_lock(&ld->lock);
    *keepalive = ld->sent_keepalive;
    *fresh = ld->sent_fresh;
    pthread_mutex_unlock(&ld->lock);
}

/* Lets the clients send n more requests of each kind, so that every pair serves both. */
static void more_requests(struct load *ld, unsigned long n)
{
    unsigned long k0, f0, k, f;
    sent(ld, &k0, &f0);
    double end = it_now() + IT_HANG_GUARD;
    for (;;) {
        sent(ld, &k, &f);
        if (k >= k0 + n && f >= f0 + n)
            return;
        ck_assert_msg(it_now() < end, "the clients sent %lu and %lu more requests, not %lu", k - k0,
                      f - f0, n);
        sleep_ms(10); /* poll interval */
    }
}

/* Polls with new handshakes until the server presents `serial`, at most IT_HANG_GUARD after
 * `since`; returns how long after `since` it was first seen. Every handshake must succeed. */
static double wait_served(unsigned port, const char *serial, double since, unsigned *handshakes)
{
    for (;;) {
        char got[64], why[256];
        ck_assert_msg(served_serial(port, got, sizeof(got), why, sizeof(why)), "%s", why);
        (*handshakes)++;
        double t = it_now() - since;
        if (strcmp(got, serial) == 0)
            return t;
        ck_assert_msg(t < IT_HANG_GUARD, "still serving %s, not %s, %.1f s after the swap", got,
                      serial, t);
        sleep_ms(5); /* poll interval */
    }
}

/* Stops a server the graceful way (a second signal skips the shutdown delay), so that the
 * sanitizer builds check it for leaks at exit; asserts exit 0. */
static void stop_server(struct it_server *s)
{
    kill(s->pid, SIGTERM);
    ck_assert_msg(it_log_wait(s, "SIGTERM: draining", IT_HANG_GUARD), "see %s", s->log);
    int st = it_server_signal_wait(s, SIGINT, IT_HANG_GUARD);
    ck_assert_msg(st == 0, "exit status %d, see %s", st, s->log);
}

static void start_on(struct it_server *s, const char *name, const struct secret *sec)
{
    const char *args[] = {"--cert", sec->crt, "--key", sec->key, "--threads", "4", NULL};
    ck_assert_msg(it_server_start(s, name, args), "server did not start, see %s", s->log);
    /* The watch starts right after the server: a swap before it would go unnoticed. */
    ck_assert_msg(it_log_wait(s, "reloading the certificate when", IT_HANG_GUARD), "see %s",
                  s->log);
}

#define KEEPALIVE_CLIENTS 2
#define FRESH_CLIENTS     2
#define SWAPS             5
#define PER_PAIR          20 /* requests of each kind the clients send under each pair */

START_TEST(test_certs_rotation_under_load)
{
    struct secret sec;
    secret_init(&sec, "secret-rotation");
    char serial[SWAPS + 1][64];
    /* Valid for 90 days, as cert-manager's default: no expiry warning. */
    secret_renew(&sec, true, -60, 90L * 86400, serial[0], sizeof(serial[0]));
    struct it_server s;
    start_on(&s, "certs-rotation", &sec);
    unsigned handshakes = 0;
    wait_served(s.port, serial[0], it_now(), &handshakes);
    ck_assert(!it_log_has(&s, "renew it"));

    struct load ld = {.port = s.port};
    pthread_mutex_init(&ld.lock, NULL);
    struct worker wk[KEEPALIVE_CLIENTS + FRESH_CLIENTS];
    for (int i = 0; i < KEEPALIVE_CLIENTS + FRESH_CLIENTS; i++) {
        wk[i] = (struct worker){.ld = &ld, .id = i, .keepalive = i < KEEPALIVE_CLIENTS};
        ck_assert_int_eq(pthread_create(&wk[i].thread, NULL, work, &wk[i]), 0);
    }
    more_requests(&ld, PER_PAIR);

    /* 1. Five renewals, alternating RSA and ECDSA keys; the last one is valid for 10 days
     * only, which is warned about. */
    double seen[SWAPS], worst = 0, sum = 0;
    for (int i = 1; i <= SWAPS; i++) {
        long days = i == SWAPS ? 10 : 90;
        double at = secret_renew(&sec, i % 2 == 0, -60, days * 86400, serial[i], sizeof(serial[i]));
        seen[i - 1] = wait_served(s.port, serial[i], at, &handshakes);
        sum += seen[i - 1];
        worst = seen[i - 1] > worst ? seen[i - 1] : worst;
        it_wait_metric(s.port, RELOADS_OK, i);
        more_requests(&ld, PER_PAIR);
    }
    ck_assert(it_metric(s.port, EXPIRY) == file_not_after(sec.crt));
    char want[1200];
    snprintf(want, sizeof(want), "the certificate in force (serial %s) expires at ", serial[SWAPS]);
    ck_assert_msg(it_log_wait(&s, want, IT_HANG_GUARD), "no \"%s\" in %s", want, s.log);
    ck_assert(it_log_wait(&s, "days: renew it", IT_HANG_GUARD));

    /* 2. A certificate with another pair's key: refused, counted, logged with the reason,
     * and the pair in force still served to new handshakes. */
    char crt[500], key[500], other_crt[500];
    snprintf(crt, sizeof(crt), "%s/mm.crt", it_env.dir);
    snprintf(key, sizeof(key), "%s/mm.key", it_env.dir);
    snprintf(other_crt, sizeof(other_crt), "%s/mm-other.crt", it_env.dir);
    make_leaf(crt, key, false, -60, 86400);
    ck_assert_int_eq(unlink(key), 0);
    make_leaf(other_crt, key, false, -60, 86400); /* a new key in key: crt no longer matches */
    double expiry_before = it_metric(s.port, EXPIRY);
    secret_publish(&sec, crt, key);
    it_wait_metric(s.port, RELOADS_BAD, 1);
    snprintf(want, sizeof(want),
             "certificate files changed: certificate reload refused, the certificate in force "
             "stays (serial %s, ",
             serial[SWAPS]);
    ck_assert_msg(it_log_wait(&s, want, IT_HANG_GUARD), "no \"%s\" in %s", want, s.log);
    snprintf(want, sizeof(want), "%s: private key does not match the certificate in %s", sec.key,
             sec.crt);
    ck_assert_msg(it_log_wait(&s, want, IT_HANG_GUARD), "no \"%s\" in %s", want, s.log);
    more_requests(&ld, PER_PAIR);
    char got[64], why[256];
    ck_assert_msg(served_serial(s.port, got, sizeof(got), why, sizeof(why)), "%s", why);
    handshakes++;
    ck_assert_str_eq(got, serial[SWAPS]);
    ck_assert(it_metric(s.port, EXPIRY) == expiry_before);
    ck_assert(it_metric(s.port, RELOADS_OK) == SWAPS);

    atomic_store(&ld.stop, true);
    long connections = 0;
    for (int i = 0; i < KEEPALIVE_CLIENTS + FRESH_CLIENTS; i++) {
        pthread_join(wk[i].thread, NULL);
        connections += wk[i].connections;
    }
    unsigned long total = ld.sent_keepalive + ld.sent_fresh;
    printf("certificate rotation under load: %lu requests (%lu over %d keep-alive clients, "
           "which opened %ld connections; %lu on a new connection each), %lu failed; %d swaps, "
           "new certificate seen by a new handshake %.3f s after the swap on average, %.3f s "
           "at worst; %u probe handshakes, none failed; reloads: %.0f succeeded, %.0f refused "
           "(a key that does not match)\n",
           total, ld.sent_keepalive, KEEPALIVE_CLIENTS, connections, ld.sent_fresh, ld.failed,
           SWAPS, sum / SWAPS, worst, handshakes, it_metric(s.port, RELOADS_OK),
           it_metric(s.port, RELOADS_BAD));
    ck_assert_msg(ld.failed == 0, "%lu failed: %s", ld.failed, ld.problem);
    /* The keep-alive clients kept their connections, and their first pair, across every
     * swap. */
    ck_assert_int_eq(connections, KEEPALIVE_CLIENTS);
    pthread_mutex_destroy(&ld.lock);
    stop_server(&s);
}
END_TEST

/* Polls /readyz, as a kubelet probe does (without verifying the certificate), until it
 * answers `status`. */
static void wait_readyz(unsigned port, long status)
{
    double end = it_now() + IT_HANG_GUARD;
    for (;;) {
        struct it_req q = {.path = "/readyz", .insecure = true};
        struct it_resp r;
        it_request(port, &q, &r);
        long got = r.status;
        it_resp_cleanup(&r);
        if (got == status)
            return;
        ck_assert_msg(it_now() < end, "/readyz still %ld, never %ld", got, status);
        sleep_ms(50); /* poll interval */
    }
}

START_TEST(test_certs_readyz_503_once_expired)
{
    /* A pair that expires 3 s after it is made: /readyz 200, then 503 once it has expired
     * (logged, with the start's warning before it), /healthz still 200 (a restart would not
     * help: an expired pair is refused at start); a renewal makes it ready again. A pair not
     * valid yet is refused on reload like at start. */
    struct secret sec;
    secret_init(&sec, "secret-expiry");
    char serial[64];
    secret_renew(&sec, false, -60, 3, serial, sizeof(serial));
    struct it_server s;
    start_on(&s, "certs-expiry", &sec);
    char want[300];
    snprintf(want, sizeof(want), "the certificate in force (serial %s) expires at ", serial);
    ck_assert_msg(it_log_has(&s, want), "no \"%s\" in %s", want, s.log);
    double t0 = it_now();
    wait_readyz(s.port, 503);
    double became = it_now() - t0;
    snprintf(want, sizeof(want), "the certificate in force (serial %s) expired at ", serial);
    ck_assert_msg(it_log_wait(&s, want, IT_HANG_GUARD), "no \"%s\" in %s", want, s.log);
    ck_assert_msg(it_log_wait(&s, "/readyz answers 503 until a valid one is loaded", 1), "see %s",
                  s.log);
    struct it_req h = {.path = "/healthz", .insecure = true};
    struct it_resp r;
    it_request(s.port, &h, &r);
    ck_assert_int_eq(r.status, 200);
    it_resp_cleanup(&r);

    char later[64];
    secret_renew(&sec, false, 3600, 7200, later, sizeof(later));
    it_wait_metric(s.port, RELOADS_BAD, 1);
    ck_assert(it_log_wait(&s, "certificate is not valid yet (not before ", IT_HANG_GUARD));

    char renewed[64];
    secret_renew(&sec, false, -60, 86400, renewed, sizeof(renewed));
    it_wait_metric(s.port, RELOADS_OK, 1);
    wait_readyz(s.port, 200);
    unsigned handshakes = 0;
    wait_served(s.port, renewed, it_now(), &handshakes);
    printf("expired certificate: /readyz answered 503 %.1f s after the start (the pair was "
           "valid for 3 s), 200 again after the renewal\n",
           became);
    stop_server(&s);
}
END_TEST

START_TEST(test_certs_sighup_reloads)
{
    /* SIGHUP reloads the files too, with or without a change; a plain file replaced in place
     * is seen as well. */
    char crt[500], key[500];
    snprintf(crt, sizeof(crt), "%s/plain.crt", it_env.dir);
    snprintf(key, sizeof(key), "%s/plain.key", it_env.dir);
    make_leaf(crt, key, false, -60, 86400);
    const char *args[] = {"--cert", crt, "--key", key, NULL};
    struct it_server s;
    ck_assert_msg(it_server_start(&s, "certs-sighup", args), "see %s", s.log);
    ck_assert(it_log_wait(&s, "reloading the certificate when", IT_HANG_GUARD));
    ck_assert_int_eq(kill(s.pid, SIGHUP), 0);
    it_wait_metric(s.port, RELOADS_OK, 1);
    ck_assert(it_log_wait(&s, "SIGHUP: certificate reloaded from ", IT_HANG_GUARD));
    /* The key is kept and the certificate rewritten in place, as `cp` does. */
    char serial[64], tmp[500];
    snprintf(tmp, sizeof(tmp), "%s/plain-next.crt", it_env.dir);
    make_leaf(tmp, key, false, -60, 86400);
    file_serial(tmp, serial, sizeof(serial));
    FILE *in = fopen(tmp, "r"), *out = fopen(crt, "w");
    ck_assert(in != NULL && out != NULL);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
    fclose(in);
    ck_assert_int_eq(fclose(out), 0);
    unsigned handshakes = 0;
    wait_served(s.port, serial, it_now(), &handshakes);
    stop_server(&s);
}
END_TEST

Suite *it_suite_certs(void)
{
    Suite *s = suite_create("certs");
    TCase *tc = tcase_create("certs");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_certs_rotation_under_load);
    tcase_add_test(tc, test_certs_readyz_503_once_expired);
    tcase_add_test(tc, test_certs_sighup_reloads);
    suite_add_tcase(s, tc);
    return s;
}
