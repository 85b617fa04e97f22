/* metrics: the counters behind GET /metrics, read back the way a scrape reads them. The
 * exposition text is parsed (Prometheus text format 0.0.4: # HELP / # TYPE lines, then
 * `name{label="value",...} value` samples) and the tests assert the series and values a
 * scrape would see; promtool checks the text too. The counters are process-wide and keep
 * counting across tests (CK_FORK=no under valgrind), so every test compares a scrape taken
 * after its counts with one taken before. */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "socklock/admit.h"
#include "socklock/alloc.h"
#include "socklock/metrics.h"
#include "socklock/pss.h"

extern Suite *suite_metrics(void);

#define REQ      "socklock_requests_total"
#define DUR      "socklock_request_duration_seconds"
#define INFLIGHT "socklock_requests_in_flight"
#define DECIDED  "socklock_decisions_total"
#define VIOL     "socklock_violations_total"
#define WAIVED   "socklock_violations_waived_total"
#define MUTATED  "socklock_mutations_total"
#define REJECTED "socklock_connections_rejected_total"
#define BUILD    "socklock_build_info"
#define ABORTED  "socklock_requests_aborted_total"
#define CONNS    "socklock_connections_open"
#define RELOADS  "socklock_policy_reloads_total"
#define LOADED   "socklock_policy_last_reload_success_timestamp_seconds"
#define LAST_OK  "socklock_policy_last_reload_successful"
#define CERT_EXP "socklock_certificate_expiry_timestamp_seconds"
#define CERT_REL "socklock_certificate_reloads_total"
#define NSAMPLES 1024
#define NFAMILY  32

/* One scrape: every sample by its full series text (name and labels as written). */
struct scrape {
    struct {
        char key[256];
        double value;
    } s[NSAMPLES];
    size_t n;
    struct {
        char name[96];
        char type[16];
        bool help;
    } fam[NFAMILY];
    size_t nfam;
};

static const char *const buckets[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01",
                                      "0.025",  "0.05",  "0.1",    "0.25",  "0.5",
                                      "1",      "2.5",   "5",      "10",    "+Inf"};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static bool name_char(char c, bool first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           (!first && c >= '0' && c <= '9');
}

static size_t family_of(struct scrape *m, const char *name, size_t len)
{
    for (size_t i = 0; i < m->nfam; i++)
        if (strlen(m->fam[i].name) == len && strncmp(m->fam[i].name, name, len) == 0)
            return i;
    return SIZE_MAX;
}

/* The family a sample belongs to: its own name, or a histogram's name without the
 * _bucket/_sum/_count suffix. Fails when there is none, or when the family is not TYPEd. */
static void check_family(struct scrape *m, const char *name, size_t len, const char *line)
{
    size_t f = family_of(m, name, len);
    if (f == SIZE_MAX) {
        static const char *const suffixes[] = {"_bucket", "_sum", "_count"};
        for (size_t i = 0; i < 3 && f == SIZE_MAX; i++) {
            size_t sl = strlen(suffixes[i]);
            if (len > sl && strncmp(name + len - sl, suffixes[i], sl) == 0) {
                f = family_of(m, name, len - sl);
                if (f != SIZE_MAX)
                    ck_assert_msg(strcmp(m->fam[f].type, "histogram") == 0,
                                  "%s is not a histogram's series", line);
            }
        }
    } else {
        ck_assert_msg(strcmp(m->fam[f].type, "histogram") != 0,
                      "histogram sample without suffix: %s", line);
    }
    ck_assert_msg(f != SIZE_MAX, "sample before its # TYPE line: %s", line);
    ck_assert_msg(m->fam[f].help, "sample without # HELP: %s", line);
}

/* Parses one sample line; every part must be well-formed. */
static void parse_sample(struct scrape *m, const char *line)
{
    const char *p = line;
    ck_assert_msg(name_char(*p, true), "bad metric name: %s", line);
    while (name_char(*p, false))
        p++;
    check_family(m, line, (size_t)(p - line), line);
    if (*p == '{') {
        p++;
        for (;;) {
            ck_assert_msg(name_char(*p, true), "bad label name: %s", line);
            while (name_char(*p, false))
                p++;
            ck_assert_msg(p[0] == '=' && p[1] == '"', "bad label: %s", line);
            p += 2;
            while (*p != '"' && *p != '\0') {
                ck_assert_msg(*p != '\\' && *p != '\n', "escape in label value: %s", line);
                p++;
            }
            ck_assert_msg(*p == '"', "unterminated label value: %s", line);
            p++;
            if (*p == '}')
                break;
            ck_assert_msg(*p == ',', "bad label separator: %s", line);
            p++;
        }
        p++;
    }
    ck_assert_msg(*p == ' ', "no space before the value: %s", line);
    size_t klen = (size_t)(p - line);
    ck_assert_uint_lt(klen, sizeof(m->s[0].key));
    char *end = NULL;
    double v = strtod(p + 1, &end);
    ck_assert_msg(end != p + 1 && *end == '\0' && isfinite(v), "bad value: %s", line);
    for (size_t i = 0; i < m->n; i++)
        ck_assert_msg(strncmp(m->s[i].key, line, klen) != 0 || m->s[i].key[klen] != '\0',
                      "series twice: %s", line);
    ck_assert_uint_lt(m->n, NSAMPLES);
    memcpy(m->s[m->n].key, line, klen);
    m->s[m->n].key[klen] = '\0';
    m->s[m->n].value = v;
    m->n++;
}

