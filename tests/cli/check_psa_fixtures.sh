#!/bin/sh
# Issue 4: every public Pod Security Admission fixture through `socklock check --level
# --version`, the way a user (and a held-out run) would judge one file.
dir=${SOCKLOCK_CONFORMANCE:-tests/conformance}/pod-security-admission
if [ ! -f "$dir/manifest.tsv" ]; then
    echo "FAIL check_psa_fixtures: $dir/manifest.tsv missing (the data is vendored in tests/conformance)"
    exit 1
fi
exec python3 tests/tools/psa_fixtures_check.py "$dir"
