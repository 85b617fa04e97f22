/* policy: profiles, exemptions and limits.
 *
 * A policy file is YAML, read by yamljson into jansson values and then validated here key
 * by key, so that a typo is an error with its position rather than a silently ignored
 * setting:
 *
 *   limits:                      # all optional; these are the defaults
 *     maxBodyBytes: 7340032
 *     inflightBodyBytes: 67108864
 *     connections: 1024
 *     perIPConnections: 512
 *     idleTimeoutSeconds: 30
 *     shutdownDelaySeconds: 5
 *     drainTimeoutSeconds: 10
 *   profiles:
 *     default:                   # served at /validate and /validate/default
 *       level: restricted        # privileged | baseline | restricted
 *       version: latest          # latest | v1.0 ... v1.N
 *       mode: enforce            # enforce | warn | audit
 *       mutate:                  # or true (these defaults) / false (no mutation)
 *         pods: true             # /mutate patches pods
 *         templates: false       # /mutate patches workload templates
 *         runAsUser: null        # a uid to set where runAsUser is unset
 *         tmpDir: true           # an emptyDir at /tmp in containers made read-only
 *         tmpDirSizeLimit: null  # e.g. 64Mi
 *         overrideExplicit: []   # checks whose fixers may replace explicit values
 *       readOnlyRootFilesystem: true
 *       relaxUserNamespacePods: false
 *       exemptions:
 *         namespaces: [kube-system]
 *         usernames: []
 *         runtimeClassNames: []
 *
 * The loaded policy is immutable and shared by all server threads. */
#include "socklock/policy.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"
#include "socklock/json.h"
#include "socklock/yamljson.h"

/* The namespace socklock's own manifests deploy into; always exempt by default, so the
 * webhook never blocks its own pods. */
#define SL_OWN_NAMESPACE "socklock-system"

static const struct sl_limits default_limits = {
    .max_body_bytes = 7u << 20,
    .inflight_body_bytes = 64u << 20,
    .connections = 1024,
    .per_ip_connections = 512,
    .idle_timeout_s = 30,
    .shutdown_delay_s = 5,
    .drain_timeout_s = 10,
};

const char *sl_policy_mode_name(enum sl_mode mode)
{
    switch (mode) {
    case SL_MODE_ENFORCE:
        return "enforce";
    case SL_MODE_WARN:
        return "warn";
    case SL_MODE_AUDIT:
        return "audit";
    }
    return "enforce";
}

static struct sl_profile *add_profile(struct sl_policy *pol, const char *name)
{
    pol->profiles = sl_xrealloc(pol->profiles, (pol->nprofiles + 1) * sizeof(*pol->profiles));
    struct sl_profile *p = &pol->profiles[pol->nprofiles++];
    memset(p, 0, sizeof(*p));
    p->name = sl_xstrdup(name);
    p->level = SL_LEVEL_RESTRICTED;
    p->version = SL_VERSION_LATEST;
    p->mode = SL_MODE_ENFORCE;
    p->mutate.pods = true;
    p->mutate.tmp_dir = true;
    p->mutate.run_as_user = -1;
    return p;
}

static struct sl_policy *policy_new(void)
{
    struct sl_policy *pol = sl_xcalloc(1, sizeof(*pol));
    pol->limits = default_limits;
    return pol;
}

struct sl_policy *sl_policy_new_default(void)
{
    struct sl_policy *pol = policy_new();
    struct sl_profile *p = add_profile(pol, "default");
    p->read_only_root_fs = true;
    sl_strlist_add(&p->exempt_namespaces, "kube-system");
    sl_strlist_add(&p->exempt_namespaces, SL_OWN_NAMESPACE);
    return pol;
}

struct sl_policy *sl_policy_new_plain(const char *name, enum sl_level level, int version)
{
    struct sl_policy *pol = policy_new();
    struct sl_profile *p = add_profile(pol, name);
    p->level = level;
    p->version = version;
    p->mutate.pods = false;
    p->mutate.tmp_dir = false;
    return pol;
}

const struct sl_profile *sl_policy_find(const struct sl_policy *pol, const char *name)
{
    for (size_t i = 0; i < pol->nprofiles; i++) {
        if (strcmp(pol->profiles[i].name, name) == 0)
            return &pol->profiles[i];
    }
    return NULL;
}

void sl_policy_free(struct sl_policy *pol)
{
    if (pol == NULL)
        return;
    for (size_t i = 0; i < pol->nprofiles; i++) {
        struct sl_profile *p = &pol->profiles[i];
        free(p->name);
        sl_strlist_cleanup(&p->exempt_namespaces);
        sl_strlist_cleanup(&p->exempt_usernames);
        sl_strlist_cleanup(&p->exempt_runtime_classes);
        free(p->mutate.tmp_size_limit);
        sl_strlist_cleanup(&p->mutate.override);
    }
    free(pol->profiles);
    free(pol);
}

static void dump_list(struct sl_buf *b, const char *key, const struct sl_strlist *l)
{
    sl_buf_printf(b, "      %s: [", key);
    for (size_t i = 0; i < l->len; i++) {
        json_t *s = json_string(l->items[i]);
        char *q = json_dumps(s, JSON_ENCODE_ANY);
        sl_buf_printf(b, "%s%s", i ? ", " : "", q ? q : "\"\"");
        free(q);
        json_decref(s);
    }
    sl_buf_puts(b, "]\n");
}

