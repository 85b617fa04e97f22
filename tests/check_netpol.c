/* netpol: NetworkPolicy semantics as tables. Each case is a small manifest (workloads,
 * Namespaces, NetworkPolicies) and the reachability it yields: which workload may open a
 * connection to which on which protocol and port, and which addresses may. The rules are the
 * NetworkPolicy API reference's (networking.k8s.io/v1) and the cases follow the Kubernetes
 * network policy e2e tests (test/e2e/network/netpol): isolation, additivity, selectors and
 * their ANDing and ORing, ipBlock with except, policyTypes defaulting, ports. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "socklock/manifest.h"
#include "socklock/netpol.h"
#include "testutil.h"

extern Suite *suite_netpol(void);

/* Workloads the cases share: pods in namespaces x (labelled team=x), v (team=v, Namespace
 * object present) and z (no Namespace object). */
#define NS_Y "apiVersion: v1\nkind: Namespace\nmetadata: {name: v, labels: {team: v}}\n---\n"
#define NS_X "apiVersion: v1\nkind: Namespace\nmetadata: {name: x, labels: {team: x}}\n---\n"
#define POD(ns, name, labels)                                                                  \
    "apiVersion: v1\nkind: Pod\nmetadata: {namespace: " ns ", name: " name ", labels: " labels \
    "}\nspec:\n  containers:\n  - name: c\n    image: i\n    ports:\n    - {name: http, "      \
    "containerPort: 8080}\n    - {name: dns, containerPort: 53, protocol: UDP}\n---\n"
#define PODS                                                                           \
    NS_X NS_Y POD("x", "a", "{app: a}") POD("x", "b", "{app: b}") POD("x", "c",        \
                                                                      "{app: c, env: " \
                                                                      "prod}")         \
        POD("v", "ya", "{app: a}") POD("v", "yc", "{app: c}") POD("z", "za", "{app: a}")
#define NP(name, ns, spec)                                                          \
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " name \
    ", namespace: " ns "}\nspec:\n" spec "\n---\n"

/* One expectation: src ("x/a", or an address) may (or may not) reach dst on proto/port. */
struct reach {
    const char *src, *dst, *proto;
    int port;
    bool want;
};

struct netcase {
    const char *name;
    const char *yaml;
    struct reach r[12];
};