/* Parses the whole exposition, failing the test on anything malformed. */
static void parse(const char *text, size_t len, struct scrape *m)
{
    memset(m, 0, sizeof(*m));
    ck_assert_uint_eq(len, strlen(text));
    ck_assert_msg(len > 0 && text[len - 1] == '\n', "exposition does not end with a newline");
    char *copy = sl_xstrdup(text), *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0) {
            bool help = line[2] == 'H';
            const char *name = line + 7, *sp = strchr(name, ' ');
            ck_assert_msg(sp != NULL && sp[1] != '\0', "empty %s", line);
            size_t f = family_of(m, name, (size_t)(sp - name));
            if (f == SIZE_MAX) {
                ck_assert_uint_lt(m->nfam, NFAMILY);
                f = m->nfam++;
                snprintf(m->fam[f].name, sizeof(m->fam[f].name), "%.*s", (int)(sp - name), name);
            }
            if (help) {
                ck_assert_msg(!m->fam[f].help, "second HELP: %s", line);
                m->fam[f].help = true;
            } else {
                ck_assert_msg(m->fam[f].type[0] == '\0', "second TYPE: %s", line);
                snprintf(m->fam[f].type, sizeof(m->fam[f].type), "%s", sp + 1);
            }
            continue;
        }
        ck_assert_msg(line[0] != '#', "unexpected comment: %s", line);
        parse_sample(m, line);
    }
    free(copy);
}

static void scrape(struct scrape *m)
{
    size_t len = 0;
    char *text = sl_metrics_render(&len);
    parse(text, len, m);
    free(text);
}

/* The value of one series; fails when the scrape lacks it. */
static double value(const struct scrape *m, const char *key)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->s[i].key, key) == 0)
            return m->s[i].value;
    ck_abort_msg("no series %s", key);
    return 0;
}

static bool has(const struct scrape *m, const char *key)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->s[i].key, key) == 0)
            return true;
    return false;
}

/* How far a series moved; a decisions series, shown only once counted, may be new. */
static double delta(const struct scrape *before, const struct scrape *after, const char *key)
{
    if (strncmp(key, DECIDED "{", strlen(DECIDED) + 1) == 0 && !has(before, key))
        return value(after, key);
    return value(after, key) - value(before, key);
}

/* The process' own figures (CPU time, memory, descriptors) move by themselves. */
static bool volatile_series(const char *key)
{
    return strncmp(key, "process_", 8) == 0;
}

/* Asserts that every series moved by exactly its entry in want (key, delta), and that
 * all the others did not move. */
struct move {
    char key[256];
    double by;
};

static void expect_moves(const struct scrape *before, const struct scrape *after,
                         const struct move *want, size_t nwant, double tolerance)
{
    for (size_t i = 0; i < before->n; i++)
        ck_assert_msg(has(after, before->s[i].key), "%s went away", before->s[i].key);
    for (size_t i = 0; i < after->n; i++) {
        const char *key = after->s[i].key;
        if (volatile_series(key))
            continue;
        double by = 0;
        for (size_t k = 0; k < nwant; k++)
            if (strcmp(want[k].key, key) == 0)
                by = want[k].by;
        double got = delta(before, after, key);
        ck_assert_msg(fabs(got - by) <= tolerance, "%s moved by %.9f, want %.9f", key, got, by);
    }
    for (size_t k = 0; k < nwant; k++)
        value(after, want[k].key); /* every expected series exists */
}

static void bucket_key(char *out, size_t size, const char *endpoint, const char *le)
{
    snprintf(out, size, DUR "_bucket{endpoint=\"%s\",le=\"%s\"}", endpoint, le);
}

