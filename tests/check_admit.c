/* admit: the connection table. Each connection is one end of a socketpair, so a connection
 * the table closes is seen as the other end reading end-of-file, as a client would: the
 * per-IP cap refuses the connection over it, at the global cap the oldest connection not yet
 * served gives way (a served one never does, and when all are served the newcomer is
 * refused), a head not complete by its deadline closes the connection, trickling does not
 * help, a request in progress is never closed by the table, and every closing is counted
 * under its reason. */
#define _DEFAULT_SOURCE /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c): usleep */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>

#include "socklock/admit.h"

extern Suite *suite_admit(void);

#define MAXC 16

struct peer {
    int ours, theirs; /* the table's end, the client's end */
    struct sl_admit_conn *entry;
};

static struct sockaddr_in addr_of(const char *ip)
{
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(40000)};
    ck_assert_int_eq(inet_pton(AF_INET, ip, &in.sin_addr), 1);
    return in;
}

static void open_peer(struct sl_admit *a, struct peer *p, const char *ip)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    p->ours = sv[0];
    p->theirs = sv[1];
    struct sockaddr_in in = addr_of(ip);
    p->entry = sl_admit_open(a, p->ours, (const struct sockaddr *)&in);
    ck_assert_ptr_nonnull(p->entry);
}

/* The client sees its connection closed (end-of-file) within wait_ms. */
static bool closed(const struct peer *p, int wait_ms)
{
    struct pollfd pf = {.fd = p->theirs, .events = POLLIN};
    if (poll(&pf, 1, wait_ms) <= 0)
        return false;
    char c;
    return recv(p->theirs, &c, 1, MSG_DONTWAIT) == 0;
}

static void close_peer(struct sl_admit *a, struct peer *p)
{
    sl_admit_close(a, p->entry);
    close(p->ours);
    close(p->theirs);
}

static struct sl_admit *table(unsigned conns, unsigned per_ip, unsigned head_s)
{
    struct sl_admit_limits l = {.connections = conns,
                                .per_ip_connections = per_ip,
                                .head_timeout_s = head_s,
                                .idle_timeout_s = head_s};
    struct sl_admit *a = sl_admit_new(&l);
    ck_assert_ptr_nonnull(a);
    return a;
}

START_TEST(test_admit_per_ip_cap_refuses_the_one_over_it)
{
    struct sl_admit *a = table(MAXC, 2, 60);
    struct peer p[4];
    open_peer(a, &p[0], "127.0.0.1");
    open_peer(a, &p[1], "127.0.0.1");
    open_peer(a, &p[2], "127.0.0.1");
    open_peer(a, &p[3], "127.0.0.2");
    ck_assert(closed(&p[2], 1000));
    ck_assert(!closed(&p[0], 0) && !closed(&p[1], 0) && !closed(&p[3], 0));
    ck_assert_uint_eq(sl_admit_rejected(a, SL_ADMIT_PER_IP), 1);
    /* Once one closes, the address may open another. */
    close_peer(a, &p[0]);
    close_peer(a, &p[2]);
    open_peer(a, &p[0], "127.0.0.1");
    ck_assert(!closed(&p[0], 0));
    for (size_t i = 0; i < 4; i++)
        if (i != 2)
            close_peer(a, &p[i]);
    sl_admit_free(a);
}
END_TEST

START_TEST(test_admit_at_the_cap_the_oldest_unserved_gives_way)
{
    struct sl_admit *a = table(3, MAXC, 60);
    struct peer p[5];
    open_peer(a, &p[0], "10.0.0.1"); /* served: stays */
    sl_admit_request_begin(a, p[0].entry);
    sl_admit_request_end(a, p[0].entry);
    open_peer(a, &p[1], "10.0.0.2"); /* unserved, oldest */
    open_peer(a, &p[2], "10.0.0.3"); /* in a request: stays */
    sl_admit_request_begin(a, p[2].entry);
    open_peer(a, &p[3], "10.0.0.4"); /* over the cap: p[1] gives way */
    ck_assert(closed(&p[1], 1000));
    ck_assert(!closed(&p[0], 0) && !closed(&p[2], 0) && !closed(&p[3], 0));
    ck_assert_uint_eq(sl_admit_rejected(a, SL_ADMIT_EVICTED), 1);
    /* p[3] is now the only unserved one; serve it, and a newcomer finds nobody to evict. */
    sl_admit_request_begin(a, p[3].entry);
    sl_admit_request_end(a, p[3].entry);
    open_peer(a, &p[4], "10.0.0.5");
    ck_assert(closed(&p[4], 1000));
    ck_assert_uint_eq(sl_admit_rejected(a, SL_ADMIT_LIMIT), 1);
    size_t open = 0, pending = 0;
    sl_admit_counts(a, &open, &pending);
    ck_assert_uint_eq(open, 3);
    ck_assert_uint_eq(pending, 0);
    for (size_t i = 0; i < 5; i++)
        close_peer(a, &p[i]);
    sl_admit_free(a);
}
END_TEST

START_TEST(test_admit_head_deadline_is_not_renewed_by_trickling)
{
    struct sl_admit *a = table(MAXC, MAXC, 1);
    struct peer slow, busy;
    open_peer(a, &slow, "127.0.0.3");
    open_peer(a, &busy, "127.0.0.4");
    sl_admit_request_begin(a, busy.entry); /* a request in progress has its own deadline */
    /* The slow client sends a byte every 200 ms; the table does not care. */
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(write(slow.theirs, "x", 1), 1);
        usleep(200000);
    }
    ck_assert(closed(&slow, 2000));
    ck_assert(!closed(&busy, 0));
    ck_assert_uint_eq(sl_admit_rejected(a, SL_ADMIT_HEAD_TIMEOUT), 1);
    /* Served, the connection's next head is due within the idle timeout. */
    sl_admit_request_end(a, busy.entry);
    ck_assert(closed(&busy, 3000));
    ck_assert_uint_eq(sl_admit_rejected(a, SL_ADMIT_HEAD_TIMEOUT), 2);
    close_peer(a, &slow);
    close_peer(a, &busy);
    sl_admit_free(a);
}
END_TEST

START_TEST(test_admit_reason_names_are_the_metric_labels)
{
    ck_assert_str_eq(sl_admit_reason_name(SL_ADMIT_PER_IP), "per_ip");
    ck_assert_str_eq(sl_admit_reason_name(SL_ADMIT_LIMIT), "limit");
    ck_assert_str_eq(sl_admit_reason_name(SL_ADMIT_EVICTED), "evicted");
    ck_assert_str_eq(sl_admit_reason_name(SL_ADMIT_HEAD_TIMEOUT), "head_timeout");
}
END_TEST

Suite *suite_admit(void)
{
    Suite *s = suite_create("admit");
    TCase *tc = tcase_create("admit");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_admit_per_ip_cap_refuses_the_one_over_it);
    tcase_add_test(tc, test_admit_at_the_cap_the_oldest_unserved_gives_way);
    tcase_add_test(tc, test_admit_head_deadline_is_not_renewed_by_trickling);
    tcase_add_test(tc, test_admit_reason_names_are_the_metric_labels);
    suite_add_tcase(s, tc);
    return s;
}
