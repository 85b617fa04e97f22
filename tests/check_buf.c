/* buf: the capped byte buffer every untrusted input goes through (request bodies, manifest
 * and policy files), and bounded file loading. Each test names the contract of buf.h it
 * holds: the cap, an SL_E_LIMIT that leaves the buffer as it was, NUL termination, printf
 * growth, detach and reset, and sl_buf_load_file on files, stdin and failures. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"

extern Suite *suite_buf(void);

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/socklock-buf-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    static const char *const names[] = {"f", "empty", "big", "cap", "cap1", "stdin"};
    char path[128];
    for (size_t i = 0; i < SL_ARRAY_LEN(names); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    snprintf(path, sizeof(path), "%s/sub", dir);
    rmdir(path);
    rmdir(dir);
}

/* Writes n bytes of a pattern (every byte value, NULs included) to dir/name. */
static char *write_file(const char *name, size_t n)
{
    char *path = sl_xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < n; i++)
        fputc((int)((i * 7 + i / 251) & 0xff), f);
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

static void assert_pattern(const struct sl_buf *b, size_t n)
{
    ck_assert_uint_eq(b->len, n);
    ck_assert_ptr_nonnull(b->data);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg((unsigned char)b->data[i] == ((i * 7 + i / 251) & 0xff), "byte %zu differs",
                      i);
    ck_assert_int_eq(b->data[n], '\0');
}

START_TEST(test_buf_append_collects_bytes_in_order_nul_terminated)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    /* Enough pieces to grow the storage several times; a NUL inside is kept as data. */
    char want[5000];
    size_t n = 0;
    for (int i = 0; n + 3 <= sizeof(want); i++) {
        char piece[3] = {(char)('a' + i % 26), '\0', (char)('A' + i % 26)};
        ck_assert_int_eq(sl_buf_append(&b, piece, 3), SL_OK);
        memcpy(want + n, piece, 3);
        n += 3;
        ck_assert_uint_eq(b.len, n);
        ck_assert_int_eq(b.data[b.len], '\0');
        ck_assert_uint_gt(b.cap, b.len);
    }
    ck_assert_int_eq(memcmp(b.data, want, n), 0);
    sl_buf_cleanup(&b);
}
END_TEST

START_TEST(test_buf_empty_append_makes_an_empty_string)
{
    struct sl_buf b;
    sl_buf_init(&b, 8);
    ck_assert_int_eq(sl_buf_append(&b, NULL, 0), SL_OK);
    ck_assert_ptr_nonnull(b.data);
    ck_assert_str_eq(b.data, "");
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(sl_buf_puts(&b, ""), SL_OK);
    ck_assert_str_eq(b.data, "");
    sl_buf_cleanup(&b);
}
END_TEST

START_TEST(test_buf_refuses_append_past_cap)
{
    struct sl_buf b;
    sl_buf_init(&b, 10);
    ck_assert_int_eq(sl_buf_append(&b, "abcdef", 6), SL_OK);
    char *before = b.data;
    size_t cap = b.cap;
    ck_assert_int_eq(sl_buf_append(&b, "ghijk", 5), SL_E_LIMIT);
    /* Unchanged: same length, same bytes, still terminated, same storage. */
    ck_assert_uint_eq(b.len, 6);
    ck_assert_str_eq(b.data, "abcdef");
    ck_assert_ptr_eq(b.data, before);
    ck_assert_uint_eq(b.cap, cap);
    ck_assert_uint_eq(b.max, 10);
    /* Up to the cap exactly is fine; one byte more is not. */
    ck_assert_int_eq(sl_buf_append(&b, "ghij", 4), SL_OK);
    ck_assert_str_eq(b.data, "abcdefghij");
    ck_assert_int_eq(sl_buf_append(&b, "k", 1), SL_E_LIMIT);
    ck_assert_int_eq(sl_buf_puts(&b, "k"), SL_E_LIMIT);
    ck_assert_int_eq(sl_buf_append(&b, "", 0), SL_OK);
    ck_assert_uint_eq(b.len, 10);
    ck_assert_str_eq(b.data, "abcdefghij");
    sl_buf_cleanup(&b);
}
END_TEST

