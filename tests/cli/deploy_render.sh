#!/bin/sh
# What deploy/ installs, as `kubectl kustomize` renders it from a clean checkout (with
# whatever kubectl is at hand: CI has Debian's 1.20, whose kustomize is v2.0.3, so the
# kustomizations use only what that and v5 both read):
# - the server (base, and the overlays cert-manager and static) holds no webhook
#   configuration, which comes in a kustomization of its own applied once the pods are Ready;
# - every object carries the six app.kubernetes.io labels and sits in socklock-system, but
#   the cluster-scoped ones, which have no namespace;
# - a ServiceAccount with no token and no RBAC anywhere; the pod runs as 10001 with fsGroup
#   10001 and a Secret mode its group can read, hardened, spread, prioritised, with a PDB
#   that lets one of its two replicas go;
# - cert-manager: self-signed Issuer -> CA Certificate -> CA Issuer -> serving Certificate
#   into socklock-tls, for the Service's names, injected into both configurations;
# - static: the Secret and every webhook's caBundle from deploy/static/generate.sh, the CA
#   it wrote; no key or certificate in a tracked file;
# - the webhook configurations as the admission contract says (failure policies, rules,
#   timeouts, side effects), leaving out kube-system and socklock-system by the
#   kubernetes.io/metadata.name label, never by a label a user could set.
set -u
bin=${SOCKLOCK_BIN:-./socklock}
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
kubectl=${KUBECTL:-kubectl}
fail() { echo "deploy_render: $*"; exit 1; }
command -v "$kubectl" > /dev/null || fail "no $kubectl (make deps installs Debian's kubernetes-client)"
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
cp -R deploy "$t/deploy"
rm -rf "$t/deploy/static/generated" "$t/deploy/webhooks/static/generated"
# Without the generated files the static overlays do not build: nothing is pasted in.
"$kubectl" kustomize "$t/deploy/static" > /dev/null 2>&1 && fail "deploy/static builds without generated files"
SOCKLOCK_BIN=$bin sh "$t/deploy/static/generate.sh" > "$t/gen.out" 2>&1 || fail "generate.sh: $(cat "$t/gen.out")"
[ "$(stat -c %a "$t/deploy/static/generated/tls.key")" = 600 ] || fail "tls.key is not 0600"
[ -e "$t/deploy/static/generated/ca.key" ] && fail "generate.sh kept the CA's key"
for k in base cert-manager static monitoring webhooks/base webhooks/cert-manager webhooks/static; do
    "$kubectl" kustomize "$t/deploy/$k" > "$t/$(echo "$k" | tr / -).yaml" 2> "$t/err" ||
        fail "kubectl kustomize deploy/$k: $(cat "$t/err")"
done

# Tracked files hold no key, certificate or caBundle value.
if command -v git > /dev/null && git rev-parse --git-dir > /dev/null 2>&1; then
    files=$(git ls-files deploy)
    [ -n "$files" ] || fail "git ls-files deploy: nothing"
    # shellcheck disable=SC2086
    grep -l -E -e 'BEGIN .*PRIVATE KEY' -e 'BEGIN CERTIFICATE' -e '^[^#]*caBundle: *[A-Za-z0-9+/=]{8}' $files &&
        fail "key or certificate material in tracked files"
    for f in deploy/static/generated/tls.key deploy/webhooks/static/generated/x.yaml; do
        git check-ignore -q "$f" || fail "$f is not ignored by git"
    done
fi

python3 - "$t" << 'PY' || fail "rendered manifests"
import base64, sys
import yaml
t = sys.argv[1]
def load(n):
    return [d for d in yaml.safe_load_all(open("%s/%s.yaml" % (t, n))) if d]
def by_kind(docs):
    out = {}
    for d in docs:
        out.setdefault(d["kind"], []).append(d)
    return out

NS = "socklock-system"
CLUSTER = {"Namespace", "PriorityClass", "ValidatingWebhookConfiguration",
           "MutatingWebhookConfiguration"}
