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

#include "socklock/buf.h"

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
static bool csv_has(const char *list, size_t n, const char *word)
{
    size_t w = strlen(word);
    for (size_t i = 0; i < n;) {
        size_t k = 0;
        while (i + k < n && list[i + k] != ',')
            k++;
        if (k == w && strncmp(list + i, word, w) == 0)
            return true;
        i += k + 1;
    }
    return false;
}

/* The PATH of /proc/self/cgroup's line for `version` ("0::PATH" for 2; for 1 the line whose
 * controllers include "cpu"), as [*path, *path + *n). */
static bool cgroup_path(const char *text, int version, const char **path, size_t *n)
{
    for (const char *line = text; line != NULL && *line != '\0';) {
        const char *eol = strchr(line, '\n');
        size_t ll = eol != NULL ? (size_t)(eol - line) : strlen(line);
        const char *c1 = memchr(line, ':', ll);
        const char *c2 = c1 != NULL ? memchr(c1 + 1, ':', ll - (size_t)(c1 + 1 - line)) : NULL;
        if (c2 != NULL) {
            size_t cl = (size_t)(c2 - c1 - 1);
            bool match = version == 2 ? (c1 - line == 1 && line[0] == '0' && cl == 0)
                                      : csv_has(c1 + 1, cl, "cpu");
            if (match) {
                *path = c2 + 1;
                *n = ll - (size_t)(c2 + 1 - line);
                return true;
            }
        }
        line = eol != NULL ? eol + 1 : NULL;
    }
    return false;
}

/* Copies a mountinfo field, undoing its octal escapes ("\040" for a space). */
static bool unescape(const char *s, size_t n, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
            s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
            c = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
        }
        if (o + 1 >= size)
            return false;
        out[o++] = c;
    }
    out[o] = '\0';
    return true;
}

/* Finds the mount of cgroup `version` holding the cpu controller in mountinfo (proc(5):
 * "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS"). */
static bool cgroup_mount(const char *text, int version, const char **root, size_t *rn,
                         const char **point, size_t *pn)
{
    for (const char *line = text; line != NULL && *line != '\0';) {
        const char *eol = strchr(line, '\n');
        size_t ll = eol != NULL ? (size_t)(eol - line) : strlen(line);
        const char *f[6];
        size_t len[6], n = 0;
        for (size_t i = 0; i < ll && n < 6;) {
            while (i < ll && line[i] == ' ')
                i++;
            size_t k = i;
            while (k < ll && line[k] != ' ')
                k++;
            if (k > i) {
                f[n] = line + i;
                len[n++] = k - i;
            }
            i = k;
        }
        /* The fields after the " - " separator. */
        const char *sep = NULL;
        for (size_t i = 0; i + 3 <= ll && sep == NULL; i++)
            if (strncmp(line + i, " - ", 3) == 0)
                sep = line + i + 3;
        if (n == 6 && sep != NULL) {
            size_t rest = ll - (size_t)(sep - line);
            const char *type = sep, *sp = memchr(sep, ' ', rest);
            size_t tl = sp != NULL ? (size_t)(sp - sep) : rest;
            /* SUPEROPTIONS is the third field after the separator. */
            const char *opts = NULL;
            size_t ol = 0;
            if (sp != NULL) {
                const char *src = sp + 1, *sp2 = memchr(src, ' ', rest - tl - 1);
                if (sp2 != NULL) {
                    opts = sp2 + 1;
                    ol = ll - (size_t)(opts - line);
                }
            }
            bool match = version == 2 ? (tl == 7 && strncmp(type, "cgroup2", 7) == 0)
                                      : (tl == 6 && strncmp(type, "cgroup", 6) == 0 &&
                                         opts != NULL && csv_has(opts, ol, "cpu"));
            if (match) {
                *root = f[3];
                *rn = len[3];
                *point = f[4];
                *pn = len[4];
                return true;
            }
        }
        line = eol != NULL ? eol + 1 : NULL;
    }
    return false;
}

enum sl_status sl_cpus_cgroup_dir(const char *proc_cgroup, const char *mountinfo, int version,
                                  char *out, size_t size)
{
    const char *path = NULL, *root = NULL, *point = NULL;
    size_t n = 0, rn = 0, pn = 0;
    if (proc_cgroup == NULL || mountinfo == NULL || !cgroup_path(proc_cgroup, version, &path, &n) ||
        !cgroup_mount(mountinfo, version, &root, &rn, &point, &pn))
        return SL_E_NOTFOUND;
    char r[4096], p[4096], m[4096];
    if (!unescape(root, rn, r, sizeof(r)) || !unescape(point, pn, m, sizeof(m)) || n >= sizeof(p))
        return SL_E_LIMIT;
    memcpy(p, path, n);
    p[n] = '\0';
    /* PATH is relative to the hierarchy's root; the mount shows it from ROOT down. */
    size_t rl = strlen(r);
    const char *rel = p;
    if (strcmp(r, "/") != 0) {
        if (strncmp(p, r, rl) != 0 || (p[rl] != '\0' && p[rl] != '/'))
            return SL_E_NOTFOUND;
        rel = p + rl;
    }
    while (*rel == '/')
        rel++;
    int w = snprintf(out, size, "%s%s%s", m, *rel != '\0' ? "/" : "", rel);
    return w >= 0 && (size_t)w < size ? SL_OK : SL_E_LIMIT;
}

unsigned sl_cpus_threads(unsigned affinity, double quota)
{
    double n = affinity > 0 ? (double)affinity : 1;
    if (quota > 0 && ceil(quota) < n)
        n = ceil(quota);
    if (n < 1)
        n = 1;
    return n > MAX_THREADS ? MAX_THREADS : (unsigned)n;
}

static char *read_small(const char *root, const char *path)
{
    char full[8192];
    int w = snprintf(full, sizeof(full), "%s%s", root, path);
    if (w < 0 || (size_t)w >= sizeof(full))
        return NULL;
    struct sl_buf b;
    sl_buf_init(&b, (size_t)1 << 20);
    if (sl_buf_load_file(&b, full, NULL) != SL_OK) {
        sl_buf_cleanup(&b);
        return NULL;
    }
    return sl_buf_detach(&b, NULL);
}

/* The quota of cgroup `version` under root, or -1 when that version has none to read. */
static double quota_of(const char *root, const char *cg, const char *mi, int version)
{
    char dir[4096], file[4200];
    if (sl_cpus_cgroup_dir(cg, mi, version, dir, sizeof(dir)) != SL_OK)
        return -1;
    double cpus = -1;
    if (version == 2) {
        snprintf(file, sizeof(file), "%s/cpu.max", dir);
        char *text = read_small(root, file);
        if (text == NULL || sl_cpus_parse_cpu_max(text, &cpus) != SL_OK)
            cpus = -1;
        free(text);
    } else {
        snprintf(file, sizeof(file), "%s/cpu.cfs_quota_us", dir);
        char *quota = read_small(root, file);
        snprintf(file, sizeof(file), "%s/cpu.cfs_period_us", dir);
        char *period = read_small(root, file);
        if (quota == NULL || sl_cpus_parse_cfs(quota, period, &cpus) != SL_OK)
            cpus = -1;
        free(quota);
        free(period);
    }
    return cpus;
}

double sl_cpus_quota(const char *root, int *version)
{
    char *cg = read_small(root, "/proc/self/cgroup");
    char *mi = read_small(root, "/proc/self/mountinfo");
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
