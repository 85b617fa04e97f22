#!/bin/sh
# Issue 3: `check` over the Sock Shop gives, for every object, the verdict and denial message
# that `socklock review` gives for the same object wrapped in an AdmissionReview CREATE, and
# exits 1 because the demo has non-compliant workloads. The objects are read a second time
# with PyYAML, independently of socklock's reader.
dir=${SOCKLOCK_CONFORMANCE:-../shared/conformance}/sock-shop
if [ ! -d "$dir" ]; then
    echo "SKIP check_sockshop: $dir absent"
    exit 0
fi
if ! python3 -c 'import yaml' 2>/dev/null; then
    echo "SKIP check_sockshop: python3-yaml absent"
    exit 0
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
python3 tests/tools/check_vs_review.py "$dir" 1 >"$tmp/out" 2>&1
rc=$?
tail -1 "$tmp/out"
grep '^FAIL' "$tmp/out"
[ $rc -eq 0 ] || exit 1
# The fixtures too: a List, a folder with YAML, YML and JSON files.
python3 tests/tools/check_vs_review.py tests/fixtures/manifests/tree 1 | tail -1 | grep -q ' 0 differ' || exit 1
python3 tests/tools/check_vs_review.py tests/fixtures/manifests/list.yaml 1 | tail -1 | grep -q ' 0 differ'
