/* netpol: Kubernetes NetworkPolicy semantics over manifests. It collects the few facts the
 * network needs (each workload's pod labels, namespace and container ports; Namespaces and
 * their labels; NetworkPolicies), and answers who may reach whom on which ports, as the
 * NetworkPolicy API reference (networking.k8s.io/v1) defines it. Pure: values in, values out;
 * no I/O, no globals. */
#ifndef SOCKLOCK_NETPOL_H
#define SOCKLOCK_NETPOL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "socklock/common.h"
#include "socklock/strlist.h"

/* The namespace annotation Kubernetes read for default deny before NetworkPolicy went GA
 * (1.7), and has ignored since. */
#define SL_NETPOL_BETA_ANNOTATION "net.beta.kubernetes.io/network-policy"

/* Anything that makes pods: a Pod, or a kind with a pod template. */
struct sl_netpol_workload {
    char *file;
    int line;
    char *kind;
    char *namespace_; /* metadata.namespace, "default" when unset */
    char *name;
    json_t *labels; /* the pods' labels (an object); owned */
    json_t *ports;  /* the containers' ports: [{"name", "port", "protocol"}]; owned */
};

struct sl_netpol_namespace {
    char *file;
    int line;
    char *name;
    json_t *labels;         /* with kubernetes.io/metadata.name, as the API server sets it; owned */
    bool beta_default_deny; /* carries the ignored DefaultDeny annotation */
};

struct sl_netpol_policy {
    char *file;
    int line;
    char *namespace_;
    char *name;
    json_t *spec; /* validated; owned */
    bool ingress; /* effective policyTypes: Ingress (listed, or no policyTypes at all) */
    bool egress;  /* Egress (listed, or no policyTypes and a non-empty egress list) */
};

/* The facts of one input. Zero-initialise or sl_netpol_init(); release with
 * sl_netpol_cleanup(). */
struct sl_netpol_set {
    struct sl_netpol_workload *workloads;
    size_t nworkloads;
    struct sl_netpol_namespace *namespaces;
    size_t nnamespaces;
    struct sl_netpol_policy *policies;
    size_t npolicies;
};

void sl_netpol_init(struct sl_netpol_set *s);
/* Frees everything s holds. Accepts NULL. */
void sl_netpol_cleanup(struct sl_netpol_set *s);

/* Records obj when it is a workload, a Namespace or a NetworkPolicy; any other kind is
 * passed over (SL_OK). A NetworkPolicy that the API server would refuse (a selector that is
 * not one, an unknown operator or protocol, a bad CIDR or port) is SL_E_INVALID with err at
 * file:line:column saying what is wrong, and is not recorded. Copies what it keeps; borrows
 * obj. */
enum sl_status sl_netpol_add(struct sl_netpol_set *s, const json_t *obj, const char *file, int line,
                             int column, struct sl_error *err);

/* Reads one NetworkPolicy object into p (as sl_netpol_add() validates it; file "" and line
 * 0). Caller releases p with sl_netpol_policy_cleanup(), on failure too. */
enum sl_status sl_netpol_policy_read(const json_t *obj, struct sl_netpol_policy *p,
                                     struct sl_error *err);
void sl_netpol_policy_cleanup(struct sl_netpol_policy *p);

/* ---- ports ---- */

/* A set of ports: ranges lo..hi (1..65535) per protocol ("TCP", "UDP", "SCTP"), kept sorted
 * and merged. */
struct sl_netpol_range {
    char proto[8];
    int lo, hi;
};
struct sl_netpol_ports {
    struct sl_netpol_range *items;
    size_t len;
};
void sl_netpol_ports_cleanup(struct sl_netpol_ports *p);
bool sl_netpol_ports_has(const struct sl_netpol_ports *p, const char *proto, int port);
/* "all ports", "TCP 80", "TCP 80, 8000-8080; UDP 53", "TCP (all ports)", or "none". Caller
 * frees. */
char *sl_netpol_ports_text(const struct sl_netpol_ports *p);

/* ---- reachability ---- */

/* True when a policy selects workload w for ingress (its pods are then isolated). */
bool sl_netpol_isolated(const struct sl_netpol_set *s, size_t w, bool ingress);

/* True when workload w's pods may open no connection at all: a policy isolates their egress
 * and no policy that selects them has an egress rule. */
bool sl_netpol_reaches_nothing(const struct sl_netpol_set *s, size_t w);

/* The ports on which pods of workload src may open connections to pods of workload dst: what
 * dst's ingress admits from src, within what src's egress allows to dst. Named ports are
 * those of dst's containers. Caller releases out with sl_netpol_ports_cleanup(). */
void sl_netpol_allowed(const struct sl_netpol_set *s, size_t src, size_t dst,
                       struct sl_netpol_ports *out);
/* The same for one port: true when src may reach dst on proto/port. */
bool sl_netpol_allows(const struct sl_netpol_set *s, size_t src, size_t dst, const char *proto,
                      int port);
