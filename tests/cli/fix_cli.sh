#!/bin/sh
# `socklock fix` as a user runs it: the fixtures in tests/fixtures/fix (NAME.in.* fixed must
# print exactly NAME.out.*, written by hand-checked runs; a file with nothing to fix prints
# itself byte for byte), "fix by hand" on stderr and in the exit status, --diff as a CI gate,
# --write in place (atomic, mode kept, untouched files not rewritten) and its refusals: a
# symbolic link, a read-only folder, a file replaced while it was being fixed; never a
# partial or temporary file left behind.
bin=${SOCKLOCK_BIN:-./socklock}
fx=tests/fixtures/fix
tmp=$(mktemp -d) || exit 1
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
failed=0

fail() {
    echo "FAIL fix_cli: $*"
    failed=1
}

# run EXPECTED_EXIT ARGS...: runs fix, output in $tmp/out and $tmp/err.
run() {
    want=$1
    shift
    "$bin" fix "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    [ "$got" -eq "$want" ] || fail "fix $*: exit $got, want $want: $(cat "$tmp/err")"
}

has() {
    grep -qF -- "$2" "$tmp/$1" || fail "$1 lacks '$2': $(cat "$tmp/$1")"
}

# No temporary file of fix's may be left in folder $1.
no_leftovers() {
    left=$(find "$1" -name '.*.socklock-*')
    [ -z "$left" ] || fail "temporary files left behind: $left"
}

# The golden fixtures. Exit 1 where something is left to fix by hand.
for in in "$fx"/*.in.*; do
    out=$(echo "$in" | sed 's/\.in\./.out./')
    case "$in" in
    *anchors* | *flow-by-hand*) want=1 ;;
    *) want=0 ;;
    esac
    # NAME.policy.yaml, when there is one, is the policy to fix NAME.in.* with.
    policy=$(echo "$in" | sed 's/\.in\..*/.policy.yaml/')
    if [ -f "$policy" ]; then
        run "$want" --policy "$policy" "$in"
    else
        run "$want" "$in"
    fi
    cmp -s "$tmp/out" "$out" || fail "$in: output differs from $out: $(diff "$out" "$tmp/out" | head -20)"
done

# Nothing to fix: the very bytes, and no diff.
cmp -s "$fx/nothing-to-fix.in.yaml" "$fx/nothing-to-fix.out.yaml" || fail "nothing-to-fix fixture changed"
run 0 --diff "$fx/nothing-to-fix.in.yaml"
[ -s "$tmp/out" ] && fail "--diff printed something for a file with nothing to fix"
has err "socklock fix: 1 file, 0 changed; 0 objects fixed, 0 to fix by hand"

# CRLF stays CRLF in every line, the inserted ones too.
lf=$(tr -d '\r' <"$fx/crlf.out.yaml" | wc -l)
crlf=$(grep -c "$(printf '\r')\$" "$fx/crlf.out.yaml")
[ "$lf" -eq "$crlf" ] || fail "crlf: $crlf of $lf lines end in CRLF"

# Fix by hand: named on stderr with the reason and the patch; its document is unchanged.
run 1 "$fx/flow-by-hand.in.yaml"
has err "$fx/flow-by-hand.in.yaml:1: Pod compact: fix by hand (an insertion into a flow collection at /spec/containers/0/securityContext); the patch: [{\"op\":\"add\",\"path\":\"/spec/containers/0/securityContext/allowPrivilegeEscalation\",\"value\":false}"
has err "$fx/flow-by-hand.in.yaml:11: Pod all-flow: fix by hand"
has err "0 objects fixed, 2 to fix by hand"
run 1 "$fx/anchors.in.yaml"
has err "$fx/anchors.in.yaml:1: Pod anchored: fix by hand (an insertion into an anchored, aliased or merged node"
has err "$fx/anchors.in.yaml:43: Pod merged: fix by hand (an insertion into an anchored, aliased or merged node at /spec/containers/0)"
has err "2 objects fixed, 2 to fix by hand"

# --diff: a unified diff, exit 1 while there is something to fix.
run 1 --diff "$fx/comments.in.yaml"
cmp -s "$tmp/out" "$fx/comments.diff" || fail "--diff: $(diff "$fx/comments.diff" "$tmp/out")"
# It is what diff -u says, bar the header.
diff -u "$fx/comments.in.yaml" "$fx/comments.out.yaml" | tail -n +3 >"$tmp/gnu"
tail -n +3 "$fx/comments.diff" | cmp -s - "$tmp/gnu" || fail "--diff is not diff -u's"
head -2 "$tmp/out" | cmp -s - <<EOF || fail "--diff headers: $(head -2 "$tmp/out")"
--- a/$fx/comments.in.yaml
+++ b/$fx/comments.in.yaml
EOF

# stdin, printed.
"$bin" fix - <"$fx/list.in.yaml" >"$tmp/out" 2>"$tmp/err" || fail "stdin: exit $?"
cmp -s "$tmp/out" "$fx/list.out.yaml" || fail "stdin output differs"

