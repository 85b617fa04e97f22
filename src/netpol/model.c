/* netpol model: what is kept of each object, and the validation of NetworkPolicies.
 *
 * Only small facts are kept (a workload's pod labels and container ports, a namespace's
 * labels, a policy's spec), so `check` can collect them while it streams documents and
 * judge the network once the whole input has been read. A NetworkPolicy is validated as the
 * API server validates it (pkg/apis/networking/validation), so that evaluation can trust its
 * shape: a peer holds podSelector and/or namespaceSelector, or ipBlock alone; selectors hold
 * matchLabels and matchExpressions with In and NotIn (values required) or Exists and
 * DoesNotExist (no values); protocols are TCP, UDP or SCTP; ports are 1..65535 or a name;
 * endPort needs a numeric port and is not below it. policyTypes are defaulted as the API
 * server defaults them (SetDefaults_NetworkPolicy): none listed means Ingress, plus Egress
 * when the egress list is not empty. */
#include "socklock/netpol.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netpol_int.h"
#include "socklock/alloc.h"
#include "socklock/json.h"
#include "socklock/workload.h"

void sl_netpol_init(struct sl_netpol_set *s)
{
    memset(s, 0, sizeof(*s));
}

void sl_netpol_policy_cleanup(struct sl_netpol_policy *p)
{
    if (p == NULL)
        return;
    free(p->file);
    free(p->namespace_);
    free(p->name);
    json_decref(p->spec);
    memset(p, 0, sizeof(*p));
}

void sl_netpol_cleanup(struct sl_netpol_set *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nworkloads; i++) {
        struct sl_netpol_workload *w = &s->workloads[i];
        free(w->file);
        free(w->kind);
        free(w->namespace_);
        free(w->name);
        json_decref(w->labels);
        json_decref(w->ports);
    }
    for (size_t i = 0; i < s->nnamespaces; i++) {
        free(s->namespaces[i].file);
        free(s->namespaces[i].name);
        json_decref(s->namespaces[i].labels);
    }
    for (size_t i = 0; i < s->npolicies; i++)
        sl_netpol_policy_cleanup(&s->policies[i]);
    free(s->workloads);
    free(s->namespaces);
    free(s->policies);
    memset(s, 0, sizeof(*s));
}

static const char *str_or(const json_t *v, const char *dflt)
{
    const char *s = json_string_value(v);
    return s != NULL && *s != '\0' ? s : dflt;
}

/* A copy of the string-valued members of labels (anything else is dropped: the API server
 * would refuse it, and the PSS checks report broken metadata). Returns a new reference. */
static json_t *copy_labels(const json_t *labels)
{
    json_t *out = json_object();
    if (!json_is_object(labels))
        return out;
    const char *key;
    const json_t *val;
    json_object_foreach(sl_json_mut(labels), key, val)
    {
        if (json_is_string(val))
            json_object_set_new(out, key, json_string(json_string_value(val)));
    }
    return out;
}

/* The named and numbered ports of one container list, appended to out. */
static void collect_ports(const json_t *containers, bool sidecars_only, json_t *out)
{
    size_t i;
    const json_t *c;
    if (!json_is_array(containers))
        return;
    json_array_foreach(containers, i, c)
    {
        /* Init containers serve ports only as sidecars (restartPolicy: Always). */
        if (sidecars_only && strcmp(str_or(json_object_get(c, "restartPolicy"), ""), "Always") != 0)
            continue;
        size_t j;
        const json_t *p;
        const json_t *ports = json_object_get(c, "ports");
        if (!json_is_array(ports))
            continue;
        json_array_foreach(ports, j, p)
        {
            json_int_t n = json_integer_value(json_object_get(p, "containerPort"));
            if (!json_is_integer(json_object_get(p, "containerPort")) || n < 1 || n > 65535)
                continue;
            json_array_append_new(out, json_pack("{s:s,s:I,s:s}", "name",
                                                 str_or(json_object_get(p, "name"), ""), "port", n,
                                                 "protocol",
                                                 str_or(json_object_get(p, "protocol"), "TCP")));
        }
    }
}

