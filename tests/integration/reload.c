/* Reloading the policy of a running server (README, "Reloading the policy"): the policy file
 * laid out as the kubelet mounts a ConfigMap and updated as the kubelet updates it, while
 * client threads send reviews over keep-alive connections and over a new connection each.
 * No request may fail, and every verdict must be that of the file in force: after a good
 * update the verdicts follow it within a second, a broken file changes nothing, and SIGHUP
 * reloads too. The counts and the observed reload latencies are printed. */
#include "itest.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

/* How soon after an update its verdicts must be seen: the watch settles a burst in 100 ms. */
#define RELOAD_DEADLINE 1.0

/* The pod of it_review_bad() (privileged, hostPID, runAsUser 0): denied by A, allowed by B. */
static const char policy_a[] = "profiles:\n"
                               "  default:\n"
                               "    level: restricted\n";
static const char policy_b[] = "profiles:\n"
                               "  default:\n"
                               "    level: privileged\n";
/* A typo'd key: refused at 3:5. */
static const char policy_broken[] = "profiles:\n"
                                    "  default:\n"
                                    "    levle: privileged\n";

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* ---- a ConfigMap volume, as the kubelet writes it ------------------------------------- */

struct configmap {
    char dir[400];
    char policy[450]; /* DIR/policy.yaml -> ..data/policy.yaml */
    int version;      /* of the ..TIMESTAMP folder ..data points to */
};

static void stamp_path(const struct configmap *cm, int version, const char *leaf, char *out,
                       size_t size)
{
    snprintf(out, size, "%s/..2026_11_30_10_%02d_00.%09d%s%s", cm->dir, version % 60, version,
             leaf ? "/" : "", leaf ? leaf : "");
}

/* DIR/..2026_.../policy.yaml, DIR/..data -> ..2026_..., DIR/policy.yaml -> ..data/policy.yaml */
static void configmap_init(struct configmap *cm, const char *name, const char *text)
{
    snprintf(cm->dir, sizeof(cm->dir), "%s/%s", it_env.dir, name);
    snprintf(cm->policy, sizeof(cm->policy), "%s/policy.yaml", cm->dir);
    cm->version = 1;
    char path[600], link[600];
    ck_assert_int_eq(mkdir(cm->dir, 0755), 0);
    stamp_path(cm, cm->version, NULL, path, sizeof(path));
    ck_assert_int_eq(mkdir(path, 0755), 0);
    stamp_path(cm, cm->version, "policy.yaml", path, sizeof(path));
    write_text(path, text);
    stamp_path(cm, cm->version, NULL, path, sizeof(path));
    snprintf(link, sizeof(link), "%s/..data", cm->dir);
    ck_assert_int_eq(symlink(strrchr(path, '/') + 1, link), 0);
    ck_assert_int_eq(symlink("..data/policy.yaml", cm->policy), 0);
}

/* An update as the kubelet's atomic writer makes it: a new timestamped folder, a ..data_tmp
 * link to it renamed over ..data, the old folder removed. Returns when the rename happened. */
