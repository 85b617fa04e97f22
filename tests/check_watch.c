/* watch: changes to a file in a temporary folder are noticed however they are made (written
 * in place, renamed over, a ConfigMap's `..data` swapped), once per burst, and changes to
 * other files in the folder are not. The tests drive the watch as serve's poll loop does and
 * wait for its reports with a deadline that only guards against hangs. */
#define _XOPEN_SOURCE 700 /* nftw, symlink, mkdtemp */
#include <errno.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "socklock/watch.h"

extern Suite *suite_watch(void);

#define HANG_GUARD_MS 30000

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/socklock-watch-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void teardown(void)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* dir/name, in one of a few static buffers. */
static const char *in_dir(const char *name)
{
    static char bufs[8][256];
    static int next;
    char *p = bufs[next++ % 8];
    snprintf(p, sizeof(bufs[0]), "%s/%s", dir, name);
    return p;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s: %s", path, strerror(errno));
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Drives the watch as a poll loop does until a burst has settled, and returns what it
 * changed. Fails the test when nothing settles before the hang guard. */
static unsigned next_report(struct sl_watch *w)
{
    long long end = now_ms() + HANG_GUARD_MS;
    for (;;) {
        long long left = end - now_ms();
        ck_assert_msg(left > 0, "no burst of events settled within %d ms", HANG_GUARD_MS);
        int t = sl_watch_timeout_ms(w);
        struct pollfd p = {.fd = sl_watch_fd(w), .events = POLLIN};
        poll(&p, 1, t < 0 || t > left ? (int)left : t);
        if (p.revents & POLLIN)
            sl_watch_read(w);
        if (sl_watch_timeout_ms(w) == 0)
            return sl_watch_take(w);
    }
}

/* Nothing is pending and no event is waiting. */
static void expect_quiet(struct sl_watch *w)
{
    struct pollfd p = {.fd = sl_watch_fd(w), .events = POLLIN};
    ck_assert_int_eq(poll(&p, 1, 0), 0);
    ck_assert_int_eq(sl_watch_timeout_ms(w), -1);
    ck_assert_uint_eq(sl_watch_take(w), 0);
}

static struct sl_watch *watch_one(const char *path)
{
    struct sl_watch *w = NULL;
    struct sl_error err = {0};
    ck_assert_msg(sl_watch_new(&path, 1, SL_WATCH_SETTLE_MS, &w, &err) == SL_OK, "%s: %s", err.file,
                  err.msg);
    expect_quiet(w);
    return w;
}

START_TEST(test_watch_notices_a_write_in_place)
{
    const char *p = in_dir("policy.yaml");
    write_file(p, "a: 1\n");
    struct sl_watch *w = watch_one(p);
    write_file(p, "a: 2\n"); /* as `cp new policy.yaml` does: truncate, write, close */
    ck_assert_uint_eq(next_report(w), 1);
    expect_quiet(w);
    sl_watch_free(w);
}
END_TEST

START_TEST(test_watch_notices_a_rename_over)
{
    /* An editor's save: a temporary file in the same folder renamed over the original. */
    const char *p = in_dir("policy.yaml");
    write_file(p, "a: 1\n");
    struct sl_watch *w = watch_one(p);
    const char *tmp = in_dir(".policy.yaml.swp");
    write_file(tmp, "a: 2\n");
    ck_assert_int_eq(rename(tmp, p), 0);
    ck_assert_uint_eq(next_report(w), 1);
    expect_quiet(w);
    sl_watch_free(w);
}
END_TEST

/* Lays out dir as the kubelet mounts a ConfigMap: ..TIMESTAMP/policy.yaml, `..data ->
 * ..TIMESTAMP`, `policy.yaml -> ..data/policy.yaml`. */
static void configmap_init(const char *stamp, const char *text)
{
    char sub[64];
    snprintf(sub, sizeof(sub), "..%s", stamp);
    ck_assert_int_eq(mkdir(in_dir(sub), 0755), 0);
    snprintf(sub, sizeof(sub), "..%s/policy.yaml", stamp);
    write_file(in_dir(sub), text);
    snprintf(sub, sizeof(sub), "..%s", stamp);
    ck_assert_int_eq(symlink(sub, in_dir("..data")), 0);
    ck_assert_int_eq(symlink("..data/policy.yaml", in_dir("policy.yaml")), 0);
}

/* An update as the kubelet makes it: the new files in a new timestamped folder, a
 * `..data_tmp` symlink to it renamed over `..data`, the old folder removed. */
static void configmap_update(const char *old_stamp, const char *stamp, const char *text)
{
    char sub[64];
    snprintf(sub, sizeof(sub), "..%s", stamp);
    ck_assert_int_eq(mkdir(in_dir(sub), 0755), 0);
    snprintf(sub, sizeof(sub), "..%s/policy.yaml", stamp);
    write_file(in_dir(sub), text);
    snprintf(sub, sizeof(sub), "..%s", stamp);
    ck_assert_int_eq(symlink(sub, in_dir("..data_tmp")), 0);
    ck_assert_int_eq(rename(in_dir("..data_tmp"), in_dir("..data")), 0);
    snprintf(sub, sizeof(sub), "..%s/policy.yaml", old_stamp);
    ck_assert_int_eq(unlink(in_dir(sub)), 0);
    snprintf(sub, sizeof(sub), "..%s", old_stamp);
    ck_assert_int_eq(rmdir(in_dir(sub)), 0);
}

START_TEST(test_watch_notices_a_configmap_update)
{
    configmap_init("2026_11_30_10_00_00.000000001", "a: 1\n");
    struct sl_watch *w = watch_one(in_dir("policy.yaml"));
    configmap_update("2026_11_30_10_00_00.000000001", "2026_11_30_10_01_00.000000002", "a: 2\n");
    ck_assert_uint_eq(next_report(w), 1);
    expect_quiet(w);
    /* And the next one: the watch followed `..data` to its new folder. */
    configmap_update("2026_11_30_10_01_00.000000002", "2026_11_30_10_02_00.000000003", "a: 3\n");
    ck_assert_uint_eq(next_report(w), 1);
    expect_quiet(w);
    sl_watch_free(w);
}
END_TEST

START_TEST(test_watch_follows_a_link_to_another_folder)
{
    /* policy.yaml is a link into another folder, where the file is rewritten in place: no
     * event in the link's folder, yet the change is noticed. */
    ck_assert_int_eq(mkdir(in_dir("real"), 0755), 0);
    ck_assert_int_eq(mkdir(in_dir("conf"), 0755), 0);
    write_file(in_dir("real/policy.yaml"), "a: 1\n");
    ck_assert_int_eq(symlink("../real/policy.yaml", in_dir("conf/policy.yaml")), 0);
    struct sl_watch *w = watch_one(in_dir("conf/policy.yaml"));
    write_file(in_dir("real/policy.yaml"), "a: 2\n");
    ck_assert_uint_eq(next_report(w), 1);
    /* The link itself pointed elsewhere. */
    write_file(in_dir("real/other.yaml"), "a: 3\n");
    ck_assert_uint_eq(next_report(w), 0); /* another file in the target's folder */
    ck_assert_int_eq(unlink(in_dir("conf/policy.yaml")), 0);
    ck_assert_int_eq(symlink("../real/other.yaml", in_dir("conf/policy.yaml")), 0);
    ck_assert_uint_eq(next_report(w), 1);
    expect_quiet(w);
    sl_watch_free(w);
}
END_TEST

START_TEST(test_watch_passes_over_other_files)
{
    const char *p = in_dir("policy.yaml");
    write_file(p, "a: 1\n");
    struct sl_watch *w = watch_one(p);
    /* A burst about other files in the folder settles and changes nothing... */
    write_file(in_dir("notes.txt"), "x\n");
    const char *tmp = in_dir("notes.txt.tmp");
    write_file(tmp, "y\n");
    ck_assert_int_eq(rename(tmp, in_dir("notes.txt")), 0);
    ck_assert_int_eq(unlink(in_dir("notes.txt")), 0);
    ck_assert_uint_eq(next_report(w), 0);
    expect_quiet(w);
    /* ...and the watch still notices the file. */
    write_file(p, "a: 2\n");
    ck_assert_uint_eq(next_report(w), 1);
    sl_watch_free(w);
}
END_TEST

START_TEST(test_watch_reports_a_burst_once)
{
    /* Fifty writes and a rename, all made before the watch reads any event: one report. */
    const char *p = in_dir("policy.yaml");
    write_file(p, "a: 0\n");
    struct sl_watch *w = watch_one(p);
    char text[32];
    for (int i = 1; i <= 50; i++) {
        snprintf(text, sizeof(text), "a: %d\n", i);
        write_file(p, text);
    }
    const char *tmp = in_dir("policy.yaml.new");
    write_file(tmp, "a: 51\n");
    ck_assert_int_eq(rename(tmp, p), 0);
    ck_assert_uint_eq(next_report(w), 1);
    expect_quiet(w);
    sl_watch_free(w);
}
END_TEST

START_TEST(test_watch_tells_paths_apart)
{
    ck_assert_int_eq(mkdir(in_dir("tls"), 0755), 0);
    const char *paths[] = {in_dir("policy.yaml"), in_dir("tls/tls.crt"), in_dir("tls/tls.key")};
    for (size_t i = 0; i < 3; i++)
        write_file(paths[i], "x\n");
    struct sl_watch *w = NULL;
    struct sl_error err = {0};
    ck_assert_int_eq(sl_watch_new(paths, 3, SL_WATCH_SETTLE_MS, &w, &err), SL_OK);
    write_file(paths[1], "y\n");
    write_file(paths[2], "y\n");
    ck_assert_uint_eq(next_report(w), 6);
    write_file(paths[0], "y\n");
    ck_assert_uint_eq(next_report(w), 1);
    expect_quiet(w);
    sl_watch_free(w);
}
END_TEST

START_TEST(test_watch_notices_removal_and_return)
{
    /* A file that goes away is a change (its reload fails and says so); so is its return. */
    const char *p = in_dir("policy.yaml");
    write_file(p, "a: 1\n");
    struct sl_watch *w = watch_one(p);
    ck_assert_int_eq(unlink(p), 0);
    ck_assert_uint_eq(next_report(w), 1);
    write_file(p, "a: 1\n");
    ck_assert_uint_eq(next_report(w), 1);
    /* A file that does not exist yet can be watched too. */
    struct sl_watch *w2 = watch_one(in_dir("later.yaml"));
    write_file(in_dir("later.yaml"), "a: 1\n");
    ck_assert_uint_eq(next_report(w2), 1);
    sl_watch_free(w2);
    sl_watch_free(w);
}
END_TEST

START_TEST(test_watch_refuses_what_it_cannot_watch)
{
    struct sl_watch *w = NULL;
    struct sl_error err = {0};
    const char *missing = in_dir("no-such-folder/policy.yaml");
    ck_assert_int_eq(sl_watch_new(&missing, 1, SL_WATCH_SETTLE_MS, &w, &err), SL_E_IO);
    ck_assert_ptr_null(w);
    ck_assert_str_eq(err.file, in_dir("no-such-folder"));
    ck_assert_ptr_nonnull(strstr(err.msg, "cannot watch this folder"));
    ck_assert_int_eq(sl_watch_new(&missing, 0, SL_WATCH_SETTLE_MS, &w, &err), SL_E_USAGE);
    ck_assert_ptr_null(w);
    sl_watch_free(NULL);
}
END_TEST

Suite *suite_watch(void)
{
    Suite *s = suite_create("watch");
    TCase *tc = tcase_create("watch");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_watch_notices_a_write_in_place);
    tcase_add_test(tc, test_watch_notices_a_rename_over);
    tcase_add_test(tc, test_watch_notices_a_configmap_update);
    tcase_add_test(tc, test_watch_follows_a_link_to_another_folder);
    tcase_add_test(tc, test_watch_passes_over_other_files);
    tcase_add_test(tc, test_watch_reports_a_burst_once);
    tcase_add_test(tc, test_watch_tells_paths_apart);
    tcase_add_test(tc, test_watch_notices_removal_and_return);
    tcase_add_test(tc, test_watch_refuses_what_it_cannot_watch);
    suite_add_tcase(s, tc);
    return s;
}
