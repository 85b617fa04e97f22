/* certstore: generations of the served certificate, key and client CA, each with a count of
 * the connections that hold it.
 *
 * How a reloaded pair reaches the handshakes. libmicrohttpd 0.9.75 offers two ways to change
 * the certificate of a running server, and socklock uses the first:
 *  - MHD_OPTION_HTTPS_CERT_CALLBACK (GnuTLS's gnutls_certificate_retrieve_function2): GnuTLS
 *    asks, in each handshake, which chain and key to serve. A reload builds a new generation
 *    aside and swaps one pointer; the next handshake gets it. Nothing stops, no connection is
 *    touched, the daemon's limits and thread pool stay as they are.
 *    MHD_OPTION_HTTPS_CERT_CALLBACK2 (retrieve_function3) adds OCSP stapling, which the API
 *    server does not ask for, and a flag to have GnuTLS free per-session copies, which would
 *    cost a parse of the certificate and the key in every handshake and keep the key's PEM in
 *    memory; it brings nothing else.
 *  - A listen-socket handover (a second daemon started on the first one's socket, the first
 *    one quiesced and stopped once its connections end): two thread pools and two sets of
 *    connection limits while the old connections last (twice the per-IP limit for a while),
 *    and a stop to time for every reload. More moving parts for the same result.
 *
 * How long a generation lives. GnuTLS neither copies nor frees what the callback returns
 * (gnutls_certificate_set_retrieve_function2(3)), and a session keeps pointing at it after
 * the handshake, until gnutls_deinit(). So the pair a handshake got must outlive that session,
 * and keep-alive connections last as long as their clients keep sending: no delay after a swap
 * is safe, so each generation counts its holders, like the policy (policyref.c). The store
 * holds one reference to the generation in force; the handshake of a connection takes one,
 * kept until libmicrohttpd reports the connection closed (MHD_OPTION_NOTIFY_CONNECTION), and
 * the last release frees the generation. libmicrohttpd calls gnutls_deinit() around that
 * report, before or after it depending on the path; deinit does not touch certificates the
 * application owns, and nothing sends on a closed connection, so either order is safe.
 *
 * The callback gets only the GnuTLS session, so the connection's hold must be reachable from
 * it. The notification of a new connection comes before its handshake, with the session
 * available (MHD_CONNECTION_INFO_GNUTLS_SESSION); the hold is stored as the session's
 * gnutls_db_set_ptr() pointer, which GnuTLS passes only to session-cache callbacks, and
 * libmicrohttpd sets none (and uses the session's other pointer, gnutls_session_set_ptr(), for
 * itself). The close notification cannot find it that way: on some paths libmicrohttpd
 * deinitialises the session before it reports the close (valgrind showed it), so the server
 * keeps the hold with the connection's own context and passes it back. One session serves
 * one generation, even if GnuTLS asks twice in one handshake.
 *
 * Checks. A new set of files is read from one snapshot: a Secret volume is updated by renaming
 * a new `..data` link over the old one, so tls.crt and tls.key read a moment apart may come
 * from two versions; when the links lead elsewhere after the reads than before, the files are
 * read again. Then the checks `serve` makes at start (sl_certgen_check_pair()): the PEM parses,
 * the key matches the certificate, now is within its validity, it has a DNS subjectAltName;
 * a client CA must hold a certificate. Only then does GnuTLS import them.
 *
 * Mutual TLS. The client CA is part of the generation, so it reloads with the pair. The
 * handshake asks for a client certificate without naming any CA (no trust list is given to
 * the daemon's credentials), and the handler checks the certificate against the generation in
 * force. Naming the CA would be harmful here: a Go client (the API server) sends no
 * certificate when none of its own chains to a CA the server names, so a name fixed at start
 * would lock out clients of a rotated CA. */
/* glibc declares explicit_bzero and realpath only with _DEFAULT_SOURCE, a feature-test macro
 * that must be defined before any header, reserved name or not. */