/* The moves one observation makes: every bucket from first_bucket on, count, and sum. */
static size_t observation(struct move *out, const char *endpoint, size_t first_bucket,
                          double seconds)
{
    size_t n = 0;
    for (size_t i = first_bucket; i < NBUCKETS; i++) {
        bucket_key(out[n].key, sizeof(out[n].key), endpoint, buckets[i]);
        out[n++].by = 1;
    }
    snprintf(out[n].key, sizeof(out[n].key), DUR "_count{endpoint=\"%s\"}", endpoint);
    out[n++].by = 1;
    snprintf(out[n].key, sizeof(out[n].key), DUR "_sum{endpoint=\"%s\"}", endpoint);
    out[n++].by = seconds;
    return n;
}

static size_t count_prefix(const struct scrape *m, const char *prefix)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++)
        n += strncmp(m->s[i].key, prefix, strlen(prefix)) == 0;
    return n;
}

START_TEST(test_metrics_exposition_has_every_series_once)
{
    struct scrape m;
    scrape(&m);
    /* Every family, with its type. */
    static const char *const fams[][2] = {
        {BUILD, "gauge"},
        {REQ, "counter"},
        {INFLIGHT, "gauge"},
        {DUR, "histogram"},
        {DECIDED, "counter"},
        {VIOL, "counter"},
        {WAIVED, "counter"},
        {MUTATED, "counter"},
        {ABORTED, "counter"},
        {CONNS, "gauge"},
        {REJECTED, "counter"},
        {RELOADS, "counter"},
        {LOADED, "gauge"},
        {LAST_OK, "gauge"},
        {CERT_EXP, "gauge"},
        {CERT_REL, "counter"},
        {"process_cpu_seconds_total", "counter"},
        {"process_resident_memory_bytes", "gauge"},
        {"process_virtual_memory_bytes", "gauge"},
        {"process_start_time_seconds", "gauge"},
        {"process_open_fds", "gauge"},
        {"process_max_fds", "gauge"},
    };
    ck_assert_uint_eq(m.nfam, SL_ARRAY_LEN(fams));
    for (size_t i = 0; i < SL_ARRAY_LEN(fams); i++) {
        size_t f = family_of(&m, fams[i][0], strlen(fams[i][0]));
        ck_assert_msg(f != SIZE_MAX, "no family %s", fams[i][0]);
        ck_assert_str_eq(m.fam[f].type, fams[i][1]);
    }
    /* Requests by code, the last one for every other code. */
    static const char *const codes[] = {"200", "400", "403", "404", "405",
                                        "413", "415", "500", "503", "other"};
    char key[256];
    for (size_t i = 0; i < SL_ARRAY_LEN(codes); i++) {
        snprintf(key, sizeof(key), REQ "{code=\"%s\"}", codes[i]);
        value(&m, key);
    }
    value(&m, INFLIGHT);
    /* One histogram per endpoint, cumulative, +Inf equal to _count. */
    static const char *const endpoints[] = {"validate", "mutate", "healthz", "readyz", "metrics"};
    for (size_t e = 0; e < SL_ARRAY_LEN(endpoints); e++) {
        double prev = 0;
        for (size_t i = 0; i < NBUCKETS; i++) {
            bucket_key(key, sizeof(key), endpoints[e], buckets[i]);
            double v = value(&m, key);
            ck_assert_msg(v >= prev, "%s below the bucket before it", key);
            prev = v;
        }
        snprintf(key, sizeof(key), DUR "_count{endpoint=\"%s\"}", endpoints[e]);
        ck_assert(value(&m, key) == prev);
        snprintf(key, sizeof(key), DUR "_sum{endpoint=\"%s\"}", endpoints[e]);
        ck_assert(value(&m, key) >= 0);
    }
    /* Violations and waivers by every check of the table. */
    size_t nchecks = sl_pss_check_count();
    for (size_t i = 0; i < nchecks; i++) {
        struct sl_pss_check_info info;
        sl_pss_check_describe(i, &info);
        snprintf(key, sizeof(key), VIOL "{check=\"%s\"}", info.id);
        value(&m, key);
        snprintf(key, sizeof(key), WAIVED "{check=\"%s\"}", info.id);
        value(&m, key);
    }
    value(&m, MUTATED "{patched=\"true\"}");
    value(&m, MUTATED "{patched=\"false\"}");
    static const char *const reasons[] = {"error", "timeout", "read_error", "client_abort",
                                          "shutdown"};
    for (size_t i = 0; i < SL_ARRAY_LEN(reasons); i++) {
        snprintf(key, sizeof(key), ABORTED "{reason=\"%s\"}", reasons[i]);
        value(&m, key);
    }
    value(&m, CONNS);
    static const char *const rejections[] = {"per_ip", "limit", "evicted", "head_timeout",
                                             "inflight_budget"};
    for (size_t i = 0; i < SL_ARRAY_LEN(rejections); i++) {
        snprintf(key, sizeof(key), REJECTED "{reason=\"%s\"}", rejections[i]);
        value(&m, key);
    }
    value(&m, RELOADS "{result=\"success\"}");
    value(&m, RELOADS "{result=\"failure\"}");
    value(&m, LOADED);
    value(&m, LAST_OK);
    value(&m, CERT_EXP);
    value(&m, CERT_REL "{result=\"success\"}");
    value(&m, CERT_REL "{result=\"failure\"}");
    ck_assert(value(&m, "process_resident_memory_bytes") > 0);
    ck_assert(value(&m, "process_open_fds") >= 3);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    double started = value(&m, "process_start_time_seconds");
    ck_assert_msg(started > (double)now.tv_sec - 3600 && started <= (double)now.tv_sec + 1,
                  "process_start_time_seconds %.2f, now %lld", started, (long long)now.tv_sec);
    ck_assert_uint_eq(count_prefix(&m, BUILD "{version=\""), 1);
    /* Nothing else: label values come from closed sets, never from requests. */
    ck_assert_uint_eq(m.n - count_prefix(&m, DECIDED "{"),
                      1 + SL_ARRAY_LEN(codes) + 1 + SL_ARRAY_LEN(endpoints) * (NBUCKETS + 2) +
                          2 * nchecks + 2 + SL_ARRAY_LEN(reasons) + 1 + SL_ARRAY_LEN(rejections) +
                          2 + 2 + 3 + 6);
}
END_TEST

