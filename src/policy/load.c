/* load: a policy file, read by yamljson into jansson values and then validated key by key,
 * so that a typo is an error with its FILE:LINE:COLUMN rather than a silently ignored
 * setting. What loads but cannot work as written (a `namespaces` rule an earlier one
 * shadows, an exception that can never apply) is a warning, kept in the policy. The keys
 * are described in policy.c. */
#include "policy_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "socklock/alloc.h"
#include "socklock/json.h"
#include "socklock/yamljson.h"

/* State for one load: where errors point. Semantic errors point at the key's position
 * when yamljson can tell it, else at the document start. */
struct loader {
    const char *file;
    const struct sl_yaml_doc *doc;
    struct sl_error *err;
    struct sl_policy *pol;
};

static enum sl_status fail(struct loader *ld, const char *path, const char *fmt, ...)
    SL_PRINTF(3, 4);
static enum sl_status fail_key(struct loader *ld, const char *path, const char *fmt, ...)
    SL_PRINTF(3, 4);

/* Turns our dotted display path ("profiles.default.exemptions.namespaces[1]") into the
 * RFC 6901 pointer yamljson understands ("/profiles/default/exemptions/namespaces/1").
 * Profile names and setting keys never hold '.', '[', '~' or '/' (names are validated
 * before any error inside them can be reported, and unknown keys are reported whole). */
static void path_to_pointer(const char *path, char *out, size_t size)
{
    size_t o = 0;
    if (size == 0)
        return;
    if (strcmp(path, "(top level)") != 0 && o + 1 < size)
        out[o++] = '/';
    for (const char *p = path; *p != '\0' && strcmp(path, "(top level)") != 0 && o + 1 < size;
         p++) {
        if (*p == '.' || *p == '[')
            out[o++] = '/';
        else if (*p != ']')
            out[o++] = *p;
    }
    out[o] = '\0';
}

/* Records an error at `path`: at its key when at_key (an unknown or misnamed setting; a
 * list item or the top level has no key, so then at the value), else at its value. */
static enum sl_status vfail(struct loader *ld, const char *path, bool at_key, const char *fmt,
                            va_list ap) SL_PRINTF(4, 0);

static enum sl_status vfail(struct loader *ld, const char *path, bool at_key, const char *fmt,
                            va_list ap)
{
    char msg[900], pointer[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    path_to_pointer(path, pointer, sizeof(pointer));
    struct sl_yaml_pos pos = ld->doc->root;
    sl_yamljson_find(ld->doc, pointer, &pos, NULL);
    at_key = at_key && pos.key_line > 0;
    sl_error_setpos(ld->err, ld->file, at_key ? pos.key_line : pos.line,
                    at_key ? pos.key_column : pos.column, "%s: %s", path, msg);
    return SL_E_INVALID;
}

/* A bad value. */
static enum sl_status fail(struct loader *ld, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum sl_status rc = vfail(ld, path, false, fmt, ap);
    va_end(ap);
    return rc;
}

/* A bad key: an unknown setting, a misnamed profile. */
static enum sl_status fail_key(struct loader *ld, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum sl_status rc = vfail(ld, path, true, fmt, ap);
    va_end(ap);
    return rc;
}

/* Joins a display path; long paths are cut (they are only shown in messages). */
static void join_path(char *out, size_t size, const char *base, const char *key)
{
    int n = snprintf(out, size, "%s.%s", base, key);
    if (n < 0 || (size_t)n >= size)
        out[size - 1] = '\0';
}

static enum sl_status get_bool(struct loader *ld, const json_t *v, const char *path, bool *out)
{
    if (!json_is_boolean(v))
        return fail(ld, path, "must be true or false");
    *out = json_is_true(v);
    return SL_OK;
}

static enum sl_status get_uint(struct loader *ld, const json_t *v, const char *path, uint64_t min,
                               uint64_t max, uint64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) < min ||
        (uint64_t)json_integer_value(v) > max)
        return fail(ld, path, "must be an integer from %" PRIu64 " to %" PRIu64, min, max);
    *out = (uint64_t)json_integer_value(v);
    return SL_OK;
}

static enum sl_status get_list(struct loader *ld, const json_t *v, const char *path,
                               struct sl_strlist *out)
{
    if (json_is_null(v))
        return SL_OK;
    if (!json_is_array(v))
        return fail(ld, path, "must be a list of strings");
    size_t i;
    const json_t *item;
    json_array_foreach(v, i, item)
    {
        if (!json_is_string(item) || json_string_length(item) == 0) {
            char p[256];
            snprintf(p, sizeof(p), "%s[%zu]", path, i);
            return fail(ld, p, "must be a non-empty string");
        }
        sl_strlist_add(out, json_string_value(item));
    }
    return SL_OK;
}

