/* watch: folder watches with inotify, bursts of events settled into one report.
 *
 * Each path has up to two watched folders: the one it is in (as given), and the one the file
 * it resolves to is in, when it is a symbolic link (a ConfigMap's `policy.yaml` resolves to
 * `..2026_.../policy.yaml`). inotify gives one watch descriptor per folder inode, shared by
 * paths in the same folder. What events can say is limited: the kubelet's update of a
 * ConfigMap renames `..data` and names none of the files a reader opened. So an event is
 * only a reason to look again: when a burst has been quiet for settle_ms, every path is
 * stat()ed and compared with what it was at the last report (file identity, size, mode,
 * times). An event that named the path itself, or its target, counts as a change even when
 * the comparison does not show one, because a rewrite in place within one clock tick can
 * leave size and times as they were.
 *
 * After each report the symbolic links are followed again and the watches moved to the
 * folders they now lead to (the old `..2026_...` folder is gone by then, and its watch with
 * it). A watched folder that disappears ends its watch (IN_IGNORED); it is watched again
 * when it comes back and some other event leads to a look.
 *
 * The events asked for: a file closed after writing (IN_CLOSE_WRITE, not IN_MODIFY, which
 * would report a file half written), renamed in or out, created, deleted, or its mode or
 * owner changed; and the folder itself deleted or moved. */
/* glibc declares realpath() only with _DEFAULT_SOURCE (or an X/Open level), a feature-test
 * macro that must be defined before any header, reserved name or not. */
#define _DEFAULT_SOURCE /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
#include "socklock/watch.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "socklock/alloc.h"

#define EVENTS                                                                          \
    (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB | \
     IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define BURST_CAP 5 /* a burst is reported at the latest BURST_CAP * settle_ms after it began */

/* What a path leads to, as far as stat() tells. */
struct fingerprint {
    bool exists;
    dev_t dev;
    ino_t ino;
    off_t size;
    mode_t mode;
    struct timespec mtime, ctime;
};

struct wpath {
    char *path;
    char *base;            /* its last component */
    char *target_base;     /* the last component of what it resolves to; NULL when unresolved */
    int wd;                /* the watch of its folder, -1 when there is none */
    int target_wd;         /* the watch of its target's folder, -1 when none */
    bool named;            /* an event of this burst named it or its target */
    struct fingerprint fp; /* at the last report */
};

struct sl_watch {
    int fd;
    unsigned settle_ms;
    struct wpath paths[SL_WATCH_MAX_PATHS];
    size_t n;
    bool pending; /* a burst is under way */
    struct timespec first, last;
};

static struct timespec now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts;
}

static long long ms_between(const struct timespec *a, const struct timespec *b)
{
    return (long long)(b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

static void fingerprint_of(const char *path, struct fingerprint *fp)
{
    struct stat st;
    memset(fp, 0, sizeof(*fp));
    if (stat(path, &st) != 0)
        return;
    fp->exists = true;
    fp->dev = st.st_dev;
    fp->ino = st.st_ino;
    fp->size = st.st_size;
    fp->mode = st.st_mode;
    fp->mtime = st.st_mtim;
    fp->ctime = st.st_ctim;
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static bool same_fingerprint(const struct fingerprint *a, const struct fingerprint *b)
{
    if (!a->exists || !b->exists)
        return a->exists == b->exists;
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mode == b->mode &&
           same_time(&a->mtime, &b->mtime) && same_time(&a->ctime, &b->ctime);
}

/* Splits path into a new copy of its folder ("." when it has none) and its last component
 * (pointing into path). */
static char *folder_of(const char *path, const char **base)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        *base = path;
        return sl_xstrdup(".");
    }
    *base = slash + 1;
    if (slash == path)
        return sl_xstrdup("/");
    return sl_xstrndup(path, (size_t)(slash - path));
}

/* Watches the folder of path; sets *base to a copy of its last component. -1 when the folder
 * cannot be watched (errno says why). */
static int watch_folder(int fd, const char *path, char **base)
{
    const char *b = NULL;
    char *dir = folder_of(path, &b);
    *base = sl_xstrdup(b);
    int wd = inotify_add_watch(fd, dir, EVENTS);
    int saved = errno;
    free(dir);
    errno = saved;
    return wd;
}

static bool wd_in_use(const struct sl_watch *w, int wd)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->paths[i].wd == wd || w->paths[i].target_wd == wd)
            return true;
    return false;
}

/* Follows each path again and watches the folders it leads to now; drops the watches no path
 * needs any more. Failures leave a path without that watch (-1) until the next look. */
static void rewatch(struct sl_watch *w)
{
    int old[2 * SL_WATCH_MAX_PATHS];
    size_t nold = 0;
    for (size_t i = 0; i < w->n; i++) {
        struct wpath *p = &w->paths[i];
        old[nold++] = p->wd;
        old[nold++] = p->target_wd;
        free(p->base);
        free(p->target_base);
        p->target_base = NULL;
        p->target_wd = -1;
        p->wd = watch_folder(w->fd, p->path, &p->base);
        char *real = realpath(p->path, NULL);
        if (real != NULL && strcmp(real, p->path) != 0)
            p->target_wd = watch_folder(w->fd, real, &p->target_base);
        free(real);
    }
    for (size_t k = 0; k < nold; k++) {
        /* A folder that is gone has lost its watch already; EINVAL then is expected. */
        if (old[k] >= 0 && !wd_in_use(w, old[k]))
            inotify_rm_watch(w->fd, old[k]);
    }
}

