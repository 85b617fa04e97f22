/* admit: the connection table behind the server's admission rules (admit.h says what they
 * are and why closing by shutdown(2) is safe). One mutex guards the table; every operation
 * is a short walk of a list of at most `connections` + the daemon's slack entries, kept in
 * the order the connections were accepted, so the first unserved entry is the oldest one.
 * A reaper thread wakes ten times a second to close the connections past their deadline. */
#include "socklock/admit.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "socklock/alloc.h"

#define REAP_INTERVAL_NS 100000000L /* 100 ms */

struct sl_admit_conn {
    struct sl_admit_conn *prev, *next;
    int fd;
    unsigned char ip[16]; /* IPv4 as its v4-mapped IPv6 form */
    struct timespec due;  /* the next request head is due by then, unless in_request */
    bool served;          /* at least one request completed */
    bool in_request;
    bool shut; /* shut down by us: closing, no longer counted against the caps */
};

struct sl_admit {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t reaper;
    bool stopping;
    struct sl_admit_limits limits;
    struct sl_admit_conn *head, *tail; /* in accept order */
    size_t open;                       /* entries not shut */
    atomic_ullong rejected[SL_ADMIT_NREASONS];
};

static const char *const reason_names[SL_ADMIT_NREASONS] = {"per_ip", "limit", "evicted",
                                                            "head_timeout"};

const char *sl_admit_reason_name(enum sl_admit_reason reason)
{
    return reason < SL_ADMIT_NREASONS ? reason_names[reason] : "unknown";
}

static struct timespec mono_after(unsigned seconds)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += (time_t)seconds;
    return t;
}

static bool due_passed(const struct timespec *due, const struct timespec *now)
{
    return now->tv_sec > due->tv_sec || (now->tv_sec == due->tv_sec && now->tv_nsec > due->tv_nsec);
}

static void ip_key(const struct sockaddr *addr, unsigned char out[16])
{
    memset(out, 0, 16);
    if (addr == NULL)
        return;
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)addr;
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &in->sin_addr, 4);
    } else if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)addr;
        memcpy(out, &in6->sin6_addr, 16);
    }
}

/* Closes c early for `why`: shut down now, unlinked when libmicrohttpd says it closed. Called
 * with the lock held. */
static void shut(struct sl_admit *a, struct sl_admit_conn *c, enum sl_admit_reason why)
{
    if (c->shut)
        return;
    c->shut = true;
    a->open--;
    (void)shutdown(c->fd, SHUT_RDWR);
    atomic_fetch_add(&a->rejected[why], 1);
}

static void *reap(void *arg)
{
    struct sl_admit *a = arg;
    pthread_mutex_lock(&a->lock);
    while (!a->stopping) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        for (struct sl_admit_conn *c = a->head; c != NULL; c = c->next)
            if (!c->shut && !c->in_request && due_passed(&c->due, &now))
                shut(a, c, SL_ADMIT_HEAD_TIMEOUT);
        now.tv_nsec += REAP_INTERVAL_NS;
        if (now.tv_nsec >= 1000000000L) {
            now.tv_sec++;
            now.tv_nsec -= 1000000000L;
        }
        (void)pthread_cond_timedwait(&a->wake, &a->lock, &now);
    }
    pthread_mutex_unlock(&a->lock);
    return NULL;
}

struct sl_admit *sl_admit_new(const struct sl_admit_limits *limits)
{
    struct sl_admit *a = sl_xcalloc(1, sizeof(*a));
    a->limits = *limits;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&a->wake, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&a->lock, NULL);
    for (size_t i = 0; i < SL_ADMIT_NREASONS; i++)
        atomic_init(&a->rejected[i], 0);
    if (pthread_create(&a->reaper, NULL, reap, a) != 0) {
        pthread_cond_destroy(&a->wake);
        pthread_mutex_destroy(&a->lock);
        free(a);
        return NULL;
    }
    return a;
}

void sl_admit_free(struct sl_admit *a)
{
    if (a == NULL)
        return;
    pthread_mutex_lock(&a->lock);
    a->stopping = true;
    pthread_cond_signal(&a->wake);
    pthread_mutex_unlock(&a->lock);
    pthread_join(a->reaper, NULL);
    while (a->head != NULL) { /* none unless the daemon was not stopped */
        struct sl_admit_conn *next = a->head->next;
        free(a->head);
        a->head = next;
    }
    pthread_cond_destroy(&a->wake);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

struct sl_admit_conn *sl_admit_open(struct sl_admit *a, int fd, const struct sockaddr *addr)
{
    struct sl_admit_conn *c = sl_xcalloc(1, sizeof(*c));
    c->fd = fd;
    ip_key(addr, c->ip);
    c->due = mono_after(a->limits.head_timeout_s);
    pthread_mutex_lock(&a->lock);
    c->prev = a->tail;
    if (a->tail != NULL)
        a->tail->next = c;
    else
        a->head = c;
    a->tail = c;
    a->open++;
    size_t same_ip = 0;
    struct sl_admit_conn *oldest_pending = NULL;
    for (struct sl_admit_conn *o = a->head; o != c; o = o->next) {
        if (o->shut)
            continue;
        same_ip += memcmp(o->ip, c->ip, 16) == 0;
        if (oldest_pending == NULL && !o->served && !o->in_request)
            oldest_pending = o;
    }
    if (same_ip >= a->limits.per_ip_connections) {
        shut(a, c, SL_ADMIT_PER_IP);
    } else if (a->open > a->limits.connections) {
        if (oldest_pending != NULL)
            shut(a, oldest_pending, SL_ADMIT_EVICTED);
        else
            shut(a, c, SL_ADMIT_LIMIT);
    }
    pthread_mutex_unlock(&a->lock);
    return c;
}

void sl_admit_request_begin(struct sl_admit *a, struct sl_admit_conn *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&a->lock);
    c->in_request = true;
    pthread_mutex_unlock(&a->lock);
}

void sl_admit_request_end(struct sl_admit *a, struct sl_admit_conn *c)
{
    if (c == NULL)
        return;
    struct timespec due = mono_after(a->limits.idle_timeout_s);
    pthread_mutex_lock(&a->lock);
    c->in_request = false;
    c->served = true;
    c->due = due;
    pthread_mutex_unlock(&a->lock);
}

void sl_admit_close(struct sl_admit *a, struct sl_admit_conn *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&a->lock);
    if (!c->shut)
        a->open--;
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        a->head = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    else
        a->tail = c->prev;
    pthread_mutex_unlock(&a->lock);
    free(c);
}

unsigned long long sl_admit_rejected(const struct sl_admit *a, enum sl_admit_reason reason)
{
    if (a == NULL || reason >= SL_ADMIT_NREASONS)
        return 0;
    return atomic_load(&a->rejected[reason]);
}

void sl_admit_counts(struct sl_admit *a, size_t *open, size_t *pending)
{
    size_t o = 0, p = 0;
    pthread_mutex_lock(&a->lock);
    for (struct sl_admit_conn *c = a->head; c != NULL; c = c->next) {
        if (c->shut)
            continue;
        o++;
        p += !c->served && !c->in_request;
    }
    pthread_mutex_unlock(&a->lock);
    *open = o;
    *pending = p;
}
