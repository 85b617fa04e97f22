/* server: the HTTPS admission webhook on libmicrohttpd (TLS by its GnuTLS backend): limits,
 * thread pool, routes, readiness and graceful draining. docs/admission.md is its contract. */
#ifndef SOCKLOCK_SERVER_H
#define SOCKLOCK_SERVER_H

#include "socklock/certstore.h"
#include "socklock/common.h"
#include "socklock/policy.h"

struct sl_server;

struct sl_server_config {
    const char *listen;             /* "ADDR:PORT" or "[V6ADDR]:PORT"; port 0 picks a free one */
    const char *cert_file;          /* PEM certificate (leaf first, then its chain) */
    const char *key_file;           /* PEM private key, unencrypted */
    const char *client_ca_file;     /* PEM CA bundle turning on mutual TLS; NULL for none */
    const struct sl_policy *policy; /* the initial policy, borrowed: must outlive the server */
    unsigned threads;               /* worker threads; below 2, one internal thread */
    size_t inflight_body_bytes;     /* replaces the policy's limits.inflightBodyBytes; 0: keep */
    bool plain_http; /* no TLS at all, no certificate files: for the HTTP fuzz target, which
                      * drives the handlers over loopback; `serve` never sets it */
};

/* The TLS priority string: TLS 1.2 and 1.3, ECDHE with AEAD only (docs/admission.md). */
#define SL_SERVER_TLS_PRIORITIES                                                        \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:" \
    "+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:%SERVER_PRECEDENCE"

/* Request deadline cap in seconds, whatever ?timeout= asks for. */
#define SL_SERVER_MAX_DEADLINE_S 10u

/* Loads and checks the certificate, key and client CA, and starts serving in background
 * threads. The key's PEM text is wiped once the TLS layer holds it. /readyz answers 503 once
 * the certificate in force has expired. Fails with SL_E_INVALID
 * or SL_E_IO (bad files; err names the file), SL_E_USAGE (bad listen address or settings;
 * err names the setting) or SL_E_IO (cannot listen). Logs "listening on ADDR:PORT" once it
 * serves. Caller frees *out with sl_server_free(). */
enum sl_status sl_server_start(const struct sl_server_config *cfg, struct sl_server **out,
                               struct sl_error *err);

/* The memory serve needs under `limits` besides the bodies in flight, at worst: the idle
 * process, the values of one review of maxBodyBytes made of tiny values (reviews over 1 MiB
 * are judged one at a time), and the buffers of every connection (docs/admission.md,
 * "Memory"). The worst-case RSS is this plus inflightBodyBytes. */
size_t sl_server_memory_besides_bodies(const struct sl_limits *limits);

/* The in-flight body budget that keeps the worst case within a container's memory limit
 * when the policy does not set one (limits->inflight_set): what the limit leaves besides
 * the rest of the worst case, with a tenth kept for the allocator's waste, at most the
 * policy's default, and at least one largest body (then *short_of_memory is set: the limit
 * is below the worst case). 0 when the policy's stands (it set one, or no limit is known). */
size_t sl_server_fit_inflight(const struct sl_limits *limits, size_t memory_limit,
                              bool *short_of_memory);

/* The port actually bound (useful with port 0). */
unsigned sl_server_port(const struct sl_server *srv);

/* Puts pol in force for the requests that start from now on; requests in flight finish on
 * the policy they started with, and a replaced policy is freed when its last request ends
 * (the initial one stays the caller's). The limits stay those of the initial policy: the
 * server fixes them at start. Safe from any thread. Steals pol. */
void sl_server_set_policy(struct sl_server *srv, struct sl_policy *pol);

/* Reads the certificate, key and client CA files again and puts them in force for the TLS
 * handshakes that begin from now on, if they pass the checks made at start (the key matches,
 * the certificate is valid now and has a DNS subjectAltName, the PEM parses); connections open
 * already keep what they were served. On failure the certificate in force stays and err names
 * the file and why. *info (optional) describes the certificate in force afterwards. Counts
 * the reload under its result in the metrics, which also show the notAfter of the certificate
 * in force. Safe from any thread. */
enum sl_status sl_server_reload_certs(struct sl_server *srv, struct sl_certstore_info *info,
                                      struct sl_error *err);

/* The certificate in force. */
void sl_server_cert_info(struct sl_server *srv, struct sl_certstore_info *info);

/* First step of a graceful shutdown: /readyz answers 503 and every answer carries
 * `Connection: close`; requests are still served. Safe from any thread. */
void sl_server_begin_drain(struct sl_server *srv);

/* Last step: stops accepting (new connections are refused at once), waits up to
 * drain_timeout_s for open connections to finish, then stops the daemon. */
void sl_server_stop(struct sl_server *srv, unsigned drain_timeout_s);

/* Stops the server if it still runs and releases it. Accepts NULL. */
void sl_server_free(struct sl_server *srv);

/* The request deadline in seconds for a `?timeout=` value as the API server sends it
 * ("10s"): min(value, max_s); max_s when the value is NULL, zero or not understood, as
 * Pod Security Admission's webhook ignores an unparsable timeout. */
unsigned sl_server_parse_timeout(const char *value, unsigned max_s);

#endif
