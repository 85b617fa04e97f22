/* metrics: fixed sets of counters, each a C11 atomic, so the request path never takes a lock.
 * Label values come from closed sets (status codes, endpoints, check ids, Pod Security
 * Admission's vocabulary), and what a request supplies (operation, resource, subresource) is
 * clamped into one, never copied: the exposition cannot grow without bound. Rendering reads
 * every counter once with relaxed loads; a scrape may see a request counted in one series
 * and not yet in another, which Prometheus tolerates.
 *
 * The exposition is a list of families (`families` at the end), each rendered by one
 * function that writes its # HELP and # TYPE lines and its samples. Adding a metric: its
 * atomics, the function the server calls to count, its render function, and its place in
 * that list. The decisions, a family of many label sets, show a series only once it has
 * counted; the others always, at zero too, so alerts see them from the start. */
#include "socklock/metrics.h"

#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "socklock/admit.h"
#include "socklock/buf.h"
#include "socklock/pss.h"

/* ---- the counters ------------------------------------------------------------------- */

static const unsigned codes[] = {200, 400, 403, 404, 405, 413, 415, 500, 503};
#define NCODES (sizeof(codes) / sizeof(codes[0]))
static atomic_ullong requests[NCODES + 1]; /* the last one counts every other code */
static atomic_llong in_flight;

/* Request durations by endpoint. */
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))
static const char *const endpoints[SL_METRICS_EP_COUNT_] = {"validate", "mutate", "healthz",
                                                            "readyz", "metrics"};

struct histogram {
    atomic_ullong buckets[NBOUNDS]; /* non-cumulative; summed when rendered */
    atomic_ullong count;
    atomic_ullong sum_ns; /* rounded per observation, so _sum neither drifts nor drops */
};
static struct histogram durations[SL_METRICS_EP_COUNT_];

/* Decisions, in Pod Security Admission's vocabulary (its pod_security_evaluations_total, with
 * shorter label names): decision allow or deny, mode, level, version ("latest", "v1.X", or
 * "future" for a version newer than socklock's checks know), operation (create, update,
 * other), resource (pod, or controller for a workload), subresource. */
static const char *const decisions[] = {"allow", "deny"};
static const char *const modes[] = {"enforce", "warn", "audit"};              /* enum sl_mode */
static const char *const levels[] = {"privileged", "baseline", "restricted"}; /* sl_level */
/* Versions v1.0 to v1.MAX_MINOR have a series each; a unit test keeps the check table's
 * newest version within it. */
#define MAX_MINOR 47
#define NVERSIONS (MAX_MINOR + 3) /* "latest", v1.0..v1.MAX_MINOR, "future" */
static const char *const eval_ops[] = {"create", "update", "other"};
static const char *const resources[] = {"pod", "controller"};
/* The pod subresources that are judged ("" the pod itself); PSA ignores the others. */
static const char *const subresources[] = {"", "ephemeralcontainers", "resize", "other"};
#define NSUB SL_ARRAY_LEN(subresources)
static atomic_ullong decisions_n[2][3][3][NVERSIONS][3][2][NSUB];

/* Violations and waived violations by check (indexes of the check table). */
static atomic_ullong violations[SL_ANSWER_MAX_CHECKS];
static atomic_ullong waived[SL_ANSWER_MAX_CHECKS];
static atomic_ullong mutations[2]; /* [patched] */

static const char *const abort_names[SL_ABORT_COUNT_] = {"error", "timeout", "read_error",
                                                         "client_abort", "shutdown"};
static atomic_ullong aborts[SL_ABORT_COUNT_];
static atomic_llong connections_open;
static const char *const reject_names[SL_REJECT_COUNT_] = {"per_ip", "limit", "evicted",
                                                           "head_timeout", "inflight_budget"};
static atomic_ullong rejected[SL_REJECT_COUNT_];
/* The admission table that counts the rest (admit.h), while a server runs. */
static _Atomic(struct sl_admit *) admit_watched;

