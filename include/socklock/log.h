/* log: leveled logging to stderr (outer modules only; the core never logs). */
#ifndef SOCKLOCK_LOG_H
#define SOCKLOCK_LOG_H

#include "socklock/common.h"

enum sl_log_level { SL_LOG_DEBUG, SL_LOG_INFO, SL_LOG_WARN, SL_LOG_ERROR };

void sl_log_set_level(enum sl_log_level level);
void sl_log_info(const char *fmt, ...) SL_PRINTF(1, 2);
void sl_log_debug(const char *fmt, ...) SL_PRINTF(1, 2);
/* Appends ": strerror(errno)". */
void sl_log_warn(const char *fmt, ...) SL_PRINTF(1, 2);
/* Without errno. */
void sl_log_warnx(const char *fmt, ...) SL_PRINTF(1, 2);

#endif
