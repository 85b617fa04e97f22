/* netpol eval: who may reach whom, as the NetworkPolicy API reference defines it.
 *
 * - A pod is isolated for ingress (egress) when at least one policy in its namespace selects
 *   it (spec.podSelector, the empty selector selecting every pod) and has Ingress (Egress)
 *   among its effective policyTypes. A pod no policy isolates accepts (sends) everything.
 * - Policies are additive: an isolated pod admits the union of what every selecting
 *   policy's rules admit; an Ingress policy with no rules admits nothing (default deny).
 * - A rule admits a source when its `from` (`to`) is missing or empty (every source), or
 *   when one of its peers does (peers are ORed). In one peer podSelector and
 *   namespaceSelector are ANDed; a peer without namespaceSelector means the policy's own
 *   namespace, one with `namespaceSelector: {}` every namespace, one without podSelector
 *   every pod there. ipBlock peers match addresses (cidr minus except), never pods here:
 *   pod addresses are not in manifests.
 * - Ports: a rule without ports opens every port of every protocol; each entry opens its
 *   protocol (default TCP) on port, port..endPort, or every port when none is given. A named
 *   port opens the container ports of that name and protocol on the destination pod.
 * - A connection from pod A to pod B needs both B's ingress and A's egress to allow it.
 * Selectors: matchLabels and matchExpressions are ANDed; In needs the label with one of the
 * values, NotIn matches an absent label or another value, Exists and DoesNotExist test the
 * key (k8s.io/apimachinery labels.Requirement). */
#include "socklock/netpol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netpol_int.h"
#include "socklock/alloc.h"
#include "socklock/buf.h"
#include "socklock/json.h"

/* ---- ports ---- */

static int range_cmp(const struct sl_netpol_range *a, const struct sl_netpol_range *b)
{
    int c = netpol_proto_index(a->proto) - netpol_proto_index(b->proto);
    return c != 0 ? c : a->lo - b->lo;
}

void netpol_ports_add(struct sl_netpol_ports *p, const char *proto, int lo, int hi)
{
    if (netpol_proto_index(proto) < 0 || lo > hi)
        return;
    struct sl_netpol_range r = {.lo = lo, .hi = hi};
    snprintf(r.proto, sizeof(r.proto), "%s", proto);
    size_t at = 0;
    while (at < p->len && range_cmp(&p->items[at], &r) <= 0)
        at++;
    p->items = sl_xrealloc(p->items, (p->len + 1) * sizeof(*p->items));
    memmove(&p->items[at + 1], &p->items[at], (p->len - at) * sizeof(*p->items));
    p->items[at] = r;
    p->len++;
    /* Merge overlapping or adjacent ranges of one protocol. */
    size_t out = 0;
    for (size_t i = 1; i < p->len; i++) {
        struct sl_netpol_range *last = &p->items[out];
        if (strcmp(last->proto, p->items[i].proto) == 0 && p->items[i].lo <= last->hi + 1) {
            if (p->items[i].hi > last->hi)
                last->hi = p->items[i].hi;
        } else {
            p->items[++out] = p->items[i];
        }
    }
    p->len = out + 1;
}

void netpol_ports_all(struct sl_netpol_ports *p)
{
    netpol_ports_add(p, "TCP", 1, 65535);
    netpol_ports_add(p, "UDP", 1, 65535);
    netpol_ports_add(p, "SCTP", 1, 65535);
}

void netpol_ports_union(struct sl_netpol_ports *p, const struct sl_netpol_ports *q)
{
    for (size_t i = 0; i < q->len; i++)
        netpol_ports_add(p, q->items[i].proto, q->items[i].lo, q->items[i].hi);
}

static void ports_intersect(const struct sl_netpol_ports *a, const struct sl_netpol_ports *b,
                            struct sl_netpol_ports *out)
{
    for (size_t i = 0; i < a->len; i++)
        for (size_t j = 0; j < b->len; j++) {
            const struct sl_netpol_range *x = &a->items[i], *y = &b->items[j];
            if (strcmp(x->proto, y->proto) == 0)
                netpol_ports_add(out, x->proto, x->lo > y->lo ? x->lo : y->lo,
                                 x->hi < y->hi ? x->hi : y->hi);
        }
}

