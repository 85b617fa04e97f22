#!/bin/sh
# socklock lives by its own rules: its deploy/ manifests pass `socklock check` under the
# default profile's checks with no exemptions (its own namespace is exempt by default, so
# the plain default would prove nothing), and the webhook configurations say what
# docs/admission.md says: pods fail closed, templates are advisory, mutation fails open and
# may be called again, namespaces are chosen by the label a user cannot forge. The policy is
# a plain ConfigMap (no generator, whose hash suffix would need a rollout for each change),
# mounted read-only and passed with --policy, and it is the embedded default policy.
set -u
bin=${SOCKLOCK_BIN:-./socklock}
fail() { echo "deploy_self_check: $*"; exit 1; }
out=$("$bin" check --policy tests/fixtures/policy/strict.yaml deploy/) || fail "deploy/ fails its own check: $out"
# The Deployment must have been judged, not skipped: exactly one object with pods, allowed.
echo "$out" | grep -q '^1 object checked: 1 allowed, 0 denied;' || fail "not judged as expected: $out"
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
python3 - "$t/policy.yaml" <<'PY' || fail "webhook configuration or policy ConfigMap"
import sys
import yaml
docs = [d for d in yaml.safe_load_all(open("deploy/base/validatingwebhookconfiguration.yaml")) if d]
hooks = {h["name"]: h for h in docs[0]["webhooks"]}
pods = hooks["pods.validate.socklock.dev"]
assert pods["failurePolicy"] == "Fail" and pods["sideEffects"] == "None"
assert pods["timeoutSeconds"] == 5 and pods["matchPolicy"] == "Equivalent"
assert pods["admissionReviewVersions"] == ["v1"]
res = pods["rules"][0]["resources"]
assert "pods" in res and "pods/ephemeralcontainers" in res, res
assert set(pods["rules"][0]["operations"]) == {"CREATE", "UPDATE"}
for h in hooks.values():
    sel = h["namespaceSelector"]["matchExpressions"][0]
    assert sel["key"] == "kubernetes.io/metadata.name" and sel["operator"] == "NotIn"
    assert set(sel["values"]) == {"kube-system", "socklock-system"}
    assert "objectSelector" not in h
work = hooks["workloads.validate.socklock.dev"]
assert work["failurePolicy"] == "Ignore"
mdocs = [d for d in yaml.safe_load_all(open("deploy/base/mutatingwebhookconfiguration.yaml")) if d]
assert mdocs[0]["kind"] == "MutatingWebhookConfiguration"
(m,) = mdocs[0]["webhooks"]
assert m["failurePolicy"] == "Ignore" and m["reinvocationPolicy"] == "IfNeeded"
assert m["sideEffects"] == "None" and m["timeoutSeconds"] == 5
assert m["clientConfig"]["service"]["path"] == "/mutate"
assert m["namespaceSelector"] == pods["namespaceSelector"] and "objectSelector" not in m
rules = {(tuple(r["operations"]), tuple(r["resources"])) for r in m["rules"]}
assert rules == {(("CREATE",), ("pods",)), (("UPDATE",), ("pods/ephemeralcontainers",))}, rules
kust = yaml.safe_load(open("deploy/base/kustomization.yaml"))
assert "mutatingwebhookconfiguration.yaml" in kust["resources"]
dep = yaml.safe_load(open("deploy/base/deployment.yaml"))
pod = dep["spec"]["template"]["spec"]
assert pod["automountServiceAccountToken"] is False
c = pod["containers"][0]["securityContext"]
assert c["readOnlyRootFilesystem"] and c["capabilities"]["drop"] == ["ALL"]
assert c["allowPrivilegeEscalation"] is False and pod["securityContext"]["runAsNonRoot"]
# The policy: a ConfigMap applied as it is, mounted without subPath (which the kubelet never
# updates), read-only, in a folder of its own, and the file --policy names.
assert "configmap.yaml" in kust["resources"] and "configMapGenerator" not in kust
(cm,) = [d for d in yaml.safe_load_all(open("deploy/base/configmap.yaml")) if d]
assert cm["kind"] == "ConfigMap" and cm["metadata"]["name"] == "socklock-policy"
assert set(cm["data"]) == {"policy.yaml"}
vols = {v["name"]: v for v in pod["volumes"]}
assert vols["policy"]["configMap"]["name"] == "socklock-policy"
(mount,) = [m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "policy"]
assert mount["readOnly"] is True and "subPath" not in mount
assert mount["mountPath"] == "/etc/socklock/policy", mount
args = pod["containers"][0]["args"]
assert "--policy=" + mount["mountPath"] + "/policy.yaml" in args, args
open(sys.argv[1], "w").write(cm["data"]["policy.yaml"])
PY
# The ConfigMap's policy loads, and is the embedded default.
"$bin" policy "$t/policy.yaml" > "$t/cm.dump" 2>&1 || fail "the ConfigMap's policy.yaml: $(cat "$t/cm.dump")"
"$bin" policy > "$t/default.dump" || fail "socklock policy"
cmp -s "$t/cm.dump" "$t/default.dump" || fail "the ConfigMap's policy is not the embedded default: $(diff "$t/default.dump" "$t/cm.dump")"
exit 0
