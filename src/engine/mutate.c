/* mutate: what /mutate answers. It makes a copy of the pod spec, lets the profile's fixers
 * (src/pss/fixers.c) fill in what the Pod Security Standards and socklock's extras want,
 * and answers with the difference as an RFC 6902 patch. Before answering it replays the
 * patch on another copy of the original and checks it arrives at the fixed spec: a patch
 * the API server cannot apply fails the request outright, whatever failurePolicy says, so
 * a patch that does not replay is never sent. /mutate always allows; what no patch fixes is
 * named in warnings, and /validate denies it.
 *
 * When: pods on CREATE; on the pods/ephemeralcontainers subresource only the ephemeral
 * containers being added (the rest of a running pod is immutable); never another pod
 * UPDATE. Workload templates only when the profile asks (GitOps tools would see the
 * patched template as drift), on CREATE and on an UPDATE that changes the template.
 * Exemptions apply as they do to /validate. */
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"
#include "socklock/json.h"
#include "socklock/patch.h"

enum sl_status eng_fix_copy(const struct sl_profile *prof, const struct eng_waivers *w,
                            const struct sl_podref *ref, const struct sl_strlist *only_ephemeral,
                            json_t **fixed, struct sl_error *err)
{
    struct sl_pss_opts opts = eng_pss_opts(prof, w, NULL);
    struct sl_pss_fix_opts fix = {
        .override = &prof->mutate.override,
        .run_as_user = prof->mutate.run_as_user,
        .tmp_dir = prof->mutate.tmp_dir,
        .tmp_size_limit = prof->mutate.tmp_size_limit,
        .only_ephemeral = only_ephemeral,
    };
    return sl_pss_fix(ref->meta, ref->spec, &opts, &fix, fixed, err);
}

/* The names of the ephemeral containers an UPDATE of pods/ephemeralcontainers adds. */
static void added_ephemeral(const json_t *obj, const json_t *old, struct sl_strlist *out)
{
    const json_t *now = json_object_get(json_object_get(obj, "spec"), "ephemeralContainers");
    const json_t *was = json_object_get(json_object_get(old, "spec"), "ephemeralContainers");
    size_t i, j;
    const json_t *c, *o;
    json_array_foreach(now, i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        bool found = false;
        json_array_foreach(was, j, o)
        {
            const char *n = json_string_value(json_object_get(o, "name"));
            found = found || (name != NULL && n != NULL && strcmp(name, n) == 0);
        }
        if (name != NULL && !found)
            sl_strlist_add(out, name);
    }
}

/* A warning that the object was not mutated, and why. */
static void not_mutated(struct sl_verdict *out, const struct sl_profile *prof, const char *why)
{
    struct sl_findings f;
    sl_pss_findings_init(&f);
    sl_pss_findings_add(&f, "", "not mutated", why);
    eng_add_warnings(out, prof->name, "", &f);
    sl_pss_findings_cleanup(&f);
}

/* The patch that turns ref's spec into fixed, checked by replaying it; NULL when nothing
 * changes or when the replay fails (then a warning says so). */
static json_t *checked_patch(const struct sl_profile *prof, const struct sl_podref *ref,
                             const json_t *fixed, struct sl_verdict *out)
{
    json_t *ops = json_array();
    json_t *patch = NULL;
    sl_patch_diff(ref->spec, fixed, "", ops);
    if (json_array_size(ops) > 0) {
        /* Copy on write: the replay shares what no operation touches with the request, and
         * json_equal compares shared values by pointer. */
        json_t *replay = json_incref(sl_json_mut(ref->spec));
        if (sl_patch_apply(&replay, ops, NULL) == SL_OK && json_equal(replay, fixed))
            patch = sl_patch_prefix(ops, ref->pointer);
        else
            not_mutated(out, prof, "internal error: the patch did not replay");
        sl_arena_release(replay);
    }
    sl_arena_release(ops);
    return patch;
}

/* Which requests /mutate patches, and which ephemeral containers (*only: NULL for all). */
static bool wanted(const struct sl_profile *prof, const struct sl_request *req,
                   const struct eng_scope *s, const struct sl_podref *ref, struct sl_strlist *only,
                   bool *only_set)
{
    *only_set = false;
    if (!s->is_pod) {
        struct sl_verdict ignored;
        sl_engine_verdict_init(&ignored);
        bool yes = prof->mutate.templates &&
                   (strcmp(s->op, "CREATE") == 0 || eng_significant(req, s, ref, &ignored));
        sl_engine_verdict_cleanup(&ignored);
        return yes;
    }
    if (!prof->mutate.pods)
        return false;
    if (strcmp(s->op, "CREATE") == 0 && *s->sub == '\0')
        return true;
    if (strcmp(s->op, "UPDATE") == 0 && strcmp(s->sub, "ephemeralcontainers") == 0) {
        added_ephemeral(req->object, req->old_object, only);
        *only_set = true;
        return only->len > 0;
    }
    return false;
}

void sl_engine_mutate(const struct sl_profile *prof, const struct sl_request *req,
                      struct sl_verdict *out)
{
    struct eng_scope s;
    struct sl_strlist only;
    struct sl_error err = {0};
    struct sl_podref ref;
    json_t *fixed = NULL;
    bool only_set = false;
    struct eng_waivers w = {0};
    sl_strlist_init(&only);
    eng_scope_init(&s, req);
    if (!eng_in_scope(prof, req, &s))
        goto out;
    struct sl_verdict check;
    sl_engine_verdict_init(&check);
    bool present = eng_object_present(req, &s, &check);
    if (!present)
        not_mutated(out, prof, check.message);
    sl_engine_verdict_cleanup(&check);
    if (!present)
        goto out;
    enum sl_status rc = sl_workload_find(req->object, s.group, s.kind, &ref, &err);
    if (rc != SL_OK) {
        if (rc != SL_E_NOTFOUND)
            not_mutated(out, prof, err.msg);
        goto out;
    }
    if (!wanted(prof, req, &s, &ref, &only, &only_set) || eng_runtime_class_exempt(prof, &ref))
        goto out;
    /* What a policy exception waives is left as it is. */
    eng_waivers_for(prof, req, &s, &ref, &w);
    if (eng_fix_copy(prof, &w, &ref, only_set ? &only : NULL, &fixed, &err) != SL_OK) {
        not_mutated(out, prof, err.msg);
        goto out;
    }
    out->evaluated = true;
    out->patch = checked_patch(prof, &ref, fixed, out);
    /* What the patch leaves is what /validate will deny: say so now. */
    struct sl_pss_opts opts = eng_pss_opts(prof, &w, &out->waived);
    if (sl_pss_eval(ref.meta, fixed, &opts, &out->findings, &err) == SL_OK)
        eng_add_warnings(out, prof->name, "not fixed: ", &out->findings);
out:
    eng_waivers_cleanup(&w);
    sl_arena_release(fixed);
    sl_strlist_cleanup(&only);
}