static double configmap_update(struct configmap *cm, const char *text)
{
    int next = cm->version + 1;
    char path[600], tmp[600], data[600];
    stamp_path(cm, next, NULL, path, sizeof(path));
    ck_assert_int_eq(mkdir(path, 0755), 0);
    stamp_path(cm, next, "policy.yaml", path, sizeof(path));
    write_text(path, text);
    stamp_path(cm, next, NULL, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s/..data_tmp", cm->dir);
    snprintf(data, sizeof(data), "%s/..data", cm->dir);
    ck_assert_int_eq(symlink(strrchr(path, '/') + 1, tmp), 0);
    ck_assert_int_eq(rename(tmp, data), 0);
    double when = it_now();
    stamp_path(cm, cm->version, "policy.yaml", path, sizeof(path));
    ck_assert_int_eq(unlink(path), 0);
    stamp_path(cm, cm->version, NULL, path, sizeof(path));
    ck_assert_int_eq(rmdir(path), 0);
    cm->version = next;
    return when;
}

/* ---- verdicts and metrics --------------------------------------------------------------- */

static const char *text_of(const json_t *v)
{
    const char *t = json_string_value(v);
    return t != NULL ? t : "";
}

/* 1 allowed, 0 denied; -1 when r is not an HTTP 200 AdmissionReview answering uid, with why
 * written. Asserts nothing, so client threads may call it. */
static int classify(const struct it_resp *r, const char *uid, char *why, size_t size)
{
    if (r->curl_rc != CURLE_OK) {
        snprintf(why, size, "%s", curl_easy_strerror((CURLcode)r->curl_rc));
        return -1;
    }
    if (r->status != 200) {
        snprintf(why, size, "HTTP %ld: %.200s", r->status, r->body ? r->body : "");
        return -1;
    }
    json_error_t je;
    json_t *doc = json_loads(r->body, 0, &je);
    json_t *resp = json_object_get(doc, "response");
    const char *got = json_string_value(json_object_get(resp, "uid"));
    json_t *allowed = json_object_get(resp, "allowed");
    int verdict = -1;
    if (json_is_object(doc) &&
        strcmp(text_of(json_object_get(doc, "apiVersion")), "admission.k8s.io/v1") == 0 &&
        strcmp(text_of(json_object_get(doc, "kind")), "AdmissionReview") == 0 && got != NULL &&
        strcmp(got, uid) == 0 && json_is_boolean(allowed))
        verdict = json_is_true(allowed);
    else
        snprintf(why, size, "not the AdmissionReview answering %s: %.200s", uid, r->body);
    json_decref(doc);
    return verdict;
}

static int post_review(unsigned port, const char *uid, char *why, size_t size)
{
    char *body = it_review_bad("admission.k8s.io/v1", uid);
    struct it_req q = {
        .path = "/validate", .ctype = "application/json", .body = body, .len = strlen(body)};
    struct it_resp r;
    it_request(port, &q, &r);
    int v = classify(&r, uid, why, size);
    it_resp_cleanup(&r);
    free(body);
    return v;
}

/* The verdict on the pod, from a request on a new connection; fails the test on anything but
 * a well-formed answer. */
static int verdict(unsigned port, const char *uid)
{
    char why[512] = "";
    int v = post_review(port, uid, why, sizeof(why));
    ck_assert_msg(v >= 0, "%s", why);
    return v;
}

/* Asks for the verdict until it is `want`, at most RELOAD_DEADLINE after `since` (when the
 * file changed); returns how long after `since` it was first seen. */
static double wait_verdict(unsigned port, int want, double since, const char *phase)
{
    for (int i = 0;; i++) {
        char uid[64];
        snprintf(uid, sizeof(uid), "%s-poll-%d", phase, i);
        int v = verdict(port, uid);
        double t = it_now() - since;
        if (v == want)
            return t;
        ck_assert_msg(t < RELOAD_DEADLINE, "%s: still %s %.3f s after the update", phase,
                      v ? "allowed" : "denied", t);
        sleep_ms(5); /* poll interval */
    }
}

#define RELOADS_OK  "socklock_policy_reloads_total{result=\"success\"}"
#define RELOADS_BAD "socklock_policy_reloads_total{result=\"failure\"}"

/* ---- the load ------------------------------------------------------------------------- */

/* The verdict every request must get: a request reads it under the lock when it starts, and
 * the main thread changes it only once no request is in flight (`closed` holds new ones
 * back), so a request is judged against the file in force for its whole life. */
struct load {
    unsigned port;
    atomic_bool stop;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool closed;
    int inflight;
    int expect; /* 1 allowed, 0 denied, -1 either (an update is under way) */
    unsigned long sent, sent_keepalive, sent_fresh;
    unsigned long failed;  /* not an HTTP 200 AdmissionReview for the request */
    unsigned long against; /* a verdict that is not the file in force's */
    char problem[600];     /* the first of either */
};

struct worker {
    pthread_t thread;
    struct load *ld;
    int id;
    bool keepalive; /* one connection for every request; else a new one for each */
    long connections;
};

static void *work(void *arg)
{
    struct worker *wk = arg;
    struct load *ld = wk->ld;
    struct it_client *cl = wk->keepalive ? it_client_new(ld->port) : NULL;
    for (unsigned long i = 0; !atomic_load(&ld->stop); i++) {
        char uid[64], why[512] = "";
        snprintf(uid, sizeof(uid), "w%d-%lu", wk->id, i);
        char *body = it_review_bad("admission.k8s.io/v1", uid);
        pthread_mutex_lock(&ld->lock);
        while (ld->closed)
            pthread_cond_wait(&ld->cond, &ld->lock);
        int want = ld->expect;
        ld->inflight++;
        pthread_mutex_unlock(&ld->lock);

        int got;
        if (cl != NULL) {
            struct it_resp r;
            it_client_post(cl, "/validate", body, strlen(body), &r);
            got = classify(&r, uid, why, sizeof(why));
            it_resp_cleanup(&r);
        } else {
            got = post_review(ld->port, uid, why, sizeof(why));
        }
        free(body);

        pthread_mutex_lock(&ld->lock);
        ld->inflight--;
        ld->sent++;
        if (cl != NULL)
            ld->sent_keepalive++;
        else
            ld->sent_fresh++;
        if (got < 0 || (want >= 0 && got != want)) {
            if (got < 0)
                ld->failed++;
            else
                ld->against++;
            if (ld->problem[0] == '\0')
                snprintf(ld->problem, sizeof(ld->problem), "request %s: %s", uid,
                         got < 0 ? why
                                 : (got ? "allowed, wanted denied" : "denied, wanted allowed"));
        }
        pthread_cond_broadcast(&ld->cond);
        pthread_mutex_unlock(&ld->lock);
    }
    if (cl != NULL)
        wk->connections = it_client_connections(cl);
    it_client_free(cl);
    return NULL;
}

/* Sets the verdict every request must get from now on, once no request is in flight. */
static void expect(struct load *ld, int v)
{
    pthread_mutex_lock(&ld->lock);
    ld->closed = true;
    while (ld->inflight > 0)
        pthread_cond_wait(&ld->cond, &ld->lock);
    ld->expect = v;
    ld->closed = false;
    pthread_cond_broadcast(&ld->cond);
    pthread_mutex_unlock(&ld->lock);
}

static void sent(struct load *ld, unsigned long *keepalive, unsigned long *fresh)
{
    pthread_mutex_lock(&ld->lock);
    *keepalive = ld->sent_keepalive;
    *fresh = ld->sent_fresh;
    pthread_mutex_unlock(&ld->lock);
}

/* Lets the clients send n more requests of each kind: a TLS handshake per request makes the
 * new-connection clients much slower, and each policy must see both kinds. */
static void more_requests(struct load *ld, unsigned long n)
{
    unsigned long k0, f0, k, f;
    sent(ld, &k0, &f0);
    double end = it_now() + IT_HANG_GUARD;
    for (;;) {
        sent(ld, &k, &f);
        if (k >= k0 + n && f >= f0 + n)
            return;
        ck_assert_msg(it_now() < end, "the clients sent %lu and %lu more requests, not %lu", k - k0,
                      f - f0, n);
        sleep_ms(10); /* poll interval */
    }
}

/* Stops a server the graceful way (a second signal skips the shutdown delay), so that the
 * sanitizer builds check it for leaks at exit; asserts exit 0. */
static void stop_server(struct it_server *s)
{
    kill(s->pid, SIGTERM);
    ck_assert_msg(it_log_wait(s, "SIGTERM: draining", IT_HANG_GUARD), "see %s", s->log);
    int st = it_server_signal_wait(s, SIGINT, IT_HANG_GUARD);
    ck_assert_msg(st == 0, "exit status %d, see %s", st, s->log);
}

static void start_with_policy(struct it_server *s, const char *name, const char *policy)
{
    const char *args[] = {"--cert", it_env.crt,  "--key", it_env.key, "--policy",
                          policy,   "--threads", "4",     NULL};
    ck_assert_msg(it_server_start(s, name, args), "server did not start, see %s", s->log);
    /* The watch starts right after the server: an update before it would go unnoticed. */
    ck_assert_msg(it_log_wait(s, "reloading the policy when", IT_HANG_GUARD), "see %s", s->log);
}

#define KEEPALIVE_CLIENTS 2
#define FRESH_CLIENTS     2
#define PER_PHASE         20 /* requests of each kind the clients send under each policy */

START_TEST(test_reload_under_load)
{
    struct configmap cm;
    configmap_init(&cm, "reload-configmap", policy_a);
    struct it_server s;
    start_with_policy(&s, "reload", cm.policy);
    ck_assert_int_eq(verdict(s.port, "start"), 0);

    struct load ld = {.port = s.port, .expect = 0};
    pthread_mutex_init(&ld.lock, NULL);
    pthread_cond_init(&ld.cond, NULL);
    struct worker wk[KEEPALIVE_CLIENTS + FRESH_CLIENTS];
    for (int i = 0; i < KEEPALIVE_CLIENTS + FRESH_CLIENTS; i++) {
        wk[i] = (struct worker){.ld = &ld, .id = i, .keepalive = i < KEEPALIVE_CLIENTS};
        ck_assert_int_eq(pthread_create(&wk[i].thread, NULL, work, &wk[i]), 0);
    }
    more_requests(&ld, PER_PHASE);

    /* 1. B, which allows the pod. */
    expect(&ld, -1);
    double latency_b = wait_verdict(s.port, 1, configmap_update(&cm, policy_b), "b");
    expect(&ld, 1);
    more_requests(&ld, PER_PHASE);

    /* 2. A broken file: refused, counted, logged with its position; B stays in force. */
    configmap_update(&cm, policy_broken);
    it_wait_metric(s.port, RELOADS_BAD, 1);
    char want[600];
    snprintf(want, sizeof(want),
             "policy file changed: policy reload failed, the policy in force stays: "
             "%s:3:5: profiles.default.levle: unknown setting",
             cm.policy);
    ck_assert_msg(it_log_wait(&s, want, IT_HANG_GUARD), "no \"%s\" in %s", want, s.log);
    more_requests(&ld, PER_PHASE);
    ck_assert_int_eq(verdict(s.port, "after-broken"), 1);

    /* 3. A again. */
    expect(&ld, -1);
    double latency_a = wait_verdict(s.port, 0, configmap_update(&cm, policy_a), "a");
    expect(&ld, 0);
    more_requests(&ld, PER_PHASE);
    ck_assert(it_metric(s.port, RELOADS_OK) == 2);
    ck_assert(it_metric(s.port, RELOADS_BAD) == 1);
    ck_assert(it_metric(s.port, "socklock_policy_last_reload_successful") == 1);

    /* 4. SIGHUP reloads the same file: one more success, the same verdicts. */
    ck_assert_int_eq(kill(s.pid, SIGHUP), 0);
    it_wait_metric(s.port, RELOADS_OK, 3);
    snprintf(want, sizeof(want), "SIGHUP: policy reloaded from %s: 1 profile in force", cm.policy);
    ck_assert_msg(it_log_wait(&s, want, IT_HANG_GUARD), "no \"%s\" in %s", want, s.log);
    more_requests(&ld, PER_PHASE);

    atomic_store(&ld.stop, true);
    long connections = 0;
    for (int i = 0; i < KEEPALIVE_CLIENTS + FRESH_CLIENTS; i++) {
        pthread_join(wk[i].thread, NULL);
        connections += wk[i].connections;
    }
    printf("reload under load: %lu requests (%lu over %d keep-alive clients, which opened %ld "
           "connections; %lu on a new connection each), %lu failed, %lu verdicts not the file "
           "in force's; verdicts followed the update within %.3f s (B) and %.3f s (A); reloads: "
           "%.0f succeeded, %.0f failed\n",
           ld.sent, ld.sent_keepalive, KEEPALIVE_CLIENTS, connections, ld.sent_fresh, ld.failed,
           ld.against, latency_b, latency_a, it_metric(s.port, RELOADS_OK),
           it_metric(s.port, RELOADS_BAD));
    ck_assert_msg(ld.failed == 0 && ld.against == 0, "%lu failed, %lu against: %s", ld.failed,
                  ld.against, ld.problem);
    ck_assert_uint_ge(ld.sent_keepalive, 1);
    ck_assert_uint_ge(ld.sent_fresh, 1);
    /* The keep-alive clients kept their connections across every reload. */
    ck_assert_int_eq(connections, KEEPALIVE_CLIENTS);
    pthread_cond_destroy(&ld.cond);
    pthread_mutex_destroy(&ld.lock);
    stop_server(&s);
}
END_TEST

START_TEST(test_reload_editor_save_copy_and_fixed_limits)
{
    /* A plain file: saved as an editor saves (a new file renamed over it), then copied over
     * in place. A reload that changes limits puts the new profiles in force and names each
     * changed limit as waiting for a restart. */
    char dir[600], path[700], tmp[700];
    snprintf(dir, sizeof(dir), "%s/reload-plain", it_env.dir);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    snprintf(path, sizeof(path), "%s/policy.yaml", dir);
    snprintf(tmp, sizeof(tmp), "%s/.policy.yaml.swp", dir);
    write_text(path, policy_a);
    struct it_server s;
    start_with_policy(&s, "reload-plain", path);
    ck_assert_int_eq(verdict(s.port, "plain-start"), 0);

    write_text(tmp, "limits:\n"
                    "  connections: 100\n"
                    "  idleTimeoutSeconds: 5\n"
                    "profiles:\n"
                    "  default:\n"
                    "    level: privileged\n"
                    "  baseline:\n"
                    "    level: baseline\n");
    ck_assert_int_eq(rename(tmp, path), 0);
    double saved = it_now();
    printf("reload after an editor's save: %.3f s\n", wait_verdict(s.port, 1, saved, "save"));
    ck_assert(it_log_wait(&s, "policy file changed: policy reloaded from ", IT_HANG_GUARD));
    ck_assert(it_log_wait(&s, "2 profiles in force", IT_HANG_GUARD));
    /* Logged after the swap, so waited for as well. */
    ck_assert(it_log_wait(&s,
                          "limits.connections changed from 1024 to 100: takes effect after "
                          "a restart",
                          IT_HANG_GUARD));
    ck_assert(it_log_wait(&s,
                          "limits.idleTimeoutSeconds changed from 30 to 5: takes effect "
                          "after a restart",
                          IT_HANG_GUARD));

    write_text(path, policy_a); /* as cp does: truncated and rewritten in place */
    double copied = it_now();
    printf("reload after a copy in place: %.3f s\n", wait_verdict(s.port, 0, copied, "copy"));
    it_wait_metric(s.port, RELOADS_OK, 2);
    ck_assert(it_metric(s.port, RELOADS_BAD) == 0);
    stop_server(&s);
    /* Only the limits that changed were named. */
    ck_assert(!it_log_has(&s, "limits.maxBodyBytes"));
    ck_assert(!it_log_has(&s, "limits.perIPConnections"));
}
END_TEST

Suite *it_suite_reload(void)
{
    Suite *s = suite_create("reload");
    TCase *tc = tcase_create("reload");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_reload_under_load);
    tcase_add_test(tc, test_reload_editor_save_copy_and_fixed_limits);
    suite_add_tcase(s, tc);
    return s;
}