/* True when dst's ingress admits a connection from the address ip (outside the cluster: no
 * egress applies) on proto/port. False for an address that does not parse. */
bool sl_netpol_allows_ip(const struct sl_netpol_set *s, const char *ip, size_t dst,
                         const char *proto, int port);

/* Who may reach a workload: other workloads of the input, and what else policies admit. */
enum sl_netpol_source {
    SL_NETPOL_EVERYONE, /* every pod and address */
    SL_NETPOL_WORKLOAD, /* a workload of the input (index in `workload`) */
    SL_NETPOL_PEER,     /* a selector peer: pods that may exist outside the input */
    SL_NETPOL_IPBLOCK,  /* addresses in a CIDR */
};
struct sl_netpol_grant {
    enum sl_netpol_source source;
    size_t workload;
    char *text;   /* the source in words ("sock-shop/orders", "pods {name=cortex} in ...") */
    char *policy; /* the policies that admit it, comma-separated; "" when not isolated */
    struct sl_netpol_ports ports;
};
struct sl_netpol_access {
    bool isolated; /* a policy selects the workload for ingress */
    struct sl_netpol_grant *grants;
    size_t len;
};
/* Fills out with everything that may reach workload w (grants in a stable order: everyone,
 * workloads, peers, IP blocks). A workload reaching itself is not listed, nor one that may
 * reach it only on ports everyone may. Release with
 * sl_netpol_access_cleanup(). */
void sl_netpol_access(const struct sl_netpol_set *s, size_t w, struct sl_netpol_access *out);
void sl_netpol_access_cleanup(struct sl_netpol_access *a);

/* A selector in words: "{name=cart, tier in (a,b), !legacy}"; "{}" for the empty one. Caller
 * frees. */
char *sl_netpol_selector_text(const json_t *sel);

/* ---- the network map (`socklock netmap`) ---- */

/* For every workload in input order: whether a policy isolates its ingress (and which), each
 * source that may reach it with the ports and the policies that admit it, "reachable by
 * nobody" when nothing may; then a last line counting the workloads and naming those nobody
 * may reach, those no workload of the input may reach, and those that may reach nothing
 * (egress isolated with no egress rule). Control characters in names are shown as
 * \xNN. Caller frees. */
char *sl_netpol_map_text(const struct sl_netpol_set *s);
/* The same as one JSON document: {"workloads": [{namespace, name, kind, file, line,
 * isolated, policies, egressPolicies, from: [{source (everyone, workload, peer, ipBlock),
 * name, ports: [{protocol, port, endPort}], portsText, policies}]}], "unreachable":
 * ["NS/NAME"], "reachesNothing": ["NS/NAME"]}, with a trailing newline. Caller frees. */
char *sl_netpol_map_json(const struct sl_netpol_set *s);
/* The same as a Graphviz digraph: namespaces as clusters, workloads as boxes, other sources as
 * ellipses, an edge per source and destination labelled with its ports; red for what everyone
 * may reach, grey fill for what nobody may. Caller frees. */
char *sl_netpol_map_dot(const struct sl_netpol_set *s);

/* ---- findings ---- */

/* The check ids. */
#define SL_NETPOL_CHECK_INGRESS      "networkPolicyIngress"
#define SL_NETPOL_CHECK_DEFAULT_DENY "networkPolicyDefaultDeny"
#define SL_NETPOL_CHECK_OPEN         "networkPolicyOpen"

/* One network finding, about a workload (networkPolicyIngress), a namespace
 * (networkPolicyDefaultDeny) or a NetworkPolicy (networkPolicyOpen). */
struct sl_netpol_finding {
    const char *check; /* one of the SL_NETPOL_CHECK_* ids (static) */
    char *file;
    int line;
    char *kind;
    char *namespace_;
    char *name;
    char *detail;
    struct sl_strlist workloads; /* networkPolicyOpen: the workloads (NS/NAME) it opens */
    bool note;                   /* only says the beta annotation is ignored: the namespace is
                                  * isolated by a policy; never denies */
};
struct sl_netpol_findings {
    struct sl_netpol_finding *items;
    size_t len;
};
/* The findings over the namespaces the input speaks for: those for which it holds the
 * Namespace object or at least one NetworkPolicy (a lone Deployment says nothing about its
 * namespace's policies). Release with sl_netpol_findings_cleanup(). */
void sl_netpol_findings(const struct sl_netpol_set *s, struct sl_netpol_findings *out);
void sl_netpol_findings_cleanup(struct sl_netpol_findings *f);

/* Adds to out the rules of policy p that admit every source, one text each ("ingress rule
 * 1 admits every source (no from) on TCP 8079"). Borrows p. */
void sl_netpol_open_rules(const struct sl_netpol_policy *p, struct sl_strlist *out);

#endif