void sl_netpol_ports_cleanup(struct sl_netpol_ports *p)
{
    if (p == NULL)
        return;
    free(p->items);
    p->items = NULL;
    p->len = 0;
}

bool sl_netpol_ports_has(const struct sl_netpol_ports *p, const char *proto, int port)
{
    for (size_t i = 0; i < p->len; i++)
        if (strcmp(p->items[i].proto, proto) == 0 && port >= p->items[i].lo &&
            port <= p->items[i].hi)
            return true;
    return false;
}

char *sl_netpol_ports_text(const struct sl_netpol_ports *p)
{
    if (p->len == 0)
        return sl_xstrdup("none");
    if (p->len == 3 && p->items[0].lo == 1 && p->items[0].hi == 65535 && p->items[1].lo == 1 &&
        p->items[1].hi == 65535 && p->items[2].lo == 1 && p->items[2].hi == 65535)
        return sl_xstrdup("all ports");
    struct sl_buf b;
    sl_buf_init(&b, 0);
    for (size_t i = 0; i < p->len; i++) {
        const struct sl_netpol_range *r = &p->items[i];
        bool same = i > 0 && strcmp(p->items[i - 1].proto, r->proto) == 0;
        if (!same)
            sl_buf_printf(&b, "%s%s ", i > 0 ? "; " : "", r->proto);
        else
            sl_buf_puts(&b, ", ");
        if (r->lo == 1 && r->hi == 65535)
            sl_buf_puts(&b, "(all ports)");
        else if (r->lo == r->hi)
            sl_buf_printf(&b, "%d", r->lo);
        else
            sl_buf_printf(&b, "%d-%d", r->lo, r->hi);
    }
    return sl_buf_detach(&b, NULL);
}

/* ---- selectors ---- */

static bool in_values(const json_t *vals, const char *s)
{
    for (size_t i = 0; i < json_array_size(vals); i++)
        if (strcmp(json_string_value(json_array_get(vals, i)), s) == 0)
            return true;
    return false;
}

bool netpol_selector_matches(const json_t *sel, const json_t *labels)
{
    if (!json_is_object(sel))
        return true;
    const char *key;
    const json_t *val;
    json_object_foreach(sl_json_mut(json_object_get(sel, "matchLabels")), key, val)
    {
        const char *have = json_string_value(json_object_get(labels, key));
        if (have == NULL || strcmp(have, json_string_value(val)) != 0)
            return false;
    }
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(sel, "matchExpressions"), i, e)
    {
        const char *op = json_string_value(json_object_get(e, "operator"));
        const char *have = json_string_value(
            json_object_get(labels, json_string_value(json_object_get(e, "key"))));
        const json_t *vals = json_object_get(e, "values");
        bool ok;
        if (strcmp(op, "In") == 0)
            ok = have != NULL && in_values(vals, have);
        else if (strcmp(op, "NotIn") == 0)
            ok = have == NULL || !in_values(vals, have);
        else if (strcmp(op, "Exists") == 0)
            ok = have != NULL;
        else
            ok = have == NULL;
        if (!ok)
            return false;
    }
    return true;
}

bool netpol_selector_empty(const json_t *sel)
{
    return !json_is_object(sel) || (json_object_size(json_object_get(sel, "matchLabels")) == 0 &&
                                    json_array_size(json_object_get(sel, "matchExpressions")) == 0);
}