/* The settings under `limits`, one row each: name, bounds, and where the value goes. */
static const struct limit_spec {
    const char *key;
    uint64_t min, max;
    size_t offset;
    bool is_size; /* a size_t field; otherwise unsigned */
} limit_specs[] = {
    {"maxBodyBytes", 1024, 1u << 30, offsetof(struct sl_limits, max_body_bytes), true},
    {"inflightBodyBytes", 1024, (uint64_t)1 << 34, offsetof(struct sl_limits, inflight_body_bytes),
     true},
    {"connections", 1, 65536, offsetof(struct sl_limits, connections), false},
    {"perIPConnections", 1, 65536, offsetof(struct sl_limits, per_ip_connections), false},
    {"headTimeoutSeconds", 1, 600, offsetof(struct sl_limits, head_timeout_s), false},
    {"idleTimeoutSeconds", 1, 3600, offsetof(struct sl_limits, idle_timeout_s), false},
    {"shutdownDelaySeconds", 0, 600, offsetof(struct sl_limits, shutdown_delay_s), false},
    {"drainTimeoutSeconds", 0, 600, offsetof(struct sl_limits, drain_timeout_s), false},
};

static enum sl_status load_limits(struct loader *ld, const json_t *v, struct sl_limits *l)
{
    if (!json_is_object(v))
        return fail(ld, "limits", "must be a mapping");
    const char *key;
    const json_t *val;
    json_object_foreach(sl_json_mut(v), key, val)
    {
        char path[128];
        join_path(path, sizeof(path), "limits", key);
        const struct limit_spec *spec = NULL;
        for (size_t i = 0; i < SL_ARRAY_LEN(limit_specs) && spec == NULL; i++) {
            if (strcmp(key, limit_specs[i].key) == 0)
                spec = &limit_specs[i];
        }
        if (spec == NULL)
            return fail_key(ld, path, "unknown setting");
        uint64_t n = 0;
        enum sl_status rc = get_uint(ld, val, path, spec->min, spec->max, &n);
        if (rc != SL_OK)
            return rc;
        char *field = (char *)l + spec->offset;
        if (spec->is_size)
            *(size_t *)(void *)field = (size_t)n;
        else
            *(unsigned *)(void *)field = (unsigned)n;
    }
    return SL_OK;
}