/* Reloads by result: [0] failures, [1] successes. */
struct reloads {
    atomic_ullong by_result[2];
};
static struct reloads policy_reloads;
/* When the policy in force was loaded (ms since the epoch, 0 before any) and whether the
 * last reload loaded. */
static atomic_llong policy_loaded_ms;
static atomic_int policy_last_ok;
/* Certificate reloads, and the notAfter of the certificate in force (Unix seconds). */
static struct reloads cert_reloads;
static atomic_llong cert_not_after;

static void add(atomic_ullong *v)
{
    atomic_fetch_add_explicit(v, 1, memory_order_relaxed);
}

static unsigned long long load(atomic_ullong *v)
{
    return atomic_load_explicit(v, memory_order_relaxed);
}

/* ---- counting ------------------------------------------------------------------------ */

void sl_metrics_count_request(unsigned code)
{
    size_t i = 0;
    while (i < NCODES && codes[i] != code)
        i++;
    add(&requests[i]);
}

void sl_metrics_request_in_flight(int delta)
{
    atomic_fetch_add_explicit(&in_flight, delta, memory_order_relaxed);
}

/* The index of s in names[0..n), or n - 1 (the last name, "other") when it is not there. */
static size_t clamp(const char *s, const char *const *names, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return n - 1;
}

static void observe(struct histogram *h, double seconds)
{
    size_t i = 0;
    while (i < NBOUNDS && seconds > bounds[i])
        i++;
    if (i < NBOUNDS)
        add(&h->buckets[i]);
    add(&h->count);
    double ns = seconds > 0 ? seconds * 1e9 + 0.5 : 0;
    atomic_fetch_add_explicit(&h->sum_ns, (unsigned long long)ns, memory_order_relaxed);
}

static int newest_minor(void)
{
    static atomic_int newest = -1;
    int n = atomic_load_explicit(&newest, memory_order_relaxed);
    if (n < 0) {
        n = sl_pss_newest_version();
        atomic_store_explicit(&newest, n, memory_order_relaxed);
    }
    return n;
}

static size_t version_index(int version)
{
    if (version == SL_VERSION_LATEST)
        return 0;
    if (version < 0 || version > newest_minor() || version > MAX_MINOR)
        return NVERSIONS - 1;
    return (size_t)version + 1;
}

static void count_decision(const struct sl_answer *ans)
{
    size_t op = strcmp(ans->operation, "CREATE") == 0   ? 0
                : strcmp(ans->operation, "UPDATE") == 0 ? 1
                                                        : 2;
    /* As PSA labels a resource: core pods are "pod", everything else it judges a
     * "controller" (review.c keeps `resource` for the core group only). */
    size_t res = strcmp(ans->resource, "pods") == 0 ? 0 : 1;
    size_t sub = ans->subresource[0] == '\0' ? 0 : clamp(ans->subresource, subresources, NSUB);
    size_t mode = (size_t)ans->mode < SL_ARRAY_LEN(modes) ? (size_t)ans->mode : 0;
    size_t level = (size_t)ans->level < SL_ARRAY_LEN(levels) ? (size_t)ans->level : 0;
    add(&decisions_n[ans->violates][mode][level][version_index(ans->version)][op][res][sub]);
    for (size_t i = 0; i < ans->nchecks && i < SL_ANSWER_MAX_CHECKS; i++)
        if (ans->checks[i] < SL_ANSWER_MAX_CHECKS)
            add(&violations[ans->checks[i]]);
    for (size_t i = 0; i < ans->nwaived && i < SL_ANSWER_MAX_CHECKS; i++)
        if (ans->waived[i] < SL_ANSWER_MAX_CHECKS)
            add(&waived[ans->waived[i]]);
}

void sl_metrics_observe_request(enum sl_metrics_endpoint ep, double seconds)
{
    if (ep < SL_METRICS_EP_COUNT_)
        observe(&durations[ep], seconds);
}

void sl_metrics_count_review(const struct sl_answer *ans)
{
    if (ans->endpoint == SL_EP_MUTATE)
        add(&mutations[ans->patched]);
    else if (ans->evaluated)
        count_decision(ans);
}

