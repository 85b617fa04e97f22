/* server: the HTTPS admission webhook on libmicrohttpd 0.9.75 and its GnuTLS backend.
 *
 * How a request flows. libmicrohttpd calls on_request() several times per request:
 *  1. once after the headers, before any body byte (*req_cls is still NULL). first_call()
 *     routes, answers the health endpoints, and refuses what must never reach the parser:
 *     ambiguous framing (two Content-Length headers, Content-Length with Transfer-Encoding,
 *     control characters in headers), a media type other than JSON (415), a declared size
 *     over the limit (413), an exhausted in-flight budget (503). An answer queued in this
 *     call makes libmicrohttpd close the connection without reading the body, which is what
 *     413 with `Expect: 100-continue` relies on. Accepted requests get a `struct req` and a
 *     deadline of min(?timeout=, 10 s), which also becomes the connection's silence timeout.
 *  2. once per body chunk: appended to a capped buffer. Past the deadline or the size limit
 *     (chunked uploads) we return MHD_NO, which closes the connection without an answer:
 *     0.9.75 cannot queue one mid-upload (docs/admission.md, "Limits").
 *  3. once more with no data: the body goes to sl_review_answer(), the answer is queued and
 *     the connection's idle timeout restored.
 * on_completed() frees the request context whatever happened.
 *
 * The policy is read-only and shared by all worker threads. A reload swaps a whole new one
 * in (policyref.h): first_call() takes a counted reference to the policy in force and keeps
 * it in the request context as rq->policy, the one policy every later step of that request
 * reads, until on_completed() releases it. So a request in flight finishes on the policy it
 * started with, never on a mix, and a swapped-out policy is freed when its last request
 * ends. The limits are not the policy's: the server copies them at start (the daemon's
 * connection limits and timeouts are fixed when it starts), and a reload does not change
 * them. Readiness, draining and the in-flight byte budget are atomics. Draining (SIGTERM)
 * answers /readyz with 503 and puts `Connection: close` on every answer, so keep-alive
 * clients move to other replicas before sl_server_stop() quiesces the daemon and shuts the
 * listening socket down (docs/admission.md, "Shutdown").
 *
 * The certificate and key are not given to libmicrohttpd as PEM text: GnuTLS asks the
 * certificate store (certstore.h) for them in each handshake, through
 * MHD_OPTION_HTTPS_CERT_CALLBACK, so that sl_server_reload_certs() can replace them while the
 * server runs (certstore.c says why this and not a listen-socket handover). on_connection()
 * tells the store when a connection opens and closes, which keeps the pair a connection was
 * served alive until it closes. /readyz answers 503 once the certificate in force has
 * expired: the API server can no longer verify this replica. */
#include "socklock/server.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include "socklock/admit.h"
#include "socklock/alloc.h"
#include "socklock/buf.h"
#include "socklock/certstore.h"
#include "socklock/log.h"
#include "socklock/metrics.h"
#include "socklock/policyref.h"
#include "socklock/review.h"

#define CONNECTION_MEMORY_LIMIT ((size_t)64 * 1024) /* caps the header block: 431 / 414 beyond */
#define THREAD_STACK_SIZE \
    ((size_t)1024 * 1024) /* parsing recurses at most 128 deep; room for ASan */
#define TRIM_AFTER_BYTES   ((size_t)1024 * 1024) /* a body this large: trim the heap after it */
#define LARGE_REVIEW_BYTES ((size_t)1024 * 1024) /* reviews above this are judged one at a time */

static pthread_mutex_t large_review_lock = PTHREAD_MUTEX_INITIALIZER;

struct sl_server {
    struct MHD_Daemon *daemon;
    struct sl_policyref_holder *policies; /* the policy in force; sl_server_set_policy() swaps */
    struct sl_limits limits;              /* copied from the initial policy, fixed */
    struct sl_admit *admit;               /* which connections stay (admit.h) */
    struct sl_certstore *certs;           /* sl_server_reload_certs() swaps */
    bool mtls;
    atomic_bool ready;
    atomic_bool draining;
    atomic_size_t inflight; /* body bytes reserved by requests in progress */
    atomic_uint open;       /* connections accepted and not yet closed */
    MHD_socket listen_fd;   /* set by sl_server_stop() once quiesced */
    unsigned port;
    char host[INET6_ADDRSTRLEN + 2];
};

enum route { ROUTE_NONE, ROUTE_VALIDATE, ROUTE_MUTATE, ROUTE_HEALTHZ, ROUTE_READYZ, ROUTE_METRICS };

/* Per-request context, owned by libmicrohttpd's request pointer. */
struct req {
    struct sl_server *srv;
    enum route route;
    struct sl_policyref *ref;       /* keeps `policy` alive until on_completed() */
    const struct sl_policy *policy; /* the policy of this request, from first to last call */
    const struct sl_profile *prof;  /* reviews only; points into `policy`; NULL: the profile
                                     * the request's namespace is routed to */
    enum sl_endpoint ep;            /* reviews only */
    struct sl_buf body;
    size_t reserved;          /* bytes of srv->inflight this request holds */
    struct timespec deadline; /* CLOCK_MONOTONIC */
    struct timespec started;  /* CLOCK_MONOTONIC, its headers read: the duration metric */
};

