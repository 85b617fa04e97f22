/* log: the lines `serve` writes, read back as a log collector reads them. Every JSON line is
 * parsed with jansson (strictly: one object, nothing after it) and its fields asserted;
 * hostile strings (quotes, control characters, invalid UTF-8, U+2028) must come out as
 * valid JSON that decodes to what was meant. Lines go to a temporary file through
 * sl_log_set_fd(); every test puts the settings back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "socklock/log.h"

extern Suite *suite_log(void);

static int fd = -1;
static char path[64];

static void setup(void)
{
    snprintf(path, sizeof(path), "/tmp/socklock-log-XXXXXX");
    fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    sl_log_set_fd(fd);
    sl_log_set_format(SL_LOG_JSON);
    sl_log_set_level(SL_LOG_INFO);
}

static void teardown(void)
{
    sl_log_set_fd(2);
    sl_log_set_format(SL_LOG_JSON);
    sl_log_set_level(SL_LOG_INFO);
    close(fd);
    unlink(path);
}

/* Everything written since the last call. */
static char *take(void)
{
    off_t end = lseek(fd, 0, SEEK_END);
    ck_assert_int_ge(end, 0);
    char *text = calloc(1, (size_t)end + 1);
    ck_assert_ptr_nonnull(text);
    ck_assert_int_eq(pread(fd, text, (size_t)end, 0), end);
    ck_assert_int_eq(ftruncate(fd, 0), 0);
    ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
    return text;
}

/* The one line written since the last call, parsed: exactly one line, one JSON object. */
static json_t *one_json_line(void)
{
    char *text = take();
    size_t len = strlen(text);
    ck_assert_msg(len > 0 && text[len - 1] == '\n', "no line: \"%s\"", text);
    ck_assert_msg(strchr(text, '\n') == text + len - 1, "more than one line: %s", text);
    json_error_t e;
    json_t *doc = json_loadb(text, len - 1, JSON_REJECT_DUPLICATES, &e);
    ck_assert_msg(doc != NULL, "not JSON (%s): %s", e.text, text);
    ck_assert(json_is_object(doc));
    free(text);
    return doc;
}

static const char *str(const json_t *doc, const char *key)
{
    const json_t *v = json_object_get(doc, key);
    ck_assert_msg(json_is_string(v), "no string \"%s\"", key);
    return json_string_value(v);
}

START_TEST(test_log_json_line_has_time_level_msg)
{
    sl_log_info("listening on %s:%u", "127.0.0.1", 8443u);
    json_t *doc = one_json_line();
    /* RFC 3339, UTC, milliseconds: 2026-11-30T05:40:01.123Z. */
    const char *t = str(doc, "time");
    ck_assert_uint_eq(strlen(t), 24);
    int y, mo, d, h, mi, s, ms;
    char z = 0;
    ck_assert_int_eq(sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &y, &mo, &d, &h, &mi, &s, &ms, &z),
                     8);
    ck_assert(y >= 2024 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 &&
              s < 61 && ms < 1000 && z == 'Z');
    ck_assert_str_eq(str(doc, "level"), "info");
    ck_assert_str_eq(str(doc, "msg"), "listening on 127.0.0.1:8443");
    ck_assert_uint_eq(json_object_size(doc), 3);
    json_decref(doc);
    /* The keys come in that order, so a line reads well in a terminal too. */
    sl_log_info("x");
    char *text = take();
    ck_assert_msg(strncmp(text, "{\"time\":\"", 9) == 0 && strstr(text, "\",\"level\":\"info\","
                                                                        "\"msg\":\"x\"}\n") != NULL,
                  "%s", text);
    free(text);

    errno = ENOENT;
    sl_log_warn("cannot open %s", "x.yaml");
    doc = one_json_line();
    ck_assert_str_eq(str(doc, "level"), "warn");
    ck_assert_str_eq(str(doc, "msg"), "cannot open x.yaml: No such file or directory");
    json_decref(doc);
    sl_log_errorx("fatal");
    doc = one_json_line();
    ck_assert_str_eq(str(doc, "level"), "error");
    json_decref(doc);
}
END_TEST

START_TEST(test_log_level_filters)
{
    sl_log_set_level(SL_LOG_WARN);
    ck_assert(!sl_log_enabled(SL_LOG_INFO));
    ck_assert(sl_log_enabled(SL_LOG_ERROR));
    sl_log_debug("no");
    sl_log_info("no");
    char *text = take();
    ck_assert_str_eq(text, "");
    free(text);
    sl_log_warnx("yes");
    json_decref(one_json_line());
    sl_log_set_level(SL_LOG_DEBUG);
    sl_log_debug("now");
    json_t *doc = one_json_line();
    ck_assert_str_eq(str(doc, "level"), "debug");
    json_decref(doc);
}
END_TEST