START_TEST(test_metrics_table_fits_the_counters)
{
    /* The counters are sized at build time for the check table and its versions. */
    ck_assert_uint_le(sl_pss_check_count(), SL_ANSWER_MAX_CHECKS);
    ck_assert_int_le(sl_pss_newest_version(), 47);
}
END_TEST

START_TEST(test_metrics_counts_requests_by_status_code)
{
    struct scrape before, after;
    scrape(&before);
    for (int i = 0; i < 3; i++)
        sl_metrics_count_request(200);
    sl_metrics_count_request(403);
    sl_metrics_count_request(503);
    sl_metrics_count_request(418);
    sl_metrics_count_request(0);
    scrape(&after);
    static const struct move want[] = {{REQ "{code=\"200\"}", 3},
                                       {REQ "{code=\"403\"}", 1},
                                       {REQ "{code=\"503\"}", 1},
                                       {REQ "{code=\"other\"}", 2}};
    expect_moves(&before, &after, want, SL_ARRAY_LEN(want), 0);
}
END_TEST

START_TEST(test_metrics_duration_lands_in_le_buckets)
{
    struct scrape before, after;
    struct move want[2 * (NBUCKETS + 2)];
    /* 3 ms: in le="0.005" and every bucket above, not in le="0.0025". */
    scrape(&before);
    sl_metrics_observe_request(SL_METRICS_EP_VALIDATE, 0.003);
    scrape(&after);
    size_t n = observation(want, "validate", 3, 0.003);
    expect_moves(&before, &after, want, n, 1e-9);
    /* A duration equal to a bound counts in that bound's bucket (le: less or equal). */
    scrape(&before);
    sl_metrics_observe_request(SL_METRICS_EP_VALIDATE, 0.005);
    scrape(&after);
    n = observation(want, "validate", 3, 0.005);
    expect_moves(&before, &after, want, n, 1e-9);
    /* Past the last bound: only +Inf, _count and _sum. */
    scrape(&before);
    sl_metrics_observe_request(SL_METRICS_EP_VALIDATE, 12.5);
    scrape(&after);
    n = observation(want, "validate", NBUCKETS - 1, 12.5);
    expect_moves(&before, &after, want, n, 1e-9);
    /* Zero and a (clock-skewed) negative duration: the first bucket, nothing added to _sum. */
    scrape(&before);
    sl_metrics_observe_request(SL_METRICS_EP_VALIDATE, 0);
    sl_metrics_observe_request(SL_METRICS_EP_VALIDATE, -1);
    scrape(&after);
    n = observation(want, "validate", 0, 0);
    for (size_t i = 0; i < n; i++)
        want[i].by *= strstr(want[i].key, "_sum") ? 1 : 2;
    expect_moves(&before, &after, want, n, 1e-9);
    /* Out of range: observed nowhere. */
    scrape(&before);
    sl_metrics_observe_request(SL_METRICS_EP_COUNT_, 1);
    scrape(&after);
    expect_moves(&before, &after, want, 0, 0);
}
END_TEST

