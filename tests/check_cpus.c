/* cpus: the thread count `serve` picks from the CPUs it may use. The parsers are fed the
 * texts the kernel writes (cgroup v2 cpu.max, v1 cpu.cfs_quota_us and cpu.cfs_period_us,
 * /proc/self/cgroup, /proc/self/mountinfo), and sl_cpus_quota() reads a made-up root: a
 * temporary folder laid out like / in a container under cgroup v2, under v1, and on a hybrid
 * host. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "socklock/alloc.h"
#include "socklock/cpus.h"

extern Suite *suite_cpus(void);

START_TEST(test_cpus_parse_cpu_max)
{
    double c = -1;
    ck_assert_int_eq(sl_cpus_parse_cpu_max("max 100000\n", &c), SL_OK);
    ck_assert(c == 0);
    ck_assert_int_eq(sl_cpus_parse_cpu_max("150000 100000\n", &c), SL_OK);
    ck_assert(c == 1.5);
    ck_assert_int_eq(sl_cpus_parse_cpu_max("50000 100000", &c), SL_OK);
    ck_assert(c == 0.5);
    ck_assert_int_eq(sl_cpus_parse_cpu_max("400000 100000\n", &c), SL_OK);
    ck_assert(c == 4);
    static const char *const bad[] = {"",
                                      "\n",
                                      "max",
                                      "100000\n",
                                      "1 2 3\n",
                                      "0 100000\n",
                                      "-5 100000\n",
                                      "max 0\n",
                                      "max -1\n",
                                      "x 100000\n",
                                      "1e5 100000\n",
                                      "100 10x\n",
                                      "max\n100\n",
                                      "99999999999999999999999 1\n"};
    for (size_t i = 0; i < SL_ARRAY_LEN(bad); i++)
        ck_assert_msg(sl_cpus_parse_cpu_max(bad[i], &c) == SL_E_INVALID, "accepted \"%s\"", bad[i]);
    ck_assert_int_eq(sl_cpus_parse_cpu_max(NULL, &c), SL_E_INVALID);
}
END_TEST

START_TEST(test_cpus_parse_cfs)
{
    double c = -1;
    ck_assert_int_eq(sl_cpus_parse_cfs("-1\n", "100000\n", &c), SL_OK);
    ck_assert(c == 0);
    /* No quota needs no period. */
    ck_assert_int_eq(sl_cpus_parse_cfs("-1\n", NULL, &c), SL_OK);
    ck_assert(c == 0);
    ck_assert_int_eq(sl_cpus_parse_cfs("250000\n", "100000\n", &c), SL_OK);
    ck_assert(c == 2.5);
    ck_assert_int_eq(sl_cpus_parse_cfs("20000\n", "100000\n", &c), SL_OK);
    ck_assert(c == 0.2);
    ck_assert_int_eq(sl_cpus_parse_cfs("250000\n", NULL, &c), SL_E_INVALID);
    ck_assert_int_eq(sl_cpus_parse_cfs("250000\n", "0\n", &c), SL_E_INVALID);
    ck_assert_int_eq(sl_cpus_parse_cfs("0\n", "100000\n", &c), SL_E_INVALID);
    ck_assert_int_eq(sl_cpus_parse_cfs("-2\n", "100000\n", &c), SL_E_INVALID);
    ck_assert_int_eq(sl_cpus_parse_cfs("max\n", "100000\n", &c), SL_E_INVALID);
    ck_assert_int_eq(sl_cpus_parse_cfs("1 2\n", "100000\n", &c), SL_E_INVALID);
    ck_assert_int_eq(sl_cpus_parse_cfs("", "100000\n", &c), SL_E_INVALID);
}
END_TEST

