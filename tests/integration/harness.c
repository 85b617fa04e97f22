/* Integration harness: processes, certificates and HTTPS clients for the server tests. */
#define _DEFAULT_SOURCE /* prctl's PR_SET_PDEATHSIG, strcasestr-free helpers */
#include "itest.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"
#include "testutil.h"

struct it_env it_env;

double it_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void redirect(int fd, const char *path, int flags)
{
    int f = open(path ? path : "/dev/null", flags, 0600);
    if (f >= 0) {
        dup2(f, fd);
        close(f);
    }
}

/* Forks and execs argv; the child dies with the thread that forked it. */
static pid_t spawn(const char *const *argv, const char *out_path, const char *err_path)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    redirect(0, NULL, O_RDONLY);
    redirect(1, out_path, O_WRONLY | O_CREAT | O_TRUNC);
    redirect(2, err_path, O_WRONLY | O_CREAT | O_TRUNC);
    execv(argv[0], (char *const *)(uintptr_t)argv);
    _exit(127);
}

static int wait_exit(pid_t pid, double timeout_s)
{
    double end = it_now() + timeout_s;
    for (;;) {
        int st = 0;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        if (r < 0)
            return -1;
        if (it_now() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        sleep_ms(10);
    }
}

int it_run(const char *const *argv, const char *out_path, const char *err_path, double timeout_s)
{
    pid_t pid = spawn(argv, out_path, err_path);
    if (pid < 0)
        return -1;
    return wait_exit(pid, timeout_s);
}

bool it_server_start(struct it_server *s, const char *name, const char *const *args)
{
    const char *argv[32] = {tu_socklock_bin(), "serve", "--listen", "127.0.0.1:0"};
    size_t n = 4;
    for (size_t i = 0; args != NULL && args[i] != NULL && n + 1 < 32; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    snprintf(s->log, sizeof(s->log), "%s/%s.log", it_env.dir, name);
    s->port = 0;
    s->pid = spawn(argv, NULL, s->log);
    if (s->pid < 0)
        return false;
    double end = it_now() + IT_HANG_GUARD;
    while (it_now() < end) {
        size_t len = 0;
        char *text = tu_read_file(s->log, &len);
        const char *p = text ? strstr(text, "listening on ") : NULL;
        const char *colon = p ? strchr(p, '\n') : NULL;
        if (colon != NULL) {
            /* "listening on 127.0.0.1:PORT (...)": the port follows the last ':' before
             * the end of the line's address. */
            const char *q = p + strlen("listening on ");
            const char *c = strchr(q, ':');
            if (c != NULL)
                s->port = (unsigned)strtoul(c + 1, NULL, 10);
        }
        free(text);
        if (s->port != 0)
            return true;
        int st = 0;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            s->pid = 0;
            return false;
        }
        sleep_ms(20);
    }
    it_server_kill(s);
    return false;
}

void it_server_kill(struct it_server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
    }
    s->pid = 0;
}

int it_server_signal_wait(struct it_server *s, int sig, double timeout_s)
{
    if (s->pid <= 0)
        return -1;
    if (sig != 0)
        kill(s->pid, sig);
    int st = wait_exit(s->pid, timeout_s);
    s->pid = 0;
    return st;
}

bool it_log_has(const struct it_server *s, const char *needle)
{
    size_t len = 0;
    char *text = tu_read_file(s->log, &len);
    bool found = text != NULL && strstr(text, needle) != NULL;
    free(text);
    return found;
}

bool it_log_wait(const struct it_server *s, const char *needle, double timeout_s)
{
    double end = it_now() + timeout_s;
    for (;;) {
        if (it_log_has(s, needle))
            return true;
        if (it_now() > end)
            return false;
        sleep_ms(10);
    }
}

const char *it_write_file(const char *name, const char *text)
{
    static char paths[4][600];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, sizeof(paths[0]), "%s/%s", it_env.dir, name);
    FILE *f = fopen(p, "w");
    ck_assert_msg(f != NULL, "cannot write %s", p);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
    return p;
}

/* ---- libcurl ----------------------------------------------------------------------- */

