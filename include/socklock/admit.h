/* admit: which connections the server keeps when clients hold more than their share.
 *
 * libmicrohttpd's own limits are counts and a silence timeout; a client that trickles one
 * byte at a time, or connects and never sends a ClientHello, holds its slot for as long as
 * it likes and can renew it, and at the global cap new clients (the API server among them)
 * wait. This module keeps a table of the open connections and enforces what the counts
 * cannot:
 *
 * - a head deadline: a connection must deliver a complete request head (TLS handshake
 *   included, on a new connection) within `head_timeout_s` of being accepted, and a kept-
 *   alive one within `idle_timeout_s` of its last answer; trickled bytes do not move either
 *   deadline. A connection past its deadline while no request is in progress is closed
 *   (the request in progress has its own deadline in the server);
 * - a per-IP cap on open connections, well below the global one;
 * - at the global cap, room for the new connection: the oldest connection that has not yet
 *   completed a request gives way (it is closed); only when every open connection has been
 *   served at least once is the new one refused.
 *
 * Closing is shutdown(2) of the socket, which libmicrohttpd then sees as the peer leaving
 * and closes in its own thread. It is safe because libmicrohttpd tells us a connection is
 * closed (sl_admit_close()) before it closes the descriptor, and both run under the table's
 * lock: a descriptor in the table is never a reused one. */
#ifndef SOCKLOCK_ADMIT_H
#define SOCKLOCK_ADMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Why a connection was refused or closed early: the `reason` label of
 * socklock_connections_rejected_total. */
enum sl_admit_reason {
    SL_ADMIT_PER_IP,       /* over the per-IP cap: refused */
    SL_ADMIT_LIMIT,        /* at the global cap with every connection served: refused */
    SL_ADMIT_EVICTED,      /* not yet served, closed to make room for a new one */
    SL_ADMIT_HEAD_TIMEOUT, /* no complete request head in time */
    SL_ADMIT_NREASONS
};

struct sl_admit_limits {
    unsigned connections;        /* the global cap */
    unsigned per_ip_connections; /* the per-IP cap */
    unsigned head_timeout_s;     /* a new connection's first request head */
    unsigned idle_timeout_s;     /* the next request head on a kept-alive connection */
};

struct sl_admit;
struct sl_admit_conn;

/* Starts the table and its reaper thread. NULL when the thread cannot start. */
struct sl_admit *sl_admit_new(const struct sl_admit_limits *limits);

/* Stops the reaper and frees the table; every connection must have been closed. Accepts
 * NULL. */
void sl_admit_free(struct sl_admit *a);

/* A connection was accepted on socket fd from addr. Returns its entry, which the caller
 * keeps until sl_admit_close(); when the connection is refused the entry is returned too,
 * already shut down (libmicrohttpd closes it at its next read). */
struct sl_admit_conn *sl_admit_open(struct sl_admit *a, int fd, const struct sockaddr *addr);

/* The connection's request head is complete: a request is in progress. */
void sl_admit_request_begin(struct sl_admit *a, struct sl_admit_conn *c);

/* The connection's request is done (answered or not): the connection has been served and
 * its next head is due within the idle timeout. */
void sl_admit_request_end(struct sl_admit *a, struct sl_admit_conn *c);

/* libmicrohttpd is closing the connection: forget it. Accepts NULL. */
void sl_admit_close(struct sl_admit *a, struct sl_admit_conn *c);

/* Connections refused or closed early for `reason` since the start. */
unsigned long long sl_admit_rejected(const struct sl_admit *a, enum sl_admit_reason reason);

/* The label value of a reason ("per_ip", "limit", "evicted", "head_timeout"). */
const char *sl_admit_reason_name(enum sl_admit_reason reason);

/* Connections open now, and those of them not yet served. */
void sl_admit_counts(struct sl_admit *a, size_t *open, size_t *pending);

#endif
