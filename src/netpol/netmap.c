/* netpol netmap: the network map `socklock netmap` prints, as text, JSON or Graphviz dot.
 *
 * For every workload of the input, in input order: whether a policy isolates it for ingress,
 * and every source that may open connections to it (sl_netpol_access()) with the ports,
 * then the workloads nothing may reach. The dot graph draws namespaces as clusters,
 * workloads as boxes, other sources (everyone, selector peers, IP blocks) as ellipses, and
 * one edge per source and destination labelled with the ports (dashed from sources that are
 * not workloads); what everyone may reach is drawn in red, what nothing may reach in grey. Pure:
 * builds strings. */
#include "socklock/netpol.h"

#include <stdlib.h>
#include <string.h>

#include "netpol_int.h"
#include "socklock/alloc.h"
#include "socklock/buf.h"

static const char *source_name(enum sl_netpol_source s)
{
    switch (s) {
    case SL_NETPOL_EVERYONE:
        return "everyone";
    case SL_NETPOL_WORKLOAD:
        return "workload";
    case SL_NETPOL_PEER:
        return "peer";
    case SL_NETPOL_IPBLOCK:
        break;
    }
    return "ipBlock";
}

/* Appends s with control characters shown as \xNN, so that names from manifests cannot forge
 * lines. */
static void put_clean(struct sl_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f)
            sl_buf_printf(b, "\\x%02x", *p);
        else
            sl_buf_append(b, p, 1);
    }
}

/* The names of the policies that isolate w's ingress (or egress). */
static void policies_of(const struct sl_netpol_set *s, size_t w, bool ingress, struct sl_buf *b)
{
    const char *sep = "";
    for (size_t i = 0; i < s->npolicies; i++) {
        const struct sl_netpol_policy *p = &s->policies[i];
        if ((ingress ? p->ingress : p->egress) && netpol_selects(p, &s->workloads[w])) {
            sl_buf_puts(b, sep);
            put_clean(b, p->name);
            sep = ", ";
        }
    }
}

static void put_list(struct sl_buf *b, const struct sl_strlist *l)
{
    for (size_t i = 0; i < l->len; i++) {
        sl_buf_puts(b, i > 0 ? ", " : "");
        put_clean(b, l->items[i]);
    }
    if (l->len == 0)
        sl_buf_puts(b, "none");
}

char *sl_netpol_map_text(const struct sl_netpol_set *s)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    struct sl_strlist nobody = {0}, unused = {0}, mute = {0};
    for (size_t w = 0; w < s->nworkloads; w++) {
        const struct sl_netpol_workload *x = &s->workloads[w];
        struct sl_netpol_access a;
        sl_netpol_access(s, w, &a);
        put_clean(&b, x->namespace_);
        sl_buf_puts(&b, "/");
        put_clean(&b, x->name);
        sl_buf_puts(&b, " (");
        put_clean(&b, x->kind);
        sl_buf_puts(&b, "): ");
        if (a.isolated) {
            sl_buf_puts(&b, "ingress isolated by ");
            policies_of(s, w, true, &b);
        } else {
            sl_buf_puts(&b, "no policy isolates its ingress");
        }
        if (sl_netpol_isolated(s, w, false)) {
            sl_buf_puts(&b, "; egress isolated by ");
            policies_of(s, w, false, &b);
        }
        if (sl_netpol_reaches_nothing(s, w)) {
            sl_buf_puts(&b, " (it may reach nothing)");
            sl_strlist_take(&mute, sl_xasprintf("%s/%s", x->namespace_, x->name));
        }
        sl_buf_puts(&b, "\n");
        for (size_t i = 0; i < a.len; i++) {
            const struct sl_netpol_grant *g = &a.grants[i];
            char *ports = sl_netpol_ports_text(&g->ports);
            sl_buf_puts(&b, "  from ");
            put_clean(&b, g->text);
            sl_buf_printf(&b, ": %s", ports);
            if (*g->policy != '\0') {
                sl_buf_puts(&b, " (");
                put_clean(&b, g->policy);
                sl_buf_puts(&b, ")");
            }
            sl_buf_puts(&b, "\n");
            free(ports);
        }
        if (a.len == 0) {
            sl_buf_puts(&b, "  reachable by nobody\n");
            sl_strlist_take(&nobody, sl_xasprintf("%s/%s", x->namespace_, x->name));
        }
        bool by_workload = false;
        for (size_t i = 0; i < a.len; i++)
            by_workload = by_workload || a.grants[i].source == SL_NETPOL_WORKLOAD ||
                          a.grants[i].source == SL_NETPOL_EVERYONE;
        if (!by_workload)
            sl_strlist_take(&unused, sl_xasprintf("%s/%s", x->namespace_, x->name));
        sl_netpol_access_cleanup(&a);
    }
    sl_buf_printf(&b, "%zu %s; reachable by nobody: ", s->nworkloads,
                  s->nworkloads == 1 ? "workload" : "workloads");
    put_list(&b, &nobody);
    sl_buf_puts(&b, "; by no workload of the input: ");
    put_list(&b, &unused);
    sl_buf_puts(&b, "; reaching nothing: ");
    put_list(&b, &mute);
    sl_buf_puts(&b, "\n");
    sl_strlist_cleanup(&nobody);
    sl_strlist_cleanup(&unused);
    sl_strlist_cleanup(&mute);
    return sl_buf_detach(&b, NULL);
}