void sl_metrics_count_abort(enum sl_metrics_abort why)
{
    if (why < SL_ABORT_COUNT_)
        add(&aborts[why]);
}

void sl_metrics_connection(int delta)
{
    atomic_fetch_add_explicit(&connections_open, delta, memory_order_relaxed);
}

void sl_metrics_count_rejected(enum sl_metrics_reject why)
{
    if (why < SL_REJECT_COUNT_)
        add(&rejected[why]);
}

void sl_metrics_watch_admit(struct sl_admit *a)
{
    atomic_store(&admit_watched, a);
}

void sl_metrics_unwatch_admit(struct sl_admit *a)
{
    struct sl_admit *was = a;
    atomic_compare_exchange_strong(&admit_watched, &was, NULL);
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
    add(&policy_reloads.by_result[success]);
    if (success)
        policy_now_in_force();
    else
        atomic_store_explicit(&policy_last_ok, 0, memory_order_relaxed);
}

void sl_metrics_set_certificate_expiry(long long not_after)
{
    atomic_store_explicit(&cert_not_after, not_after, memory_order_relaxed);
}

void sl_metrics_count_certificate_reload(bool success)
{
    add(&cert_reloads.by_result[success]);
}

/* ---- /proc ----------------------------------------------------------------------------- */

enum sl_status sl_metrics_parse_proc_stat(const char *text, struct sl_metrics_proc_stat *out)
{
    /* The command name ends at the last ')': it may hold any byte but NUL itself. */
    const char *p = text != NULL ? strrchr(text, ')') : NULL;
    if (p == NULL)
        return SL_E_INVALID;
    p++;
    /* Fields from the 3rd (state) on; the ones wanted are the 14th, 15th, 22nd, 23rd, 24th. */
    unsigned long long f[25] = {0};
    for (int field = 3; field <= 24; field++) {
        p += strspn(p, " ");
        if (*p == '\0' || *p == '\n')
            return SL_E_INVALID;
        if (field == 3) {
            p += strcspn(p, " ");
            continue;
        }
        char *end = NULL;
        /* Some fields are signed (priority, nice); only unsigned ones are kept. */
        if (*p == '-') {
            long long skipped = strtoll(p, &end, 10);
            SL_UNUSED(skipped);
        } else {
            f[field] = strtoull(p, &end, 10);
        }
        if (end == p || (*end != ' ' && *end != '\n' && *end != '\0'))
            return SL_E_INVALID;
        p = end;
    }
    out->cpu_ticks = f[14] + f[15];
    out->start_ticks = f[22];
    out->vsize = f[23];
    out->rss_pages = f[24];
    return SL_OK;
}

enum sl_status sl_metrics_parse_btime(const char *text, unsigned long long *out)
{
    for (const char *line = text; line != NULL && *line != '\0';) {
        if (strncmp(line, "btime ", 6) == 0) {
            char *end = NULL;
            unsigned long long v = strtoull(line + 6, &end, 10);
            if (end != line + 6 && (*end == '\n' || *end == '\0')) {
                *out = v;
                return SL_OK;
            }
            return SL_E_INVALID;
        }
        line = strchr(line, '\n');
        line = line != NULL ? line + 1 : NULL;
    }
    return SL_E_NOTFOUND;
}

/* Reads a small /proc file whole (they report a size of 0, so read to the end). */
static char *read_proc(const char *path)
{
    struct sl_buf b;
    sl_buf_init(&b, (size_t)1 << 20);
    if (sl_buf_load_file(&b, path, NULL) != SL_OK) {
        sl_buf_cleanup(&b);
        return NULL;
    }
    return sl_buf_detach(&b, NULL);
}

/* Open file descriptors, not counting the one that lists them. */
static long open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return -1;
    long n = 0;
    int self = dirfd(d);
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *end = NULL;
        long fd = strtol(e->d_name, &end, 10);
        if (*end == '\0' && fd != self)
            n++;
    }
    closedir(d);
    return n;
}

