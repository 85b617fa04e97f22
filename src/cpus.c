/* cpus: the CPUs this process may use (cpus.h): the affinity mask and the cgroup CPU quota.
 * The quota is read once at start; a limit changed while the process runs (an in-place pod
 * resize) is not followed, as automaxprocs does not either. */
/* glibc declares sched_getaffinity and the CPU_* macros only with _GNU_SOURCE, a
 * feature-test macro that must be defined before any header. */
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
#include "socklock/cpus.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "socklock/cgroup.h"

#define MAX_THREADS 1024

/* A decimal number that fills [s, s + n) whole; false otherwise. */
static bool parse_ll(const char *s, size_t n, long long *out)
{
    char tmp[32];
    if (n == 0 || n >= sizeof(tmp))
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *end = NULL;
    errno = 0;
    long long v = strtoll(tmp, &end, 10);
    if (errno != 0 || *end != '\0' || !(tmp[0] == '-' || (tmp[0] >= '0' && tmp[0] <= '9')))
        return false;
    *out = v;
    return true;
}

/* Splits text (one line, a trailing newline allowed) into at most `max` fields separated by
 * spaces; the count, or max + 1 when there are more. */
static size_t fields(const char *text, const char **start, size_t *len, size_t max)
{
    size_t n = 0;
    const char *p = text;
    for (;;) {
        p += strspn(p, " \t");
        if (*p == '\0' || (*p == '\n' && p[1] == '\0'))
            return n;
        if (*p == '\n' || n == max)
            return max + 1;
        start[n] = p;
        len[n] = strcspn(p, " \t\n");
        p += len[n];
        n++;
    }
}

enum sl_status sl_cpus_parse_cpu_max(const char *text, double *cpus)
{
    const char *f[2];
    size_t len[2];
    long long quota = 0, period = 0;
    if (text == NULL || fields(text, f, len, 2) != 2 || !parse_ll(f[1], len[1], &period) ||
        period <= 0)
        return SL_E_INVALID;
    if (len[0] == 3 && strncmp(f[0], "max", 3) == 0) {
        *cpus = 0;
        return SL_OK;
    }
    if (!parse_ll(f[0], len[0], &quota) || quota <= 0)
        return SL_E_INVALID;
    *cpus = (double)quota / (double)period;
    return SL_OK;
}

enum sl_status sl_cpus_parse_cfs(const char *quota, const char *period, double *cpus)
{
    const char *f[1];
    size_t len[1];
    long long q = 0, p = 0;
    if (quota == NULL || fields(quota, f, len, 1) != 1 || !parse_ll(f[0], len[0], &q))
        return SL_E_INVALID;
    if (q == -1) {
        *cpus = 0;
        return SL_OK;
    }
    if (q <= 0 || period == NULL || fields(period, f, len, 1) != 1 || !parse_ll(f[0], len[0], &p) ||
        p <= 0)
        return SL_E_INVALID;
    *cpus = (double)q / (double)p;
    return SL_OK;
}

/* True when the comma-separated list[0..n) has `word`. */
unsigned sl_cpus_threads(unsigned affinity, double quota)
{
    double n = affinity > 0 ? (double)affinity : 1;
    if (quota > 0 && ceil(quota) < n)
        n = ceil(quota);
    if (n < 1)
        n = 1;
    return n > MAX_THREADS ? MAX_THREADS : (unsigned)n;
}

/* The quota of cgroup `version` under root, or -1 when that version has none to read. */
static double quota_of(const char *root, const char *cg, const char *mi, int version)
{
    char dir[4096], file[4200];
    if (sl_cgroup_dir(cg, mi, version, "cpu", dir, sizeof(dir)) != SL_OK)
        return -1;
    double cpus = -1;
    if (version == 2) {
        snprintf(file, sizeof(file), "%s/cpu.max", dir);
        char *text = sl_cgroup_read(root, file);
        if (text == NULL || sl_cpus_parse_cpu_max(text, &cpus) != SL_OK)
            cpus = -1;
        free(text);
    } else {
        snprintf(file, sizeof(file), "%s/cpu.cfs_quota_us", dir);
        char *quota = sl_cgroup_read(root, file);
        snprintf(file, sizeof(file), "%s/cpu.cfs_period_us", dir);
        char *period = sl_cgroup_read(root, file);
        if (quota == NULL || sl_cpus_parse_cfs(quota, period, &cpus) != SL_OK)
            cpus = -1;
        free(quota);
        free(period);
    }
    return cpus;
}

double sl_cpus_quota(const char *root, int *version)
{
    char *cg = sl_cgroup_read(root, "/proc/self/cgroup");
    char *mi = sl_cgroup_read(root, "/proc/self/mountinfo");
    double cpus = -1;
    int v = 2;
    /* A hybrid host mounts both; the v2 hierarchy there usually has no cpu controller (no
     * cpu.max), and then v1's counts. */
    for (; v >= 1 && cpus < 0; v--)
        cpus = quota_of(root, cg, mi, v);
    free(cg);
    free(mi);
    if (version != NULL)
        *version = cpus < 0 ? 0 : v + 1;
    return cpus < 0 ? 0 : cpus;
}

unsigned sl_cpus_affinity(void)
{
    for (size_t n = 1024; n <= ((size_t)1 << 16); n *= 2) {
        cpu_set_t *set = CPU_ALLOC(n);
        if (set == NULL)
            break;
        size_t size = CPU_ALLOC_SIZE(n);
        CPU_ZERO_S(size, set);
        int rc = sched_getaffinity(0, size, set);
        int count = rc == 0 ? CPU_COUNT_S(size, set) : 0;
        int e = errno;
        CPU_FREE(set);
        if (rc == 0 && count > 0)
            return (unsigned)count;
        if (rc != 0 && e != EINVAL)
            break; /* EINVAL: the kernel's mask is larger than the set; try a larger one */
    }
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (unsigned)online : 1u;
}