static size_t collect(char *p, size_t size, size_t n, void *userdata)
{
    struct sl_buf *b = userdata;
    sl_buf_append(b, p, size * n);
    return size * n;
}

static void setup_tls(CURL *h, unsigned port, const char *host, const char *path,
                      struct curl_slist **resolve)
{
    char url[512], res[256];
    snprintf(res, sizeof(res), "%s:%u:127.0.0.1", host, port);
    *resolve = curl_slist_append(NULL, res);
    snprintf(url, sizeof(url), "https://%s:%u%s", host, port, path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_RESOLVE, *resolve);
    curl_easy_setopt(h, CURLOPT_CAINFO, it_env.ca);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)IT_HANG_GUARD);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
}

void it_request(unsigned port, const struct it_req *q, struct it_resp *r)
{
    memset(r, 0, sizeof(*r));
    CURL *h = curl_easy_init();
    ck_assert_ptr_nonnull(h);
    struct curl_slist *resolve = NULL, *hdrs = NULL;
    setup_tls(h, port, q->host ? q->host : "socklock.socklock.svc", q->path, &resolve);
    struct sl_buf body, head;
    sl_buf_init(&body, 0);
    sl_buf_init(&head, 0);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &head);
    if (q->body != NULL) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->len);
    }
    if (q->method != NULL)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
    char ct[256];
    /* "Content-Type:" with nothing after it makes libcurl drop its default header. */
    snprintf(ct, sizeof(ct), "Content-Type:%s%s", q->ctype ? " " : "", q->ctype ? q->ctype : "");
    hdrs = curl_slist_append(hdrs, ct);
    for (size_t i = 0; q->headers != NULL && q->headers[i] != NULL; i++)
        hdrs = curl_slist_append(hdrs, q->headers[i]);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    if (q->sslversion != 0)
        curl_easy_setopt(h, CURLOPT_SSLVERSION, q->sslversion);
    if (q->cipher_list != NULL)
        curl_easy_setopt(h, CURLOPT_SSL_CIPHER_LIST, q->cipher_list);
    if (q->client_cert != NULL) {
        curl_easy_setopt(h, CURLOPT_SSLCERT, q->client_cert);
        curl_easy_setopt(h, CURLOPT_SSLKEY, q->client_key);
    }
    if (q->insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    r->curl_rc = (int)curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_off_t up = 0;
    curl_easy_getinfo(h, CURLINFO_SIZE_UPLOAD_T, &up);
    r->upload_bytes = (double)up;
    sl_buf_append(&body, "", 0);
    sl_buf_append(&head, "", 0);
    r->body = sl_buf_detach(&body, &r->len);
    size_t hl = 0;
    r->headers = sl_buf_detach(&head, &hl);
    curl_slist_free_all(hdrs);
    curl_slist_free_all(resolve);
    curl_easy_cleanup(h);
}

struct it_client {
    CURL *h;
    struct curl_slist *resolve, *hdrs;
    unsigned port;
    long connections;
};

struct it_client *it_client_new(unsigned port)
{
    struct it_client *cl = sl_xcalloc(1, sizeof(*cl));
    cl->h = curl_easy_init();
    ck_assert_ptr_nonnull(cl->h);
    cl->port = port;
    setup_tls(cl->h, port, "socklock.socklock.svc", "/", &cl->resolve);
    cl->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    return cl;
}

void it_client_post(struct it_client *cl, const char *path, const char *body, size_t len,
                    struct it_resp *r)
{
    memset(r, 0, sizeof(*r));
    CURL *h = cl->h;
    char url[512];
    snprintf(url, sizeof(url), "https://socklock.socklock.svc:%u%s", cl->port, path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    struct sl_buf body_buf, head;
    sl_buf_init(&body_buf, 0);
    sl_buf_init(&head, 0);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body_buf);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &head);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, cl->hdrs);
    r->curl_rc = (int)curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_off_t up = 0;
    curl_easy_getinfo(h, CURLINFO_SIZE_UPLOAD_T, &up);
    r->upload_bytes = (double)up;
    long opened = 0;
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &opened);
    cl->connections += opened;
    sl_buf_append(&body_buf, "", 0);
    sl_buf_append(&head, "", 0);
    r->body = sl_buf_detach(&body_buf, &r->len);
    size_t hl = 0;
    r->headers = sl_buf_detach(&head, &hl);
}