LABELS = {"app.kubernetes.io/" + k for k in
          ("name", "instance", "version", "component", "part-of", "managed-by")}
RBAC = {"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"}
HOOKS = {"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"}
rendered = {n: load(n) for n in ("base", "cert-manager", "static", "monitoring",
                                 "webhooks-base", "webhooks-cert-manager", "webhooks-static")}
for n, docs in rendered.items():
    for d in docs:
        m = d["metadata"]
        what = "%s: %s %s" % (n, d["kind"], m["name"])
        assert LABELS <= set(m.get("labels", {})), what + ": labels " + str(m.get("labels"))
        assert m["labels"]["app.kubernetes.io/name"] == "socklock", what
        if d["kind"] in CLUSTER:
            # kustomize v2.0.3 writes a namespace into kinds it does not know; none here.
            assert "namespace" not in m, what + ": a cluster-scoped object with a namespace"
        else:
            assert m.get("namespace") == NS, what + ": namespace " + str(m.get("namespace"))
        assert d["kind"] not in RBAC, what + ": socklock needs no RBAC"
        if n.startswith("webhooks"):
            assert d["kind"] in HOOKS, what
        else:
            assert d["kind"] not in HOOKS, what + ": applied with the server, before it is Ready"

# The server, the same in both overlays but for the certificate's source.
base = by_kind(rendered["base"])
assert sorted(base) == sorted(["Namespace", "PriorityClass", "ServiceAccount", "ConfigMap",
                               "Deployment", "Service", "NetworkPolicy",
                               "PodDisruptionBudget"]), sorted(base)
assert "Secret" not in base
for n in ("cert-manager", "static"):
    for d in rendered["base"]:
        assert d in rendered[n], "%s changes the base's %s" % (n, d["kind"])
