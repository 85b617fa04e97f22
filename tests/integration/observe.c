/* What a platform team watches socklock with, on a running server over TLS: the decision
 * log (every line one JSON object, each decision with its request, user, profile, verdict,
 * failed checks, dryRun and duration, never the object), and /metrics (its counters move
 * as requests are made, and Prometheus' promtool accepts the exposition). Each test starts
 * its own server, so its log and its counters hold only what the test did. */
#include "itest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "socklock/alloc.h"
#include "testutil.h"

/* A review of pod "web" in "shop" by `user` (a JSON string body, escapes allowed). */
static char *review(const char *uid, const char *user, bool dry_run, bool bad)
{
    static const char good[] =
        "{\"securityContext\":{\"runAsNonRoot\":true,\"seccompProfile\":{\"type\":"
        "\"RuntimeDefault\"}},\"containers\":[{\"name\":\"app\",\"image\":\"secret-image:1\","
        "\"env\":[{\"name\":\"PASSWORD\",\"value\":\"hunter2\"}],"
        "\"securityContext\":{\"allowPrivilegeEscalation\":false,\"readOnlyRootFilesystem\":true,"
        "\"capabilities\":{\"drop\":[\"ALL\"]}}}]}";
    static const char root[] =
        "{\"securityContext\":{\"runAsNonRoot\":true,\"seccompProfile\":{\"type\":"
        "\"RuntimeDefault\"}},\"containers\":[{\"name\":\"app\",\"image\":\"secret-image:1\","
        "\"env\":[{\"name\":\"PASSWORD\",\"value\":\"hunter2\"}],"
        "\"securityContext\":{\"allowPrivilegeEscalation\":false,\"readOnlyRootFilesystem\":true,"
        "\"privileged\":true,\"capabilities\":{\"drop\":[\"ALL\"]}}}]}";
    return sl_xasprintf(
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
        "\"uid\":\"%s\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
        "\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},"
        "\"operation\":\"CREATE\",\"namespace\":\"shop\",\"name\":\"web\",\"dryRun\":%s,"
        "\"userInfo\":{\"username\":\"%s\",\"groups\":[\"system:authenticated\"]},"
        "\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\","
        "\"namespace\":\"shop\"},\"spec\":%s}}}",
        uid, dry_run ? "true" : "false", user, bad ? root : good);
}

static void post(unsigned port, const char *path, const char *body, long want)
{
    struct it_req q = {
        .path = path, .ctype = "application/json", .body = body, .len = strlen(body)};
    struct it_resp r;
    it_request(port, &q, &r);
    ck_assert_msg(r.status == want, "%s: HTTP %ld, want %ld: %s", path, r.status, want, r.body);
    it_resp_cleanup(&r);
}

static void start(struct it_server *s, const char *name, const char *const *more)
{
    const char *args[16] = {"--cert", it_env.crt, "--key", it_env.key};
    size_t n = 4;
    for (size_t i = 0; more != NULL && more[i] != NULL && n + 1 < 16; i++)
        args[n++] = more[i];
    args[n] = NULL;
    ck_assert_msg(it_server_start(s, name, args), "server did not start, see %s", s->log);
}

/* Stops the server the graceful way and returns its log, every line checked to be one JSON
 * object with time, level and msg: an array of them. */