START_TEST(test_metrics_duration_sum_adds_every_duration)
{
    /* _sum is the total of the observed durations, however many: durations in whole
     * microseconds (0.000249 s is 248999.99999999997 ns as a double) and sub-microsecond
     * ones (0.4 us) are neither truncated nor dropped, so a thousand rounds of them add up. */
    static const double took[] = {0.000249, 0.000251, 0.000489, 0.000978, 0.003, 0.0000004};
    double per_round = 0;
    for (size_t i = 0; i < SL_ARRAY_LEN(took); i++)
        per_round += took[i];
    struct scrape before, after;
    scrape(&before);
    for (int round = 0; round < 1000; round++)
        for (size_t i = 0; i < SL_ARRAY_LEN(took); i++)
            sl_metrics_observe_request(SL_METRICS_EP_READYZ, took[i]);
    sl_metrics_observe_request(SL_METRICS_EP_READYZ, 1.000007);
    scrape(&after);
    double want = 1000 * per_round + 1.000007;
    double got = delta(&before, &after, DUR "_sum{endpoint=\"readyz\"}");
    ck_assert_msg(fabs(got - want) < 1e-8, "_sum grew by %.9f, want %.9f", got, want);
    ck_assert(delta(&before, &after, DUR "_count{endpoint=\"readyz\"}") ==
              1000.0 * SL_ARRAY_LEN(took) + 1);
}
END_TEST

START_TEST(test_metrics_duration_series_by_endpoint)
{
    struct scrape before, after;
    struct move want[4 * (NBUCKETS + 2)];
    scrape(&before);
    sl_metrics_observe_request(SL_METRICS_EP_MUTATE, 0.02);
    sl_metrics_observe_request(SL_METRICS_EP_METRICS, 0.0007);
    scrape(&after);
    size_t n = observation(want, "mutate", 5, 0.02);
    n += observation(want + n, "metrics", 1, 0.0007);
    expect_moves(&before, &after, want, n, 1e-9);
}
END_TEST

/* An answered /validate review under a profile of `mode`, `level` and `version`. */
static struct sl_answer validated(enum sl_mode mode, enum sl_level level, int version,
                                  bool violates)
{
    struct sl_answer a;
    memset(&a, 0, sizeof(a));
    a.http_status = 200;
    a.endpoint = SL_EP_VALIDATE;
    a.evaluated = true;
    a.violates = violates;
    a.allowed = !violates || mode != SL_MODE_ENFORCE;
    a.mode = mode;
    a.level = level;
    a.version = version;
    snprintf(a.operation, sizeof(a.operation), "CREATE");
    snprintf(a.resource, sizeof(a.resource), "pods");
    return a;
}

static void check_key(char *out, size_t size, const char *family, size_t check)
{
    struct sl_pss_check_info info;
    sl_pss_check_describe(check, &info);
    snprintf(out, size, "%s{check=\"%s\"}", family, info.id);
}

