/* In-process benchmark: jansson's json_loadb against sl_json_parse on one file, each in the
 * request arena (as the server parses) and with plain malloc. Prints figures; asserts
 * nothing. Not part of the unit runner.
 *
 *   json_bench FILE [ITERATIONS] [both|jansson|sl]
 *
 * For instruction counts, which unlike times are stable on a busy machine:
 *   valgrind --tool=callgrind --toggle-collect=sl_json_parse json_bench FILE 100 sl
 * (or --toggle-collect=json_loadb with `jansson`) and divide by the iterations. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"
#include "socklock/json.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static json_t *parse(int which, const char *p, size_t n)
{
    if (which == 0)
        return json_loadb(p, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
    json_t *v = NULL;
    (void)sl_json_parse(p, n, 128, &v, NULL);
    return v;
}

/* Seconds per parse over `iterations`, inside the arena or not. */
static double run(int which, bool arena, const struct sl_buf *b, long iterations)
{
    double t0 = now();
    for (long i = 0; i < iterations; i++) {
        if (arena)
            sl_arena_begin();
        json_t *v = parse(which, b->data, b->len);
        if (v == NULL) {
            fprintf(stderr, "json_bench: parse failed\n");
            exit(2);
        }
        json_decref(v);
        if (arena)
            sl_arena_end();
    }
    return (now() - t0) / (double)iterations;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: json_bench FILE [ITERATIONS] [both|jansson|sl]\n");
        return 2;
    }
    sl_alloc_init();
    long iterations = argc > 2 ? strtol(argv[2], NULL, 10) : 2000;
    if (iterations <= 0)
        iterations = 2000;
    const char *which = argc > 3 ? argv[3] : "both";
    struct sl_buf b;
    sl_buf_init(&b, 64u << 20);
    struct sl_error err = {0};
    if (sl_buf_load_file(&b, argv[1], &err) != SL_OK) {
        fprintf(stderr, "json_bench: %s: %s\n", argv[1], err.msg);
        return 2;
    }
    if (strcmp(which, "both") != 0) {
        run(strcmp(which, "jansson") == 0 ? 0 : 1, true, &b, iterations);
        sl_buf_cleanup(&b);
        return 0;
    }
    double t[2][2];
    for (int w = 0; w < 2; w++) {
        for (int a = 0; a < 2; a++) {
            run(w, a, &b, iterations / 10 + 1); /* warm up */
            t[w][a] = run(w, a, &b, iterations);
        }
    }
    printf("%s: %zu bytes, %ld parses each: json_loadb %.1f us (arena) %.1f us (malloc), "
           "sl_json_parse %.1f us (arena) %.1f us (malloc); %.1fx faster in the arena, "
           "%.0f MB/s\n",
           argv[1], b.len, iterations, t[0][1] * 1e6, t[0][0] * 1e6, t[1][1] * 1e6, t[1][0] * 1e6,
           t[0][1] / t[1][1], (double)b.len / t[1][1] / 1e6);
    sl_buf_cleanup(&b);
    return 0;
}