static enum sl_status load_exemptions(struct loader *ld, const json_t *v, const char *base,
                                      struct sl_profile *p)
{
    char path[256];
    if (json_is_null(v))
        return SL_OK;
    if (!json_is_object(v))
        return fail(ld, base, "must be a mapping");
    const char *key;
    const json_t *val;
    json_object_foreach(sl_json_mut(v), key, val)
    {
        join_path(path, sizeof(path), base, key);
        enum sl_status rc;
        if (strcmp(key, "namespaces") == 0)
            rc = get_list(ld, val, path, &p->exempt_namespaces);
        else if (strcmp(key, "usernames") == 0)
            rc = get_list(ld, val, path, &p->exempt_usernames);
        else if (strcmp(key, "runtimeClassNames") == 0)
            rc = get_list(ld, val, path, &p->exempt_runtime_classes);
        else
            return fail_key(ld, path, "unknown setting");
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

/* A Kubernetes resource quantity as an emptyDir sizeLimit takes it: digits, an optional
 * fraction, an optional binary or decimal suffix ("64Mi", "1.5Gi", "100M"). */
static bool valid_quantity(const char *s)
{
    static const char *const suffixes[] = {"",  "Ki", "Mi", "Gi", "Ti", "Pi", "Ei",
                                           "k", "M",  "G",  "T",  "P",  "E"};
    size_t i = strspn(s, "0123456789");
    if (i == 0 || i > 18)
        return false;
    if (s[i] == '.') {
        size_t f = strspn(s + i + 1, "0123456789");
        if (f == 0)
            return false;
        i += 1 + f;
    }
    for (size_t k = 0; k < SL_ARRAY_LEN(suffixes); k++)
        if (strcmp(s + i, suffixes[k]) == 0)
            return true;
    return false;
}

static enum sl_status load_overrides(struct loader *ld, const json_t *v, const char *path,
                                     struct sl_strlist *out)
{
    enum sl_status rc = get_list(ld, v, path, out);
    for (size_t i = 0; rc == SL_OK && i < out->len; i++) {
        if (!sl_pss_check_fixable(out->items[i])) {
            char p[340];
            snprintf(p, sizeof(p), "%.300s[%zu]", path, i);
            rc = fail(ld, p,
                      "\"%s\" is not a check with a fixer (allowPrivilegeEscalation, "
                      "capabilities_baseline, capabilities_restricted, readOnlyRootFilesystem, "
                      "runAsNonRoot, runAsUser, seccompProfile_baseline, "
                      "seccompProfile_restricted)",
                      out->items[i]);
        }
    }
    return rc;
}

/* mutate: true (the defaults), false (no mutation), or a mapping of settings. */
static enum sl_status load_mutate(struct loader *ld, const json_t *v, const char *base,
                                  struct sl_mutate *m)
{
    if (json_is_boolean(v)) {
        m->pods = json_is_true(v);
        m->templates = false;
        return SL_OK;
    }
    if (!json_is_object(v))
        return fail(ld, base, "must be true, false or a mapping");
    const char *key;
    const json_t *val;
    json_object_foreach(sl_json_mut(v), key, val)
    {
        char path[300];
        join_path(path, sizeof(path), base, key);
        enum sl_status rc = SL_OK;
        uint64_t n = 0;
        if (strcmp(key, "pods") == 0) {
            rc = get_bool(ld, val, path, &m->pods);
        } else if (strcmp(key, "templates") == 0) {
            rc = get_bool(ld, val, path, &m->templates);
        } else if (strcmp(key, "tmpDir") == 0) {
            rc = get_bool(ld, val, path, &m->tmp_dir);
        } else if (strcmp(key, "runAsUser") == 0) {
            if (json_is_null(val)) {
                m->run_as_user = -1;
            } else {
                /* Not 0: setting root is what the check forbids. */
                rc = get_uint(ld, val, path, 1, 2147483647, &n);
                m->run_as_user = (long long)n;
            }
        } else if (strcmp(key, "tmpDirSizeLimit") == 0) {
            free(m->tmp_size_limit);
            m->tmp_size_limit = NULL;
            if (!json_is_null(val)) {
                if (!json_is_string(val) || !valid_quantity(json_string_value(val)))
                    return fail(ld, path, "must be a quantity such as 64Mi or 1Gi");
                m->tmp_size_limit = sl_xstrdup(json_string_value(val));
            }
        } else if (strcmp(key, "overrideExplicit") == 0) {
            rc = load_overrides(ld, val, path, &m->override);
        } else {
            return fail_key(ld, path, "unknown setting");
        }
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

static enum sl_status parse_net_action(const json_t *v, enum sl_net_action *out)
{
    const char *a = json_string_value(v);
    /* YAML 1.1, which Kubernetes tools and our reader follow, reads a bare off as false. */
    if (json_is_false(v) || (a != NULL && strcmp(a, "off") == 0))
        *out = SL_NET_OFF;
    else if (a != NULL && strcmp(a, "warn") == 0)
        *out = SL_NET_WARN;
    else if (a != NULL && strcmp(a, "deny") == 0)
        *out = SL_NET_DENY;
    else
        return SL_E_INVALID;
    return SL_OK;
}

/* `network`: one action for every network check, or a mapping of check id to action. */
static enum sl_status load_network(struct loader *ld, const json_t *v, const char *base,
                                   struct sl_network *n)
{
    enum sl_net_action all;
    if (json_is_string(v) || json_is_false(v)) {
        if (parse_net_action(v, &all) != SL_OK)
            return fail(ld, base, "must be warn, deny or off (or a mapping of network checks)");
        *n = (struct sl_network){all, all, all};
        return SL_OK;
    }
    if (!json_is_object(v))
        return fail(ld, base,
                    "must be warn, deny or off, or a mapping of networkPolicyIngress, "
                    "networkPolicyDefaultDeny and networkPolicyOpen to one of them");
    const char *key;
    const json_t *val;
    char path[256];
    json_object_foreach(sl_json_mut(v), key, val)
    {
        join_path(path, sizeof(path), base, key);
        enum sl_net_action *slot = strcmp(key, "networkPolicyIngress") == 0       ? &n->ingress
                                   : strcmp(key, "networkPolicyDefaultDeny") == 0 ? &n->default_deny
                                   : strcmp(key, "networkPolicyOpen") == 0        ? &n->open
                                                                                  : NULL;
        if (slot == NULL)
            return fail_key(ld, path,
                            "unknown network check (expected networkPolicyIngress, "
                            "networkPolicyDefaultDeny, networkPolicyOpen)");
        if (parse_net_action(val, slot) != SL_OK)
            return fail(ld, path, "must be warn, deny or off");
    }
    return SL_OK;
}

static enum sl_status parse_mode(const char *m, enum sl_mode *out)
{
    if (m != NULL && strcmp(m, "enforce") == 0)
        *out = SL_MODE_ENFORCE;
    else if (m != NULL && strcmp(m, "warn") == 0)
        *out = SL_MODE_WARN;
    else if (m != NULL && strcmp(m, "audit") == 0)
        *out = SL_MODE_AUDIT;
    else
        return SL_E_INVALID;
    return SL_OK;
}

static bool valid_profile_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return s[0] != '-' && s[n - 1] != '-';
}

static enum sl_status load_profile(struct loader *ld, const char *name, const json_t *v,
                                   struct sl_profile *p)
{
    char base[128], path[256];
    join_path(base, sizeof(base), "profiles", name);
    if (!valid_profile_name(name))
        return fail_key(ld, base, "profile names are 1-63 characters of a-z, 0-9 and '-'");
    if (!json_is_object(v))
        return fail(ld, base, "must be a mapping");
    const char *key;
    const json_t *val;
    json_object_foreach(sl_json_mut(v), key, val)
    {
        join_path(path, sizeof(path), base, key);
        enum sl_status rc = SL_OK;
        if (strcmp(key, "level") == 0) {
            if (!json_is_string(val) || sl_pss_parse_level(json_string_value(val), &p->level))
                return fail(ld, path, "must be privileged, baseline or restricted");
        } else if (strcmp(key, "version") == 0) {
            if (!json_is_string(val) || sl_pss_parse_version(json_string_value(val), &p->version))
                return fail(ld, path, "must be latest or v1.N");
        } else if (strcmp(key, "mode") == 0) {
            if (parse_mode(json_string_value(val), &p->mode) != SL_OK)
                return fail(ld, path, "must be enforce, warn or audit");
        } else if (strcmp(key, "readOnlyRootFilesystem") == 0) {
            rc = get_bool(ld, val, path, &p->read_only_root_fs);
        } else if (strcmp(key, "relaxUserNamespacePods") == 0) {
            rc = get_bool(ld, val, path, &p->relax_user_ns);
        } else if (strcmp(key, "network") == 0) {
            rc = load_network(ld, val, path, &p->network);
        } else if (strcmp(key, "exemptions") == 0) {
            rc = load_exemptions(ld, val, path, p);
        } else if (strcmp(key, "mutate") == 0) {
            rc = load_mutate(ld, val, path, &p->mutate);
        } else {
            return fail_key(ld, path, "unknown setting");
        }
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

/* ---- warnings ---- */

/* Records a warning at `path` (its key when at_key), as "FILE:LINE:COLUMN: path: message". */
static void warn(struct loader *ld, const char *path, bool at_key, const char *fmt, ...)
    SL_PRINTF(4, 5);

static void warn(struct loader *ld, const char *path, bool at_key, const char *fmt, ...)
{
    char msg[900], pointer[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    path_to_pointer(path, pointer, sizeof(pointer));
    struct sl_yaml_pos pos = ld->doc->root;
    sl_yamljson_find(ld->doc, pointer, &pos, NULL);
    at_key = at_key && pos.key_line > 0;
    sl_strlist_take(&ld->pol->warnings,
                    sl_xasprintf("%s:%d:%d: %s: %s", ld->file, at_key ? pos.key_line : pos.line,
                                 at_key ? pos.key_column : pos.column, path, msg));
}

/* Where a list item is written. */
static void item_pos(struct loader *ld, const char *path, int *line, int *column)
{
    char pointer[512];
    path_to_pointer(path, pointer, sizeof(pointer));
    struct sl_yaml_pos pos = ld->doc->root;
    sl_yamljson_find(ld->doc, pointer, &pos, NULL);
    *line = pos.line;
    *column = pos.column;
}

/* ---- namespaces ---- */

/* A namespace name or glob: what a namespace may hold (a-z, 0-9, '-') and glob characters. */
static enum sl_status get_ns_glob(struct loader *ld, const json_t *v, const char *path,
                                  const char **out)
{
    const char *s = json_string_value(v);
    if (s == NULL || *s == '\0')
        return fail(ld, path, "must be a namespace name or a glob such as \"team-*\"");
    for (const char *c = s; *c; c++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || strchr("-*?[]!^", *c)))
            return fail(ld, path,
                        "\"%s\" is not a namespace name or glob: namespaces hold a-z, 0-9 and "
                        "'-'; globs add *, ? and [...]",
                        s);
    }
    if (!pol_glob_valid(s))
        return fail(ld, path, "\"%s\" is not a valid glob (a '[' without its ']')", s);
    *out = s;
    return SL_OK;
}

/* One rule of `namespaces`, into r (cleaned up by sl_policy_free whatever happens). */
static enum sl_status load_rule(struct loader *ld, const json_t *v, const char *base,
                                struct sl_ns_rule *r)
{
    char path[300];
    if (!json_is_object(v))
        return fail(ld, base, "must be a mapping with match and a profile, mode, level or version");
    item_pos(ld, base, &r->line, &r->column);
    const char *match = NULL, *profile = "default";
    bool set_mode = false, set_level = false, set_version = false, set_profile = false;
    enum sl_mode mode = SL_MODE_ENFORCE;
    enum sl_level level = SL_LEVEL_RESTRICTED;
    int version = SL_VERSION_LATEST;
    const char *key;
    const json_t *val;
    json_object_foreach(sl_json_mut(v), key, val)
    {
        join_path(path, sizeof(path), base, key);
        enum sl_status rc = SL_OK;
        if (strcmp(key, "match") == 0) {
            rc = get_ns_glob(ld, val, path, &match);
        } else if (strcmp(key, "profile") == 0) {
            profile = json_string_value(val);
            if (profile == NULL || sl_policy_find(ld->pol, profile) == NULL)
                return fail(ld, path, "no profile named \"%s\" in profiles",
                            profile != NULL ? profile : "");
            set_profile = true;
        } else if (strcmp(key, "mode") == 0) {
            if (parse_mode(json_string_value(val), &mode) != SL_OK)
                return fail(ld, path, "must be enforce, warn or audit");
            set_mode = true;
        } else if (strcmp(key, "level") == 0) {
            if (!json_is_string(val) || sl_pss_parse_level(json_string_value(val), &level))
                return fail(ld, path, "must be privileged, baseline or restricted");
            set_level = true;
        } else if (strcmp(key, "version") == 0) {
            if (!json_is_string(val) || sl_pss_parse_version(json_string_value(val), &version))
                return fail(ld, path, "must be latest or v1.N");
            set_version = true;
        } else {
            return fail_key(ld, path,
                            "unknown setting (expected match, profile, mode, level, "
                            "version)");
        }
        if (rc != SL_OK)
            return rc;
    }
    if (match == NULL)
        return fail(ld, base, "missing match: the namespace name or glob the rule is for");
    if (!set_profile && !set_mode && !set_level && !set_version)
        return fail(ld, base, "a rule sets a profile, a mode, a level or a version");
    struct sl_profile *named = NULL;
    for (size_t i = 0; i < ld->pol->nprofiles && named == NULL; i++)
        if (strcmp(ld->pol->profiles[i].name, profile) == 0)
            named = &ld->pol->profiles[i];
    if (named == NULL)
        return fail(ld, base,
                    "no profile \"default\" to change: name one with profile, or add a "
                    "profile named default");
    r->match = sl_xstrdup(match);
    r->profile_name = sl_xstrdup(profile);
    if (set_mode || set_level || set_version) {
        r->profile = pol_profile_copy(named);
        r->derived = true;
        if (set_mode)
            r->profile->mode = mode;
        if (set_level)
            r->profile->level = level;
        if (set_version)
            r->profile->version = version;
    } else {
        /* The profiles array no longer moves: profiles are all loaded first. */
        r->profile = named;
    }
    return SL_OK;
}

static enum sl_status load_rules(struct loader *ld, const json_t *v)
{
    if (json_is_null(v))
        return SL_OK;
    if (!json_is_array(v))
        return fail(ld, "namespaces", "must be a list of rules (- match: NAME, profile: NAME)");
    struct sl_policy *pol = ld->pol;
    pol->rules = sl_xcalloc(json_array_size(v) + 1, sizeof(*pol->rules));
    size_t i;
    const json_t *item;
    json_array_foreach(v, i, item)
    {
        char base[64];
        snprintf(base, sizeof(base), "namespaces[%zu]", i);
        pol->nrules = i + 1;
        enum sl_status rc = load_rule(ld, item, base, &pol->rules[i]);
        if (rc != SL_OK)
            return rc;
        for (size_t k = 0; k < i; k++) {
            if (pol_glob_covers(pol->rules[k].match, pol->rules[i].match)) {
                char p[80];
                snprintf(p, sizeof(p), "%s.match", base);
                warn(ld, p, false,
                     "never used: namespaces[%zu] (match \"%s\", line %d) comes first and "
                     "matches every namespace this one does",
                     k, pol->rules[k].match, pol->rules[k].line);
                break;
            }
        }
    }
    /* A namespace no rule matches is judged by the profile "default". */
    bool catch_all = false;
    for (size_t k = 0; k < pol->nrules; k++)
        catch_all = catch_all || strcmp(pol->rules[k].match, "*") == 0;
    if (!catch_all && sl_policy_find(pol, "default") == NULL)
        return fail(ld, "namespaces",
                    "a namespace no rule matches is judged by the profile \"default\", and "
                    "there is none: add it, or end with a rule for match: \"*\"");
    return SL_OK;
}

/* ---- exceptions ---- */

/* A list of globs; `ns` checks each as a namespace glob. */
static enum sl_status get_globs(struct loader *ld, const json_t *v, const char *path, bool ns,
                                struct sl_strlist *out)
{
    enum sl_status rc = get_list(ld, v, path, out);
    for (size_t i = 0; rc == SL_OK && i < out->len; i++) {
        char p[340];
        snprintf(p, sizeof(p), "%.300s[%zu]", path, i);
        const char *g = out->items[i];
        if (ns) {
            rc = get_ns_glob(ld, json_array_get(v, i), p, &g);
        } else {
            for (const char *c = g; rc == SL_OK && *c; c++)
                if ((unsigned char)*c <= ' ' || *c == 0x7f)
                    rc = fail(ld, p, "must not hold spaces or control characters");
            if (rc == SL_OK && !pol_glob_valid(g))
                rc = fail(ld, p, "\"%s\" is not a valid glob (a '[' without its ']')", g);
        }
    }
    return rc;
}

/* The edit distance of a and b (insertions, deletions, substitutions), at most 64 + 1. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 65;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t sub = diag + (a[i - 1] != b[j - 1]);
            size_t best = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            diag = up;
        }
    }
    return row[lb];
}

/* The check id closest to a misspelt one (within 3 edits), for "did you mean". */
static const char *check_like(const char *id)
{
    const char *best = NULL;
    size_t best_d = 4;
    for (size_t i = 0; i < sl_pss_check_count(); i++) {
        struct sl_pss_check_info info;
        sl_pss_check_describe(i, &info);
        size_t d = strcasecmp(info.id, id) == 0 ? 0 : distance(info.id, id);
        if (d < best_d) {
            best = info.id;
            best_d = d;
        }
    }
    return best;
}

/* "a, b, c": every check id, for the error that names none. */
static void all_checks(char *out, size_t size)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sl_pss_check_count() && o < size; i++) {
        struct sl_pss_check_info info;
        sl_pss_check_describe(i, &info);
        int n = snprintf(out + o, size - o, "%s%s", i ? ", " : "", info.id);
        if (n < 0)
            break;
        o += (size_t)n;
    }
}

static enum sl_status get_checks(struct loader *ld, const json_t *v, const char *path,
                                 struct sl_strlist *out)
{
    if (json_is_string(v) && strcmp(json_string_value(v), "all") == 0) {
        sl_strlist_add(out, "*");
        return SL_OK;
    }
    if (!json_is_array(v) || json_array_size(v) == 0)
        return fail(ld, path, "must be a list of check ids, or all (said explicitly)");
    enum sl_status rc = get_list(ld, v, path, out);
    for (size_t i = 0; rc == SL_OK && i < out->len; i++) {
        char p[340];
        snprintf(p, sizeof(p), "%.300s[%zu]", path, i);
        const char *id = out->items[i];
        if (strcmp(id, "all") == 0 || strcmp(id, "*") == 0)
            return fail(ld, p, "to waive every check, write checks: all (not in a list)");
        if (sl_pss_check_exists(id))
            continue;
        const char *like = check_like(id);
        if (like != NULL)
            return fail(ld, p, "unknown check \"%s\" (did you mean \"%s\"?)", id, like);
        char ids[600];
        all_checks(ids, sizeof(ids));
        return fail(ld, p, "unknown check \"%s\" (the checks: %s)", id, ids);
    }
    return rc;
}

static enum sl_status get_capabilities(struct loader *ld, const json_t *v, const char *path,
                                       struct sl_strlist *out)
{
    struct sl_strlist raw = {0};
    enum sl_status rc = get_list(ld, v, path, &raw);
    for (size_t i = 0; rc == SL_OK && i < raw.len; i++) {
        const char *c = raw.items[i];
        if (strncasecmp(c, "CAP_", 4) == 0)
            c += 4;
        char *up = sl_xstrdup(c);
        for (char *q = up; *q; q++)
            if (*q >= 'a' && *q <= 'z')
                *q = (char)(*q - 'a' + 'A');
        if (!pol_known_capability(up)) {
            char p[340];
            snprintf(p, sizeof(p), "%.300s[%zu]", path, i);
            rc = fail(ld, p, "\"%s\" is not a Linux capability (e.g. NET_ADMIN, NET_RAW)",
                      raw.items[i]);
            free(up);
        } else {
            sl_strlist_take(out, up);
        }
    }
    sl_strlist_cleanup(&raw);
    return rc;
}

static bool valid_exception_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
            return false;
    }
    return true;
}

