/* serve: `socklock serve`, the webhook.
 *
 * serve blocks SIGTERM, SIGINT and SIGHUP before any server thread exists, so every thread
 * inherits the mask and only the main thread receives them, synchronously, through a
 * signalfd: no signal handler runs concurrently with the server. On the first SIGTERM or
 * SIGINT the server starts draining (/readyz 503, `Connection: close`), waits the policy's
 * shutdown delay so the endpoint removal reaches the API server (a second signal cuts the
 * delay short), then stops accepting and waits for open connections up to the drain timeout.
 *
 * Reloading the policy. SIGHUP, and a change of the --policy file (watch.h: its folder is
 * watched, so a ConfigMap's `..data` swap, an editor's rename and `cp` are all seen), read
 * and parse the file aside; only a policy that loads is swapped in (sl_server_set_policy()),
 * and a file that does not is logged with its position and counted, while the policy in force
 * stays. The main thread runs the watch in the same poll() as the signals, rather than a
 * thread of its own: reloads, from either trigger, then happen one at a time in one thread,
 * need no lock between them, and there is no thread to stop at shutdown. The `limits` of a
 * reloaded file do not apply: the server fixed them at start, and a change is logged as
 * needing a restart. The certificate, key and client CA are watched and reloaded in the same
 * loop, and their expiry is watched there too (serve_certs.c). */
#include "cli_int.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "serve_certs.h"
#include "socklock/alloc.h"
#include "socklock/cgroup.h"
#include "socklock/cli.h"
#include "socklock/cpus.h"
#include "socklock/log.h"
#include "socklock/metrics.h"
#include "socklock/server.h"
#include "socklock/watch.h"

/* One worker thread per CPU this process may use: its affinity mask, and its cgroup's CPU
 * quota rounded up (a container's CPU limit). More threads than the quota would only wait for
 * it, and lengthen the tail of every request. */
static unsigned default_threads(void)
{
    unsigned affinity = sl_cpus_affinity();
    int version = 0;
    double quota = sl_cpus_quota("", &version);
    unsigned n = sl_cpus_threads(affinity, quota);
    struct sl_log_field f[] = {
        SL_LOG_F_UINT("threads", n),
        SL_LOG_F_UINT("affinity", affinity),
        SL_LOG_F_NUMBER("quota", quota),
        SL_LOG_F_UINT("cgroup", (unsigned long long)version),
    };
    sl_log_event(SL_LOG_DEBUG, "threads from the usable CPUs", f, SL_ARRAY_LEN(f));
    return n;
}

/* The in-flight budget fitted to the container's memory limit (sl_server_fit_inflight),
 * logged; 0 to keep the policy's. */