START_TEST(test_log_parse_settings)
{
    enum sl_log_level l;
    enum sl_log_format f;
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(sl_log_parse_level(levels[i], &l), SL_OK);
        ck_assert_int_eq((int)l, (int)i);
    }
    ck_assert_int_eq(sl_log_parse_level("warning", &l), SL_E_INVALID);
    ck_assert_int_eq(sl_log_parse_level("INFO", &l), SL_E_INVALID);
    ck_assert_int_eq(sl_log_parse_level("", &l), SL_E_INVALID);
    ck_assert_int_eq(sl_log_parse_level(NULL, &l), SL_E_INVALID);
    ck_assert_int_eq(sl_log_parse_format("json", &f), SL_OK);
    ck_assert_int_eq(f, SL_LOG_JSON);
    ck_assert_int_eq(sl_log_parse_format("text", &f), SL_OK);
    ck_assert_int_eq(f, SL_LOG_TEXT);
    ck_assert_int_eq(sl_log_parse_format("logfmt", &f), SL_E_INVALID);
    ck_assert_int_eq(sl_log_parse_format(NULL, &f), SL_E_INVALID);
}
END_TEST

START_TEST(test_log_event_fields_by_type)
{
    static const char *const checks[] = {"privileged", "runAsNonRoot"};
    struct sl_log_field f[] = {
        SL_LOG_F_STR("uid", "u-1"),
        SL_LOG_F_STR("name", NULL),
        SL_LOG_F_UINT("port", 8443),
        SL_LOG_F_BOOL("dryRun", true),
        SL_LOG_F_SECONDS("duration", 0.000412),
        SL_LOG_F_NUMBER("quota", 1.5),
        SL_LOG_F_LIST("checks", checks, 2),
        SL_LOG_F_LIST("none", checks, 0),
        SL_LOG_F_CSV("exceptions", ",istio,,linkerd,"),
    };
    sl_log_event(SL_LOG_INFO, "decision", f, SL_ARRAY_LEN(f));
    json_t *doc = one_json_line();
    ck_assert_str_eq(str(doc, "msg"), "decision");
    ck_assert_str_eq(str(doc, "uid"), "u-1");
    ck_assert_str_eq(str(doc, "name"), "");
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "port")), 8443);
    ck_assert(json_is_true(json_object_get(doc, "dryRun")));
    ck_assert(json_is_real(json_object_get(doc, "duration")));
    ck_assert_double_eq_tol(json_real_value(json_object_get(doc, "duration")), 0.000412, 1e-9);
    ck_assert_double_eq_tol(json_number_value(json_object_get(doc, "quota")), 1.5, 1e-12);
    const json_t *c = json_object_get(doc, "checks");
    ck_assert_uint_eq(json_array_size(c), 2);
    ck_assert_str_eq(json_string_value(json_array_get(c, 1)), "runAsNonRoot");
    ck_assert(json_is_array(json_object_get(doc, "none")));
    ck_assert_uint_eq(json_array_size(json_object_get(doc, "none")), 0);
    const json_t *e = json_object_get(doc, "exceptions");
    ck_assert_uint_eq(json_array_size(e), 2);
    ck_assert_str_eq(json_string_value(json_array_get(e, 0)), "istio");
    ck_assert_str_eq(json_string_value(json_array_get(e, 1)), "linkerd");
    ck_assert_uint_eq(json_object_size(doc), 3 + SL_ARRAY_LEN(f));
    json_decref(doc);
}
END_TEST

/* Logs s as a field and returns what a JSON parser reads back. */
static char *round_trip(const char *s, size_t len)
{
    char buf[512];
    ck_assert_uint_lt(len, sizeof(buf));
    memcpy(buf, s, len);
    buf[len] = '\0';
    struct sl_log_field f[] = {SL_LOG_F_STR("v", buf)};
    sl_log_event(SL_LOG_INFO, buf, f, 1);
    json_t *doc = one_json_line();
    char *out = strdup(str(doc, "v"));
    ck_assert_str_eq(str(doc, "msg"), out); /* the message is escaped alike */
    json_decref(doc);
    return out;
}

