/* certgen: certificates for the webhook, made and inspected with OpenSSL libcrypto.
 *
 * `socklock certs` writes a small PKI: an ECDSA P-256 CA and a serving certificate signed by
 * it. The API server verifies the serving certificate against the webhook configuration's
 * caBundle and, since Kubernetes 1.19 (Go 1.15), only by its subjectAltNames, so the leaf
 * carries DNS:NAME.NS.svc and friends and the CN is informational. Serials are 159 random
 * bits (RFC 5280 allows 20 octets and wants them positive). Private keys are written through
 * OpenSSL's clearing memory BIO into files created with mode 0600.
 *
 * `serve` uses sl_certgen_check_pair() to refuse, at start, what the API server would refuse
 * later: a key that does not match, an expired certificate, a certificate without DNS SANs. */
#include "socklock/certgen.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "socklock/alloc.h"
#include "socklock/base64.h"

/* What one certificate should say. */
struct cert_spec {
    const char *cn;
    bool is_ca;
    const char *san; /* X509v3 config text, e.g. "DNS:a,IP:127.0.0.1", or NULL */
    const char *eku; /* "serverAuth", "clientAuth" or NULL */
    int days;        /* valid from five minutes ago for this many days; 0: the two below */
    long not_before, not_after; /* seconds from now, when days is 0 */
};

/* Puts OpenSSL's first queued error after `what` into err and clears the queue. */
static void ossl_error(struct sl_error *err, const char *file, const char *what)
{
    unsigned long e = ERR_get_error();
    char detail[256] = "unknown OpenSSL error";
    if (e != 0)
        ERR_error_string_n(e, detail, sizeof(detail));
    ERR_clear_error();
    if (file != NULL)
        sl_error_setpos(err, file, 0, 0, "%s (%s)", what, detail);
    else
        sl_error_set(err, "%s (%s)", what, detail);
}

/* Never prompts for a passphrase: encrypted keys are not supported. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    SL_UNUSED(buf);
    SL_UNUSED(size);
    SL_UNUSED(rwflag);
    SL_UNUSED(u);
    return -1;
}

/* An RFC 1123 label, as Kubernetes requires for service and namespace names. Checking it
 * also keeps commas and colons out of the SAN config text built from it. */
static bool is_dns_label(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

static bool add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
    if (ext == NULL)
        return false;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok == 1;
}

static bool set_random_serial(X509 *x)
{
    BIGNUM *bn = BN_new();
    bool ok = bn != NULL && BN_rand(bn, 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
              !BN_is_zero(bn) && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok;
}

/* Returns a new certificate for `key` as `s` describes, signed by issuer/issuer_key, or
 * self-signed when issuer is NULL. NULL on failure (err says why). Caller frees. */
static X509 *make_cert(const struct cert_spec *s, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                       struct sl_error *err)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    bool ok = x != NULL && name != NULL;
    ok = ok && X509_set_version(x, 2) == 1 && set_random_serial(x);
    if (s->days > 0) {
        /* Backdated five minutes for clocks that lag a little behind ours. */
        ok = ok && X509_gmtime_adj(X509_getm_notBefore(x), -300) != NULL;
        ok = ok && X509_time_adj_ex(X509_getm_notAfter(x), s->days, 0, NULL) != NULL;
    } else {
        ok = ok && X509_gmtime_adj(X509_getm_notBefore(x), s->not_before) != NULL;
        ok = ok && X509_gmtime_adj(X509_getm_notAfter(x), s->not_after) != NULL;
    }
    ok = ok && X509_set_pubkey(x, key) == 1;
    ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)s->cn,
                                          -1, -1, 0) == 1;
    ok = ok && X509_set_subject_name(x, name) == 1;
    ok = ok && X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) == 1;
    if (!ok) {
        ossl_error(err, NULL, "cannot build certificate");
        goto fail;
    }

    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    ok = add_ext(x, &ctx, NID_basic_constraints,
                 s->is_ca ? "critical,CA:TRUE,pathlen:0" : "critical,CA:FALSE");
    ok = ok && add_ext(x, &ctx, NID_key_usage,
                       s->is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
    ok = ok && add_ext(x, &ctx, NID_subject_key_identifier, "hash");
    if (issuer != NULL)
        ok = ok && add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
    if (s->san != NULL)
        ok = ok && add_ext(x, &ctx, NID_subject_alt_name, s->san);
    if (s->eku != NULL)
        ok = ok && add_ext(x, &ctx, NID_ext_key_usage, s->eku);
    ok = ok && X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0;
    if (!ok) {
        ossl_error(err, NULL, "cannot build certificate extensions or signature");
        goto fail;
    }
    X509_NAME_free(name);
    return x;
fail:
    X509_NAME_free(name);
    X509_free(x);
    return NULL;
}

