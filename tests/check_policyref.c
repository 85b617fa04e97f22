/* policyref: the holder of the policy in force. A reference keeps its policy across swaps; a
 * swapped-out policy is freed by its last release (a missing free is a leak and an early one
 * a use after free, both of which ASan and valgrind report when these tests run under them:
 * `make test SANITIZE=1`, `make valgrind`). */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "socklock/policy.h"
#include "socklock/policyref.h"

extern Suite *suite_policyref(void);

static struct sl_policy *named(const char *name)
{
    return sl_policy_new_plain(name, SL_LEVEL_BASELINE, SL_VERSION_LATEST);
}

/* The name of the one profile of a policy made by named(). */
static const char *name_of(const struct sl_policyref *ref)
{
    const struct sl_policy *pol = sl_policyref_policy(ref);
    ck_assert_uint_eq(pol->nprofiles, 1);
    return pol->profiles[0].name;
}

START_TEST(test_policyref_reference_outlives_swap)
{
    struct sl_policyref_holder *h = sl_policyref_holder_new_take(named("a"));
    struct sl_policyref *ra = sl_policyref_acquire(h);
    struct sl_policyref *ra2 = sl_policyref_acquire(h);
    ck_assert_str_eq(name_of(ra), "a");
    sl_policyref_swap(h, named("b"));
    /* Taken before the swap: still "a", and whole. */
    ck_assert_str_eq(name_of(ra), "a");
    ck_assert_ptr_nonnull(sl_policy_find(sl_policyref_policy(ra), "a"));
    struct sl_policyref *rb = sl_policyref_acquire(h);
    ck_assert_str_eq(name_of(rb), "b");
    sl_policyref_release(ra);
    /* One reference to "a" is left: it must still be readable. */
    ck_assert_str_eq(name_of(ra2), "a");
    sl_policyref_release(ra2); /* the last one: "a" is freed here */
    ck_assert_str_eq(name_of(rb), "b");
    sl_policyref_release(rb);
    sl_policyref_holder_free(h); /* and "b" here */
}
END_TEST

START_TEST(test_policyref_swap_without_references_frees_at_once)
{
    struct sl_policyref_holder *h = sl_policyref_holder_new_take(named("p0"));
    char name[16];
    for (int i = 1; i <= 100; i++) {
        snprintf(name, sizeof(name), "p%d", i);
        sl_policyref_swap(h, named(name));
    }
    struct sl_policyref *r = sl_policyref_acquire(h);
    ck_assert_str_eq(name_of(r), "p100");
    sl_policyref_release(r);
    sl_policyref_holder_free(h);
}
END_TEST

START_TEST(test_policyref_borrowed_initial_policy_is_not_freed)
{
    /* As the server takes sl_server_config.policy: borrowed, the caller frees it. */
    struct sl_policy *initial = named("initial");
    struct sl_policyref_holder *h = sl_policyref_holder_new(initial);
    struct sl_policyref *r = sl_policyref_acquire(h);
    ck_assert_ptr_eq(sl_policyref_policy(r), initial);
    sl_policyref_swap(h, named("next"));
    sl_policyref_release(r);
    /* Swapped out and released, yet still the caller's. */
    ck_assert_str_eq(initial->profiles[0].name, "initial");
    sl_policyref_holder_free(h);
    sl_policy_free(initial);
}
END_TEST

START_TEST(test_policyref_reference_outlives_holder)
{
    struct sl_policyref_holder *h = sl_policyref_holder_new_take(named("a"));
    struct sl_policyref *r = sl_policyref_acquire(h);
    sl_policyref_holder_free(h);
    ck_assert_str_eq(name_of(r), "a");
    sl_policyref_release(r);
    sl_policyref_release(NULL);
    sl_policyref_holder_free(NULL);
}
END_TEST

/* Readers take, read and release references while the main thread swaps policies in. Each
 * policy's name is its generation; a reader checks that the policy it holds stays the same
 * while it holds it, and that generations never go backwards between its acquisitions. */
#define READERS 4
#define SWAPS   500

struct reader {
    pthread_t thread;
    struct sl_policyref_holder *h;
    atomic_bool *done;
    atomic_ulong reads;
    bool ok;
};

static long generation(const struct sl_policyref *ref)
{
    const struct sl_policy *pol = sl_policyref_policy(ref);
    return pol->nprofiles == 1 ? strtol(pol->profiles[0].name + 1, NULL, 10) : -1;
}

static void *read_loop(void *arg)
{
    struct reader *rd = arg;
    long last = 0;
    rd->ok = true;
    while (!atomic_load(rd->done)) {
        struct sl_policyref *r = sl_policyref_acquire(rd->h);
        long g = generation(r);
        sched_yield(); /* let a swap happen while the reference is held */
        if (g < last || generation(r) != g)
            rd->ok = false;
        last = g;
        sl_policyref_release(r);
        atomic_fetch_add(&rd->reads, 1);
    }
    return NULL;
}

START_TEST(test_policyref_concurrent_acquire_and_swap)
{
    struct sl_policyref_holder *h = sl_policyref_holder_new_take(named("g0"));
    atomic_bool done = false;
    struct reader rd[READERS];
    for (int i = 0; i < READERS; i++) {
        rd[i] = (struct reader){.h = h, .done = &done};
        ck_assert_int_eq(pthread_create(&rd[i].thread, NULL, read_loop, &rd[i]), 0);
    }
    char name[16];
    /* On a loaded machine the readers may start late: swap until each has read while the
     * swaps went on, and at least SWAPS times. */
    int g = 0;
    for (bool all_read = false; g < SWAPS || !all_read;) {
        g++;
        snprintf(name, sizeof(name), "g%d", g);
        sl_policyref_swap(h, named(name));
        sched_yield();
        all_read = true;
        for (int i = 0; i < READERS; i++)
            all_read = all_read && atomic_load(&rd[i].reads) > 0;
    }
    atomic_store(&done, true);
    unsigned long reads = 0;
    for (int i = 0; i < READERS; i++) {
        pthread_join(rd[i].thread, NULL);
        ck_assert_msg(rd[i].ok, "reader %d saw its policy change or go back", i);
        reads += atomic_load(&rd[i].reads);
    }
    ck_assert_uint_gt(reads, 0);
    struct sl_policyref *r = sl_policyref_acquire(h);
    ck_assert_int_eq(generation(r), g);
    sl_policyref_release(r);
    sl_policyref_holder_free(h);
}
END_TEST

Suite *suite_policyref(void)
{
    Suite *s = suite_create("policyref");
    TCase *tc = tcase_create("policyref");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_policyref_reference_outlives_swap);
    tcase_add_test(tc, test_policyref_swap_without_references_frees_at_once);
    tcase_add_test(tc, test_policyref_borrowed_initial_policy_is_not_freed);
    tcase_add_test(tc, test_policyref_reference_outlives_holder);
    tcase_add_test(tc, test_policyref_concurrent_acquire_and_swap);
    suite_add_tcase(s, tc);
    return s;
}
