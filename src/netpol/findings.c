/* netpol findings: what `check` says about an input's network, and which policy rules open a
 * workload to everyone.
 *
 * Findings are made only for the namespaces the input speaks for (it holds their Namespace
 * object or one of their NetworkPolicies): a lone Deployment file says nothing about the
 * policies its namespace has on the cluster, and reporting it "open" would be noise.
 * - networkPolicyIngress: a workload no policy selects for ingress.
 * - networkPolicyDefaultDeny: a namespace with workloads but no default-deny ingress policy,
 *   that is one with the empty podSelector, Ingress among its policyTypes and no rule that
 *   admits every source (a policy that admits only some peers to every pod still denies all
 *   others by default). A Namespace that carries the beta DefaultDeny annotation is told
 *   that Kubernetes ignores it (it did until 1.7), even when a policy isolates it anyway.
 * - networkPolicyOpen: an ingress rule that admits every source: no `from` (or an empty
 *   one), a peer with `namespaceSelector: {}` and no narrower podSelector, or an ipBlock of
 *   0.0.0.0/0 or ::/0; with the workloads of the input it opens. */
#include "socklock/netpol.h"

#include <stdlib.h>
#include <string.h>

#include "netpol_int.h"
#include "socklock/alloc.h"
#include "socklock/buf.h"

/* The ports of a rule as written (named ports by name). Caller frees. */
static char *rule_ports_text(const json_t *rule)
{
    const json_t *ports = json_object_get(rule, "ports");
    if (json_array_size(ports) == 0)
        return sl_xstrdup("all ports");
    struct sl_buf b;
    sl_buf_init(&b, 0);
    for (size_t i = 0; i < json_array_size(ports); i++) {
        const json_t *p = json_array_get(ports, i);
        const char *proto = json_string_value(json_object_get(p, "protocol"));
        const json_t *port = json_object_get(p, "port");
        const json_t *end = json_object_get(p, "endPort");
        sl_buf_printf(&b, "%s%s ", i > 0 ? ", " : "", proto != NULL ? proto : "TCP");
        if (json_is_integer(port) && json_is_integer(end))
            sl_buf_printf(&b, "%lld-%lld", (long long)json_integer_value(port),
                          (long long)json_integer_value(end));
        else if (json_is_integer(port))
            sl_buf_printf(&b, "%lld", (long long)json_integer_value(port));
        else if (json_is_string(port))
            sl_buf_printf(&b, "port \"%s\"", json_string_value(port));
        else
            sl_buf_puts(&b, "(all ports)");
    }
    return sl_buf_detach(&b, NULL);
}

/* How rule admits every source, or NULL. */
static const char *rule_open(const json_t *rule)
{
    const json_t *peers = json_object_get(rule, "from");
    if (json_array_size(peers) == 0)
        return "no from";
    for (size_t k = 0; k < json_array_size(peers); k++) {
        const char *why = netpol_peer_open(json_array_get(peers, k));
        if (why != NULL)
            return why;
    }
    return NULL;
}

void sl_netpol_open_rules(const struct sl_netpol_policy *p, struct sl_strlist *out)
{
    /* Ingress rules of a policy whose policyTypes leave Ingress out are not enforced. */
    if (!p->ingress)
        return;
    const json_t *rules = json_object_get(p->spec, "ingress");
    for (size_t i = 0; i < json_array_size(rules); i++) {
        const json_t *rule = json_array_get(rules, i);
        const char *why = rule_open(rule);
        if (why == NULL)
            continue;
        char *ports = rule_ports_text(rule);
        sl_strlist_take(out, sl_xasprintf("ingress rule %zu admits every source (%s) on %s", i + 1,
                                          why, ports));
        free(ports);
    }
}

static struct sl_netpol_finding *add(struct sl_netpol_findings *f, const char *check,
                                     const char *file, int line, const char *kind, const char *ns,
                                     const char *name)
{
    f->items = sl_xrealloc(f->items, (f->len + 1) * sizeof(*f->items));
    struct sl_netpol_finding *x = &f->items[f->len++];
    memset(x, 0, sizeof(*x));
    x->check = check;
    x->file = sl_xstrdup(file);
    x->line = line;
    x->kind = sl_xstrdup(kind);
    x->namespace_ = sl_xstrdup(ns);
    x->name = sl_xstrdup(name);
    return x;
}

/* True when p is a default-deny ingress policy (see the top of the file). */
static bool default_deny(const struct sl_netpol_policy *p)
{
    if (!p->ingress || !netpol_selector_empty(json_object_get(p->spec, "podSelector")))
        return false;
    const json_t *rules = json_object_get(p->spec, "ingress");
    for (size_t i = 0; i < json_array_size(rules); i++)
        if (rule_open(json_array_get(rules, i)) != NULL)
            return false;
    return true;
}

/* The Namespace object named `name`: one that carries the beta annotation when any does
 * (the input may hold the namespace twice, as the Sock Shop's demo and policy files do),
 * else the last. */
static const struct sl_netpol_namespace *find_ns(const struct sl_netpol_set *s, const char *name)
{
    const struct sl_netpol_namespace *found = NULL;
    for (size_t i = 0; i < s->nnamespaces; i++)
        if (strcmp(s->namespaces[i].name, name) == 0 &&
            (found == NULL || !found->beta_default_deny))
            found = &s->namespaces[i];
    return found;
}