char *sl_netpol_selector_text(const json_t *sel)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    sl_buf_puts(&b, "{");
    if (json_is_object(sel)) {
        const char *sep = "";
        const char *key;
        const json_t *val;
        json_object_foreach(sl_json_mut(json_object_get(sel, "matchLabels")), key, val)
        {
            sl_buf_printf(&b, "%s%s=%s", sep, key, json_string_value(val));
            sep = ", ";
        }
        size_t i;
        const json_t *e;
        json_array_foreach(json_object_get(sel, "matchExpressions"), i, e)
        {
            const char *op = json_string_value(json_object_get(e, "operator"));
            const char *k = json_string_value(json_object_get(e, "key"));
            if (strcmp(op, "Exists") == 0) {
                sl_buf_printf(&b, "%s%s", sep, k);
            } else if (strcmp(op, "DoesNotExist") == 0) {
                sl_buf_printf(&b, "%s!%s", sep, k);
            } else {
                sl_buf_printf(&b, "%s%s %s (", sep, k, strcmp(op, "In") == 0 ? "in" : "notin");
                const json_t *vals = json_object_get(e, "values");
                for (size_t j = 0; j < json_array_size(vals); j++)
                    sl_buf_printf(&b, "%s%s", j > 0 ? "," : "",
                                  json_string_value(json_array_get(vals, j)));
                sl_buf_puts(&b, ")");
            }
            sep = ", ";
        }
    }
    sl_buf_puts(&b, "}");
    return sl_buf_detach(&b, NULL);
}

/* ---- rules ---- */

bool netpol_selects(const struct sl_netpol_policy *p, const struct sl_netpol_workload *w)
{
    return strcmp(p->namespace_, w->namespace_) == 0 &&
           netpol_selector_matches(json_object_get(p->spec, "podSelector"), w->labels);
}

void netpol_rule_ports(const json_t *rule, const struct sl_netpol_workload *target,
                       struct sl_netpol_ports *out)
{
    const json_t *ports = json_object_get(rule, "ports");
    if (json_array_size(ports) == 0) {
        netpol_ports_all(out);
        return;
    }
    size_t i;
    const json_t *p;
    json_array_foreach(ports, i, p)
    {
        const char *proto = json_string_value(json_object_get(p, "protocol"));
        if (proto == NULL)
            proto = "TCP";
        const json_t *port = json_object_get(p, "port");
        if (json_is_integer(port)) {
            int lo = (int)json_integer_value(port);
            const json_t *end = json_object_get(p, "endPort");
            netpol_ports_add(out, proto, lo,
                             json_is_integer(end) ? (int)json_integer_value(end) : lo);
        } else if (json_is_string(port)) {
            /* A named port is the destination pod's container port of that name, and only
             * with the protocol the rule names. */
            size_t j;
            const json_t *cp;
            json_array_foreach(target != NULL ? target->ports : NULL, j, cp)
            {
                if (strcmp(json_string_value(json_object_get(cp, "name")),
                           json_string_value(port)) == 0 &&
                    strcmp(json_string_value(json_object_get(cp, "protocol")), proto) == 0) {
                    int n = (int)json_integer_value(json_object_get(cp, "port"));
                    netpol_ports_add(out, proto, n, n);
                }
            }
        } else {
            netpol_ports_add(out, proto, 1, 65535);
        }
    }
}

/* The labels of namespace ns: from its Namespace object in the input, else only the label
 * the API server always sets. Returns a new reference. */
static json_t *ns_labels(const struct sl_netpol_set *s, const char *ns)
{
    /* The last object of that name wins, as the last `kubectl apply` would. */
    for (size_t i = s->nnamespaces; i-- > 0;)
        if (strcmp(s->namespaces[i].name, ns) == 0)
            return json_incref(s->namespaces[i].labels);
    return json_pack("{s:s}", "kubernetes.io/metadata.name", ns);
}

