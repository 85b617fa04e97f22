/* serve_certs: `serve` reloads its serving certificate, key and client CA when their files
 * change and on SIGHUP, and watches the expiry of the certificate in force.
 *
 * Reloads. The files are watched as the policy file is (watch.h): cert-manager writes a
 * Secret, and the kubelet updates the mounted volume by renaming a new `..data` symlink over
 * the old one, which changes where tls.crt and tls.key lead at the same instant. Once the
 * burst of events settles, the server's certificate store reads the files aside and checks
 * them (certstore.h, sl_server_reload_certs()): only a pair that passes is put in force, for
 * the handshakes that begin after it; a refused one (a key that does not match, a certificate
 * expired or not valid yet, a file that does not parse) is logged with the file and the
 * reason, and counted, while the pair in force keeps serving. Files replaced one by one
 * outside a Secret may be seen half done (a new certificate with the old key); that reload is
 * refused, and the one after the second file succeeds.
 *
 * Expiry. From SERVE_CERTS_WARN_DAYS before its notAfter the certificate in force is warned
 * about at start, after each reload and once a day; the moment it expires is logged as well,
 * since /readyz answers 503 from then on (server.c). serve.c's poll loop times the checks
 * (serve_certs_timeout_ms()), so they need no thread or timer of their own. */
#include "serve_certs.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "socklock/alloc.h"
#include "socklock/log.h"
#include "socklock/watch.h"

#define DAY_S ((time_t)24 * 60 * 60)

struct serve_certs {
    struct sl_server *srv;
    struct sl_watch *watch; /* NULL: reloads on SIGHUP only */
    char *cert;             /* the certificate's path, for the log */
    time_t next_check;      /* of the expiry */
};

/* t as "YYYY-MM-DDTHH:MM:SSZ". */
static void format_time(time_t t, char *out, size_t size)
{
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, size, "%lld", (long long)t);
}

/* The next expiry check: in a day, or sooner when the warning period begins or the
 * certificate expires before that. */
static void schedule(struct serve_certs *sc, time_t now, time_t not_after)
{
    time_t next = now + DAY_S;
    time_t warn_from = not_after - SERVE_CERTS_WARN_DAYS * DAY_S;
    if (warn_from > now && warn_from < next)
        next = warn_from;
    if (not_after >= now && not_after + 1 < next)
        next = not_after + 1;
    sc->next_check = next;
}

static void check_expiry(struct serve_certs *sc)
{
    struct sl_certstore_info info;
    sl_server_cert_info(sc->srv, &info);
    time_t now = time(NULL);
    char until[32];
    format_time(info.not_after, until, sizeof(until));
    if (now > info.not_after)
        sl_log_warnx("the certificate in force (serial %s) expired at %s: /readyz answers 503 "
                     "until a valid one is loaded",
                     info.serial, until);
    else if (info.not_after - now <= SERVE_CERTS_WARN_DAYS * DAY_S)
        sl_log_warnx("the certificate in force (serial %s) expires at %s, in %.1f days: renew "
                     "it",
                     info.serial, until, (double)(info.not_after - now) / (double)DAY_S);
    schedule(sc, now, info.not_after);
}

struct serve_certs *serve_certs_new(struct sl_server *srv, const char *cert, const char *key,
                                    const char *client_ca)
{
    struct serve_certs *sc = sl_xcalloc(1, sizeof(*sc));
    sc->srv = srv;
    sc->cert = sl_xstrdup(cert);
    struct sl_certstore_info info;
    sl_server_cert_info(srv, &info);
    char until[32];
    format_time(info.not_after, until, sizeof(until));
    sl_log_info("serving certificate %s: serial %s for %s, valid until %s", cert, info.serial,
                info.dns_name, until);
    check_expiry(sc);

    const char *paths[] = {cert, key, client_ca};
    size_t n = client_ca != NULL ? 3 : 2;
    struct sl_error err = {0};
    if (sl_watch_new(paths, n, SL_WATCH_SETTLE_MS, &sc->watch, &err) != SL_OK) {
        char msg[1024];
        sl_error_format(&err, msg, sizeof(msg));
        sl_log_warnx("%s: certificate changes will not be noticed, reload with SIGHUP: %s", cert,
                     msg);
        sc->watch = NULL;
    } else {
        sl_log_info("reloading the certificate when %s or %s%s%s changes, or on SIGHUP", cert, key,
                    client_ca != NULL ? " or " : "", client_ca != NULL ? client_ca : "");
    }
    return sc;
}

int serve_certs_fd(const struct serve_certs *sc)
{
    return sc->watch != NULL ? sl_watch_fd(sc->watch) : -1;
}

int serve_certs_timeout_ms(const struct serve_certs *sc)
{
    time_t now = time(NULL);
    /* At most a day away (schedule()), so it fits an int. */
    long long ms = sc->next_check > now ? (long long)(sc->next_check - now) * 1000 : 0;
    int w = sc->watch != NULL ? sl_watch_timeout_ms(sc->watch) : -1;
    return w >= 0 && w < ms ? w : (int)ms;
}

void serve_certs_run(struct serve_certs *sc, bool readable)
{
    if (sc->watch != NULL) {
        if (readable)
            sl_watch_read(sc->watch);
        if (sl_watch_take(sc->watch) != 0)
            serve_certs_reload(sc, "certificate files changed");
    }
    if (time(NULL) >= sc->next_check)
        check_expiry(sc);
}

void serve_certs_reload(struct serve_certs *sc, const char *why)
{
    struct sl_error err = {0};
    struct sl_certstore_info info;
    enum sl_status rc = sl_server_reload_certs(sc->srv, &info, &err);
    char until[32];
    format_time(info.not_after, until, sizeof(until));
    if (rc != SL_OK) {
        char msg[1024];
        sl_error_format(&err, msg, sizeof(msg));
        sl_log_warnx("%s: certificate reload refused, the certificate in force stays (serial %s, "
                     "valid until %s): %s",
                     why, info.serial, until, msg);
        return;
    }
    sl_log_info("%s: certificate reloaded from %s: serial %s for %s, valid until %s", why, sc->cert,
                info.serial, info.dns_name, until);
    check_expiry(sc);
}

void serve_certs_free(struct serve_certs *sc)
{
    if (sc == NULL)
        return;
    sl_watch_free(sc->watch);
    free(sc->cert);
    free(sc);
}
