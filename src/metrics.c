/* metrics: a fixed set of counters, each a C11 atomic, so the request path never takes a
 * lock. Label values come from small closed sets (status codes, endpoints, booleans), never
 * from request data, so the exposition cannot grow without bound. Rendering reads every
 * counter once with relaxed loads; a scrape may see a request counted in one series and not
 * yet in another, which Prometheus tolerates. */
#include "socklock/metrics.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "socklock/buf.h"

static const unsigned codes[] = {200, 400, 403, 404, 405, 413, 415, 500, 503};
#define NCODES (sizeof(codes) / sizeof(codes[0]))
static atomic_ullong requests[NCODES + 1]; /* the last one counts every other code */

static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))
static const char *const endpoints[] = {"validate", "mutate"};

struct histogram {
    atomic_ullong buckets[NBOUNDS]; /* non-cumulative; summed when rendered */
    atomic_ullong count;
    atomic_ullong sum_ns; /* rounded per observation, so _sum neither drifts nor drops */
};
static struct histogram reviews[2][2]; /* [endpoint][allowed] */

static const char *const abort_names[SL_ABORT_COUNT_] = {"error", "timeout", "read_error",
                                                         "client_abort", "shutdown"};
static atomic_ullong aborts[SL_ABORT_COUNT_];
static atomic_llong connections_open;

/* Policy reloads: [0] failures, [1] successes; when the policy in force was loaded (ms since
 * the epoch, 0 before any) and whether the last reload loaded. */
static atomic_ullong policy_reloads[2];
static atomic_llong policy_loaded_ms;
static atomic_int policy_last_ok;

void sl_metrics_count_request(unsigned code)
{
    size_t i = 0;
    while (i < NCODES && codes[i] != code)
        i++;
    atomic_fetch_add_explicit(&requests[i], 1, memory_order_relaxed);
}

void sl_metrics_count_review(const char *endpoint, bool allowed, double seconds)
{
    struct histogram *h = &reviews[strcmp(endpoint, "mutate") == 0][allowed];
    size_t i = 0;
    while (i < NBOUNDS && seconds > bounds[i])
        i++;
    if (i < NBOUNDS)
        atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    double ns = seconds > 0 ? seconds * 1e9 + 0.5 : 0;
    atomic_fetch_add_explicit(&h->sum_ns, (unsigned long long)ns, memory_order_relaxed);
}

void sl_metrics_count_abort(enum sl_metrics_abort why)
{
    if (why < SL_ABORT_COUNT_)
        atomic_fetch_add_explicit(&aborts[why], 1, memory_order_relaxed);
}

void sl_metrics_connection(int delta)
{
    atomic_fetch_add_explicit(&connections_open, delta, memory_order_relaxed);
}

