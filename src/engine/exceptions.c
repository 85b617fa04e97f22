/* exceptions: which of the policy's exceptions apply to one pod, as waivers for the checks.
 *
 * An exception applies to an object when its namespaces and names globs match (an empty
 * list matches any) and it has not expired. One that names containers or images applies to
 * each container they match, one by one: a matching sidecar never waives its neighbours,
 * and never what the pod itself sets (pss.c runs a check as if the container were not
 * there). One without applies to the whole pod. A capabilities list narrows the
 * capabilities checks to those adds. An expired exception that would apply is named in a
 * warning, so the denial that follows its expiry explains itself. */
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"

static bool any_image(const struct sl_strlist *patterns, const char *image)
{
    if (patterns->len == 0)
        return true;
    for (size_t i = 0; i < patterns->len; i++)
        if (sl_policy_image_match(patterns->items[i], image))
            return true;
    return false;
}

static bool is_caps_check(const char *id)
{
    return strcmp(id, "capabilities_baseline") == 0 || strcmp(id, "capabilities_restricted") == 0;
}

static void add_waiver(struct eng_waivers *w, const struct sl_exception *e, const char *check,
                       const char *list, size_t index)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 8;
        w->v = sl_xrealloc(w->v, w->cap * sizeof(*w->v));
    }
    bool narrow = e->capabilities.len > 0 && is_caps_check(check);
    w->v[w->n++] = (struct sl_pss_waiver){
        .check = check,
        .list = list,
        .index = index,
        .capabilities = narrow ? &e->capabilities : NULL,
        .by = e->name,
    };
}

/* Adds e's waivers for the containers it matches; true when it matches one. */
static bool per_container(const struct sl_exception *e, const json_t *spec, struct eng_waivers *w,
                          bool add)
{
    static const char *const lists[] = {"initContainers", "containers", "ephemeralContainers"};
    bool matched = false;
    for (size_t l = 0; l < SL_ARRAY_LEN(lists); l++) {
        size_t i;
        const json_t *c;
        json_array_foreach(json_object_get(spec, lists[l]), i, c)
        {
            const char *name = json_string_value(json_object_get(c, "name"));
            const char *image = json_string_value(json_object_get(c, "image"));
            if (!sl_policy_glob_any(&e->containers, name != NULL ? name : "") ||
                !any_image(&e->images, image != NULL ? image : ""))
                continue;
            matched = true;
            for (size_t k = 0; add && k < e->checks.len; k++)
                add_waiver(w, e, e->checks.items[k], lists[l], i);
        }
    }
    return matched;
}

void eng_waivers_for(const struct sl_profile *prof, const struct sl_request *req,
                     const struct eng_scope *s, const struct sl_podref *ref, struct eng_waivers *w)
{
    memset(w, 0, sizeof(*w));
    const struct sl_policy *pol = prof->policy;
    if (pol == NULL || pol->nexceptions == 0)
        return;
    time_t now = req->now != 0 ? req->now : time(NULL);
    const char *ns = req->namespace_ != NULL ? req->namespace_ : "";
    for (size_t i = 0; i < pol->nexceptions; i++) {
        const struct sl_exception *e = &pol->exceptions[i];
        if (!sl_policy_glob_any(&e->namespaces, ns) || !sl_policy_glob_any(&e->names, s->name))
            continue;
        bool expired = sl_exception_expired(e, now);
        bool containers = e->containers.len + e->images.len > 0;
        bool matched = containers ? per_container(e, ref->spec, w, !expired) : true;
        if (expired && matched)
            sl_strlist_add(&w->expired, e->name);
        else if (!containers)
            for (size_t k = 0; k < e->checks.len; k++)
                add_waiver(w, e, e->checks.items[k], NULL, 0);
    }
}

void eng_waivers_cleanup(struct eng_waivers *w)
{
    free(w->v);
    sl_strlist_cleanup(&w->expired);
    memset(w, 0, sizeof(*w));
}

void eng_note_exceptions(const struct sl_profile *prof, const struct eng_waivers *w,
                         struct sl_verdict *out)
{
    /* The audit annotation: what was waived, and by which exception. */
    if (out->waived.len > 0) {
        struct sl_buf b;
        sl_buf_init(&b, 0);
        for (size_t i = 0; i < out->waived.len; i++) {
            const struct sl_violation *v = &out->waived.items[i];
            (void)sl_buf_printf(&b, "%s%s waives %s (%s)", i ? "; " : "", v->exception, v->check,
                                v->detail);
        }
        free(out->exceptions);
        out->exceptions = eng_clean_text(b.data, ENG_MAX_AUDIT_BYTES);
        sl_buf_cleanup(&b);
    }
    /* An expired exception that would apply: say so, with the violations it no longer
     * waives. */
    const struct sl_policy *pol = prof->policy;
    for (size_t i = 0; pol != NULL && i < w->expired.len; i++) {
        for (size_t k = 0; k < pol->nexceptions; k++) {
            const struct sl_exception *e = &pol->exceptions[k];
            if (strcmp(e->name, w->expired.items[i]) != 0)
                continue;
            bool bites = false;
            for (size_t f = 0; f < out->findings.len && !bites; f++)
                bites = sl_strlist_has(&e->checks, "*") ||
                        sl_strlist_has(&e->checks, out->findings.items[f].check);
            if (!bites)
                continue;
            struct sl_findings note;
            sl_pss_findings_init(&note);
            char *why = sl_xasprintf("exception \"%s\" expired on %s", e->name, e->expires_text);
            sl_pss_findings_add(&note, "", why, "its checks apply again");
            eng_add_warnings(out, prof->name, "", &note);
            free(why);
            sl_pss_findings_cleanup(&note);
        }
    }
}