enum sl_status sl_watch_new(const char *const *paths, size_t n, unsigned settle_ms,
                            struct sl_watch **out, struct sl_error *err)
{
    *out = NULL;
    if (n == 0 || n > SL_WATCH_MAX_PATHS) {
        sl_error_set(err, "watch: %zu paths (1 to %d)", n, SL_WATCH_MAX_PATHS);
        return SL_E_USAGE;
    }
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
        sl_error_set(err, "cannot start inotify: %s", strerror(errno));
        return SL_E_IO;
    }
    struct sl_watch *w = sl_xcalloc(1, sizeof(*w));
    w->fd = fd;
    w->settle_ms = settle_ms;
    w->n = n;
    for (size_t i = 0; i < n; i++) {
        w->paths[i].path = sl_xstrdup(paths[i]);
        w->paths[i].wd = -1;
        w->paths[i].target_wd = -1;
        /* The folder each path is in must be watchable now; rewatch() keeps no reason. */
        const char *base = NULL;
        char *dir = folder_of(paths[i], &base);
        if (inotify_add_watch(fd, dir, EVENTS) < 0) {
            sl_error_setpos(err, dir, 0, 0, "cannot watch this folder: %s", strerror(errno));
            free(dir);
            sl_watch_free(w);
            return SL_E_IO;
        }
        free(dir);
    }
    /* Watches first, then the fingerprints: a change in between is an event, never lost. */
    rewatch(w);
    for (size_t i = 0; i < n; i++)
        fingerprint_of(w->paths[i].path, &w->paths[i].fp);
    *out = w;
    return SL_OK;
}

int sl_watch_fd(const struct sl_watch *w)
{
    return w->fd;
}

/* One event: which paths it names, and whether it begins or extends a burst. */
static void on_event(struct sl_watch *w, int wd, uint32_t mask, const char *name)
{
    if (mask & IN_Q_OVERFLOW) {
        /* Events were lost: any path may have changed. */
        for (size_t i = 0; i < w->n; i++)
            w->paths[i].named = true;
    } else if ((mask & IN_IGNORED) && !wd_in_use(w, wd)) {
        return; /* the end of a watch rewatch() dropped itself */
    } else if (name[0] != '\0') {
        /* (An event without a name is about a folder itself: the look will tell.) */
        for (size_t i = 0; i < w->n; i++) {
            const struct wpath *p = &w->paths[i];
            if ((wd == p->wd && strcmp(name, p->base) == 0) ||
                (wd == p->target_wd && p->target_base != NULL && strcmp(name, p->target_base) == 0))
                w->paths[i].named = true;
        }
    }
    struct timespec t = now_mono();
    if (!w->pending)
        w->first = t;
    w->last = t;
    w->pending = true;
}

void sl_watch_read(struct sl_watch *w)
{
    /* Room for many events; each carries at most NAME_MAX + 1 bytes of name. Events are
     * copied out of it, so it needs no alignment. */
    char buf[16 * (sizeof(struct inotify_event) + NAME_MAX + 1)];
    for (;;) {
        ssize_t got = read(w->fd, buf, sizeof(buf));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return; /* EAGAIN: nothing more waiting */
        size_t off = 0;
        while (off + sizeof(struct inotify_event) <= (size_t)got) {
            struct inotify_event ev;
            memcpy(&ev, buf + off, sizeof(ev));
            const char *name = "";
            if (ev.len > 0)
                name = buf + off + sizeof(ev); /* NUL-terminated, padded with NULs */
            on_event(w, ev.wd, ev.mask, name);
            off += sizeof(ev) + ev.len;
        }
    }
}

int sl_watch_timeout_ms(const struct sl_watch *w)
{
    if (!w->pending)
        return -1;
    struct timespec t = now_mono();
    long long quiet = (long long)w->settle_ms - ms_between(&w->last, &t);
    long long cap = (long long)w->settle_ms * BURST_CAP - ms_between(&w->first, &t);
    long long left = quiet < cap ? quiet : cap;
    if (left <= 0)
        return 0;
    return left > INT_MAX ? INT_MAX : (int)left;
}

unsigned sl_watch_take(struct sl_watch *w)
{
    if (sl_watch_timeout_ms(w) != 0)
        return 0;
    w->pending = false;
    /* Watches first, then the fingerprints: a change in between is an event of the next
     * burst, which then finds nothing new (this report has it) instead of being lost. */
    rewatch(w);
    unsigned changed = 0;
    for (size_t i = 0; i < w->n; i++) {
        struct wpath *p = &w->paths[i];
        struct fingerprint fp;
        fingerprint_of(p->path, &fp);
        if (p->named || !same_fingerprint(&fp, &p->fp))
            changed |= 1u << i;
        p->fp = fp;
        p->named = false;
    }
    return changed;
}

void sl_watch_free(struct sl_watch *w)
{
    if (w == NULL)
        return;
    close(w->fd);
    for (size_t i = 0; i < w->n; i++) {
        free(w->paths[i].path);
        free(w->paths[i].base);
        free(w->paths[i].target_base);
    }
    free(w);
}
