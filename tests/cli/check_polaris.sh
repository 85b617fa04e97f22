#!/bin/sh
# Every Polaris check fixture of tests/conformance/polaris (expected.tsv) through `socklock
# check --output json`, judging only the socklock check that matches the row's Polaris
# check: against Pod Security Admission's reading, or Polaris's own verdict for
# notReadOnlyRootFilesystem (socklock's readOnlyRootFilesystem).
dir=${SOCKLOCK_CONFORMANCE:-tests/conformance}/polaris
if [ ! -f "$dir/expected.tsv" ]; then
    echo "FAIL check_polaris: $dir/expected.tsv missing (the data is vendored in tests/conformance)"
    exit 1
fi
exec python3 tests/tools/polaris_checks.py "$dir"
