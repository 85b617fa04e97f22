/* Conformance: `socklock fix` read back by socklock's own reader, over every manifest file of
 * the vendored data (the Sock Shop, the Pod Security Admission fixtures, Kyverno's
 * pod-security resources, Polaris' test manifests), under the embedded default profile with
 * templates. For each file: the fixed text is read again as manifests; it has the same
 * objects, and each is the original with the patch `fix` reports for it applied by
 * github.com/evanphx/json-patch (the API server's library, tests/tools/jsonpatch), or the
 * original itself when it was left for a fix by hand or had nothing to fix; fixing the fixed
 * text changes nothing. Each set prints its counts; broken must be 0. PyYAML reads the same
 * files in tests/cli/fix_conformance.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "socklock/alloc.h"
#include "socklock/base64.h"
#include "socklock/fix.h"
#include "socklock/manifest.h"
#include "socklock/policy.h"
#include "testutil.h"

Suite *suite_conformance_fix(void); /* for the runner */

static const char *const sets[] = {"sock-shop", "pod-security-admission", "kyverno-policies",
                                   "polaris"};

/* One object to compare: its original, its patch (or NULL), and what the fixed text holds. */
struct pair {
    char *label;
    json_t *orig, *patch, *got;
};

struct pairs {
    struct pair *v;
    size_t n;
};

static void pairs_add(struct pairs *l, char *label, const json_t *orig, const json_t *patch,
                      const json_t *got)
{
    l->v = sl_xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
    l->v[l->n++] = (struct pair){label, json_deep_copy(orig),
                                 patch != NULL ? json_deep_copy(patch) : NULL, json_deep_copy(got)};
}

/* The patch fix reported for the object at (doc, line), if it was fixed in place. */
static const json_t *patch_for(const struct sl_fix_result *r, size_t doc, int line)
{
    for (size_t i = 0; i < r->nobjs; i++)
        if (r->objs[i].doc == doc && r->objs[i].line == line && r->objs[i].outcome == SL_FIX_FIXED)
            return r->objs[i].patch;
    return NULL;
}

struct counts {
    size_t files, changed, objects, patched, by_hand, broken;
};

/* Fixes every manifest file of set; objects to compare go into l. */
static void fix_set(const char *set, const struct sl_fix_opts *o, struct pairs *l, struct counts *c)
{
    char *dir = tu_conformance_set(set, NULL);
    struct sl_strlist files = {0};
    struct sl_error err = {0};
    ck_assert_msg(sl_manifest_expand(dir, &files, &err) == SL_OK, "%s", err.msg);
    for (size_t i = 0; i < files.len; i++) {
        size_t len;
        char *text = tu_read_file(files.items[i], &len);
        ck_assert_ptr_nonnull(text);
        struct sl_manifest_file before, after;
        struct sl_fix_result r;
        if (sl_manifest_parse(text, len, files.items[i], &before, &err) != SL_OK) {
            free(text);
            continue; /* not a manifest (the data sets hold other YAML too) */
        }
        c->files++;
        ck_assert_int_eq(sl_fix_text(o, text, len, files.items[i], &r, &err), SL_OK);
        c->changed += r.changed;
        for (size_t k = 0; k < r.nobjs; k++)
            c->by_hand += r.objs[k].outcome == SL_FIX_BY_HAND;
        if (sl_manifest_parse(r.text, r.len, files.items[i], &after, &err) != SL_OK ||
            after.nobjs != before.nobjs) {
            c->broken++;
            printf("fix %s: BROKEN %s: the fixed text does not read back: %s\n", set,
                   files.items[i], err.msg);
        } else {
            for (size_t j = 0; j < before.nobjs; j++) {
                const struct sl_manifest_obj *b = &before.objs[j];
                pairs_add(l, sl_xasprintf("%s#%zu%s", files.items[i], b->doc, b->pointer),
                          b->object, patch_for(&r, b->doc, b->line), after.objs[j].object);
            }
            sl_manifest_file_cleanup(&after);
        }
        /* Fixing again changes nothing. */
        struct sl_fix_result again;
        ck_assert_int_eq(sl_fix_text(o, r.text, r.len, files.items[i], &again, &err), SL_OK);
        if (again.changed) {
            c->broken++;
            printf("fix %s: BROKEN %s: fixing the fixed text changes it\n", set, files.items[i]);
        }
        sl_fix_result_cleanup(&again);
        sl_fix_result_cleanup(&r);
        sl_manifest_file_cleanup(&before);
        free(text);
    }
    sl_strlist_cleanup(&files);
    free(dir);
}

