/* SIGTERM under load (docs/admission.md, "Shutdown"): client threads send reviews over
 * keep-alive connections and over a new connection each, and one slow client is halfway
 * through sending a review, when the server gets SIGTERM. Every request that was sent whole
 * must be answered: during the shutdown delay answers carry `Connection: close`, then the
 * listening socket is closed (new connections are refused, which is how the clients learn to
 * stop) while the connections open finish; the slow client sends the rest of its review
 * after that and still gets its answer. The server exits 0 within the shutdown delay plus the
 * drain timeout. The figures are printed. */
#include "itest.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

/* Short timings, so that the test is quick; the default policy's are 5 s and 10 s. */
#define DELAY_S 2
#define DRAIN_S 5
static const char policy[] = "limits:\n"
                             "  shutdownDelaySeconds: 2\n"
                             "  drainTimeoutSeconds: 5\n"
                             "profiles:\n"
                             "  default:\n"
                             "    level: restricted\n";

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

struct load {
    unsigned port;
    pthread_mutex_t lock;
    int inflight;               /* requests begun and not yet ended */
    unsigned long answered;     /* an HTTP 200 AdmissionReview answering the request */
    unsigned long after_signal; /* of them, begun after SIGTERM */
    unsigned long closing;      /* answers carrying `Connection: close` */
    unsigned long refused;      /* no connection: the listening socket was closed */
    unsigned long unsent;       /* the connection failed before the whole request was sent */
    unsigned long lost;         /* sent whole, and no answer */
    bool signalled;
    char problem[600]; /* the first lost request */
};

struct worker {
    pthread_t thread;
    struct load *ld;
    int id;
    bool keepalive;
};

/* Sends reviews until a connection is refused. */
static void *work(void *arg)
{
    struct worker *wk = arg;
    struct load *ld = wk->ld;
    struct it_client *cl = wk->keepalive ? it_client_new(ld->port) : NULL;
    bool stop = false;
    for (unsigned long i = 0; !stop; i++) {
        char uid[64];
        snprintf(uid, sizeof(uid), "s%d-%lu", wk->id, i);
        char *body = it_review_good("admission.k8s.io/v1", uid);
        size_t len = strlen(body);
        pthread_mutex_lock(&ld->lock);
        bool after = ld->signalled;
        ld->inflight++;
        pthread_mutex_unlock(&ld->lock);
        struct it_resp r;
        if (cl != NULL) {
            it_client_post(cl, "/validate", body, len, &r);
        } else {
            struct it_req q = {
                .path = "/validate", .ctype = "application/json", .body = body, .len = len};
            it_request(ld->port, &q, &r);
        }
        bool ok = r.curl_rc == CURLE_OK && r.status == 200 && r.body != NULL &&
                  strstr(r.body, uid) != NULL;
        char conn[32] = "";
        pthread_mutex_lock(&ld->lock);
        ld->inflight--;
        if (ok) {
            ld->answered++;
            ld->after_signal += after;
            if (it_resp_header(&r, "Connection", conn, sizeof(conn)) && strcmp(conn, "close") == 0)
                ld->closing++;
        } else if (r.curl_rc == CURLE_COULDNT_CONNECT) {
            ld->refused++;
            stop = true;
        } else if (r.curl_rc != CURLE_OK && r.upload_bytes < (double)len) {
            ld->unsent++;
        } else {
            ld->lost++;
            if (ld->problem[0] == '\0')
                snprintf(ld->problem, sizeof(ld->problem),
                         "request %s (%.0f of %zu bytes sent): %s, HTTP %ld: %.200s", uid,
                         r.upload_bytes, len, curl_easy_strerror((CURLcode)r.curl_rc), r.status,
                         r.body ? r.body : "");
        }
        pthread_mutex_unlock(&ld->lock);
        it_resp_cleanup(&r);
        free(body);
    }
    it_client_free(cl);
    return NULL;
}

static unsigned long answered(struct load *ld)
{
    pthread_mutex_lock(&ld->lock);
    unsigned long n = ld->answered;
    pthread_mutex_unlock(&ld->lock);
    return n;
}

#define KEEPALIVE_CLIENTS 2
#define FRESH_CLIENTS     2