static bool has_policy(const struct sl_netpol_set *s, const char *ns)
{
    for (size_t i = 0; i < s->npolicies; i++)
        if (strcmp(s->policies[i].namespace_, ns) == 0)
            return true;
    return false;
}

static bool covered(const struct sl_netpol_set *s, const char *ns)
{
    return find_ns(s, ns) != NULL || has_policy(s, ns);
}

static void namespace_finding(const struct sl_netpol_set *s, const char *ns,
                              const struct sl_netpol_workload *first,
                              struct sl_netpol_findings *out)
{
    const struct sl_netpol_namespace *n = find_ns(s, ns);
    const struct sl_netpol_policy *deny = NULL;
    for (size_t i = 0; i < s->npolicies && deny == NULL; i++)
        if (strcmp(s->policies[i].namespace_, ns) == 0 && default_deny(&s->policies[i]))
            deny = &s->policies[i];
    bool annotated = n != NULL && n->beta_default_deny;
    if (deny != NULL && !annotated)
        return;
    const char *file = n != NULL ? n->file : first->file;
    int line = n != NULL ? n->line : first->line;
    struct sl_netpol_finding *x =
        add(out, SL_NETPOL_CHECK_DEFAULT_DENY, file, line, "Namespace", ns, ns);
    const char *ignored = "the Namespace's " SL_NETPOL_BETA_ANNOTATION
                          " DefaultDeny annotation is ignored (Kubernetes stopped reading it in "
                          "1.7)";
    if (deny != NULL) {
        x->note = true;
        x->detail = sl_xasprintf("%s; NetworkPolicy \"%s\" (podSelector {}) isolates every pod "
                                 "here for ingress anyway",
                                 ignored, deny->name);
    } else {
        x->detail = sl_xasprintf("no default-deny ingress policy (podSelector {}, policyTypes "
                                 "[Ingress], no rule admitting every source): pods no policy "
                                 "selects accept traffic from everyone%s%s",
                                 annotated ? "; " : "", annotated ? ignored : "");
    }
}

static void open_findings(const struct sl_netpol_set *s, struct sl_netpol_findings *out)
{
    for (size_t i = 0; i < s->npolicies; i++) {
        const struct sl_netpol_policy *p = &s->policies[i];
        struct sl_strlist rules = {0};
        sl_netpol_open_rules(p, &rules);
        if (rules.len == 0)
            continue;
        struct sl_netpol_finding *x = add(out, SL_NETPOL_CHECK_OPEN, p->file, p->line,
                                          "NetworkPolicy", p->namespace_, p->name);
        for (size_t w = 0; w < s->nworkloads; w++)
            if (netpol_selects(p, &s->workloads[w]))
                sl_strlist_take(&x->workloads, sl_xasprintf("%s/%s", s->workloads[w].namespace_,
                                                            s->workloads[w].name));
        struct sl_buf b;
        sl_buf_init(&b, 0);
        for (size_t r = 0; r < rules.len; r++)
            sl_buf_printf(&b, "%s%s", r > 0 ? "; " : "", rules.items[r]);
        if (x->workloads.len == 0) {
            char *sel = sl_netpol_selector_text(json_object_get(p->spec, "podSelector"));
            sl_buf_printf(&b, "; opens pods %s (no workload of the input)", sel);
            free(sel);
        } else {
            sl_buf_puts(&b, "; opens ");
            for (size_t w = 0; w < x->workloads.len; w++)
                sl_buf_printf(&b, "%s%s", w > 0 ? ", " : "", x->workloads.items[w]);
        }
        x->detail = sl_buf_detach(&b, NULL);
        sl_strlist_cleanup(&rules);
    }
}

void sl_netpol_findings(const struct sl_netpol_set *s, struct sl_netpol_findings *out)
{
    memset(out, 0, sizeof(*out));
    struct sl_strlist seen = {0};
    for (size_t i = 0; i < s->nworkloads; i++) {
        const struct sl_netpol_workload *w = &s->workloads[i];
        if (!covered(s, w->namespace_))
            continue;
        if (!sl_strlist_has(&seen, w->namespace_)) {
            sl_strlist_add(&seen, w->namespace_);
            namespace_finding(s, w->namespace_, w, out);
        }
        if (!sl_netpol_isolated(s, i, true)) {
            struct sl_netpol_finding *x = add(out, SL_NETPOL_CHECK_INGRESS, w->file, w->line,
                                              w->kind, w->namespace_, w->name);
            x->detail = sl_xstrdup("no NetworkPolicy selects its pods for ingress: every pod "
                                   "and address may reach them on every port");
        }
    }
    sl_strlist_cleanup(&seen);
    open_findings(s, out);
}

void sl_netpol_findings_cleanup(struct sl_netpol_findings *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->len; i++) {
        struct sl_netpol_finding *x = &f->items[i];
        free(x->file);
        free(x->kind);
        free(x->namespace_);
        free(x->name);
        free(x->detail);
        sl_strlist_cleanup(&x->workloads);
    }
    free(f->items);
    memset(f, 0, sizeof(*f));
}
