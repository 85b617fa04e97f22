/* fuzz_json: bytes -> sl_json_parse, differential against jansson's json_loadb through the oracle
 * in json_diff.h: both must accept or reject alike and, when they accept, build the same
 * value with the same types and bit-identical reals. Any disagreement aborts. Inputs of odd
 * length are parsed inside socklock's request arena (alloc.h), where the server will parse,
 * so that its allocators are exercised too. Build: clang -g -O1 -fsanitize=fuzzer,address,undefined
 * -Iinclude -Itests $(pkg-config --cflags jansson) tests/fuzz/fuzz_json.c src/json.c
 * src/alloc.c $(pkg-config --libs jansson) -lpthread */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "json_diff.h"
#include "socklock/alloc.h"
#include "socklock/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        sl_alloc_init();
        ready = 1;
    }
    bool arena = size % 2 == 1;
    if (arena)
        sl_arena_begin();
    char why[512];
    if (jd_compare((const char *)data, size, why, sizeof(why)) == JD_DISAGREE) {
        fprintf(stderr, "fuzz_json: %s\n", why);
        abort();
    }
    if (arena)
        sl_arena_end();
    return 0;
}