(ns,) = base["Namespace"]
assert ns["metadata"]["name"] == NS
assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
(sa,) = base["ServiceAccount"]
assert sa["automountServiceAccountToken"] is False
(dep,) = base["Deployment"]
pod = dep["spec"]["template"]["spec"]
assert pod["serviceAccountName"] == sa["metadata"]["name"]
assert pod["automountServiceAccountToken"] is False
psc = pod["securityContext"]
assert psc["runAsNonRoot"] is True and psc["runAsUser"] == 10001 and psc["runAsGroup"] == 10001
assert psc["fsGroup"] == 10001 and psc["seccompProfile"]["type"] == "RuntimeDefault"
(c,) = pod["containers"]
sc = c["securityContext"]
assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
assert sc["capabilities"]["drop"] == ["ALL"] and "add" not in sc["capabilities"]
vols = {v["name"]: v for v in pod["volumes"]}
mode = vols["tls"]["secret"]["defaultMode"]
assert mode & 0o040 and not mode & 0o007, "the Secret's group (fsGroup) must read it: %o" % mode
assert vols["tls"]["secret"]["secretName"] == "socklock-tls"
assert "--cert=/etc/socklock/tls/tls.crt" in c["args"] and "--key=/etc/socklock/tls/tls.key" in c["args"]
# The policy: a ConfigMap applied as it is (no generator's hash suffix, no rollout per change),
# mounted read-only without subPath (which the kubelet never updates), the file --policy names.
(cm,) = base["ConfigMap"]
assert cm["metadata"]["name"] == "socklock-policy" and set(cm["data"]) == {"policy.yaml"}
assert vols["policy"]["configMap"]["name"] == "socklock-policy"
(mount,) = [m for m in c["volumeMounts"] if m["name"] == "policy"]
assert mount["readOnly"] is True and "subPath" not in mount
assert "--policy=" + mount["mountPath"] + "/policy.yaml" in c["args"], c["args"]
# Availability: two replicas, a rollout that never drops below them, one may be disrupted.
assert dep["spec"]["replicas"] == 2
assert dep["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
(pdb,) = base["PodDisruptionBudget"]
assert pdb["spec"]["minAvailable"] == 1
podsel = dep["spec"]["selector"]["matchLabels"]
assert "app.kubernetes.io/version" not in podsel, "the selector is immutable: no version in it"
assert pdb["spec"]["selector"]["matchLabels"] == podsel
tl = dep["spec"]["template"]["metadata"]["labels"]
assert all(tl[k] == v for k, v in podsel.items())
(svc,) = base["Service"]
assert svc["spec"]["selector"] == podsel
assert {s["topologyKey"] for s in pod["topologySpreadConstraints"]} == \
    {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
(pc,) = base["PriorityClass"]
assert pod["priorityClassName"] == pc["metadata"]["name"] and pc["value"] <= 1000000000
assert pc["globalDefault"] is False
# Memory: the limit is above what the limits allow in flight, in MiB.
lim = c["resources"]["limits"]["memory"]
assert lim.endswith("Mi") and int(lim[:-2]) > 64 + 7 * 2, lim

# cert-manager: the chain, and the serving certificate for the Service's names.
cmk = by_kind(rendered["cert-manager"])
issuers = {i["metadata"]["name"]: i["spec"] for i in cmk["Issuer"]}
certs = {x["metadata"]["name"]: x["spec"] for x in cmk["Certificate"]}
ca, serving = certs["socklock-ca"], certs["socklock-serving"]
assert ca["isCA"] is True and "selfSigned" in issuers[ca["issuerRef"]["name"]]
ca_issuer = serving["issuerRef"]["name"]
assert issuers[ca_issuer]["ca"]["secretName"] == ca["secretName"]
assert serving["secretName"] == "socklock-tls"
svcname = "%s.%s.svc" % (svc["metadata"]["name"], NS)
assert svcname in serving["dnsNames"], serving["dnsNames"]
assert "server auth" in serving["usages"]

# The webhook configurations.
def hooks(n):
    k = by_kind(rendered[n])
    (v,) = k["ValidatingWebhookConfiguration"]
    (m,) = k["MutatingWebhookConfiguration"]
    return v, m
v, m = hooks("webhooks-base")
vh = {h["name"]: h for h in v["webhooks"]}
pods = vh["pods.validate.socklock.dev"]
assert pods["failurePolicy"] == "Fail" and pods["sideEffects"] == "None"
assert pods["timeoutSeconds"] == 5 and pods["matchPolicy"] == "Equivalent"
assert pods["admissionReviewVersions"] == ["v1"]
(rule,) = pods["rules"]
assert set(rule["resources"]) == {"pods", "pods/ephemeralcontainers"}, rule
assert set(rule["operations"]) == {"CREATE", "UPDATE"}
work = vh["workloads.validate.socklock.dev"]
assert work["failurePolicy"] == "Ignore" and work["timeoutSeconds"] == 5
(mh,) = m["webhooks"]
assert mh["failurePolicy"] == "Ignore" and mh["reinvocationPolicy"] == "IfNeeded"
assert mh["sideEffects"] == "None" and mh["timeoutSeconds"] == 5
rules = {(tuple(r["operations"]), tuple(r["resources"])) for r in mh["rules"]}
assert rules == {(("CREATE",), ("pods",)), (("UPDATE",), ("pods/ephemeralcontainers",))}, rules
for n in ("webhooks-base", "webhooks-cert-manager", "webhooks-static"):
    for conf in hooks(n):
        for h in conf["webhooks"]:
            what = "%s: %s" % (n, h["name"])
            sel = h["namespaceSelector"]
            assert list(sel) == ["matchExpressions"], what + ": only the name label selects"
            (e,) = sel["matchExpressions"]
            assert e["key"] == "kubernetes.io/metadata.name" and e["operator"] == "NotIn", what
            assert set(e["values"]) == {"kube-system", NS}, what
            assert "objectSelector" not in h, what + ": a user could set the labels"
            s = h["clientConfig"]["service"]
            assert (s["name"], s["namespace"]) == (svc["metadata"]["name"], NS), what
            assert s["path"] == ("/mutate" if "mutate" in h["name"] else "/validate"), what
            if n == "webhooks-base":
                assert "caBundle" not in h["clientConfig"], what
    # Apart from the caBundle and the injection annotation, the overlays change nothing.
    for a, b in zip(hooks(n), hooks("webhooks-base")):
        a = yaml.safe_load(yaml.safe_dump(a))
        a["metadata"].get("annotations", {}).pop("cert-manager.io/inject-ca-from", None)
        if not a["metadata"].get("annotations"):
            a["metadata"].pop("annotations", None)
        for h in a["webhooks"]:
            h["clientConfig"].pop("caBundle", None)
        assert a == b, n
for conf in hooks("webhooks-cert-manager"):
    ann = conf["metadata"]["annotations"]["cert-manager.io/inject-ca-from"]
    assert ann == NS + "/socklock-serving", ann
ca_pem = open(t + "/deploy/static/generated/ca.crt", "rb").read()
for conf in hooks("webhooks-static"):
    for h in conf["webhooks"]:
        assert base64.b64decode(h["clientConfig"]["caBundle"]) == ca_pem, h["name"]

# static: the Secret from the generated files.
(sec,) = by_kind(rendered["static"])["Secret"]
assert sec["metadata"]["name"] == "socklock-tls" and sec["type"] == "kubernetes.io/tls"
for f in ("tls.crt", "tls.key", "ca.crt"):
    data = base64.b64decode("".join(sec["data"][f].split()))
    assert data == open(t + "/deploy/static/generated/" + f, "rb").read(), f

# monitoring: a ServiceMonitor that finds the Service's port and verifies its certificate.
(smon,) = by_kind(rendered["monitoring"])["ServiceMonitor"]
assert smon["spec"]["selector"]["matchLabels"] == podsel
(ep,) = smon["spec"]["endpoints"]
assert ep["port"] in {p["name"] for p in svc["spec"]["ports"]} and ep["path"] == "/metrics"
assert ep["scheme"] == "https" and ep["tlsConfig"]["serverName"] == svcname
assert not ep["tlsConfig"].get("insecureSkipVerify")
PY

# The served certificate is valid for the name the API server calls.
openssl verify -CAfile "$t/deploy/static/generated/ca.crt" -verify_hostname socklock.socklock-system.svc \
    -purpose sslserver "$t/deploy/static/generated/tls.crt" > "$t/verify" 2>&1 ||
    fail "static certificate: $(cat "$t/verify")"

# RENEW=1: a new CA and certificate; the caBundle trusts the old CA too until it is removed.
old=$(cat "$t/deploy/static/generated/ca.crt")
RENEW=1 SOCKLOCK_BIN=$bin sh "$t/deploy/static/generate.sh" > "$t/gen.out" 2>&1 || fail "RENEW=1: $(cat "$t/gen.out")"
[ "$(cat "$t/deploy/static/generated/ca-previous.crt")" = "$old" ] || fail "RENEW=1 did not keep the old CA"
"$kubectl" kustomize "$t/deploy/webhooks/static" > "$t/renew.yaml" 2> "$t/err" || fail "kustomize after RENEW=1: $(cat "$t/err")"
python3 - "$t" << 'PY' || fail "caBundle after RENEW=1"
import base64, sys
import yaml
t = sys.argv[1]
want = open(t + "/deploy/static/generated/ca.crt", "rb").read() + \
    open(t + "/deploy/static/generated/ca-previous.crt", "rb").read()
for d in yaml.safe_load_all(open(t + "/renew.yaml")):
    for h in d["webhooks"]:
        assert base64.b64decode(h["clientConfig"]["caBundle"]) == want, h["name"]
PY
exit 0