/* ---- small helpers ---------------------------------------------------------------- */

static struct timespec now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts;
}

static bool past(const struct timespec *t)
{
    struct timespec n = now_mono();
    return n.tv_sec > t->tv_sec || (n.tv_sec == t->tv_sec && n.tv_nsec > t->tv_nsec);
}

static double seconds_since(const struct timespec *t)
{
    struct timespec n = now_mono();
    return (double)(n.tv_sec - t->tv_sec) + (double)(n.tv_nsec - t->tv_nsec) / 1e9;
}

unsigned sl_server_parse_timeout(const char *value, unsigned max_s)
{
    if (value == NULL || value[0] < '0' || value[0] > '9')
        return max_s;
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(value, &end, 10);
    if (errno != 0)
        return max_s;
    unsigned long long s;
    if (strcmp(end, "s") == 0)
        s = n;
    else if (strcmp(end, "ms") == 0)
        s = n / 1000 + (n % 1000 != 0);
    else if (strcmp(end, "m") == 0)
        s = n > ULLONG_MAX / 60 ? ULLONG_MAX : n * 60;
    else
        return max_s;
    if (s == 0 || s > max_s)
        return max_s;
    return (unsigned)s;
}

/* What a connection carries from its start to its close, as libmicrohttpd's socket_context. */
struct conn_ctx {
    struct sl_admit_conn *admit;    /* its entry in the connection table; NULL without one */
    struct sl_certstore_conn *cert; /* its hold on the pair its handshake is served */
};

/* The connection's admission entry (NULL when libmicrohttpd gave no descriptor). */
static struct sl_admit_conn *admit_entry(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    const struct conn_ctx *ctx = info != NULL ? info->socket_context : NULL;
    return ctx != NULL ? ctx->admit : NULL;
}

/* ---- answers ---------------------------------------------------------------------- */

/* Queues an answer; takes ownership of body (malloc'd, may be NULL when len is 0). */
static enum MHD_Result reply(struct sl_server *srv, struct MHD_Connection *c, unsigned status,
                             const char *ctype, char *body, size_t len, const char *allow)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (allow != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    if (atomic_load(&srv->draining))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    sl_metrics_count_request(status);
    return ret;
}

static enum MHD_Result reply_json(struct sl_server *srv, struct MHD_Connection *c, unsigned status,
                                  const char *text)
{
    return reply(srv, c, status, "application/json", sl_xstrdup(text), strlen(text), NULL);
}

static enum MHD_Result reply_error(struct sl_server *srv, struct MHD_Connection *c, unsigned status,
                                   const char *msg, const char *allow)
{
    size_t len = 0;
    char *body = sl_review_error_body(msg, &len);
    return reply(srv, c, status, "application/json", body, len, allow);
}

/* The in-flight budget is spent: 503, and the connection closes so the client retries
 * elsewhere; a webhook never allows because it is overloaded. */
static enum MHD_Result reply_busy(struct MHD_Connection *c)
{
    size_t len = 0;
    char *body = sl_review_error_body("server busy, retry", &len);
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_SERVICE_UNAVAILABLE, resp);
    MHD_destroy_response(resp);
    sl_metrics_count_request(MHD_HTTP_SERVICE_UNAVAILABLE);
    sl_metrics_count_rejected(SL_REJECT_INFLIGHT_BUDGET);
    return ret;
}

/* ---- the checks of the first call --------------------------------------------------- */

struct header_scan {
    unsigned content_length; /* how many Content-Length headers */
    bool transfer_encoding;
    bool other_coding; /* a Transfer-Encoding other than exactly "chunked" */
    bool control;      /* a control character in a name or value */
};

static bool has_control(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return true;
    }
    return false;
}

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   size_t key_size, const char *value, size_t value_size)
{
    struct header_scan *hs = cls;
    SL_UNUSED(kind);
    if (key_size == 14 && strncasecmp(key, "Content-Length", 14) == 0)
        hs->content_length++;
    if (key_size == 17 && strncasecmp(key, "Transfer-Encoding", 17) == 0) {
        hs->other_coding = hs->other_coding || hs->transfer_encoding || value == NULL ||
                           value_size != 7 || strncasecmp(value, "chunked", 7) != 0;
        hs->transfer_encoding = true;
    }
    if (has_control(key, key_size) || (value != NULL && has_control(value, value_size)))
        hs->control = true;
    return MHD_YES;
}

/* "application/json", any case, optionally followed by parameters. */
static bool is_json_media_type(const char *ct)
{
    if (ct == NULL)
        return false;
    ct += strspn(ct, " \t");
    size_t n = strcspn(ct, ";");
    while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    return n == 16 && strncasecmp(ct, "application/json", 16) == 0;
}

/* A client certificate that chains to the --client-ca in force and may authenticate TLS
 * clients. */
static bool client_cert_ok(struct sl_server *srv, struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (ci == NULL || ci->tls_session == NULL)
        return false;
    return sl_certstore_client_ok(srv->certs, (gnutls_session_t)ci->tls_session);
}

