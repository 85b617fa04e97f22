/* cpus: how many CPUs this process may use, for `serve`'s default thread count. Two things
 * bound it, as Go's automaxprocs reads them: the scheduler's affinity mask (a cpuset, `taskset`)
 * and the CPU quota of the process's cgroup (v2 `cpu.max`; v1 `cpu.cfs_quota_us` over
 * `cpu.cfs_period_us`), which is what a Kubernetes CPU limit becomes. More threads than that
 * only queue for the quota. The parsers take file contents and are pure, so every case is
 * unit-tested without a cgroup; sl_cpus_quota() reads the files under a root a test can
 * make up. */
#ifndef SOCKLOCK_CPUS_H
#define SOCKLOCK_CPUS_H

#include <stddef.h>

#include "socklock/common.h"

/* The quota in the text of a cgroup v2 `cpu.max` ("QUOTA PERIOD", or "max PERIOD" for none),
 * in CPUs: *cpus is QUOTA / PERIOD, or 0 for no quota. SL_E_INVALID when the text is not
 * that (missing or extra fields, a zero period, a zero or negative quota, not a number). */
enum sl_status sl_cpus_parse_cpu_max(const char *text, double *cpus);

/* The same for cgroup v1, from the texts of `cpu.cfs_quota_us` ("-1": no quota) and
 * `cpu.cfs_period_us`. */
enum sl_status sl_cpus_parse_cfs(const char *quota, const char *period, double *cpus);

/* Where the cgroup that holds this process's CPU controller is mounted, from the texts of
 * /proc/self/cgroup and /proc/self/mountinfo: for cgroup version 2 (the "0::PATH" line and
 * the cgroup2 mount) or 1 (the line whose controllers include "cpu", and the cgroup mount
 * with that option). Writes the directory (mount point, then PATH below the mount's root)
 * into out. SL_E_NOTFOUND when there is no such cgroup or mount, or PATH is outside the
 * mount; SL_E_LIMIT when out is too small. */
enum sl_status sl_cpus_cgroup_dir(const char *proc_cgroup, const char *mountinfo, int version,
                                  char *out, size_t size);

/* The thread count for `affinity` usable CPUs and a quota of `quota` CPUs (0: none): the
 * smaller of the two, the quota rounded up (1.5 CPUs is 2 threads), at least 1, at most
 * 1024. */
unsigned sl_cpus_threads(unsigned affinity, double quota);

/* The CPU quota of this process's cgroup in CPUs, reading /proc/self/cgroup,
 * /proc/self/mountinfo and the cgroup's files with `root` before every path ("" for the
 * real ones): cgroup v2 first, then v1, as a hybrid host has both. 0 when there is none or
 * it cannot be read. *version (when not NULL) says which cgroup version gave it, 0 none. */
double sl_cpus_quota(const char *root, int *version);

/* The CPUs in this process's affinity mask; the online CPUs when it cannot be read. At
 * least 1. */
unsigned sl_cpus_affinity(void);

#endif
