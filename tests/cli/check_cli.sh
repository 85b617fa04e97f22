#!/bin/sh
# Issue 3: `socklock check` on the command line: exit statuses 0/1/2, text and JSON output,
# stdin, folders, List expansion, --level/--version, and errors that name FILE:LINE:COLUMN
# while the other files are still checked.
bin=${SOCKLOCK_BIN:-./socklock}
fx=tests/fixtures/manifests
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
failed=0

fail() {
    echo "FAIL check_cli: $*"
    failed=1
}

# run EXPECTED_EXIT ARGS...: runs check, output in $tmp/out and $tmp/err.
run() {
    want=$1
    shift
    "$bin" check "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    [ "$got" -eq "$want" ] || fail "check $*: exit $got, want $want: $(cat "$tmp/err")"
}

has() {
    grep -qF -- "$2" "$tmp/$1" || fail "$1 lacks '$2': $(cat "$tmp/$1")"
}

# Exit 0: nothing denied; the summary counts.
run 0 "$fx/good-pod.yaml"
has out "1 object checked: 1 allowed, 0 denied; 0 skipped (no pod spec)"
[ "$(wc -l <"$tmp/out")" -eq 1 ] || fail "good pod printed more than the summary"

# Exit 1: one line per violation, FILE:LINE: KIND NAMESPACE/NAME: check: detail.
run 1 "$fx/bad-pod.yaml"
has out "$fx/bad-pod.yaml:1: Pod default/bad: hostNamespaces: hostNetwork=true"
has out "$fx/bad-pod.yaml:1: Pod default/bad: privileged: container \"app\" must not set securityContext.privileged=true"
has out "1 object checked: 0 allowed, 1 denied; 0 skipped (no pod spec)"

# List expansion: the Service is skipped, the Deployment (line 8) denied.
run 1 "$fx/list.yaml"
has out "$fx/list.yaml:8: Deployment web/listed: privileged:"
has out "1 object checked: 0 allowed, 1 denied; 1 skipped (no pod spec)"

# Folders: recursive, *.yaml *.yml *.json only, sorted; empty documents passed over.
run 1 "$fx/tree"
has out "$fx/tree/c.json:1: Job tree/c-job: runAsUser:"
has out "$fx/tree/sub/b.yml:8: Pod tree/b-pod: runAsNonRoot:"
has out "3 objects checked: 1 allowed, 2 denied; 1 skipped (no pod spec)"
grep -q notes.txt "$tmp/out" "$tmp/err" && fail "notes.txt was read"
grep -o '^[^:]*' "$tmp/out" | uniq >"$tmp/order"
printf '%s\n' "$fx/tree/c.json" "$fx/tree/sub/b.yml" "3 objects checked" | cmp -s - "$tmp/order" ||
    fail "folder order: $(cat "$tmp/order")"

# stdin, named <stdin>.
"$bin" check - <"$fx/bad-pod.yaml" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] || fail "stdin: exit not 1"
has out "<stdin>:1: Pod default/bad: hostNamespaces:"
"$bin" check - <"$fx/good-pod.yaml" >"$tmp/out" 2>&1 || fail "stdin good pod: not 0"

# JSON output: parses, lists every object with its verdict.
run 1 --output json "$fx/tree" "$fx/list.yaml"
python3 -m json.tool "$tmp/out" >/dev/null || fail "JSON output does not parse"
python3 - "$tmp/out" <<'PY' || fail "JSON report content"
import json, sys
r = json.load(open(sys.argv[1]))
s = r["summary"]
assert r["profile"] == "default", r["profile"]
assert (s["checked"], s["allowed"], s["denied"], s["skipped"], s["errors"]) == (4, 1, 3, 2, 0), s
v = {(o["kind"], o["name"]): o for o in r["objects"]}
assert v[("Pod", "good")]["verdict"] == "allowed"
assert v[("ConfigMap", "cm")]["verdict"] == "skipped"
d = v[("Deployment", "listed")]
assert d["verdict"] == "denied" and d["code"] == 403 and d["line"] == 8, d
assert d["message"].startswith('deployment "listed" violates profile "default"'), d["message"]
assert any(x["check"] == "privileged" for x in d["violations"]), d
assert r["errors"] == []
PY

