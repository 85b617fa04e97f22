/* fix: `socklock fix`, manifests repaired at the source with the webhook's own fixers.
 *
 * Each file is read, fixed as text (src/fix), and then, as asked: printed (every document,
 * in input order; files joined by "---"), shown as a unified diff, or written back in place.
 * Writing is atomic: the new text goes to a temporary file in the file's own folder, gets
 * the file's mode (and owner, when we may), is synced, and replaces the file by rename; the
 * folder is synced after. A file reached through a symbolic link is refused (the rename
 * would replace the link, not the file), and so is a file that changed between reading and
 * renaming (someone else's edit would be lost). Objects a text edit could not fix are named
 * on stderr, "fix by hand", with the patch to apply.
 *
 * Exit status: 2 on a usage error or a file that could not be read, parsed or written; else
 * 1 when something is left to do (--diff: anything to fix; every mode: anything to fix by
 * hand); else 0. */
#include "cli_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"
#include "socklock/cli.h"
#include "socklock/fix.h"
#include "socklock/manifest.h"
#include "socklock/strlist.h"

enum fix_mode { MODE_PRINT, MODE_DIFF, MODE_WRITE };

struct fix_opts {
    const char *policy;
    const char *profile;
    bool templates;
    enum fix_mode mode;
};

/* What the run has done so far. */
struct tally {
    size_t files, changed, fixed, by_hand, errors;
    bool printed;   /* MODE_PRINT: a file's text has gone out */
    bool open_line; /* ... and it did not end its last line */
};

