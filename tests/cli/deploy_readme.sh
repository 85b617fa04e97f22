#!/bin/sh
# The README's "Install in a cluster" says what a new cluster will do; without a cluster, this
# holds it to that as far as socklock decides it:
# - the smoke test's three pods, as the API server would send them to the shipped webhooks
#   (/mutate first, its patch applied with the json-patch library, then /validate, through
#   `socklock review` with the policy of deploy/base's ConfigMap): the root pod denied with
#   the quoted message, the hardened pod admitted untouched, the bare one patched into the
#   two printed securityContexts and admitted;
# - every kustomization and make target the section names exists;
# - the uninstall and break-glass commands remove the webhook configurations first, by the
#   names deploy/ gives them.
set -u
bin=${SOCKLOCK_BIN:-./socklock}
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
fail() { echo "deploy_readme: $*"; exit 1; }
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
awk '/^## Install in a cluster/ { on = 1; print; next } on && /^## / { exit } on' README.md > "$t/section.md"
[ -s "$t/section.md" ] || fail "README has no \"Install in a cluster\" section"

python3 - "$t" "$bin" << 'PY' || fail "smoke test"
import base64, json, re, subprocess, sys
import jsonpatch
import yaml
t, bin_ = sys.argv[1], sys.argv[2]
text = open(t + "/section.md").read()
smoke = text[text.index("### Smoke test"):text.index("### Upgrade")]
pods = {}
for block in re.findall(r"<<'YAML'\n(.*?)\nYAML\n", smoke, re.S):
    pod = yaml.safe_load(block)
    pods[pod["metadata"]["name"]] = pod
assert sorted(pods) == ["hardened", "patched", "root"], sorted(pods)
(cm,) = [d for d in yaml.safe_load_all(open("deploy/base/configmap.yaml")) if d]
open(t + "/policy.yaml", "w").write(cm["data"]["policy.yaml"])

def review(pod, mutate):
    rv = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
          "request": {"uid": "0f6d1c36-0000-4000-8000-000000000001",
                      "kind": {"group": "", "version": "v1", "kind": "Pod"},
                      "resource": {"group": "", "version": "v1", "resource": "pods"},
                      "namespace": pod["metadata"]["namespace"],
                      "name": pod["metadata"]["name"], "operation": "CREATE",
                      "userInfo": {"username": "kubernetes-admin"}, "object": pod}}
    open(t + "/review.json", "w").write(json.dumps(rv))
    args = [bin_, "review", "--policy", t + "/policy.yaml"] + (["--mutate"] if mutate else [])
    out = subprocess.run(args + [t + "/review.json"], capture_output=True, text=True)
    return json.loads(out.stdout)["response"]

def admit(pod):
    m = review(pod, True)
    assert m["allowed"] is True, m
    patched = pod
    if "patch" in m:
        patched = jsonpatch.apply_patch(pod, json.loads(base64.b64decode(m["patch"])))
    return m, patched, review(patched, False)

for p in pods.values():
    ns = p["metadata"]["namespace"]
    assert ns not in ("kube-system", "socklock-system"), ns
    assert "kubectl create namespace " + ns in smoke

m, _, v = admit(pods["root"])
assert v["allowed"] is False and v["status"]["code"] == 403, v
quoted = re.search(r'denied the request: (pod "root".*?\))`', smoke, re.S).group(1)
assert v["status"]["message"] == " ".join(quoted.split()), (v["status"]["message"], quoted)
assert any("not fixed" in w for w in m.get("warnings", [])), m

m, after, v = admit(pods["hardened"])
assert "patch" not in m and after == pods["hardened"] and v["allowed"] is True, (m, v)

m, after, v = admit(pods["patched"])
assert "patch" in m and v["allowed"] is True, (m, v)
printed = re.search(r"```\n(\{.*\})\n(\{.*\})\n```", smoke).groups()
got = (json.dumps(after["spec"]["securityContext"], sort_keys=True, separators=(",", ":")),
       json.dumps(after["spec"]["containers"][0]["securityContext"], sort_keys=True,
                  separators=(",", ":")))
assert got == printed, (got, printed)
assert {"name": "socklock-tmp", "mountPath": "/tmp"} in after["spec"]["containers"][0]["volumeMounts"]
PY

# Every kustomization the section applies exists; every make target it runs is in the Makefile.
for k in $(grep -o -- '-k deploy/[a-z/-]*' "$t/section.md" | sed 's/^-k //' | sort -u); do
    [ -f "$k/kustomization.yaml" ] || fail "the README applies $k, which has no kustomization.yaml"
done
for target in $(grep -o 'make [a-z-]*' "$t/section.md" | sed 's/^make //' | sort -u); do
    grep -q "^$target:" Makefile || fail "the README runs make $target, which the Makefile lacks"
done
# Uninstall and break-glass: the webhook configurations go first, by their names in deploy/.
for sub in Uninstall Break-glass; do
    awk -v h="### $sub" '$0 == h { on = 1; next } on && /^###? / { exit } on' "$t/section.md" |
        grep -E '^kubectl (delete|patch)|^kubectl delete validating' | head -1 > "$t/first"
    grep -q -E 'webhooks|webhookconfiguration' "$t/first" || fail "$sub does not start with the webhook configurations: $(cat "$t/first")"
done
for kind in validating mutating; do
    name=$(sed -n 's/^  name: //p' "deploy/webhooks/base/${kind}webhookconfiguration.yaml" | head -1)
    grep -q "kubectl delete ${kind}webhookconfiguration $name" "$t/section.md" ||
        fail "break-glass does not delete the ${kind}webhookconfiguration $name"
done
exit 0
