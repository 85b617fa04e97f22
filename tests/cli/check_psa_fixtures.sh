#!/bin/sh
# Issue 4: every public Pod Security Admission fixture through `socklock check --level
# --version`, the way a user (and a held-out run) would judge one file.
dir=${SOCKLOCK_CONFORMANCE:-../shared/conformance}/pod-security-admission
if [ ! -d "$dir" ]; then
    echo "SKIP check_psa_fixtures: $dir absent"
    exit 0
fi
exec python3 tests/tools/psa_fixtures_check.py "$dir"