START_TEST(test_buf_refuses_single_append_larger_than_cap)
{
    /* An empty buffer stays empty (no storage made), and a length near SIZE_MAX cannot wrap
     * the cap check around. */
    struct sl_buf b;
    sl_buf_init(&b, 4);
    ck_assert_int_eq(sl_buf_append(&b, "12345", 5), SL_E_LIMIT);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(sl_buf_append(&b, "ab", 2), SL_OK);
    ck_assert_int_eq(sl_buf_append(&b, "x", SIZE_MAX), SL_E_LIMIT);
    ck_assert_int_eq(sl_buf_append(&b, "x", SIZE_MAX - 1), SL_E_LIMIT);
    ck_assert_uint_eq(b.len, 2);
    ck_assert_str_eq(b.data, "ab");
    sl_buf_cleanup(&b);
}
END_TEST

START_TEST(test_buf_without_cap_takes_megabytes)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    size_t n = 3u << 20;
    char *big = sl_xmalloc(n);
    memset(big, 'z', n);
    ck_assert_int_eq(sl_buf_append(&b, big, n), SL_OK);
    ck_assert_int_eq(sl_buf_append(&b, big, n), SL_OK);
    ck_assert_uint_eq(b.len, 2 * n);
    ck_assert_int_eq(b.data[2 * n - 1], 'z');
    ck_assert_int_eq(b.data[2 * n], '\0');
    free(big);
    sl_buf_cleanup(&b);
}
END_TEST

START_TEST(test_buf_printf_formats_and_grows)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    ck_assert_int_eq(sl_buf_printf(&b, "%s=%d;", "a", 1), SL_OK);
    ck_assert_int_eq(sl_buf_printf(&b, "%05.1f|%-3s|%x", 2.5, "b", 255u), SL_OK);
    ck_assert_str_eq(b.data, "a=1;002.5|b  |ff");
    /* Outputs of 255, 256 and 5000 bytes: either side of the on-stack buffer. */
    static const int widths[] = {255, 256, 257, 5000};
    for (size_t i = 0; i < SL_ARRAY_LEN(widths); i++) {
        size_t before = b.len;
        ck_assert_int_eq(sl_buf_printf(&b, "<%*d>", widths[i] - 2, (int)i), SL_OK);
        ck_assert_uint_eq(b.len, before + (size_t)widths[i]);
        ck_assert_int_eq(b.data[before], '<');
        ck_assert_int_eq(b.data[b.len - 2], (char)('0' + i));
        ck_assert_int_eq(b.data[b.len - 1], '>');
        ck_assert_int_eq(b.data[b.len], '\0');
        for (size_t k = before + 1; k < b.len - 2; k++)
            ck_assert_int_eq(b.data[k], ' ');
    }
    sl_buf_cleanup(&b);
}
END_TEST

START_TEST(test_buf_printf_past_cap_leaves_buffer_unchanged)
{
    /* Both formatting paths: short output (on the stack) and long output (on the heap). */
    struct sl_buf b;
    sl_buf_init(&b, 300);
    ck_assert_int_eq(sl_buf_printf(&b, "%s", "head"), SL_OK);
    ck_assert_int_eq(sl_buf_printf(&b, "%300d", 1), SL_E_LIMIT);
    ck_assert_uint_eq(b.len, 4);
    ck_assert_str_eq(b.data, "head");
    ck_assert_int_eq(sl_buf_printf(&b, "%290d", 1), SL_OK);
    ck_assert_uint_eq(b.len, 294);
    ck_assert_int_eq(sl_buf_printf(&b, "%7d", 7), SL_E_LIMIT);
    ck_assert_uint_eq(b.len, 294);
    ck_assert_int_eq(b.data[294], '\0');
    ck_assert_int_eq(sl_buf_printf(&b, "%6d", 6), SL_OK);
    ck_assert_uint_eq(b.len, 300);
    ck_assert_int_eq(b.data[299], '6');
    sl_buf_cleanup(&b);
}
END_TEST

