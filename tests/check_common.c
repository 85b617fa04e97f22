/* common: status names and error details, as every command prints them
 * ("FILE:LINE:COLUMN: message", the parts that are unknown left out). */
#include <string.h>

#include <check.h>

#include "socklock/common.h"

extern Suite *suite_common(void);

START_TEST(test_strerror_names_every_status)
{
    static const struct {
        enum sl_status rc;
        const char *name;
    } names[] = {
        {SL_OK, "success"},
        {SL_E_INVALID, "invalid input"},
        {SL_E_NOTFOUND, "not found"},
        {SL_E_LIMIT, "limit exceeded"},
        {SL_E_IO, "I/O error"},
        {SL_E_USAGE, "usage error"},
        {SL_E_INTERNAL, "internal error"},
    };
    /* Every status from SL_OK to SL_E_INTERNAL is in the table, in order. */
    ck_assert_uint_eq(SL_ARRAY_LEN(names), (size_t)SL_E_INTERNAL + 1);
    for (size_t i = 0; i < SL_ARRAY_LEN(names); i++) {
        ck_assert_int_eq(names[i].rc, (int)i);
        ck_assert_str_eq(sl_strerror(names[i].rc), names[i].name);
    }
}
END_TEST

START_TEST(test_strerror_of_unknown_status)
{
    ck_assert_str_eq(sl_strerror((enum sl_status)(SL_E_INTERNAL + 1)), "unknown error");
    ck_assert_str_eq(sl_strerror((enum sl_status) - 1), "unknown error");
}
END_TEST

START_TEST(test_error_set_formats_message_and_clears_position)
{
    struct sl_error err;
    memset(&err, 0x55, sizeof(err));
    sl_error_setpos(&err, "old.yaml", 4, 2, "old");
    err.offset = 77;
    sl_error_set(&err, "%s has %d %s", "pod", 3, "problems");
    ck_assert_str_eq(err.msg, "pod has 3 problems");
    ck_assert_str_eq(err.file, "");
    ck_assert_int_eq(err.line, 0);
    ck_assert_int_eq(err.column, 0);
    ck_assert_uint_eq(err.offset, 0);
}
END_TEST

START_TEST(test_error_setpos_records_file_line_and_column)
{
    struct sl_error err;
    memset(&err, 0x55, sizeof(err));
    sl_error_setpos(&err, "dir/a.yaml", 12, 7, "bad %s", "indent");
    ck_assert_str_eq(err.msg, "bad indent");
    ck_assert_str_eq(err.file, "dir/a.yaml");
    ck_assert_int_eq(err.line, 12);
    ck_assert_int_eq(err.column, 7);
    ck_assert_uint_eq(err.offset, 0); /* a parser that knows the offset sets it after */
    /* No file: an empty name. */
    sl_error_setpos(&err, NULL, 1, 1, "x");
    ck_assert_str_eq(err.file, "");
    ck_assert_int_eq(err.line, 1);
}
END_TEST

START_TEST(test_error_set_truncates_long_message_and_file)
{
    char longtext[2000];
    memset(longtext, 'm', sizeof(longtext) - 1);
    longtext[sizeof(longtext) - 1] = '\0';
    struct sl_error err;
    sl_error_set(&err, "%s", longtext);
    ck_assert_uint_eq(strlen(err.msg), sizeof(err.msg) - 1);
    ck_assert_int_eq(strncmp(err.msg, longtext, sizeof(err.msg) - 1), 0);
    char longfile[1000];
    memset(longfile, 'f', sizeof(longfile) - 1);
    longfile[sizeof(longfile) - 1] = '\0';
    sl_error_setpos(&err, longfile, 1, 2, "%s", longtext);
    ck_assert_uint_eq(strlen(err.file), sizeof(err.file) - 1);
    ck_assert_uint_eq(strlen(err.msg), sizeof(err.msg) - 1);
}
END_TEST

START_TEST(test_error_set_accepts_null_err)
{
    sl_error_set(NULL, "%s", "nothing to write to");
    sl_error_setpos(NULL, "f.yaml", 1, 2, "%d", 3);
}
END_TEST

/* Formats an error made with the given parts. */
static void format(const char *file, int line, int column, const char *msg, char *out, size_t size)
{
    struct sl_error err;
    memset(&err, 0, sizeof(err));
    sl_error_setpos(&err, file, line, column, "%s", msg);
    sl_error_format(&err, out, size);
}

START_TEST(test_error_format_leaves_out_unknown_parts)
{
    /* Every combination of known and unknown file, line and column. A column is shown only
     * after its line, and a position only after a file name: a record without a file (a
     * request body, say) prints its message alone. */
    static const struct {
        const char *file;
        int line, column;
        const char *want;
    } cases[] = {
        {"a.yaml", 3, 9, "a.yaml:3:9: boom"},
        {"a.yaml", 3, 0, "a.yaml:3: boom"},
        {"a.yaml", 0, 9, "a.yaml: boom"},
        {"a.yaml", 0, 0, "a.yaml: boom"},
        {"", 3, 9, "boom"},
        {"", 3, 0, "boom"},
        {"", 0, 9, "boom"},
        {"", 0, 0, "boom"},
        {NULL, 3, 9, "boom"},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        char out[128];
        memset(out, 'x', sizeof(out));
        format(cases[i].file, cases[i].line, cases[i].column, "boom", out, sizeof(out));
        ck_assert_msg(strcmp(out, cases[i].want) == 0, "case %zu: \"%s\", want \"%s\"", i, out,
                      cases[i].want);
    }
}
END_TEST

START_TEST(test_error_format_prints_message_literally)
{
    char out[128];
    format("p%s.yaml", 1, 2, "100% sure: %s %n", out, sizeof(out));
    ck_assert_str_eq(out, "p%s.yaml:1:2: 100% sure: %s %n");
}
END_TEST

START_TEST(test_error_format_truncates_to_small_buffer)
{
    char out[16];
    memset(out, 'x', sizeof(out));
    format("file.yaml", 12, 34, "a long message", out, 8);
    ck_assert_str_eq(out, "file.ya");
    ck_assert_int_eq(out[8], 'x'); /* nothing written past size */
    format("f", 1, 1, "m", out, 1);
    ck_assert_str_eq(out, "");
    /* Size 0: nothing written at all. */
    memset(out, 'x', sizeof(out));
    format("f", 1, 1, "m", out, 0);
    ck_assert_int_eq(out[0], 'x');
    /* Exactly big enough. */
    format("f", 1, 2, "m", out, sizeof("f:1:2: m"));
    ck_assert_str_eq(out, "f:1:2: m");
}
END_TEST

Suite *suite_common(void)
{
    Suite *s = suite_create("common");
    TCase *tc = tcase_create("common");
    tcase_add_test(tc, test_strerror_names_every_status);
    tcase_add_test(tc, test_strerror_of_unknown_status);
    tcase_add_test(tc, test_error_set_formats_message_and_clears_position);
    tcase_add_test(tc, test_error_setpos_records_file_line_and_column);
    tcase_add_test(tc, test_error_set_truncates_long_message_and_file);
    tcase_add_test(tc, test_error_set_accepts_null_err);
    tcase_add_test(tc, test_error_format_leaves_out_unknown_parts);
    tcase_add_test(tc, test_error_format_prints_message_literally);
    tcase_add_test(tc, test_error_format_truncates_to_small_buffer);
    suite_add_tcase(s, tc);
    return s;
}
