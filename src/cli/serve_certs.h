/* serve_certs: what `serve` does about its certificate while it runs (serve_certs.c). Private
 * to the cli module. */
#ifndef SOCKLOCK_SERVE_CERTS_H
#define SOCKLOCK_SERVE_CERTS_H

#include <stdbool.h>

#include "socklock/server.h"

/* Days before its notAfter from which the certificate in force is warned about. */
#define SERVE_CERTS_WARN_DAYS 30

struct serve_certs;

/* Logs the certificate srv serves, warns when it expires within SERVE_CERTS_WARN_DAYS, and
 * starts watching the files it came from: cert and key, and client_ca unless NULL (borrowed
 * for the call). When they cannot be watched it says so and reloads on SIGHUP only. Borrows
 * srv, which must outlive the result. Caller frees with serve_certs_free(). */
struct serve_certs *serve_certs_new(struct sl_server *srv, const char *cert, const char *key,
                                    const char *client_ca);

/* The descriptor to poll for input, or -1 when the files are not watched. */
int serve_certs_fd(const struct serve_certs *sc);

/* How long the caller's poll() may wait before calling serve_certs_run(), in milliseconds:
 * until a burst of file events settles, or until the next expiry check (at most a day). */
int serve_certs_timeout_ms(const struct serve_certs *sc);

/* Call after each poll(): `readable` when serve_certs_fd() had input. Reloads the pair once
 * a change to its files has settled, and checks its expiry when that is due. */
void serve_certs_run(struct serve_certs *sc, bool readable);

/* Reloads the pair now; `why` names the trigger in the log ("SIGHUP"). */
void serve_certs_reload(struct serve_certs *sc, const char *why);

/* Stops watching. Accepts NULL. */
void serve_certs_free(struct serve_certs *sc);

#endif