static void policy_now_in_force(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    atomic_store_explicit(&policy_loaded_ms, (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
                          memory_order_relaxed);
    atomic_store_explicit(&policy_last_ok, 1, memory_order_relaxed);
}

void sl_metrics_policy_loaded(void)
{
    policy_now_in_force();
}

void sl_metrics_count_policy_reload(bool success)
{
    atomic_fetch_add_explicit(&policy_reloads[success], 1, memory_order_relaxed);
    if (success)
        policy_now_in_force();
    else
        atomic_store_explicit(&policy_last_ok, 0, memory_order_relaxed);
}

/* Certificate reloads: [0] failures, [1] successes; the notAfter of the one in force. */
static atomic_ullong cert_reloads[2];
static atomic_llong cert_not_after;

void sl_metrics_set_certificate_expiry(long long not_after)
{
    atomic_store_explicit(&cert_not_after, not_after, memory_order_relaxed);
}

void sl_metrics_count_certificate_reload(bool success)
{
    atomic_fetch_add_explicit(&cert_reloads[success], 1, memory_order_relaxed);
}

static unsigned long long load(atomic_ullong *v)
{
    return atomic_load_explicit(v, memory_order_relaxed);
}

static void render_certificate(struct sl_buf *b)
{
    sl_buf_printf(b,
                  "# HELP socklock_certificate_expiry_timestamp_seconds When the serving "
                  "certificate in force expires (its notAfter).\n"
                  "# TYPE socklock_certificate_expiry_timestamp_seconds gauge\n"
                  "socklock_certificate_expiry_timestamp_seconds %lld\n",
                  atomic_load_explicit(&cert_not_after, memory_order_relaxed));
    sl_buf_printf(b,
                  "# HELP socklock_certificate_reloads_total Reloads of the certificate and key "
                  "files, by result (a failure keeps the pair in force).\n"
                  "# TYPE socklock_certificate_reloads_total counter\n"
                  "socklock_certificate_reloads_total{result=\"success\"} %llu\n"
                  "socklock_certificate_reloads_total{result=\"failure\"} %llu\n",
                  load(&cert_reloads[1]), load(&cert_reloads[0]));
}

static void render_reviews(struct sl_buf *b)
{
    sl_buf_puts(b, "# HELP socklock_admission_review_duration_seconds Time to answer one "
                   "AdmissionReview.\n"
                   "# TYPE socklock_admission_review_duration_seconds histogram\n");
    for (size_t e = 0; e < 2; e++) {
        for (size_t a = 0; a < 2; a++) {
            struct histogram *h = &reviews[e][a];
            const char *lab = a ? "true" : "false";
            unsigned long long cum = 0;
            for (size_t i = 0; i < NBOUNDS; i++) {
                cum += load(&h->buckets[i]);
                sl_buf_printf(b,
                              "socklock_admission_review_duration_seconds_bucket{endpoint=\"%s\","
                              "allowed=\"%s\",le=\"%g\"} %llu\n",
                              endpoints[e], lab, bounds[i], cum);
            }
            unsigned long long count = load(&h->count);
            sl_buf_printf(b,
                          "socklock_admission_review_duration_seconds_bucket{endpoint=\"%s\","
                          "allowed=\"%s\",le=\"+Inf\"} %llu\n",
                          endpoints[e], lab, count);
            sl_buf_printf(b,
                          "socklock_admission_review_duration_seconds_sum{endpoint=\"%s\","
                          "allowed=\"%s\"} %.9f\n",
                          endpoints[e], lab, (double)load(&h->sum_ns) / 1e9);
            sl_buf_printf(b,
                          "socklock_admission_review_duration_seconds_count{endpoint=\"%s\","
                          "allowed=\"%s\"} %llu\n",
                          endpoints[e], lab, count);
        }
    }
}

char *sl_metrics_render(size_t *len)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    sl_buf_puts(&b, "# HELP socklock_requests_total HTTP answers by status code.\n"
                    "# TYPE socklock_requests_total counter\n");
    for (size_t i = 0; i < NCODES; i++)
        sl_buf_printf(&b, "socklock_requests_total{code=\"%u\"} %llu\n", codes[i],
                      load(&requests[i]));
    sl_buf_printf(&b, "socklock_requests_total{code=\"other\"} %llu\n", load(&requests[NCODES]));
    render_reviews(&b);
    sl_buf_puts(&b, "# HELP socklock_requests_aborted_total Requests that ended without a "
                    "normal answer.\n"
                    "# TYPE socklock_requests_aborted_total counter\n");
    for (size_t i = 0; i < SL_ABORT_COUNT_; i++)
        sl_buf_printf(&b, "socklock_requests_aborted_total{reason=\"%s\"} %llu\n", abort_names[i],
                      load(&aborts[i]));
    sl_buf_printf(&b,
                  "# HELP socklock_connections_open Open client connections.\n"
                  "# TYPE socklock_connections_open gauge\n"
                  "socklock_connections_open %lld\n",
                  atomic_load_explicit(&connections_open, memory_order_relaxed));
    sl_buf_printf(&b,
                  "# HELP socklock_policy_reloads_total Reloads of the policy file, by result "
                  "(a failure keeps the policy in force).\n"
                  "# TYPE socklock_policy_reloads_total counter\n"
                  "socklock_policy_reloads_total{result=\"success\"} %llu\n"
                  "socklock_policy_reloads_total{result=\"failure\"} %llu\n",
                  load(&policy_reloads[1]), load(&policy_reloads[0]));
    long long ms = atomic_load_explicit(&policy_loaded_ms, memory_order_relaxed);
    sl_buf_printf(&b,
                  "# HELP socklock_policy_last_reload_success_timestamp_seconds When the policy "
                  "in force was loaded, at start or by a reload.\n"
                  "# TYPE socklock_policy_last_reload_success_timestamp_seconds gauge\n"
                  "socklock_policy_last_reload_success_timestamp_seconds %lld.%03lld\n",
                  ms / 1000, ms % 1000);
    sl_buf_printf(&b,
                  "# HELP socklock_policy_last_reload_successful Whether the last reload of the "
                  "policy file loaded it (1) or was refused (0).\n"
                  "# TYPE socklock_policy_last_reload_successful gauge\n"
                  "socklock_policy_last_reload_successful %d\n",
                  atomic_load_explicit(&policy_last_ok, memory_order_relaxed));
    render_certificate(&b);
    return sl_buf_detach(&b, len);
}
