/* fuzz_http: bytes -> the HTTP layer: libmicrohttpd with socklock's handlers (routing,
 * framing checks, limits, body buffering, the review and mutation answers), served without
 * TLS on loopback (sl_server_config.plain_http, which only tests set). Each input is sent on
 * a new connection, which is then half-closed; whatever comes back is read to the end.
 * Invariants: every answer starts with an HTTP/1.1 status line of three digits, and the
 * server answers /healthz after every input. A request that hangs the
 * server fails the run by libFuzzer's timeout. Build: make fuzz; make test replays the
 * corpus (tests/fuzz/corpus/fuzz_http: requests as a client would write them). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "socklock/alloc.h"
#include "socklock/log.h"
#include "socklock/policy.h"
#include "socklock/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sl_server *srv;
static struct sl_policy *pol;
static unsigned port;

static void stop(void)
{
    sl_server_free(srv);
    sl_policy_free(pol);
}

static void setup(void)
{
    sl_alloc_init();
    sl_log_set_level(SL_LOG_ERROR); /* a line per decision would drown the run's own output */
    pol = sl_policy_new_default();
    /* Connections the fuzzer leaves half-open are closed by the server's deadlines; short
     * ones keep them from piling up. */
    pol->limits.head_timeout_s = 1;
    pol->limits.idle_timeout_s = 1;
    struct sl_server_config cfg = {
        .listen = "127.0.0.1:0", .policy = pol, .threads = 1, .plain_http = true};
    struct sl_error err = {0};
    if (sl_server_start(&cfg, &srv, &err) != SL_OK) {
        fprintf(stderr, "fuzz_http: %s\n", err.msg);
        abort();
    }
    port = sl_server_port(srv);
    atexit(stop);
}

/* Sends data on a new connection, half-closes it and reads the answer into out (at most
 * cap - 1 bytes, NUL-terminated). Returns the bytes read. */
static size_t exchange(const void *data, size_t size, char *out, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        abort();
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* An answer starts within milliseconds; an input that gets none in 100 ms (a head the
     * server is still waiting to see the end of) is done. */
    struct timeval tv = {.tv_usec = 100000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        abort(); /* the server stopped listening */
    size_t sent = 0;
    while (sent < size) {
        ssize_t n = send(fd, (const char *)data + sent, size - sent, MSG_NOSIGNAL);
        if (n <= 0)
            break; /* the server closed early: a refusal */
        sent += (size_t)n;
    }
    shutdown(fd, SHUT_WR);
    /* libmicrohttpd keeps a kept-alive connection open after its answers even though the
     * client half-closed it, until the idle timeout: once an answer has begun, a pause of
     * 50 ms ends the reading. */
    size_t got = 0;
    for (;;) {
        ssize_t n = recv(fd, out + got, cap - 1 - got, 0);
        if (n <= 0)
            break;
        if (got == 0) {
            struct timeval brief = {.tv_usec = 50000};
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &brief, sizeof(brief));
        }
        got += (size_t)n;
        if (got == cap - 1) {
            char sink[4096]; /* drain the rest, unchecked */
            while (recv(fd, sink, sizeof(sink), 0) > 0) {
            }
            break;
        }
    }
    out[got] = '\0';
    close(fd);
    return got;
}

/* The answer starts with an HTTP/1.1 status line. */
static void check_answer(const char *a, size_t n)
{
    if (n == 0)
        return; /* closed without an answer: allowed for what cannot be answered */
    if (n < 12 || memcmp(a, "HTTP/1.1 ", 9) != 0 || a[9] < '1' || a[9] > '5' || a[10] < '0' ||
        a[10] > '9' || a[11] < '0' || a[11] > '9')
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char answer[1 << 16];
    if (srv == NULL)
        setup();
    size_t n = exchange(data, size, answer, sizeof(answer));
    check_answer(answer, n);
    static const char health[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    n = exchange(health, sizeof(health) - 1, answer, sizeof(answer));
    if (n < 12 || memcmp(answer, "HTTP/1.1 200", 12) != 0)
        abort(); /* the server no longer serves */
    return 0;
}
