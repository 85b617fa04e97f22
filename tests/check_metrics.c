/* metrics: the counters behind GET /metrics, read back the way a scrape reads them. The
 * exposition text is parsed (Prometheus text format 0.0.4: # HELP / # TYPE lines, then
 * `name{label="value",...} value` samples) and the tests assert the series and values a
 * scrape would see; promtool checks the text too. The counters are process-wide and keep
 * counting across tests (CK_FORK=no under valgrind), so every test compares a scrape taken
 * after its counts with one taken before. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "socklock/alloc.h"
#include "socklock/metrics.h"

extern Suite *suite_metrics(void);

#define REQ      "socklock_requests_total"
#define DUR      "socklock_admission_review_duration_seconds"
#define ABORTED  "socklock_requests_aborted_total"
#define CONNS    "socklock_connections_open"
#define RELOADS  "socklock_policy_reloads_total"
#define LOADED   "socklock_policy_last_reload_success_timestamp_seconds"
#define LAST_OK  "socklock_policy_last_reload_successful"
#define CERT_EXP "socklock_certificate_expiry_timestamp_seconds"
#define CERT_REL "socklock_certificate_reloads_total"
#define NSAMPLES 128
#define NFAMILY  12

/* One scrape: every sample by its full series text (name and labels as written). */
struct scrape {
    struct {
        char key[160];
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

static double delta(const struct scrape *before, const struct scrape *after, const char *key)
{
    return value(after, key) - value(before, key);
}

/* Asserts that every series moved by exactly its entry in want (key, delta), and that
 * all the others did not move. */
struct move {
    char key[160];
    double by;
};

static void expect_moves(const struct scrape *before, const struct scrape *after,
                         const struct move *want, size_t nwant, double tolerance)
{
    ck_assert_uint_eq(before->n, after->n);
    for (size_t i = 0; i < after->n; i++) {
        const char *key = after->s[i].key;
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

static void bucket_key(char *out, size_t size, const char *endpoint, const char *allowed,
                       const char *le)
{
    snprintf(out, size, DUR "_bucket{endpoint=\"%s\",allowed=\"%s\",le=\"%s\"}", endpoint, allowed,
             le);
}

/* The moves one observation makes: every bucket from first_bucket on, count, and sum. */
static size_t observation(struct move *out, const char *endpoint, const char *allowed,
                          size_t first_bucket, double seconds)
{
    size_t n = 0;
    for (size_t i = first_bucket; i < NBUCKETS; i++) {
        bucket_key(out[n].key, sizeof(out[n].key), endpoint, allowed, buckets[i]);
        out[n++].by = 1;
    }
    snprintf(out[n].key, sizeof(out[n].key), DUR "_count{endpoint=\"%s\",allowed=\"%s\"}", endpoint,
             allowed);
    out[n++].by = 1;
    snprintf(out[n].key, sizeof(out[n].key), DUR "_sum{endpoint=\"%s\",allowed=\"%s\"}", endpoint,
             allowed);
    out[n++].by = seconds;
    return n;
}

START_TEST(test_metrics_exposition_has_every_series_once)
{
    struct scrape m;
    scrape(&m);
    /* Nine families, with their types. */
    static const char *const fams[][2] = {
        {REQ, "counter"},   {DUR, "histogram"},   {ABORTED, "counter"},
        {CONNS, "gauge"},   {RELOADS, "counter"}, {LOADED, "gauge"},
        {LAST_OK, "gauge"}, {CERT_EXP, "gauge"},  {CERT_REL, "counter"}};
    ck_assert_uint_eq(m.nfam, SL_ARRAY_LEN(fams));
    for (size_t i = 0; i < SL_ARRAY_LEN(fams); i++) {
        size_t f = family_of(&m, fams[i][0], strlen(fams[i][0]));
        ck_assert_msg(f != SIZE_MAX, "no family %s", fams[i][0]);
        ck_assert_str_eq(m.fam[f].type, fams[i][1]);
    }
    /* Requests by code, the last one for every other code. */
    static const char *const codes[] = {"200", "400", "403", "404", "405",
                                        "413", "415", "500", "503", "other"};
    char key[160];
    for (size_t i = 0; i < SL_ARRAY_LEN(codes); i++) {
        snprintf(key, sizeof(key), REQ "{code=\"%s\"}", codes[i]);
        value(&m, key);
    }
    /* One histogram per endpoint and verdict, cumulative, +Inf equal to _count. */
    static const char *const endpoints[] = {"validate", "mutate"};
    static const char *const allowed[] = {"false", "true"};
    for (size_t e = 0; e < 2; e++) {
        for (size_t a = 0; a < 2; a++) {
            double prev = 0;
            for (size_t i = 0; i < NBUCKETS; i++) {
                bucket_key(key, sizeof(key), endpoints[e], allowed[a], buckets[i]);
                double v = value(&m, key);
                ck_assert_msg(v >= prev, "%s below the bucket before it", key);
                prev = v;
            }
            snprintf(key, sizeof(key), DUR "_count{endpoint=\"%s\",allowed=\"%s\"}", endpoints[e],
                     allowed[a]);
            ck_assert(value(&m, key) == prev);
            snprintf(key, sizeof(key), DUR "_sum{endpoint=\"%s\",allowed=\"%s\"}", endpoints[e],
                     allowed[a]);
            ck_assert(value(&m, key) >= 0);
        }
    }
    static const char *const reasons[] = {"error", "timeout", "read_error", "client_abort",
                                          "shutdown"};
    for (size_t i = 0; i < SL_ARRAY_LEN(reasons); i++) {
        snprintf(key, sizeof(key), ABORTED "{reason=\"%s\"}", reasons[i]);
        value(&m, key);
    }
    value(&m, CONNS);
    value(&m, RELOADS "{result=\"success\"}");
    value(&m, RELOADS "{result=\"failure\"}");
    value(&m, LOADED);
    value(&m, LAST_OK);
    value(&m, CERT_EXP);
    value(&m, CERT_REL "{result=\"success\"}");
    value(&m, CERT_REL "{result=\"failure\"}");
    /* Nothing else: label values come from closed sets, never from requests. */
    ck_assert_uint_eq(m.n,
                      SL_ARRAY_LEN(codes) + 4 * (NBUCKETS + 2) + SL_ARRAY_LEN(reasons) + 1 + 4 + 3);
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

START_TEST(test_metrics_review_lands_in_le_buckets)
{
    struct scrape before, after;
    struct move want[2 * (NBUCKETS + 2)];
    /* 3 ms: in le="0.005" and every bucket above, not in le="0.0025". */
    scrape(&before);
    sl_metrics_count_review("validate", true, 0.003);
    scrape(&after);
    size_t n = observation(want, "validate", "true", 3, 0.003);
    expect_moves(&before, &after, want, n, 1e-9);
    /* A duration equal to a bound counts in that bound's bucket (le: less or equal). */
    scrape(&before);
    sl_metrics_count_review("validate", true, 0.005);
    scrape(&after);
    n = observation(want, "validate", "true", 3, 0.005);
    expect_moves(&before, &after, want, n, 1e-9);
    /* Past the last bound: only +Inf, _count and _sum. */
    scrape(&before);
    sl_metrics_count_review("validate", true, 12.5);
    scrape(&after);
    n = observation(want, "validate", "true", NBUCKETS - 1, 12.5);
    expect_moves(&before, &after, want, n, 1e-9);
    /* Zero and a (clock-skewed) negative duration: the first bucket, nothing added to _sum. */
    scrape(&before);
    sl_metrics_count_review("validate", true, 0);
    sl_metrics_count_review("validate", true, -1);
    scrape(&after);
    n = observation(want, "validate", "true", 0, 0);
    for (size_t i = 0; i < n; i++)
        want[i].by *= strstr(want[i].key, "_sum") ? 1 : 2;
    expect_moves(&before, &after, want, n, 1e-9);
}
END_TEST

START_TEST(test_metrics_review_sum_adds_every_duration)
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
            sl_metrics_count_review("validate", false, took[i]);
    sl_metrics_count_review("validate", false, 1.000007);
    scrape(&after);
    double want = 1000 * per_round + 1.000007;
    double got = delta(&before, &after, DUR "_sum{endpoint=\"validate\",allowed=\"false\"}");
    ck_assert_msg(fabs(got - want) < 1e-8, "_sum grew by %.9f, want %.9f", got, want);
    ck_assert(delta(&before, &after, DUR "_count{endpoint=\"validate\",allowed=\"false\"}") ==
              1000.0 * SL_ARRAY_LEN(took) + 1);
}
END_TEST

START_TEST(test_metrics_review_series_by_endpoint_and_verdict)
{
    struct scrape before, after;
    struct move want[4 * (NBUCKETS + 2)];
    scrape(&before);
    sl_metrics_count_review("mutate", false, 0.02);
    sl_metrics_count_review("validate", false, 0.0007);
    scrape(&after);
    size_t n = observation(want, "mutate", "false", 5, 0.02);
    n += observation(want + n, "validate", "false", 1, 0.0007);
    expect_moves(&before, &after, want, n, 1e-9);
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

#define THREADS    4
#define PER_THREAD 200000

static pthread_barrier_t start_line;

static void *hammer(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start_line); /* all threads count at the same time */
    for (int i = 0; i < PER_THREAD; i++) {
        sl_metrics_count_request(404);
        sl_metrics_count_review("validate", true, 0.0001);
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
    ck_assert(delta(&before, &after, DUR "_count{endpoint=\"validate\",allowed=\"true\"}") == n);
    ck_assert(delta(&before, &after,
                    DUR "_bucket{endpoint=\"validate\",allowed=\"true\",le=\"0.0005\"}") == n);
    ck_assert(fabs(delta(&before, &after, DUR "_sum{endpoint=\"validate\",allowed=\"true\"}") -
                   n * 0.0001) < 1e-6);
    ck_assert(delta(&before, &after, CONNS) == 0);
}
END_TEST

START_TEST(test_metrics_promtool_accepts_exposition)
{
    /* Prometheus' own linter (Debian package prometheus, installed by make deps). */
    ck_assert_msg(system("command -v promtool >/dev/null 2>&1") == 0,
                  "promtool not found: apt-get install prometheus (make deps does)");
    sl_metrics_count_request(200);
    sl_metrics_count_review("validate", true, 0.01);
    sl_metrics_count_review("mutate", false, 3);
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
    tcase_add_test(tc, test_metrics_counts_requests_by_status_code);
    tcase_add_test(tc, test_metrics_review_lands_in_le_buckets);
    tcase_add_test(tc, test_metrics_review_sum_adds_every_duration);
    tcase_add_test(tc, test_metrics_review_series_by_endpoint_and_verdict);
    tcase_add_test(tc, test_metrics_counts_aborts_by_reason);
    tcase_add_test(tc, test_metrics_certificate_expiry_and_reloads);
    tcase_add_test(tc, test_metrics_connections_gauge_goes_up_and_down);
    tcase_add_test(tc, test_metrics_policy_reloads_by_result);
    tcase_add_test(tc, test_metrics_concurrent_counts_are_not_lost);
    tcase_add_test(tc, test_metrics_promtool_accepts_exposition);
    suite_add_tcase(s, tc);
    return s;
}
