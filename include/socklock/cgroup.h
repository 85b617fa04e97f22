/* cgroup: this process's cgroup, as the kernel shows it in /proc/self/cgroup and
 * /proc/self/mountinfo, and the limits a Kubernetes container's resources become there (the
 * CPU quota is read by cpus.h; the memory limit here). Every reader takes a `root` put
 * before each path ("" for the real files), so tests can make up a host. */
#ifndef SOCKLOCK_CGROUP_H
#define SOCKLOCK_CGROUP_H

#include <stddef.h>

#include "socklock/common.h"

/* Where the cgroup that holds this process's `controller` ("cpu", "memory") is mounted, from the
 * texts of /proc/self/cgroup and /proc/self/mountinfo: for cgroup version 2 (the "0::PATH" line and
 * the cgroup2 mount) or 1 (the line whose controllers include `controller`, and the cgroup
 * mount with that option). Writes the directory (mount point, then PATH below the mount's root)
 * into out. SL_E_NOTFOUND when there is no such cgroup or mount, or PATH is outside the
 * mount; SL_E_LIMIT when out is too small. */
enum sl_status sl_cgroup_dir(const char *proc_cgroup, const char *mountinfo, int version,
                             const char *controller, char *out, size_t size);

/* The contents of root + path (at most 1 MiB), NUL-terminated; NULL when it cannot be read.
 * Caller frees. */
char *sl_cgroup_read(const char *root, const char *path);

/* The memory limit in the text of a cgroup v2 memory.max ("max": none) or a v1
 * memory.limit_in_bytes (a huge number: none) into *bytes, 0 for none. SL_E_INVALID when
 * the text is not a number. */
enum sl_status sl_cgroup_parse_memory(const char *text, int version, size_t *bytes);

/* This process's cgroup memory limit in bytes (v2 first, then v1), 0 when there is none or
 * it cannot be read. */
size_t sl_cgroup_memory_limit(const char *root);

#endif
