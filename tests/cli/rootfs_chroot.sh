#!/bin/sh
# The image is build/rootfs (`make rootfs`) on an empty base (Dockerfile). With no container
# engine, this runs that folder as Kubernetes would run the image with deploy/base: chrooted
# into it, read-only, as uid and gid 10001 with no new privileges, the Secret and ConfigMap
# mounted the way the kubelet lays them out (files owned root:fsGroup with the volume's
# defaultMode, behind a ..data link), with the Deployment's own arguments. It then answers
# reviews over TLS to curl, which verifies the certificate. The folder must hold the binary,
# the libraries it maps and nothing else (no shell). Needs root for chroot and mounts: CI
# runs `make test` as root, and anyone else gets a clear failure, not a skip.
set -u
bin=${SOCKLOCK_BIN:-./socklock}
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
rootfs=${SOCKLOCK_ROOTFS:-build/rootfs}
fail() { echo "rootfs_chroot: $*"; [ -n "${t:-}" ] && [ -s "$t/log" ] && sed 's/^/  log: /' "$t/log"; exit 1; }
[ "$(id -u)" = 0 ] || fail "must run as root (chroot, bind mounts, uid 10001); CI runs make test as root"
for c in unshare chroot setpriv curl python3 ldd; do
    command -v "$c" > /dev/null || fail "needs $c"
done
[ -x "$rootfs/usr/local/bin/socklock" ] || fail "$rootfs/usr/local/bin/socklock missing: run make rootfs"
t=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2> /dev/null
    rm -rf "$t"
}
trap cleanup EXIT

# 1. Contents: the binary, what ldd says it loads, passwd and group; no links, no shell.
inside=$(cd "$rootfs" && find . ! -type d | sed 's/^\.//' | sort)
ldd "$rootfs/usr/local/bin/socklock" > "$t/ldd" || fail "ldd on the rootfs binary"
libs=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' "$t/ldd" | sort -u)
want=$(printf '%s\n' /usr/local/bin/socklock /etc/passwd /etc/group $libs | sort)
[ "$inside" = "$want" ] || fail "rootfs holds other than the binary and its libraries: $(printf '%s\n' "$inside" | diff - "$(printf '%s\n' "$want" > "$t/want"; echo "$t/want")")"
[ -z "$(find "$rootfs" -type l)" ] || fail "rootfs has links: $(find "$rootfs" -type l)"
grep -q '^socklock:x:10001:10001:' "$rootfs/etc/passwd" || fail "no passwd entry for 10001"

# 2. What the pod gets, read from deploy/base: the container's arguments, the users, the
# Secret volume's mode, the mount paths, the policy.
python3 - "$t" > "$t/pod.env" << 'PY' || fail "reading deploy/base"
import shlex, sys, yaml
t = sys.argv[1]
dep = yaml.safe_load(open("deploy/base/deployment.yaml"))
(cm,) = [d for d in yaml.safe_load_all(open("deploy/base/configmap.yaml")) if d]
pod = dep["spec"]["template"]["spec"]
(c,) = pod["containers"]
vols = {v["name"]: v for v in pod["volumes"]}
mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
psc = pod["securityContext"]
args = [a for a in c["args"] if not a.startswith("--listen")]
open(t + "/policy.yaml", "w").write(cm["data"]["policy.yaml"])
print("uid=%d gid=%d fsgroup=%d" % (psc["runAsUser"], psc["runAsGroup"], psc["fsGroup"]))
print("tlsmode=%o policymode=%o" % (vols["tls"]["secret"]["defaultMode"],
                                    vols["policy"]["configMap"]["defaultMode"]))
print("tlsdir=%s policydir=%s" % (mounts["tls"], mounts["policy"]))
print("set -- " + " ".join(shlex.quote(a) for a in args))
PY
. "$t/pod.env"
[ "$uid" = 10001 ] && [ "$gid" = 10001 ] && [ "$fsgroup" = 10001 ] || fail "deploy/base runs as $uid:$gid fsGroup $fsgroup"

# 3. The volumes as the kubelet writes them: a timestamped folder, ..data pointing at it,
# each key a link through ..data; files root:fsGroup with the volume's mode.
volume() { # volume DIR MODE FILE...
    d=$1; mode=$2; shift 2
    mkdir -p "$d/..2026_01_01_00_00_00.000000001"
    for f in "$@"; do
        cp "$f" "$d/..2026_01_01_00_00_00.000000001/"
        b=$(basename "$f")
        chown "0:$fsgroup" "$d/..2026_01_01_00_00_00.000000001/$b"
        chmod "$mode" "$d/..2026_01_01_00_00_00.000000001/$b"
        ln -s "..data/$b" "$d/$b"
    done
    ln -s ..2026_01_01_00_00_00.000000001 "$d/..data"
    chown -R -h "0:$fsgroup" "$d"
    chmod 0755 "$d" "$d/..2026_01_01_00_00_00.000000001"
}
"$bin" certs --out "$t/certs" > /dev/null 2>&1 || fail "socklock certs"
volume "$t/tls" "$tlsmode" "$t/certs/tls.crt" "$t/certs/tls.key" "$t/certs/ca.crt"
volume "$t/policy" "$policymode" "$t/policy.yaml"
[ "$(stat -c '%u:%g %a' "$t/tls/..data/tls.key")" = "0:$fsgroup $tlsmode" ] ||
    fail "tls.key is $(stat -c '%u:%g %a' "$t/tls/..data/tls.key")"

