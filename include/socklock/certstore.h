/* certstore: the serving certificate and key (and the --client-ca bundle) in force, read from
 * their files and replaced whole by a reload while the server serves. GnuTLS asks it for the
 * pair in every handshake (sl_certstore_retrieve()); each connection holds the generation its
 * handshake got until it closes, so a reload never frees a pair a session still uses. A set of
 * files that fails a check is refused and the generation in force stays. */
#ifndef SOCKLOCK_CERTSTORE_H
#define SOCKLOCK_CERTSTORE_H

#include <stdbool.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "socklock/common.h"

struct sl_certstore;

/* One connection's hold on the store: made when the connection opens, released when it
 * closes. */
struct sl_certstore_conn;

/* The files a store reads, borrowed for the call that takes them. */
struct sl_certstore_files {
    const char *cert;      /* PEM certificate, the leaf first, then its chain */
    const char *key;       /* PEM private key, unencrypted */
    const char *client_ca; /* PEM CA bundle for client certificates; NULL: no mutual TLS */
};

/* What the certificate in force says, for logs, metrics and readiness. */
struct sl_certstore_info {
    time_t not_before, not_after;
    char serial[64];     /* hex, as `openssl x509 -noout -serial` prints it */
    char dns_name[256];  /* the first DNS subjectAltName */
    unsigned generation; /* 1 for the pair read at start, one more per reload */
};

/* Reads and checks the files (sl_certgen_check_pair(), sl_certgen_check_ca()) and makes them
 * the first generation. The key's PEM text is wiped once GnuTLS holds the key. Fails with
 * SL_E_IO, SL_E_LIMIT or SL_E_INVALID; err names the file and what is wrong with it. Caller
 * frees *out with sl_certstore_free(), after every connection has closed. */
enum sl_status sl_certstore_new(const struct sl_certstore_files *files, struct sl_certstore **out,
                                struct sl_error *err);

/* Reads the same files again and, only if they pass the same checks, puts them in force for
 * the handshakes that begin from now on; connections open already keep theirs. On failure
 * nothing changes and err names the file and why. *info (optional) describes the generation in
 * force afterwards, the new one or the one that stays. Safe from any thread. */
enum sl_status sl_certstore_reload(struct sl_certstore *s, struct sl_certstore_info *info,
                                   struct sl_error *err);

/* The generation in force. Safe from any thread. */
void sl_certstore_info(struct sl_certstore *s, struct sl_certstore_info *info);

/* True once the certificate in force is past its not-after time. Lock-free. */
bool sl_certstore_expired(const struct sl_certstore *s);

/* Whether the store has a client CA (mutual TLS). */
bool sl_certstore_mtls(const struct sl_certstore *s);

/* The generation the handshake of `session` is to serve, for
 * MHD_OPTION_HTTPS_CERT_CALLBACK. The session must belong to a connection that
 * sl_certstore_connection_started() was told of; -1 (the handshake fails) otherwise. */
int sl_certstore_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
                          const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
                          gnutls_pcert_st **pcert, unsigned int *pcert_length,
                          gnutls_privkey_t *privkey);

/* A connection has opened, its handshake not yet begun; returns its hold on the store, to
 * pass to sl_certstore_connection_closed(). With a client CA, the session is set to ask the
 * client for a certificate. */
struct sl_certstore_conn *sl_certstore_connection_started(struct sl_certstore *s,
                                                          gnutls_session_t session);

/* The connection has closed: the generation its handshake got may be freed now. Accepts
 * NULL. */
void sl_certstore_connection_closed(struct sl_certstore_conn *conn);

/* True when the peer of `session` presented a certificate that chains to the client CA in
 * force and whose key purposes allow TLS client authentication. */
bool sl_certstore_client_ok(struct sl_certstore *s, gnutls_session_t session);

/* Frees the store and the generation in force. Accepts NULL. */
void sl_certstore_free(struct sl_certstore *s);

#endif
