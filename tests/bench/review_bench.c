/* In-process benchmark: how long sl_review_answer takes for one AdmissionReview, the work
 * the server does per request minus HTTP and TLS. Prints figures; asserts nothing.
 *
 *   build/release/tests/review_bench FILE [ITERATIONS] [validate|mutate]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"
#include "socklock/policy.h"
#include "socklock/review.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: review_bench FILE [ITERATIONS] [validate|mutate]\n");
        return 2;
    }
    sl_alloc_init();
    long iterations = argc > 2 ? strtol(argv[2], NULL, 10) : 20000;
    if (iterations <= 0)
        iterations = 20000;
    enum sl_endpoint ep =
        argc > 3 && strcmp(argv[3], "mutate") == 0 ? SL_EP_MUTATE : SL_EP_VALIDATE;
    struct sl_buf b;
    sl_buf_init(&b, 16u << 20);
    struct sl_error err = {0};
    if (sl_buf_load_file(&b, argv[1], &err) != SL_OK) {
        fprintf(stderr, "review_bench: %s: %s\n", argv[1], err.msg);
        return 2;
    }
    struct sl_policy *pol = sl_policy_new_default();
    const struct sl_profile *prof = sl_policy_find(pol, "default");
    struct sl_answer ans;
    sl_review_answer(prof, ep, b.data, b.len, &ans);
    int status = ans.http_status;
    int allowed = ans.allowed;
    size_t out_len = ans.len;
    sl_review_answer_cleanup(&ans);
    double t0 = now();
    for (long i = 0; i < iterations; i++) {
        /* As the server answers: inside the thread's arena. */
        sl_arena_begin();
        sl_review_answer(prof, ep, b.data, b.len, &ans);
        sl_arena_end();
        sl_review_answer_cleanup(&ans);
    }
    double dt = now() - t0;
    printf("%s /%s: %zu bytes in, HTTP %d, %s, %zu bytes out; %ld reviews in %.3f s: "
           "%.1f us per review, %.0f reviews/s on one thread\n",
           argv[1], ep == SL_EP_MUTATE ? "mutate" : "validate", b.len, status,
           allowed ? "allowed" : "denied", out_len, iterations, dt, dt / (double)iterations * 1e6,
           (double)iterations / dt);
    sl_policy_free(pol);
    sl_buf_cleanup(&b);
    return 0;
}