static bool is_caps_check(const char *id)
{
    return strcmp(id, "capabilities_baseline") == 0 || strcmp(id, "capabilities_restricted") == 0;
}

static enum sl_status load_exception(struct loader *ld, const json_t *v, const char *base,
                                     struct sl_exception *e)
{
    char path[300];
    e->expires = -1;
    if (!json_is_object(v))
        return fail(ld, base, "must be a mapping with a name, what it matches and checks");
    item_pos(ld, base, &e->line, &e->column);
    bool has_checks = false, has_caps = false;
    const char *key;
    const json_t *val;
    json_object_foreach(sl_json_mut(v), key, val)
    {
        join_path(path, sizeof(path), base, key);
        enum sl_status rc = SL_OK;
        if (strcmp(key, "name") == 0) {
            const char *n = json_string_value(val);
            if (n == NULL || !valid_exception_name(n))
                return fail(ld, path, "must be 1-63 characters of a-z, 0-9, '-' and '.'");
            e->name = sl_xstrdup(n);
        } else if (strcmp(key, "namespaces") == 0) {
            rc = get_globs(ld, val, path, true, &e->namespaces);
        } else if (strcmp(key, "names") == 0) {
            rc = get_globs(ld, val, path, false, &e->names);
        } else if (strcmp(key, "containers") == 0) {
            rc = get_globs(ld, val, path, false, &e->containers);
        } else if (strcmp(key, "images") == 0) {
            rc = get_globs(ld, val, path, false, &e->images);
        } else if (strcmp(key, "checks") == 0) {
            rc = get_checks(ld, val, path, &e->checks);
            has_checks = true;
        } else if (strcmp(key, "capabilities") == 0) {
            rc = get_capabilities(ld, val, path, &e->capabilities);
            has_caps = e->capabilities.len > 0; /* [] or null: the whole check */
        } else if (strcmp(key, "expires") == 0) {
            const char *d = json_string_value(val);
            if (json_is_null(val))
                continue; /* never */
            if (d == NULL || !pol_parse_date(d, &e->expires))
                return fail(ld, path, "must be a date, YYYY-MM-DD (the last day it applies)");
            snprintf(e->expires_text, sizeof(e->expires_text), "%s", d);
        } else {
            return fail_key(ld, path,
                            "unknown setting (expected name, namespaces, names, "
                            "containers, images, checks, capabilities, expires)");
        }
        if (rc != SL_OK)
            return rc;
    }
    if (e->name == NULL)
        return fail(ld, base,
                    "missing name: exceptions are named in audit annotations, logs "
                    "and check output");
    if (!has_checks)
        return fail(ld, base, "missing checks: the check ids it waives, or checks: all");
    if (e->namespaces.len + e->names.len + e->containers.len + e->images.len == 0)
        return fail(ld, base,
                    "matches everything: say what it is for (namespaces, names, containers or "
                    "images)");
    if (has_caps) {
        join_path(path, sizeof(path), base, "capabilities");
        bool caps_check = false;
        for (size_t i = 0; i < e->checks.len; i++)
            caps_check = caps_check || is_caps_check(e->checks.items[i]);
        if (!caps_check)
            return fail(ld, path,
                        "only narrows capabilities_baseline and capabilities_restricted, and "
                        "checks names neither");
    }
    return SL_OK;
}