static enum sl_status add_workload(struct sl_netpol_set *s, const json_t *obj,
                                   const struct sl_podref *ref, const char *kind, const char *file,
                                   int line)
{
    const json_t *meta = json_object_get(obj, "metadata");
    s->workloads = sl_xrealloc(s->workloads, (s->nworkloads + 1) * sizeof(*s->workloads));
    struct sl_netpol_workload *w = &s->workloads[s->nworkloads++];
    w->file = sl_xstrdup(file);
    w->line = line;
    w->kind = sl_xstrdup(kind);
    w->namespace_ = sl_xstrdup(str_or(json_object_get(meta, "namespace"), "default"));
    w->name = sl_xstrdup(
        str_or(json_object_get(meta, "name"), str_or(json_object_get(meta, "generateName"), "")));
    w->labels = copy_labels(json_object_get(ref->meta, "labels"));
    w->ports = json_array();
    collect_ports(json_object_get(ref->spec, "containers"), false, w->ports);
    collect_ports(json_object_get(ref->spec, "initContainers"), true, w->ports);
    return SL_OK;
}

static void add_namespace(struct sl_netpol_set *s, const json_t *obj, const char *file, int line)
{
    const json_t *meta = json_object_get(obj, "metadata");
    const char *name = str_or(json_object_get(meta, "name"), "");
    s->namespaces = sl_xrealloc(s->namespaces, (s->nnamespaces + 1) * sizeof(*s->namespaces));
    struct sl_netpol_namespace *n = &s->namespaces[s->nnamespaces++];
    n->file = sl_xstrdup(file);
    n->line = line;
    n->name = sl_xstrdup(name);
    n->labels = copy_labels(json_object_get(meta, "labels"));
    /* The API server sets this label on every namespace (since 1.21) and refuses to let it
     * differ from the name. */
    json_object_set_new(n->labels, "kubernetes.io/metadata.name", json_string(name));
    const char *ann = json_string_value(
        json_object_get(json_object_get(meta, "annotations"), SL_NETPOL_BETA_ANNOTATION));
    n->beta_default_deny = ann != NULL && strstr(ann, "DefaultDeny") != NULL;
}

/* ---- validation ---- */

static enum sl_status bad(struct sl_error *err, const char *fmt, ...) SL_PRINTF(2, 3);

