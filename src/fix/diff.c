/* diff: the unified diff `socklock fix --diff` prints, line by line as diff -u does.
 *
 * The lines both texts begin and end with are set aside; the rest is compared with Myers'
 * O(ND) algorithm, which finds a shortest edit script. It keeps every round's furthest
 * reaches to walk the script back, so its memory grows with the square of the number of
 * differing lines: past SL_DIFF_MAX_D the middle is shown as removed and added whole (still a
 * correct diff, just not a minimal one). Hunks carry 3 lines of context; a last line without
 * a line end gets "\ No newline at end of file". */
#include "fix_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"

#define SL_DIFF_MAX_D   4000
#define SL_DIFF_CONTEXT ((size_t)3)

struct line {
    const char *s;
    size_t n; /* with its line end */
};

struct lines {
    struct line *v;
    size_t n;
};

static void split(const char *s, size_t len, struct lines *out)
{
    size_t cap = 64;
    out->v = sl_xmalloc(cap * sizeof(*out->v));
    out->n = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(s + i, '\n', len - i);
        size_t e = nl != NULL ? (size_t)(nl - s) + 1 : len;
        if (out->n == cap) {
            cap *= 2;
            out->v = sl_xrealloc(out->v, cap * sizeof(*out->v));
        }
        out->v[out->n++] = (struct line){s + i, e - i};
        i = e;
    }
}

static bool same(const struct line *a, const struct line *b)
{
    return a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
}

/* The edit script: for each step, ' ' (both), '-' (a only) or '+' (b only). */
struct script {
    char *op;
    size_t n, cap;
};

static void push(struct script *s, char op)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->op = sl_xrealloc(s->op, s->cap);
    }
    s->op[s->n++] = op;
}

/* Myers on a[0..n) and b[0..m); appends the script for them to out. */
static void myers(const struct line *a, size_t n, const struct line *b, size_t m,
                  struct script *out)
{
    size_t max = n + m;
    if (max > SL_DIFF_MAX_D)
        max = SL_DIFF_MAX_D;
    /* v[d] holds the furthest x for each diagonal k in [-d, d] after round d. */
    long off = (long)max + 1;
    long *v = sl_xcalloc((size_t)(2 * off + 1), sizeof(*v));
    long **hist = sl_xcalloc(max + 1, sizeof(*hist));
    long found = -1;
    for (long d = 0; d <= (long)max && found < 0; d++) {
        for (long k = -d; k <= d; k += 2) {
            long x;
            if (k == -d || (k != d && v[off + k - 1] < v[off + k + 1]))
                x = v[off + k + 1]; /* down: an insertion */
            else
                x = v[off + k - 1] + 1; /* right: a deletion */
            long y = x - k;
            while (x < (long)n && y < (long)m && same(&a[x], &b[y])) {
                x++;
                y++;
            }
            v[off + k] = x;
            if (x >= (long)n && y >= (long)m) {
                found = d;
                break;
            }
        }
        hist[d] = sl_xmalloc((size_t)(2 * d + 1) * sizeof(long));
        memcpy(hist[d], v + off - d, (size_t)(2 * d + 1) * sizeof(long));
    }
    if (found < 0) {
        /* Too different: all of a out, all of b in. */
        for (size_t i = 0; i < n; i++)
            push(out, '-');
        for (size_t i = 0; i < m; i++)
            push(out, '+');
    } else {
        /* Walk back from (n, m), collecting the steps in reverse. */
        struct script rev = {0};
        long x = (long)n, y = (long)m;
        for (long d = found; d > 0; d--) {
            const long *pv = hist[d - 1]; /* index k + (d - 1) */
            long k = x - y;
            bool down = k == -d || (k != d && pv[k - 1 + d - 1] < pv[k + 1 + d - 1]);
            long pk = down ? k + 1 : k - 1;
            long px = pv[pk + d - 1], py = px - pk;
            long sx = down ? px : px + 1; /* where the snake of round d starts */
            while (x > sx) {
                push(&rev, ' ');
                x--;
                y--;
            }
            push(&rev, down ? '+' : '-');
            x = px;
            y = py;
        }
        while (x > 0) {
            push(&rev, ' ');
            x--;
        }
        for (size_t i = rev.n; i-- > 0;)
            push(out, rev.op[i]);
        free(rev.op);
    }
    for (long d = 0; d <= (long)max; d++)
        free(hist[d]);
    free(hist);
    free(v);
}