/* /BASE is the default profile, /BASE/NAME profile NAME. */
static bool review_path(const char *url, const char *base, const char **profile)
{
    size_t n = strlen(base);
    if (strncmp(url, base, n) != 0)
        return false;
    if (url[n] == '\0') {
        *profile = NULL; /* the profile the request's namespace is routed to */
        return true;
    }
    if (url[n] == '/' && url[n + 1] != '\0' && strchr(url + n + 1, '/') == NULL) {
        *profile = url + n + 1;
        return true;
    }
    return false;
}

/* Maps a path to a route; for reviews also the profile name. */
static enum route find_route(const char *url, const char **profile)
{
    *profile = NULL;
    if (strcmp(url, "/healthz") == 0)
        return ROUTE_HEALTHZ;
    if (strcmp(url, "/readyz") == 0)
        return ROUTE_READYZ;
    if (strcmp(url, "/metrics") == 0)
        return ROUTE_METRICS;
    if (review_path(url, "/validate", profile))
        return ROUTE_VALIDATE;
    if (review_path(url, "/mutate", profile))
        return ROUTE_MUTATE;
    return ROUTE_NONE;
}

static enum MHD_Result answer_get(struct sl_server *srv, struct MHD_Connection *c, enum route r)
{
    if (r == ROUTE_METRICS) {
        size_t len = 0;
        char *text = sl_metrics_render(&len);
        return reply(srv, c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text, len,
                     NULL);
    }
    if (r == ROUTE_READYZ && (!atomic_load(&srv->ready) || atomic_load(&srv->draining) ||
                              (srv->certs != NULL && sl_certstore_expired(srv->certs))))
        return reply_json(srv, c, MHD_HTTP_SERVICE_UNAVAILABLE, "{\"status\":\"not ready\"}");
    return reply_json(srv, c, MHD_HTTP_OK, "{\"status\":\"ok\"}");
}

/* Takes `want` bytes from the in-flight budget; false (nothing taken) when it is spent. */
static bool reserve(struct sl_server *srv, size_t want)
{
    size_t before = atomic_fetch_add(&srv->inflight, want);
    if (before + want > srv->limits.inflight_body_bytes) {
        atomic_fetch_sub(&srv->inflight, want);
        return false;
    }
    return true;
}

/* A request context: it holds ref, and counts as in flight until on_completed() frees it. */
static struct req *new_req(struct sl_server *srv, enum route r, struct sl_policyref *ref)
{
    struct req *rq = sl_xcalloc(1, sizeof(*rq));
    rq->srv = srv;
    rq->route = r;
    rq->ref = ref;
    rq->policy = sl_policyref_policy(ref);
    rq->started = now_mono();
    sl_metrics_request_in_flight(+1);
    return rq;
}

/* Health endpoints: an answer queued in the first call ends the connection (libmicrohttpd
 * discards the rest of the request), so requests without a body are answered in the next
 * call and keep their connection alive. */
static enum MHD_Result start_get(struct sl_server *srv, struct MHD_Connection *c, enum route r,
                                 struct sl_policyref *ref, const struct header_scan *hs,
                                 void **req_cls)
{
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (hs->transfer_encoding || (cl != NULL && strcmp(cl, "0") != 0))
        return answer_get(srv, c, r);
    struct req *rq = new_req(srv, r, ref);
    sl_buf_init(&rq->body, 0);
    *req_cls = rq;
    return MHD_YES;
}

/* A review: media type, declared size and body budget, then the request deadline. */
static enum MHD_Result start_review(struct sl_server *srv, struct MHD_Connection *c, enum route r,
                                    struct sl_policyref *ref, const struct sl_profile *prof,
                                    void **req_cls)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!is_json_media_type(ct))
        return reply_error(srv, c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                           "Content-Type must be application/json", NULL);
    size_t max = srv->limits.max_body_bytes;
    size_t declared = 0;
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL) {
        char *end = NULL;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno != 0 || end == cl || *end != '\0' || cl[0] < '0' || cl[0] > '9')
            n = ULLONG_MAX;
        if (n > max) {
            char msg[64];
            snprintf(msg, sizeof(msg), "request body over %zu bytes", max);
            return reply_error(srv, c, MHD_HTTP_CONTENT_TOO_LARGE, msg, NULL);
        }
        declared = (size_t)n;
    }
    if (declared > 0 && !reserve(srv, declared))
        return reply_busy(c);

    struct req *rq = new_req(srv, r, ref);
    rq->prof = prof;
    rq->ep = r == ROUTE_MUTATE ? SL_EP_MUTATE : SL_EP_VALIDATE;
    rq->reserved = declared;
    sl_buf_init(&rq->body, max);
    unsigned deadline_s = sl_server_parse_timeout(
        MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "timeout"), SL_SERVER_MAX_DEADLINE_S);
    rq->deadline = now_mono();
    rq->deadline.tv_sec += deadline_s;
    /* A client that stalls completely is closed by libmicrohttpd at the deadline too. */
    MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, deadline_s);
    *req_cls = rq;
    return MHD_YES;
}

/* The checks of the first call, with the request's policy reference; a request context that
 * is made takes the reference over. */
