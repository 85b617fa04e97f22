/* policy: the policy model. A policy file (read by load.c) looks like this; every key is
 * optional but `profiles`, and these are the defaults:
 *
 *   limits:
 *     maxBodyBytes: 7340032
 *     inflightBodyBytes: 67108864
 *     connections: 1024
 *     perIPConnections: 256
 *     headTimeoutSeconds: 10
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
 *       network:                 # or one action for all three: warn | deny | off
 *         networkPolicyIngress: warn      # a workload no NetworkPolicy isolates
 *         networkPolicyDefaultDeny: warn  # a namespace without default-deny ingress
 *         networkPolicyOpen: warn         # a policy rule that admits every source
 *       relaxUserNamespacePods: false
 *       exemptions:
 *         namespaces: [kube-system]
 *         usernames: []
 *         runtimeClassNames: []
 *   namespaces:                  # in order; the first rule that matches wins
 *     - match: "legacy-*"        # a name or a glob
 *       profile: baseline        # and/or mode, level, version: the profile, changed so
 *   exceptions:
 *     - name: istio-proxy        # shown in audit annotations, logs and `check`
 *       namespaces: []           # globs; each list empty = any (one at least is needed)
 *       names: []                # object names
 *       containers: []           # container names
 *       images: ["istio/proxyv2:*"]
 *       checks: [capabilities_restricted]   # or all
 *       capabilities: [NET_ADMIN, NET_RAW]  # only these adds are waived
 *       expires: 2027-03-31      # the last day it applies (UTC)
 *
 * The loaded policy is immutable and shared by all server threads. */
#include "policy_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"

static const struct sl_limits default_limits = {
    .max_body_bytes = 7u << 20,
    .inflight_body_bytes = 64u << 20,
    .connections = 1024,
    .per_ip_connections = 256,
    .head_timeout_s = 10,
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

const char *sl_policy_net_action_name(enum sl_net_action a)
{
    switch (a) {
    case SL_NET_OFF:
        return "off";
    case SL_NET_WARN:
        return "warn";
    case SL_NET_DENY:
        break;
    }
    return "deny";
}

enum sl_net_action sl_policy_net_action(const struct sl_profile *prof, const char *check)
{
    if (strcmp(check, "networkPolicyIngress") == 0)
        return prof->network.ingress;
    if (strcmp(check, "networkPolicyDefaultDeny") == 0)
        return prof->network.default_deny;
    if (strcmp(check, "networkPolicyOpen") == 0)
        return prof->network.open;
    return SL_NET_OFF;
}

struct sl_profile *pol_add_profile(struct sl_policy *pol, const char *name)
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
    p->network = (struct sl_network){SL_NET_WARN, SL_NET_WARN, SL_NET_WARN};
    return p;
}

struct sl_policy *pol_new(void)
{
    struct sl_policy *pol = sl_xcalloc(1, sizeof(*pol));
    pol->limits = default_limits;
    return pol;
}

static void copy_list(struct sl_strlist *to, const struct sl_strlist *from)
{
    for (size_t i = 0; i < from->len; i++)
        sl_strlist_add(to, from->items[i]);
}

struct sl_profile *pol_profile_copy(const struct sl_profile *p)
{
    struct sl_profile *c = sl_xcalloc(1, sizeof(*c));
    *c = *p;
    c->name = sl_xstrdup(p->name);
    c->mutate.tmp_size_limit =
        p->mutate.tmp_size_limit ? sl_xstrdup(p->mutate.tmp_size_limit) : NULL;
    memset(&c->mutate.override, 0, sizeof(c->mutate.override));
    memset(&c->exempt_namespaces, 0, sizeof(c->exempt_namespaces));
    memset(&c->exempt_usernames, 0, sizeof(c->exempt_usernames));
    memset(&c->exempt_runtime_classes, 0, sizeof(c->exempt_runtime_classes));
    copy_list(&c->mutate.override, &p->mutate.override);
    copy_list(&c->exempt_namespaces, &p->exempt_namespaces);
    copy_list(&c->exempt_usernames, &p->exempt_usernames);
    copy_list(&c->exempt_runtime_classes, &p->exempt_runtime_classes);
    return c;
}