/* ---- rendering --------------------------------------------------------------------------- */

static void family(struct sl_buf *b, const char *name, const char *type, const char *help)
{
    sl_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value as the text format writes it: '\', '"' and newline escaped. */
static void put_label_value(struct sl_buf *b, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\\' || *s == '"')
            sl_buf_printf(b, "\\%c", *s);
        else if (*s == '\n')
            sl_buf_puts(b, "\\n");
        else
            sl_buf_append(b, s, 1);
    }
}

static void render_build_info(struct sl_buf *b)
{
    family(b, "socklock_build_info", "gauge",
           "Always 1: the version of socklock, of the Pod Security Standards its checks know, "
           "and of its HTTP and TLS libraries.");
    char pss[16];
    sl_pss_version_name(sl_pss_newest_version(), pss, sizeof(pss));
    sl_buf_puts(b, "socklock_build_info{version=\"");
    put_label_value(b, SOCKLOCK_VERSION);
    sl_buf_printf(b, "\",pss_version=\"%s\",libmicrohttpd=\"", pss);
    put_label_value(b, MHD_get_version());
    sl_buf_puts(b, "\",gnutls=\"");
    const char *tls = gnutls_check_version(NULL);
    put_label_value(b, tls != NULL ? tls : "");
    sl_buf_puts(b, "\"} 1\n");
}

static void render_requests(struct sl_buf *b)
{
    family(b, "socklock_requests_total", "counter", "HTTP answers by status code.");
    for (size_t i = 0; i < NCODES; i++)
        sl_buf_printf(b, "socklock_requests_total{code=\"%u\"} %llu\n", codes[i],
                      load(&requests[i]));
    sl_buf_printf(b, "socklock_requests_total{code=\"other\"} %llu\n", load(&requests[NCODES]));
    family(b, "socklock_requests_in_flight", "gauge",
           "Requests being handled, this scrape included.");
    sl_buf_printf(b, "socklock_requests_in_flight %lld\n",
                  atomic_load_explicit(&in_flight, memory_order_relaxed));
}

static void render_histogram(struct sl_buf *b, const char *name, const char *labels,
                             struct histogram *h)
{
    unsigned long long count = load(&h->count);
    unsigned long long cum = 0;
    for (size_t i = 0; i < NBOUNDS; i++) {
        cum += load(&h->buckets[i]);
        sl_buf_printf(b, "%s_bucket{%s,le=\"%g\"} %llu\n", name, labels, bounds[i], cum);
    }
    /* +Inf is _count, so a scrape between two loads cannot show fewer than the last bound. */
    if (count < cum)
        count = cum;
    sl_buf_printf(b, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name, labels, count);
    sl_buf_printf(b, "%s_sum{%s} %.9f\n", name, labels, (double)load(&h->sum_ns) / 1e9);
    sl_buf_printf(b, "%s_count{%s} %llu\n", name, labels, count);
}

static void render_durations(struct sl_buf *b)
{
    static const char name[] = "socklock_request_duration_seconds";
    family(b, name, "histogram",
           "Time from a request's headers to the end of its answer, by endpoint.");
    for (size_t e = 0; e < SL_METRICS_EP_COUNT_; e++) {
        char labels[64];
        snprintf(labels, sizeof(labels), "endpoint=\"%s\"", endpoints[e]);
        render_histogram(b, name, labels, &durations[e]);
    }
}