/* Warnings for an exception that can never apply. */
static void exception_warnings(struct loader *ld, const struct sl_exception *e, const char *base,
                               time_t now)
{
    char path[300];
    if (sl_exception_expired(e, now)) {
        join_path(path, sizeof(path), base, "expires");
        warn(ld, path, false, "expired on %s: it no longer applies", e->expires_text);
    }
    bool per_container = e->containers.len + e->images.len > 0;
    bool all = e->checks.len == 1 && strcmp(e->checks.items[0], "*") == 0;
    if (per_container && !all) {
        bool pod_only = true;
        for (size_t i = 0; i < e->checks.len && pod_only; i++) {
            for (size_t k = 0; k < sl_pss_check_count(); k++) {
                struct sl_pss_check_info info;
                sl_pss_check_describe(k, &info);
                if (strcmp(info.id, e->checks.items[i]) == 0)
                    pod_only = info.pod_only;
            }
        }
        if (pod_only) {
            join_path(path, sizeof(path), base, "checks");
            warn(ld, path, false,
                 "can never apply: an exception for containers (containers, images) never "
                 "waives what the pod itself sets, and these checks read only that");
        }
    }
    /* Namespaces that are all exempt where they are judged. */
    if (e->namespaces.len > 0) {
        bool all_exempt = true;
        for (size_t i = 0; i < e->namespaces.len && all_exempt; i++) {
            const char *ns = e->namespaces.items[i];
            const struct sl_profile *p =
                pol_is_glob(ns) ? NULL : sl_policy_route(ld->pol, ns, NULL);
            all_exempt = p != NULL && sl_strlist_has(&p->exempt_namespaces, ns);
        }
        if (all_exempt) {
            join_path(path, sizeof(path), base, "namespaces");
            warn(ld, path, false,
                 "can never apply: its namespaces are exempt, so nothing there is judged");
        }
    }
}

