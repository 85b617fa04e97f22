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

Suite *suite_server(void)
{
    Suite *s = suite_create("server");
    TCase *tc = tcase_create("server");
    tcase_add_test(tc, test_server_parse_timeout);
    suite_add_tcase(s, tc);
    return s;
}
