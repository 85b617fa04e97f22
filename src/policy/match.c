/* match: how a policy's rules and exceptions match namespaces, names and container images,
 * and the dates exceptions expire on.
 *
 * Globs are fnmatch(3)'s without flags: `*` any run of characters ('/' included), `?` one,
 * `[...]` one of a set. An image is a reference as a pod names it, `[registry/]path[:tag]
 * [@digest]`, the way the container runtime reads it: a first path component with a '.' or
 * a ':', or `localhost`, is a registry, else the registry is docker.io, where a one-part
 * path is an official image under library/; no tag and no digest means :latest. A pattern
 * is matched against the reference as written, in full, and in brief (docker.io and
 * library/ left out), so "istio/proxyv2:*" and "docker.io/istio/proxyv2:*" both match
 * either spelling. */
#include "policy_int.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socklock/alloc.h"

bool sl_policy_glob(const char *pattern, const char *s)
{
    return fnmatch(pattern, s, 0) == 0;
}

bool sl_policy_glob_any(const struct sl_strlist *globs, const char *s)
{
    if (globs->len == 0)
        return true;
    for (size_t i = 0; i < globs->len; i++)
        if (sl_policy_glob(globs->items[i], s))
            return true;
    return false;
}

bool pol_is_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

bool pol_glob_valid(const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p != '[')
            continue;
        const char *q = p + 1;
        if (*q == '!' || *q == '^')
            q++;
        if (*q == ']')
            q++; /* a ']' first is a member */
        while (*q && *q != ']')
            q++;
        if (*q != ']' || q == p + 1)
            return false;
        p = q;
    }
    return true;
}

bool pol_glob_covers(const char *earlier, const char *later)
{
    if (strcmp(earlier, "*") == 0 || strcmp(earlier, later) == 0)
        return true;
    if (!pol_is_glob(later))
        return sl_policy_glob(earlier, later);
    /* "legacy-*" covers "legacy-a*" and "legacy-x?": every name later matches starts with
     * earlier's prefix. */
    size_t n = strlen(earlier);
    if (n > 0 && earlier[n - 1] == '*' && strpbrk(earlier, "?[") == NULL &&
        strchr(earlier, '*') == earlier + n - 1)
        return strncmp(earlier, later, n - 1) == 0 && strpbrk(later, "*?[") >= later + n - 1;
    return false;
}

/* ---- images ---- */

/* The forms of an image reference a pattern is matched against. */
struct image_forms {
    char *written, *full, *brief;                /* as written; in full; docker.io left out */
    char *written_repo, *full_repo, *brief_repo; /* the same without tag and digest */
};

/* The full form without "docker.io/" and an official image's "library/". */
static char *brief_of(const char *full)
{
    if (strncmp(full, "docker.io/", 10) != 0)
        return sl_xstrdup(full);
    full += 10;
    if (strncmp(full, "library/", 8) == 0 && strchr(full + 8, '/') == NULL)
        full += 8;
    return sl_xstrdup(full);
}

static void image_forms(const char *image, struct image_forms *f)
{
    /* Split off the digest, then a tag: a ':' after the last '/'. */
    const char *at = strchr(image, '@');
    size_t name_len = at != NULL ? (size_t)(at - image) : strlen(image);
    const char *slash = NULL;
    for (size_t i = 0; i < name_len; i++)
        if (image[i] == '/')
            slash = image + i;
    const char *colon = NULL;
    for (const char *p = slash != NULL ? slash : image; p < image + name_len; p++)
        if (*p == ':')
            colon = p;
    size_t repo_len = colon != NULL ? (size_t)(colon - image) : name_len;
    char *repo = sl_xstrndup(image, repo_len);
    const char *suffix = image + repo_len; /* ":tag", "@digest", ":tag@digest" or "" */
    /* The registry: a first component with '.' or ':', or localhost. */
    const char *first_slash = strchr(repo, '/');
    bool has_registry = false;
    if (first_slash != NULL) {
        size_t n = (size_t)(first_slash - repo);
        has_registry = memchr(repo, '.', n) != NULL || memchr(repo, ':', n) != NULL ||
                       (n == 9 && strncmp(repo, "localhost", 9) == 0);
    }
    char *full_repo;
    if (has_registry)
        full_repo = sl_xstrdup(repo);
    else if (first_slash == NULL)
        full_repo = sl_xasprintf("docker.io/library/%s", repo);
    else
        full_repo = sl_xasprintf("docker.io/%s", repo);
    f->written = sl_xstrdup(image);
    f->full = sl_xasprintf("%s%s", full_repo, *suffix != '\0' ? suffix : ":latest");
    f->written_repo = repo;
    f->full_repo = full_repo;
    f->brief = brief_of(f->full);
    f->brief_repo = brief_of(f->full_repo);
}