/* True when peer (a selector peer of a rule of policy p) matches the pods of workload w. */
static bool peer_matches(const struct sl_netpol_set *s, const struct sl_netpol_policy *p,
                         const json_t *peer, const struct sl_netpol_workload *w)
{
    const json_t *ip = json_object_get(peer, "ipBlock");
    if (ip != NULL && !json_is_null(ip))
        return false;
    const json_t *nsel = json_object_get(peer, "namespaceSelector");
    bool ns_ok;
    if (nsel == NULL || json_is_null(nsel)) {
        ns_ok = strcmp(p->namespace_, w->namespace_) == 0;
    } else {
        json_t *labels = ns_labels(s, w->namespace_);
        ns_ok = netpol_selector_matches(nsel, labels);
        json_decref(labels);
    }
    return ns_ok && netpol_selector_matches(json_object_get(peer, "podSelector"), w->labels);
}

/* The ports one direction allows between pods of `self` (the isolated side) and pods of
 * `other`: ingress (rules under "ingress", peers "from") of self from other, or egress
 * ("egress", "to") of self to other. Named ports resolve on `dest`. */
static void direction_ports(const struct sl_netpol_set *s, const struct sl_netpol_workload *self,
                            const struct sl_netpol_workload *other,
                            const struct sl_netpol_workload *dest, bool ingress,
                            struct sl_netpol_ports *out)
{
    bool isolated = false;
    for (size_t i = 0; i < s->npolicies; i++) {
        const struct sl_netpol_policy *p = &s->policies[i];
        if (!(ingress ? p->ingress : p->egress) || !netpol_selects(p, self))
            continue;
        isolated = true;
        size_t j;
        const json_t *rule;
        json_array_foreach(json_object_get(p->spec, ingress ? "ingress" : "egress"), j, rule)
        {
            const json_t *peers = json_object_get(rule, ingress ? "from" : "to");
            bool admits = json_array_size(peers) == 0;
            for (size_t k = 0; !admits && k < json_array_size(peers); k++)
                admits = peer_matches(s, p, json_array_get(peers, k), other);
            if (admits)
                netpol_rule_ports(rule, dest, out);
        }
    }
    if (!isolated)
        netpol_ports_all(out);
}

bool sl_netpol_isolated(const struct sl_netpol_set *s, size_t w, bool ingress)
{
    for (size_t i = 0; i < s->npolicies; i++) {
        const struct sl_netpol_policy *p = &s->policies[i];
        if ((ingress ? p->ingress : p->egress) && netpol_selects(p, &s->workloads[w]))
            return true;
    }
    return false;
}

bool sl_netpol_reaches_nothing(const struct sl_netpol_set *s, size_t w)
{
    bool isolated = false;
    for (size_t i = 0; i < s->npolicies; i++) {
        const struct sl_netpol_policy *p = &s->policies[i];
        if (!p->egress || !netpol_selects(p, &s->workloads[w]))
            continue;
        isolated = true;
        if (json_array_size(json_object_get(p->spec, "egress")) > 0)
            return false;
    }
    return isolated;
}

void sl_netpol_allowed(const struct sl_netpol_set *s, size_t src, size_t dst,
                       struct sl_netpol_ports *out)
{
    const struct sl_netpol_workload *a = &s->workloads[src], *b = &s->workloads[dst];
    struct sl_netpol_ports in = {0}, eg = {0};
    direction_ports(s, b, a, b, true, &in);
    direction_ports(s, a, b, b, false, &eg);
    ports_intersect(&in, &eg, out);
    sl_netpol_ports_cleanup(&in);
    sl_netpol_ports_cleanup(&eg);
}

bool sl_netpol_allows(const struct sl_netpol_set *s, size_t src, size_t dst, const char *proto,
                      int port)
{
    struct sl_netpol_ports p = {0};
    sl_netpol_allowed(s, src, dst, &p);
    bool ok = sl_netpol_ports_has(&p, proto, port);
    sl_netpol_ports_cleanup(&p);
    return ok;
}