START_TEST(test_cpus_threads_from_affinity_and_quota)
{
    ck_assert_uint_eq(sl_cpus_threads(8, 0), 8);   /* no quota */
    ck_assert_uint_eq(sl_cpus_threads(8, 1.5), 2); /* rounded up */
    ck_assert_uint_eq(sl_cpus_threads(8, 2), 2);   /* whole: as is */
    ck_assert_uint_eq(sl_cpus_threads(8, 0.1), 1); /* at least 1 */
    ck_assert_uint_eq(sl_cpus_threads(1, 4), 1);   /* pinned to one CPU: the mask wins */
    ck_assert_uint_eq(sl_cpus_threads(0, 0), 1);   /* an unreadable mask */
    ck_assert_uint_eq(sl_cpus_threads(4096, 0), 1024);
    ck_assert_uint_eq(sl_cpus_threads(2, 2.0001), 2);
}
END_TEST

/* /proc/self/cgroup and mountinfo of a pod's container under cgroup v2 with a cgroup
 * namespace: the cgroup is "/", mounted from its own root. */
static const char v2_cgroup[] = "0::/\n";
static const char v2_mountinfo[] =
    "1420 1300 0:371 / / rw,relatime master:460 - overlay overlay rw,lowerdir=/l\n"
    "1425 1420 0:375 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro\n"
    "1426 1425 0:30 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup "
    "rw,nsdelegate,memory_recursiveprot\n";

/* The same without a cgroup namespace: the path is the host's, the mount its root. */
static const char v2_host_cgroup[] = "0::/kubepods.slice/kubepods-pod1.slice/cri-abc.scope\n";
static const char v2_host_mountinfo[] =
    "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
    "rw,nsdelegate\n";

/* cgroup v1 in a container (Docker without a cgroup namespace): the cpu hierarchy is mounted
 * from the container's own cgroup, at a mount point with a comma and an escaped space. */
static const char v1_cgroup[] = "12:pids:/docker/c0ffee\n"
                                "11:cpu,cpuacct:/docker/c0ffee\n"
                                "10:memory:/docker/c0ffee\n"
                                "1:name=systemd:/docker/c0ffee\n"
                                "0::/system.slice/containerd.service\n";
static const char v1_mountinfo[] =
    "600 599 0:50 / / rw - overlay overlay rw\n"
    "610 609 0:31 /docker/c0ffee /sys/fs/cgroup/cpu,cpuacct ro,nosuid - cgroup cgroup "
    "rw,cpu,cpuacct\n"
    "611 609 0:32 /docker/c0ffee /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory\n"
    "612 609 0:33 /docker/c0ffee /sys/fs/cgroup/my\\040cpuset ro - cgroup cgroup rw,cpuset\n";

