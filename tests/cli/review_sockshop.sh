#!/bin/sh
# Issue 2: every Sock Shop workload, wrapped in an AdmissionReview, through `socklock review`:
# the verdict agrees with the reading in tests/conformance/sock-shop/workloads.tsv.
dir=${SOCKLOCK_CONFORMANCE:-tests/conformance}/sock-shop
if [ ! -f "$dir/workloads.tsv" ]; then
    echo "FAIL review_sockshop: $dir/workloads.tsv missing (the data is vendored in tests/conformance)"
    exit 1
fi
if ! python3 -c 'import yaml' 2>/dev/null; then
    echo "FAIL review_sockshop: python3-yaml is missing (make deps installs it)"
    exit 1
fi
exec python3 tests/tools/sockshop_reviews.py "$dir"
