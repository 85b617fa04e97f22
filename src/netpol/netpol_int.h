/* Private to the netpol module: addresses, protocols and the evaluation helpers that
 * model.c, eval.c and findings.c share. */
#ifndef SOCKLOCK_NETPOL_INT_H
#define SOCKLOCK_NETPOL_INT_H

#include <stdbool.h>

#include <jansson.h>

#include "socklock/common.h"
#include "socklock/netpol.h"

/* An IPv4 or IPv6 prefix (an address is a prefix of all its bits). */
struct netpol_cidr {
    unsigned char addr[16];
    int bytes; /* 4 or 16 */
    int bits;
};
enum sl_status netpol_parse_cidr(const char *s, struct netpol_cidr *out);
enum sl_status netpol_parse_ip(const char *s, struct netpol_cidr *out);
bool netpol_cidr_contains(const struct netpol_cidr *c, const struct netpol_cidr *ip);

/* 0 TCP, 1 UDP, 2 SCTP, -1 anything else. */
int netpol_proto_index(const char *proto);

/* Adds proto lo..hi to p, keeping it sorted and merged. */
void netpol_ports_add(struct sl_netpol_ports *p, const char *proto, int lo, int hi);
/* Every port of every protocol. */
void netpol_ports_all(struct sl_netpol_ports *p);
void netpol_ports_union(struct sl_netpol_ports *p, const struct sl_netpol_ports *q);

/* True when the label selector sel (NULL or null: the empty selector) matches labels. */
bool netpol_selector_matches(const json_t *sel, const json_t *labels);
/* True when sel selects everything: NULL, null, or no matchLabels and no matchExpressions. */
bool netpol_selector_empty(const json_t *sel);

/* True when policy p selects workload w's pods. */
bool netpol_selects(const struct sl_netpol_policy *p, const struct sl_netpol_workload *w);
/* The ports rule (an ingress or egress rule) opens on pods of workload `target` (whose
 * container ports resolve named ports; NULL: named ports resolve to nothing), added to out. */
void netpol_rule_ports(const json_t *rule, const struct sl_netpol_workload *target,
                       struct sl_netpol_ports *out);
/* How a peer admits every source: a text ("no from", "namespaceSelector {}", "ipBlock
 * 0.0.0.0/0"), or NULL when it does not. */
const char *netpol_peer_open(const json_t *peer);

#endif