static enum sl_status bad(struct sl_error *err, const char *fmt, ...)
{
    char msg[sizeof(err->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    sl_error_set(err, "%s", msg);
    return SL_E_INVALID;
}

/* path + suffix into out (cut when it would not fit: the text is only for messages). */
static void join(char *out, size_t size, const char *path, const char *suffix)
{
    if (snprintf(out, size, "%s%s", path, suffix) >= (int)size)
        out[size - 1] = '\0';
}

static enum sl_status check_selector(const json_t *sel, const char *path, struct sl_error *err)
{
    if (sel == NULL || json_is_null(sel))
        return SL_OK;
    if (!json_is_object(sel))
        return bad(err, "%s: must be a label selector (matchLabels, matchExpressions)", path);
    const json_t *ml = json_object_get(sel, "matchLabels");
    if (ml != NULL && !json_is_null(ml)) {
        const char *key;
        const json_t *val;
        if (!json_is_object(ml))
            return bad(err, "%s.matchLabels: must be a mapping of labels", path);
        json_object_foreach(sl_json_mut(ml), key, val)
        {
            if (!json_is_string(val))
                return bad(err, "%s.matchLabels: the value of \"%s\" must be a string", path, key);
        }
    }
    const json_t *me = json_object_get(sel, "matchExpressions");
    if (me == NULL || json_is_null(me))
        return SL_OK;
    if (!json_is_array(me))
        return bad(err, "%s.matchExpressions: must be a list", path);
    size_t i;
    const json_t *e;
    json_array_foreach(me, i, e)
    {
        const char *k = json_string_value(json_object_get(e, "key"));
        const char *op = json_string_value(json_object_get(e, "operator"));
        const json_t *vals = json_object_get(e, "values");
        if (!json_is_object(e) || k == NULL || *k == '\0')
            return bad(err, "%s.matchExpressions: every expression needs a key", path);
        if (vals != NULL && !json_is_null(vals) && !json_is_array(vals))
            return bad(err, "%s.matchExpressions: values of \"%s\" must be a list", path, k);
        size_t nv = json_array_size(vals);
        for (size_t j = 0; j < nv; j++)
            if (!json_is_string(json_array_get(vals, j)))
                return bad(err, "%s.matchExpressions: values of \"%s\" must be strings", path, k);
        if (op != NULL && (strcmp(op, "In") == 0 || strcmp(op, "NotIn") == 0)) {
            if (nv == 0)
                return bad(err, "%s.matchExpressions: %s needs values", path, op);
        } else if (op != NULL && (strcmp(op, "Exists") == 0 || strcmp(op, "DoesNotExist") == 0)) {
            if (nv != 0)
                return bad(err, "%s.matchExpressions: %s takes no values", path, op);
        } else {
            return bad(err,
                       "%s.matchExpressions: unknown operator \"%s\" (In, NotIn, Exists, "
                       "DoesNotExist)",
                       path, op != NULL ? op : "");
        }
    }
    return SL_OK;
}

static enum sl_status check_cidr(const char *cidr, const char *path, struct sl_error *err)
{
    struct netpol_cidr c;
    if (cidr == NULL || netpol_parse_cidr(cidr, &c) != SL_OK)
        return bad(err, "%s: \"%s\" is not a CIDR (such as 10.0.0.0/8 or 2001:db8::/32)", path,
                   cidr != NULL ? cidr : "");
    return SL_OK;
}

static enum sl_status check_peer(const json_t *peer, const char *path, struct sl_error *err)
{
    if (!json_is_object(peer))
        return bad(err, "%s: must be a peer (podSelector, namespaceSelector or ipBlock)", path);
    const json_t *ps = json_object_get(peer, "podSelector");
    const json_t *ns = json_object_get(peer, "namespaceSelector");
    const json_t *ip = json_object_get(peer, "ipBlock");
    bool has_ps = ps != NULL && !json_is_null(ps), has_ns = ns != NULL && !json_is_null(ns);
    bool has_ip = ip != NULL && !json_is_null(ip);
    char sub[256];
    if (!has_ps && !has_ns && !has_ip)
        return bad(err, "%s: must specify a peer (podSelector, namespaceSelector or ipBlock)",
                   path);
    if (has_ip && (has_ps || has_ns))
        return bad(err, "%s: ipBlock may not be combined with a selector", path);
    join(sub, sizeof(sub), path, ".podSelector");
    if (check_selector(ps, sub, err) != SL_OK)
        return SL_E_INVALID;
    join(sub, sizeof(sub), path, ".namespaceSelector");
    if (check_selector(ns, sub, err) != SL_OK)
        return SL_E_INVALID;
    if (!has_ip)
        return SL_OK;
    join(sub, sizeof(sub), path, ".ipBlock.cidr");
    const char *cidr = json_string_value(json_object_get(ip, "cidr"));
    if (!json_is_object(ip))
        return bad(err, "%s.ipBlock: must be a mapping (cidr, except)", path);
    if (check_cidr(cidr, sub, err) != SL_OK)
        return SL_E_INVALID;
    const json_t *ex = json_object_get(ip, "except");
    if (ex != NULL && !json_is_null(ex) && !json_is_array(ex))
        return bad(err, "%s.ipBlock.except: must be a list of CIDRs", path);
    join(sub, sizeof(sub), path, ".ipBlock.except");
    for (size_t i = 0; i < json_array_size(ex); i++)
        if (check_cidr(json_string_value(json_array_get(ex, i)), sub, err) != SL_OK)
            return SL_E_INVALID;
    return SL_OK;
}

static enum sl_status check_port(const json_t *p, const char *path, struct sl_error *err)
{
    if (!json_is_object(p))
        return bad(err, "%s: must be a mapping (protocol, port, endPort)", path);
    const json_t *proto = json_object_get(p, "protocol");
    if (proto != NULL && !json_is_null(proto) && netpol_proto_index(json_string_value(proto)) < 0)
        return bad(err, "%s.protocol: must be TCP, UDP or SCTP", path);
    const json_t *port = json_object_get(p, "port");
    const json_t *end = json_object_get(p, "endPort");
    bool has_end = end != NULL && !json_is_null(end);
    if (json_is_integer(port)) {
        json_int_t n = json_integer_value(port);
        if (n < 1 || n > 65535)
            return bad(err, "%s.port: must be 1-65535", path);
        if (has_end && (!json_is_integer(end) || json_integer_value(end) < n ||
                        json_integer_value(end) > 65535))
            return bad(err, "%s.endPort: must be a number from port to 65535", path);
    } else if (json_is_string(port)) {
        if (json_string_length(port) == 0 || json_string_length(port) > 15)
            return bad(err, "%s.port: \"%s\" is not a port name (1-15 characters)", path,
                       json_string_value(port));
        if (has_end)
            return bad(err, "%s.endPort: needs a numeric port", path);
    } else if (port != NULL && !json_is_null(port)) {
        return bad(err, "%s.port: must be a number or a port name", path);
    } else if (has_end) {
        return bad(err, "%s.endPort: needs a numeric port", path);
    }
    return SL_OK;
}

/* spec.ingress or spec.egress: a list of rules with `from`/`to` peers and ports. */
static enum sl_status check_rules(const json_t *rules, const char *dir, const char *peers,
                                  struct sl_error *err)
{
    char path[128];
    if (rules == NULL || json_is_null(rules))
        return SL_OK;
    if (!json_is_array(rules))
        return bad(err, "spec.%s: must be a list of rules", dir);
    for (size_t i = 0; i < json_array_size(rules); i++) {
        const json_t *r = json_array_get(rules, i);
        snprintf(path, sizeof(path), "spec.%s[%zu]", dir, i);
        if (!json_is_object(r))
            return bad(err, "%s: must be a rule (%s, ports)", path, peers);
        const json_t *lists[2] = {json_object_get(r, peers), json_object_get(r, "ports")};
        for (int k = 0; k < 2; k++) {
            const json_t *l = lists[k];
            if (l != NULL && !json_is_null(l) && !json_is_array(l))
                return bad(err, "%s: %s must be a list", path, k == 0 ? peers : "ports");
            for (size_t j = 0; j < json_array_size(l); j++) {
                char sub[256];
                snprintf(sub, sizeof(sub), "%s.%s[%zu]", path, k == 0 ? peers : "ports", j);
                enum sl_status rc = k == 0 ? check_peer(json_array_get(l, j), sub, err)
                                           : check_port(json_array_get(l, j), sub, err);
                if (rc != SL_OK)
                    return rc;
            }
        }
    }
    return SL_OK;
}

static enum sl_status check_spec(const json_t *spec, bool *ingress, bool *egress,
                                 struct sl_error *err)
{
    if (!json_is_object(spec))
        return bad(err, "%s: must be a mapping (podSelector, ingress, egress, policyTypes)",
                   "spec");
    if (check_selector(json_object_get(spec, "podSelector"), "spec.podSelector", err) != SL_OK ||
        check_rules(json_object_get(spec, "ingress"), "ingress", "from", err) != SL_OK ||
        check_rules(json_object_get(spec, "egress"), "egress", "to", err) != SL_OK)
        return SL_E_INVALID;
    const json_t *types = json_object_get(spec, "policyTypes");
    if (types != NULL && !json_is_null(types) && !json_is_array(types))
        return bad(err, "%s: must be a list (Ingress, Egress)", "spec.policyTypes");
    *ingress = *egress = false;
    for (size_t i = 0; i < json_array_size(types); i++) {
        const char *t = json_string_value(json_array_get(types, i));
        if (t != NULL && strcmp(t, "Ingress") == 0)
            *ingress = true;
        else if (t != NULL && strcmp(t, "Egress") == 0)
            *egress = true;
        else
            return bad(err, "spec.policyTypes: \"%s\" is not Ingress or Egress", t ? t : "");
    }
    if (json_array_size(types) == 0) {
        *ingress = true;
        *egress = json_array_size(json_object_get(spec, "egress")) > 0;
    }
    return SL_OK;
}

enum sl_status sl_netpol_policy_read(const json_t *obj, struct sl_netpol_policy *p,
                                     struct sl_error *err)
{
    memset(p, 0, sizeof(*p));
    const json_t *meta = json_object_get(obj, "metadata");
    const json_t *spec = json_object_get(obj, "spec");
    bool in = false, eg = false;
    struct sl_error e = {0};
    if (check_spec(spec, &in, &eg, &e) != SL_OK) {
        sl_error_set(err, "NetworkPolicy \"%s\": %s", str_or(json_object_get(meta, "name"), ""),
                     e.msg);
        return SL_E_INVALID;
    }
    p->file = sl_xstrdup("");
    p->namespace_ = sl_xstrdup(str_or(json_object_get(meta, "namespace"), "default"));
    p->name = sl_xstrdup(str_or(json_object_get(meta, "name"), ""));
    p->spec = json_deep_copy(spec);
    p->ingress = in;
    p->egress = eg;
    return SL_OK;
}

static bool is_netpol(const char *group, const char *kind)
{
    /* extensions/v1beta1 served NetworkPolicy until 1.16, with the same schema. */
    return strcmp(kind, "NetworkPolicy") == 0 &&
           (strcmp(group, "networking.k8s.io") == 0 || strcmp(group, "extensions") == 0);
}

enum sl_status sl_netpol_add(struct sl_netpol_set *s, const json_t *obj, const char *file, int line,
                             int column, struct sl_error *err)
{
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    char group[128];
    sl_workload_group_of(str_or(json_object_get(obj, "apiVersion"), ""), group, sizeof(group));
    if (kind == NULL)
        return SL_OK;
    if (*group == '\0' && strcmp(kind, "Namespace") == 0) {
        add_namespace(s, obj, file, line);
        return SL_OK;
    }
    if (is_netpol(group, kind)) {
        struct sl_netpol_policy p;
        struct sl_error e = {0};
        if (sl_netpol_policy_read(obj, &p, &e) != SL_OK) {
            sl_netpol_policy_cleanup(&p);
            sl_error_setpos(err, file, line, column, "%s", e.msg);
            return SL_E_INVALID;
        }
        free(p.file);
        p.file = sl_xstrdup(file);
        p.line = line;
        s->policies = sl_xrealloc(s->policies, (s->npolicies + 1) * sizeof(*s->policies));
        s->policies[s->npolicies++] = p;
        return SL_OK;
    }
    struct sl_podref ref;
    if (!sl_workload_supported(group, kind) || strcmp(kind, "PodTemplate") == 0 ||
        sl_workload_find(obj, group, kind, &ref, NULL) != SL_OK)
        return SL_OK;
    return add_workload(s, obj, &ref, kind, file, line);
}

/* ---- addresses ---- */

int netpol_proto_index(const char *proto)
{
    static const char *const names[] = {"TCP", "UDP", "SCTP"};
    for (int i = 0; proto != NULL && i < 3; i++)
        if (strcmp(proto, names[i]) == 0)
            return i;
    return -1;
}

enum sl_status netpol_parse_cidr(const char *s, struct netpol_cidr *out)
{
    const char *slash = strchr(s, '/');
    char addr[64];
    if (slash == NULL || (size_t)(slash - s) >= sizeof(addr))
        return SL_E_INVALID;
    memcpy(addr, s, (size_t)(slash - s));
    addr[slash - s] = '\0';
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, addr, out->addr) == 1)
        out->bytes = 4;
    else if (inet_pton(AF_INET6, addr, out->addr) == 1)
        out->bytes = 16;
    else
        return SL_E_INVALID;
    char *end = NULL;
    const char *digits = slash + 1;
    if (*digits < '0' || *digits > '9')
        return SL_E_INVALID;
    long bits = strtol(digits, &end, 10);
    if (*end != '\0' || bits < 0 || bits > 8L * out->bytes)
        return SL_E_INVALID;
    out->bits = (int)bits;
    return SL_OK;
}

enum sl_status netpol_parse_ip(const char *s, struct netpol_cidr *out)
{
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, s, out->addr) == 1)
        out->bytes = 4;
    else if (inet_pton(AF_INET6, s, out->addr) == 1)
        out->bytes = 16;
    else
        return SL_E_INVALID;
    out->bits = out->bytes * 8;
    return SL_OK;
}

bool netpol_cidr_contains(const struct netpol_cidr *c, const struct netpol_cidr *ip)
{
    if (c->bytes != ip->bytes)
        return false;
    int bits = c->bits;
    for (int i = 0; bits > 0; i++, bits -= 8) {
        unsigned mask = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;
        if ((c->addr[i] & mask) != (ip->addr[i] & mask))
            return false;
    }
    return true;
}
