#!/bin/sh
# `socklock policy`: prints the effective policy; invalid files exit 2 with FILE:LINE:COLUMN.
set -u
bin=${SOCKLOCK_BIN:-./socklock}
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
fail() { echo "policy_cli: $*"; exit 1; }

"$bin" policy > "$t/default" || fail "default policy exited $?"
# The embedded default, as documented in the README (the expected text is kept by hand).
cmp "$t/default" tests/fixtures/policy/default.dump.yaml || fail "default policy differs"
# The printed policy is itself a valid policy that prints the same.
"$bin" policy "$t/default" > "$t/again" || fail "printed policy does not load"
cmp -s "$t/default" "$t/again" || fail "printed policy changes on reload"

"$bin" policy tests/fixtures/policy/invalid/unknown-key.yaml 2> "$t/err"; rc=$?
[ "$rc" -eq 2 ] || fail "invalid policy exit $rc"
grep -q '^socklock: tests/fixtures/policy/invalid/unknown-key.yaml:4:5: profiles.default.levle: unknown setting' "$t/err" \
    || fail "error line: $(cat "$t/err")"
"$bin" policy "$t/nope.yaml" 2> "$t/err"; rc=$?
[ "$rc" -eq 2 ] && grep -q 'nope.yaml' "$t/err" || fail "missing policy file: exit $rc"

# The README's example policy is the one the tests load, word for word.
cluster=tests/fixtures/policy/cluster.yaml
awk '/^### A policy for a cluster/,/^Check it before/' README.md | sed -n '/^```yaml/,/^```$/p' |
    sed '1d;$d' > "$t/readme.yaml"
cmp -s "$t/readme.yaml" "$cluster" || fail "README's example policy differs from $cluster"
"$bin" policy "$cluster" > "$t/out" 2> "$t/err" || fail "example policy: exit $?"
[ -s "$t/err" ] && fail "example policy warns: $(cat "$t/err")"

# A new user's typo: named with its line and column, as the README shows, and no policy.
cp "$cluster" "$t/cluster.yaml"
sed -i '23s/capabilities_restricted/capabilites_restricted/' "$t/cluster.yaml"
(cd "$t" && "$bin" policy cluster.yaml) > "$t/out" 2> "$t/err"; rc=$?
[ "$rc" -eq 2 ] || fail "typo: exit $rc"
[ -s "$t/out" ] && fail "typo: a policy was printed"
grep '^socklock: cluster.yaml:23:14: ' README.md | cmp -s - "$t/err" ||
    fail "typo: $(cat "$t/err") is not the README's message"

# --explain, as the README shows it.
awk '/--explain sock-shop istio/,/^```$/' README.md | sed '1d;$d' > "$t/want"
"$bin" policy "$cluster" --explain sock-shop istio/proxyv2:1.20.0 > "$t/out" ||
    fail "explain: exit $?"
cmp -s "$t/want" "$t/out" || fail "explain differs from the README: $(diff "$t/want" "$t/out")"

# Warnings go to stderr, the exit status stays 0.
"$bin" policy tests/fixtures/policy/warnings/shadowed.yaml > /dev/null 2> "$t/err" ||
    fail "warnings: exit $?"
grep -q '^socklock: warning: tests/fixtures/policy/warnings/shadowed.yaml:9:12: namespaces\[1\].match: never used' "$t/err" ||
    fail "warnings: $(cat "$t/err")"

# check with the example policy over the Sock Shop: the databases' capability adds are
# waived, by name; rabbitmq's are not.
"$bin" check --policy "$cluster" tests/conformance/sock-shop/manifests > "$t/out"; rc=$?
[ "$rc" -eq 1 ] || fail "check: exit $rc"
grep -q '03-carts-db-dep.yaml:2: Deployment sock-shop/carts-db: capabilities_restricted: container "carts-db" adding "CHOWN", "SETGID", "SETUID" (waived by exception "sock-shop-databases")' "$t/out" ||
    fail "check: no waived line for carts-db"
[ "$(grep -c 'waived by exception' "$t/out")" -eq 4 ] || fail "check: not 4 waived lines"
grep -q 'rabbitmq: capabilities_restricted: .*container "rabbitmq" must not include "CHOWN", "DAC_OVERRIDE", "SETGID", "SETUID"' "$t/out" ||
    fail "check: rabbitmq's adds are not reported"
tail -1 "$t/out" | grep -q '; 4 violations waived; network: 15 warnings, 0 denied$' || fail "check summary: $(tail -1 "$t/out")"
"$bin" check --policy "$cluster" -o json tests/conformance/sock-shop/manifests/03-carts-db-dep.yaml > "$t/json"
python3 - "$t/json" <<'EOF' || fail "check JSON: waived"
import json, sys
d = json.load(open(sys.argv[1]))
o = d["objects"][0]
assert d["summary"]["waived"] == 1, d["summary"]
assert o["profile"] == "default", o["profile"]
assert o["waived"] == [{"check": "capabilities_restricted", "reason": "unrestricted capabilities",
                        "detail": 'container "carts-db" adding "CHOWN", "SETGID", "SETUID"',
                        "exception": "sock-shop-databases"}], o["waived"]
EOF
exit 0
