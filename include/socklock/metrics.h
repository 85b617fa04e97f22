/* metrics: process-wide counters as C11 atomics, and their Prometheus text exposition for
 * GET /metrics. Only the server and `serve` count; every function is safe from any thread.
 * The README lists every metric with its labels. */
#ifndef SOCKLOCK_METRICS_H
#define SOCKLOCK_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "socklock/common.h"
#include "socklock/review.h"

/* Why a request ended without a normal answer (libmicrohttpd's termination codes). */
enum sl_metrics_abort {
    SL_ABORT_ERROR,      /* the handler refused it (deadline, size) or a protocol error */
    SL_ABORT_TIMEOUT,    /* the idle timeout or request deadline passed */
    SL_ABORT_READ_ERROR, /* the client closed mid-request */
    SL_ABORT_CLIENT,     /* the client closed mid-answer */
    SL_ABORT_SHUTDOWN,   /* the daemon stopped */
    SL_ABORT_COUNT_
};

/* Why the server refused a connection, or closed one early: the `reason` label of
 * socklock_connections_rejected_total. The first four are the admission table's own
 * (admit.h), which it counts; the server counts libmicrohttpd's refusals at its caps as
 * PER_IP or LIMIT, and INFLIGHT_BUDGET. */
enum sl_metrics_reject {
    SL_REJECT_PER_IP,          /* over the per-IP cap */
    SL_REJECT_LIMIT,           /* at the global cap */
    SL_REJECT_EVICTED,         /* not yet served, closed to make room */
    SL_REJECT_HEAD_TIMEOUT,    /* no complete request head in time */
    SL_REJECT_INFLIGHT_BUDGET, /* limits.inflightBodyBytes were reserved by other requests */
    SL_REJECT_COUNT_
};

/* Counts one answer with HTTP status `code`. */
void sl_metrics_count_request(unsigned code);

/* A request began (+1) or ended (-1): socklock_requests_in_flight. */
void sl_metrics_request_in_flight(int delta);

/* The endpoints whose request durations are observed. */
enum sl_metrics_endpoint {
    SL_METRICS_EP_VALIDATE,
    SL_METRICS_EP_MUTATE,
    SL_METRICS_EP_HEALTHZ,
    SL_METRICS_EP_READYZ,
    SL_METRICS_EP_METRICS,
    SL_METRICS_EP_COUNT_
};

/* Observes one request to `ep` that took `seconds`, from its headers to its end:
 * socklock_request_duration_seconds. */
void sl_metrics_observe_request(enum sl_metrics_endpoint ep, double seconds);

/* Counts one answered AdmissionReview (ans->http_status 200): for /validate, when the checks
 * ran, one decision (allow or deny, the profile's mode, level and version, the request's
 * operation, resource and subresource) and its violations and waived violations by check;
 * for /mutate, whether it patched. Request values are clamped to fixed sets ("other" beyond
 * them), so the exposition stays bounded whatever requests arrive. */
void sl_metrics_count_review(const struct sl_answer *ans);

void sl_metrics_count_abort(enum sl_metrics_abort why);

/* Open connections (+1 on accept, -1 on close). */
void sl_metrics_connection(int delta);

/* Counts one connection refused or closed for `why`. */
void sl_metrics_count_rejected(enum sl_metrics_reject why);

/* The connection table whose refusals and evictions /metrics adds to its own counts: the
 * server's, from its start to before it frees the table (unwatch does nothing for a table
 * not watched). */
struct sl_admit;
void sl_metrics_watch_admit(struct sl_admit *a);
void sl_metrics_unwatch_admit(struct sl_admit *a);

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

/* What the process metrics read of /proc/self/stat. */
struct sl_metrics_proc_stat {
    unsigned long long cpu_ticks;   /* utime + stime, in clock ticks */
    unsigned long long start_ticks; /* start time, in clock ticks after boot */
    unsigned long long vsize;       /* virtual memory, bytes */
    unsigned long long rss_pages;   /* resident set, pages */
};

/* Parses the text of /proc/self/stat (proc(5); the command name, in parentheses, may hold
 * spaces and parentheses itself). SL_E_INVALID when it is not that. */
enum sl_status sl_metrics_parse_proc_stat(const char *text, struct sl_metrics_proc_stat *out);

/* The boot time ("btime" line, seconds since the epoch) in the text of /proc/stat.
 * SL_E_NOTFOUND when there is none. */
enum sl_status sl_metrics_parse_btime(const char *text, unsigned long long *out);

#endif
