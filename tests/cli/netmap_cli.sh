#!/bin/sh
# `socklock netmap` over the Sock Shop with and without its upstream NetworkPolicies: who may
# reach each workload, as text, JSON (read back with python3) and Graphviz dot (rendered by
# Debian's graphviz, `dot -Tsvg`); bad input exits 2 with FILE:LINE:COLUMN.
set -u
bin=${SOCKLOCK_BIN:-./socklock}
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
shop=${SOCKLOCK_CONFORMANCE:-tests/conformance}/sock-shop
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
fail() { echo "netmap_cli: $*"; exit 1; }
[ -f "$shop/complete-demo.yaml" ] && [ -d "$shop/network-policy" ] ||
    fail "$shop missing (the data is vendored in tests/conformance)"

# Without policies nothing is isolated: everyone reaches every workload on every port.
"$bin" netmap "$shop/complete-demo.yaml" > "$t/open" || fail "netmap without policies: exit $?"
[ "$(grep -c ': no policy isolates its ingress$' "$t/open")" -eq 14 ] ||
    fail "without policies, not all 14 workloads are open: $(cat "$t/open")"
[ "$(grep -c '^  from every pod and address: all ports$' "$t/open")" -eq 14 ] ||
    fail "without policies, not every workload is reachable by everyone"

# With them. shipping: only orders on TCP 80 among the workloads; the upstream cortex-access
# policy (podSelector with a null matchLabels, so every pod) also admits pods labelled
# name=cortex on every port, and none is in the input.
"$bin" netmap "$shop/complete-demo.yaml" "$shop/network-policy" > "$t/map" ||
    fail "netmap with policies: exit $?"
sed -n '/^sock-shop\/shipping /,/^[^ ]/p' "$t/map" | sed '$d' > "$t/shipping"
cat > "$t/want" <<'WANT'
sock-shop/shipping (Deployment): ingress isolated by cortex-access, shipping-access
  from sock-shop/orders: TCP 80 (shipping-access)
  from pods {name=cortex} in namespace sock-shop (no workload in the input): all ports (cortex-access)
WANT
diff -u "$t/want" "$t/shipping" || fail "shipping's sources differ"
# The front end is the shop's door: everyone on TCP 8079.
grep -q '^  from every pod and address: TCP 8079 (front-end-access)$' "$t/map" ||
    fail "front-end is not open on TCP 8079"
# The policy for carts selects name=cart, but the pods are labelled name=carts: no
# workload may reach carts, nor (through cart) carts-db; no policy but cortex-access selects
# queue-master and session-db.
tail -1 "$t/map" | grep -qx '14 workloads; reachable by nobody: none; by no workload of the input: sock-shop/carts, sock-shop/carts-db, sock-shop/queue-master, sock-shop/session-db; reaching nothing: none' ||
    fail "last line: $(tail -1 "$t/map")"

# socklock's own manifests: reachable on its webhook port only, reaching nothing.
"$bin" netmap deploy/base > "$t/self" || fail "deploy/base: exit $?"
cat > "$t/want" <<'WANT'
socklock-system/socklock (Deployment): ingress isolated by socklock, default-deny; egress isolated by socklock, default-deny (it may reach nothing)
  from every pod and address: TCP 8443 (socklock)
1 workload; reachable by nobody: none; by no workload of the input: none; reaching nothing: socklock-system/socklock
WANT
diff -u "$t/want" "$t/self" || fail "deploy/base map"

# JSON says the same.
"$bin" netmap -o json "$shop/complete-demo.yaml" "$shop/network-policy" > "$t/json" ||
    fail "json: exit $?"
python3 - "$t/json" <<'PY' || fail "json output"
import json, sys
d = json.load(open(sys.argv[1]))
ship = [w for w in d["workloads"] if w["name"] == "shipping"][0]
assert ship["isolated"] is True, ship
wl = [f for f in ship["from"] if f["source"] == "workload"]
assert [(f["name"], f["ports"]) for f in wl] == [
    ("sock-shop/orders", [{"protocol": "TCP", "port": 80, "endPort": 80}])], wl
assert d["unreachable"] == [] and d["reachesNothing"] == [], d
PY

# dot, rendered by Graphviz.
command -v dot >/dev/null || fail "dot is missing (make deps installs graphviz)"
for input in "$shop/complete-demo.yaml" "$shop/complete-demo.yaml $shop/network-policy"; do
    # shellcheck disable=SC2086
    "$bin" netmap --output dot $input > "$t/g.dot" || fail "dot: exit $?"
    dot -Tsvg "$t/g.dot" > "$t/g.svg" 2> "$t/dot.err" || fail "dot -Tsvg: $(cat "$t/dot.err")"
    grep -q '<svg' "$t/g.svg" || fail "dot made no SVG"
done
grep -q '"w:sock-shop/orders" -> "w:sock-shop/shipping" \[label="TCP 80"\];' "$t/g.dot" ||
    fail "no orders -> shipping edge"
# Names that need quoting in dot stay one ID.
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: "a\\"b\\\\c", namespace: "n"}\nspec: {containers: [{name: c, image: i}]}\n' > "$t/q.yaml"
"$bin" netmap -o dot "$t/q.yaml" | dot -Tsvg > /dev/null 2>&1 || fail "a quoted name breaks dot"

# Bad input: an unknown format, a policy the API server refuses, a missing file.
"$bin" netmap -o xml "$t/q.yaml" 2> /dev/null; rc=$?
[ "$rc" -eq 2 ] || fail "unknown format: exit $rc"
printf 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad}\nspec:\n  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/99}}]}]\n' > "$t/bad.yaml"
(cd "$t" && "$bin" netmap bad.yaml q.yaml) > "$t/out" 2> "$t/err"; rc=$?
[ "$rc" -eq 2 ] || fail "invalid policy: exit $rc"
grep -qx 'socklock: bad.yaml:1:1: NetworkPolicy "bad": spec.ingress\[0\].from\[0\].ipBlock.cidr: "10.0.0.0/99" is not a CIDR (such as 10.0.0.0/8 or 2001:db8::/32)' "$t/err" ||
    fail "invalid policy message: $(cat "$t/err")"
grep -q '^n/a"b\\c (Pod)' "$t/out" || fail "the map of the rest was not printed: $(cat "$t/out")"
"$bin" netmap "$t/nope.yaml" 2> /dev/null > /dev/null; rc=$?
[ "$rc" -eq 2 ] || fail "missing file: exit $rc"
exit 0
