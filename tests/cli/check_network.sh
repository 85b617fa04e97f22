#!/bin/sh
# `socklock check` reports the network (networkPolicyIngress, networkPolicyDefaultDeny,
# networkPolicyOpen) for the namespaces its input speaks for; warnings by default (exit status
# and verdicts unchanged), denials when the profile says so, nothing under --level. Then the
# Sock Shop, without and with its upstream NetworkPolicies.
set -u
bin=${SOCKLOCK_BIN:-./socklock}
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
shop=${SOCKLOCK_CONFORMANCE:-tests/conformance}/sock-shop
good=tests/fixtures/manifests/good-pod.yaml
n=tests/fixtures/network
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
fail() { echo "check_network: $*"; exit 1; }
[ -f "$shop/complete-demo.yaml" ] && [ -d "$shop/network-policy" ] ||
    fail "$shop missing (the data is vendored in tests/conformance)"

# A pod alone says nothing of its namespace's policies: no network finding.
"$bin" check "$good" > "$t/out"; rc=$?
[ "$rc" -eq 0 ] || fail "good pod: exit $rc"
grep -q networkPolicy "$t/out" && fail "a lone pod got network findings: $(cat "$t/out")"

# With its Namespace: two warnings, exit status still 0.
"$bin" check "$good" "$n/web-ns.yaml" > "$t/out"; rc=$?
[ "$rc" -eq 0 ] || fail "warnings changed the exit status: $rc"
cat > "$t/want" <<'WANT'
tests/fixtures/network/web-ns.yaml:3: Namespace web/web: networkPolicyDefaultDeny: no default-deny ingress policy (podSelector {}, policyTypes [Ingress], no rule admitting every source): pods no policy selects accept traffic from everyone (warning)
tests/fixtures/manifests/good-pod.yaml:2: Pod web/good: networkPolicyIngress: no NetworkPolicy selects its pods for ingress: every pod and address may reach them on every port (warning)
1 object checked: 1 allowed, 0 denied; 1 skipped (no pod spec); network: 2 warnings, 0 denied
WANT
diff -u "$t/want" "$t/out" || fail "namespace without policies"

# A default deny isolates the pod; a rule for 0.0.0.0/0 opens it again, on TCP 443.
"$bin" check "$good" "$n/web-ns.yaml" "$n/web-deny.yaml" > "$t/out"; rc=$?
[ "$rc" -eq 0 ] || fail "with policies: exit $rc"
grep -qx 'tests/fixtures/network/web-deny.yaml:11: NetworkPolicy web/world: networkPolicyOpen: ingress rule 1 admits every source (ipBlock 0.0.0.0/0) on TCP 443; opens web/good (warning)' "$t/out" ||
    fail "open rule: $(cat "$t/out")"
[ "$(grep -c networkPolicy "$t/out")" -eq 1 ] || fail "more than the open rule: $(cat "$t/out")"

# A profile that denies: the same findings deny, exit 1.
"$bin" check --policy "$n/deny.policy.yaml" "$good" "$n/web-ns.yaml" > "$t/out"; rc=$?
[ "$rc" -eq 1 ] || fail "network: deny: exit $rc"
tail -1 "$t/out" | grep -q 'network: 0 warnings, 2 denied$' || fail "deny summary: $(tail -1 "$t/out")"
grep -q '(warning)' "$t/out" && fail "a denied finding says warning"

# Plain Pod Security Standards leave the network out.
"$bin" check --level restricted "$good" "$n/web-ns.yaml" > "$t/out"; rc=$?
[ "$rc" -eq 0 ] || fail "--level: exit $rc"
grep -q networkPolicy "$t/out" && fail "--level reported the network"