static size_t fit_inflight(const struct sl_limits *l, size_t memory_limit)
{
    bool short_of_memory = false;
    size_t budget = sl_server_fit_inflight(l, memory_limit, &short_of_memory);
    if (short_of_memory)
        sl_log_warnx("memory limit %zu MiB is below the worst case for these limits (%zu MiB "
                     "besides the bodies in flight): lower limits.maxBodyBytes or raise the "
                     "limit (docs/admission.md, \"Memory\")",
                     memory_limit >> 20, sl_server_memory_besides_bodies(l) >> 20);
    if (budget > 0)
        sl_log_info("in-flight body budget %zu MiB, fitted to the cgroup memory limit of %zu MiB",
                    budget >> 20, memory_limit >> 20);
    return budget;
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

/* What a reload needs. */
struct reload {
    struct sl_server *srv;
    const char *path;          /* the --policy file; NULL for the embedded default */
    struct sl_limits started;  /* the limits the server fixed at start */
    struct serve_certs *certs; /* the certificate's reloads and expiry (serve_certs.c) */
};

static void warn_limit(const char *name, unsigned long long was, unsigned long long now)
{
    if (was != now)
        sl_log_warnx("limits.%s changed from %llu to %llu: takes effect after a restart", name, was,
                     now);
}

/* Every setting under `limits` is fixed at start: libmicrohttpd takes the connection limits
 * and timeouts when the daemon starts, the body limits size the in-flight budget, and the
 * shutdown timings must stay those the Deployment's grace period was written for. */
static void warn_fixed_limits(const struct sl_limits *was, const struct sl_limits *now)
{
    warn_limit("maxBodyBytes", was->max_body_bytes, now->max_body_bytes);
    warn_limit("inflightBodyBytes", was->inflight_body_bytes, now->inflight_body_bytes);
    warn_limit("connections", was->connections, now->connections);
    warn_limit("perIPConnections", was->per_ip_connections, now->per_ip_connections);
    warn_limit("headTimeoutSeconds", was->head_timeout_s, now->head_timeout_s);
    warn_limit("idleTimeoutSeconds", was->idle_timeout_s, now->idle_timeout_s);
    warn_limit("shutdownDelaySeconds", was->shutdown_delay_s, now->shutdown_delay_s);
    warn_limit("drainTimeoutSeconds", was->drain_timeout_s, now->drain_timeout_s);
}

/* Reads the policy file aside and puts it in force only if it loads. `why` names the
 * trigger in the log. */
static void reload_policy(const struct reload *rl, const char *why)
{
    if (rl->path == NULL) {
        sl_log_warnx("%s: no policy file to reload: serving the embedded default policy (start "
                     "with --policy FILE to reload one)",
                     why);
        return;
    }
    struct sl_error err = {0};
    struct sl_policy *pol = NULL;
    if (cli_read_policy(rl->path, &pol, &err) != SL_OK) {
        char msg[1024];
        sl_error_format(&err, msg, sizeof(msg));
        sl_log_warnx("%s: policy reload failed, the policy in force stays: %s", why, msg);
        sl_metrics_count_policy_reload(false);
        return;
    }
    /* What the log says after the swap is read before it: the server owns pol from then on. */
    struct sl_limits limits = pol->limits;
    size_t n = pol->nprofiles;
    bool has_default = sl_policy_find(pol, "default") != NULL;
    sl_server_set_policy(rl->srv, pol);
    sl_metrics_count_policy_reload(true);
    sl_log_info("%s: policy reloaded from %s: %zu profile%s in force", why, rl->path, n,
                n == 1 ? "" : "s");
    warn_fixed_limits(&rl->started, &limits);
    if (!has_default)
        sl_log_warnx("the policy has no profile named \"default\": /validate answers 404; "
                     "reviews go to /validate/PROFILE");
}

/* Starts watching the policy file; NULL (and a warning) when it cannot be watched, as the
 * server can still reload on SIGHUP. */
static struct sl_watch *watch_policy(const char *path)
{
    struct sl_watch *w = NULL;
    struct sl_error err = {0};
    if (sl_watch_new(&path, 1, SL_WATCH_SETTLE_MS, &w, &err) != SL_OK) {
        char msg[1024];
        sl_error_format(&err, msg, sizeof(msg));
        sl_log_warnx("%s: changes will not be noticed, reload with SIGHUP: %s", path, msg);
        return NULL;
    }
    sl_log_info("reloading the policy when %s changes, or on SIGHUP", path);
    return w;
}

/* The shorter of two poll() timeouts (-1: none). */
static int sooner(int a, int b)
{
    if (a < 0)
        return b;
    return b >= 0 && b < a ? b : a;
}

/* Serves, reloading on SIGHUP and on a change of the policy or certificate files, until
 * SIGTERM or SIGINT arrives on sfd (a signalfd for `set`); returns that signal, or 0 when
 * poll() failed. */
static int poll_signals(int sfd, const struct reload *rl)
{
    struct sl_watch *w = rl->path != NULL ? watch_policy(rl->path) : NULL;
    int sig = 0;
    while (sig == 0) {
        struct pollfd p[3] = {{.fd = sfd, .events = POLLIN},
                              {.fd = w != NULL ? sl_watch_fd(w) : -1, .events = POLLIN},
                              {.fd = serve_certs_fd(rl->certs), .events = POLLIN}};
        int timeout =
            sooner(w != NULL ? sl_watch_timeout_ms(w) : -1, serve_certs_timeout_ms(rl->certs));
        if (poll(p, 3, timeout) < 0) {
            if (errno == EINTR)
                continue;
            sl_log_warn("poll: the files are no longer watched; reload with SIGHUP");
            break;
        }
        if (w != NULL && (p[1].revents & POLLIN))
            sl_watch_read(w);
        if (w != NULL && (sl_watch_take(w) & 1u))
            reload_policy(rl, "policy file changed");
        serve_certs_run(rl->certs, (p[2].revents & POLLIN) != 0);
        struct signalfd_siginfo si;
        while (sig == 0 && (p[0].revents & POLLIN) && read(sfd, &si, sizeof(si)) == sizeof(si)) {
            if (si.ssi_signo == SIGHUP) {
                reload_policy(rl, "SIGHUP");
                serve_certs_reload(rl->certs, "SIGHUP");
            } else if (si.ssi_signo == SIGUSR1 || si.ssi_signo == SIGUSR2) {
                sl_log_info("%s ignored", si.ssi_signo == SIGUSR1 ? "SIGUSR1" : "SIGUSR2");
            } else {
                /* At once: every answer from now on carries `Connection: close`, and
                 * freeing the watches below can take tens of milliseconds. */
                sl_server_begin_drain(rl->srv);
                sig = (int)si.ssi_signo;
            }
        }
    }
    sl_watch_free(w);
    return sig;
}

/* Serves until SIGTERM or SIGINT (blocked in `set`, with SIGHUP) and returns it. */
static int serve_until_stopped(const sigset_t *set, const struct reload *rl)
{
    int sfd = signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd >= 0) {
        int sig = poll_signals(sfd, rl);
        close(sfd);
        if (sig != 0)
            return sig;
    } else {
        sl_log_warn("signalfd: the policy file is not watched; reload with SIGHUP");
    }
    /* Without the poll loop, the signals alone. */
    for (;;) {
        int sig = 0;
        if (sigwait(set, &sig) != 0)
            continue;
        if (sig == SIGUSR1 || sig == SIGUSR2) {
            sl_log_info("%s ignored", sig == SIGUSR1 ? "SIGUSR1" : "SIGUSR2");
            continue;
        }
        if (sig != SIGHUP)
            return sig;
        reload_policy(rl, "SIGHUP");
        serve_certs_reload(rl->certs, "SIGHUP");
    }
}

