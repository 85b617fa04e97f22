/* Integration test harness: socklock server processes, certificates, and HTTPS clients
 * (libcurl, plus a raw TLS socket for requests libcurl will not send). Private to
 * tests/integration. */
#ifndef SOCKLOCK_ITEST_H
#define SOCKLOCK_ITEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <check.h>

/* How long a test waits for something that should happen before it fails: a guard against
 * hangs only, never a measure of speed (speed is measured by benchmarks, not asserted).
 * Tests wait for an observable state (a status, a log line, an exit, a closed connection),
 * never for a fixed time. */
#define IT_HANG_GUARD 30.0

/* A server process started by it_server_start(). */
struct it_server {
    pid_t pid;
    unsigned port;
    char log[512]; /* its stderr */
};

/* Set up once by main() before any test forks. */
struct it_env {
    char dir[256]; /* temporary directory, removed at the end */
    char ca[512];  /* ca.crt, ca.key, tls.crt, tls.key written by `socklock certs` */
    char ca_key[512];
    char crt[512];
    char key[512];
    char bundle[512];      /* the caBundle `socklock certs` printed */
    struct it_server main; /* the shared server, default policy */
    struct it_server mtls; /* the shared server with --client-ca */
};
extern struct it_env it_env;

/* Runs argv (argv[0] is the program) with stdout and stderr going to the given files (NULL:
 * /dev/null), waits up to timeout_s and returns its exit status, or -1 when it had to be
 * killed or did not exit normally. */
int it_run(const char *const *argv, const char *out_path, const char *err_path, double timeout_s);

/* Starts `$SOCKLOCK_BIN serve --listen 127.0.0.1:0 ARGS...` and waits for its "listening on"
 * line. The server dies with the process that started it. False when it did not come up (its
 * log says why). */
bool it_server_start(struct it_server *s, const char *name, const char *const *args);
/* SIGKILL and reap. */
void it_server_kill(struct it_server *s);
/* Sends sig (none when 0) and waits up to timeout_s for the exit; returns the exit status or
 * -1 (then the server was killed). */
int it_server_signal_wait(struct it_server *s, int sig, double timeout_s);
/* Waits up to timeout_s for `needle` to appear in the server's log; true when it did. */
bool it_log_wait(const struct it_server *s, const char *needle, double timeout_s);
/* True when the server's log holds `needle` now. */
bool it_log_has(const struct it_server *s, const char *needle);
/* Writes text to a file of that name in it_env.dir; returns its path (static storage, four
 * calls deep). */
const char *it_write_file(const char *name, const char *text);

/* One HTTPS request through libcurl, verifying the server against it_env.ca. */
struct it_req {
    const char *method; /* default GET, or POST when body is set */
    const char *path;
    const char *ctype; /* Content-Type; NULL: none */
    const char *body;
    size_t len;
    const char *const *headers; /* extra header lines, NULL-terminated */
    long sslversion;            /* CURLOPT_SSLVERSION; 0: default */
    const char *cipher_list;
    const char *host; /* name to verify; default socklock.socklock.svc */
    const char *client_cert, *client_key;
    bool insecure; /* no verification of the server's certificate, as a kubelet probe */
};

struct it_resp {
    int curl_rc; /* CURLcode */
    long status;
    char *body; /* NUL-terminated */
    size_t len;
    char *headers;
    double upload_bytes;
};

void it_request(unsigned port, const struct it_req *q, struct it_resp *r);

/* A client that keeps its connection open between requests (libcurl reuses the connection
 * of one handle while the server keeps it alive), for load over keep-alive connections. Not
 * shared between threads. */
struct it_client;
struct it_client *it_client_new(unsigned port);
/* POSTs body as application/json to path on the kept connection (or a new one when the
 * server closed it); fills r as it_request() does. */
void it_client_post(struct it_client *cl, const char *path, const char *body, size_t len,
                    struct it_resp *r);
/* How many connections the client has opened so far. */
long it_client_connections(const struct it_client *cl);
void it_client_free(struct it_client *cl);
void it_resp_cleanup(struct it_resp *r);
/* The value of response header `name` (case-insensitive), copied into out; false if absent. */
bool it_resp_header(const struct it_resp *r, const char *name, char *out, size_t size);

/* Sends raw bytes over a fresh TLS connection and collects the answer until one whole
 * response (headers and Content-Length bytes) has come, the server closes, or wait_s
 * passes. Returns the bytes received (NUL-terminated, possibly empty); *closed tells
 * whether the server had closed. Caller frees. */
char *it_raw(unsigned port, const char *data, size_t len, double wait_s, bool *closed);

/* A raw TLS connection kept open across calls, for tests that watch several at once. */
struct it_conn;
/* Connects and sends data (all of it). */
struct it_conn *it_conn_open(unsigned port, const char *data, size_t len);
/* Sends more data (all of it, unless the server closed: then false). */
bool it_conn_send(struct it_conn *c, const char *data, size_t len);
/* Waits up to wait_s for one whole response (headers and Content-Length bytes); true when it
 * came. */
bool it_conn_response(struct it_conn *c, double wait_s);
/* Collects what the server sends for up to wait_s (0: only what is already there) and
 * returns true once the server has closed the connection. */
bool it_conn_closed(struct it_conn *c, double wait_s);
/* The bytes received so far (NUL-terminated). */
const char *it_conn_received(const struct it_conn *c);
void it_conn_free(struct it_conn *c);

/* An AdmissionReview for a pod, as text. Caller frees. */
char *it_review_good(const char *api_version, const char *uid);
char *it_review_bad(const char *api_version, const char *uid);

/* POSTs a good review to /validate on a new connection and asserts HTTP 200 with its uid
 * echoed: the server survived whatever the test did before. */
void it_assert_alive(unsigned port);

double it_now(void);

/* The value of one series on /metrics (series: name and labels as written, e.g.
 * `socklock_policy_reloads_total{result="success"}`); fails the test when it is absent. The
 * scrape does not verify the server's certificate: one test lets it expire. */
double it_metric(unsigned port, const char *series);
/* Waits (up to IT_HANG_GUARD) until a series reads `want`; fails the test otherwise. */
void it_wait_metric(unsigned port, const char *series, double want);

Suite *it_suite_http(void);
Suite *it_suite_tls(void);
Suite *it_suite_lifecycle(void);
Suite *it_suite_conformance(void);
Suite *it_suite_policy(void);
Suite *it_suite_reload(void);
Suite *it_suite_certs(void);
Suite *it_suite_shutdown(void);
Suite *it_suite_observe(void);

#endif