# A NetworkPolicy the API server would refuse: FILE:LINE:COLUMN, exit 2.
"$bin" check "$good" "$n/bad-policy.yaml" > "$t/out" 2> "$t/err"; rc=$?
[ "$rc" -eq 2 ] || fail "bad policy: exit $rc"
grep -qx 'socklock: tests/fixtures/network/bad-policy.yaml:1:1: NetworkPolicy "bad": spec.podSelector.matchExpressions: unknown operator "Equals" (In, NotIn, Exists, DoesNotExist)' "$t/err" ||
    fail "bad policy message: $(cat "$t/err")"

# The Sock Shop without policies: every workload open, no default deny.
"$bin" check "$shop/complete-demo.yaml" > "$t/out"
[ "$(grep -c ': networkPolicyIngress: no NetworkPolicy selects its pods for ingress' "$t/out")" -eq 14 ] ||
    fail "sock shop: not 14 open workloads"
grep -q '^[^ ]*complete-demo.yaml:2: Namespace sock-shop/sock-shop: networkPolicyDefaultDeny: no default-deny ingress policy' "$t/out" ||
    fail "sock shop: no default-deny finding"
tail -1 "$t/out" | grep -q '; network: 15 warnings, 0 denied$' || fail "sock shop summary: $(tail -1 "$t/out")"

# With the upstream policies: the annotation is named as ignored; front-end-access opens
# front-end to everyone on TCP 8079. cortex-access has `podSelector: {matchLabels: null}`,
# which selects every pod of sock-shop, so every workload is isolated (session-db and
# queue-master included: only pods labelled name=cortex may reach them) and that policy is
# the namespace's default deny.
"$bin" check "$shop/complete-demo.yaml" "$shop/network-policy" > "$t/out"
grep networkPolicy "$t/out" | sed 's/^[^ ]*: //' > "$t/net"
cat > "$t/want" <<'WANT'
Namespace sock-shop/sock-shop: networkPolicyDefaultDeny: the Namespace's net.beta.kubernetes.io/network-policy DefaultDeny annotation is ignored (Kubernetes stopped reading it in 1.7); NetworkPolicy "cortex-access" (podSelector {}) isolates every pod here for ingress anyway (warning)
NetworkPolicy sock-shop/front-end-access: networkPolicyOpen: ingress rule 1 admits every source (no from) on TCP 8079; opens sock-shop/front-end (warning)
WANT
diff -u "$t/want" "$t/net" || fail "sock shop with policies"

# Without cortex-access, what the issue expected: session-db and queue-master open, and no
# default deny (the annotation ignored).
mkdir "$t/pol" && cp "$shop"/network-policy/*.yaml "$t/pol" && rm "$t/pol/netpol-cortex-access.yaml"
"$bin" check "$shop/complete-demo.yaml" "$t/pol" > "$t/out"
grep ': networkPolicyIngress: ' "$t/out" | sed 's/^[^ ]* Deployment \([^:]*\):.*/\1/' > "$t/open"
printf 'sock-shop/carts\nsock-shop/queue-master\nsock-shop/session-db\n' | diff -u - "$t/open" ||
    fail "without cortex-access: open workloads"
grep -q 'networkPolicyDefaultDeny: no default-deny ingress policy .*; the Namespace.s net.beta.kubernetes.io/network-policy DefaultDeny annotation is ignored' "$t/out" ||
    fail "without cortex-access: no default-deny finding naming the annotation"

# JSON: the same findings in "network", and the summary counts them.
"$bin" check -o json "$shop/complete-demo.yaml" "$shop/network-policy" > "$t/json"
python3 - "$t/json" <<'PY' || fail "json report"
import json, sys
r = json.load(open(sys.argv[1]))
net = r["network"]
assert [(x["check"], x["kind"], x["name"], x["action"]) for x in net] == [
    ("networkPolicyDefaultDeny", "Namespace", "sock-shop", "warn"),
    ("networkPolicyOpen", "NetworkPolicy", "front-end-access", "warn")], net
assert net[1]["workloads"] == ["sock-shop/front-end"], net[1]
assert r["summary"]["networkWarnings"] == 2 and r["summary"]["networkDenied"] == 0, r["summary"]
PY
exit 0