/* jansson refuses strings that are not UTF-8; the inputs came through yamljson and are. */
static json_t *jstr(const char *s)
{
    json_t *v = json_string(s != NULL ? s : "");
    return v != NULL ? v : json_string("?");
}

static json_t *ports_json(const struct sl_netpol_ports *p)
{
    json_t *a = json_array();
    for (size_t i = 0; i < p->len; i++) {
        const struct sl_netpol_range *r = &p->items[i];
        json_array_append_new(
            a, json_pack("{s:s,s:i,s:i}", "protocol", r->proto, "port", r->lo, "endPort", r->hi));
    }
    return a;
}

char *sl_netpol_map_json(const struct sl_netpol_set *s)
{
    json_t *ws = json_array();
    json_t *nobody = json_array();
    json_t *mute = json_array();
    for (size_t w = 0; w < s->nworkloads; w++) {
        const struct sl_netpol_workload *x = &s->workloads[w];
        struct sl_netpol_access a;
        sl_netpol_access(s, w, &a);
        json_t *from = json_array();
        for (size_t i = 0; i < a.len; i++) {
            const struct sl_netpol_grant *g = &a.grants[i];
            char *text = sl_netpol_ports_text(&g->ports);
            json_array_append_new(from, json_pack("{s:s,s:o,s:o,s:o,s:o}", "source",
                                                  source_name(g->source), "name", jstr(g->text),
                                                  "ports", ports_json(&g->ports), "portsText",
                                                  jstr(text), "policies", jstr(g->policy)));
            free(text);
        }
        struct sl_buf pols, epols;
        sl_buf_init(&pols, 0);
        sl_buf_init(&epols, 0);
        sl_buf_puts(&pols, "");
        sl_buf_puts(&epols, "");
        policies_of(s, w, true, &pols);
        policies_of(s, w, false, &epols);
        json_array_append_new(ws, json_pack("{s:o,s:o,s:o,s:o,s:i,s:b,s:o,s:o,s:o}", "namespace",
                                            jstr(x->namespace_), "name", jstr(x->name), "kind",
                                            jstr(x->kind), "file", jstr(x->file), "line", x->line,
                                            "isolated", a.isolated, "policies", jstr(pols.data),
                                            "egressPolicies", jstr(epols.data), "from", from));
        sl_buf_cleanup(&pols);
        sl_buf_cleanup(&epols);
        if (sl_netpol_reaches_nothing(s, w)) {
            char *ref = sl_xasprintf("%s/%s", x->namespace_, x->name);
            json_array_append_new(mute, jstr(ref));
            free(ref);
        }
        if (a.len == 0) {
            char *ref = sl_xasprintf("%s/%s", x->namespace_, x->name);
            json_array_append_new(nobody, jstr(ref));
            free(ref);
        }
        sl_netpol_access_cleanup(&a);
    }
    json_t *doc =
        json_pack("{s:o,s:o,s:o}", "workloads", ws, "unreachable", nobody, "reachesNothing", mute);
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    char *out = sl_xasprintf("%s\n", text != NULL ? text : "{}");
    free(text);
    return out;
}

/* A dot ID: a double-quoted string, with quotes and backslashes escaped and control
 * characters dropped. */
static void put_id(struct sl_buf *b, const char *prefix, const char *s)
{
    sl_buf_puts(b, "\"");
    sl_buf_puts(b, prefix);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            sl_buf_printf(b, "\\%c", *p);
        else if (*p >= 0x20 && *p != 0x7f)
            sl_buf_append(b, p, 1);
    }
    sl_buf_puts(b, "\"");
}