static void render_decisions(struct sl_buf *b)
{
    family(b, "socklock_decisions_total", "counter",
           "Reviews on /validate whose checks ran, by decision (deny: violations the mode acts "
           "on, in every mode), the profile's mode, level and version, and the request.");
    for (size_t d = 0; d < 2; d++)
        for (size_t m = 0; m < 3; m++)
            for (size_t l = 0; l < 3; l++)
                for (size_t v = 0; v < NVERSIONS; v++)
                    for (size_t o = 0; o < 3; o++)
                        for (size_t r = 0; r < 2; r++)
                            for (size_t s = 0; s < NSUB; s++) {
                                unsigned long long n = load(&decisions_n[d][m][l][v][o][r][s]);
                                if (n == 0)
                                    continue;
                                char version[16];
                                if (v == 0)
                                    snprintf(version, sizeof(version), "latest");
                                else if (v == NVERSIONS - 1)
                                    snprintf(version, sizeof(version), "future");
                                else
                                    snprintf(version, sizeof(version), "v1.%zu", v - 1);
                                sl_buf_printf(b,
                                              "socklock_decisions_total{decision=\"%s\","
                                              "mode=\"%s\",level=\"%s\",version=\"%s\","
                                              "operation=\"%s\",resource=\"%s\","
                                              "subresource=\"%s\"} %llu\n",
                                              decisions[d], modes[m], levels[l], version,
                                              eval_ops[o], resources[r], subresources[s], n);
                            }
}

static void render_by_check(struct sl_buf *b, const char *name, atomic_ullong *counts)
{
    for (size_t i = 0; i < sl_pss_check_count() && i < SL_ANSWER_MAX_CHECKS; i++) {
        struct sl_pss_check_info info;
        sl_pss_check_describe(i, &info);
        sl_buf_printf(b, "%s{check=\"%s\"} %llu\n", name, info.id, load(&counts[i]));
    }
}

static void render_violations(struct sl_buf *b)
{
    family(b, "socklock_violations_total", "counter",
           "Violations found on /validate, by check, counted once per review (warn and audit "
           "modes and fixable template violations too).");
    render_by_check(b, "socklock_violations_total", violations);
    family(b, "socklock_violations_waived_total", "counter",
           "Violations policy exceptions waived on /validate, by check, once per review.");
    render_by_check(b, "socklock_violations_waived_total", waived);
    family(b, "socklock_mutations_total", "counter",
           "Reviews answered on /mutate, by whether the answer carries a patch.");
    sl_buf_printf(b,
                  "socklock_mutations_total{patched=\"true\"} %llu\n"
                  "socklock_mutations_total{patched=\"false\"} %llu\n",
                  load(&mutations[1]), load(&mutations[0]));
}

static void render_connections(struct sl_buf *b)
{
    family(b, "socklock_requests_aborted_total", "counter",
           "Requests that ended without a normal answer.");
    for (size_t i = 0; i < SL_ABORT_COUNT_; i++)
        sl_buf_printf(b, "socklock_requests_aborted_total{reason=\"%s\"} %llu\n", abort_names[i],
                      load(&aborts[i]));
    family(b, "socklock_connections_open", "gauge", "Open client connections.");
    sl_buf_printf(b, "socklock_connections_open %lld\n",
                  atomic_load_explicit(&connections_open, memory_order_relaxed));
    family(b, "socklock_connections_rejected_total", "counter",
           "Connections refused or closed early, by reason: over the per-IP or global cap, "
           "evicted unserved to make room, no request head in time, in-flight budget spent.");
    unsigned long long n[SL_REJECT_COUNT_];
    for (size_t i = 0; i < SL_REJECT_COUNT_; i++)
        n[i] = load(&rejected[i]);
    /* The table's counts, by the name of each of its reasons. */
    const struct sl_admit *a = atomic_load(&admit_watched);
    for (int r = 0; a != NULL && r < SL_ADMIT_NREASONS; r++) {
        const char *name = sl_admit_reason_name((enum sl_admit_reason)r);
        for (size_t i = 0; i < SL_REJECT_COUNT_; i++)
            if (strcmp(name, reject_names[i]) == 0)
                n[i] += sl_admit_rejected(a, (enum sl_admit_reason)r);
    }
    for (size_t i = 0; i < SL_REJECT_COUNT_; i++)
        sl_buf_printf(b, "socklock_connections_rejected_total{reason=\"%s\"} %llu\n",
                      reject_names[i], n[i]);
}