static void profile_cleanup(struct sl_profile *p)
{
    free(p->name);
    sl_strlist_cleanup(&p->exempt_namespaces);
    sl_strlist_cleanup(&p->exempt_usernames);
    sl_strlist_cleanup(&p->exempt_runtime_classes);
    free(p->mutate.tmp_size_limit);
    sl_strlist_cleanup(&p->mutate.override);
}

void pol_profile_free(struct sl_profile *p)
{
    if (p == NULL)
        return;
    profile_cleanup(p);
    free(p);
}

void pol_link(struct sl_policy *pol)
{
    for (size_t i = 0; i < pol->nprofiles; i++)
        pol->profiles[i].policy = pol;
    for (size_t i = 0; i < pol->nrules; i++)
        pol->rules[i].profile->policy = pol;
}

struct sl_policy *sl_policy_new_default(void)
{
    struct sl_policy *pol = pol_new();
    struct sl_profile *p = pol_add_profile(pol, "default");
    p->read_only_root_fs = true;
    sl_strlist_add(&p->exempt_namespaces, "kube-system");
    sl_strlist_add(&p->exempt_namespaces, SL_OWN_NAMESPACE);
    pol_link(pol);
    return pol;
}

struct sl_policy *sl_policy_new_plain(const char *name, enum sl_level level, int version)
{
    struct sl_policy *pol = pol_new();
    struct sl_profile *p = pol_add_profile(pol, name);
    p->level = level;
    p->version = version;
    p->mutate.pods = false;
    p->mutate.tmp_dir = false;
    /* Pod Security Admission knows nothing of the network. */
    p->network = (struct sl_network){SL_NET_OFF, SL_NET_OFF, SL_NET_OFF};
    pol_link(pol);
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

const struct sl_profile *sl_policy_route(const struct sl_policy *pol, const char *ns,
                                         const struct sl_ns_rule **rule)
{
    if (rule != NULL)
        *rule = NULL;
    if (pol == NULL)
        return NULL;
    for (size_t i = 0; i < pol->nrules; i++) {
        if (sl_policy_glob(pol->rules[i].match, ns)) {
            if (rule != NULL)
                *rule = &pol->rules[i];
            return pol->rules[i].profile;
        }
    }
    return sl_policy_find(pol, "default");
}

void sl_policy_free(struct sl_policy *pol)
{
    if (pol == NULL)
        return;
    for (size_t i = 0; i < pol->nprofiles; i++)
        profile_cleanup(&pol->profiles[i]);
    free(pol->profiles);
    for (size_t i = 0; i < pol->nrules; i++) {
        free(pol->rules[i].match);
        free(pol->rules[i].profile_name);
        if (pol->rules[i].derived)
            pol_profile_free(pol->rules[i].profile);
    }
    free(pol->rules);
    for (size_t i = 0; i < pol->nexceptions; i++) {
        struct sl_exception *e = &pol->exceptions[i];
        free(e->name);
        sl_strlist_cleanup(&e->namespaces);
        sl_strlist_cleanup(&e->names);
        sl_strlist_cleanup(&e->containers);
        sl_strlist_cleanup(&e->images);
        sl_strlist_cleanup(&e->checks);
        sl_strlist_cleanup(&e->capabilities);
    }
    free(pol->exceptions);
    sl_strlist_cleanup(&pol->warnings);
    free(pol);
}

/* A JSON-quoted string (valid YAML too). */
static void put_quoted(struct sl_buf *b, const char *s)
{
    json_t *j = json_string(s);
    char *q = j != NULL ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    (void)sl_buf_puts(b, q != NULL ? q : "\"\"");
    free(q);
    json_decref(j);
}

static void put_flow_list(struct sl_buf *b, const struct sl_strlist *l)
{
    (void)sl_buf_puts(b, "[");
    for (size_t i = 0; i < l->len; i++) {
        if (i > 0)
            (void)sl_buf_puts(b, ", ");
        put_quoted(b, l->items[i]);
    }
    (void)sl_buf_puts(b, "]");
}

static void dump_list(struct sl_buf *b, const char *key, const struct sl_strlist *l)
{
    (void)sl_buf_printf(b, "      %s: ", key);
    put_flow_list(b, l);
    (void)sl_buf_puts(b, "\n");
}

static void dump_rules(struct sl_buf *b, const struct sl_policy *pol)
{
    if (pol->nrules == 0) {
        (void)sl_buf_puts(b, "namespaces: []\n");
        return;
    }
    (void)sl_buf_puts(b, "namespaces:\n");
    for (size_t i = 0; i < pol->nrules; i++) {
        const struct sl_ns_rule *r = &pol->rules[i];
        const struct sl_profile *p = r->profile;
        char ver[16];
        sl_pss_version_name(p->version, ver, sizeof(ver));
        (void)sl_buf_puts(b, "  - match: ");
        put_quoted(b, r->match);
        (void)sl_buf_printf(b, "\n    profile: %s\n    level: %s\n    version: %s\n    mode: %s\n",
                            r->profile_name, sl_pss_level_name(p->level), ver,
                            sl_policy_mode_name(p->mode));
    }
}

static void dump_exceptions(struct sl_buf *b, const struct sl_policy *pol)
{
    if (pol->nexceptions == 0) {
        (void)sl_buf_puts(b, "exceptions: []\n");
        return;
    }
    (void)sl_buf_puts(b, "exceptions:\n");
    for (size_t i = 0; i < pol->nexceptions; i++) {
        const struct sl_exception *e = &pol->exceptions[i];
        static const char *const keys[] = {"namespaces", "names", "containers", "images"};
        const struct sl_strlist *lists[] = {&e->namespaces, &e->names, &e->containers, &e->images};
        (void)sl_buf_printf(b, "  - name: %s\n", e->name);
        for (size_t k = 0; k < SL_ARRAY_LEN(keys); k++) {
            (void)sl_buf_printf(b, "    %s: ", keys[k]);
            put_flow_list(b, lists[k]);
            (void)sl_buf_puts(b, "\n");
        }
        if (e->checks.len == 1 && strcmp(e->checks.items[0], "*") == 0) {
            (void)sl_buf_puts(b, "    checks: all\n");
        } else {
            (void)sl_buf_puts(b, "    checks: ");
            put_flow_list(b, &e->checks);
            (void)sl_buf_puts(b, "\n");
        }
        (void)sl_buf_puts(b, "    capabilities: ");
        put_flow_list(b, &e->capabilities);
        (void)sl_buf_printf(b, "\n    expires: %s\n", e->expires >= 0 ? e->expires_text : "null");
    }
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
                  "  headTimeoutSeconds: %u\n"
                  "  idleTimeoutSeconds: %u\n"
                  "  shutdownDelaySeconds: %u\n"
                  "  drainTimeoutSeconds: %u\n"
                  "profiles:\n",
                  l->max_body_bytes, l->inflight_body_bytes, l->connections, l->per_ip_connections,
                  l->head_timeout_s, l->idle_timeout_s, l->shutdown_delay_s, l->drain_timeout_s);
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
                      "    network:\n"
                      "      networkPolicyIngress: %s\n"
                      "      networkPolicyDefaultDeny: %s\n"
                      "      networkPolicyOpen: %s\n"
                      "    mutate:\n"
                      "      pods: %s\n"
                      "      templates: %s\n",
                      p->name, sl_pss_level_name(p->level), ver, sl_policy_mode_name(p->mode),
                      p->read_only_root_fs ? "true" : "false", p->relax_user_ns ? "true" : "false",
                      sl_policy_net_action_name(p->network.ingress),
                      sl_policy_net_action_name(p->network.default_deny),
                      sl_policy_net_action_name(p->network.open), p->mutate.pods ? "true" : "false",
                      p->mutate.templates ? "true" : "false");
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
    dump_rules(&b, pol);
    dump_exceptions(&b, pol);
    return sl_buf_detach(&b, NULL);
}