static enum MHD_Result admit(struct sl_server *srv, struct MHD_Connection *c, const char *url,
                             const char *method, struct sl_policyref *ref, void **req_cls)
{
    /* 1. Route and method; the client certificate for reviews. */
    const char *profile_name = NULL;
    enum route r = find_route(url, &profile_name);
    const struct sl_profile *prof = NULL;
    bool review = r == ROUTE_VALIDATE || r == ROUTE_MUTATE;
    /* /validate/NAME answers with that profile; /validate with the one the request's
     * namespace is routed to, known once the body is read: a policy with neither rules nor a
     * profile "default" has none for any namespace. */
    const struct sl_policy *pol = sl_policyref_policy(ref);
    bool routable = pol->nrules > 0 || sl_policy_find(pol, "default") != NULL;
    if (review && profile_name != NULL)
        prof = sl_policy_find(pol, profile_name);
    if (r == ROUTE_NONE || (review && profile_name != NULL && prof == NULL) ||
        (review && profile_name == NULL && !routable))
        return reply_error(srv, c, MHD_HTTP_NOT_FOUND, "not found", NULL);
    bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
    if (review && !post)
        return reply_error(srv, c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed", "POST");
    if (!review && !get)
        return reply_error(srv, c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed", "GET");
    if (review && srv->mtls && !client_cert_ok(srv, c))
        return reply_error(srv, c, MHD_HTTP_FORBIDDEN, "client certificate required", NULL);

    /* 2. Ambiguous framing is refused before any body byte: libmicrohttpd 0.9.75 accepts it,
     * and a proxy in front might frame the request differently (request smuggling). A NUL in
     * a header value cannot be seen here: 0.9.75 stores values as C strings, so the value
     * just ends there (measured). */
    struct header_scan hs = {0};
    MHD_get_connection_values_n(c, MHD_HEADER_KIND, scan_header, &hs);
    if (hs.content_length > 1)
        return reply_error(srv, c, MHD_HTTP_BAD_REQUEST, "more than one Content-Length", NULL);
    if (hs.content_length == 1 && hs.transfer_encoding)
        return reply_error(srv, c, MHD_HTTP_BAD_REQUEST,
                           "Content-Length together with Transfer-Encoding", NULL);
    /* libmicrohttpd would wait for a body it cannot frame until the deadline. */
    if (hs.other_coding)
        return reply_error(srv, c, MHD_HTTP_NOT_IMPLEMENTED, "Transfer-Encoding other than chunked",
                           NULL);
    if (hs.control)
        return reply_error(srv, c, MHD_HTTP_BAD_REQUEST, "control character in a header", NULL);

    /* 3. and 4. */
    if (!review)
        return start_get(srv, c, r, ref, &hs, req_cls);
    return start_review(srv, c, r, ref, prof, req_cls);
}

/* Whether the connection agreed on "http/1.0" by ALPN. */
static bool alpn_is_http10(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *tls =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    gnutls_datum_t proto = {NULL, 0};
    if (tls == NULL || tls->tls_session == NULL ||
        gnutls_alpn_get_selected_protocol((gnutls_session_t)tls->tls_session, &proto) != 0)
        return false;
    return proto.size == 8 && memcmp(proto.data, "http/1.0", 8) == 0;
}

/* The first call, after the headers and before any body byte. The policy reference is taken
 * here, once per request, so that every step of the request reads the same policy however
 * many reloads happen meanwhile. */
static enum MHD_Result first_call(struct sl_server *srv, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, void **req_cls)
{
    /* HTTP/1.1 only, as the API server speaks it. libmicrohttpd also offers "http/1.0" by
     * ALPN, and sets its offer after any hook socklock has, so a client may agree on it; its
     * requests are refused here, as are HTTP/1.0 requests on any connection. */
    sl_admit_request_begin(srv->admit, admit_entry(c));
    if (strcmp(version, MHD_HTTP_VERSION_1_1) != 0 || alpn_is_http10(c))
        return reply_error(srv, c, MHD_HTTP_HTTP_VERSION_NOT_SUPPORTED, "HTTP/1.1 only", NULL);
    struct sl_policyref *ref = sl_policyref_acquire(srv->policies);
    enum MHD_Result ret = admit(srv, c, url, method, ref, req_cls);
    /* Answered at once (no request context): on_completed() will have nothing to release. */
    if (*req_cls == NULL)
        sl_policyref_release(ref);
    return ret;
}

/* ---- body and answer ------------------------------------------------------------------ */

static enum MHD_Result on_upload(struct req *rq, const char *data, size_t *size)
{
    if (past(&rq->deadline)) {
        sl_log_warnx("request deadline passed during the upload; closing the connection");
        return MHD_NO;
    }
    size_t n = *size;
    /* Chunked uploads reserve from the budget as they grow. */
    if (rq->body.len + n > rq->reserved) {
        size_t more = rq->body.len + n - rq->reserved;
        if (!reserve(rq->srv, more)) {
            sl_log_warnx("in-flight body budget spent; closing the connection");
            sl_metrics_count_rejected(SL_REJECT_INFLIGHT_BUDGET);
            return MHD_NO;
        }
        rq->reserved += more;
    }
    if (sl_buf_append(&rq->body, data, n) != SL_OK) {
        sl_log_warnx("request body over %zu bytes; closing the connection", rq->body.max);
        return MHD_NO;
    }
    *size = 0;
    return MHD_YES;
}

/* The decision log: one line per answered review, with what was asked, by whom, under
 * which profile, and what was answered; never the object itself (pod specs carry
 * environment variables and secrets). */
static void log_review(const struct sl_answer *ans, double secs)
{
    if (!sl_log_enabled(SL_LOG_INFO))
        return;
    const char *checks[SL_ANSWER_MAX_CHECKS], *waived[SL_ANSWER_MAX_CHECKS];
    size_t nchecks = 0, nwaived = 0;
    for (size_t i = 0; i < ans->nchecks; i++) {
        struct sl_pss_check_info info;
        sl_pss_check_describe(ans->checks[i], &info);
        checks[nchecks++] = info.id;
    }
    for (size_t i = 0; i < ans->nwaived; i++) {
        struct sl_pss_check_info info;
        sl_pss_check_describe(ans->waived[i], &info);
        waived[nwaived++] = info.id;
    }
    bool mutate = ans->endpoint == SL_EP_MUTATE;
    struct sl_log_field f[] = {
        SL_LOG_F_STR("uid", ans->uid),
        SL_LOG_F_STR("kind", ans->kind),
        SL_LOG_F_STR("namespace", ans->namespace_),
        SL_LOG_F_STR("name", ans->name),
        SL_LOG_F_STR("operation", ans->operation),
        SL_LOG_F_STR("subresource", ans->subresource),
        SL_LOG_F_STR("user", ans->user),
        SL_LOG_F_STR("profile", ans->profile),
        SL_LOG_F_STR("mode", sl_policy_mode_name(ans->mode)),
        SL_LOG_F_STR("verdict", !ans->allowed  ? "denied"
                                : ans->patched ? "patched"
                                               : "allowed"),
        SL_LOG_F_BOOL("evaluated", ans->evaluated),
        SL_LOG_F_LIST("checks", checks, nchecks),
        SL_LOG_F_LIST("waived", waived, nwaived),
        SL_LOG_F_CSV("exceptions", ans->exceptions),
        SL_LOG_F_BOOL("dryRun", ans->dry_run),
        SL_LOG_F_STR("endpoint", mutate ? "mutate" : "validate"),
        SL_LOG_F_SECONDS("duration", secs),
        /* Last, so that /validate leaves it out. */
        SL_LOG_F_BOOL("patched", ans->patched),
    };
    sl_log_event(SL_LOG_INFO, "decision", f, SL_ARRAY_LEN(f) - (mutate ? 0 : 1));
}

static enum MHD_Result on_body_complete(struct req *rq, struct MHD_Connection *c)
{
    struct sl_server *srv = rq->srv;
    MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, srv->limits.idle_timeout_s);

    struct timespec start = now_mono();
    struct sl_answer ans;
    /* Every JSON value of the review comes from and goes back to this thread's arena at
     * once (alloc.h): malloc and free were a quarter of the server's CPU time, and walking
     * a large review to free each node a fifth of a request's. */
    /* A large review's values take several times its size: one at a time, so that the
     * worst case is one large tree, not one per thread (docs/admission.md, "Memory"). */
    bool large = rq->body.len > LARGE_REVIEW_BYTES;
    if (large)
        pthread_mutex_lock(&large_review_lock);
    sl_arena_begin();
    if (rq->prof != NULL)
        sl_review_answer(rq->prof, rq->ep, rq->body.data, rq->body.len, &ans);
    else
        sl_review_answer_routed(rq->policy, NULL, rq->ep, rq->body.data, rq->body.len, &ans);
    sl_arena_end();
    if (large)
        pthread_mutex_unlock(&large_review_lock);
    double secs = seconds_since(&start);
    if (ans.http_status == MHD_HTTP_OK) {
        log_review(&ans, secs);
        sl_metrics_count_review(&ans);
    } else {
        struct sl_log_field f[] = {
            SL_LOG_F_STR("endpoint", rq->ep == SL_EP_MUTATE ? "mutate" : "validate"),
            SL_LOG_F_UINT("status", (unsigned long long)ans.http_status),
            SL_LOG_F_STR("error", ans.error),
        };
        sl_log_event(SL_LOG_WARN, "review not answered", f, SL_ARRAY_LEN(f));
    }
    char *body = ans.body;
    size_t len = ans.len;
    ans.body = NULL;
    unsigned status = ans.http_status > 0 ? (unsigned)ans.http_status : 500u;
    sl_review_answer_cleanup(&ans);
    return reply(srv, c, status, "application/json", body, len, NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    struct req *rq = *req_cls;
    if (rq == NULL)
        return first_call(cls, c, url, method, version, req_cls);
    if (rq->route != ROUTE_VALIDATE && rq->route != ROUTE_MUTATE) {
        *upload_data_size = 0;
        return answer_get(rq->srv, c, rq->route);
    }
    if (*upload_data_size > 0)
        return on_upload(rq, upload_data, upload_data_size);
    return on_body_complete(rq, c);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct sl_server *srv = cls;
    sl_admit_request_end(srv->admit, admit_entry(c));
    switch (toe) {
    case MHD_REQUEST_TERMINATED_COMPLETED_OK:
        break;
    case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
        sl_metrics_count_abort(SL_ABORT_TIMEOUT);
        break;
    case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
        sl_metrics_count_abort(SL_ABORT_SHUTDOWN);
        break;
    case MHD_REQUEST_TERMINATED_READ_ERROR:
        sl_metrics_count_abort(SL_ABORT_READ_ERROR);
        break;
    case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
        sl_metrics_count_abort(SL_ABORT_CLIENT);
        break;
    case MHD_REQUEST_TERMINATED_WITH_ERROR:
    default:
        sl_metrics_count_abort(SL_ABORT_ERROR);
        break;
    }
    struct req *rq = *req_cls;
    if (rq == NULL)
        return;
    static const enum sl_metrics_endpoint ep[] = {
        [ROUTE_VALIDATE] = SL_METRICS_EP_VALIDATE, [ROUTE_MUTATE] = SL_METRICS_EP_MUTATE,
        [ROUTE_HEALTHZ] = SL_METRICS_EP_HEALTHZ,   [ROUTE_READYZ] = SL_METRICS_EP_READYZ,
        [ROUTE_METRICS] = SL_METRICS_EP_METRICS,
    };
    if (rq->route != ROUTE_NONE)
        sl_metrics_observe_request(ep[rq->route], seconds_since(&rq->started));
    atomic_fetch_sub(&rq->srv->inflight, rq->reserved);
    size_t body_cap = rq->body.cap;
    sl_buf_cleanup(&rq->body);
    /* After a request far above the usual size, the heap's free pages go back (alloc.h). */
    if (body_cap >= TRIM_AFTER_BYTES)
        sl_alloc_trim();
    /* Possibly the last request on a policy a reload replaced: then this frees it. */
    sl_policyref_release(rq->ref);
    free(rq);
    *req_cls = NULL;
    sl_metrics_request_in_flight(-1);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct sl_server *srv = cls;
    bool started = toe == MHD_CONNECTION_NOTIFY_STARTED;
    if (started)
        atomic_fetch_add(&srv->open, 1);
    else
        atomic_fetch_sub(&srv->open, 1);
    sl_metrics_connection(started ? 1 : -1);
    if (!started) {
        struct conn_ctx *ctx = *socket_context;
        *socket_context = NULL;
        if (ctx == NULL)
            return;
        /* Before libmicrohttpd closes the descriptor (admit.h). */
        sl_admit_close(srv->admit, ctx->admit);
        /* The pair its handshake got may be freed now. The hold is kept here, not found
         * through the TLS session: libmicrohttpd may have deinitialised that already. */
        sl_certstore_connection_closed(ctx->cert);
        free(ctx);
        return;
    }
    struct conn_ctx *ctx = sl_xcalloc(1, sizeof(*ctx));
    /* Before the handshake, which asks the store for the pair (certstore.h). */
    const union MHD_ConnectionInfo *tls =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (srv->certs != NULL)
        ctx->cert = sl_certstore_connection_started(
            srv->certs, tls != NULL ? (gnutls_session_t)tls->tls_session : NULL);
    const union MHD_ConnectionInfo *fd =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *addr =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (fd != NULL)
        ctx->admit =
            sl_admit_open(srv->admit, fd->connect_fd, addr != NULL ? addr->client_addr : NULL);
    *socket_context = ctx;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) SL_PRINTF(2, 0);

static unsigned daemon_limit(unsigned ours);

/* libmicrohttpd's own messages ("Server reached connection limit", TLS failures).
 *
 * The admission table (admit.h) refuses and closes connections at socklock's limits and
 * counts them; libmicrohttpd's caps sit above those and refuse only a flood faster than the
 * table closes. Such a refusal is counted here, since libmicrohttpd tells of it nowhere
 * else. It words its global and per-IP caps alike; a refusal while fewer connections than
 * its global cap are open is the per-IP one. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct sl_server *srv = cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    static const char limit[] = "Server reached connection limit";
    if (strncmp(msg, limit, sizeof(limit) - 1) == 0)
        sl_metrics_count_rejected(atomic_load(&srv->open) < daemon_limit(srv->limits.connections)
                                      ? SL_REJECT_PER_IP
                                      : SL_REJECT_LIMIT);
    sl_log_warnx("libmicrohttpd: %s", msg);
}

/* ---- start and stop ------------------------------------------------------------------ */

/* Parses "ADDR:PORT" or "[V6ADDR]:PORT" (an empty ADDR means every IPv4 address). */
static enum sl_status parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sslen,
                                   struct sl_server *srv, struct sl_error *err)
{
    const char *colon = strrchr(s, ':');
    if (colon == NULL || colon[1] == '\0')
        goto bad;
    char host[INET6_ADDRSTRLEN + 2];
    size_t hlen = (size_t)(colon - s);
    if (hlen >= sizeof(host))
        goto bad;
    memcpy(host, s, hlen);
    host[hlen] = '\0';
    char *h = host;
    if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
        host[hlen - 1] = '\0';
        h = host + 1;
    }
    if (h[0] == '\0') {
        snprintf(host, sizeof(host), "0.0.0.0");
        h = host;
    }
    char *end = NULL;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno != 0 || *end != '\0' || colon[1] < '0' || colon[1] > '9' || port < 0 || port > 65535)
        goto bad;
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(h, NULL, &hints, &ai) != 0 || ai == NULL)
        goto bad;
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *sslen = ai->ai_addrlen;
    freeaddrinfo(ai);
    if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
    snprintf(srv->host, sizeof(srv->host), ss->ss_family == AF_INET6 ? "[%s]" : "%s", h);
    srv->port = (unsigned)port;
    return SL_OK;
