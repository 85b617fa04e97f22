#!/bin/sh
# Issue 2: every Sock Shop workload, wrapped in an AdmissionReview, through `socklock review`:
# the verdict agrees with the reading in conformance/sock-shop/workloads.tsv.
dir=${SOCKLOCK_CONFORMANCE:-../shared/conformance}/sock-shop
if [ ! -d "$dir" ]; then
    echo "SKIP review_sockshop: $dir absent"
    exit 0
fi
exec python3 tests/tools/sockshop_reviews.py "$dir"
