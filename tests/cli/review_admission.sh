#!/bin/sh
# Every AdmissionReview example of tests/conformance/admission-review (index.tsv) through
# `socklock review` under plain baseline and restricted profiles: uid, apiVersion and kind
# echoed, DELETE allowed unevaluated, and the failed checks of each CREATE/UPDATE (named in
# the denial, and as ids by `socklock check --output json`) equal to the table's columns.
dir=${SOCKLOCK_CONFORMANCE:-tests/conformance}/admission-review
if [ ! -f "$dir/index.tsv" ]; then
    echo "FAIL review_admission: $dir/index.tsv missing (the data is vendored in tests/conformance)"
    exit 1
fi
exec python3 tests/tools/admission_reviews.py "$dir"