bad:
    sl_error_set(err, "--listen: \"%s\" is not ADDR:PORT with a numeric address", s);
    return SL_E_USAGE;
}

/* libmicrohttpd's caps sit above ours, so that a connection past our cap still reaches
 * sl_admit_open(), which makes room by closing an unserved one (admit.h); the daemon's cap
 * only stops a flood faster than the closing. It is split among the worker threads. */
static unsigned daemon_limit(unsigned ours)
{
    return ours + ours / 4 + 16;
}

static enum sl_status start_daemon(struct sl_server *srv, const struct sl_server_config *cfg,
                                   const struct sockaddr *sa, struct sl_error *err)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | (cfg->plain_http ? 0 : MHD_USE_TLS);
    if (sa->sa_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    unsigned threads = cfg->threads;
    if (threads > srv->limits.connections)
        threads = srv->limits.connections;
    /* The conditional options go through an option array; its last entry ends it. */
    struct MHD_OptionItem extra[4];
    size_t n = 0;
    if (threads >= 2)
        extra[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)threads, NULL};
    if (!cfg->plain_http) {
        /* The pair in force, asked for in each handshake; the client CA is not given here
         * either (certstore.c says why). */
        gnutls_certificate_retrieve_function2 *retrieve = &sl_certstore_retrieve;
        const char *priorities = SL_SERVER_TLS_PRIORITIES;
        void *p_retrieve, *p_priorities;
        /* The array holds every pointer as void *, a callback's too (POSIX makes function
         * and object pointers alike) and strings it only reads. */
        memcpy(&p_retrieve, &retrieve, sizeof(p_retrieve));
        memcpy(&p_priorities, &priorities, sizeof(p_priorities));
        extra[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_CERT_CALLBACK, 0, p_retrieve};
        extra[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, p_priorities};
    }
    extra[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

    srv->daemon = MHD_start_daemon(
        flags, (uint16_t)srv->port, NULL, NULL, on_request, srv,
        /* First, so that libmicrohttpd's messages about the later options reach our log. */
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv, MHD_OPTION_SOCK_ADDR, sa,
        MHD_OPTION_CONNECTION_LIMIT, daemon_limit(srv->limits.connections),
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, daemon_limit(srv->limits.per_ip_connections),
        MHD_OPTION_CONNECTION_TIMEOUT, srv->limits.idle_timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY_LIMIT,
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)THREAD_STACK_SIZE, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, srv, MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_ARRAY,
        extra, MHD_OPTION_END);
    if (srv->daemon == NULL) {
        sl_error_set(err, "--listen %s: cannot start the server (see the messages above)",
                     cfg->listen);
        return SL_E_IO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (info != NULL && info->port != 0)
        srv->port = info->port;
    return SL_OK;
}