static enum sl_status parse_args(int argc, char **argv, struct fix_opts *o, bool *help)
{
    static const struct option opts[] = {
        {"policy", required_argument, NULL, 'p'}, {"profile", required_argument, NULL, 'P'},
        {"templates", no_argument, NULL, 't'},    {"no-templates", no_argument, NULL, 'T'},
        {"write", no_argument, NULL, 'w'},        {"diff", no_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    int c;
    bool write = false, diff = false;
    *help = false;
    o->templates = true;
    while ((c = cli_getopt(&cli_fix, argc, argv, ":h", opts)) != -1) {
        switch (c) {
        case 'p':
            o->policy = optarg;
            break;
        case 'P':
            o->profile = optarg;
            break;
        case 't':
            o->templates = true;
            break;
        case 'T':
            o->templates = false;
            break;
        case 'w':
            write = true;
            break;
        case 'd':
            diff = true;
            break;
        case 'h':
            *help = true;
            return SL_OK;
        default:
            return SL_E_USAGE;
        }
    }
    if (write && diff) {
        cli_usage(&cli_fix, stderr, "--write and --diff cannot be combined");
        return SL_E_USAGE;
    }
    o->mode = write ? MODE_WRITE : diff ? MODE_DIFF : MODE_PRINT;
    if (optind >= argc) {
        cli_usage(&cli_fix, stderr, "no PATH given");
        return SL_E_USAGE;
    }
    for (int i = optind; i < argc; i++) {
        if (write && strcmp(argv[i], "-") == 0) {
            cli_usage(&cli_fix, stderr, "--write cannot write to stdin (-)");
            return SL_E_USAGE;
        }
    }
    return SL_OK;
}

/* Where an object left for a fix by hand is reported, as soon as its document is done. */
struct reporting {
    const char *file;
    struct tally *t;
};

static void report_by_hand(void *ctx, const struct sl_fix_object *o)
{
    struct reporting *rp = ctx;
    rp->t->by_hand++;
    char *patch = json_dumps(o->patch, JSON_COMPACT);
    fprintf(stderr, "%s:%d: %s %s%s%s: fix by hand (%s); the patch: %s\n", rp->file, o->line,
            o->kind, o->namespace_, o->namespace_[0] != '\0' ? "/" : "", o->name, o->why,
            patch != NULL ? patch : "[]");
    free(patch);
}

/* The file as it was read, to tell whether it changed before the rename. */
struct seen {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
    mode_t mode;
    uid_t uid;
    gid_t gid;
};

static bool same_file(const struct seen *a, const struct stat *st)
{
    return a->dev == st->st_dev && a->ino == st->st_ino && a->size == st->st_size &&
           a->mtime.tv_sec == st->st_mtim.tv_sec && a->mtime.tv_nsec == st->st_mtim.tv_nsec &&
           a->ctime.tv_sec == st->st_ctim.tv_sec && a->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

/* Reads path into b. For --write, a symbolic link or anything but a regular file is refused
 * and what was read is described in *seen. */
static enum sl_status read_input(const char *path, bool for_write, struct sl_buf *b,
                                 struct seen *seen, struct sl_error *err)
{
    if (!for_write)
        return sl_buf_load_file(b, path, err);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ELOOP)
            sl_error_setpos(err, path, 0, 0,
                            "is a symbolic link: --write replaces files, "
                            "not links (fix the file it points to)");
        else
            sl_error_setpos(err, path, 0, 0, "cannot open: %s", strerror(errno));
        return SL_E_IO;
    }
    struct stat st;
    enum sl_status rc = SL_OK;
    if (fstat(fd, &st) != 0) {
        sl_error_setpos(err, path, 0, 0, "cannot stat: %s", strerror(errno));
        rc = SL_E_IO;
    } else if (!S_ISREG(st.st_mode)) {
        sl_error_setpos(err, path, 0, 0, "is not a regular file: --write cannot replace it");
        rc = SL_E_IO;
    } else {
        *seen = (struct seen){st.st_dev,  st.st_ino,  st.st_size, st.st_mtim,
                              st.st_ctim, st.st_mode, st.st_uid,  st.st_gid};
        rc = sl_buf_load_fd(b, fd, path, err);
    }
    close(fd);
    return rc;
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Replaces path by text, atomically, keeping its mode and (when allowed) its owner. */
static enum sl_status replace_file(const char *path, const struct seen *seen, const char *text,
                                   size_t len, struct sl_error *err)
{
    char *dcopy = sl_xstrdup(path), *bcopy = sl_xstrdup(path);
    const char *dir = dirname(dcopy), *base = basename(bcopy);
    char *tmp = sl_xasprintf("%s/.%s.socklock-XXXXXX", dir, base);
    enum sl_status rc = SL_E_IO;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        sl_error_setpos(err, path, 0, 0, "cannot write in %s: %s", dir, strerror(errno));
        goto out;
    }
    if (!write_all(fd, text, len) || fchmod(fd, seen->mode & 07777) != 0) {
        sl_error_setpos(err, path, 0, 0, "cannot write %s: %s", tmp, strerror(errno));
        goto fail;
    }
    /* Another owner is kept when we may (root); else the file becomes ours, as an editor's
     * save would make it. */
    if (fchown(fd, seen->uid, seen->gid) != 0 && errno != EPERM) {
        sl_error_setpos(err, path, 0, 0, "cannot keep the owner: %s", strerror(errno));
        goto fail;
    }
    if (fsync(fd) != 0) {
        sl_error_setpos(err, path, 0, 0, "cannot sync %s: %s", tmp, strerror(errno));
        goto fail;
    }
    struct stat now;
    if (lstat(path, &now) != 0 || !same_file(seen, &now)) {
        sl_error_setpos(err, path, 0, 0,
                        "changed while it was being fixed; not written (run "
                        "socklock fix again)");
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        sl_error_setpos(err, path, 0, 0, "cannot replace: %s", strerror(errno));
        goto fail;
    }
    (void)close(fd);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    rc = SL_OK;
    goto out;
fail:
    (void)close(fd);
    (void)unlink(tmp);
out:
    free(tmp);
    free(dcopy);
    free(bcopy);
    return rc;
}

/* Print mode: the fixed text goes out document by document, files joined as the documents
 * of one stream (one file is printed as is). */
struct printing {
    struct tally *t;
    bool started; /* this file's first text is out */
};

static void print_text(void *ctx, const char *text, size_t len)
{
    struct printing *p = ctx;
    if (!p->started && p->t->printed)
        fputs(p->t->open_line ? "\n---\n" : "---\n", stdout);
    p->started = p->t->printed = true;
    if (len == 0)
        return;
    fwrite(text, 1, len, stdout);
    p->t->open_line = text[len - 1] != '\n';
}

static void fix_file(const struct fix_opts *o, const struct sl_fix_opts *fo_in, const char *path,
                     struct tally *t)
{
    struct printing printing = {.t = t};
    struct sl_fix_opts fo_print = *fo_in;
    if (o->mode == MODE_PRINT) {
        fo_print.emit = print_text;
        fo_print.emit_ctx = &printing;
    }
    const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    struct reporting reporting = {.file = name, .t = t};
    fo_print.by_hand = report_by_hand;
    fo_print.by_hand_ctx = &reporting;
    const struct sl_fix_opts *fo = &fo_print;
    struct sl_buf b;
    sl_buf_init(&b, SL_MANIFEST_MAX_BYTES);
    struct seen seen = {0};
    struct sl_error err = {0};
    struct sl_fix_result r = {0};
    t->files++;
    enum sl_status rc = read_input(path, o->mode == MODE_WRITE, &b, &seen, &err);
    if (rc == SL_OK)
        rc = sl_fix_text(fo, b.data, b.len, name, &r, &err);
    if (rc != SL_OK) {
        if (err.file[0] == '\0')
            snprintf(err.file, sizeof(err.file), "%s", name);
        cli_print_error(&err);
        t->errors++;
        goto out;
    }
    t->fixed += r.fixed;
    t->changed += r.changed;
    if (o->mode == MODE_PRINT) {
        print_text(&printing, "", 0); /* an empty file still takes its place */
    } else if (o->mode == MODE_DIFF && r.changed) {
        char *d = sl_fix_diff(name, b.data, b.len, r.text, r.len);
        fputs(d, stdout);
        free(d);
    } else if (o->mode == MODE_WRITE && r.changed) {
        if (replace_file(path, &seen, r.text, r.len, &err) != SL_OK) {
            cli_print_error(&err);
            t->errors++;
        } else {
            fprintf(stderr, "socklock fix: wrote %s\n", path);
        }
    }
out:
    sl_fix_result_cleanup(&r);
    sl_buf_cleanup(&b);
}

static int run(int argc, char **argv)
{
    struct fix_opts o = {0};
    bool help = false;
    if (parse_args(argc, argv, &o, &help) != SL_OK)
        return SL_EXIT_ERROR;
    if (help)
        return SL_EXIT_OK;
    struct sl_policy *pol = cli_load_policy(o.policy);
    if (pol == NULL)
        return SL_EXIT_ERROR;
    /* Without --profile each object's namespace picks its profile, as for `check`. */
    const struct sl_profile *prof = NULL;
    if (o.profile != NULL && (prof = sl_policy_find(pol, o.profile)) == NULL) {
        fprintf(stderr, "socklock fix: no profile \"%s\" in the policy\n", o.profile);
        sl_policy_free(pol);
        return SL_EXIT_ERROR;
    }
    struct sl_fix_opts fo = {.profile = prof, .policy = pol, .templates = o.templates};
    struct tally t = {0};
    for (int i = optind; i < argc; i++) {
        struct sl_strlist files = {0};
        struct sl_error err = {0};
        if (sl_manifest_expand(argv[i], &files, &err) != SL_OK) {
            cli_print_error(&err);
            t.errors++;
        }
        for (size_t j = 0; j < files.len; j++)
            fix_file(&o, &fo, files.items[j], &t);
        sl_strlist_cleanup(&files);
    }
    sl_policy_free(pol);
    (void)fflush(stdout); /* the summary comes last */
    fprintf(stderr,
            "socklock fix: %zu file%s, %zu changed; %zu object%s fixed, %zu to fix by hand%s\n",
            t.files, t.files == 1 ? "" : "s", t.changed, t.fixed, t.fixed == 1 ? "" : "s",
            t.by_hand, t.errors > 0 ? "; errors above" : "");
    if (fflush(stdout) != 0 || t.errors > 0)
        return SL_EXIT_ERROR;
    if (t.by_hand > 0 || (o.mode == MODE_DIFF && t.changed > 0))
        return SL_EXIT_DENIED;
    return SL_EXIT_OK;
}

const struct cli_command cli_fix = {
    .name = "fix",
    .synopsis = "[--policy FILE] [--profile NAME] [--templates | --no-templates]"
                " [--write | --diff] PATH...",
    .summary = "repair manifest files with the webhook's fixers, keeping their layout",
    .help =
        "  PATH is a file, a folder (its *.yaml, *.yml and *.json files, recursively) or - for\n"
        "  stdin. Each pod and pod template gets the patch /mutate would give a pod (the\n"
        "  profile's fixers and mutate settings; explicit values are kept unless the profile\n"
        "  overrides them), made as small text edits: comments, order, quoting and layout stay\n"
        "  as they were. Templates are fixed (--templates, the default) unless --no-templates.\n"
        "  Without --write or --diff the fixed manifests are printed; --diff prints a unified\n"
        "  diff of each file that changes; --write replaces the files that change, atomically.\n"
        "  A document a text edit cannot fix safely (an insertion into a flow collection, an\n"
        "  anchor, an alias, a merge key) is left as it was and named on stderr with its\n"
        "  patch, to fix by hand. Exit status: 0 nothing left to do, 1 something to fix by\n"
        "  hand (or, with --diff, anything to fix), 2 an error.\n",
    .run = run,
};
