#!/bin/sh
# socklock lives by its own rules: its deploy/ manifests pass `socklock check` under the
# default profile's checks with no exemptions (its own namespace is exempt by default, so
# the plain default would prove nothing), and the webhook configurations say what
# docs/admission.md says: pods fail closed, templates are advisory, mutation fails open and
# may be called again, namespaces are chosen by the label a user cannot forge.
set -u
bin=${SOCKLOCK_BIN:-./socklock}
fail() { echo "deploy_self_check: $*"; exit 1; }
out=$("$bin" check --policy tests/fixtures/policy/strict.yaml deploy/) || fail "deploy/ fails its own check: $out"
# The Deployment must have been judged, not skipped: exactly one object with pods, allowed.
echo "$out" | grep -q '^1 object checked: 1 allowed, 0 denied;' || fail "not judged as expected: $out"
python3 - <<'PY' || fail "webhook configuration"
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
PY
exit 0