/* ---- explain ---- */

static void put_join(struct sl_buf *b, const struct sl_strlist *l)
{
    for (size_t i = 0; i < l->len; i++) {
        if (i > 0)
            (void)sl_buf_puts(b, ", ");
        put_quoted(b, l->items[i]);
    }
}

/* "waives capabilities_restricted (adds \"NET_ADMIN\" only)" and the exception's scope. */
static void put_exception(struct sl_buf *b, const struct sl_exception *e, time_t now)
{
    (void)sl_buf_printf(b, "    %s: waives ", e->name);
    if (e->checks.len == 1 && strcmp(e->checks.items[0], "*") == 0)
        (void)sl_buf_puts(b, "every check");
    else
        for (size_t i = 0; i < e->checks.len; i++)
            (void)sl_buf_printf(b, "%s%s", i ? ", " : "", e->checks.items[i]);
    if (e->capabilities.len > 0) {
        (void)sl_buf_puts(b, " (capability adds ");
        put_join(b, &e->capabilities);
        (void)sl_buf_puts(b, " only)");
    }
    if (e->names.len > 0) {
        (void)sl_buf_puts(b, "; for objects named ");
        put_join(b, &e->names);
    }
    if (e->containers.len > 0) {
        (void)sl_buf_puts(b, "; for containers named ");
        put_join(b, &e->containers);
    }
    if (e->images.len > 0) {
        (void)sl_buf_puts(b, "; for images ");
        put_join(b, &e->images);
    }
    if (e->containers.len == 0 && e->images.len == 0)
        (void)sl_buf_puts(b, "; for the whole pod");
    if (sl_exception_expired(e, now))
        (void)sl_buf_printf(b, "; EXPIRED on %s: no longer applies", e->expires_text);
    else if (e->expires >= 0)
        (void)sl_buf_printf(b, "; until %s", e->expires_text);
    (void)sl_buf_printf(b, " (line %d)\n", e->line);
}