/* One reloads-by-result counter family. */
static void render_reloads(struct sl_buf *b, const char *name, const char *help, struct reloads *r)
{
    family(b, name, "counter", help);
    sl_buf_printf(b,
                  "%s{result=\"success\"} %llu\n"
                  "%s{result=\"failure\"} %llu\n",
                  name, load(&r->by_result[1]), name, load(&r->by_result[0]));
}

static void render_policy(struct sl_buf *b)
{
    render_reloads(b, "socklock_policy_reloads_total",
                   "Reloads of the policy file, by result (a failure keeps the policy in force).",
                   &policy_reloads);
    long long ms = atomic_load_explicit(&policy_loaded_ms, memory_order_relaxed);
    family(b, "socklock_policy_last_reload_success_timestamp_seconds", "gauge",
           "When the policy in force was loaded, at start or by a reload.");
    sl_buf_printf(b, "socklock_policy_last_reload_success_timestamp_seconds %lld.%03lld\n",
                  ms / 1000, ms % 1000);
    family(b, "socklock_policy_last_reload_successful", "gauge",
           "Whether the last reload of the policy file loaded it (1) or was refused (0).");
    sl_buf_printf(b, "socklock_policy_last_reload_successful %d\n",
                  atomic_load_explicit(&policy_last_ok, memory_order_relaxed));
}

static void render_certificate(struct sl_buf *b)
{
    family(b, "socklock_certificate_expiry_timestamp_seconds", "gauge",
           "When the serving certificate in force expires (its notAfter).");
    sl_buf_printf(b, "socklock_certificate_expiry_timestamp_seconds %lld\n",
                  atomic_load_explicit(&cert_not_after, memory_order_relaxed));
    render_reloads(b, "socklock_certificate_reloads_total",
                   "Reloads of the certificate and key files, by result (a failure keeps the "
                   "pair in force).",
                   &cert_reloads);
}

/* The process metrics every Prometheus client library exports, under their usual names, read
 * from /proc/self. A family that cannot be read is left out rather than shown as 0. */
static void render_process(struct sl_buf *b)
{
    long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    char *stat = read_proc("/proc/self/stat");
    struct sl_metrics_proc_stat ps;
    bool have =
        stat != NULL && tick > 0 && page > 0 && sl_metrics_parse_proc_stat(stat, &ps) == SL_OK;
    free(stat);
    if (have) {
        family(b, "process_cpu_seconds_total", "counter", "User and system CPU time, seconds.");
        sl_buf_printf(b, "process_cpu_seconds_total %.2f\n", (double)ps.cpu_ticks / (double)tick);
        family(b, "process_resident_memory_bytes", "gauge", "Resident memory, bytes.");
        sl_buf_printf(b, "process_resident_memory_bytes %llu\n",
                      ps.rss_pages * (unsigned long long)page);
        family(b, "process_virtual_memory_bytes", "gauge", "Virtual memory, bytes.");
        sl_buf_printf(b, "process_virtual_memory_bytes %llu\n", ps.vsize);
        char *boot = read_proc("/proc/stat");
        unsigned long long btime = 0;
        if (boot != NULL && sl_metrics_parse_btime(boot, &btime) == SL_OK) {
            family(b, "process_start_time_seconds", "gauge",
                   "When the process started, seconds since the epoch.");
            sl_buf_printf(b, "process_start_time_seconds %.2f\n",
                          (double)btime + (double)ps.start_ticks / (double)tick);
        }
        free(boot);
    }
    long fds = open_fds();
    if (fds >= 0) {
        family(b, "process_open_fds", "gauge", "Open file descriptors.");
        sl_buf_printf(b, "process_open_fds %ld\n", fds);
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        family(b, "process_max_fds", "gauge", "The limit on open file descriptors.");
        sl_buf_printf(b, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
    }
}

static void (*const families[])(struct sl_buf *) = {
    render_build_info,  render_requests, render_durations,   render_decisions, render_violations,
    render_connections, render_policy,   render_certificate, render_process,
};

char *sl_metrics_render(size_t *len)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    for (size_t i = 0; i < SL_ARRAY_LEN(families); i++)
        families[i](&b);
    return sl_buf_detach(&b, len);
}