/* Every connection the limits allow needs a descriptor, and the usual soft limit (1024) is
 * below the default cap plus the daemon's slack: raise it, up to the hard limit. */
static void raise_fd_limit(const struct sl_limits *lim)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)lim->connections * 2 + 64;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
        sl_log_warnx("open files limited to %llu: fewer than %u connections can be held",
                     (unsigned long long)rl.rlim_cur, lim->connections);
}

static int run_server(const struct sl_server_config *cfg, const char *policy_path)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    /* SIGHUP, SIGUSR1 and SIGUSR2 must not kill a serving webhook, their default action. */
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    /* libmicrohttpd suppresses SIGPIPE on its sockets; this covers everything else. */
    signal(SIGPIPE, SIG_IGN);

    raise_fd_limit(&cfg->policy->limits);
    sl_alloc_tune_for_server();
    struct sl_error err = {0};
    struct sl_server *srv = NULL;
    if (sl_server_start(cfg, &srv, &err) != SL_OK) {
        /* In the log's format, so a collector sees why the pod is crash-looping. */
        char msg[1024];
        sl_error_format(&err, msg, sizeof(msg));
        sl_log_errorx("cannot serve: %s", msg);
        return SL_EXIT_ERROR;
    }
    sl_metrics_policy_loaded();
    struct reload rl = {.srv = srv, .path = policy_path, .started = cfg->policy->limits};
    rl.certs = serve_certs_new(srv, cfg->cert_file, cfg->key_file, cfg->client_ca_file);
    int sig = serve_until_stopped(&set, &rl);
    const struct sl_limits *lim = &rl.started;
    sl_log_info("%s: draining (delay %u s, then up to %u s for open connections)",
                sig == SIGINT ? "SIGINT" : "SIGTERM", lim->shutdown_delay_s, lim->drain_timeout_s);
    sl_server_begin_drain(srv);
    if (wait_signal(&set, lim->shutdown_delay_s))
        sl_log_info("second signal: skipping the rest of the shutdown delay");
    sl_server_stop(srv, lim->drain_timeout_s);
    /* Not before: closing an inotify descriptor can take tens of milliseconds. */
    serve_certs_free(rl.certs);
    sl_server_free(srv);
    sl_log_info("stopped");
    return SL_EXIT_OK;
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"cert", required_argument, NULL, 'c'},
        {"key", required_argument, NULL, 'k'},
        {"client-ca", required_argument, NULL, 'a'},
        {"policy", required_argument, NULL, 'p'},
        {"threads", required_argument, NULL, 't'},
        {"log-format", required_argument, NULL, 'f'},
        {"log-level", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct sl_server_config cfg = {
        .listen = "0.0.0.0:8443",
        .cert_file = "certs/tls.crt",
        .key_file = "certs/tls.key",
        .threads = 0, /* from the usable CPUs, once --log-level is known */
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
        case 'f': {
            enum sl_log_format fmt;
            if (sl_log_parse_format(optarg, &fmt) != SL_OK)
                return cli_usage(&cli_serve, stderr, "--log-format wants json or text, not %s",
                                 optarg);
            sl_log_set_format(fmt);
            break;
        }
        case 'L': {
            enum sl_log_level level;
            if (sl_log_parse_level(optarg, &level) != SL_OK)
                return cli_usage(&cli_serve, stderr,
                                 "--log-level wants debug, info, warn or error, not %s", optarg);
            sl_log_set_level(level);
            break;
        }
        case 'h':
            return SL_EXIT_OK;
        default:
            return SL_EXIT_ERROR;
        }
    }
    if (optind < argc)
        return cli_usage(&cli_serve, stderr, "unexpected argument %s", argv[optind]);
    if (cfg.threads == 0)
        cfg.threads = default_threads();
    struct sl_policy *pol = cli_load_policy(policy_path);
    if (pol == NULL)
        return SL_EXIT_ERROR;
    cfg.policy = pol;
    cfg.inflight_body_bytes = fit_inflight(&pol->limits, sl_cgroup_memory_limit(""));
    if (sl_policy_find(pol, "default") == NULL)
        sl_log_warnx("the policy has no profile named \"default\": /validate answers 404; "
                     "reviews go to /validate/PROFILE");
    int status = run_server(&cfg, policy_path);
    sl_policy_free(pol);
    return status;
}

