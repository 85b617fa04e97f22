/* cgroup: where this process's cgroup is, and what its files say (cgroup.h). The parsers
 * take file contents, so every case is tested without a cgroup. */
#include "socklock/cgroup.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socklock/buf.h"

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
 * controllers include `controller`), as [*path, *path + *n). */
static bool cgroup_path(const char *text, int version, const char *controller, const char **path,
                        size_t *n)
{
    for (const char *line = text; line != NULL && *line != '\0';) {
        const char *eol = strchr(line, '\n');
        size_t ll = eol != NULL ? (size_t)(eol - line) : strlen(line);
        const char *c1 = memchr(line, ':', ll);
        const char *c2 = c1 != NULL ? memchr(c1 + 1, ':', ll - (size_t)(c1 + 1 - line)) : NULL;
        if (c2 != NULL) {
            size_t cl = (size_t)(c2 - c1 - 1);
            bool match = version == 2 ? (c1 - line == 1 && line[0] == '0' && cl == 0)
                                      : csv_has(c1 + 1, cl, controller);
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

/* Finds the mount of cgroup `version` holding `controller` (version 1) in mountinfo (proc(5):
 * "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS"). */
static bool cgroup_mount(const char *text, int version, const char *controller, const char **root,
                         size_t *rn, const char **point, size_t *pn)
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
                                         opts != NULL && csv_has(opts, ol, controller));
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

enum sl_status sl_cgroup_dir(const char *proc_cgroup, const char *mountinfo, int version,
                             const char *controller, char *out, size_t size)
{
    const char *path = NULL, *root = NULL, *point = NULL;
    size_t n = 0, rn = 0, pn = 0;
    if (proc_cgroup == NULL || mountinfo == NULL ||
        !cgroup_path(proc_cgroup, version, controller, &path, &n) ||
        !cgroup_mount(mountinfo, version, controller, &root, &rn, &point, &pn))
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

char *sl_cgroup_read(const char *root, const char *path)
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

/* The limit in a memory.max (v2: bytes, or "max") or memory.limit_in_bytes (v1: bytes; an
 * unlimited v1 cgroup shows a number near 2^63, so anything from 2^60 up means none). */
enum sl_status sl_cgroup_parse_memory(const char *text, int version, size_t *bytes)
{
    *bytes = 0;
    if (text == NULL)
        return SL_E_INVALID;
    size_t n = strcspn(text, "\n");
    if (version == 2 && n == 3 && strncmp(text, "max", 3) == 0)
        return SL_OK;
    if (n == 0 || n > 20 || strspn(text, "0123456789") != n)
        return SL_E_INVALID;
    unsigned long long v = strtoull(text, NULL, 10);
    if (v < (1ull << 60))
        *bytes = (size_t)v;
    return SL_OK;
}

size_t sl_cgroup_memory_limit(const char *root)
{
    char *cg = sl_cgroup_read(root, "/proc/self/cgroup");
    char *mi = sl_cgroup_read(root, "/proc/self/mountinfo");
    size_t limit = 0;
    for (int v = 2; v >= 1 && limit == 0; v--) {
        char dir[4096], file[4200];
        if (sl_cgroup_dir(cg, mi, v, "memory", dir, sizeof(dir)) != SL_OK)
            continue;
        snprintf(file, sizeof(file), "%s/%s", dir, v == 2 ? "memory.max" : "memory.limit_in_bytes");
        char *text = sl_cgroup_read(root, file);
        size_t bytes = 0;
        if (sl_cgroup_parse_memory(text, v, &bytes) == SL_OK)
            limit = bytes;
        free(text);
    }
    free(cg);
    free(mi);
    return limit;
}