static json_t *stop_and_read_log(struct it_server *s)
{
    kill(s->pid, SIGTERM);
    ck_assert(it_log_wait(s, "SIGTERM: draining", IT_HANG_GUARD));
    ck_assert_int_eq(it_server_signal_wait(s, SIGINT, IT_HANG_GUARD), 0);
    size_t len = 0;
    char *text = tu_read_file(s->log, &len);
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(len > 0 && text[len - 1] == '\n', "log does not end a line: %s", text);
    json_t *lines = json_array();
    for (char *line = text; *line != '\0';) {
        char *eol = strchr(line, '\n');
        json_error_t e;
        json_t *doc = json_loadb(line, (size_t)(eol - line), JSON_REJECT_DUPLICATES, &e);
        ck_assert_msg(json_is_object(doc), "not a JSON object (%s): %.*s", e.text,
                      (int)(eol - line), line);
        ck_assert(json_is_string(json_object_get(doc, "time")));
        ck_assert(json_is_string(json_object_get(doc, "level")));
        ck_assert(json_is_string(json_object_get(doc, "msg")));
        json_array_append_new(lines, doc);
        line = eol + 1;
    }
    /* Never the object: nothing of the pod spec reaches the log. */
    ck_assert_msg(strstr(text, "hunter2") == NULL && strstr(text, "secret-image") == NULL &&
                      strstr(text, "securityContext") == NULL,
                  "the object was logged: %s", text);
    free(text);
    return lines;
}

/* The first line whose msg is `msg` and, when uid is not NULL, whose uid is uid. */
static json_t *find(json_t *lines, const char *msg, const char *uid)
{
    size_t i;
    json_t *l;
    json_array_foreach(lines, i, l)
    {
        const char *m = json_string_value(json_object_get(l, "msg"));
        const char *u = json_string_value(json_object_get(l, "uid"));
        if (strcmp(m, msg) == 0 && (uid == NULL || (u != NULL && strcmp(u, uid) == 0)))
            return l;
    }
    ck_abort_msg("no \"%s\" line for %s", msg, uid ? uid : "(any)");
    return NULL;
}

static const char *s_of(const json_t *l, const char *key)
{
    const json_t *v = json_object_get(l, key);
    ck_assert_msg(json_is_string(v), "no string %s", key);
    return json_string_value(v);
}

/* The strings of array `key`, joined with ','. */
static void list_of(const json_t *l, const char *key, char *out, size_t size)
{
    const json_t *a = json_object_get(l, key);
    ck_assert_msg(json_is_array(a), "no array %s", key);
    out[0] = '\0';
    size_t i;
    const json_t *v;
    json_array_foreach(a, i, v)
    {
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s%s", i ? "," : "", json_string_value(v));
    }
}