enum sl_status sl_server_start(const struct sl_server_config *cfg, struct sl_server **out,
                               struct sl_error *err)
{
    enum sl_status rc = SL_OK;
    struct sl_server *srv = sl_xcalloc(1, sizeof(*srv));
    *out = NULL;
    srv->policies = sl_policyref_holder_new(cfg->policy);
    srv->limits = cfg->policy->limits;
    if (cfg->inflight_body_bytes > 0)
        srv->limits.inflight_body_bytes = cfg->inflight_body_bytes;
    srv->listen_fd = MHD_INVALID_SOCKET;
    if (srv->limits.idle_timeout_s == 0 || srv->limits.connections == 0 ||
        srv->limits.head_timeout_s == 0 || srv->limits.per_ip_connections == 0 ||
        srv->limits.max_body_bytes == 0) {
        sl_error_set(err, "policy limits: connections, per-IP connections, idle timeout and "
                          "body size must be positive");
        rc = SL_E_USAGE;
        goto out;
    }

    struct sockaddr_storage ss = {0};
    socklen_t sslen = 0;
    rc = parse_listen(cfg->listen, &ss, &sslen, srv, err);
    if (rc != SL_OK)
        goto out;
    struct sl_admit_limits al = {
        .connections = srv->limits.connections,
        .per_ip_connections = srv->limits.per_ip_connections,
        .head_timeout_s = srv->limits.head_timeout_s,
        .idle_timeout_s = srv->limits.idle_timeout_s,
    };
    srv->admit = sl_admit_new(&al);
    if (srv->admit == NULL) {
        sl_error_set(err, "cannot start the connection reaper thread");
        rc = SL_E_IO;
        goto out;
    }
    sl_metrics_watch_admit(srv->admit);
    if (!cfg->plain_http) {
        struct sl_certstore_files files = {
            .cert = cfg->cert_file, .key = cfg->key_file, .client_ca = cfg->client_ca_file};
        rc = sl_certstore_new(&files, &srv->certs, err);
        if (rc != SL_OK)
            goto out;
        srv->mtls = sl_certstore_mtls(srv->certs);
        struct sl_certstore_info info;
        sl_certstore_info(srv->certs, &info);
        sl_metrics_set_certificate_expiry((long long)info.not_after);
    }
    rc = start_daemon(srv, cfg, (const struct sockaddr *)&ss, err);
    if (rc != SL_OK)
        goto out;
    atomic_store(&srv->ready, true);
    char what[INET6_ADDRSTRLEN + 32];
    snprintf(what, sizeof(what), "listening on %s:%u", srv->host, srv->port);
    struct sl_log_field f[] = {
        SL_LOG_F_STR("address", srv->host),
        SL_LOG_F_UINT("port", srv->port),
        SL_LOG_F_UINT("threads", cfg->threads >= 2 ? cfg->threads : 1),
        SL_LOG_F_BOOL("mtls", srv->mtls),
        SL_LOG_F_STR("version", SOCKLOCK_VERSION),
    };
    sl_log_event(SL_LOG_INFO, what, f, SL_ARRAY_LEN(f));
    *out = srv;
    srv = NULL;
out:
    sl_server_free(srv);
    return rc;
}