/* Writes n bytes to a new file at path with the given mode (also when it existed with
 * another mode). Never follows a symbolic link at path. */
static enum sl_status write_file(const char *path, mode_t mode, const char *p, size_t n,
                                 struct sl_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) {
        sl_error_setpos(err, path, 0, 0, "cannot create: %s", strerror(errno));
        return SL_E_IO;
    }
    enum sl_status rc = SL_OK;
    if (fchmod(fd, mode) != 0) {
        sl_error_setpos(err, path, 0, 0, "cannot set mode: %s", strerror(errno));
        rc = SL_E_IO;
        goto out;
    }
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            sl_error_setpos(err, path, 0, 0, "cannot write: %s", strerror(errno));
            rc = SL_E_IO;
            goto out;
        }
        p += w;
        n -= (size_t)w;
    }
out:
    if (close(fd) != 0 && rc == SL_OK) {
        sl_error_setpos(err, path, 0, 0, "cannot write: %s", strerror(errno));
        rc = SL_E_IO;
    }
    return rc;
}

/* Writes cert (mode 0644) or key (mode 0600, through a clearing memory BIO) as PEM. */
static enum sl_status write_pem(const char *path, X509 *cert, EVP_PKEY *key, struct sl_error *err)
{
    BIO *mem = BIO_new(key != NULL ? BIO_s_secmem() : BIO_s_mem());
    if (mem == NULL) {
        ossl_error(err, path, "cannot allocate");
        return SL_E_INTERNAL;
    }
    enum sl_status rc = SL_OK;
    int ok = key != NULL ? PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL)
                         : PEM_write_bio_X509(mem, cert);
    if (ok != 1) {
        ossl_error(err, path, "cannot encode PEM");
        rc = SL_E_INTERNAL;
        goto out;
    }
    char *data = NULL;
    long n = BIO_get_mem_data(mem, &data);
    rc = write_file(path, key != NULL ? 0600 : 0644, data, (size_t)n, err);
out:
    BIO_free(mem);
    return rc;
}

static bool join(char *out, size_t size, const char *dir, const char *name)
{
    int n = snprintf(out, size, "%s/%s", dir, name);
    return n > 0 && (size_t)n < size;
}

static enum sl_status make_dir(const char *dir, struct sl_error *err)
{
    if (mkdir(dir, 0700) == 0)
        return SL_OK;
    struct stat st;
    if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return SL_OK;
    sl_error_setpos(err, dir, 0, 0, "cannot create directory: %s", strerror(errno));
    return SL_E_IO;
}

/* Returns the base64 of cert's PEM text. Caller frees. */
static char *ca_bundle_of(X509 *cert)
{
    BIO *mem = BIO_new(BIO_s_mem());
    char *out = NULL;
    if (mem != NULL && PEM_write_bio_X509(mem, cert) == 1) {
        char *data = NULL;
        long n = BIO_get_mem_data(mem, &data);
        out = sl_base64_encode(data, (size_t)n);
    }
    BIO_free(mem);
    return out;
}

enum sl_status sl_certgen_write(const struct sl_certgen_opts *o, char **ca_bundle,
                                struct sl_error *err)
{
    enum sl_status rc = SL_OK;
    EVP_PKEY *ca_key = NULL, *leaf_key = NULL;
    X509 *ca = NULL, *leaf = NULL;
    *ca_bundle = NULL;

    if (!is_dns_label(o->service) || !is_dns_label(o->namespace_)) {
        sl_error_set(err, "service and namespace must be DNS labels (RFC 1123): \"%s\", \"%s\"",
                     o->service, o->namespace_);
        return SL_E_USAGE;
    }
    if (o->days < 1 || o->days > 36500) {
        sl_error_set(err, "days must be between 1 and 36500");
        return SL_E_USAGE;
    }
    char paths[4][PATH_MAX];
    static const char *const names[4] = {"ca.crt", "ca.key", "tls.crt", "tls.key"};
    for (size_t i = 0; i < 4; i++) {
        if (!join(paths[i], sizeof(paths[i]), o->out_dir, names[i])) {
            sl_error_setpos(err, o->out_dir, 0, 0, "path too long");
            return SL_E_USAGE;
        }
    }
    rc = make_dir(o->out_dir, err);
    if (rc != SL_OK)
        return rc;

