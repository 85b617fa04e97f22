#!/bin/sh
# Runs every command-line test script in tests/cli/ against $SOCKLOCK_BIN and prints one
# closing line "N passed, N failed". Each script exits 0 on success.
pass=0; fail=0
for t in tests/cli/*.sh; do
    [ -e "$t" ] || continue
    if sh "$t"; then
        pass=$((pass + 1)); echo "PASS $t"
    else
        fail=$((fail + 1)); echo "FAIL $t"
    fi
done
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