static const struct netcase cases[] = {
    {"no policy: every pod reaches every pod on every port",
     PODS,
     {{"x/a", "x/b", "TCP", 80, true},
      {"v/ya", "x/b", "UDP", 53, true},
      {"10.0.0.1", "x/b", "TCP", 22, true}}},
    {"default deny: podSelector {}, policyTypes [Ingress], no rules",
     PODS NP("deny", "x", "  podSelector: {}\n  policyTypes: [Ingress]"),
     {{"x/a", "x/b", "TCP", 80, false},
      {"v/ya", "x/c", "TCP", 80, false},
      {"10.0.0.1", "x/b", "TCP", 80, false},
      {"x/a", "v/ya", "TCP", 80, true}}},
    {"no policyTypes and no ingress rules: Ingress by default, so deny all",
     PODS NP("deny", "x", "  podSelector: {}\n  ingress: []"),
     {{"x/a", "x/b", "TCP", 80, false}, {"x/b", "x/a", "UDP", 53, false}}},
    {"ingress [{}]: one empty rule admits everyone on every port",
     PODS NP("all", "x", "  podSelector: {}\n  ingress: [{}]"),
     {{"v/ya", "x/b", "TCP", 1234, true}, {"10.9.9.9", "x/b", "SCTP", 9, true}}},
    {"from: [] is every source too",
     PODS NP("all", "x", "  podSelector: {}\n  ingress: [{from: [], ports: [{port: 80}]}]"),
     {{"v/ya", "x/b", "TCP", 80, true}, {"v/ya", "x/b", "TCP", 81, false}}},
    {"matchLabels: null selects every pod (the Sock Shop's cortex-access)",
     PODS NP("all", "x",
             "  podSelector: {matchLabels: null}\n  ingress: [{from: [{podSelector: {matchLabels: "
             "{app: c}}}]}]"),
     {{"x/a", "x/b", "TCP", 80, false}, {"x/c", "x/b", "TCP", 80, true}}},
    {"the policy selects only its pods; others stay open",
     PODS NP("b", "x", "  podSelector: {matchLabels: {app: b}}\n  policyTypes: [Ingress]"),
     {{"x/a", "x/b", "TCP", 80, false}, {"x/b", "x/a", "TCP", 80, true}}},
    {"a policy never selects pods of another namespace",
     PODS NP("deny", "v", "  podSelector: {}\n  policyTypes: [Ingress]"),
     {{"x/b", "x/a", "TCP", 80, true}, {"x/b", "v/ya", "TCP", 80, false}}},
    {"podSelector peer alone: those pods of the policy's namespace",
     PODS NP("a-to-b", "x",
             "  podSelector: {matchLabels: {app: b}}\n  ingress: [{from: [{podSelector: "
             "{matchLabels: {app: a}}}]}]"),
     {{"x/a", "x/b", "TCP", 80, true},
      {"x/c", "x/b", "TCP", 80, false},
      {"v/ya", "x/b", "TCP", 80, false},
      {"z/za", "x/b", "TCP", 80, false}}},
    {"namespaceSelector peer alone: every pod of the matching namespaces",
     PODS NP("from-y", "x",
             "  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {team: "
             "v}}}]}]"),
     {{"v/ya", "x/b", "TCP", 80, true},
      {"v/yc", "x/b", "TCP", 80, true},
      {"x/a", "x/b", "TCP", 80, false},
      {"z/za", "x/b", "TCP", 80, false}}},
    {"kubernetes.io/metadata.name is set on every namespace, Namespace object or not",
     PODS NP("from-z", "x",
             "  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {matchLabels: "
             "{kubernetes.io/metadata.name: z}}}]}]"),
     {{"z/za", "x/b", "TCP", 80, true}, {"v/ya", "x/b", "TCP", 80, false}}},
    {"both selectors in one peer are ANDed",
     PODS NP("and", "x",
             "  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {team: "
             "v}}, podSelector: {matchLabels: {app: a}}}]}]"),
     {{"v/ya", "x/b", "TCP", 80, true},
      {"v/yc", "x/b", "TCP", 80, false},
      {"x/a", "x/b", "TCP", 80, false}}},
    {"separate peers are ORed",
     PODS NP("or", "x",
             "  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {team: "
             "v}}}, {podSelector: {matchLabels: {app: a}}}]}]"),
     {{"v/yc", "x/b", "TCP", 80, true},
      {"x/a", "x/b", "TCP", 80, true},
      {"x/c", "x/b", "TCP", 80, false},
      {"z/za", "x/b", "TCP", 80, false}}},
    {"namespaceSelector {} is every namespace; with a podSelector, those pods anywhere",
     PODS NP("any-a", "x",
             "  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {}, podSelector: "
             "{matchLabels: {app: a}}}]}]"),
     {{"z/za", "x/b", "TCP", 80, true},
      {"v/ya", "x/b", "TCP", 80, true},
      {"v/yc", "x/b", "TCP", 80, false}}},
    {"matchExpressions In and NotIn (an absent label is not in)",
     PODS NP("expr", "x",
             "  podSelector: {matchExpressions: [{key: app, operator: In, values: [b]}]}\n"
             "  ingress: [{from: [{podSelector: {matchExpressions: [{key: env, operator: NotIn, "
             "values: [prod]}]}}]}]"),
     {{"x/a", "x/b", "TCP", 80, true},
      {"x/c", "x/b", "TCP", 80, false},
      {"x/c", "x/a", "TCP", 80, true}}},
    {"matchExpressions Exists and DoesNotExist",
     PODS NP("expr", "x",
             "  podSelector: {matchExpressions: [{key: env, operator: DoesNotExist}]}\n"
             "  ingress: [{from: [{podSelector: {matchExpressions: [{key: env, operator: "
             "Exists}]}}]}]"),
     {{"x/c", "x/b", "TCP", 80, true},
      {"x/a", "x/b", "TCP", 80, false},
      {"x/a", "x/c", "TCP", 80, true}}},
    {"matchLabels and matchExpressions in one selector are ANDed",
     PODS NP("both", "x",
             "  podSelector: {}\n  ingress: [{from: [{podSelector: {matchLabels: {app: c}, "
             "matchExpressions: [{key: env, operator: In, values: [dev]}]}}]}]"),
     {{"x/c", "x/b", "TCP", 80, false}}},
    {"ipBlock with except; pods are not addresses here",
     PODS NP("cidr", "x",
             "  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: "
             "[10.1.0.0/16]}}, {ipBlock: {cidr: '2001:db8::/32'}}]}]"),
     {{"10.2.3.4", "x/b", "TCP", 80, true},
      {"10.1.2.3", "x/b", "TCP", 80, false},
      {"192.168.1.1", "x/b", "TCP", 80, false},
      {"2001:db8::1", "x/b", "TCP", 80, true},
      {"2001:db9::1", "x/b", "TCP", 80, false},
      {"x/a", "x/b", "TCP", 80, false}}},
    {"ports: a number, protocol TCP by default, other protocols, endPort",
     PODS NP("ports", "x",
             "  podSelector: {}\n  ingress: [{ports: [{port: 80}, {protocol: UDP, port: 53}, "
             "{port: 8000, endPort: 8080}, {protocol: SCTP}]}]"),
     {{"x/a", "x/b", "TCP", 80, true},
      {"x/a", "x/b", "TCP", 81, false},
      {"x/a", "x/b", "UDP", 80, false},
      {"x/a", "x/b", "UDP", 53, true},
      {"x/a", "x/b", "TCP", 8080, true},
      {"x/a", "x/b", "TCP", 8081, false},
      {"x/a", "x/b", "SCTP", 4242, true}}},
    {"a named port is the destination's container port of that name and protocol",
     PODS NP("named", "x",
             "  podSelector: {}\n  ingress: [{ports: [{port: http}, {protocol: TCP, port: "
             "dns}]}]"),
     {{"x/a", "x/b", "TCP", 8080, true},
      {"x/a", "x/b", "TCP", 80, false},
      {"x/a", "x/b", "TCP", 53, false},
      {"x/a", "x/b", "UDP", 53, false}}},
    {"policies add up: the union of every policy that selects the pod",
     PODS NP("p1", "x",
             "  podSelector: {matchLabels: {app: b}}\n  ingress: [{from: [{podSelector: "
             "{matchLabels: {app: a}}}], ports: [{port: 80}]}]")
         NP("p2", "x",
            "  podSelector: {}\n  ingress: [{from: [{podSelector: {matchLabels: {app: c}}}], "
            "ports: [{port: 443}]}]"),
     {{"x/a", "x/b", "TCP", 80, true},
      {"x/a", "x/b", "TCP", 443, false},
      {"x/c", "x/b", "TCP", 443, true},
      {"x/c", "x/b", "TCP", 80, false},
      {"x/c", "x/a", "TCP", 443, true}}},
    {"egress rules without policyTypes: Egress is on, and Ingress too",
     PODS NP("eg", "x",
             "  podSelector: {matchLabels: {app: a}}\n  egress: [{to: [{podSelector: "
             "{matchLabels: {app: c}}}]}]"),
     {{"x/a", "x/c", "TCP", 80, true},
      {"x/a", "x/b", "TCP", 80, false},
      {"x/b", "x/a", "TCP", 80, false},
      {"x/b", "x/c", "TCP", 80, true}}},
    {"policyTypes [Egress] alone leaves ingress open",
     PODS NP("eg", "x", "  podSelector: {matchLabels: {app: a}}\n  policyTypes: [Egress]"),
     {{"x/b", "x/a", "TCP", 80, true}, {"x/a", "x/b", "TCP", 80, false}}},
    {"policyTypes [Ingress] leaves egress rules unenforced",
     PODS NP("in", "x",
             "  podSelector: {matchLabels: {app: a}}\n  policyTypes: [Ingress]\n  ingress: "
             "[{}]\n  egress: [{to: [{podSelector: {matchLabels: {app: c}}}]}]"),
     {{"x/a", "x/b", "TCP", 80, true}}},
    {"a connection needs the destination's ingress and the source's egress",
     PODS NP("in", "x",
             "  podSelector: {matchLabels: {app: b}}\n  ingress: [{ports: [{port: 80}, "
             "{port: 443}]}]")
         NP("eg", "x",
            "  podSelector: {matchLabels: {app: a}}\n  policyTypes: [Egress]\n  egress: "
            "[{ports: [{port: 443}, {port: 53, protocol: UDP}]}]"),
     {{"x/a", "x/b", "TCP", 443, true},
      {"x/a", "x/b", "TCP", 80, false},
      {"x/c", "x/b", "TCP", 80, true},
      {"x/a", "x/c", "UDP", 53, true},
      {"x/a", "x/c", "TCP", 80, false}}},
};