START_TEST(test_buf_detach_hands_over_data_and_resets)
{
    struct sl_buf b;
    sl_buf_init(&b, 16);
    ck_assert_int_eq(sl_buf_puts(&b, "hello"), SL_OK);
    size_t len = 99;
    char *p = sl_buf_detach(&b, &len);
    ck_assert_str_eq(p, "hello");
    ck_assert_uint_eq(len, 5);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_eq(b.cap, 0);
    /* The buffer is usable again, under the same cap, and owns nothing of p. */
    ck_assert_int_eq(sl_buf_puts(&b, "again"), SL_OK);
    ck_assert_ptr_ne(b.data, p);
    ck_assert_str_eq(b.data, "again");
    ck_assert_int_eq(sl_buf_append(&b, "0123456789ab", 12), SL_E_LIMIT);
    ck_assert_str_eq(p, "hello");
    free(p);
    char *q = sl_buf_detach(&b, NULL);
    ck_assert_str_eq(q, "again");
    free(q);
}
END_TEST

START_TEST(test_buf_detach_of_empty_buffer_is_empty_string)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    size_t len = 99;
    char *p = sl_buf_detach(&b, &len);
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(p, "");
    ck_assert_uint_eq(len, 0);
    free(p);
}
END_TEST

START_TEST(test_buf_cleanup_releases_and_allows_reuse)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    ck_assert_int_eq(sl_buf_puts(&b, "data"), SL_OK);
    sl_buf_cleanup(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_eq(b.cap, 0);
    sl_buf_cleanup(&b); /* twice is harmless */
    sl_buf_cleanup(NULL);
    sl_buf_init(&b, 3);
    ck_assert_int_eq(sl_buf_puts(&b, "abc"), SL_OK);
    ck_assert_int_eq(sl_buf_puts(&b, "d"), SL_E_LIMIT);
    sl_buf_cleanup(&b);
}
END_TEST

START_TEST(test_buf_load_file_reads_every_byte)
{
    /* More than one read chunk (64 KiB), NUL bytes included. */
    size_t n = 200000;
    char *path = write_file("big", n);
    struct sl_buf b;
    sl_buf_init(&b, 0);
    struct sl_error err = {0};
    ck_assert_int_eq(sl_buf_load_file(&b, path, &err), SL_OK);
    assert_pattern(&b, n);
    sl_buf_cleanup(&b);
    free(path);
}
END_TEST

START_TEST(test_buf_load_file_of_empty_file_is_empty_string)
{
    char *path = write_file("empty", 0);
    struct sl_buf b;
    sl_buf_init(&b, 10);
    struct sl_error err = {0};
    ck_assert_int_eq(sl_buf_load_file(&b, path, &err), SL_OK);
    ck_assert_ptr_nonnull(b.data);
    ck_assert_str_eq(b.data, "");
    ck_assert_uint_eq(b.len, 0);
    sl_buf_cleanup(&b);
    free(path);
}
END_TEST

START_TEST(test_buf_load_file_refuses_file_over_cap)
{
    /* A file of exactly the cap loads; one byte more is SL_E_LIMIT naming the file. Caps
     * below and above the read chunk. */
    static const size_t caps[] = {100, 70000};
    for (size_t i = 0; i < SL_ARRAY_LEN(caps); i++) {
        char *at = write_file("cap", caps[i]);
        char *over = write_file("cap1", caps[i] + 1);
        struct sl_buf b;
        sl_buf_init(&b, caps[i]);
        struct sl_error err = {0};
        ck_assert_int_eq(sl_buf_load_file(&b, at, &err), SL_OK);
        assert_pattern(&b, caps[i]);
        sl_buf_cleanup(&b);
        sl_buf_init(&b, caps[i]);
        ck_assert_int_eq(sl_buf_load_file(&b, over, &err), SL_E_LIMIT);
        ck_assert_str_eq(err.file, over);
        char want[64];
        snprintf(want, sizeof(want), "file is larger than %zu bytes", caps[i]);
        ck_assert_str_eq(err.msg, want);
        ck_assert_uint_le(b.len, caps[i]);
        sl_buf_cleanup(&b);
        free(at);
        free(over);
    }
}
END_TEST

