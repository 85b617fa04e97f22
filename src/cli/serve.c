/* cli_serve: the `serve` and `certs` subcommands.
 *
 * serve blocks SIGTERM and SIGINT before any server thread exists, so every thread inherits
 * the mask and only the main thread receives them, synchronously, with sigwait(): no signal
 * handler runs concurrently with the server. On the first signal the server starts draining
 * (/readyz 503, `Connection: close`), waits the policy's shutdown delay so the endpoint
 * removal reaches the API server (a second signal cuts the delay short), then stops accepting
 * and waits for open connections up to the drain timeout (TESTPLAN.md §3.7). */
#include "cli_int.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "socklock/certgen.h"
#include "socklock/cli.h"
#include "socklock/log.h"
#include "socklock/policy.h"
#include "socklock/server.h"

/* One "--name VALUE" or "--name=VALUE" option at argv[*i]; advances *i past it. Returns
 * true when argv[*i] is that option; *value is NULL when the value is missing. */
static bool take_opt(int argc, char **argv, int *i, const char *name, const char **value)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return false;
    if (a[n] == '=') {
        *value = a + n + 1;
        return true;
    }
    if (a[n] != '\0')
        return false;
    *value = *i + 1 < argc ? argv[++*i] : NULL;
    return true;
}

static bool parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    if (s == NULL || s[0] < '0' || s[0] > '9')
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static const char serve_usage[] =
    "usage: socklock serve [--listen ADDR:PORT] [--cert FILE] [--key FILE] [--client-ca FILE]\n"
    "                      [--policy FILE] [--threads N]\n";

static const char certs_usage[] =
    "usage: socklock certs [--out DIR] [--service NAME] [--namespace NS] [--days N]\n";

static int usage_error(const char *usage, const char *fmt, ...) SL_PRINTF(2, 3);

static int usage_error(const char *usage, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "socklock: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n%s", usage);
    va_end(ap);
    return SL_EXIT_ERROR;
}

static unsigned default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 2)
        return 2;
    return n > 64 ? 64u : (unsigned)n;
}

/* Waits for SIGTERM or SIGINT (blocked in `set`, with SIGHUP) for up to `seconds`; true when
 * one came. SIGHUP is passed over. */
static bool wait_signal(const sigset_t *set, unsigned seconds)
{
    struct timespec ts = {.tv_sec = (time_t)seconds, .tv_nsec = 0};
    for (;;) {
        int sig = sigtimedwait(set, NULL, &ts);
        if (sig == SIGHUP)
            continue;
        if (sig > 0)
            return true;
        if (errno != EINTR)
            return false;
    }
}

static int run_server(const struct sl_server_config *cfg)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    /* SIGHUP will reload the certificate and policy (TESTPLAN 3.7); until then it must not
     * kill a serving webhook, which is its default action. */
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    /* libmicrohttpd suppresses SIGPIPE on its sockets; this covers everything else. */
    signal(SIGPIPE, SIG_IGN);

    struct sl_error err = {0};
    struct sl_server *srv = NULL;
    if (sl_server_start(cfg, &srv, &err) != SL_OK) {
        char msg[1024];
        sl_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "socklock: serve: %s\n", msg);
        return SL_EXIT_ERROR;
    }
    int sig = 0;
    for (;;) {
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig != SIGHUP)
            break;
        sl_log_warnx("SIGHUP: reloading is not supported yet; still serving with the "
                     "certificate and policy loaded at start");
    }
    const struct sl_limits *lim = &cfg->policy->limits;
    sl_log_info("%s: draining (delay %u s, then up to %u s for open connections)",
                sig == SIGINT ? "SIGINT" : "SIGTERM", lim->shutdown_delay_s, lim->drain_timeout_s);
    sl_server_begin_drain(srv);
    if (wait_signal(&set, lim->shutdown_delay_s))
        sl_log_info("second signal: skipping the rest of the shutdown delay");
    sl_server_stop(srv, lim->drain_timeout_s);
    sl_server_free(srv);
    sl_log_info("stopped");
    return SL_EXIT_OK;
}

int sl_cli_serve(int argc, char **argv)
{
    struct sl_server_config cfg = {
        .listen = "0.0.0.0:8443",
        .cert_file = "certs/tls.crt",
        .key_file = "certs/tls.key",
        .threads = default_threads(),
    };
    const char *policy_path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        const char *v = NULL;
        unsigned long n = 0;
        if (take_opt(argc, argv, &i, "--listen", &v)) {
            cfg.listen = v;
        } else if (take_opt(argc, argv, &i, "--cert", &v)) {
            cfg.cert_file = v;
        } else if (take_opt(argc, argv, &i, "--key", &v)) {
            cfg.key_file = v;
        } else if (take_opt(argc, argv, &i, "--client-ca", &v)) {
            cfg.client_ca_file = v;
        } else if (take_opt(argc, argv, &i, "--policy", &v)) {
            policy_path = v;
        } else if (take_opt(argc, argv, &i, "--threads", &v)) {
            if (!parse_uint(v, 1, 1024, &n))
                return usage_error(serve_usage, "serve: --threads wants 1 to 1024, not %s",
                                   v ? v : "nothing");
            cfg.threads = (unsigned)n;
        } else {
            return usage_error(serve_usage, "serve: unknown argument %s", opt);
        }
        if (v == NULL)
            return usage_error(serve_usage, "serve: %s wants a value", opt);
    }
    struct sl_policy *pol = sl_cli_load_policy(policy_path);
    if (pol == NULL)
        return SL_EXIT_ERROR;
    cfg.policy = pol;
    if (sl_policy_find(pol, "default") == NULL)
        sl_log_warnx("the policy has no profile named \"default\": /validate answers 404; "
                     "reviews go to /validate/PROFILE");
    int status = run_server(&cfg);
    sl_policy_free(pol);
    return status;
}

int sl_cli_certs(int argc, char **argv)
{
    struct sl_certgen_opts o = {
        .out_dir = "certs",
        .service = "socklock",
        .namespace_ = "socklock-system",
        .days = 365,
    };
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        const char *v = NULL;
        unsigned long n = 0;
        if (take_opt(argc, argv, &i, "--out", &v)) {
            o.out_dir = v;
        } else if (take_opt(argc, argv, &i, "--service", &v)) {
            o.service = v;
        } else if (take_opt(argc, argv, &i, "--namespace", &v)) {
            o.namespace_ = v;
        } else if (take_opt(argc, argv, &i, "--days", &v)) {
            if (!parse_uint(v, 1, 36500, &n))
                return usage_error(certs_usage, "certs: --days wants 1 to 36500, not %s",
                                   v ? v : "nothing");
            o.days = (int)n;
        } else {
            return usage_error(certs_usage, "certs: unknown argument %s", opt);
        }
        if (v == NULL)
            return usage_error(certs_usage, "certs: %s wants a value", opt);
    }
    char *bundle = NULL;
    struct sl_error err = {0};
    if (sl_certgen_write(&o, &bundle, &err) != SL_OK) {
        char msg[1024];
        sl_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "socklock: certs: %s\n", msg);
        return SL_EXIT_ERROR;
    }
    fprintf(stderr,
            "socklock: wrote %s/ca.crt, ca.key, tls.crt and tls.key for %s.%s.svc; "
            "the caBundle follows on stdout\n",
            o.out_dir, o.service, o.namespace_);
    printf("%s\n", bundle);
    free(bundle);
    return fflush(stdout) == 0 ? SL_EXIT_OK : SL_EXIT_ERROR;
}
