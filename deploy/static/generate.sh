#!/bin/sh
# Writes the inputs of the static overlays, into folders git ignores (`make deploy-certs`
# runs it): deploy/static/generated/ gets a CA and a serving certificate made by `socklock
# certs` for socklock.socklock-system.svc (tls.crt, tls.key, ca.crt; the CA's key is deleted,
# nothing more is signed with it), and deploy/webhooks/static/generated/ gets the patches
# that put the CA into every webhook's caBundle. Nothing is ever pasted into a tracked file.
#
# Run again, it keeps the certificate and rewrites the patches from the CAs it finds. With
# RENEW=1 it makes a new CA and certificate and keeps the old CA as ca-previous.crt, which
# the caBundle trusts too until that file is deleted and this is run again: the webhook
# configurations can then trust both before the new certificate is served, and the rotation
# fails no call (certs/README.md, "In a cluster").
#
# SOCKLOCK_BIN: the socklock to run (default: socklock on PATH). DAYS: the validity (365).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${SOCKLOCK_BIN:-socklock}
days=${DAYS:-365}
out=$here/generated
hooks=$here/../webhooks/static/generated
mkdir -p "$out" "$hooks"
chmod 700 "$out"
if [ "${RENEW:-0}" = 1 ] && [ -f "$out/ca.crt" ]; then
    mv -f "$out/ca.crt" "$out/ca-previous.crt"
    rm -f "$out/tls.crt" "$out/tls.key"
fi
if [ ! -f "$out/tls.crt" ] || [ ! -f "$out/tls.key" ] || [ ! -f "$out/ca.crt" ]; then
    # Its note on stderr names ca.key and a caBundle on stdout, neither kept here: shown only
    # when it fails.
    err=$("$bin" certs --out "$out" --service socklock --namespace socklock-system \
        --days "$days" 2>&1 > /dev/null) || { echo "$err" >&2; rm -f "$out/ca.key"; exit 1; }
    rm -f "$out/ca.key"
fi
set -- "$out/ca.crt"
[ -f "$out/ca-previous.crt" ] && set -- "$@" "$out/ca-previous.crt"
bundle=$(cat "$@" | base64 -w0)
# One `add` per webhook of each configuration, at its index in deploy/webhooks/base.
for kind in validating mutating; do
    n=$(grep -c '^  - name: ' "$here/../webhooks/base/${kind}webhookconfiguration.yaml")
    {
        echo "# Written by deploy/static/generate.sh from $(basename "$out")/ca.crt; not tracked."
        i=0
        while [ "$i" -lt "$n" ]; do
            printf -- '- op: add\n  path: /webhooks/%d/clientConfig/caBundle\n  value: %s\n' \
                "$i" "$bundle"
            i=$((i + 1))
        done
    } > "$hooks/$kind-cabundle.patch"
done
echo "deploy/static/generated: tls.crt, tls.key, ca.crt$([ $# -gt 1 ] && echo ', ca-previous.crt'); deploy/webhooks/static/generated: the caBundle of $# CA(s)"