/* Measured (docs/admission.md, "Memory"): about 10 MiB idle, rounded up; a review's values
 * take up to about 18 times its body; a connection about 19 KiB. */
#define MEMORY_IDLE_BYTES       ((size_t)12 << 20)
#define MEMORY_TREE_FACTOR      18
#define MEMORY_CONNECTION_BYTES ((size_t)20 << 10)

size_t sl_server_memory_besides_bodies(const struct sl_limits *limits)
{
    return MEMORY_IDLE_BYTES + MEMORY_TREE_FACTOR * limits->max_body_bytes +
           MEMORY_CONNECTION_BYTES * limits->connections;
}

size_t sl_server_fit_inflight(const struct sl_limits *l, size_t memory_limit, bool *short_of_memory)
{
    *short_of_memory = false;
    if (l->inflight_set || memory_limit == 0)
        return 0;
    size_t besides = sl_server_memory_besides_bodies(l);
    size_t room = memory_limit - memory_limit / 10;
    room = room > besides ? room - besides : 0;
    size_t budget = room < l->inflight_body_bytes ? room : l->inflight_body_bytes;
    if (budget < l->max_body_bytes) {
        budget = l->max_body_bytes;
        *short_of_memory = true;
    }
    return budget;
}

unsigned sl_server_port(const struct sl_server *srv)
{
    return srv->port;
}