const struct cli_command cli_serve = {
    .name = "serve",
    .synopsis = "[--listen ADDR:PORT] [--cert FILE] [--key FILE] [--client-ca FILE]"
                " [--policy FILE] [--threads N] [--log-format json|text]"
                " [--log-level debug|info|warn|error]",
    .summary = "serve the admission webhook over TLS",
    .help = "  Defaults: --listen 0.0.0.0:8443 --cert certs/tls.crt --key certs/tls.key, the\n"
            "  embedded default policy, one thread per CPU the process may use (its affinity\n"
            "  mask and its cgroup's CPU quota, rounded up), --log-format json --log-level\n"
            "  info. --client-ca turns on mutual TLS. SIGTERM or SIGINT drains and stops:\n"
            "  /readyz answers 503 for the policy's limits.shutdownDelaySeconds, then open\n"
            "  connections get up to limits.drainTimeoutSeconds to finish.\n"
            "  Logs go to stderr, one line per event; every review answered is logged (its\n"
            "  request, user, profile, verdict and failed checks, never the object).\n"
            "  The --policy file is reloaded when it changes (its folder is watched, so a\n"
            "  mounted ConfigMap's update is seen) and on SIGHUP. Requests in flight finish on\n"
            "  the policy they started with; a file that does not load is logged and the\n"
            "  policy in force stays. Its limits take effect only after a restart.\n"
            "  The --cert, --key and --client-ca files are reloaded the same way (a mounted\n"
            "  Secret's update is seen) for the handshakes that follow; a pair whose key does\n"
            "  not match, or that is expired or not yet valid, is refused and the pair in force\n"
            "  stays. /readyz answers 503 once the certificate in force has expired; a warning\n"
            "  is logged from 30 days before.\n",
    .run = run,
};