START_TEST(test_decision_log_json_over_tls)
{
    struct it_server s;
    start(&s, "observe-log", NULL);
    char *ok = review("uid-ok", "alice", true, false);
    char *denied = review("uid-denied", "system:serviceaccount:ci:deployer", false, true);
    /* A username made to forge a line: quotes, a newline, a bell, U+2028. */
    char *evil =
        review("uid-evil", "eve\\\"}\\n{\\\"level\\\":\\\"error\\\"\\u0007\\u2028", false, false);
    char *patched = review("uid-mutate", "bob", false, true);
    post(s.port, "/validate", ok, 200);
    post(s.port, "/validate", denied, 200);
    post(s.port, "/validate", evil, 200);
    post(s.port, "/mutate", patched, 200);
    post(s.port, "/validate", "{\"not\":\"a review\"}", 400);
    json_t *lines = stop_and_read_log(&s);

    /* Start and shutdown. */
    char msg[64];
    snprintf(msg, sizeof(msg), "listening on 127.0.0.1:%u", s.port);
    json_t *l = find(lines, msg, NULL);
    ck_assert_str_eq(s_of(l, "level"), "info");
    ck_assert_int_eq(json_integer_value(json_object_get(l, "port")), s.port);
    ck_assert(json_integer_value(json_object_get(l, "threads")) >= 1);
    ck_assert_str_eq(s_of(find(lines, "stopped", NULL), "level"), "info");

    /* An allowed dry run. */
    l = find(lines, "decision", "uid-ok");
    ck_assert_str_eq(s_of(l, "level"), "info");
    ck_assert_str_eq(s_of(l, "kind"), "Pod");
    ck_assert_str_eq(s_of(l, "namespace"), "shop");
    ck_assert_str_eq(s_of(l, "name"), "web");
    ck_assert_str_eq(s_of(l, "operation"), "CREATE");
    ck_assert_str_eq(s_of(l, "user"), "alice");
    ck_assert_str_eq(s_of(l, "profile"), "default");
    ck_assert_str_eq(s_of(l, "mode"), "enforce");
    ck_assert_str_eq(s_of(l, "verdict"), "allowed");
    ck_assert_str_eq(s_of(l, "endpoint"), "validate");
    ck_assert(json_is_true(json_object_get(l, "dryRun")));
    char checks[512];
    list_of(l, "checks", checks, sizeof(checks));
    ck_assert_str_eq(checks, "");
    const json_t *d = json_object_get(l, "duration");
    ck_assert(json_is_number(d) && json_number_value(d) >= 0 && json_number_value(d) < 30);

    /* A denial names the failed check and the service account that asked. */
    l = find(lines, "decision", "uid-denied");
    ck_assert_str_eq(s_of(l, "verdict"), "denied");
    ck_assert_str_eq(s_of(l, "user"), "system:serviceaccount:ci:deployer");
    ck_assert(json_is_false(json_object_get(l, "dryRun")));
    list_of(l, "checks", checks, sizeof(checks));
    ck_assert_str_eq(checks, "privileged");

    /* The forged username is one string, as sent. */
    l = find(lines, "decision", "uid-evil");
    ck_assert_str_eq(s_of(l, "user"), "eve\"}\n{\"level\":\"error\"\a\xe2\x80\xa8");
    ck_assert_str_eq(s_of(l, "verdict"), "allowed");

    /* /mutate patches what it can; what is left stays listed. */
    l = find(lines, "decision", "uid-mutate");
    ck_assert_str_eq(s_of(l, "endpoint"), "mutate");
    ck_assert_str_eq(s_of(l, "user"), "bob");
    ck_assert(json_is_boolean(json_object_get(l, "patched")));

    /* A body that is no review: a warning with the reason, no decision. */
    l = find(lines, "review not answered", NULL);
    ck_assert_str_eq(s_of(l, "level"), "warn");
    ck_assert_int_eq(json_integer_value(json_object_get(l, "status")), 400);
    size_t i, decisions = 0;
    json_array_foreach(lines, i, l) decisions += strcmp(s_of(l, "msg"), "decision") == 0;
    ck_assert_uint_eq(decisions, 4);
    json_decref(lines);
    free(ok);
    free(denied);
    free(evil);
    free(patched);
}
END_TEST

START_TEST(test_log_format_text_and_level)
{
    /* --log-format text: "TIME LEVEL MSG key=value"; --log-level debug adds the thread
     * choice; --log-level warn drops the decisions. */
    struct it_server s;
    const char *more[] = {"--log-format", "text", "--log-level", "debug", NULL};
    start(&s, "observe-text", more);
    char *ok = review("uid-text", "carol", false, false);
    post(s.port, "/validate", ok, 200);
    ck_assert(it_log_wait(&s,
                          " info decision uid=uid-text kind=Pod namespace=shop name=web "
                          "operation=CREATE subresource=\"\" user=carol profile=default "
                          "mode=enforce verdict=allowed",
                          IT_HANG_GUARD));
    ck_assert(it_log_has(&s, " debug threads from the usable CPUs threads="));
    it_server_kill(&s);
    free(ok);

    /* Bad values are usage errors. */
    const char *bad_format[] = {tu_socklock_bin(), "serve", "--log-format", "xml", NULL};
    ck_assert_int_eq(it_run(bad_format, NULL, NULL, IT_HANG_GUARD), 2);
    const char *bad_level[] = {tu_socklock_bin(), "serve", "--log-level", "trace", NULL};
    ck_assert_int_eq(it_run(bad_level, NULL, NULL, IT_HANG_GUARD), 2);
}
END_TEST

