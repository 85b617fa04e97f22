#!/bin/sh
# Issue 3: `check` over the Sock Shop gives, for every object, the verdict and denial message
# that `socklock review` gives for the same object wrapped in an AdmissionReview CREATE, and
# exits 1 because the demo has non-compliant workloads. The objects are read a second time
# with PyYAML, independently of socklock's reader. The same over the in-repo fixtures (a
# List, a folder with YAML, YML and JSON files). Every part runs whatever the others give;
# any failure (missing data or python3-yaml included) fails the script.
dir=${SOCKLOCK_CONFORMANCE:-tests/conformance}/sock-shop
failed=0
fail() {
    echo "FAIL check_sockshop: $*"
    failed=1
}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

if ! python3 -c 'import yaml' 2>/dev/null; then
    # Without PyYAML nothing below can run.
    fail "python3-yaml is missing (make deps installs it)"
    exit 1
fi

# run LABEL PATH COUNT: check_vs_review.py over PATH (check must exit 1) must find exactly
# COUNT objects that agree and none that differ; prints its count line.
run() {
    python3 tests/tools/check_vs_review.py "$2" 1 >"$tmp/out" 2>&1
    rc=$?
    grep '^FAIL' "$tmp/out"
    last=$(tail -1 "$tmp/out")
    echo "$1: $last"
    [ $rc -eq 0 ] || fail "$1: check_vs_review.py exited $rc"
    case $last in
    "check vs review: $3 agree, 0 differ") ;;
    *) fail "$1: want \"$3 agree, 0 differ\"" ;;
    esac
}

if [ -d "$dir" ] && [ -f "$dir/workloads.tsv" ]; then
    run sock-shop "$dir" 121
else
    fail "$dir missing (the data is vendored in tests/conformance)"
fi
run fixtures/tree tests/fixtures/manifests/tree 4
run fixtures/list.yaml tests/fixtures/manifests/list.yaml 2
exit $failed
