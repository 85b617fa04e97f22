#!/bin/sh
# `socklock fix` over manifests nobody wrote for it (tests/tools/fix_property.py says what is
# checked: the fixed documents read back with PyYAML as the originals with their /mutate
# patches applied by python-jsonpatch; 0 bytes changed outside the edits; `check` afterwards
# finds nothing fixable; fixing again changes nothing; --diff reproduces --write). The
# vendored sets as they are, then the same manifests written again in four other styles
# (tests/tools/restyle.py). The counts are pinned: a change in them is a change in what fix
# does, to be explained in the commit that makes it.
conf=${SOCKLOCK_CONFORMANCE:-tests/conformance}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() {
    echo "FAIL fix_conformance: $*"
    failed=1
}
if ! python3 -c 'import yaml, jsonpatch' 2>/dev/null; then
    fail "python3-yaml or python3-jsonpatch is missing (make deps installs them)"
    exit 1
fi

# run LABEL EXPECTED_LINE PATH...: the property over PATH must end with EXPECTED_LINE.
run() {
    label=$1 want=$2
    shift 2
    python3 tests/tools/fix_property.py "$label" "$@" >"$tmp/out" 2>&1
    rc=$?
    grep '^FAIL' "$tmp/out" | head -20
    last=$(tail -1 "$tmp/out")
    echo "$last"
    [ "$rc" -eq 0 ] || fail "$label: the property failed"
    [ "$last" = "$label: $want" ] || fail "$label: counts changed, want: $want"
}

run sock-shop "60 files, 28 changed; 53 documents fixed in place, 0 objects to fix by hand; 0 bytes changed outside the edits; 0 JSON files rewritten; 0 failures" \
    "$conf/sock-shop"
run pod-security-admission "3222 files, 3213 changed; 3213 documents fixed in place, 0 objects to fix by hand; 0 bytes changed outside the edits; 0 JSON files rewritten; 0 failures" \
    "$conf/pod-security-admission"
run kyverno "175 files, 125 changed; 2270 documents fixed in place, 0 objects to fix by hand; 0 bytes changed outside the edits; 0 JSON files rewritten; 0 failures" \
    "$conf/kyverno-policies"
run polaris "74 files, 71 changed; 71 documents fixed in place, 0 objects to fix by hand; 0 bytes changed outside the edits; 0 JSON files rewritten; 0 failures" \
    "$conf/polaris"
run fix-fixtures "28 files, 12 changed; 14 documents fixed in place, 8 objects to fix by hand; 0 bytes changed outside the edits; 2 JSON files rewritten; 0 failures" \
    tests/fixtures/fix

python3 tests/tools/restyle.py "$tmp/rs" 400 "$conf/pod-security-admission" \
    "$conf/kyverno-policies" "$conf/sock-shop" >/dev/null || fail "restyle.py failed"
# flowleaf: every insertion into a flow mapping is a fix by hand, by design. noisy: the
# comments sprinkled into folded strings make 23 files unreadable, and those are passed over.
run indent4 "635 files, 553 changed; 2723 documents fixed in place, 0 objects to fix by hand; 0 bytes changed outside the edits; 0 JSON files rewritten; 0 failures" "$tmp/rs/indent4"
run flowleaf "635 files, 283 changed; 1159 documents fixed in place, 1564 objects to fix by hand; 0 bytes changed outside the edits; 0 JSON files rewritten; 0 failures" "$tmp/rs/flowleaf"
run noisy "612 files, 551 changed; 2696 documents fixed in place, 0 objects to fix by hand; 0 bytes changed outside the edits; 0 JSON files rewritten; 0 failures" "$tmp/rs/noisy"
run sorted "635 files, 553 changed; 2723 documents fixed in place, 0 objects to fix by hand; 0 bytes changed outside the edits; 0 JSON files rewritten; 0 failures" "$tmp/rs/sorted"
exit $failed
