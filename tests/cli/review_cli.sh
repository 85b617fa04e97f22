#!/bin/sh
# `socklock review`: the answer a user sees for files, stdin and bad input, and exit codes.
set -u
bin=${SOCKLOCK_BIN:-./socklock}
fx=tests/fixtures/reviews
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
fail() { echo "review_cli: $*"; exit 1; }

"$bin" review "$fx/pod-root.json" > "$t/out" || fail "denied review exited $?"
python3 - "$t/out" <<'PY' || fail "denial not as expected"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["apiVersion"] == "admission.k8s.io/v1" and r["kind"] == "AdmissionReview"
resp = r["response"]
assert resp["uid"] == "705ab4f5-6393-11e8-b7cc-42010a800002"
assert resp["allowed"] is False
st = resp["status"]
assert st["code"] == 403 and st["reason"] == "Forbidden"
m = st["message"]
assert m.startswith('pod "web" violates profile "default": '), m
for want in ['runAsUser=0 (container "app" must not set runAsUser=0)',
             'readOnlyRootFilesystem != true (container "app" must set securityContext.readOnlyRootFilesystem=true)',
             'allowPrivilegeEscalation != false (container "app"',
             'unrestricted capabilities (container "app"']:
    assert want in m, (want, m)
PY

"$bin" review - < "$fx/pod-compliant.json" > "$t/ok" || fail "stdin review exited $?"
python3 -c '
import json,sys; r=json.load(open(sys.argv[1]))["response"]
assert r["allowed"] is True and "status" not in r and "patch" not in r, r' "$t/ok" || fail "compliant pod not allowed"

# The typical Deployment: Sock Shop carts, missing what the talk's lessons miss. The default
# profile mutates pods, so /validate allows it and says what its pods will get; without
# mutation (levels.yaml) it is denied for the same checks.
"$bin" review "$fx/deployment-sockshop.json" > "$t/dep" || fail "deployment review exited $?"
python3 - "$t/dep" <<'PY' || fail "deployment answer: $(cat "$t/dep")"
import json, sys
resp = json.load(open(sys.argv[1]))["response"]
assert resp["allowed"] is True and "status" not in resp, resp
w = resp["warnings"]
assert all(x.startswith("socklock default: pods will be patched: ") for x in w), w
assert any("allowPrivilegeEscalation != false" in x for x in w), w
PY
"$bin" review --policy tests/fixtures/policy/levels.yaml --profile restricted "$fx/deployment-sockshop.json" > "$t/dep2" \
    || fail "deployment review exited $?"
grep -q 'deployment \\"carts\\" violates profile \\"restricted\\"' "$t/dep2" || fail "deployment message: $(cat "$t/dep2")"

# --mutate: the answer /mutate gives, a JSONPatch for the root pod, decoded independently.
"$bin" review --mutate "$fx/pod-root.json" > "$t/m" || fail "mutate review exited $?"
python3 - "$t/m" <<'PY' || fail "mutate answer: $(cat "$t/m")"
import base64, json, sys
resp = json.load(open(sys.argv[1]))["response"]
assert resp["allowed"] is True and resp["patchType"] == "JSONPatch", resp
ops = json.loads(base64.b64decode(resp["patch"]))
paths = [o["path"] for o in ops]
assert "/spec/securityContext" in paths and all(o["op"] == "add" for o in ops), ops
# runAsUser: 0 is explicit and the default profile does not override it: a warning.
assert any("not fixed: runAsUser=0" in w for w in resp["warnings"]), resp["warnings"]
PY

# Bad input: exit 2 and the server's 400 body on stderr.
printf '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}' > "$t/bad.json"
"$bin" review "$t/bad.json" > /dev/null 2> "$t/err"; rc=$?
[ "$rc" -eq 2 ] || fail "bad review exit $rc"
grep -q 'HTTP 400.*not an AdmissionReview' "$t/err" || fail "bad review stderr: $(cat "$t/err")"
"$bin" review "$t/missing.json" 2> "$t/err" >/dev/null; rc=$?
[ "$rc" -eq 2 ] && grep -q "missing.json" "$t/err" || fail "missing file: exit $rc $(cat "$t/err")"
"$bin" review --profile nope "$fx/pod-root.json" 2> "$t/err" >/dev/null; rc=$?
[ "$rc" -eq 2 ] && grep -q 'no profile named "nope"' "$t/err" || fail "unknown profile: exit $rc"
"$bin" review --bogus 2>/dev/null >/dev/null; rc=$?
[ "$rc" -eq 2 ] || fail "unknown option exit $rc"

# A profile from a policy file: baseline allows the root pod's runAsUser but not privileged.
"$bin" review --policy tests/fixtures/policy/levels.yaml --profile baseline "$fx/pod-root.json" > "$t/b" \
    || fail "baseline review exited $?"
grep -q '"allowed":true' "$t/b" || fail "baseline should allow runAsUser 0: $(cat "$t/b")"
exit 0
