/* In-process benchmark: what one request pays to hold the policy in force, an
 * sl_policyref_acquire() and its sl_policyref_release(), on one thread and on several at once
 * (all on the one holder, as the server's worker threads are), with and without swaps going
 * on. Prints figures; asserts nothing.
 *
 *   build/release/tests/policyref_bench [ITERATIONS] [THREADS]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "socklock/alloc.h"
#include "socklock/policy.h"
#include "socklock/policyref.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct run {
    struct sl_policyref_holder *h;
    long iterations;
    double seconds;
    size_t sink; /* keeps the reads from being optimised away */
};

static void *take_and_release(void *arg)
{
    struct run *r = arg;
    double t0 = now();
    for (long i = 0; i < r->iterations; i++) {
        struct sl_policyref *ref = sl_policyref_acquire(r->h);
        r->sink += sl_policyref_policy(ref)->nprofiles;
        sl_policyref_release(ref);
    }
    r->seconds = now() - t0;
    return NULL;
}

static atomic_bool stop_swapping;

static void *swap_loop(void *arg)
{
    struct sl_policyref_holder *h = arg;
    unsigned long swaps = 0;
    while (!atomic_load(&stop_swapping)) {
        sl_policyref_swap(h, sl_policy_new_default());
        swaps++;
        struct timespec ms = {.tv_sec = 0, .tv_nsec = 1000 * 1000};
        nanosleep(&ms, NULL); /* a reload every millisecond: far more than any real one */
    }
    printf("  (%lu swaps meanwhile)\n", swaps);
    return NULL;
}

/* Runs `threads` threads of `iterations` each; prints the mean cost of one pair. */
static void measure(struct sl_policyref_holder *h, long iterations, int threads, bool swapping)
{
    pthread_t t[64], swapper;
    struct run runs[64];
    atomic_store(&stop_swapping, false);
    if (swapping)
        pthread_create(&swapper, NULL, swap_loop, h);
    for (int i = 0; i < threads; i++) {
        runs[i] = (struct run){.h = h, .iterations = iterations};
        pthread_create(&t[i], NULL, take_and_release, &runs[i]);
    }
    double worst = 0;
    size_t sink = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        worst = runs[i].seconds > worst ? runs[i].seconds : worst;
        sink += runs[i].sink;
    }
    printf("policy reference, %d thread%s%s: %.1f ns per acquire and release (per thread; "
           "%ld pairs each)%s\n",
           threads, threads == 1 ? "" : "s", swapping ? ", swapped every ms" : "",
           worst / (double)iterations * 1e9, iterations, sink == 0 ? " (nothing read)" : "");
    if (swapping) {
        atomic_store(&stop_swapping, true);
        pthread_join(swapper, NULL);
    }
}

int main(int argc, char **argv)
{
    sl_alloc_init();
    long iterations = argc > 1 ? strtol(argv[1], NULL, 10) : 10000000;
    long threads = argc > 2 ? strtol(argv[2], NULL, 10) : 2;
    if (iterations <= 0)
        iterations = 10000000;
    if (threads < 1 || threads > 64)
        threads = 2;
    struct sl_policyref_holder *h = sl_policyref_holder_new_take(sl_policy_new_default());
    measure(h, iterations, 1, false);
    measure(h, iterations, (int)threads, false);
    measure(h, iterations / 10, (int)threads, true);
    sl_policyref_holder_free(h);
    return 0;
}