long it_client_connections(const struct it_client *cl)
{
    return cl->connections;
}

void it_client_free(struct it_client *cl)
{
    if (cl == NULL)
        return;
    curl_easy_cleanup(cl->h);
    curl_slist_free_all(cl->resolve);
    curl_slist_free_all(cl->hdrs);
    free(cl);
}

void it_resp_cleanup(struct it_resp *r)
{
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof(*r));
}

bool it_resp_header(const struct it_resp *r, const char *name, char *out, size_t size)
{
    size_t n = strlen(name);
    for (const char *line = r->headers; line != NULL && *line != '\0';) {
        const char *eol = strchr(line, '\n');
        size_t ll = eol ? (size_t)(eol - line) : strlen(line);
        if (ll > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            size_t vl = ll - (size_t)(v - line);
            while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
                vl--;
            snprintf(out, size, "%.*s", (int)vl, v);
            return true;
        }
        line = eol ? eol + 1 : NULL;
    }
    return false;
}

static bool wait_socket(curl_socket_t s, short events, double end)
{
    double left = end - it_now();
    if (left <= 0)
        return false;
    struct pollfd p = {.fd = s, .events = events};
    return poll(&p, 1, (int)(left * 1000) + 1) > 0;
}

struct it_conn {
    CURL *h;
    struct curl_slist *resolve;
    curl_socket_t sock;
    struct sl_buf got;
    bool closed;
};

struct it_conn *it_conn_open(unsigned port, const char *data, size_t len)
{
    struct it_conn *c = sl_xcalloc(1, sizeof(*c));
    c->h = curl_easy_init();
    ck_assert_ptr_nonnull(c->h);
    setup_tls(c->h, port, "socklock.socklock.svc", "/", &c->resolve);
    curl_easy_setopt(c->h, CURLOPT_CONNECT_ONLY, 1L);
    CURLcode rc = curl_easy_perform(c->h);
    ck_assert_msg(rc == CURLE_OK, "raw TLS connect failed: %s", curl_easy_strerror(rc));
    c->sock = CURL_SOCKET_BAD;
    curl_easy_getinfo(c->h, CURLINFO_ACTIVESOCKET, &c->sock);
    sl_buf_init(&c->got, 0);
    sl_buf_append(&c->got, "", 0);
    it_conn_send(c, data, len);
    return c;
}

bool it_conn_send(struct it_conn *c, const char *data, size_t len)
{
    double end = it_now() + IT_HANG_GUARD;
    size_t off = 0;
    while (off < len) {
        size_t sent = 0;
        CURLcode rc = curl_easy_send(c->h, data + off, len - off, &sent);
        if (rc == CURLE_AGAIN) {
            ck_assert_msg(wait_socket(c->sock, POLLOUT, end), "could not send within %.0f s",
                          IT_HANG_GUARD);
            continue;
        }
        if (rc != CURLE_OK)
            return false; /* the server may close early (413, 400): what it said is read later */
        off += sent;
    }
    return true;
}

bool it_conn_closed(struct it_conn *c, double wait_s)
{
    double end = it_now() + wait_s;
    while (!c->closed) {
        char buf[4096];
        size_t got = 0;
        CURLcode rc = curl_easy_recv(c->h, buf, sizeof(buf), &got);
        if (rc == CURLE_AGAIN) {
            if (!wait_socket(c->sock, POLLIN, end))
                break;
            continue;
        }
        if (rc != CURLE_OK || got == 0) {
            c->closed = true;
            break;
        }
        sl_buf_append(&c->got, buf, got);
    }
    return c->closed;
}

const char *it_conn_received(const struct it_conn *c)
{
    return c->got.data;
}

void it_conn_free(struct it_conn *c)
{
    if (c == NULL)
        return;
    curl_easy_cleanup(c->h);
    curl_slist_free_all(c->resolve);
    sl_buf_cleanup(&c->got);
    free(c);
}