#define _DEFAULT_SOURCE /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
#include "socklock/certstore.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/x509.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"
#include "socklock/certgen.h"

#define PEM_MAX   ((size_t)1024 * 1024)
#define KEY_MAX   ((size_t)64 * 1024)
#define CHAIN_MAX 16u /* certificates in a served chain, or in a client's */
#define READS     3   /* attempts at reading the files from one snapshot */

struct gen {
    atomic_uint refs;
    gnutls_pcert_st chain[CHAIN_MAX];
    unsigned n;
    gnutls_privkey_t key;
    gnutls_x509_trust_list_t trust; /* the client CA; NULL without one */
    struct sl_certstore_info info;
};

struct sl_certstore {
    char *files[3]; /* certificate, key, client CA (NULL: none) */
    pthread_mutex_t lock;
    struct gen *current;    /* guarded by lock; the store owns one of its references */
    unsigned generations;   /* guarded by lock */
    atomic_llong not_after; /* current's, for readiness without the lock */
};

struct sl_certstore_conn {
    struct sl_certstore *store;
    struct gen *gen; /* what this connection's handshake serves; NULL before it */
};

/* ---- generations ---------------------------------------------------------------------- */

static void gen_free(struct gen *g)
{
    for (unsigned i = 0; i < g->n; i++)
        gnutls_pcert_deinit(&g->chain[i]);
    if (g->key != NULL)
        gnutls_privkey_deinit(g->key);
    if (g->trust != NULL)
        gnutls_x509_trust_list_deinit(g->trust, 1);
    free(g);
}

/* The increment may be relaxed: the store's lock orders it against the swap that drops the
 * store's reference. The decrement is acq_rel, so that every use of a generation happens
 * before the thread that frees it frees it. */
static struct gen *acquire(struct sl_certstore *s)
{
    pthread_mutex_lock(&s->lock);
    struct gen *g = s->current;
    atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&s->lock);
    return g;
}

static void release(struct gen *g)
{
    if (g != NULL && atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) == 1)
        gen_free(g);
}

/* ---- reading the files ------------------------------------------------------------------ */

/* Reads a private key file straight into one buffer that is never reallocated, so the only
 * copy to wipe is that buffer. NUL-terminated. */
static enum sl_status read_secret(const char *path, char **out, size_t *len, struct sl_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        sl_error_setpos(err, path, 0, 0, "cannot open: %s", strerror(errno));
        return SL_E_IO;
    }
    char *buf = sl_xmalloc(KEY_MAX + 1);
    size_t n = 0;
    enum sl_status rc = SL_OK;
    for (;;) {
        ssize_t r = read(fd, buf + n, KEY_MAX + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            sl_error_setpos(err, path, 0, 0, "cannot read: %s", strerror(errno));
            rc = SL_E_IO;
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > KEY_MAX) {
            sl_error_setpos(err, path, 0, 0, "file is larger than %zu bytes", KEY_MAX);
            rc = SL_E_LIMIT;
            break;
        }
    }
    close(fd);
    if (rc != SL_OK) {
        explicit_bzero(buf, KEY_MAX + 1);
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return SL_OK;
}

static void wipe_secret(char *key)
{
    if (key != NULL) {
        explicit_bzero(key, KEY_MAX + 1);
        free(key);
    }
}

/* The files' contents as read together. */
struct contents {
    struct sl_buf cert, ca;
    char *key;
    size_t key_len;
};

static void contents_cleanup(struct contents *c)
{
    sl_buf_cleanup(&c->cert);
    sl_buf_cleanup(&c->ca);
    wipe_secret(c->key);
    c->key = NULL;
}

static enum sl_status read_once(const struct sl_certstore *s, struct contents *c,
                                struct sl_error *err)
{
    sl_buf_init(&c->cert, PEM_MAX);
    sl_buf_init(&c->ca, PEM_MAX);
    c->key = NULL;
    enum sl_status rc = sl_buf_load_file(&c->cert, s->files[0], err);
    if (rc == SL_OK)
        rc = read_secret(s->files[1], &c->key, &c->key_len, err);
    if (rc == SL_OK && s->files[2] != NULL)
        rc = sl_buf_load_file(&c->ca, s->files[2], err);
    return rc;
}