/* True when the ipBlock peer holds address ip (in cidr, in no except). */
static bool ipblock_holds(const json_t *ipb, const struct netpol_cidr *ip)
{
    struct netpol_cidr c;
    if (netpol_parse_cidr(json_string_value(json_object_get(ipb, "cidr")), &c) != SL_OK ||
        !netpol_cidr_contains(&c, ip))
        return false;
    const json_t *ex = json_object_get(ipb, "except");
    for (size_t i = 0; i < json_array_size(ex); i++) {
        struct netpol_cidr e;
        if (netpol_parse_cidr(json_string_value(json_array_get(ex, i)), &e) == SL_OK &&
            netpol_cidr_contains(&e, ip))
            return false;
    }
    return true;
}

bool sl_netpol_allows_ip(const struct sl_netpol_set *s, const char *ip, size_t dst,
                         const char *proto, int port)
{
    struct netpol_cidr addr;
    if (netpol_parse_ip(ip, &addr) != SL_OK)
        return false;
    const struct sl_netpol_workload *w = &s->workloads[dst];
    struct sl_netpol_ports out = {0};
    bool isolated = false;
    for (size_t i = 0; i < s->npolicies; i++) {
        const struct sl_netpol_policy *p = &s->policies[i];
        if (!p->ingress || !netpol_selects(p, w))
            continue;
        isolated = true;
        size_t j;
        const json_t *rule;
        json_array_foreach(json_object_get(p->spec, "ingress"), j, rule)
        {
            const json_t *peers = json_object_get(rule, "from");
            bool admits = json_array_size(peers) == 0;
            for (size_t k = 0; !admits && k < json_array_size(peers); k++) {
                const json_t *ipb = json_object_get(json_array_get(peers, k), "ipBlock");
                admits = json_is_object(ipb) && ipblock_holds(ipb, &addr);
            }
            if (admits)
                netpol_rule_ports(rule, w, &out);
        }
    }
    bool ok = !isolated || sl_netpol_ports_has(&out, proto, port);
    sl_netpol_ports_cleanup(&out);
    return ok;
}

const char *netpol_peer_open(const json_t *peer)
{
    const json_t *ipb = json_object_get(peer, "ipBlock");
    if (json_is_object(ipb)) {
        struct netpol_cidr c;
        const char *cidr = json_string_value(json_object_get(ipb, "cidr"));
        if (netpol_parse_cidr(cidr, &c) == SL_OK && c.bits == 0)
            return c.bytes == 4 ? "ipBlock 0.0.0.0/0" : "ipBlock ::/0";
        return NULL;
    }
    const json_t *nsel = json_object_get(peer, "namespaceSelector");
    if (nsel != NULL && !json_is_null(nsel) && netpol_selector_empty(nsel) &&
        netpol_selector_empty(json_object_get(peer, "podSelector")))
        return "namespaceSelector {}";
    return NULL;
}

/* ---- access ---- */

static void grant(struct sl_netpol_access *a, enum sl_netpol_source src, size_t w, const char *text,
                  const char *policy, const struct sl_netpol_ports *ports)
{
    if (ports->len == 0)
        return;
    for (size_t i = 0; i < a->len; i++) {
        struct sl_netpol_grant *g = &a->grants[i];
        if (g->source == src && strcmp(g->text, text) == 0) {
            netpol_ports_union(&g->ports, ports);
            if (*policy != '\0' && strstr(g->policy, policy) == NULL) {
                char *joined = sl_xasprintf("%s%s%s", g->policy, *g->policy ? ", " : "", policy);
                free(g->policy);
                g->policy = joined;
            }
            return;
        }
    }
    a->grants = sl_xrealloc(a->grants, (a->len + 1) * sizeof(*a->grants));
    struct sl_netpol_grant *g = &a->grants[a->len++];
    memset(g, 0, sizeof(*g));
    g->source = src;
    g->workload = w;
    g->text = sl_xstrdup(text);
    g->policy = sl_xstrdup(policy);
    netpol_ports_union(&g->ports, ports);
}

