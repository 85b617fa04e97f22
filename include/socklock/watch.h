/* watch: notices, with inotify, when files the server read at start may have been replaced:
 * written in place, renamed over by an editor or a tool, or swapped in a mounted ConfigMap or
 * Secret (the kubelet renames a new `..data` symlink over the old one, so `policy.yaml ->
 * ..data/policy.yaml` changes without any event naming it). It watches folders, never the
 * files themselves (a watch on a file follows the old inode once the file is replaced), and
 * reports a change once a burst of events has settled, so a caller reloads once per update
 * and never a half-written file. Linux only.
 *
 * It is driven by the caller's poll loop: poll sl_watch_fd() for input with
 * sl_watch_timeout_ms() as the timeout; when the descriptor is readable call sl_watch_read(),
 * then sl_watch_take() says which paths changed. Not thread-safe: one thread drives it. */
#ifndef SOCKLOCK_WATCH_H
#define SOCKLOCK_WATCH_H

#include <stddef.h>

#include "socklock/common.h"

/* At most this many paths per watch: sl_watch_take() reports them as bits of an unsigned. */
#define SL_WATCH_MAX_PATHS 32

/* How long a burst of events must be quiet before it counts as one change, in milliseconds:
 * a ConfigMap update, an editor's save or a copy is a handful of events within a few
 * milliseconds. A burst that never goes quiet is reported 5 times this after it began. */
#define SL_WATCH_SETTLE_MS 100u

struct sl_watch;

/* Starts watching for changes to paths[0..n): the folder each path is in and, when the path
 * is a symbolic link, the folder of the file it leads to (followed again after every change).
 * A path need not exist yet. Fails with SL_E_USAGE (no path, or more than
 * SL_WATCH_MAX_PATHS) or SL_E_IO (inotify is not available, its limits are spent, or a
 * folder cannot be watched; err names it). Borrows paths for the call only. Caller frees
 * *out with sl_watch_free(). */
enum sl_status sl_watch_new(const char *const *paths, size_t n, unsigned settle_ms,
                            struct sl_watch **out, struct sl_error *err);

/* The descriptor to poll for input (POLLIN). Borrowed: valid until sl_watch_free(). */
int sl_watch_fd(const struct sl_watch *w);

/* Takes in every event waiting on the descriptor; never blocks. */
void sl_watch_read(struct sl_watch *w);

/* How long the caller may wait for more events before calling sl_watch_take(), in
 * milliseconds: -1 when no burst is pending (wait for the descriptor only), 0 when one has
 * settled. */
int sl_watch_timeout_ms(const struct sl_watch *w);

/* When a burst has settled: the paths it changed, bit i for paths[i], and the burst is over.
 * A path has changed when an event named it (or, for a symbolic link, the file it led to) or
 * when what it leads to is now another file, or the same file with another size, time or
 * mode, or is gone. Events about other files in the folders change nothing. Returns 0 while
 * no burst has settled, or when the burst changed none of the paths. */
unsigned sl_watch_take(struct sl_watch *w);

/* Stops watching. Accepts NULL. */
void sl_watch_free(struct sl_watch *w);

#endif