/* True when got holds one whole HTTP response: headers and Content-Length bytes of body. */
static bool whole_response(const struct sl_buf *got)
{
    const char *end = strstr(got->data, "\r\n\r\n");
    if (end == NULL)
        return false;
    size_t head = (size_t)(end - got->data) + 4;
    for (const char *line = got->data; line < end;) {
        const char *eol = strstr(line, "\r\n");
        if (strncasecmp(line, "Content-Length:", 15) == 0)
            return got->len - head >= strtoull(line + 15, NULL, 10);
        line = eol + 2;
    }
    return false; /* no length: the answer ends when the connection does */
}

bool it_conn_response(struct it_conn *c, double wait_s)
{
    double end = it_now() + wait_s;
    while (!it_conn_closed(c, 0) && !whole_response(&c->got) && it_now() < end)
        wait_socket(c->sock, POLLIN, end);
    return whole_response(&c->got);
}

char *it_raw(unsigned port, const char *data, size_t len, double wait_s, bool *closed)
{
    struct it_conn *c = it_conn_open(port, data, len);
    double end = it_now() + wait_s;
    while (!it_conn_closed(c, 0) && !whole_response(&c->got) && it_now() < end)
        wait_socket(c->sock, POLLIN, end);
    *closed = c->closed;
    char *out = sl_xstrdup(it_conn_received(c));
    it_conn_free(c);
    return out;
}

/* ---- reviews ----------------------------------------------------------------------- */

static const char review_fmt[] =
    "{\"apiVersion\":\"%s\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"%s\","
    "\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
    "\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},"
    "\"operation\":\"CREATE\",\"namespace\":\"default\",\"name\":\"web\","
    "\"userInfo\":{\"username\":\"alice\"},\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
    "\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},\"spec\":%s}}}";

static const char good_spec[] =
    "{\"securityContext\":{\"runAsNonRoot\":true,\"seccompProfile\":{\"type\":"
    "\"RuntimeDefault\"}},\"containers\":[{\"name\":\"app\",\"image\":\"nginx\","
    "\"securityContext\":{\"allowPrivilegeEscalation\":false,\"readOnlyRootFilesystem\":true,"
    "\"capabilities\":{\"drop\":[\"ALL\"]}}}]}";

static const char bad_spec[] =
    "{\"hostPID\":true,\"containers\":[{\"name\":\"app\",\"image\":\"nginx\","
    "\"securityContext\":{\"privileged\":true,\"runAsUser\":0}}]}";

char *it_review_good(const char *api_version, const char *uid)
{
    return sl_xasprintf(review_fmt, api_version, uid, good_spec);
}

char *it_review_bad(const char *api_version, const char *uid)
{
    return sl_xasprintf(review_fmt, api_version, uid, bad_spec);
}

void it_assert_alive(unsigned port)
{
    char *body = it_review_good("admission.k8s.io/v1", "alive-check");
    struct it_req q = {
        .path = "/validate", .ctype = "application/json", .body = body, .len = strlen(body)};
    struct it_resp r;
    it_request(port, &q, &r);
    ck_assert_msg(r.curl_rc == CURLE_OK, "server not answering: %s",
                  curl_easy_strerror((CURLcode)r.curl_rc));
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"alive-check\""));
    it_resp_cleanup(&r);
    free(body);
}

double it_metric(unsigned port, const char *series)
{
    struct it_req q = {.path = "/metrics", .insecure = true};
    struct it_resp r;
    it_request(port, &q, &r);
    ck_assert_int_eq(r.status, 200);
    size_t n = strlen(series);
    const char *line = r.body;
    double v = -1;
    while (line != NULL && *line != '\0') {
        if (strncmp(line, series, n) == 0 && line[n] == ' ') {
            v = strtod(line + n + 1, NULL);
            break;
        }
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    ck_assert_msg(v >= 0, "/metrics has no %s:\n%s", series, r.body);
    it_resp_cleanup(&r);
    return v;
}

void it_wait_metric(unsigned port, const char *series, double want)
{
    double end = it_now() + IT_HANG_GUARD;
    for (;;) {
        double v = it_metric(port, series);
        if (v == want)
            return;
        ck_assert_msg(it_now() < end, "%s is %g, never %g", series, v, want);
        sleep_ms(10); /* poll interval */
    }
}