char *sl_policy_explain(const struct sl_policy *pol, const char *ns, char *const *images,
                        size_t nimages, time_t now)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    const struct sl_ns_rule *rule;
    const struct sl_profile *p = sl_policy_route(pol, ns, &rule);
    (void)sl_buf_puts(&b, "namespace ");
    put_quoted(&b, ns);
    (void)sl_buf_puts(&b, ":\n");
    if (rule != NULL) {
        (void)sl_buf_printf(&b, "  rule: namespaces[%zu] (line %d), match ",
                            (size_t)(rule - pol->rules), rule->line);
        put_quoted(&b, rule->match);
        (void)sl_buf_puts(&b, "\n");
    } else {
        (void)sl_buf_puts(&b, "  rule: none matches; the profile \"default\"\n");
    }
    if (p == NULL) {
        (void)sl_buf_puts(&b, "  profile: none (the policy has no profile \"default\"): /validate "
                              "answers 404 here\n");
        return sl_buf_detach(&b, NULL);
    }
    char ver[16];
    sl_pss_version_name(p->version, ver, sizeof(ver));
    (void)sl_buf_printf(&b, "  profile: %s (level %s, version %s, mode %s%s)\n", p->name,
                        sl_pss_level_name(p->level), ver, sl_policy_mode_name(p->mode),
                        p->read_only_root_fs ? ", readOnlyRootFilesystem" : "");
    bool exempt = sl_strlist_has(&p->exempt_namespaces, ns);
    (void)sl_buf_printf(&b, "  exempt: %s\n",
                        exempt ? "yes: nothing in this namespace is judged or patched" : "no");
    /* The exceptions that may apply here. */
    struct sl_strlist here = {0};
    (void)sl_buf_puts(&b, "  exceptions:\n");
    for (size_t i = 0; i < pol->nexceptions; i++) {
        const struct sl_exception *e = &pol->exceptions[i];
        if (!sl_policy_glob_any(&e->namespaces, ns))
            continue;
        sl_strlist_add(&here, e->name);
        put_exception(&b, e, now);
    }
    if (here.len == 0)
        (void)sl_buf_puts(&b, "    none\n");
    for (size_t k = 0; k < nimages; k++) {
        (void)sl_buf_puts(&b, "image ");
        put_quoted(&b, images[k]);
        (void)sl_buf_puts(&b, ":\n");
        bool any = false;
        for (size_t i = 0; i < pol->nexceptions; i++) {
            const struct sl_exception *e = &pol->exceptions[i];
            if (!sl_strlist_has(&here, e->name) || e->images.len == 0)
                continue;
            for (size_t j = 0; j < e->images.len; j++) {
                if (sl_policy_image_match(e->images.items[j], images[k])) {
                    put_exception(&b, e, now);
                    any = true;
                    break;
                }
            }
        }
        if (!any)
            (void)sl_buf_puts(&b, "    no image exception matches\n");
    }
    sl_strlist_cleanup(&here);
    return sl_buf_detach(&b, NULL);
}
