#!/bin/sh
# A partial manifest (a kustomize patch without a pod template) carries no pods: check
# skips it and exits 0, as Pod Security Admission allows an empty or nil template; a
# template that is present but not a mapping is denied (fail closed).
set -u
bin=${SOCKLOCK_BIN:-./socklock}
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
fail() { echo "check_partial: $*"; exit 1; }
out=$("$bin" check tests/fixtures/manifests/patch-no-template.yaml) || fail "exit $?: $out"
echo "$out" | grep -q '0 objects checked: 0 allowed, 0 denied; 1 skipped (no pod spec)' || fail "$out"
printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {template: broken}\n' > "$t/bad.yaml"
out=$("$bin" check "$t/bad.yaml"); rc=$?
[ "$rc" -eq 1 ] || fail "broken template exit $rc: $out"
echo "$out" | grep -q 'spec.template is not an object' || fail "$out"
exit 0