START_TEST(test_metrics_counts_decisions_in_psa_vocabulary)
{
    struct scrape before, after;
    scrape(&before);
    /* Denied in enforce mode, at restricted latest, with two violations and one waiver. */
    struct sl_answer a = validated(SL_MODE_ENFORCE, SL_LEVEL_RESTRICTED, SL_VERSION_LATEST, true);
    a.checks[0] = 0;
    a.checks[1] = 2;
    a.nchecks = 2;
    a.waived[0] = 1;
    a.nwaived = 1;
    sl_metrics_count_review(&a);
    /* Violations in warn mode: decision "deny" too, as Pod Security Admission counts it. */
    a = validated(SL_MODE_WARN, SL_LEVEL_BASELINE, 25, true);
    a.checks[0] = 2;
    a.nchecks = 1;
    sl_metrics_count_review(&a);
    /* Allowed: an UPDATE of a Deployment (a controller) at v1.0. */
    a = validated(SL_MODE_AUDIT, SL_LEVEL_RESTRICTED, 0, false);
    snprintf(a.operation, sizeof(a.operation), "UPDATE");
    snprintf(a.resource, sizeof(a.resource), "%s", "");
    snprintf(a.group, sizeof(a.group), "apps");
    sl_metrics_count_review(&a);
    /* Request values outside the sets: "other"; a version past the table: "future". */
    a = validated(SL_MODE_ENFORCE, SL_LEVEL_BASELINE, 99, false);
    snprintf(a.operation, sizeof(a.operation), "PATCH\"}");
    snprintf(a.subresource, sizeof(a.subresource), "exec\n");
    sl_metrics_count_review(&a);
    a = validated(SL_MODE_ENFORCE, SL_LEVEL_BASELINE, 30, false);
    snprintf(a.subresource, sizeof(a.subresource), "ephemeralcontainers");
    sl_metrics_count_review(&a);
    /* Not evaluated (exempt, out of scope): no decision. A /mutate review: a mutation. */
    a = validated(SL_MODE_ENFORCE, SL_LEVEL_BASELINE, 30, false);
    a.evaluated = false;
    sl_metrics_count_review(&a);
    a = validated(SL_MODE_ENFORCE, SL_LEVEL_BASELINE, 30, false);
    a.endpoint = SL_EP_MUTATE;
    a.patched = true;
    sl_metrics_count_review(&a);
    a.patched = false;
    sl_metrics_count_review(&a);
    scrape(&after);
    struct move want[16];
    size_t n = 0;
#define WANT(k, v) (snprintf(want[n].key, sizeof(want[n].key), "%s", k), want[n++].by = (v))
    WANT(DECIDED "{decision=\"deny\",mode=\"enforce\",level=\"restricted\",version=\"latest\","
                 "operation=\"create\",resource=\"pod\",subresource=\"\"}",
         1);
    WANT(DECIDED "{decision=\"deny\",mode=\"warn\",level=\"baseline\",version=\"v1.25\","
                 "operation=\"create\",resource=\"pod\",subresource=\"\"}",
         1);
    WANT(DECIDED "{decision=\"allow\",mode=\"audit\",level=\"restricted\",version=\"v1.0\","
                 "operation=\"update\",resource=\"controller\",subresource=\"\"}",
         1);
    WANT(DECIDED "{decision=\"allow\",mode=\"enforce\",level=\"baseline\",version=\"future\","
                 "operation=\"other\",resource=\"pod\",subresource=\"other\"}",
         1);
    WANT(DECIDED "{decision=\"allow\",mode=\"enforce\",level=\"baseline\",version=\"v1.30\","
                 "operation=\"create\",resource=\"pod\",subresource=\"ephemeralcontainers\"}",
         1);
    WANT(MUTATED "{patched=\"true\"}", 1);
    WANT(MUTATED "{patched=\"false\"}", 1);
    char key[256];
    check_key(key, sizeof(key), VIOL, 0);
    WANT(key, 1);
    check_key(key, sizeof(key), VIOL, 2);
    WANT(key, 2);
    check_key(key, sizeof(key), WAIVED, 1);
    WANT(key, 1);
#undef WANT
    expect_moves(&before, &after, want, n, 0);
}
END_TEST

START_TEST(test_metrics_in_flight_and_rejections)
{
    struct scrape before, mid, after;
    scrape(&before);
    sl_metrics_request_in_flight(+1);
    sl_metrics_request_in_flight(+1);
    sl_metrics_count_rejected(SL_REJECT_LIMIT);
    sl_metrics_count_rejected(SL_REJECT_PER_IP);
    sl_metrics_count_rejected(SL_REJECT_PER_IP);
    sl_metrics_count_rejected(SL_REJECT_INFLIGHT_BUDGET);
    sl_metrics_count_rejected(SL_REJECT_COUNT_); /* out of range: nowhere */
    scrape(&mid);
    static const struct move want[] = {
        {INFLIGHT, 2},
        {REJECTED "{reason=\"limit\"}", 1},
        {REJECTED "{reason=\"per_ip\"}", 2},
        {REJECTED "{reason=\"inflight_budget\"}", 1},
    };
    expect_moves(&before, &mid, want, SL_ARRAY_LEN(want), 0);
    sl_metrics_request_in_flight(-1);
    sl_metrics_request_in_flight(-1);
    scrape(&after);
    ck_assert(value(&after, INFLIGHT) == value(&before, INFLIGHT));
}
END_TEST

START_TEST(test_metrics_counts_aborts_by_reason)
{
    struct scrape before, after;
    scrape(&before);
    sl_metrics_count_abort(SL_ABORT_ERROR);
    sl_metrics_count_abort(SL_ABORT_TIMEOUT);
    sl_metrics_count_abort(SL_ABORT_TIMEOUT);
    sl_metrics_count_abort(SL_ABORT_READ_ERROR);
    sl_metrics_count_abort(SL_ABORT_CLIENT);
    sl_metrics_count_abort(SL_ABORT_SHUTDOWN);
    sl_metrics_count_abort(SL_ABORT_SHUTDOWN);
    sl_metrics_count_abort(SL_ABORT_SHUTDOWN);
    /* Out of range: counted nowhere. */
    sl_metrics_count_abort(SL_ABORT_COUNT_);
    sl_metrics_count_abort((enum sl_metrics_abort)1000);
    scrape(&after);
    static const struct move want[] = {
        {ABORTED "{reason=\"error\"}", 1},      {ABORTED "{reason=\"timeout\"}", 2},
        {ABORTED "{reason=\"read_error\"}", 1}, {ABORTED "{reason=\"client_abort\"}", 1},
        {ABORTED "{reason=\"shutdown\"}", 3},
    };
    expect_moves(&before, &after, want, SL_ARRAY_LEN(want), 0);
}
END_TEST