static void image_forms_cleanup(struct image_forms *f)
{
    free(f->written);
    free(f->full);
    free(f->written_repo);
    free(f->full_repo);
    free(f->brief);
    free(f->brief_repo);
}

/* True when the pattern names a tag or a digest: an '@', or a ':' after its last '/'. */
static bool pattern_has_tag(const char *pattern)
{
    if (strchr(pattern, '@') != NULL)
        return true;
    const char *slash = strrchr(pattern, '/');
    return strchr(slash != NULL ? slash : pattern, ':') != NULL;
}

bool sl_policy_image_match(const char *pattern, const char *image)
{
    struct image_forms f;
    image_forms(image, &f);
    bool m;
    if (pattern_has_tag(pattern))
        m = sl_policy_glob(pattern, f.written) || sl_policy_glob(pattern, f.full) ||
            sl_policy_glob(pattern, f.brief);
    else
        m = sl_policy_glob(pattern, f.written_repo) || sl_policy_glob(pattern, f.full_repo) ||
            sl_policy_glob(pattern, f.brief_repo);
    image_forms_cleanup(&f);
    return m;
}

/* ---- dates ---- */

static bool leap(long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool pol_parse_date(const char *s, long *days)
{
    static const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    long y = strtol(s, NULL, 10), m = strtol(s + 5, NULL, 10), d = strtol(s + 8, NULL, 10);
    if (y < 1970 || m < 1 || m > 12 || d < 1)
        return false;
    int dim = month_days[m - 1] + (m == 2 && leap(y));
    if (d > dim)
        return false;
    long n = 0;
    for (long yy = 1970; yy < y; yy++)
        n += leap(yy) ? 366 : 365;
    for (long mm = 1; mm < m; mm++)
        n += month_days[mm - 1] + (mm == 2 && leap(y));
    *days = n + d - 1;
    return true;
}

bool sl_exception_expired(const struct sl_exception *e, time_t now)
{
    return e->expires >= 0 && (long)(now / 86400) > e->expires;
}

/* ---- capabilities ---- */

/* The Linux capabilities (capability.h's names, without CAP_). */
static const char *const capabilities[] = {
    "AUDIT_CONTROL",   "AUDIT_READ",   "AUDIT_WRITE",
    "BLOCK_SUSPEND",   "BPF",          "CHECKPOINT_RESTORE",
    "CHOWN",           "DAC_OVERRIDE", "DAC_READ_SEARCH",
    "FOWNER",          "FSETID",       "IPC_LOCK",
    "IPC_OWNER",       "KILL",         "LEASE",
    "LINUX_IMMUTABLE", "MAC_ADMIN",    "MAC_OVERRIDE",
    "MKNOD",           "NET_ADMIN",    "NET_BIND_SERVICE",
    "NET_BROADCAST",   "NET_RAW",      "PERFMON",
    "SETFCAP",         "SETGID",       "SETPCAP",
    "SETUID",          "SYSLOG",       "SYS_ADMIN",
    "SYS_BOOT",        "SYS_CHROOT",   "SYS_MODULE",
    "SYS_NICE",        "SYS_PACCT",    "SYS_PTRACE",
    "SYS_RAWIO",       "SYS_RESOURCE", "SYS_TIME",
    "SYS_TTY_CONFIG",  "WAKE_ALARM",
};

bool pol_known_capability(const char *name)
{
    for (size_t i = 0; i < SL_ARRAY_LEN(capabilities); i++)
        if (strcmp(name, capabilities[i]) == 0)
            return true;
    return false;
}