/* Where each file leads now (NULL when it does not resolve). */
static void resolve(const struct sl_certstore *s, char *out[3])
{
    for (size_t i = 0; i < 3; i++)
        out[i] = s->files[i] != NULL ? realpath(s->files[i], NULL) : NULL;
}

static bool same_targets(char *a[3], char *b[3])
{
    bool same = true;
    for (size_t i = 0; i < 3; i++) {
        if ((a[i] == NULL) != (b[i] == NULL) || (a[i] != NULL && strcmp(a[i], b[i]) != 0))
            same = false;
        free(a[i]);
        free(b[i]);
    }
    return same;
}

/* Reads the files, again when a link among them was switched meanwhile (a Secret update). */
static enum sl_status read_snapshot(const struct sl_certstore *s, struct contents *c,
                                    struct sl_error *err)
{
    for (int attempt = 1;; attempt++) {
        char *before[3], *after[3];
        resolve(s, before);
        enum sl_status rc = read_once(s, c, err);
        resolve(s, after);
        if (same_targets(before, after) || attempt == READS)
            return rc;
        contents_cleanup(c);
    }
}

/* ---- a generation from the files ------------------------------------------------------- */

static void describe(gnutls_pcert_st *leaf, struct sl_certstore_info *info)
{
    memset(info, 0, sizeof(*info));
    gnutls_x509_crt_t crt = NULL;
    if (gnutls_pcert_export_x509(leaf, &crt) < 0)
        return;
    info->not_before = gnutls_x509_crt_get_activation_time(crt);
    info->not_after = gnutls_x509_crt_get_expiration_time(crt);
    unsigned char serial[40];
    size_t len = sizeof(serial);
    if (gnutls_x509_crt_get_serial(crt, serial, &len) == 0) {
        size_t i = 0;
        while (i + 1 < len && serial[i] == 0) /* a sign byte, not part of the number */
            i++;
        for (size_t o = 0; i < len && o + 3 <= sizeof(info->serial); i++, o += 2)
            snprintf(info->serial + o, 3, "%02X", serial[i]);
    }
    for (unsigned seq = 0;; seq++) {
        char name[sizeof(info->dns_name)];
        size_t size = sizeof(name);
        unsigned critical = 0;
        int type = gnutls_x509_crt_get_subject_alt_name(crt, seq, name, &size, &critical);
        if (type < 0)
            break;
        if (type == GNUTLS_SAN_DNSNAME) {
            snprintf(info->dns_name, sizeof(info->dns_name), "%.*s", (int)size, name);
            break;
        }
    }
    gnutls_x509_crt_deinit(crt);
}

static enum sl_status gnutls_failed(struct sl_error *err, const char *file, const char *what,
                                    int code)
{
    sl_error_setpos(err, file, 0, 0, "%s: %s", what, gnutls_strerror(code));
    return SL_E_INVALID;
}