static enum sl_status load_exceptions(struct loader *ld, const json_t *v, time_t now)
{
    if (json_is_null(v))
        return SL_OK;
    if (!json_is_array(v))
        return fail(ld, "exceptions", "must be a list of exceptions (- name: NAME, ...)");
    struct sl_policy *pol = ld->pol;
    pol->exceptions = sl_xcalloc(json_array_size(v) + 1, sizeof(*pol->exceptions));
    size_t i;
    const json_t *item;
    json_array_foreach(v, i, item)
    {
        char base[64];
        snprintf(base, sizeof(base), "exceptions[%zu]", i);
        pol->nexceptions = i + 1;
        struct sl_exception *e = &pol->exceptions[i];
        enum sl_status rc = load_exception(ld, item, base, e);
        if (rc != SL_OK)
            return rc;
        for (size_t k = 0; k < i; k++) {
            if (strcmp(pol->exceptions[k].name, e->name) == 0) {
                char p[80];
                snprintf(p, sizeof(p), "%s.name", base);
                return fail(ld, p,
                            "\"%s\" is the name of exceptions[%zu] (line %d) too: names "
                            "must be unique",
                            e->name, k, pol->exceptions[k].line);
            }
        }
        exception_warnings(ld, e, base, now);
    }
    return SL_OK;
}

