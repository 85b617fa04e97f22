#!/bin/sh
# `socklock policy`: prints the effective policy; invalid files exit 2 with FILE:LINE:COLUMN.
set -u
bin=${SOCKLOCK_BIN:-./socklock}
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
exit 0