/* Checks what was read and hands it to GnuTLS as a new generation (one reference). */
static enum sl_status make_gen(const struct sl_certstore *s, const struct contents *c,
                               struct gen **out, struct sl_error *err)
{
    enum sl_status rc = sl_certgen_check_pair(c->cert.data, c->cert.len, c->key, c->key_len,
                                              s->files[0], s->files[1], err);
    if (rc == SL_OK && s->files[2] != NULL)
        rc = sl_certgen_check_ca(c->ca.data, c->ca.len, s->files[2], err);
    if (rc != SL_OK)
        return rc;
    if (c->cert.len > UINT_MAX || c->ca.len > UINT_MAX || c->key_len > UINT_MAX) {
        sl_error_setpos(err, s->files[0], 0, 0, "file too large");
        return SL_E_LIMIT;
    }
    struct gen *g = sl_xcalloc(1, sizeof(*g));
    atomic_init(&g->refs, 1);
    gnutls_datum_t d = {.data = (unsigned char *)c->cert.data, .size = (unsigned)c->cert.len};
    g->n = CHAIN_MAX;
    int e = gnutls_pcert_list_import_x509_raw(g->chain, &g->n, &d, GNUTLS_X509_FMT_PEM, 0);
    if (e < 0) {
        g->n = 0;
        rc = gnutls_failed(err, s->files[0],
                           e == GNUTLS_E_SHORT_MEMORY_BUFFER
                               ? "more certificates than a chain may hold"
                               : "GnuTLS cannot use the certificates",
                           e);
        goto fail;
    }
    e = gnutls_privkey_init(&g->key);
    if (e == 0) {
        gnutls_datum_t k = {.data = (unsigned char *)c->key, .size = (unsigned)c->key_len};
        e = gnutls_privkey_import_x509_raw(g->key, &k, GNUTLS_X509_FMT_PEM, NULL, 0);
    }
    if (e < 0) {
        rc = gnutls_failed(err, s->files[1], "GnuTLS cannot use the private key", e);
        goto fail;
    }
    if (s->files[2] != NULL) {
        gnutls_datum_t ca = {.data = (unsigned char *)c->ca.data, .size = (unsigned)c->ca.len};
        e = gnutls_x509_trust_list_init(&g->trust, 0);
        if (e == 0)
            e = gnutls_x509_trust_list_add_trust_mem(g->trust, &ca, NULL, GNUTLS_X509_FMT_PEM, 0,
                                                     0);
        if (e <= 0) {
            rc = gnutls_failed(err, s->files[2], "GnuTLS cannot use the CA certificates",
                               e < 0 ? e : GNUTLS_E_NO_CERTIFICATE_FOUND);
            goto fail;
        }
    }
    describe(&g->chain[0], &g->info);
    *out = g;
    return SL_OK;
fail:
    gen_free(g);
    return rc;
}

static enum sl_status load(const struct sl_certstore *s, struct gen **out, struct sl_error *err)
{
    struct contents c;
    enum sl_status rc = read_snapshot(s, &c, err);
    if (rc == SL_OK)
        rc = make_gen(s, &c, out, err);
    /* GnuTLS holds its own parsed copy of the key now (or never will): wipe ours. */
    contents_cleanup(&c);
    return rc;
}

/* ---- the store -------------------------------------------------------------------------- */

static void put_in_force(struct sl_certstore *s, struct gen *g)
{
    pthread_mutex_lock(&s->lock);
    struct gen *old = s->current;
    g->info.generation = ++s->generations;
    s->current = g;
    atomic_store_explicit(&s->not_after, (long long)g->info.not_after, memory_order_relaxed);
    pthread_mutex_unlock(&s->lock);
    /* Freed now unless a connection's handshake still holds it. */
    release(old);
}

enum sl_status sl_certstore_new(const struct sl_certstore_files *files, struct sl_certstore **out,
                                struct sl_error *err)
{
    *out = NULL;
    struct sl_certstore *s = sl_xcalloc(1, sizeof(*s));
    s->files[0] = sl_xstrdup(files->cert);
    s->files[1] = sl_xstrdup(files->key);
    s->files[2] = files->client_ca != NULL ? sl_xstrdup(files->client_ca) : NULL;
    if (pthread_mutex_init(&s->lock, NULL) != 0)
        abort(); /* fails only for want of memory, which aborts everywhere else too */
    struct gen *g = NULL;
    enum sl_status rc = load(s, &g, err);
    if (rc != SL_OK) {
        sl_certstore_free(s);
        return rc;
    }
    put_in_force(s, g);
    *out = s;
    return SL_OK;
}