START_TEST(test_metrics_connections_gauge_goes_up_and_down)
{
    struct scrape before, mid, after;
    scrape(&before);
    sl_metrics_connection(+1);
    sl_metrics_connection(+1);
    sl_metrics_connection(+1);
    scrape(&mid);
    ck_assert(delta(&before, &mid, CONNS) == 3);
    sl_metrics_connection(-1);
    sl_metrics_connection(-1);
    sl_metrics_connection(-1);
    sl_metrics_connection(-1);
    scrape(&after);
    static const struct move want[] = {{CONNS, -1}};
    expect_moves(&before, &after, want, 1, 0);
    sl_metrics_connection(+1);
}
END_TEST

START_TEST(test_metrics_policy_reloads_by_result)
{
    /* Each reload counts under its result; a success also says when the policy in force was
     * loaded, and whether the last reload loaded flips with each result. The load at start
     * sets the time without counting a reload. */
    struct scrape before, after;
    scrape(&before);
    struct timespec t0;
    clock_gettime(CLOCK_REALTIME, &t0);
    sl_metrics_policy_loaded();
    scrape(&after);
    ck_assert(value(&after, LOADED) >= (double)t0.tv_sec);
    ck_assert(value(&after, LAST_OK) == 1);
    ck_assert(delta(&before, &after, RELOADS "{result=\"success\"}") == 0);
    ck_assert(delta(&before, &after, RELOADS "{result=\"failure\"}") == 0);

    scrape(&before);
    sl_metrics_count_policy_reload(false);
    scrape(&after);
    ck_assert(value(&after, LAST_OK) == 0);
    ck_assert(value(&after, LOADED) == value(&before, LOADED)); /* a failure loads nothing */
    static const struct move failed[] = {{RELOADS "{result=\"failure\"}", 1}, {LAST_OK, -1}};
    expect_moves(&before, &after, failed, SL_ARRAY_LEN(failed), 0);

    scrape(&before);
    sl_metrics_count_policy_reload(true);
    sl_metrics_count_policy_reload(true);
    scrape(&after);
    ck_assert(delta(&before, &after, RELOADS "{result=\"success\"}") == 2);
    ck_assert(delta(&before, &after, RELOADS "{result=\"failure\"}") == 0);
    ck_assert(value(&after, LAST_OK) == 1);
    ck_assert(value(&after, LOADED) >= value(&before, LOADED));
}
END_TEST

START_TEST(test_metrics_adds_the_admission_tables_counts)
{
    /* The server's connection table counts its own refusals: a scrape adds them while the
     * table is watched, under the same reason names. */
    struct sl_admit_limits l = {
        .connections = 8, .per_ip_connections = 1, .head_timeout_s = 60, .idle_timeout_s = 60};
    struct sl_admit *a = sl_admit_new(&l);
    ck_assert_ptr_nonnull(a);
    struct scrape before, mid, after;
    scrape(&before);
    sl_metrics_watch_admit(a);
    int sv[2][2];
    struct sl_admit_conn *c[2];
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(40000)};
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]), 0);
        c[i] = sl_admit_open(a, sv[i][0], (const struct sockaddr *)&in);
    }
    scrape(&mid);
    static const struct move want[] = {{REJECTED "{reason=\"per_ip\"}", 1}};
    expect_moves(&before, &mid, want, 1, 0);
    /* Another table's end changes nothing; this one's unwatches it. */
    sl_metrics_unwatch_admit(NULL);
    sl_metrics_unwatch_admit(a);
    scrape(&after);
    expect_moves(&before, &after, want, 0, 0);
    for (int i = 0; i < 2; i++) {
        sl_admit_close(a, c[i]);
        close(sv[i][0]);
        close(sv[i][1]);
    }
    sl_admit_free(a);
}
END_TEST

#define THREADS    4
#define PER_THREAD 200000

static pthread_barrier_t start_line;

static void *hammer(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start_line); /* all threads count at the same time */
    for (int i = 0; i < PER_THREAD; i++) {
        sl_metrics_count_request(404);
        sl_metrics_observe_request(SL_METRICS_EP_VALIDATE, 0.0001);
        sl_metrics_connection(+1);
        sl_metrics_connection(-1);
    }
    return NULL;
}