/* The set of a case's manifest. */
static void load_set(const char *yaml, struct sl_netpol_set *s)
{
    struct sl_manifest_file f;
    struct sl_error err = {0};
    ck_assert_msg(sl_manifest_parse(yaml, strlen(yaml), "case.yaml", &f, &err) == SL_OK, "%s",
                  err.msg);
    sl_netpol_init(s);
    for (size_t i = 0; i < f.nobjs; i++)
        ck_assert_msg(sl_netpol_add(s, f.objs[i].object, f.name, f.objs[i].line, f.objs[i].column,
                                    &err) == SL_OK,
                      "%s", err.msg);
    sl_manifest_file_cleanup(&f);
}

static size_t find(const struct sl_netpol_set *s, const char *ref)
{
    for (size_t i = 0; i < s->nworkloads; i++) {
        char name[128];
        snprintf(name, sizeof(name), "%s/%s", s->workloads[i].namespace_, s->workloads[i].name);
        if (strcmp(name, ref) == 0)
            return i;
    }
    ck_abort_msg("no workload %s", ref);
    return 0;
}

START_TEST(test_netpol_reachability_table)
{
    const struct netcase *c = &cases[_i];
    struct sl_netpol_set s;
    load_set(c->yaml, &s);
    for (size_t k = 0; k < SL_ARRAY_LEN(c->r) && c->r[k].src != NULL; k++) {
        const struct reach *r = &c->r[k];
        size_t dst = find(&s, r->dst);
        bool got = strchr(r->src, '/') != NULL
                       ? sl_netpol_allows(&s, find(&s, r->src), dst, r->proto, r->port)
                       : sl_netpol_allows_ip(&s, r->src, dst, r->proto, r->port);
        ck_assert_msg(got == r->want, "%s: %s -> %s %s/%d: want %s", c->name, r->src, r->dst,
                      r->proto, r->port, r->want ? "allowed" : "denied");
    }
    sl_netpol_cleanup(&s);
}
END_TEST