void sl_server_set_policy(struct sl_server *srv, struct sl_policy *pol)
{
    sl_policyref_swap(srv->policies, pol);
}

enum sl_status sl_server_reload_certs(struct sl_server *srv, struct sl_certstore_info *info,
                                      struct sl_error *err)
{
    struct sl_certstore_info now = {0};
    if (srv->certs == NULL) {
        sl_error_set(err, "the server serves no certificate (plain HTTP)");
        return SL_E_USAGE;
    }
    enum sl_status rc = sl_certstore_reload(srv->certs, &now, err);
    sl_metrics_count_certificate_reload(rc == SL_OK);
    sl_metrics_set_certificate_expiry((long long)now.not_after);
    if (info != NULL)
        *info = now;
    return rc;
}

void sl_server_cert_info(struct sl_server *srv, struct sl_certstore_info *info)
{
    if (srv->certs == NULL) {
        *info = (struct sl_certstore_info){0};
        return;
    }
    sl_certstore_info(srv->certs, info);
}

void sl_server_begin_drain(struct sl_server *srv)
{
    atomic_store(&srv->draining, true);
}

void sl_server_stop(struct sl_server *srv, unsigned drain_timeout_s)
{
    if (srv == NULL || srv->daemon == NULL)
        return;
    atomic_store(&srv->draining, true);
    srv->listen_fd = MHD_quiesce_daemon(srv->daemon);
    /* Without shutdown() connections queued in the backlog hang until reset; with it they
     * are refused at once, so clients move to another replica without waiting. */
    if (srv->listen_fd != MHD_INVALID_SOCKET)
        shutdown(srv->listen_fd, SHUT_RDWR);
    struct timespec end = now_mono();
    end.tv_sec += drain_timeout_s;
    unsigned left = 0;
    for (;;) {
        const union MHD_DaemonInfo *info =
            MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        left = info != NULL ? info->num_connections : 0;
        if (left == 0 || past(&end))
            break;
        struct timespec tick = {.tv_sec = 0, .tv_nsec = 50L * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
    if (left > 0)
        sl_log_warnx("drain timeout: closing %u open connections", left);
    else
        sl_log_debug("all connections closed");
    MHD_stop_daemon(srv->daemon);
    srv->daemon = NULL;
    /* A quiesced socket must stay open until MHD_stop_daemon() (microhttpd.h). */
    if (srv->listen_fd != MHD_INVALID_SOCKET)
        close(srv->listen_fd);
    srv->listen_fd = MHD_INVALID_SOCKET;
}

void sl_server_free(struct sl_server *srv)
{
    if (srv == NULL)
        return;
    if (srv->daemon != NULL)
        MHD_stop_daemon(srv->daemon);
    if (srv->listen_fd != MHD_INVALID_SOCKET)
        close(srv->listen_fd);
    /* After the daemon: every request has released its policy reference, and every
     * connection its admission entry and its certificate, by now. */
    sl_metrics_unwatch_admit(srv->admit);
    sl_admit_free(srv->admit);
    sl_policyref_holder_free(srv->policies);
    sl_certstore_free(srv->certs);
    free(srv);
}