/* A selector peer in words. Caller frees. */
static char *peer_text(const struct sl_netpol_policy *p, const json_t *peer)
{
    const json_t *nsel = json_object_get(peer, "namespaceSelector");
    const json_t *psel = json_object_get(peer, "podSelector");
    bool has_ns = nsel != NULL && !json_is_null(nsel);
    bool has_pod = psel != NULL && !json_is_null(psel);
    char *pods = sl_netpol_selector_text(psel);
    char *nss = sl_netpol_selector_text(nsel);
    char *out;
    if (!has_ns)
        out = sl_xasprintf("pods %s in namespace %s", pods, p->namespace_);
    else if (netpol_selector_empty(nsel))
        out = has_pod ? sl_xasprintf("pods %s in every namespace", pods)
                      : sl_xstrdup("every pod in every namespace");
    else
        out = has_pod ? sl_xasprintf("pods %s in namespaces %s", pods, nss)
                      : sl_xasprintf("every pod in namespaces %s", nss);
    free(pods);
    free(nss);
    return out;
}

static char *ipblock_text(const json_t *ipb)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    sl_buf_printf(&b, "%s", json_string_value(json_object_get(ipb, "cidr")));
    const json_t *ex = json_object_get(ipb, "except");
    for (size_t i = 0; i < json_array_size(ex); i++)
        sl_buf_printf(&b, "%s%s", i == 0 ? " except " : ", ",
                      json_string_value(json_array_get(ex, i)));
    return sl_buf_detach(&b, NULL);
}

/* The sources that policy p's ingress rules admit to workload w beyond the workloads of the
 * input: everyone, selector peers that may match pods outside the input, IP blocks. */
static void policy_sources(const struct sl_netpol_set *s, const struct sl_netpol_policy *p,
                           size_t w, struct sl_netpol_access *a)
{
    size_t j;
    const json_t *rule;
    json_array_foreach(json_object_get(p->spec, "ingress"), j, rule)
    {
        struct sl_netpol_ports ports = {0};
        netpol_rule_ports(rule, &s->workloads[w], &ports);
        const json_t *peers = json_object_get(rule, "from");
        if (json_array_size(peers) == 0)
            grant(a, SL_NETPOL_EVERYONE, 0, "every pod and address", p->name, &ports);
        size_t k;
        const json_t *peer;
        json_array_foreach(peers, k, peer)
        {
            const json_t *ipb = json_object_get(peer, "ipBlock");
            if (json_is_object(ipb)) {
                char *t = ipblock_text(ipb);
                grant(a, SL_NETPOL_IPBLOCK, 0, t, p->name, &ports);
                free(t);
                continue;
            }
            /* A namespace selector speaks of namespaces, whose pods the input may not hold;
             * a pod selector alone is shown when it matches no workload of the input. */
            bool shown = json_object_get(peer, "namespaceSelector") != NULL &&
                         !json_is_null(json_object_get(peer, "namespaceSelector"));
            bool matched = false;
            for (size_t i = 0; i < s->nworkloads && !matched; i++)
                matched = peer_matches(s, p, peer, &s->workloads[i]);
            if (shown || !matched) {
                char *t = peer_text(p, peer);
                char *u =
                    matched ? sl_xstrdup(t) : sl_xasprintf("%s (no workload in the input)", t);
                grant(a, SL_NETPOL_PEER, 0, u, p->name, &ports);
                free(t);
                free(u);
            }
        }
        sl_netpol_ports_cleanup(&ports);
    }
}

/* The policies that admit workload src to dst (selecting dst, a rule whose peers match src),
 * comma-separated. Caller frees. */
static char *admitting_policies(const struct sl_netpol_set *s, size_t src, size_t dst)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    sl_buf_puts(&b, "");
    for (size_t i = 0; i < s->npolicies; i++) {
        const struct sl_netpol_policy *p = &s->policies[i];
        if (!p->ingress || !netpol_selects(p, &s->workloads[dst]))
            continue;
        bool admits = false;
        size_t j;
        const json_t *rule;
        json_array_foreach(json_object_get(p->spec, "ingress"), j, rule)
        {
            const json_t *peers = json_object_get(rule, "from");
            admits = admits || json_array_size(peers) == 0;
            for (size_t k = 0; !admits && k < json_array_size(peers); k++)
                admits = peer_matches(s, p, json_array_get(peers, k), &s->workloads[src]);
        }
        if (admits)
            sl_buf_printf(&b, "%s%s", b.len > 0 ? ", " : "", p->name);
    }
    return sl_buf_detach(&b, NULL);
}