START_TEST(test_log_escapes_what_json_needs)
{
    static const struct {
        const char *in;
        size_t len;
        const char *want; /* as decoded */
    } cases[] = {
        {"plain", 5, "plain"},
        {"q\"uo\\te", 7, "q\"uo\\te"},
        {"line\nbreak\r\t", 12, "line\nbreak\r\t"},
        {"\x01\x1f\x7f", 3, "\x01\x1f\x7f"},
        {"{\"forged\":true}\n{\"level\":\"error\"}", 33,
         "{\"forged\":true}\n{\"level\":\"error\"}"},
        /* Valid UTF-8 is kept: é, ☃, 😀. */
        {"\xc3\xa9\xe2\x98\x83\xf0\x9f\x98\x80", 9, "\xc3\xa9\xe2\x98\x83\xf0\x9f\x98\x80"},
        /* Invalid UTF-8 becomes U+FFFD, one per maximal bad sequence. */
        {"a\xff"
         "b",
         3,
         "a\xef\xbf\xbd"
         "b"},
        {"\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd"},                 /* overlong */
        {"\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* a surrogate */
        {"\xe2\x98", 2, "\xef\xbf\xbd"},                             /* cut short at the end */
        {"\xe2\x98x", 3, "\xef\xbf\xbdx"},                           /* cut short */
        {"\xf4\x90\x80\x80", 4,
         "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* > U+10FFFF */
        /* U+2028, U+2029 and C1 controls stay as characters once decoded. */
        {"\xe2\x80\xa8\xe2\x80\xa9\xc2\x85", 8, "\xe2\x80\xa8\xe2\x80\xa9\xc2\x85"},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        char *got = round_trip(cases[i].in, cases[i].len);
        ck_assert_msg(strcmp(got, cases[i].want) == 0, "case %zu: got \"%s\"", i, got);
        free(got);
    }
}
END_TEST

START_TEST(test_log_escape_raw_text)
{
    char out[64];
    /* What the line holds, byte for byte: named escapes, \u00XX, no raw line separator. */
    ck_assert_uint_eq(sl_log_json_escape("a\"\\\n\x01\x7f", 6, out, sizeof(out)), 6);
    ck_assert_str_eq(out, "a\\\"\\\\\\n\\u0001\\u007f");
    ck_assert_uint_eq(sl_log_json_escape("\xe2\x80\xa8\xc2\x9b", 5, out, sizeof(out)), 5);
    ck_assert_str_eq(out, "\\u2028\\u009b");
    /* Never cuts an escape or a character: stops before it and says how far it got. */
    ck_assert_uint_eq(sl_log_json_escape("ab\ncd", 5, out, 4), 2);
    ck_assert_str_eq(out, "ab");
    ck_assert_uint_eq(sl_log_json_escape("a\xe2\x98\x83", 4, out, 4), 1);
    ck_assert_str_eq(out, "a");
    ck_assert_uint_eq(sl_log_json_escape("abc", 3, out, 1), 0);
    ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_log_long_field_left_out_line_stays_json)
{
    size_t big = SL_LOG_LINE_MAX;
    char *s = malloc(big + 1);
    ck_assert_ptr_nonnull(s);
    memset(s, 'x', big);
    s[big] = '\0';
    struct sl_log_field f[] = {
        SL_LOG_F_STR("uid", "u-2"),
        SL_LOG_F_STR("name", s),
        SL_LOG_F_STR("verdict", "denied"),
    };
    sl_log_event(SL_LOG_INFO, "decision", f, SL_ARRAY_LEN(f));
    json_t *doc = one_json_line();
    ck_assert_str_eq(str(doc, "uid"), "u-2");
    ck_assert_ptr_null(json_object_get(doc, "name"));
    ck_assert_str_eq(str(doc, "verdict"), "denied");
    ck_assert(json_is_true(json_object_get(doc, "truncated")));
    json_decref(doc);
    /* A string of escapes that would grow sixfold past the line: left out too. */
    memset(s, '\x01', big / 4);
    s[big / 4] = '\0';
    sl_log_event(SL_LOG_INFO, "decision", f, SL_ARRAY_LEN(f));
    doc = one_json_line();
    ck_assert_ptr_null(json_object_get(doc, "name"));
    ck_assert(json_is_true(json_object_get(doc, "truncated")));
    json_decref(doc);
    free(s);
}
END_TEST

START_TEST(test_log_text_format)
{
    sl_log_set_format(SL_LOG_TEXT);
    static const char *const checks[] = {"privileged", "runAsNonRoot"};
    struct sl_log_field f[] = {
        SL_LOG_F_STR("uid", "u-3"),
        SL_LOG_F_STR("name", "has space"),
        SL_LOG_F_STR("user", "evil\nuser=\"root\""),
        SL_LOG_F_BOOL("dryRun", false),
        SL_LOG_F_SECONDS("duration", 0.0015),
        SL_LOG_F_LIST("checks", checks, 2),
    };
    sl_log_event(SL_LOG_INFO, "decision\nforged", f, SL_ARRAY_LEN(f));
    char *text = take();
    const char *sp = strchr(text, ' ');
    ck_assert_ptr_nonnull(sp);
    ck_assert_uint_eq((size_t)(sp - text), 24);
    ck_assert_str_eq(sp, " info decision?forged uid=u-3 name=\"has space\" "
                         "user=\"evil?user=\\\"root\\\"\" dryRun=false duration=1.500ms "
                         "checks=privileged,runAsNonRoot\n");
    free(text);
}
END_TEST

Suite *suite_log(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("log");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_log_json_line_has_time_level_msg);
    tcase_add_test(tc, test_log_level_filters);
    tcase_add_test(tc, test_log_parse_settings);
    tcase_add_test(tc, test_log_event_fields_by_type);
    tcase_add_test(tc, test_log_escapes_what_json_needs);
    tcase_add_test(tc, test_log_escape_raw_text);
    tcase_add_test(tc, test_log_long_field_left_out_line_stays_json);
    tcase_add_test(tc, test_log_text_format);
    suite_add_tcase(s, tc);
    return s;
}