START_TEST(test_metrics_concurrent_counts_are_not_lost)
{
    struct scrape before, after;
    scrape(&before);
    ck_assert_int_eq(pthread_barrier_init(&start_line, NULL, THREADS), 0);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, NULL), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start_line);
    scrape(&after);
    double n = (double)THREADS * PER_THREAD;
    ck_assert(delta(&before, &after, REQ "{code=\"404\"}") == n);
    ck_assert(delta(&before, &after, DUR "_count{endpoint=\"validate\"}") == n);
    ck_assert(delta(&before, &after, DUR "_bucket{endpoint=\"validate\",le=\"0.0005\"}") == n);
    ck_assert(fabs(delta(&before, &after, DUR "_sum{endpoint=\"validate\"}") - n * 0.0001) < 1e-6);
    ck_assert(delta(&before, &after, CONNS) == 0);
}
END_TEST

START_TEST(test_metrics_certificate_expiry_and_reloads)
{
    /* The gauge is the notAfter of the pair in force, in whole seconds; reloads count under
     * their result. */
    struct scrape before, after;
    scrape(&before);
    sl_metrics_set_certificate_expiry(1893456000); /* 2030-01-01T00:00:00Z */
    sl_metrics_count_certificate_reload(false);
    sl_metrics_count_certificate_reload(true);
    sl_metrics_count_certificate_reload(true);
    scrape(&after);
    ck_assert(value(&after, CERT_EXP) == 1893456000.0);
    ck_assert(delta(&before, &after, CERT_REL "{result=\"success\"}") == 2);
    ck_assert(delta(&before, &after, CERT_REL "{result=\"failure\"}") == 1);
}
END_TEST

START_TEST(test_metrics_promtool_accepts_exposition)
{
    /* Prometheus' own linter (Debian package prometheus, installed by make deps). */
    ck_assert_msg(system("command -v promtool >/dev/null 2>&1") == 0,
                  "promtool not found: apt-get install prometheus (make deps does)");
    sl_metrics_count_request(200);
    sl_metrics_observe_request(SL_METRICS_EP_VALIDATE, 0.01);
    sl_metrics_observe_request(SL_METRICS_EP_MUTATE, 3);
    struct sl_answer a = validated(SL_MODE_ENFORCE, SL_LEVEL_RESTRICTED, SL_VERSION_LATEST, true);
    a.nchecks = 1;
    sl_metrics_count_review(&a);
    sl_metrics_count_rejected(SL_REJECT_PER_IP);
    sl_metrics_count_abort(SL_ABORT_TIMEOUT);
    sl_metrics_count_policy_reload(false);
    sl_metrics_count_policy_reload(true);
    sl_metrics_set_certificate_expiry(1893456000);
    sl_metrics_count_certificate_reload(true);
    size_t len = 0;
    char *text = sl_metrics_render(&len);
    char out[] = "/tmp/socklock-promtool-XXXXXX";
    int fd = mkstemp(out);
    ck_assert_int_ge(fd, 0);
    close(fd);
    char *cmd = sl_xasprintf("promtool check metrics >%s 2>&1", out);
    fflush(NULL);
    FILE *p = popen(cmd, "w");
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(fwrite(text, 1, len, p), len);
    int st = pclose(p);
    FILE *f = fopen(out, "r");
    char said[4096] = "";
    size_t got = f ? fread(said, 1, sizeof(said) - 1, f) : 0;
    said[got] = '\0';
    if (f)
        fclose(f);
    unlink(out);
    ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "promtool check metrics failed (%d): %s", st, said);
    ck_assert_msg(got == 0, "promtool has remarks: %s", said);
    free(cmd);
    free(text);
}
END_TEST

Suite *suite_metrics(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("metrics");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_metrics_exposition_has_every_series_once);
    tcase_add_test(tc, test_metrics_table_fits_the_counters);
    tcase_add_test(tc, test_metrics_counts_requests_by_status_code);
    tcase_add_test(tc, test_metrics_duration_lands_in_le_buckets);
    tcase_add_test(tc, test_metrics_duration_sum_adds_every_duration);
    tcase_add_test(tc, test_metrics_duration_series_by_endpoint);
    tcase_add_test(tc, test_metrics_counts_decisions_in_psa_vocabulary);
    tcase_add_test(tc, test_metrics_in_flight_and_rejections);
    tcase_add_test(tc, test_metrics_adds_the_admission_tables_counts);
    tcase_add_test(tc, test_metrics_counts_aborts_by_reason);
    tcase_add_test(tc, test_metrics_connections_gauge_goes_up_and_down);
    tcase_add_test(tc, test_metrics_policy_reloads_by_result);
    tcase_add_test(tc, test_metrics_certificate_expiry_and_reloads);
    tcase_add_test(tc, test_metrics_concurrent_counts_are_not_lost);
    tcase_add_test(tc, test_metrics_promtool_accepts_exposition);
    suite_add_tcase(s, tc);
    return s;
}