    ca_key = EVP_EC_gen("P-256");
    leaf_key = EVP_EC_gen("P-256");
    if (ca_key == NULL || leaf_key == NULL) {
        ossl_error(err, NULL, "cannot generate an ECDSA P-256 key");
        rc = SL_E_INTERNAL;
        goto out;
    }
    char cn[160], san[512];
    snprintf(cn, sizeof(cn), "%s.%s.svc", o->service, o->namespace_);
    snprintf(san, sizeof(san),
             "DNS:%s.%s.svc,DNS:%s.%s.svc.cluster.local,DNS:localhost,IP:127.0.0.1", o->service,
             o->namespace_, o->service, o->namespace_);
    struct cert_spec ca_spec = {.cn = "socklock CA", .is_ca = true, .days = o->days};
    struct cert_spec leaf_spec = {.cn = cn, .san = san, .eku = "serverAuth", .days = o->days};
    ca = make_cert(&ca_spec, ca_key, NULL, NULL, err);
    leaf = ca ? make_cert(&leaf_spec, leaf_key, ca, ca_key, err) : NULL;
    if (leaf == NULL) {
        rc = SL_E_INTERNAL;
        goto out;
    }
    /* Keys first: a half-written set then lacks certificates, never has stray keys. */
    rc = write_pem(paths[1], NULL, ca_key, err);
    if (rc == SL_OK)
        rc = write_pem(paths[3], NULL, leaf_key, err);
    if (rc == SL_OK)
        rc = write_pem(paths[0], ca, NULL, err);
    if (rc == SL_OK)
        rc = write_pem(paths[2], leaf, NULL, err);
    if (rc != SL_OK)
        goto out;
    *ca_bundle = ca_bundle_of(ca);
    if (*ca_bundle == NULL) {
        ossl_error(err, NULL, "cannot encode the caBundle");
        rc = SL_E_INTERNAL;
    }
out:
    X509_free(leaf);
    X509_free(ca);
    EVP_PKEY_free(leaf_key);
    EVP_PKEY_free(ca_key);
    return rc;
}

enum sl_status sl_certgen_write_client(const char *ca_crt_path, const char *ca_key_path,
                                       const char *cn, int days, const char *crt_path,
                                       const char *key_path, struct sl_error *err)
{
    enum sl_status rc = SL_OK;
    X509 *ca = NULL, *cert = NULL;
    EVP_PKEY *ca_key = NULL, *key = NULL;
    BIO *b = BIO_new_file(ca_crt_path, "r");
    ca = b ? PEM_read_bio_X509(b, NULL, no_passphrase, NULL) : NULL;
    BIO_free(b);
    if (ca == NULL) {
        ossl_error(err, ca_crt_path, "cannot read CA certificate");
        return SL_E_IO;
    }
    b = BIO_new_file(ca_key_path, "r");
    ca_key = b ? PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL) : NULL;
    BIO_free(b);
    if (ca_key == NULL) {
        ossl_error(err, ca_key_path, "cannot read CA key");
        rc = SL_E_IO;
        goto out;
    }
    key = EVP_EC_gen("P-256");
    if (key == NULL) {
        ossl_error(err, NULL, "cannot generate an ECDSA P-256 key");
        rc = SL_E_INTERNAL;
        goto out;
    }
    struct cert_spec spec = {.cn = cn, .eku = "clientAuth", .days = days};
    cert = make_cert(&spec, key, ca, ca_key, err);
    if (cert == NULL) {
        rc = SL_E_INTERNAL;
        goto out;
    }
    rc = write_pem(key_path, NULL, key, err);
    if (rc == SL_OK)
        rc = write_pem(crt_path, cert, NULL, err);
out:
    X509_free(cert);
    X509_free(ca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
    return rc;
}

/* Reads the PEM private key at path; NULL when there is none (errno ENOENT) or it does not
 * read (err says why). */