static void dot_node(struct sl_buf *b, const char *id_prefix, const char *id, const char *label,
                     const char *attrs)
{
    sl_buf_puts(b, "  ");
    put_id(b, id_prefix, id);
    sl_buf_puts(b, " [label=");
    put_id(b, "", label);
    sl_buf_printf(b, "%s];\n", attrs);
}

char *sl_netpol_map_dot(const struct sl_netpol_set *s)
{
    struct sl_buf b;
    sl_buf_init(&b, 0);
    sl_buf_puts(&b, "digraph netmap {\n  rankdir=LR;\n  graph [fontname=\"Helvetica\"];\n  node "
                    "[shape=box, fontname=\"Helvetica\"];\n"
                    "  edge [fontname=\"Helvetica\", fontsize=10];\n");
    struct sl_netpol_access *acc = sl_xcalloc(s->nworkloads + 1, sizeof(*acc));
    for (size_t w = 0; w < s->nworkloads; w++)
        sl_netpol_access(s, w, &acc[w]);
    /* Namespaces as clusters of their workloads. */
    struct sl_strlist nss = {0};
    for (size_t w = 0; w < s->nworkloads; w++)
        if (!sl_strlist_has(&nss, s->workloads[w].namespace_))
            sl_strlist_add(&nss, s->workloads[w].namespace_);
    for (size_t n = 0; n < nss.len; n++) {
        sl_buf_puts(&b, "  subgraph ");
        put_id(&b, "cluster_", nss.items[n]);
        sl_buf_puts(&b, " {\n  label=");
        put_id(&b, "namespace ", nss.items[n]);
        sl_buf_puts(&b, ";\n");
        for (size_t w = 0; w < s->nworkloads; w++) {
            const struct sl_netpol_workload *x = &s->workloads[w];
            if (strcmp(x->namespace_, nss.items[n]) != 0)
                continue;
            char *id = sl_xasprintf("%s/%s", x->namespace_, x->name);
            const char *attrs = acc[w].len == 0    ? ", style=filled, fillcolor=lightgrey"
                                : !acc[w].isolated ? ", color=red"
                                                   : "";
            dot_node(&b, "w:", id, x->name, attrs);
            free(id);
        }
        sl_buf_puts(&b, "  }\n");
    }
    sl_strlist_cleanup(&nss);
    /* Sources that are not workloads, once each. */
    struct sl_strlist others = {0};
    for (size_t w = 0; w < s->nworkloads; w++)
        for (size_t i = 0; i < acc[w].len; i++) {
            const struct sl_netpol_grant *g = &acc[w].grants[i];
            if (g->source == SL_NETPOL_WORKLOAD || sl_strlist_has(&others, g->text))
                continue;
            sl_strlist_add(&others, g->text);
            dot_node(&b, "s:", g->text, g->text,
                     g->source == SL_NETPOL_EVERYONE ? ", shape=ellipse, color=red, fontcolor=red"
                                                     : ", shape=ellipse, style=dashed");
        }
    sl_strlist_cleanup(&others);
    /* Edges. */
    for (size_t w = 0; w < s->nworkloads; w++) {
        char *dst = sl_xasprintf("%s/%s", s->workloads[w].namespace_, s->workloads[w].name);
        for (size_t i = 0; i < acc[w].len; i++) {
            const struct sl_netpol_grant *g = &acc[w].grants[i];
            char *ports = sl_netpol_ports_text(&g->ports);
            sl_buf_puts(&b, "  ");
            put_id(&b, g->source == SL_NETPOL_WORKLOAD ? "w:" : "s:", g->text);
            sl_buf_puts(&b, " -> ");
            put_id(&b, "w:", dst);
            sl_buf_puts(&b, " [label=");
            put_id(&b, "", ports);
            sl_buf_puts(&b, g->source == SL_NETPOL_EVERYONE   ? ", color=red];\n"
                            : g->source == SL_NETPOL_WORKLOAD ? "];\n"
                                                              : ", style=dashed];\n");
            free(ports);
        }
        free(dst);
    }
    sl_buf_puts(&b, "}\n");
    for (size_t w = 0; w < s->nworkloads; w++)
        sl_netpol_access_cleanup(&acc[w]);
    free(acc);
    return sl_buf_detach(&b, NULL);
}