/* Policies the API server refuses are refused, with a message naming the field. */
static const struct {
    const char *spec, *msg;
} invalid[] = {
    {"  podSelector: {matchExpressions: [{key: a, operator: Equals, values: [b]}]}",
     "unknown operator \"Equals\""},
    {"  podSelector: {matchExpressions: [{key: a, operator: In}]}", "In needs values"},
    {"  podSelector: {matchExpressions: [{key: a, operator: Exists, values: [b]}]}",
     "Exists takes no values"},
    {"  podSelector: {matchLabels: [a]}", "spec.podSelector.matchLabels: must be a mapping"},
    {"  podSelector: {}\n  ingress: [{from: [{}]}]",
     "spec.ingress[0].from[0]: must specify a peer"},
    {"  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]",
     "ipBlock may not be combined"},
    {"  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]",
     "\"10.0.0.0/33\" is not a CIDR"},
    {"  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [nope]}}]}]",
     "\"nope\" is not a CIDR"},
    {"  podSelector: {}\n  ingress: [{ports: [{protocol: ICMP}]}]",
     "spec.ingress[0].ports[0].protocol: must be TCP, UDP or SCTP"},
    {"  podSelector: {}\n  ingress: [{ports: [{port: 0}]}]", "port: must be 1-65535"},
    {"  podSelector: {}\n  ingress: [{ports: [{port: http, endPort: 90}]}]",
     "endPort: needs a numeric port"},
    {"  podSelector: {}\n  ingress: [{ports: [{port: 90, endPort: 80}]}]",
     "endPort: must be a number from port"},
    {"  podSelector: {}\n  egress: {to: []}", "spec.egress: must be a list"},
    {"  podSelector: {}\n  policyTypes: [Sideways]", "\"Sideways\" is not Ingress or Egress"},
    {"  []", "spec: must be a mapping"},
};