# Exit 2 on a parse error, naming FILE:LINE:COLUMN; the other files are still checked.
run 2 "$fx/broken.yaml" "$fx/bad-pod.yaml" "$fx/good-pod.yaml"
has err "$fx/broken.yaml:5:22: did not find expected ',' or ']'"
has out "$fx/bad-pod.yaml:1: Pod default/bad: hostNamespaces:"
has out "2 objects checked: 1 allowed, 1 denied; 0 skipped (no pod spec); 1 error"
run 2 --output json "$fx/good-pod.yaml" "$fx/broken.yaml"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); e=r["errors"][0]; assert (e["line"], e["column"]) == (5, 22) and e["file"].endswith("broken.yaml"), e; assert r["summary"]["allowed"] == 1' "$tmp/out" ||
    fail "JSON errors list"

# A dangling or looping *.yaml symlink inside a folder is an error, as the same path given
# directly is; the folder's good file is still checked.
mkdir "$tmp/links"
cp "$fx/good-pod.yaml" "$tmp/links/a.yaml"
ln -s "$tmp/links/nowhere.yaml" "$tmp/links/dangling.yaml"
ln -s loop.yaml "$tmp/links/loop.yaml"
run 2 "$tmp/links"
has err "$tmp/links/dangling.yaml"
has err "$tmp/links/loop.yaml"
has out "1 object checked: 1 allowed, 0 denied"
run 2 "$tmp/links/dangling.yaml"
has err "$tmp/links/dangling.yaml"

# A mid-stream error: the documents before it are reported, then the error, exit 2.
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: early}\nspec: {containers: [{name: a, image: x, securityContext: {privileged: true}}]}\n---\n[oops\n' >"$tmp/mid.yaml"
run 2 "$tmp/mid.yaml"
has out "Pod default/early: privileged"
has err "$tmp/mid.yaml:7"

# Duplicate keys (at the second key), billion laughs, deep nesting, a 17 MiB file.
run 2 "$fx/dup-key.yaml"
has err "$fx/dup-key.yaml:7:3: duplicate mapping key \"hostNetwork\""
run 2 "$fx/laughs.yaml"
has err "aliases expand too far"
python3 -c 'print("[" * 100000 + "]" * 100000)' >"$tmp/deep.yaml"
run 2 "$tmp/deep.yaml"
has err "$tmp/deep.yaml:1:65: nested too deeply"
head -c 17825792 /dev/zero | tr '\0' ' ' >"$tmp/big.yaml"
run 2 "$tmp/big.yaml"
has err "$tmp/big.yaml"
has err "larger than"
printf 'apiVersion: v1\nkind: Pod\n---\n- not an object\n' >"$tmp/seq.yaml"
run 2 "$tmp/seq.yaml"
has err "$tmp/seq.yaml:4:1: document is a sequence"
run 2 "$tmp/missing.yaml"
has err "$tmp/missing.yaml"

# --level/--version: the plain Pod Security Standards. bad-pod fails baseline; the tree's
# Job (runAsUser 0) and b-pod meet baseline.
run 1 --level baseline --version v1.25 "$fx/bad-pod.yaml"
has out "hostNamespaces"
grep -q readOnlyRootFilesystem "$tmp/out" && fail "--level baseline ran socklock's extra check"
run 0 --level baseline --version v1.25 "$fx/tree"
has out "3 objects checked: 3 allowed, 0 denied"
run 1 --level restricted "$fx/tree"
grep -q readOnlyRootFilesystem "$tmp/out" && fail "--level restricted ran socklock's extra check"
run 0 --level privileged "$fx/bad-pod.yaml"
run 1 --output json --version v1.25 "$fx/bad-pod.yaml"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["profile"] == "restricted:v1.25"' "$tmp/out" ||
    fail "plain profile name"

# Usage errors.
run 2
run 2 --output yaml "$fx/good-pod.yaml"
run 2 --level strict "$fx/good-pod.yaml"
run 2 --version v2.0 "$fx/good-pod.yaml"
run 2 --level baseline --profile default "$fx/good-pod.yaml"
run 2 --profile nope "$fx/good-pod.yaml"
run 2 --bogus "$fx/good-pod.yaml"
run 0 --help

exit $failed