# The container's root: a copy of the folder with the mount points a runtime adds.
cp -a "$rootfs" "$t/root"
mkdir -p "$t/root$tlsdir" "$t/root$policydir" "$t/root/proc" "$t/root/dev" "$t/root/sys"
before=$(cd "$t/root" && find . -exec stat -c '%n %s %Y' {} + | sort | cksum)

# 4. Serve on a free port of 127.0.0.1.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
unshare -m sh -c '
    set -e
    r=$1; t=$2; tlsdir=$3; policydir=$4; shift 4
    mount --bind "$r" "$r" && mount -o remount,bind,ro "$r"
    mount --bind "$t/tls" "$r$tlsdir" && mount -o remount,bind,ro "$r$tlsdir"
    mount --bind "$t/policy" "$r$policydir" && mount -o remount,bind,ro "$r$policydir"
    mount -t proc proc "$r/proc"
    mount --rbind /dev "$r/dev"
    mount --rbind /sys "$r/sys"
    exec setpriv --no-new-privs chroot --userspec=10001:10001 --groups=10001 "$r" \
        /usr/local/bin/socklock "$@"
' sh "$t/root" "$t" "$tlsdir" "$policydir" "$@" --listen="127.0.0.1:$port" > "$t/log" 2>&1 &
pid=$!

url="https://127.0.0.1:$port"
ok=
for _ in $(seq 1 100); do
    if [ "$(curl -s --cacert "$t/certs/ca.crt" -o /dev/null -w '%{http_code}' "$url/readyz")" = 200 ]; then
        ok=1; break
    fi
    kill -0 "$pid" 2> /dev/null || fail "the server exited: $(cat "$t/log")"
    sleep 0.1
done
[ -n "$ok" ] || fail "/readyz never 200 over TLS"

# It is who the Deployment says, without privileges, inside the folder.
ids=$(awk '/^Uid:|^Gid:/ { print $2, $3, $4, $5 } /^Groups:/ { $1 = ""; print }' "/proc/$pid/status" | tr '\n' ' ')
[ "$ids" = "10001 10001 10001 10001 10001 10001 10001 10001  10001 " ] || fail "ids: $ids"
grep -q '^CapEff:[[:space:]]*0*$' "/proc/$pid/status" || fail "$(grep ^CapEff "/proc/$pid/status")"
grep -q '^NoNewPrivs:[[:space:]]*1$' "/proc/$pid/status" || fail "no_new_privs not set"
[ "$(readlink "/proc/$pid/root")" = "$t/root" ] || fail "root is $(readlink "/proc/$pid/root")"
# Every library in the folder is mapped by the process, and nothing from outside it.
mapped=$(awk '$6 ~ /^\// { print $6 }' "/proc/$pid/maps" | sort -u | sed "s|^$t/root||")
want_mapped=$(printf '%s\n' /usr/local/bin/socklock $libs | sort -u)
[ "$mapped" = "$want_mapped" ] || fail "mapped files differ from the rootfs: $(printf '%s\n' "$mapped")"

# 5. Reviews over TLS: a root pod denied, a hardened pod admitted, a pod patched by /mutate.
post() { curl -sS --cacert "$t/certs/ca.crt" -H 'Content-Type: application/json' --data-binary "@$2" "$url$1"; }
post /validate tests/fixtures/reviews/pod-root.json > "$t/root.out" || fail "curl /validate"
grep -q '"allowed":false' "$t/root.out" && grep -q '"code":403' "$t/root.out" || fail "root pod: $(cat "$t/root.out")"
post /validate tests/fixtures/reviews/pod-compliant.json > "$t/ok.out" || fail "curl /validate"
grep -q '"allowed":true' "$t/ok.out" || fail "hardened pod: $(cat "$t/ok.out")"
python3 - "$t/mut.json" << 'PY' || fail "making the /mutate review"
import json, sys
d = json.load(open("tests/fixtures/reviews/pod-compliant.json"))
del d["request"]["object"]["spec"]["securityContext"]["seccompProfile"]
json.dump(d, open(sys.argv[1], "w"))
PY
post /mutate "$t/mut.json" > "$t/mut.out" || fail "curl /mutate"
python3 - "$t/mut.out" << 'PY' || fail "/mutate: $(cat "$t/mut.out")"
import base64, json, sys
r = json.load(open(sys.argv[1]))["response"]
assert r["allowed"] and r["patchType"] == "JSONPatch", r
ops = json.loads(base64.b64decode(r["patch"]))
assert ops == [{"op": "add", "path": "/spec/securityContext/seccompProfile",
                "value": {"type": "RuntimeDefault"}}], ops
PY
# /metrics answers too (what the ServiceMonitor scrapes).
curl -sS --cacert "$t/certs/ca.crt" -o "$t/metrics" "$url/metrics" || fail "curl /metrics"
grep -q '^socklock_' "$t/metrics" || fail "/metrics: $(head -5 "$t/metrics")"

# 6. SIGTERM: drains and exits 0; nothing in the root was written.
kill -TERM "$pid"
wait "$pid"; rc=$?
pid=
[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM"
after=$(cd "$t/root" && find . -exec stat -c '%n %s %Y' {} + | sort | cksum)
[ "$before" = "$after" ] || fail "the root filesystem changed"
grep -qi 'permission denied\|read-only' "$t/log" && fail "the server hit a permission or read-only error"
exit 0
