/* metrics: process-wide counters as C11 atomics, and their Prometheus text exposition for
 * GET /metrics. Only the server and `serve` (policy reloads) count; every function is safe
 * from any thread. */
#ifndef SOCKLOCK_METRICS_H
#define SOCKLOCK_METRICS_H

#include <stdbool.h>
#include <stddef.h>

/* Why a request ended without a normal answer (libmicrohttpd's termination codes). */
enum sl_metrics_abort {
    SL_ABORT_ERROR,      /* the handler refused it (deadline, size) or a protocol error */
    SL_ABORT_TIMEOUT,    /* the idle timeout or request deadline passed */
    SL_ABORT_READ_ERROR, /* the client closed mid-request */
    SL_ABORT_CLIENT,     /* the client closed mid-answer */
    SL_ABORT_SHUTDOWN,   /* the daemon stopped */
    SL_ABORT_COUNT_
};

/* Counts one answer with HTTP status `code`. */
void sl_metrics_count_request(unsigned code);

/* Counts one answered AdmissionReview on `endpoint` ("validate" or "mutate") and the time
 * it took, from the end of the upload to the queued answer. */
void sl_metrics_count_review(const char *endpoint, bool allowed, double seconds);

void sl_metrics_count_abort(enum sl_metrics_abort why);

/* Open connections (+1 on accept, -1 on close). */
void sl_metrics_connection(int delta);

/* The policy in force was loaded just now, at start (which is not counted as a reload): the
 * last-success timestamp is now and the last reload counts as successful. */
void sl_metrics_policy_loaded(void);

/* Counts one reload of the policy file: a success (the new policy is in force; the
 * timestamp is now) or a failure (the previous policy stays in force). */
void sl_metrics_count_policy_reload(bool success);

/* The serving certificate in force expires at `not_after` (Unix seconds): set at start and by
 * each certificate reload that puts a new one in force. */
void sl_metrics_set_certificate_expiry(long long not_after);

/* Counts one reload of the certificate files: a success (the new pair is in force) or a
 * failure (the pair in force stays). */
void sl_metrics_count_certificate_reload(bool success);

/* Returns the Prometheus text exposition (format 0.0.4). Caller frees. */
char *sl_metrics_render(size_t *len);

#endif
