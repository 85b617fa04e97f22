# Sourced by the tests/cli/serve_*.sh scripts (with $name set): a temporary folder, a
# `fail` that records a failure, and serve_start, which makes a CA and serving certificate,
# starts `socklock serve` on a free 127.0.0.1 port with the policy read from stdin, and waits
# until /readyz answers (or gives up loudly). The server is stopped when the script exits.
bin=${SOCKLOCK_BIN:-./socklock}
tmp=$(mktemp -d) || exit 1
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
failed=0
fail() {
    echo "FAIL $name: $*"
    failed=1
}

# serve_start DAYS THREADS [PREFIX...]: the certificate is valid for DAYS; PREFIX (taskset,
# say) goes before the server's command. Sets port, url, resolve and pid.
serve_start() {
    days=$1 threads=$2
    shift 2
    "$bin" certs --out "$tmp/certs" --days "$days" >/dev/null 2>&1 || { echo "FAIL $name: certs"; exit 1; }
    cat >"$tmp/policy.yaml"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    url="https://localhost:$port"
    resolve="localhost:$port:127.0.0.1"
    "$@" "$bin" serve --listen "127.0.0.1:$port" --cert "$tmp/certs/tls.crt" \
        --key "$tmp/certs/tls.key" --policy "$tmp/policy.yaml" --threads "$threads" 2>"$tmp/log" &
    pid=$!
    for _ in $(seq 100); do
        curl -sf --cacert "$tmp/certs/ca.crt" --resolve "$resolve" "$url/readyz" >/dev/null 2>&1 && return
        sleep 0.1
    done
    echo "FAIL $name: the server did not become ready: $(tail -5 "$tmp/log")"
    exit 1
}