enum sl_status sl_certstore_reload(struct sl_certstore *s, struct sl_certstore_info *info,
                                   struct sl_error *err)
{
    struct gen *g = NULL;
    enum sl_status rc = load(s, &g, err);
    if (rc == SL_OK)
        put_in_force(s, g);
    if (info != NULL)
        sl_certstore_info(s, info);
    return rc;
}

void sl_certstore_info(struct sl_certstore *s, struct sl_certstore_info *info)
{
    pthread_mutex_lock(&s->lock);
    *info = s->current->info;
    pthread_mutex_unlock(&s->lock);
}

bool sl_certstore_expired(const struct sl_certstore *s)
{
    return (long long)time(NULL) > atomic_load_explicit(&s->not_after, memory_order_relaxed);
}

bool sl_certstore_mtls(const struct sl_certstore *s)
{
    return s->files[2] != NULL;
}

void sl_certstore_free(struct sl_certstore *s)
{
    if (s == NULL)
        return;
    release(s->current);
    pthread_mutex_destroy(&s->lock);
    for (size_t i = 0; i < 3; i++)
        free(s->files[i]);
    free(s);
}

/* ---- handshakes and connections ---------------------------------------------------------- */

int sl_certstore_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
                          const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
                          gnutls_pcert_st **pcert, unsigned int *pcert_length,
                          gnutls_privkey_t *privkey)
{
    SL_UNUSED(req_ca_rdn);
    SL_UNUSED(nreqs);
    SL_UNUSED(pk_algos);
    SL_UNUSED(pk_algos_length);
    struct sl_certstore_conn *cc = gnutls_db_get_ptr(session);
    if (cc == NULL)
        return -1; /* not a connection the server was told of: nothing could keep a pair */
    if (cc->gen == NULL)
        cc->gen = acquire(cc->store);
    *pcert = cc->gen->chain;
    *pcert_length = cc->gen->n;
    *privkey = cc->gen->key;
    return 0;
}

struct sl_certstore_conn *sl_certstore_connection_started(struct sl_certstore *s,
                                                          gnutls_session_t session)
{
    struct sl_certstore_conn *cc = sl_xcalloc(1, sizeof(*cc));
    cc->store = s;
    if (session != NULL) {
        gnutls_db_set_ptr(session, cc);
        if (sl_certstore_mtls(s))
            gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUEST);
    }
    return cc;
}

void sl_certstore_connection_closed(struct sl_certstore_conn *conn)
{
    if (conn == NULL)
        return;
    release(conn->gen);
    free(conn);
}

bool sl_certstore_client_ok(struct sl_certstore *s, gnutls_session_t session)
{
    static unsigned char client_auth_oid[] = GNUTLS_KP_TLS_WWW_CLIENT;
    unsigned n = 0;
    const gnutls_datum_t *peers = gnutls_certificate_get_peers(session, &n);
    if (peers == NULL || n == 0 || n > CHAIN_MAX)
        return false;
    gnutls_x509_crt_t crts[CHAIN_MAX];
    unsigned k = 0;
    bool ok = true;
    for (; k < n && ok; k++) {
        ok = gnutls_x509_crt_init(&crts[k]) == 0;
        if (!ok)
            break;
        ok = gnutls_x509_crt_import(crts[k], &peers[k], GNUTLS_X509_FMT_DER) == 0;
    }
    unsigned status = 1;
    if (ok) {
        gnutls_typed_vdata_st purpose = {.type = GNUTLS_DT_KEY_PURPOSE_OID,
                                         .data = client_auth_oid};
        /* The CA in force now, not the one of the handshake: a CA removed by a reload stops
         * admitting its clients on connections already open too. */
        struct gen *g = acquire(s);
        if (g->trust == NULL || gnutls_x509_trust_list_verify_crt2(g->trust, crts, n, &purpose, 1,
                                                                   0, &status, NULL) < 0)
            status = 1;
        release(g);
    }
    for (unsigned i = 0; i < k; i++)
        gnutls_x509_crt_deinit(crts[i]);
    return ok && status == 0;
}
