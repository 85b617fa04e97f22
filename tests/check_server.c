/* server: the pure helpers of the server module (the daemon itself is exercised by
 * tests/integration). */
#include <check.h>

#include "socklock/server.h"

START_TEST(test_server_parse_timeout)
{
    /* The API server sends ?timeout=Ns; garbage is ignored, the deadline capped. */
    static const struct {
        const char *in;
        unsigned want;
    } cases[] = {
        {"1s", 1},   {"5s", 5},  {"10s", 10},   {"30s", 10}, {"0s", 10},
        {"abc", 10}, {"", 10},   {NULL, 10},    {"-1s", 10}, {"99999999999s", 10},
        {"3", 10},   {"2m", 10}, {"1500ms", 2}, {"1s ", 10}, {"99999999999999999999999s", 10},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_msg(sl_server_parse_timeout(cases[i].in, SL_SERVER_MAX_DEADLINE_S) ==
                          cases[i].want,
                      "\"%s\"", cases[i].in ? cases[i].in : "(null)");
}
END_TEST

Suite *suite_server(void); /* collected into the runner by the Makefile */

/* The in-flight budget serve fits to a container's memory limit (docs/admission.md,
 * "Memory"): the default limits in deploy/'s 256Mi keep the default 64 MiB; 200Mi leaves
 * less; 128Mi cannot hold the worst case and keeps one largest body, saying so; a budget the
 * policy set, or no memory limit, stands. */
START_TEST(test_server_fit_inflight)
{
    struct sl_limits l = {.max_body_bytes = (size_t)7 << 20,
                          .inflight_body_bytes = (size_t)64 << 20,
                          .connections = 1024};
    const size_t mib = (size_t)1 << 20;
    bool short_of_memory = true;
    ck_assert_uint_eq(sl_server_fit_inflight(&l, 256 * mib, &short_of_memory), 64 * mib);
    ck_assert(!short_of_memory);
    size_t besides = sl_server_memory_besides_bodies(&l);
    ck_assert_uint_eq(besides, 12 * mib + 18 * 7 * mib + 20 * 1024 * 1024);
    size_t want = 200 * mib - 20 * mib - besides;
    ck_assert_uint_eq(sl_server_fit_inflight(&l, 200 * mib, &short_of_memory), want);
    ck_assert(!short_of_memory);
    ck_assert_uint_eq(sl_server_fit_inflight(&l, 128 * mib, &short_of_memory), 7 * mib);
    ck_assert(short_of_memory);
    ck_assert_uint_eq(sl_server_fit_inflight(&l, 0, &short_of_memory), 0);
    ck_assert(!short_of_memory);
    l.inflight_set = true;
    ck_assert_uint_eq(sl_server_fit_inflight(&l, 128 * mib, &short_of_memory), 0);
    ck_assert(!short_of_memory);
}
END_TEST

Suite *suite_server(void)
{
    Suite *s = suite_create("server");
    TCase *tc = tcase_create("server");
    tcase_add_test(tc, test_server_parse_timeout);
    tcase_add_test(tc, test_server_fit_inflight);
    suite_add_tcase(s, tc);
    return s;
}