START_TEST(test_cpus_cgroup_dir)
{
    char dir[256];
    ck_assert_int_eq(sl_cpus_cgroup_dir(v2_cgroup, v2_mountinfo, 2, dir, sizeof(dir)), SL_OK);
    ck_assert_str_eq(dir, "/sys/fs/cgroup");
    ck_assert_int_eq(sl_cpus_cgroup_dir(v2_host_cgroup, v2_host_mountinfo, 2, dir, sizeof(dir)),
                     SL_OK);
    ck_assert_str_eq(dir, "/sys/fs/cgroup/kubepods.slice/kubepods-pod1.slice/cri-abc.scope");
    ck_assert_int_eq(sl_cpus_cgroup_dir(v1_cgroup, v1_mountinfo, 1, dir, sizeof(dir)), SL_OK);
    ck_assert_str_eq(dir, "/sys/fs/cgroup/cpu,cpuacct");
    /* v1's "0::" line has no v2 mount here: not found. */
    ck_assert_int_eq(sl_cpus_cgroup_dir(v1_cgroup, v1_mountinfo, 2, dir, sizeof(dir)),
                     SL_E_NOTFOUND);
    ck_assert_int_eq(sl_cpus_cgroup_dir(v2_cgroup, v2_mountinfo, 1, dir, sizeof(dir)),
                     SL_E_NOTFOUND);
    /* "cpuset" is not "cpu": the controller list is matched word by word. */
    static const char cpuset_only[] = "4:cpuset:/x\n";
    ck_assert_int_eq(sl_cpus_cgroup_dir(cpuset_only, v1_mountinfo, 1, dir, sizeof(dir)),
                     SL_E_NOTFOUND);
    /* An escaped mount point is unescaped. */
    static const char cpu_in_space[] = "4:cpu:/docker/c0ffee/sub\n";
    static const char mi_space[] =
        "612 609 0:33 /docker/c0ffee /sys/fs/cgroup/my\\040cpu ro - cgroup cgroup rw,cpu\n";
    ck_assert_int_eq(sl_cpus_cgroup_dir(cpu_in_space, mi_space, 1, dir, sizeof(dir)), SL_OK);
    ck_assert_str_eq(dir, "/sys/fs/cgroup/my cpu/sub");
    /* A path outside the mount's root cannot be reached through it. */
    static const char elsewhere[] = "11:cpu,cpuacct:/other\n";
    ck_assert_int_eq(sl_cpus_cgroup_dir(elsewhere, v1_mountinfo, 1, dir, sizeof(dir)),
                     SL_E_NOTFOUND);
    static const char prefix_only[] = "11:cpu,cpuacct:/docker/c0ffee2\n";
    ck_assert_int_eq(sl_cpus_cgroup_dir(prefix_only, v1_mountinfo, 1, dir, sizeof(dir)),
                     SL_E_NOTFOUND);
    /* Too small a buffer. */
    ck_assert_int_eq(sl_cpus_cgroup_dir(v2_host_cgroup, v2_host_mountinfo, 2, dir, 20), SL_E_LIMIT);
    ck_assert_int_eq(sl_cpus_cgroup_dir("", "", 2, dir, sizeof(dir)), SL_E_NOTFOUND);
    ck_assert_int_eq(sl_cpus_cgroup_dir(NULL, v2_mountinfo, 2, dir, sizeof(dir)), SL_E_NOTFOUND);
}
END_TEST

/* A made-up root: files written below a temporary folder. */
struct root {
    char dir[64];
};