START_TEST(test_start_failure_is_an_error_line)
{
    /* A server that cannot start says why in one JSON line at level error, then exits 2. */
    const char *argv[] = {tu_socklock_bin(),      "serve", "--listen", "127.0.0.1:0", "--cert",
                          "/nonexistent/tls.crt", "--key", it_env.key, NULL};
    char err[700];
    snprintf(err, sizeof(err), "%s/observe-fail.log", it_env.dir);
    ck_assert_int_eq(it_run(argv, NULL, err, IT_HANG_GUARD), 2);
    size_t len = 0;
    char *text = tu_read_file(err, &len);
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(len > 0 && strchr(text, '\n') == text + len - 1, "not one line: %s", text);
    json_error_t e;
    json_t *doc = json_loadb(text, len - 1, JSON_REJECT_DUPLICATES, &e);
    ck_assert_msg(json_is_object(doc), "not JSON: %s", text);
    ck_assert_str_eq(s_of(doc, "level"), "error");
    ck_assert_ptr_nonnull(strstr(s_of(doc, "msg"), "/nonexistent/tls.crt"));
    json_decref(doc);
    free(text);
}
END_TEST

/* One scrape of /metrics. */
static char *scrape(unsigned port)
{
    struct it_req q = {.path = "/metrics"};
    struct it_resp r;
    it_request(port, &q, &r);
    ck_assert_int_eq(r.status, 200);
    char ct[128];
    ck_assert(it_resp_header(&r, "Content-Type", ct, sizeof(ct)));
    ck_assert_str_eq(ct, "text/plain; version=0.0.4; charset=utf-8");
    char *text = r.body;
    r.body = NULL;
    it_resp_cleanup(&r);
    return text;
}

/* The value of one series in a scrape; -1 when it is not there. */
static double series(const char *text, const char *key)
{
    size_t n = strlen(key);
    for (const char *line = text; line != NULL && *line != '\0';) {
        if (strncmp(line, key, n) == 0 && line[n] == ' ')
            return strtod(line + n + 1, NULL);
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    return -1;
}

/* How far key moved between two scrapes; a series not yet there counts as 0. */
static double moved(const char *before, const char *after, const char *key)
{
    double a = series(after, key), b = series(before, key);
    ck_assert_msg(a >= 0, "no %s after:\n%s", key, after);
    return a - (b < 0 ? 0 : b);
}

/* promtool check metrics on text: exit 0 and nothing said. */
static void promtool(const char *text)
{
    ck_assert_msg(system("command -v promtool >/dev/null 2>&1") == 0,
                  "promtool not found: apt-get install prometheus (make deps does)");
    const char *in = it_write_file("scrape.txt", text);
    char out[700];
    snprintf(out, sizeof(out), "%s.promtool", in);
    char *cmd = sl_xasprintf("promtool check metrics <'%s' >'%s' 2>&1", in, out);
    int st = system(cmd);
    free(cmd);
    size_t len = 0;
    char *said = tu_read_file(out, &len);
    ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "promtool failed: %s",
                  said ? said : "");
    ck_assert_msg(len == 0, "promtool has remarks: %s", said);
    free(said);
}

/* A plain TCP connection to 127.0.0.1:port. */
static int tcp_connect(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

/* True when the server closes fd within wait_s. */
static bool closed_within(int fd, double wait_s)
{
    double end = it_now() + wait_s;
    while (it_now() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) > 0) {
            char b[64];
            ssize_t n = recv(fd, b, sizeof(b), 0);
            if (n <= 0)
                return true;
        }
    }
    return false;
}

#define DECIDED(d)                                                                       \
    "socklock_decisions_total{decision=\"" d "\",mode=\"enforce\",level=\"restricted\"," \
    "version=\"latest\",operation=\"create\",resource=\"pod\",subresource=\"\"}"