START_TEST(test_sigterm_under_load_loses_nothing)
{
    const char *path = it_write_file("shutdown-policy.yaml", policy);
    const char *args[] = {"--cert", it_env.crt,  "--key", it_env.key, "--policy",
                          path,     "--threads", "4",     NULL};
    struct it_server s;
    ck_assert_msg(it_server_start(&s, "sigterm-load", args), "see %s", s.log);

    /* The slow client: headers and half the body now, the rest once the listener is shut. */
    char *body = it_review_good("admission.k8s.io/v1", "slow-one");
    size_t len = strlen(body);
    char head[256];
    snprintf(head, sizeof(head),
             "POST /validate HTTP/1.1\r\nHost: socklock.socklock.svc\r\nContent-Type: "
             "application/json\r\nContent-Length: %zu\r\n\r\n",
             len);
    struct it_conn *slow = it_conn_open(s.port, head, strlen(head));
    ck_assert(it_conn_send(slow, body, len / 2));

    struct load ld = {.port = s.port};
    pthread_mutex_init(&ld.lock, NULL);
    struct worker wk[KEEPALIVE_CLIENTS + FRESH_CLIENTS];
    for (int i = 0; i < KEEPALIVE_CLIENTS + FRESH_CLIENTS; i++) {
        wk[i] = (struct worker){.ld = &ld, .id = i, .keepalive = i < KEEPALIVE_CLIENTS};
        ck_assert_int_eq(pthread_create(&wk[i].thread, NULL, work, &wk[i]), 0);
    }
    double end = it_now() + IT_HANG_GUARD;
    while (answered(&ld) < 200) {
        ck_assert_msg(it_now() < end, "only %lu requests answered", answered(&ld));
        sleep_ms(10); /* poll interval */
    }

    pthread_mutex_lock(&ld.lock);
    int inflight = ld.inflight + 1; /* and the slow one */
    unsigned long before = ld.answered;
    ld.signalled = true;
    double t0 = it_now();
    ck_assert_int_eq(kill(s.pid, SIGTERM), 0);
    pthread_mutex_unlock(&ld.lock);

    /* Once the clients are refused, the listener is shut; the slow client finishes. */
    for (int i = 0; i < KEEPALIVE_CLIENTS + FRESH_CLIENTS; i++)
        pthread_join(wk[i].thread, NULL);
    double shut = it_now() - t0;
    ck_assert(it_conn_send(slow, body + len / 2, len - len / 2));
    ck_assert_msg(it_conn_response(slow, IT_HANG_GUARD), "no answer to the slow request: %s",
                  it_conn_received(slow));
    const char *got = it_conn_received(slow);
    ck_assert_msg(strncmp(got, "HTTP/1.1 200", 12) == 0 && strstr(got, "\"slow-one\"") != NULL,
                  "%s", got);
    it_conn_free(slow);
    free(body);

    int st = it_server_signal_wait(&s, 0, IT_HANG_GUARD);
    double exited = it_now() - t0;
    printf("SIGTERM under load: %d requests in flight at the signal (one of them half sent), "
           "%lu answered before it and %lu after (%lu begun after it, %lu with Connection: "
           "close), %lu lost, %lu cut before they were sent whole, %lu connections refused "
           "once the listener shut (%.2f s after the signal); exit %d %.2f s after the signal "
           "(shutdown delay %d s, drain timeout %d s)\n",
           inflight, before, ld.answered - before + 1, ld.after_signal, ld.closing, ld.lost,
           ld.unsent, ld.refused, shut, st, exited, DELAY_S, DRAIN_S);
    ck_assert_msg(ld.lost == 0, "%lu lost: %s", ld.lost, ld.problem);
    ck_assert_msg(st == 0, "exit status %d, see %s", st, s.log);
    ck_assert_msg(exited < DELAY_S + DRAIN_S + 1, "exit %.2f s after SIGTERM", exited);
    ck_assert_uint_eq(ld.refused, KEEPALIVE_CLIENTS + FRESH_CLIENTS);
    ck_assert_uint_gt(ld.closing, 0);
    ck_assert(!it_log_has(&s, "drain timeout: closing"));
    ck_assert(it_log_has(&s, "stopped"));
    pthread_mutex_destroy(&ld.lock);
}
END_TEST

Suite *it_suite_shutdown(void)
{
    Suite *s = suite_create("shutdown");
    TCase *tc = tcase_create("shutdown");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_sigterm_under_load_loses_nothing);
    suite_add_tcase(s, tc);
    return s;
}