START_TEST(test_netpol_refuses_invalid_policies)
{
    char yaml[1024];
    snprintf(yaml, sizeof(yaml), NP("bad", "x", "%s"), invalid[_i].spec);
    struct sl_manifest_file f;
    struct sl_error err = {0};
    ck_assert_msg(sl_manifest_parse(yaml, strlen(yaml), "bad.yaml", &f, &err) == SL_OK, "%s",
                  err.msg);
    struct sl_netpol_set s;
    sl_netpol_init(&s);
    ck_assert_int_eq(sl_netpol_add(&s, f.objs[0].object, "bad.yaml", 1, 1, &err), SL_E_INVALID);
    ck_assert_msg(strstr(err.msg, invalid[_i].msg) != NULL, "%s: want \"%s\"", err.msg,
                  invalid[_i].msg);
    ck_assert_str_eq(err.file, "bad.yaml");
    ck_assert_uint_eq(s.npolicies, 0);
    sl_netpol_cleanup(&s);
    sl_manifest_file_cleanup(&f);
}
END_TEST

START_TEST(test_netpol_collects_workload_facts)
{
    const char *yaml =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n"
        "    metadata: {labels: {app: web}}\n    spec:\n      initContainers:\n"
        "      - {name: side, image: i, restartPolicy: Always, ports: [{name: m, containerPort: "
        "9090}]}\n      - {name: init, image: i, ports: [{containerPort: 1}]}\n"
        "      containers: [{name: c, image: i, ports: [{containerPort: 80, protocol: UDP}]}]\n"
        "---\napiVersion: batch/v1\nkind: CronJob\nmetadata: {name: cj, namespace: n}\nspec:\n"
        "  jobTemplate:\n    spec:\n      template:\n        metadata: {labels: {job: cj}}\n"
        "        spec: {containers: [{name: c, image: i}]}\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: svc}\n";
    struct sl_netpol_set s;
    load_set(yaml, &s);
    ck_assert_uint_eq(s.nworkloads, 2);
    ck_assert_str_eq(s.workloads[0].namespace_, "default");
    ck_assert_str_eq(json_string_value(json_object_get(s.workloads[0].labels, "app")), "web");
    char *ports = json_dumps(s.workloads[0].ports, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq(ports, "[{\"name\":\"\",\"port\":80,\"protocol\":\"UDP\"},"
                            "{\"name\":\"m\",\"port\":9090,\"protocol\":\"TCP\"}]");
    free(ports);
    ck_assert_str_eq(s.workloads[1].kind, "CronJob");
    ck_assert_str_eq(json_string_value(json_object_get(s.workloads[1].labels, "job")), "cj");
    sl_netpol_cleanup(&s);
}
END_TEST

START_TEST(test_netpol_ports_text)
{
    struct sl_netpol_set s;
    load_set(PODS NP("p", "x",
                     "  podSelector: {matchLabels: {app: b}}\n  ingress: [{ports: [{port: 80}, "
                     "{port: 8000, endPort: 8080}, {port: 81}, {protocol: UDP}]}]"),
             &s);
    struct sl_netpol_ports p = {0};
    sl_netpol_allowed(&s, find(&s, "x/a"), find(&s, "x/b"), &p);
    char *t = sl_netpol_ports_text(&p);
    ck_assert_str_eq(t, "TCP 80-81, 8000-8080; UDP (all ports)");
    free(t);
    sl_netpol_ports_cleanup(&p);
    sl_netpol_allowed(&s, find(&s, "x/b"), find(&s, "x/a"), &p);
    t = sl_netpol_ports_text(&p);
    ck_assert_str_eq(t, "all ports");
    free(t);
    sl_netpol_ports_cleanup(&p);
    sl_netpol_cleanup(&s);
}
END_TEST

/* Who may reach a workload, in words: workloads, selector peers, IP blocks, everyone. */
START_TEST(test_netpol_access_lists_sources)
{
    struct sl_netpol_set s;
    load_set(PODS NP("b", "x",
                     "  podSelector: {matchLabels: {app: b}}\n  ingress:\n"
                     "  - from: [{podSelector: {matchLabels: {app: a}}}, {podSelector: "
                     "{matchLabels: {app: zz}}}]\n    ports: [{port: 80}]\n"
                     "  - from: [{namespaceSelector: {matchLabels: {team: v}}}, {ipBlock: {cidr: "
                     "10.0.0.0/8, except: [10.1.0.0/16]}}]\n    ports: [{port: http}]"),
             &s);
    struct sl_netpol_access a;
    sl_netpol_access(&s, find(&s, "x/b"), &a);
    ck_assert(a.isolated);
    const char *want[][3] = {
        {"x/a", "TCP 80", "b"},
        {"v/ya", "TCP 8080", "b"},
        {"v/yc", "TCP 8080", "b"},
        {"pods {app=zz} in namespace x (no workload in the input)", "TCP 80", "b"},
        {"every pod in namespaces {team=v}", "TCP 8080", "b"},
        {"10.0.0.0/8 except 10.1.0.0/16", "TCP 8080", "b"},
    };
    ck_assert_uint_eq(a.len, SL_ARRAY_LEN(want));
    for (size_t i = 0; i < a.len; i++) {
        char *t = sl_netpol_ports_text(&a.grants[i].ports);
        ck_assert_str_eq(a.grants[i].text, want[i][0]);
        ck_assert_str_eq(t, want[i][1]);
        ck_assert_str_eq(a.grants[i].policy, want[i][2]);
        free(t);
    }
    sl_netpol_access_cleanup(&a);
    sl_netpol_access(&s, find(&s, "x/a"), &a);
    ck_assert(!a.isolated);
    ck_assert_uint_eq(a.len, 1);
    ck_assert_int_eq(a.grants[0].source, SL_NETPOL_EVERYONE);
    sl_netpol_access_cleanup(&a);
    sl_netpol_cleanup(&s);
}
END_TEST

/* The three findings, over namespaces the input speaks for only. */
START_TEST(test_netpol_findings)
{
    struct sl_netpol_set s;
    load_set("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  annotations:\n"
             "    net.beta.kubernetes.io/network-policy: '{\"ingress\": {\"isolation\": "
             "\"DefaultDeny\"}}'\n---\n" POD("x", "a", "{app: a}") POD("x", "b", "{app: b}")
                 POD("z", "za", "{app: a}")
                     NP("open", "x",
                        "  podSelector: {matchLabels: {app: b}}\n  ingress: [{from: "
                        "[{namespaceSelector: {}}], ports: [{port: 80}]}, {from: [{ipBlock: "
                        "{cidr: 0.0.0.0/0}}]}]"),
             &s);
    struct sl_netpol_findings f;
    sl_netpol_findings(&s, &f);
    ck_assert_uint_eq(f.len, 3);
    ck_assert_str_eq(f.items[0].check, SL_NETPOL_CHECK_DEFAULT_DENY);
    ck_assert_str_eq(f.items[0].kind, "Namespace");
    ck_assert(!f.items[0].note);
    ck_assert_msg(strstr(f.items[0].detail, "DefaultDeny annotation is ignored") != NULL, "%s",
                  f.items[0].detail);
    ck_assert_str_eq(f.items[1].check, SL_NETPOL_CHECK_INGRESS);
    ck_assert_str_eq(f.items[1].name, "a");
    ck_assert_str_eq(f.items[2].check, SL_NETPOL_CHECK_OPEN);
    ck_assert_str_eq(f.items[2].detail,
                     "ingress rule 1 admits every source (namespaceSelector {}) on TCP 80; "
                     "ingress rule 2 admits every source (ipBlock 0.0.0.0/0) on all ports; "
                     "opens x/b");
    ck_assert_uint_eq(f.items[2].workloads.len, 1);
    sl_netpol_findings_cleanup(&f);
    sl_netpol_cleanup(&s);

    /* A default deny that admits some peers still counts; the annotation is then a note. */
    load_set(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  annotations:\n"
        "    net.beta.kubernetes.io/network-policy: DefaultDeny\n---\n" POD("x", "a", "{app: a}")
            NP("deny", "x",
               "  podSelector: {}\n  ingress: [{from: [{podSelector: {matchLabels: {app: "
               "m}}}]}]"),
        &s);
    sl_netpol_findings(&s, &f);
    ck_assert_uint_eq(f.len, 1);
    ck_assert(f.items[0].note);
    ck_assert_msg(strstr(f.items[0].detail, "NetworkPolicy \"deny\"") != NULL, "%s",
                  f.items[0].detail);
    sl_netpol_findings_cleanup(&f);
    sl_netpol_cleanup(&s);
}
END_TEST

/* A workload whose egress a policy isolates without any egress rule may reach nothing. */
START_TEST(test_netpol_reaches_nothing)
{
    struct sl_netpol_set s;
    load_set(PODS NP("mute", "x", "  podSelector: {matchLabels: {app: a}}\n  policyTypes: [Egress]")
                 NP("some", "x",
                    "  podSelector: {matchLabels: {app: b}}\n  policyTypes: [Egress]\n  egress: "
                    "[{to: [{podSelector: {matchLabels: {app: zz}}}]}]"),
             &s);
    ck_assert(sl_netpol_reaches_nothing(&s, find(&s, "x/a")));
    ck_assert(!sl_netpol_reaches_nothing(&s, find(&s, "x/b")));
    ck_assert(!sl_netpol_reaches_nothing(&s, find(&s, "x/c")));
    ck_assert(!sl_netpol_allows(&s, find(&s, "x/b"), find(&s, "x/c"), "TCP", 80));
    sl_netpol_cleanup(&s);
}
END_TEST

/* Adds every object of path (a file) to s. */
static void load_file(struct sl_netpol_set *s, const char *path)
{
    struct sl_manifest_file f;
    struct sl_error err = {0};
    ck_assert_msg(sl_manifest_load(path, &f, &err) == SL_OK, "%s: %s", path, err.msg);
    for (size_t i = 0; i < f.nobjs; i++)
        ck_assert_msg(sl_netpol_add(s, f.objs[i].object, f.name, f.objs[i].line, f.objs[i].column,
                                    &err) == SL_OK,
                      "%s", err.msg);
    sl_manifest_file_cleanup(&f);
}

/* The Sock Shop with its upstream policies (tests/conformance/sock-shop/network-policy), as
 * the data says, not as its authors meant: cortex-access's `podSelector: {matchLabels: null}`
 * selects every pod, so every workload is isolated (only pods labelled name=cortex, of which
 * the shop has none, reach them all); cart-access selects name=cart while the pods are
 * labelled name=carts. */
START_TEST(test_netpol_sock_shop)
{
    char *dir = tu_conformance_set("sock-shop", "complete-demo.yaml");
    static const char *const files[] = {
        "complete-demo.yaml",
        "network-policy/netpol-cart-access.yaml",
        "network-policy/netpol-cart-db-access.yaml",
        "network-policy/netpol-catalogue-access.yaml",
        "network-policy/netpol-catalogue-db-access.yaml",
        "network-policy/netpol-cortex-access.yaml",
        "network-policy/netpol-default-deny.yaml",
        "network-policy/netpol-frontend-access.yaml",
        "network-policy/netpol-orders-access.yaml",
        "network-policy/netpol-orders-db-access.yaml",
        "network-policy/netpol-payment-access.yaml",
        "network-policy/netpol-rabbitmq-access.yaml",
        "network-policy/netpol-shipping-access.yaml",
        "network-policy/netpol-user-access.yaml",
        "network-policy/netpol-user-db-access.yaml",
    };
    struct sl_netpol_set s;
    sl_netpol_init(&s);
    for (size_t i = 0; i < SL_ARRAY_LEN(files); i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        load_file(&s, path);
    }
    ck_assert_uint_eq(s.nworkloads, 14);
    ck_assert_uint_eq(s.npolicies, 13);
    size_t shipping = find(&s, "sock-shop/shipping");
    for (size_t w = 0; w < s.nworkloads; w++) {
        ck_assert_msg(sl_netpol_isolated(&s, w, true), "%s not isolated", s.workloads[w].name);
        if (w == shipping)
            continue;
        struct sl_netpol_ports p = {0};
        sl_netpol_allowed(&s, w, shipping, &p);
        char *t = sl_netpol_ports_text(&p);
        ck_assert_str_eq(t, strcmp(s.workloads[w].name, "orders") == 0 ? "TCP 80" : "none");
        free(t);
        sl_netpol_ports_cleanup(&p);
    }
    ck_assert(sl_netpol_allows(&s, find(&s, "sock-shop/front-end"), find(&s, "sock-shop/catalogue"),
                               "TCP", 80));
    ck_assert(!sl_netpol_allows(&s, find(&s, "sock-shop/front-end"), find(&s, "sock-shop/carts"),
                                "TCP", 80));
    ck_assert(sl_netpol_allows_ip(&s, "203.0.113.9", find(&s, "sock-shop/front-end"), "TCP", 8079));
    ck_assert(
        !sl_netpol_allows_ip(&s, "203.0.113.9", find(&s, "sock-shop/session-db"), "TCP", 6379));
    for (size_t w = 0; w < s.nworkloads; w++) {
        struct sl_netpol_ports p = {0};
        sl_netpol_allowed(&s, w, find(&s, "sock-shop/queue-master"), &p);
        ck_assert_uint_eq(p.len, 0);
        sl_netpol_allowed(&s, w, find(&s, "sock-shop/session-db"), &p);
        ck_assert_uint_eq(p.len, 0);
    }
    sl_netpol_cleanup(&s);
    free(dir);
}
END_TEST

Suite *suite_netpol(void)
{
    Suite *s = suite_create("netpol");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_netpol_reachability_table, 0, (int)SL_ARRAY_LEN(cases));
    tcase_add_loop_test(tc, test_netpol_refuses_invalid_policies, 0, (int)SL_ARRAY_LEN(invalid));
    tcase_add_test(tc, test_netpol_collects_workload_facts);
    tcase_add_test(tc, test_netpol_ports_text);
    tcase_add_test(tc, test_netpol_access_lists_sources);
    tcase_add_test(tc, test_netpol_findings);
    tcase_add_test(tc, test_netpol_sock_shop);
    tcase_add_test(tc, test_netpol_reaches_nothing);
    suite_add_tcase(s, tc);
    return s;
}
