/* certgen: the webhook's certificates with OpenSSL libcrypto (never a shell-out): an ECDSA
 * P-256 CA, a serving certificate signed by it with the SANs the API server checks, client
 * certificates for mutual TLS, and the checks `serve` runs on a certificate before it
 * serves it. */
#ifndef SOCKLOCK_CERTGEN_H
#define SOCKLOCK_CERTGEN_H

#include <stdbool.h>
#include <stddef.h>

#include "socklock/common.h"

struct sl_certgen_opts {
    const char *out_dir;    /* created with mode 0700 when missing */
    const char *service;    /* NAME in NAME.NS.svc */
    const char *namespace_; /* NS in NAME.NS.svc */
    int days;               /* validity of the CA and the serving certificate, >= 1 */
};

/* Writes ca.crt, ca.key, tls.crt and tls.key into o->out_dir (keys with mode 0600). The
 * serving certificate has the SANs DNS:NAME.NS.svc, DNS:NAME.NS.svc.cluster.local,
 * DNS:localhost and IP:127.0.0.1, extendedKeyUsage serverAuth and CA:FALSE; serials are
 * random. On success *ca_bundle is the base64 of ca.crt's PEM (the webhook caBundle);
 * caller frees. On failure err names the file or step at fault. */
enum sl_status sl_certgen_write(const struct sl_certgen_opts *o, char **ca_bundle,
                                struct sl_error *err);

/* Writes a client certificate (extendedKeyUsage clientAuth, subject CN=cn) and its key,
 * signed by the CA in ca_crt_path/ca_key_path, to crt_path and key_path (mode 0600). For
 * `serve --client-ca` and its tests. */
enum sl_status sl_certgen_write_client(const char *ca_crt_path, const char *ca_key_path,
                                       const char *cn, int days, const char *crt_path,
                                       const char *key_path, struct sl_error *err);

/* A serving certificate signed by an existing CA, with a validity to the second: what a
 * renewal (cert-manager's, say) makes, for the tests of certificate reloads and expiry. */
struct sl_certgen_leaf {
    const char *ca_crt, *ca_key; /* the issuing CA, PEM files */
    const char *key;             /* PEM private key: reused when the file exists, else a new
                                  * one is written there (mode 0600) */
    bool rsa;                    /* a new key is RSA 2048 (cert-manager's default), else
                                  * ECDSA P-256 */
    const char *crt;             /* the certificate, written (mode 0644) */
    const char *san;             /* subjectAltName as X509v3 text ("DNS:a,IP:127.0.0.1"), or
                                  * NULL for none */
    long not_before, not_after;  /* seconds from now */
};

/* Writes o->crt (and o->key when it did not exist), subject CN=socklock.socklock.svc,
 * extendedKeyUsage serverAuth, a random serial. */
enum sl_status sl_certgen_write_leaf(const struct sl_certgen_leaf *o, struct sl_error *err);

/* Checks a serving certificate (PEM, the leaf first; further certificates are the chain) and
 * its private key (PEM) before they are served: both parse, the key matches the leaf's
 * public key, the leaf is within its validity window and has at least one DNS SAN (since
 * Kubernetes 1.19 the API server ignores the CN). The buffers are borrowed; cert_file and
 * key_file only name the files in err. */
enum sl_status sl_certgen_check_pair(const char *cert_pem, size_t cert_len, const char *key_pem,
                                     size_t key_len, const char *cert_file, const char *key_file,
                                     struct sl_error *err);

/* Checks that pem holds at least one parsable certificate (the --client-ca bundle). */
enum sl_status sl_certgen_check_ca(const char *pem, size_t len, const char *file,
                                   struct sl_error *err);

#endif
