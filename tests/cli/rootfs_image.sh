#!/bin/sh
# The Dockerfile, without a container engine: its build context is what .dockerignore lets
# through, and from that alone `make rootfs` (the build stage's command) builds the same
# folder as here; nothing private is in it (build/, keys, certificates, .git). The final
# stage is that folder on an empty base, run as 10001:10001, with no RUN (so no shell is
# needed, and none is there: rootfs_chroot.sh checks the folder and runs it).
set -u
fail() { echo "rootfs_image: $*"; exit 1; }
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT

# .dockerignore: everything out, then the few paths the build reads back in.
[ "$(sed -n '/^[^#]/p' .dockerignore | head -1)" = '*' ] || fail ".dockerignore does not start by leaving everything out"
allowed=$(sed -n 's/^!//p' .dockerignore)
[ -n "$allowed" ] || fail ".dockerignore lets nothing in"
mkdir "$t/ctx"
for p in $allowed; do
    p=${p%/}
    case "$p" in build* | certs* | .git* | deploy* | bench* | *.key | *.crt | socklock) fail "the context lets in $p" ;; esac
    [ -e "$p" ] || fail ".dockerignore lets in $p, which does not exist"
    cp -R "$p" "$t/ctx/$p"
done
find "$t/ctx" -name '*.key' -o -name '*.pem' -o -name '*.crt' | grep -q . && fail "key or certificate in the context"
(cd "$t/ctx" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SANITIZE -u VARIANT -u BUILD make -j2 rootfs) > "$t/make.log" 2>&1 ||
    fail "make rootfs from the build context: $(tail -20 "$t/make.log")"
(cd "$t/ctx/build/rootfs" && find . | sort) > "$t/ctx.list"
[ -d build/rootfs ] || fail "build/rootfs missing: run make rootfs"
(cd build/rootfs && find . | sort) > "$t/here.list"
cmp -s "$t/ctx.list" "$t/here.list" || fail "the context's rootfs differs: $(diff "$t/here.list" "$t/ctx.list")"

# The Dockerfile's final stage.
awk '/^FROM /{ n++ } n == 2' Dockerfile | sed '/^#/d;/^$/d' > "$t/final"
cat > "$t/want" << 'EOF'
FROM scratch
COPY --from=build /src/build/rootfs/ /
USER 10001:10001
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/socklock"]
CMD ["serve"]
EOF
cmp -s "$t/final" "$t/want" || fail "the final stage: $(diff "$t/want" "$t/final")"
grep -q '^RUN make .*rootfs$' Dockerfile || fail "the build stage does not run make rootfs"
[ "$(grep -c '^FROM ' Dockerfile)" = 2 ] || fail "two stages expected"
# The Deployment runs what the image holds, as the image's user.
grep -q '^          image: socklock:' deploy/base/deployment.yaml || fail "the Deployment's image"
grep -q 'runAsUser: 10001' deploy/base/deployment.yaml || fail "the Deployment's user"
exit 0