/* Applies each pair's patch with the API server's library and compares with what was read. */
static void compare(const char *set, const struct pairs *l, struct counts *c)
{
    const char *tool = getenv("SOCKLOCK_JSONPATCH");
    ck_assert_msg(tool != NULL && *tool != '\0',
                  "SOCKLOCK_JSONPATCH is not set (make test builds tests/tools/jsonpatch)");
    char in[] = "/tmp/socklock-fix-in-XXXXXX";
    int fd = mkstemp(in);
    ck_assert(fd >= 0);
    FILE *fin = fdopen(fd, "w");
    json_t *none = json_array();
    for (size_t i = 0; i < l->n; i++) {
        char *ops = json_dumps(l->v[i].patch != NULL ? l->v[i].patch : none, JSON_COMPACT);
        char *b64 = sl_base64_encode(ops, strlen(ops));
        json_t *line = json_pack("{s:O, s:s}", "doc", l->v[i].orig, "patch", b64);
        char *t = json_dumps(line, JSON_COMPACT);
        fprintf(fin, "%s\n", t);
        free(t);
        json_decref(line);
        free(b64);
        free(ops);
    }
    json_decref(none);
    ck_assert_int_eq(fclose(fin), 0);
    char *cmd = sl_xasprintf("'%s' < '%s'", tool, in);
    FILE *fout = popen(cmd, "r");
    ck_assert_msg(fout != NULL, "cannot run %s", tool);
    for (size_t i = 0; i < l->n; i++) {
        json_error_t je;
        json_t *res = json_loadf(fout, JSON_DISABLE_EOF_CHECK, &je);
        ck_assert_msg(res != NULL, "%s: no answer from the patch tool: %s", set, je.text);
        c->objects++;
        c->patched += l->v[i].patch != NULL;
        if (!json_is_true(json_object_get(res, "ok")) ||
            !json_equal(json_object_get(res, "doc"), l->v[i].got)) {
            c->broken++;
            printf("fix %s: BROKEN %s: the fixed text is not the original with its patch\n", set,
                   l->v[i].label);
        }
        json_decref(res);
    }
    ck_assert_int_eq(pclose(fout), 0);
    unlink(in);
    free(cmd);
}

START_TEST(test_fix_reads_back_as_the_patched_objects)
{
    const char *set = sets[_i];
    struct sl_policy *pol = sl_policy_new_default();
    struct sl_fix_opts o = {
        .profile = sl_policy_find(pol, "default"), .templates = true, .keep_patches = true};
    struct pairs l = {0};
    struct counts c = {0};
    fix_set(set, &o, &l, &c);
    compare(set, &l, &c);
    printf("fix %s: %zu files, %zu changed; %zu objects, %zu patched in place, %zu by hand, "
           "%zu broken\n",
           set, c.files, c.changed, c.objects, c.patched, c.by_hand, c.broken);
    ck_assert_msg(c.broken == 0, "fix %s: %zu broken", set, c.broken);
    ck_assert_msg(c.patched > 0, "fix %s: nothing was fixed: the data is not what it was", set);
    for (size_t i = 0; i < l.n; i++) {
        free(l.v[i].label);
        json_decref(l.v[i].orig);
        json_decref(l.v[i].patch);
        json_decref(l.v[i].got);
    }
    free(l.v);
    sl_policy_free(pol);
}
END_TEST

Suite *suite_conformance_fix(void)
{
    Suite *s = suite_create("conformance_fix");
    TCase *tc = tcase_create("read back");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_fix_reads_back_as_the_patched_objects, 0, (int)SL_ARRAY_LEN(sets));
    suite_add_tcase(s, tc);
    return s;
}