static void put_line(struct sl_buf *b, char mark, const struct line *l)
{
    (void)sl_buf_append(b, &mark, 1);
    (void)sl_buf_append(b, l->s, l->n);
    if (l->n == 0 || l->s[l->n - 1] != '\n')
        (void)sl_buf_puts(b, "\n\\ No newline at end of file\n");
}

/* "start,count" as diff -u writes it: a count of 1 is left out, and an empty range names
 * the line before it. */
static void put_range(struct sl_buf *b, size_t start, size_t count)
{
    if (count == 1)
        (void)sl_buf_printf(b, "%zu", start + 1);
    else
        (void)sl_buf_printf(b, "%zu,%zu", count == 0 ? start : start + 1, count);
}

char *sl_fix_diff(const char *name, const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen == blen && memcmp(a, b, alen) == 0)
        return sl_xstrdup("");
    struct lines la, lb;
    split(a, alen, &la);
    split(b, blen, &lb);
    size_t pre = 0;
    while (pre < la.n && pre < lb.n && same(&la.v[pre], &lb.v[pre]))
        pre++;
    size_t suf = 0;
    while (suf < la.n - pre && suf < lb.n - pre &&
           same(&la.v[la.n - 1 - suf], &lb.v[lb.n - 1 - suf]))
        suf++;
    struct script s = {0};
    for (size_t i = 0; i < pre; i++)
        push(&s, ' ');
    myers(la.v + pre, la.n - pre - suf, lb.v + pre, lb.n - pre - suf, &s);
    for (size_t i = 0; i < suf; i++)
        push(&s, ' ');

    struct sl_buf out;
    sl_buf_init(&out, 0);
    /* git's a/ and b/ before a relative name, so `patch -p1` and `git apply` take it. */
    const char *pa = name[0] == '/' ? "" : "a/", *pb = name[0] == '/' ? "" : "b/";
    (void)sl_buf_printf(&out, "--- %s%s\n+++ %s%s\n", pa, name, pb, name);
    /* Hunks: runs of changes closer than 2 * context lines share one. */
    size_t i = 0, ai = 0, bi = 0;
    while (i < s.n) {
        if (s.op[i] == ' ') {
            i++;
            ai++;
            bi++;
            continue;
        }
        /* A change at step i: the hunk starts up to `context` equal lines before. */
        size_t back = 0;
        while (back < SL_DIFF_CONTEXT && back < i && s.op[i - back - 1] == ' ')
            back++;
        size_t hs = i - back, has = ai - back, hbs = bi - back;
        /* Its end: the last change followed by more than 2 * context equal lines. */
        size_t j = i, last = i;
        while (j < s.n) {
            if (s.op[j] != ' ') {
                last = j;
                j++;
                continue;
            }
            size_t run = 0;
            while (j + run < s.n && s.op[j + run] == ' ')
                run++;
            if (j + run == s.n || run > 2 * SL_DIFF_CONTEXT)
                break;
            j += run;
        }
        size_t he = last + 1;
        for (size_t c = 0; c < SL_DIFF_CONTEXT && he < s.n && s.op[he] == ' '; c++)
            he++;
        size_t acount = 0, bcount = 0;
        for (size_t k = hs; k < he; k++) {
            acount += s.op[k] != '+';
            bcount += s.op[k] != '-';
        }
        (void)sl_buf_puts(&out, "@@ -");
        put_range(&out, has, acount);
        (void)sl_buf_puts(&out, " +");
        put_range(&out, hbs, bcount);
        (void)sl_buf_puts(&out, " @@\n");
        size_t x = has, y = hbs;
        for (size_t k = hs; k < he; k++) {
            if (s.op[k] == ' ') {
                put_line(&out, ' ', &la.v[x++]);
                y++;
            } else if (s.op[k] == '-') {
                put_line(&out, '-', &la.v[x++]);
            } else {
                put_line(&out, '+', &lb.v[y++]);
            }
        }
        i = he;
        ai = x;
        bi = y;
    }
    free(s.op);
    free(la.v);
    free(lb.v);
    return sl_buf_detach(&out, NULL);
}
