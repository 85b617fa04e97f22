#!/bin/sh
# A short server run under valgrind: good, denied and bad reviews, health
# and metrics, policy reloads (an editor's save, a broken file, a copy in place, SIGHUP), then
# SIGTERM; valgrind must report no error and no leak (a replaced policy must be freed), and
# the server must exit 0. Run by `make valgrind`; loopback only, bounded in time.
set -u
bin=${SOCKLOCK_BIN:-./socklock}
t=$(mktemp -d); trap 'kill "$pid" 2>/dev/null; rm -rf "$t"' EXIT
fail() { echo "valgrind_server: $*"; [ -f "$t/vg.log" ] && tail -30 "$t/vg.log"; exit 1; }
"$bin" certs --out "$t" >/dev/null 2>&1 || fail "certs"
printf 'limits:\n  shutdownDelaySeconds: 0\n  drainTimeoutSeconds: 2\nprofiles:\n  default:\n    level: restricted\n    readOnlyRootFilesystem: true\n' > "$t/p.yaml"
valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
    --log-file="$t/vg.log" "$bin" serve --listen 127.0.0.1:0 --cert "$t/tls.crt" --key "$t/tls.key" \
    --policy "$t/p.yaml" 2> "$t/err" &
pid=$!
port=""
for i in $(seq 1 200); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$t/err" | head -1)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || fail "server did not start: $(cat "$t/err")"
url=https://127.0.0.1:$port
post() { curl -sS -o /dev/null -w '%{http_code}' --max-time 20 --cacert "$t/ca.crt" -H 'Content-Type: application/json' "$url/validate" "$@"; }
for f in tests/fixtures/reviews/*.json; do
    [ "$(post --data-binary @"$f")" = 200 ] || fail "$f not answered 200"
done
[ "$(post -d '{bad')" = 400 ] || fail "bad JSON not 400"
# Waits (up to 30 s, polling) until the log holds $1 at least $2 times.
wait_log() {
    for i in $(seq 1 300); do
        [ "$(grep -c -- "$1" "$t/err")" -ge "$2" ] && return 0
        sleep 0.1
    done
    fail "not $2 times \"$1\" in the log: $(cat "$t/err")"
}
wait_log "reloading the policy when" 1
printf 'profiles:\n  default:\n    level: baseline\n' > "$t/p.yaml.new" && mv "$t/p.yaml.new" "$t/p.yaml"
wait_log "policy file changed: policy reloaded" 1
[ "$(post --data-binary @tests/fixtures/reviews/pod-root.json)" = 200 ] || fail "review after a reload"
printf 'profiles:\n  default:\n    levle: baseline\n' > "$t/p.yaml"
wait_log "policy reload failed" 1
printf 'limits:\n  shutdownDelaySeconds: 0\n  drainTimeoutSeconds: 2\nprofiles:\n  default:\n    level: restricted\n' > "$t/p.yaml"
wait_log "policy file changed: policy reloaded" 2
kill -HUP "$pid"
wait_log "SIGHUP: policy reloaded" 1
[ "$(curl -sS -o /dev/null -w '%{http_code}' --max-time 20 --cacert "$t/ca.crt" "$url/metrics")" = 200 ] || fail "metrics"
kill -TERM "$pid"
wait "$pid"; rc=$?
[ "$rc" -eq 0 ] || fail "server exit status $rc under valgrind"
grep -q 'ERROR SUMMARY: 0 errors' "$t/vg.log" || fail "valgrind errors"
echo "valgrind_server: 1 passed, 0 failed"