char *sl_policy_dump(const struct sl_policy *pol)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    const struct sl_limits *l = &pol->limits;
    sl_buf_printf(&b,
                  "limits:\n"
                  "  maxBodyBytes: %zu\n"
                  "  inflightBodyBytes: %zu\n"
                  "  connections: %u\n"
                  "  perIPConnections: %u\n"
                  "  idleTimeoutSeconds: %u\n"
                  "  shutdownDelaySeconds: %u\n"
                  "  drainTimeoutSeconds: %u\n"
                  "profiles:\n",
                  l->max_body_bytes, l->inflight_body_bytes, l->connections, l->per_ip_connections,
                  l->idle_timeout_s, l->shutdown_delay_s, l->drain_timeout_s);
    for (size_t i = 0; i < pol->nprofiles; i++) {
        const struct sl_profile *p = &pol->profiles[i];
        char ver[16];
        sl_pss_version_name(p->version, ver, sizeof(ver));
        sl_buf_printf(&b,
                      "  %s:\n"
                      "    level: %s\n"
                      "    version: %s\n"
                      "    mode: %s\n"
                      "    readOnlyRootFilesystem: %s\n"
                      "    relaxUserNamespacePods: %s\n"
                      "    mutate:\n"
                      "      pods: %s\n"
                      "      templates: %s\n",
                      p->name, sl_pss_level_name(p->level), ver, sl_policy_mode_name(p->mode),
                      p->read_only_root_fs ? "true" : "false", p->relax_user_ns ? "true" : "false",
                      p->mutate.pods ? "true" : "false", p->mutate.templates ? "true" : "false");
        if (p->mutate.run_as_user >= 0)
            sl_buf_printf(&b, "      runAsUser: %lld\n", p->mutate.run_as_user);
        else
            sl_buf_puts(&b, "      runAsUser: null\n");
        sl_buf_printf(&b, "      tmpDir: %s\n", p->mutate.tmp_dir ? "true" : "false");
        if (p->mutate.tmp_size_limit != NULL)
            sl_buf_printf(&b, "      tmpDirSizeLimit: %s\n", p->mutate.tmp_size_limit);
        else
            sl_buf_puts(&b, "      tmpDirSizeLimit: null\n");
        dump_list(&b, "overrideExplicit", &p->mutate.override);
        sl_buf_puts(&b, "    exemptions:\n");
        dump_list(&b, "namespaces", &p->exempt_namespaces);
        dump_list(&b, "usernames", &p->exempt_usernames);
        dump_list(&b, "runtimeClassNames", &p->exempt_runtime_classes);
    }
    return sl_buf_detach(&b, NULL);
}

/* ---- loading ---------------------------------------------------------------------- */

/* State for one load: where errors point. Semantic errors point at the key's position
 * when yamljson can tell it, else at the document start. */
struct loader {
    const char *file;
    const struct sl_yaml_doc *doc;
    struct sl_error *err;
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
    char msg[400], pointer[512];
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
            const char *m = json_string_value(val);
            if (m && strcmp(m, "enforce") == 0)
                p->mode = SL_MODE_ENFORCE;
            else if (m && strcmp(m, "warn") == 0)
                p->mode = SL_MODE_WARN;
            else if (m && strcmp(m, "audit") == 0)
                p->mode = SL_MODE_AUDIT;
            else
                return fail(ld, path, "must be enforce, warn or audit");
        } else if (strcmp(key, "readOnlyRootFilesystem") == 0) {
            rc = get_bool(ld, val, path, &p->read_only_root_fs);
        } else if (strcmp(key, "relaxUserNamespacePods") == 0) {
            rc = get_bool(ld, val, path, &p->relax_user_ns);
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
    struct loader ld = {.file = filename, .doc = &ys.docs[0], .err = err};
    const json_t *root = ys.docs[0].value;
    if (!json_is_object(root)) {
        rc = fail(&ld, "(top level)", "must be a mapping with profiles and limits");
        goto out;
    }
    pol = policy_new();
    const char *key;
    const json_t *val;
    json_object_foreach(sl_json_mut(root), key, val)
    {
        if (strcmp(key, "limits") == 0) {
            rc = load_limits(&ld, val, &pol->limits);
        } else if (strcmp(key, "profiles") == 0) {
            if (!json_is_object(val) || json_object_size(val) == 0) {
                rc = fail(&ld, "profiles", "must be a mapping of at least one profile");
                goto out;
            }
            const char *pname;
            const json_t *pval;
            json_object_foreach(sl_json_mut(val), pname, pval)
            {
                rc = load_profile(&ld, pname, pval, add_profile(pol, pname));
                if (rc != SL_OK)
                    goto out;
            }
        } else {
            char path[128];
            snprintf(path, sizeof(path), "%s", key);
            rc = fail_key(&ld, path, "unknown setting (expected profiles, limits)");
        }
        if (rc != SL_OK)
            goto out;
    }
    if (pol->nprofiles == 0) {
        rc = fail(&ld, "profiles", "missing: a policy needs at least one profile");
        goto out;
    }
    *out = pol;
    pol = NULL;
out:
    sl_policy_free(pol);
    sl_yamljson_stream_cleanup(&ys);
    return rc;
}