START_TEST(test_buf_load_file_missing_file_names_it)
{
    char *path = sl_xasprintf("%s/no-such-file.yaml", dir);
    struct sl_buf b;
    sl_buf_init(&b, 0);
    struct sl_error err;
    memset(&err, 0x55, sizeof(err));
    ck_assert_int_eq(sl_buf_load_file(&b, path, &err), SL_E_IO);
    ck_assert_str_eq(err.file, path);
    ck_assert_int_eq(err.line, 0);
    ck_assert_int_eq(err.column, 0);
    char want[600];
    snprintf(want, sizeof(want), "cannot open: %s", strerror(ENOENT));
    ck_assert_str_eq(err.msg, want);
    char shown[1200];
    sl_error_format(&err, shown, sizeof(shown));
    ck_assert_ptr_eq(strstr(shown, path), shown);
    sl_buf_cleanup(&b);
    free(path);
}
END_TEST

START_TEST(test_buf_load_file_of_directory_is_io_error)
{
    char *path = sl_xasprintf("%s/sub", dir);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    struct sl_buf b;
    sl_buf_init(&b, 0);
    struct sl_error err = {0};
    ck_assert_int_eq(sl_buf_load_file(&b, path, &err), SL_E_IO);
    ck_assert_str_eq(err.file, path);
    ck_assert_ptr_nonnull(strstr(err.msg, strerror(EISDIR)));
    sl_buf_cleanup(&b);
    free(path);
}
END_TEST

/* Loads "-" with stdin redirected from path; restores stdin afterwards. */
static enum sl_status load_stdin(const char *path, struct sl_buf *b, struct sl_error *err)
{
    fflush(stdout);
    int saved = dup(STDIN_FILENO);
    ck_assert_int_ge(saved, 0);
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_ge(dup2(fd, STDIN_FILENO), 0);
    close(fd);
    clearerr(stdin);
    enum sl_status rc = sl_buf_load_file(b, "-", err);
    /* Reading stdin leaves it open for whoever reads it next. */
    ck_assert_int_ne(fcntl(STDIN_FILENO, F_GETFD), -1);
    ck_assert_int_ge(dup2(saved, STDIN_FILENO), 0);
    close(saved);
    clearerr(stdin);
    return rc;
}

START_TEST(test_buf_load_file_reads_stdin_for_dash)
{
    char *path = write_file("stdin", 70000);
    struct sl_buf b;
    sl_buf_init(&b, 0);
    struct sl_error err = {0};
    ck_assert_int_eq(load_stdin(path, &b, &err), SL_OK);
    assert_pattern(&b, 70000);
    sl_buf_cleanup(&b);
    /* The cap holds for stdin too, and the error names "-". */
    sl_buf_init(&b, 1000);
    ck_assert_int_eq(load_stdin(path, &b, &err), SL_E_LIMIT);
    ck_assert_str_eq(err.file, "-");
    sl_buf_cleanup(&b);
    free(path);
}
END_TEST

Suite *suite_buf(void)
{
    Suite *s = suite_create("buf");
    TCase *tc = tcase_create("buffer");
    tcase_add_test(tc, test_buf_append_collects_bytes_in_order_nul_terminated);
    tcase_add_test(tc, test_buf_empty_append_makes_an_empty_string);
    tcase_add_test(tc, test_buf_refuses_append_past_cap);
    tcase_add_test(tc, test_buf_refuses_single_append_larger_than_cap);
    tcase_add_test(tc, test_buf_without_cap_takes_megabytes);
    tcase_add_test(tc, test_buf_printf_formats_and_grows);
    tcase_add_test(tc, test_buf_printf_past_cap_leaves_buffer_unchanged);
    tcase_add_test(tc, test_buf_detach_hands_over_data_and_resets);
    tcase_add_test(tc, test_buf_detach_of_empty_buffer_is_empty_string);
    tcase_add_test(tc, test_buf_cleanup_releases_and_allows_reuse);
    suite_add_tcase(s, tc);
    TCase *files = tcase_create("load_file");
    tcase_add_checked_fixture(files, setup, teardown);
    tcase_add_test(files, test_buf_load_file_reads_every_byte);
    tcase_add_test(files, test_buf_load_file_of_empty_file_is_empty_string);
    tcase_add_test(files, test_buf_load_file_refuses_file_over_cap);
    tcase_add_test(files, test_buf_load_file_missing_file_names_it);
    tcase_add_test(files, test_buf_load_file_of_directory_is_io_error);
    tcase_add_test(files, test_buf_load_file_reads_stdin_for_dash);
    suite_add_tcase(s, files);
    return s;
}
