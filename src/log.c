/* log: leveled logging to stderr, OpenBSD style: sl_log_warn appends strerror(errno),
 * sl_log_warnx does not. Only the outer modules (server, cli, manifest) log. */
#include "socklock/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum sl_log_level min_level = SL_LOG_INFO;

void sl_log_set_level(enum sl_log_level level)
{
    min_level = level;
}

static void vlog(enum sl_log_level level, const char *tag, const char *suffix, const char *fmt,
                 va_list ap) SL_PRINTF(4, 0);

static void vlog(enum sl_log_level level, const char *tag, const char *suffix, const char *fmt,
                 va_list ap)
{
    if (level < min_level)
        return;
    char msg[1024];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    /* One fprintf per line keeps lines from different threads whole. */
    fprintf(stderr, "%s.%03ldZ %s %s%s%s\n", when, ts.tv_nsec / 1000000, tag, msg,
            suffix ? ": " : "", suffix ? suffix : "");
}

void sl_log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(SL_LOG_INFO, "info", NULL, fmt, ap);
    va_end(ap);
}

void sl_log_debug(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(SL_LOG_DEBUG, "debug", NULL, fmt, ap);
    va_end(ap);
}

void sl_log_warn(const char *fmt, ...)
{
    char e[128];
    int saved = errno;
    snprintf(e, sizeof(e), "%s", strerror(saved));
    va_list ap;
    va_start(ap, fmt);
    vlog(SL_LOG_WARN, "warn", e, fmt, ap);
    va_end(ap);
}

void sl_log_warnx(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(SL_LOG_WARN, "warn", NULL, fmt, ap);
    va_end(ap);
}
