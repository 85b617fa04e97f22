/* serve: `socklock serve`, the webhook.
 *
 * serve blocks SIGTERM, SIGINT and SIGHUP before any server thread exists, so every thread
 * inherits the mask and only the main thread receives them, synchronously, with sigwait():
 * no signal handler runs concurrently with the server. On the first SIGTERM or SIGINT the
 * server starts draining (/readyz 503, `Connection: close`), waits the policy's shutdown
 * delay so the endpoint removal reaches the API server (a second signal cuts the delay
 * short), then stops accepting and waits for open connections up to the drain timeout. */
#include "cli_int.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "socklock/cli.h"
#include "socklock/log.h"
#include "socklock/server.h"

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
    /* SIGHUP must not kill a serving webhook, which is its default action. */
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    /* libmicrohttpd suppresses SIGPIPE on its sockets; this covers everything else. */
    signal(SIGPIPE, SIG_IGN);

    struct sl_error err = {0};
    struct sl_server *srv = NULL;
    if (sl_server_start(cfg, &srv, &err) != SL_OK) {
        cli_print_error(&err);
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

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'}, {"cert", required_argument, NULL, 'c'},
        {"key", required_argument, NULL, 'k'},    {"client-ca", required_argument, NULL, 'a'},
        {"policy", required_argument, NULL, 'p'}, {"threads", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    struct sl_server_config cfg = {
        .listen = "0.0.0.0:8443",
        .cert_file = "certs/tls.crt",
        .key_file = "certs/tls.key",
        .threads = default_threads(),
    };
    const char *policy_path = NULL;
    unsigned long n = 0;
    int c;
    while ((c = cli_getopt(&cli_serve, argc, argv, ":h", opts)) != -1) {
        switch (c) {
        case 'l':
            cfg.listen = optarg;
            break;
        case 'c':
            cfg.cert_file = optarg;
            break;
        case 'k':
            cfg.key_file = optarg;
            break;
        case 'a':
            cfg.client_ca_file = optarg;
            break;
        case 'p':
            policy_path = optarg;
            break;
        case 't':
            if (cli_parse_uint(optarg, 1, 1024, &n) != SL_OK)
                return cli_usage(&cli_serve, stderr, "--threads wants 1 to 1024, not %s", optarg);
            cfg.threads = (unsigned)n;
            break;
        case 'h':
            return SL_EXIT_OK;
        default:
            return SL_EXIT_ERROR;
        }
    }
    if (optind < argc)
        return cli_usage(&cli_serve, stderr, "unexpected argument %s", argv[optind]);
    struct sl_policy *pol = cli_load_policy(policy_path);
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

const struct cli_command cli_serve = {
    .name = "serve",
    .synopsis = "[--listen ADDR:PORT] [--cert FILE] [--key FILE] [--client-ca FILE]"
                " [--policy FILE] [--threads N]",
    .summary = "serve the admission webhook over TLS",
    .help = "  Defaults: --listen 0.0.0.0:8443 --cert certs/tls.crt --key certs/tls.key, the\n"
            "  embedded default policy, one thread per online CPU. --client-ca turns on mutual\n"
            "  TLS. SIGTERM or SIGINT drains and stops.\n",
    .run = run,
};