START_TEST(test_metrics_move_and_pass_promtool)
{
    struct it_server s;
    start(&s, "observe-metrics", NULL);
    char *before = scrape(s.port);
    promtool(before);
    ck_assert_ptr_nonnull(strstr(before, "\nsocklock_build_info{version=\""));
    ck_assert(series(before, "process_resident_memory_bytes") > 0);
    ck_assert(series(before, "process_open_fds") > 0);
    ck_assert(series(before, "process_start_time_seconds") > 1.7e9);
    ck_assert(series(before, "process_cpu_seconds_total") >= 0);

    char *ok = review("m-ok", "alice", false, false);
    char *bad = review("m-bad", "alice", false, true);
    post(s.port, "/validate", ok, 200);
    post(s.port, "/validate", bad, 200);
    post(s.port, "/validate", bad, 200);
    post(s.port, "/mutate", bad, 200);
    struct it_req h = {.path = "/healthz"};
    struct it_resp r;
    it_request(s.port, &h, &r);
    ck_assert_int_eq(r.status, 200);
    it_resp_cleanup(&r);
    char *after = scrape(s.port);
    promtool(after);

    ck_assert(moved(before, after, DECIDED("allow")) == 1);
    ck_assert(moved(before, after, DECIDED("deny")) == 2);
    ck_assert(moved(before, after, "socklock_violations_total{check=\"privileged\"}") == 2);
    ck_assert(moved(before, after, "socklock_mutations_total{patched=\"true\"}") +
                  moved(before, after, "socklock_mutations_total{patched=\"false\"}") ==
              1);
    ck_assert(moved(before, after, "socklock_requests_total{code=\"200\"}") >= 6);
    ck_assert(moved(before, after,
                    "socklock_request_duration_seconds_count{endpoint=\"validate\"}") == 3);
    ck_assert(
        moved(before, after, "socklock_request_duration_seconds_count{endpoint=\"mutate\"}") == 1);
    ck_assert(
        moved(before, after, "socklock_request_duration_seconds_count{endpoint=\"healthz\"}") == 1);
    ck_assert(moved(before, after, "socklock_request_duration_seconds_sum{endpoint=\"validate\"}") >
              0);
    /* The scrape itself is in flight. */
    ck_assert(series(after, "socklock_requests_in_flight") >= 1);
    ck_assert(series(after, "socklock_policy_reloads_total{result=\"success\"}") == 0);
    it_server_kill(&s);
    free(before);
    free(after);
    free(ok);
    free(bad);
}
END_TEST

START_TEST(test_refused_connection_counted)
{
    /* One connection per address: a second one from 127.0.0.1 is closed unread, and
     * counted by its reason. */
    struct it_server s;
    const char *path = it_write_file("observe-policy.yaml", "limits:\n"
                                                            "  perIPConnections: 1\n"
                                                            "profiles:\n"
                                                            "  default: {level: restricted}\n");
    const char *more[] = {"--policy", path, NULL};
    start(&s, "observe-refused", more);
    int held = tcp_connect(s.port);
    int refused = tcp_connect(s.port);
    ck_assert_msg(closed_within(refused, IT_HANG_GUARD), "a second connection was kept");
    close(refused);
    close(held);
    /* The server notices the held connection's close on its own time: scrape until it lets
     * a connection in again. */
    char *after = NULL;
    for (double end = it_now() + IT_HANG_GUARD; after == NULL && it_now() < end;) {
        struct it_req q = {.path = "/metrics"};
        struct it_resp r;
        it_request(s.port, &q, &r);
        if (r.status == 200) {
            after = r.body;
            r.body = NULL;
        }
        it_resp_cleanup(&r);
    }
    ck_assert_ptr_nonnull(after);
    ck_assert(series(after, "socklock_connections_rejected_total{reason=\"per_ip\"}") >= 1);
    ck_assert(series(after, "socklock_connections_rejected_total{reason=\"limit\"}") == 0);
    it_server_kill(&s);
    free(after);
}
END_TEST

Suite *it_suite_observe(void)
{
    Suite *s = suite_create("observe");
    TCase *tc = tcase_create("observe");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_decision_log_json_over_tls);
    tcase_add_test(tc, test_log_format_text_and_level);
    tcase_add_test(tc, test_start_failure_is_an_error_line);
    tcase_add_test(tc, test_metrics_move_and_pass_promtool);
    tcase_add_test(tc, test_refused_connection_counted);
    suite_add_tcase(s, tc);
    return s;
}
