/* engine: judge one object under one profile (/validate, `socklock check`).
 *
 * scope.c decides whether a request is judged, as Pod Security Admission's admission.go
 * does; this file runs the checks and makes the verdict. Where socklock departs from PSA it
 * says so: workload templates are enforced like pods (docs/admission.md; PSA only warns on
 * them), and a pod that cannot be understood is denied with code 400 (fail closed) where
 * PSA would fail to decode it. When the profile mutates pods, a template's violations that
 * /mutate will fix when its pods are created are warnings ("pods will be patched"), and only
 * what no patch fixes denies: its pods could never be admitted. */
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

#include "socklock/alloc.h"

static const char *str_or(const json_t *obj, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s != NULL && s[0] != '\0' ? s : dflt;
}

void sl_engine_request_create(const json_t *obj, char *group, size_t gsize, struct sl_request *out)
{
    const json_t *meta = json_object_get(obj, "metadata");
    sl_workload_group_of(str_or(obj, "apiVersion", ""), group, gsize);
    *out = (struct sl_request){
        .operation = "CREATE",
        .group = group,
        .kind = str_or(obj, "kind", ""),
        .subresource = "",
        .resource = "",
        .namespace_ = str_or(meta, "namespace", "default"),
        .name = str_or(meta, "name", str_or(meta, "generateName", "")),
        .username = "",
        .object = obj,
    };
}

/* Marks each violation of `all` that the fixed pod no longer has as fixable. */
static void mark_fixable(struct sl_findings *all, const struct sl_findings *remaining)
{
    for (size_t i = 0; i < all->len; i++) {
        bool left = false;
        for (size_t j = 0; j < remaining->len && !left; j++)
            left = strcmp(all->items[i].check, remaining->items[j].check) == 0;
        all->items[i].fixable = !left;
    }
}

/* The violations of the pod ref once the profile's fixers have run. SL_OK, with remaining
 * filled, or an error (the pod was understood once, so only a bug gets here). */
static enum sl_status after_fixing(const struct sl_profile *prof, const struct eng_waivers *w,
                                   const struct sl_podref *ref, struct sl_findings *remaining,
                                   struct sl_error *err)
{
    json_t *fixed = NULL;
    struct sl_pss_opts opts = eng_pss_opts(prof, w, NULL);
    enum sl_status rc = eng_fix_copy(prof, w, ref, NULL, &fixed, err);
    if (rc == SL_OK)
        rc = sl_pss_eval(ref->meta, fixed, &opts, remaining, err);
    sl_arena_release(fixed);
    return rc;
}

/* Step 5: the checks (less what the policy's exceptions waive), and the verdict the
 * profile's mode makes of them. */
static void judge(const struct sl_profile *prof, const struct sl_request *req,
                  const struct eng_scope *s, const struct sl_podref *ref,
                  const struct eng_waivers *w, struct sl_verdict *out)
{
    struct sl_error err = {0};
    struct sl_pss_opts opts = eng_pss_opts(prof, w, &out->waived);
    out->evaluated = true;
    if (sl_pss_eval(ref->meta, ref->spec, &opts, &out->findings, &err) != SL_OK) {
        eng_deny_unreadable(out, s, "%s", err.msg);
        return;
    }
    if (out->findings.len == 0)
        return;
    /* A pod reaching /validate has been through /mutate already: all its violations count.
     * A template's pods will be patched when they are created, so only what no patch fixes
     * counts; `check` judges templates as written, and only marks what a patch would fix. */
    bool mutating = prof->mutate.pods && (!s->is_pod || req->as_written);
    if (!mutating) {
        eng_apply_mode(prof, s, &out->findings, out);
        return;
    }
    struct sl_findings remaining;
    sl_pss_findings_init(&remaining);
    if (after_fixing(prof, w, ref, &remaining, &err) != SL_OK) {
        eng_deny_unreadable(out, s, "%s", err.msg);
    } else {
        mark_fixable(&out->findings, &remaining);
        if (req->as_written || s->is_pod) {
            eng_apply_mode(prof, s, &out->findings, out);
        } else {
            struct sl_findings fixable;
            sl_pss_findings_init(&fixable);
            for (size_t i = 0; i < out->findings.len; i++) {
                const struct sl_violation *v = &out->findings.items[i];
                if (v->fixable)
                    sl_pss_findings_add(&fixable, v->check, v->reason, v->detail);
            }
            eng_add_warnings(out, prof->name, "pods will be patched: ", &fixable);
            eng_apply_mode(prof, s, &remaining, out);
            sl_pss_findings_cleanup(&fixable);
        }
    }
    sl_pss_findings_cleanup(&remaining);
}

void sl_engine_eval(const struct sl_profile *prof, const struct sl_request *req,
                    struct sl_verdict *out)
{
    struct eng_scope s;
    eng_scope_init(&s, req);
    if (!eng_in_scope(prof, req, &s) || !eng_object_present(req, &s, out))
        return;
    struct sl_error err = {0};
    struct sl_podref ref;
    enum sl_status rc = sl_workload_find(req->object, s.group, s.kind, &ref, &err);
    if (rc == SL_E_NOTFOUND)
        return; /* no pod spec: nothing to judge */
    if (rc != SL_OK) {
        eng_deny_unreadable(out, &s, "%s", err.msg);
        return;
    }
    if (!eng_significant(req, &s, &ref, out) || eng_runtime_class_exempt(prof, &ref))
        return;
    struct eng_waivers w;
    eng_waivers_for(prof, req, &s, &ref, &w);
    judge(prof, req, &s, &ref, &w, out);
    eng_note_exceptions(prof, &w, out);
    eng_waivers_cleanup(&w);
}
