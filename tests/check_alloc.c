/* Allocation: the per-request arena that jansson allocates from while a review is answered. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "socklock/alloc.h"
#include "testutil.h"

START_TEST(test_alloc_arena_serves_jansson_and_takes_all_back)
{
    for (int round = 0; round < 3; round++) {
        sl_arena_begin();
        ck_assert_uint_eq(sl_arena_used(), 0);
        json_t *big = json_array();
        /* Far past one chunk, so extra chunks are made and given back at the end. */
        for (int i = 0; i < 20000; i++)
            json_array_append_new(big, json_pack("{s:i, s:s}", "n", i, "s", "some text"));
        ck_assert_uint_gt(sl_arena_used(), 256u << 10);
        json_t *copy = json_deep_copy(big);
        ck_assert(json_equal(big, copy));
        json_decref(copy); /* frees inside the arena cost nothing and are allowed */
        json_decref(big);
        sl_arena_end();
        ck_assert_uint_eq(sl_arena_used(), 0);
    }
}
END_TEST

START_TEST(test_alloc_arena_allocations_are_aligned)
{
    sl_arena_begin();
    for (size_t n = 1; n < 100; n++) {
        char *s =
            json_dumps(json_integer((json_int_t)n), JSON_ENCODE_ANY); /* leaks into the arena */
        ck_assert_ptr_nonnull(s);
        ck_assert_uint_eq((uintptr_t)s % 16, 0);
    }
    sl_arena_end();
}
END_TEST

START_TEST(test_alloc_values_from_before_the_arena_may_be_released_inside)
{
    json_t *outside = json_pack("{s:[i,i,i]}", "a", 1, 2, 3);
    sl_arena_begin();
    json_t *inside = json_pack("{s:O}", "outer", outside);
    json_decref(outside); /* now owned by `inside` */
    json_decref(inside);  /* releases `outside` with free(), not the arena */
    sl_arena_end();
    /* And without an arena, jansson uses the heap as usual: a value made between two arenas
     * outlives both, though the second one reuses the memory of the first. */
    json_t *v = json_string("made on the heap");
    for (int round = 0; round < 2; round++) {
        sl_arena_begin();
        for (int i = 0; i < 1000; i++)
            json_string("arena filler, arena filler"); /* taken back by sl_arena_end() */
        sl_arena_end();
    }
    ck_assert_str_eq(json_string_value(v), "made on the heap");
    json_decref(v);
}
END_TEST

Suite *suite_alloc(void); /* for the runner; see run_units.c */

Suite *suite_alloc(void)
{
    Suite *s = suite_create("alloc");
    TCase *tc = tcase_create("arena");
    tcase_add_test(tc, test_alloc_arena_serves_jansson_and_takes_all_back);
    tcase_add_test(tc, test_alloc_arena_allocations_are_aligned);
    tcase_add_test(tc, test_alloc_values_from_before_the_arena_may_be_released_inside);
    suite_add_tcase(s, tc);
    return s;
}