/* ---- the file ---- */

enum sl_status sl_policy_load(const char *data, size_t len, const char *filename,
                              struct sl_policy **out, struct sl_error *err)
{
    enum sl_status rc;
    struct sl_policy *pol = NULL;
    struct sl_yaml_stream ys = {0};
    *out = NULL;
    rc = sl_yamljson_load(data, len, filename, &ys, err);
    if (rc != SL_OK)
        goto out;
    if (ys.len != 1) {
        sl_error_setpos(err, filename, ys.len > 1 ? ys.docs[1].line : 1,
                        ys.len > 1 ? ys.docs[1].column : 1,
                        "a policy file holds exactly one YAML document");
        rc = SL_E_INVALID;
        goto out;
    }
    pol = pol_new();
    struct loader ld = {.file = filename, .doc = &ys.docs[0], .err = err, .pol = pol};
    const json_t *root = ys.docs[0].value;
    if (!json_is_object(root)) {
        rc = fail(&ld, "(top level)", "must be a mapping with profiles and limits");
        goto out;
    }
    const char *key;
    const json_t *val;
    json_object_foreach(sl_json_mut(root), key, val)
    {
        if (strcmp(key, "limits") != 0 && strcmp(key, "profiles") != 0 &&
            strcmp(key, "namespaces") != 0 && strcmp(key, "exceptions") != 0) {
            char path[128];
            snprintf(path, sizeof(path), "%s", key);
            rc = fail_key(&ld, path,
                          "unknown setting (expected profiles, namespaces, "
                          "exceptions, limits)");
            goto out;
        }
    }
    /* Profiles first: rules name them, whatever order the file has. */
    const json_t *profiles = json_object_get(root, "profiles");
    if (profiles == NULL) {
        rc = fail(&ld, "profiles", "missing: a policy needs at least one profile");
        goto out;
    }
    if (!json_is_object(profiles) || json_object_size(profiles) == 0) {
        rc = fail(&ld, "profiles", "must be a mapping of at least one profile");
        goto out;
    }
    json_object_foreach(sl_json_mut(profiles), key, val)
    {
        rc = load_profile(&ld, key, val, pol_add_profile(pol, key));
        if (rc != SL_OK)
            goto out;
    }
    if ((val = json_object_get(root, "limits")) != NULL &&
        (rc = load_limits(&ld, val, &pol->limits)) != SL_OK)
        goto out;
    if ((val = json_object_get(root, "namespaces")) != NULL && (rc = load_rules(&ld, val)) != SL_OK)
        goto out;
    if ((val = json_object_get(root, "exceptions")) != NULL &&
        (rc = load_exceptions(&ld, val, time(NULL))) != SL_OK)
        goto out;
    pol_link(pol);
    *out = pol;
    pol = NULL;
out:
    sl_policy_free(pol);
    sl_yamljson_stream_cleanup(&ys);
    return rc;
}
