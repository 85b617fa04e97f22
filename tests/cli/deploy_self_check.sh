#!/bin/sh
# socklock lives by its own rules. Every kustomization in deploy/ is rendered with
# `kubectl kustomize` (deploy_render.sh checks what they hold), and every object printed
# passes `socklock check` with the embedded default policy once moved out of socklock's own
# namespace, which that policy exempts (judged where it is, it would prove nothing): the
# Deployment is judged, with no violation and no warning. The folder itself, read by
# `socklock check deploy/`, holds nothing it cannot read. The policy ConfigMap is the
# embedded default policy, word for word as `socklock policy` prints it.
set -u
bin=${SOCKLOCK_BIN:-./socklock}
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
kubectl=${KUBECTL:-kubectl}
fail() { echo "deploy_self_check: $*"; exit 1; }
command -v "$kubectl" > /dev/null || fail "no $kubectl (make deps installs Debian's kubernetes-client)"
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
# A copy, as a clean checkout has it: no generated certificates; the static overlays get
# theirs from the documented command.
cp -R deploy "$t/deploy"
rm -rf "$t/deploy/static/generated" "$t/deploy/webhooks/static/generated"
SOCKLOCK_BIN=$bin sh "$t/deploy/static/generate.sh" > "$t/gen.out" 2>&1 || fail "generate.sh: $(cat "$t/gen.out")"

# The folder as it is, generated files included, read by `socklock check` as a user would:
# every file parses, and the Deployment passes the default profile's checks with no
# exemption (tests/fixtures/policy/strict.yaml).
out=$("$bin" check --policy tests/fixtures/policy/strict.yaml "$t/deploy" 2>&1) ||
    fail "socklock check deploy/: $out"
echo "$out" | grep -q '^1 object checked: 1 allowed, 0 denied;' || fail "socklock check deploy/: $out"

for k in base cert-manager static monitoring webhooks/base webhooks/cert-manager webhooks/static; do
    n=$(echo "$k" | tr / -)
    "$kubectl" kustomize "$t/deploy/$k" > "$t/$n.yaml" 2> "$t/err" || fail "kubectl kustomize deploy/$k: $(cat "$t/err")"
    python3 - "$t/$n.yaml" > "$t/$n.moved.yaml" << 'PY' || fail "deploy/$k: moving out of socklock-system"
import sys
import yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
assert docs, "nothing rendered"
for d in docs:
    if d["metadata"].get("namespace") == "socklock-system":
        d["metadata"]["namespace"] = "dogfood"
yaml.safe_dump_all(docs, sys.stdout)
PY
    "$bin" check -o json - < "$t/$n.moved.yaml" > "$t/$n.json" 2> "$t/err"; rc=$?
    [ "$rc" -eq 0 ] || fail "deploy/$k fails socklock check (exit $rc): $(cat "$t/$n.json" "$t/err")"
    python3 - "$t/$n.json" "$k" << 'PY' || fail "deploy/$k: not judged as expected: $(cat "$t/$n.json")"
import json, sys
objs = json.load(open(sys.argv[1]))["objects"]
judged = [o for o in objs if o["verdict"] != "skipped"]
server = sys.argv[2] in ("base", "cert-manager", "static")
if server:
    (d,) = judged
    assert d["kind"] == "Deployment" and d["namespace"] == "dogfood", d
    assert d["profile"] == "default", d
    assert d["verdict"] == "allowed" and not d["violations"] and not d["warnings"], d
else:
    assert judged == [], judged
PY
done

# The ConfigMap's policy loads, and is the embedded default.
python3 - "$t/base.yaml" > "$t/policy.yaml" << 'PY' || fail "no policy ConfigMap"
import sys
import yaml
(cm,) = [d for d in yaml.safe_load_all(open(sys.argv[1]))
         if d and d["kind"] == "ConfigMap" and d["metadata"]["name"] == "socklock-policy"]
sys.stdout.write(cm["data"]["policy.yaml"])
PY
"$bin" policy "$t/policy.yaml" > "$t/cm.dump" 2>&1 || fail "the ConfigMap's policy.yaml: $(cat "$t/cm.dump")"
"$bin" policy > "$t/default.dump" || fail "socklock policy"
cmp -s "$t/cm.dump" "$t/default.dump" || fail "the ConfigMap's policy is not the embedded default: $(diff "$t/default.dump" "$t/cm.dump")"
exit 0