static EVP_PKEY *read_key(const char *path, struct sl_error *err)
{
    BIO *b = BIO_new_file(path, "r");
    if (b == NULL) {
        ERR_clear_error();
        sl_error_setpos(err, path, 0, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    EVP_PKEY *key = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
    BIO_free(b);
    if (key == NULL)
        ossl_error(err, path, "cannot read private key");
    return key;
}

enum sl_status sl_certgen_write_leaf(const struct sl_certgen_leaf *o, struct sl_error *err)
{
    enum sl_status rc = SL_OK;
    X509 *ca = NULL, *cert = NULL;
    EVP_PKEY *ca_key = NULL, *key = NULL;
    bool new_key = false;
    BIO *b = BIO_new_file(o->ca_crt, "r");
    ca = b ? PEM_read_bio_X509(b, NULL, no_passphrase, NULL) : NULL;
    BIO_free(b);
    if (ca == NULL) {
        ossl_error(err, o->ca_crt, "cannot read CA certificate");
        return SL_E_IO;
    }
    ca_key = read_key(o->ca_key, err);
    if (ca_key == NULL) {
        rc = SL_E_IO;
        goto out;
    }
    struct stat st;
    if (stat(o->key, &st) == 0) {
        key = read_key(o->key, err);
    } else {
        new_key = true;
        key = o->rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
        if (key == NULL)
            ossl_error(err, NULL, "cannot generate a key");
    }
    if (key == NULL) {
        rc = SL_E_IO;
        goto out;
    }
    struct cert_spec spec = {.cn = "socklock.socklock.svc",
                             .san = o->san,
                             .eku = "serverAuth",
                             .not_before = o->not_before,
                             .not_after = o->not_after};
    cert = make_cert(&spec, key, ca, ca_key, err);
    if (cert == NULL) {
        rc = SL_E_INTERNAL;
        goto out;
    }
    if (new_key)
        rc = write_pem(o->key, NULL, key, err);
    if (rc == SL_OK)
        rc = write_pem(o->crt, cert, NULL, err);
out:
    X509_free(cert);
    X509_free(ca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
    return rc;
}

/* Writes t as "YYYY-MM-DDTHH:MM:SSZ" into out; "?" when it does not convert. */
static void format_time(const ASN1_TIME *t, char *out, size_t size)
{
    struct tm tm;
    if (ASN1_TIME_to_tm(t, &tm) != 1 || strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, size, "?");
}

static size_t count_dns_sans(X509 *x)
{
    GENERAL_NAMES *sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    size_t n = 0;
    for (int i = 0; sans != NULL && i < sk_GENERAL_NAME_num(sans); i++) {
        if (sk_GENERAL_NAME_value(sans, i)->type == GEN_DNS)
            n++;
    }
    GENERAL_NAMES_free(sans);
    return n;
}

enum sl_status sl_certgen_check_pair(const char *cert_pem, size_t cert_len, const char *key_pem,
                                     size_t key_len, const char *cert_file, const char *key_file,
                                     struct sl_error *err)
{
    enum sl_status rc = SL_E_INVALID;
    X509 *leaf = NULL;
    EVP_PKEY *key = NULL;
    if (cert_len > INT_MAX || key_len > INT_MAX) {
        sl_error_setpos(err, cert_file, 0, 0, "file too large");
        return SL_E_LIMIT;
    }
    BIO *b = BIO_new_mem_buf(cert_pem, (int)cert_len);
    leaf = b ? PEM_read_bio_X509(b, NULL, no_passphrase, NULL) : NULL;
    BIO_free(b);
    if (leaf == NULL) {
        ossl_error(err, cert_file, "no PEM certificate");
        goto out;
    }
    b = BIO_new_mem_buf(key_pem, (int)key_len);
    key = b ? PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL) : NULL;
    BIO_free(b);
    if (key == NULL) {
        ossl_error(err, key_file, "no PEM private key (encrypted keys are not supported)");
        goto out;
    }
    if (X509_check_private_key(leaf, key) != 1) {
        ERR_clear_error();
        sl_error_setpos(err, key_file, 0, 0, "private key does not match the certificate in %s",
                        cert_file);
        goto out;
    }
    char when[32];
    if (X509_cmp_current_time(X509_get0_notAfter(leaf)) <= 0) {
        format_time(X509_get0_notAfter(leaf), when, sizeof(when));
        sl_error_setpos(err, cert_file, 0, 0, "certificate has expired (not after %s)", when);
        goto out;
    }
    if (X509_cmp_current_time(X509_get0_notBefore(leaf)) >= 0) {
        format_time(X509_get0_notBefore(leaf), when, sizeof(when));
        sl_error_setpos(err, cert_file, 0, 0, "certificate is not valid yet (not before %s)", when);
        goto out;
    }
    if (count_dns_sans(leaf) == 0) {
        sl_error_setpos(err, cert_file, 0, 0,
                        "certificate has no DNS subjectAltName (the API server ignores the CN "
                        "since Kubernetes 1.19)");
        goto out;
    }
    rc = SL_OK;
out:
    X509_free(leaf);
    EVP_PKEY_free(key);
    return rc;
}

enum sl_status sl_certgen_check_ca(const char *pem, size_t len, const char *file,
                                   struct sl_error *err)
{
    if (len > INT_MAX) {
        sl_error_setpos(err, file, 0, 0, "file too large");
        return SL_E_LIMIT;
    }
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, no_passphrase, NULL) : NULL;
    BIO_free(b);
    if (x == NULL) {
        ossl_error(err, file, "no PEM certificate");
        return SL_E_INVALID;
    }
    X509_free(x);
    return SL_OK;
}