void sl_netpol_access(const struct sl_netpol_set *s, size_t w, struct sl_netpol_access *out)
{
    memset(out, 0, sizeof(*out));
    out->isolated = sl_netpol_isolated(s, w, true);
    if (!out->isolated) {
        struct sl_netpol_ports all = {0};
        netpol_ports_all(&all);
        grant(out, SL_NETPOL_EVERYONE, 0, "every pod and address", "", &all);
        sl_netpol_ports_cleanup(&all);
    } else {
        for (size_t i = 0; i < s->npolicies; i++)
            if (s->policies[i].ingress && netpol_selects(&s->policies[i], &s->workloads[w]))
                policy_sources(s, &s->policies[i], w, out);
    }
    /* Workloads, listed when a policy isolates w (otherwise everyone may reach it). */
    struct sl_netpol_access wl = {0};
    for (size_t i = 0; out->isolated && i < s->nworkloads; i++) {
        if (i == w)
            continue;
        struct sl_netpol_ports p = {0};
        sl_netpol_allowed(s, i, w, &p);
        char *text = sl_xasprintf("%s/%s", s->workloads[i].namespace_, s->workloads[i].name);
        char *pols = admitting_policies(s, i, w);
        grant(&wl, SL_NETPOL_WORKLOAD, i, text, pols, &p);
        free(text);
        free(pols);
        sl_netpol_ports_cleanup(&p);
    }
    /* A workload that may reach w only where everyone may adds nothing to the map. */
    const struct sl_netpol_grant *all = NULL;
    for (size_t i = 0; i < out->len && all == NULL; i++)
        if (out->grants[i].source == SL_NETPOL_EVERYONE)
            all = &out->grants[i];
    for (size_t i = 0; all != NULL && i < wl.len; i++) {
        struct sl_netpol_ports both = {0};
        ports_intersect(&wl.grants[i].ports, &all->ports, &both);
        if (both.len == wl.grants[i].ports.len &&
            memcmp(both.items, wl.grants[i].ports.items, both.len * sizeof(*both.items)) == 0) {
            wl.grants[i].source = SL_NETPOL_EVERYONE; /* dropped below */
            free(wl.grants[i].text);
            free(wl.grants[i].policy);
            sl_netpol_ports_cleanup(&wl.grants[i].ports);
        }
        sl_netpol_ports_cleanup(&both);
    }
    /* Order: everyone, workloads, peers, IP blocks. */
    struct sl_netpol_access sorted = {.isolated = out->isolated};
    static const enum sl_netpol_source order[] = {SL_NETPOL_EVERYONE, SL_NETPOL_WORKLOAD,
                                                  SL_NETPOL_PEER, SL_NETPOL_IPBLOCK};
    for (size_t o = 0; o < SL_ARRAY_LEN(order); o++) {
        const struct sl_netpol_access *from = order[o] == SL_NETPOL_WORKLOAD ? &wl : out;
        for (size_t i = 0; i < from->len; i++)
            if (from->grants[i].source == order[o]) {
                sorted.grants =
                    sl_xrealloc(sorted.grants, (sorted.len + 1) * sizeof(*sorted.grants));
                sorted.grants[sorted.len++] = from->grants[i];
            }
    }
    free(wl.grants);
    free(out->grants);
    *out = sorted;
}

void sl_netpol_access_cleanup(struct sl_netpol_access *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->len; i++) {
        free(a->grants[i].text);
        free(a->grants[i].policy);
        sl_netpol_ports_cleanup(&a->grants[i].ports);
    }
    free(a->grants);
    memset(a, 0, sizeof(*a));
}