static void root_make(struct root *r)
{
    snprintf(r->dir, sizeof(r->dir), "/tmp/socklock-cpus-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(r->dir));
}

static void root_put(const struct root *r, const char *path, const char *text)
{
    char *full = sl_xasprintf("%s%s", r->dir, path);
    /* Every parent folder. */
    for (char *p = full + strlen(r->dir) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        mkdir(full, 0700);
        *p = '/';
    }
    FILE *f = fopen(full, "w");
    ck_assert_msg(f != NULL, "cannot write %s", full);
    fputs(text, f);
    fclose(f);
    free(full);
}

static void root_remove(struct root *r)
{
    char *cmd = sl_xasprintf("rm -rf '%s'", r->dir);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
}

START_TEST(test_cpus_quota_cgroup_v2)
{
    struct root r;
    root_make(&r);
    root_put(&r, "/proc/self/cgroup", v2_host_cgroup);
    root_put(&r, "/proc/self/mountinfo", v2_host_mountinfo);
    int version = -1;
    /* No cpu.max (the controller is not enabled there): no quota. */
    ck_assert(sl_cpus_quota(r.dir, &version) == 0);
    ck_assert_int_eq(version, 0);
    root_put(&r, "/sys/fs/cgroup/kubepods.slice/kubepods-pod1.slice/cri-abc.scope/cpu.max",
             "max 100000\n");
    ck_assert(sl_cpus_quota(r.dir, &version) == 0);
    ck_assert_int_eq(version, 2);
    root_put(&r, "/sys/fs/cgroup/kubepods.slice/kubepods-pod1.slice/cri-abc.scope/cpu.max",
             "250000 100000\n");
    ck_assert(sl_cpus_quota(r.dir, &version) == 2.5);
    ck_assert_int_eq(version, 2);
    ck_assert_uint_eq(sl_cpus_threads(8, sl_cpus_quota(r.dir, NULL)), 3);
    /* A garbled file is no quota, never a failure to start. */
    root_put(&r, "/sys/fs/cgroup/kubepods.slice/kubepods-pod1.slice/cri-abc.scope/cpu.max",
             "garbage\n");
    ck_assert(sl_cpus_quota(r.dir, &version) == 0);
    ck_assert_int_eq(version, 0);
    root_remove(&r);
}
END_TEST

START_TEST(test_cpus_quota_cgroup_v1)
{
    struct root r;
    root_make(&r);
    root_put(&r, "/proc/self/cgroup", v1_cgroup);
    root_put(&r, "/proc/self/mountinfo", v1_mountinfo);
    root_put(&r, "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "50000\n");
    root_put(&r, "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
    int version = -1;
    ck_assert(sl_cpus_quota(r.dir, &version) == 0.5);
    ck_assert_int_eq(version, 1);
    ck_assert_uint_eq(sl_cpus_threads(16, 0.5), 1);
    root_put(&r, "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
    ck_assert(sl_cpus_quota(r.dir, &version) == 0);
    ck_assert_int_eq(version, 1);
    root_remove(&r);
}
END_TEST

START_TEST(test_cpus_quota_hybrid_prefers_v2_with_cpu_max)
{
    /* A hybrid host: v1 hierarchies and a v2 one. The v2 cgroup has no cpu.max (the cpu
     * controller is on v1), so v1's quota counts; once v2 has one, it wins. */
    struct root r;
    root_make(&r);
    root_put(&r, "/proc/self/cgroup", "11:cpu,cpuacct:/\n0::/\n");
    root_put(&r, "/proc/self/mountinfo",
             "30 24 0:26 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
             "31 24 0:27 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n");
    root_put(&r, "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "300000\n");
    root_put(&r, "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
    int version = -1;
    ck_assert(sl_cpus_quota(r.dir, &version) == 3);
    ck_assert_int_eq(version, 1);
    root_put(&r, "/sys/fs/cgroup/unified/cpu.max", "100000 100000\n");
    ck_assert(sl_cpus_quota(r.dir, &version) == 1);
    ck_assert_int_eq(version, 2);
    root_remove(&r);
}
END_TEST

START_TEST(test_cpus_quota_nothing_to_read)
{
    struct root r;
    root_make(&r);
    int version = -1;
    ck_assert(sl_cpus_quota(r.dir, &version) == 0);
    ck_assert_int_eq(version, 0);
    root_remove(&r);
}
END_TEST

START_TEST(test_cpus_affinity_counts_this_process)
{
    /* The mask of the test process: at least 1, at most the configured CPUs. */
    unsigned n = sl_cpus_affinity();
    long conf = sysconf(_SC_NPROCESSORS_CONF);
    ck_assert_uint_ge(n, 1);
    if (conf > 0)
        ck_assert_uint_le(n, (unsigned)conf);
    /* The real files parse, whatever they say: a quota is 0 or positive. */
    int version = -1;
    ck_assert(sl_cpus_quota("", &version) >= 0);
    ck_assert(version >= 0 && version <= 2);
}
END_TEST

Suite *suite_cpus(void)
{
    Suite *s = suite_create("cpus");
    TCase *tc = tcase_create("cpus");
    tcase_add_test(tc, test_cpus_parse_cpu_max);
    tcase_add_test(tc, test_cpus_parse_cfs);
    tcase_add_test(tc, test_cpus_threads_from_affinity_and_quota);
    tcase_add_test(tc, test_cpus_cgroup_dir);
    tcase_add_test(tc, test_cpus_quota_cgroup_v2);
    tcase_add_test(tc, test_cpus_quota_cgroup_v1);
    tcase_add_test(tc, test_cpus_quota_hybrid_prefers_v2_with_cpu_max);
    tcase_add_test(tc, test_cpus_quota_nothing_to_read);
    tcase_add_test(tc, test_cpus_affinity_counts_this_process);
    suite_add_tcase(s, tc);
    return s;
}