# Several files print as one stream, joined by ---, the file without a final newline too.
run 0 "$fx/no-final-newline.in.yaml" "$fx/crlf.in.yaml"
{ cat "$fx/no-final-newline.out.yaml"; printf '\n---\n'; cat "$fx/crlf.out.yaml"; } | cmp -s - "$tmp/out" ||
    fail "two files not joined by ---"

# Usage errors.
run 2
run 2 --write --diff "$fx/crlf.in.yaml"
has err "--write and --diff cannot be combined"
run 2 --write -
has err "--write cannot write to stdin"
run 2 --profile nope "$fx/crlf.in.yaml"
has err "no profile \"nope\""
run 2 "$tmp/missing.yaml"
has err "$tmp/missing.yaml: cannot read"
printf 'kind: [\n' >"$tmp/broken.yaml"
run 2 "$tmp/broken.yaml"
has err "$tmp/broken.yaml:2:1:"

# --write: the files that change are replaced, with their mode; the others are not touched.
mkdir "$tmp/w"
cp "$fx/crlf.in.yaml" "$fx/nothing-to-fix.in.yaml" "$fx/flow-by-hand.in.yaml" "$tmp/w/"
chmod 640 "$tmp/w/crlf.in.yaml"
before=$(ls -i "$tmp/w/nothing-to-fix.in.yaml" | cut -d' ' -f1)
run 1 --write "$tmp/w"
has err "socklock fix: wrote $tmp/w/crlf.in.yaml"
has err "3 files, 1 changed; 1 object fixed, 2 to fix by hand"
cmp -s "$tmp/w/crlf.in.yaml" "$fx/crlf.out.yaml" || fail "--write: crlf not fixed"
[ "$(stat -c %a "$tmp/w/crlf.in.yaml")" = 640 ] || fail "--write: mode not kept"
[ "$(ls -i "$tmp/w/nothing-to-fix.in.yaml" | cut -d' ' -f1)" = "$before" ] ||
    fail "--write rewrote a file with nothing to fix"
cmp -s "$tmp/w/flow-by-hand.in.yaml" "$fx/flow-by-hand.in.yaml" || fail "--write changed a by-hand file"
no_leftovers "$tmp/w"
# Its own output has nothing left to fix.
run 0 --diff "$tmp/w/crlf.in.yaml"

# A symbolic link is refused: the rename would replace the link, not the file.
mkdir "$tmp/l"
cp "$fx/crlf.in.yaml" "$tmp/l/real.yaml"
ln -s real.yaml "$tmp/l/link.yaml"
run 2 --write "$tmp/l/link.yaml"
has err "$tmp/l/link.yaml: is a symbolic link: --write replaces files, not links"
cmp -s "$tmp/l/real.yaml" "$fx/crlf.in.yaml" || fail "symlink target changed"
[ -L "$tmp/l/link.yaml" ] || fail "symlink replaced"
no_leftovers "$tmp/l"

# A read-only folder: a clear error, the file as it was. root writes anyway, so as root the
# run is as nobody, in a folder nobody owns and may not write.
mkdir "$tmp/ro"
cp "$fx/crlf.in.yaml" "$tmp/ro/pod.yaml"
chmod 644 "$tmp/ro/pod.yaml"
chmod 555 "$tmp/ro"
if [ "$(id -u)" = 0 ]; then
    chmod 755 "$tmp"
    chown 65534:65534 "$tmp/ro"
    setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" fix --write "$tmp/ro/pod.yaml" \
        >"$tmp/out" 2>"$tmp/err"
else
    "$bin" fix --write "$tmp/ro/pod.yaml" >"$tmp/out" 2>"$tmp/err"
fi
got=$?
[ "$got" -eq 2 ] || fail "read-only folder: exit $got, want 2: $(cat "$tmp/err")"
has err "$tmp/ro/pod.yaml: cannot write in $tmp/ro: Permission denied"
cmp -s "$tmp/ro/pod.yaml" "$fx/crlf.in.yaml" || fail "read-only folder: file changed"
no_leftovers "$tmp/ro"

# A file replaced while it was being fixed (the shim replaces it before fix's fsync): fix
# notices, leaves the other writer's file, and removes its temporary file.
if [ -n "$SOCKLOCK_SHIM" ]; then
    mkdir "$tmp/race"
    cp "$fx/crlf.in.yaml" "$tmp/race/pod.yaml"
    # An ASan build wants its runtime first; the shim only wraps fsync.
    LD_PRELOAD=$SOCKLOCK_SHIM ASAN_OPTIONS=verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS} \
        SOCKLOCK_SHIM_REPLACE="$tmp/race/pod.yaml" "$bin" fix --write "$tmp/race/pod.yaml" \
        >"$tmp/out" 2>"$tmp/err"
    got=$?
    [ "$got" -eq 2 ] || fail "replaced mid-run: exit $got, want 2: $(cat "$tmp/err")"
    has err "$tmp/race/pod.yaml: changed while it was being fixed; not written"
    [ "$(cat "$tmp/race/pod.yaml")" = "# saved by someone else" ] || fail "the other writer's file was lost"
    no_leftovers "$tmp/race"
else
    fail "SOCKLOCK_SHIM is not set (make test sets it): the mid-run replacement is untested"
fi

exit $failed
