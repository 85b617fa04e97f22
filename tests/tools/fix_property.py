#!/usr/bin/env python3
"""The promise of `socklock fix`, checked over folders of manifests written by others:

  patch     `check --output json` gives each object the patch fix applies to it;
  fixed     `fix --write` on a copy; every fixed document, read with PyYAML (not socklock's
            reader), equals the original document with its objects' patches applied by
            python-jsonpatch (not socklock's applier), compared as JSON; a document fix left
            "by hand" equals the original;
  layout    outside the edits nothing changed: every line of the original is in the fixed
            file, in order, byte for byte (line ends included), except a line whose only
            change is a scalar rewritten in place (`all` -> `ALL`, in its own quotes), an
            empty value (`{}`, `null`) that became a block, or a last line without a line
            end that got one because lines were added after it; the bytes of any other changed
            line are counted and must be 0;
  check     `check` on the fixed copy reports only violations that are not fixable, and no
            object has a patch left;
  again     `fix --diff` on the fixed copy prints nothing;
  diff      `fix --diff` on the originals, applied to them by this script, gives the files
            `--write` wrote.

usage: fix_property.py LABEL PATH...
Prints one line per failure and a closing line with the counts: files, files changed,
documents fixed, objects left by hand, bytes changed outside the edits, JSON files rewritten.
Exits non-zero on any failure."""
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import jsonpatch
import yaml

from reviewlib import expand

failures = []
# PyYAML's pure-Python loader, not its libyaml binding: a reader that shares no code with
# socklock's (which is built on libyaml).
LOADER = yaml.SafeLoader


def fail(msg):
    failures.append(msg)
    print("FAIL", msg)


def norm(v):
    """A PyYAML value as JSON would hold it (keys as strings, timestamps as text)."""
    if isinstance(v, dict):
        return {str(k): norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, (datetime.date, datetime.datetime)):
        return str(v)
    return v


def docs_of(text):
    return [norm(d) for d in yaml.load_all(text, Loader=LOADER) if d is not None]


def run(binary, *args):
    return subprocess.run([binary, *args], capture_output=True)


WORD = re.compile(r"([A-Za-z0-9_]+)")
EMPTY = re.compile(r":[ \t]*(\{\}|\[\]|null|~)(?=[ \t]*(#.*)?$)")


def explained(old, new):
    """True when line old became line new by scalars rewritten in place (a word in another
    case, everything around it the same), by an empty value dropped for a block, or, for a
    last line without a line end, by gaining one before the added lines."""
    if not old.endswith("\n"):
        old += new[len(new.rstrip("\r\n")):]
    to, tn = WORD.split(old), WORD.split(new)
    if len(to) == len(tn) and all(a == b if i % 2 == 0 else a.upper() == b.upper()
                                  for i, (a, b) in enumerate(zip(to, tn))):
        return True
    bo, bn = old.rstrip("\r\n"), new.rstrip("\r\n")
    # The value (and the blanks after it, when nothing else follows) gone; a comment stays.
    return old[len(bo):] == new[len(bn):] and bn in (EMPTY.sub(":", bo), EMPTY.sub(":", bo).rstrip())


def outside_bytes(old_text, new_text):
    """Bytes of the original's lines that are not in the fixed text, unexplained: the
    original lines must appear in order; a changed line must be explained()."""
    old = old_text.splitlines(keepends=True)
    new = new_text.splitlines(keepends=True)
    j = 0
    lost = 0
    for line in old:
        k = j
        while k < len(new) and new[k] != line:
            k += 1
        if k < len(new):
            j = k + 1
            continue
        # Not found unchanged: the next line of the fixed text must be its explained change.
        k = j
        while k < len(new) and not explained(line, new[k]):
            k += 1
        if k < len(new):
            j = k + 1
        else:
            lost += len(line.encode())
    return lost


def apply_diff(text, diff):
    """Applies the hunks of one file's unified diff to text; None when they do not fit."""
    lines = text.splitlines(keepends=True)
    out = []
    at = 0
    hunk = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@$")
    rows = diff.splitlines(keepends=True)
    i = 0
    while i < len(rows):
        m = hunk.match(rows[i].rstrip("\n"))
        i += 1
        if not m:
            continue
        start = int(m.group(1)) - (0 if m.group(2) == "0" else 1)
        out.extend(lines[at:start])
        at = start
        while i < len(rows) and not rows[i].startswith("@@"):
            row = rows[i]
            i += 1
            body = row[1:]
            if i < len(rows) and rows[i].startswith("\\ No newline"):
                body = body[:-1] if body.endswith("\n") else body
                i += 1
            if row[0] in " -":
                if at >= len(lines) or lines[at] != body:
                    return None
                at += 1
            if row[0] in " +":
                out.append(body)
    out.extend(lines[at:])
    return "".join(out)


def split_diffs(text):
    """{file: its diff} from fix --diff's output."""
    out = {}
    name = None
    for row in text.splitlines(keepends=True):
        if row.startswith("--- "):
            continue
        if row.startswith("+++ "):
            name = row[4:].rstrip("\n")
            name = name[2:] if name.startswith("b/") else name
            out[name] = ""
            continue
        if name is not None:
            out[name] += row
    return out


def main():
    binary = os.environ.get("SOCKLOCK_BIN", "./socklock")
    label, paths = sys.argv[1], sys.argv[2:]
    proc = run(binary, "check", "--output", "json", *paths)
    report = json.loads(proc.stdout)
    bad = {e["file"] for e in report["errors"]}
    by_file = {}
    for e in report["objects"]:
        by_file.setdefault(e["file"], []).append(e)
    counts = dict(files=0, changed=0, docs=0, by_hand=0, outside=0, json=0)
    with tempfile.TemporaryDirectory() as tmp:
        copies = {}
        for f in by_file:
            if f in bad:
                continue
            c = os.path.join(tmp, "%05d-%s" % (len(copies), os.path.basename(f)))
            shutil.copyfile(f, c)
            copies[f] = c
        w = run(binary, "fix", "--write", *copies.values())
        if w.returncode not in (0, 1):
            fail("%s: fix --write exited %d: %s" % (label, w.returncode, w.stderr.decode()[-500:]))
        by_hand_lines = [l for l in w.stderr.decode().splitlines() if ": fix by hand (" in l]
        counts["by_hand"] = len(by_hand_lines)
        by_hand_files = {l.split(":")[0] for l in by_hand_lines}
        d = run(binary, "fix", "--diff", *paths)
        diffs = split_diffs(d.stdout.decode())
        for f, c in copies.items():
            counts["files"] += 1
            old_b = open(f, "rb").read()
            new_b = open(c, "rb").read()
            old, new = old_b.decode(), new_b.decode()
            if old_b != new_b:
                counts["changed"] += 1
            # fixed: PyYAML over both, patches by python-jsonpatch.
            want = docs_of(old)
            objs = [o for doc in want for o in expand(doc)]
            entries = by_file[f]
            if len(objs) != len(entries):
                fail("%s: %d objects read, check reported %d" % (f, len(objs), len(entries)))
                continue
            for o, e in zip(objs, entries):
                if e.get("patch"):
                    jsonpatch.apply_patch(o, e["patch"], in_place=True)
            got = docs_of(new)
            if c in by_hand_files:
                # Documents left by hand are as they were: compare document by document.
                orig = docs_of(old)
                for i, (g, wd, od) in enumerate(zip(got, want, orig)):
                    if g != wd and g != od:
                        fail("%s: document %d is neither fixed nor as it was" % (f, i))
            elif got != want:
                fail("%s: the fixed file does not read back as the patched objects" % f)
            counts["docs"] += sum(1 for g, o in zip(got, docs_of(old)) if g != o)
            if f.endswith(".json") and old_b != new_b:
                counts["json"] += 1
            else:
                n = outside_bytes(old, new)
                if n:
                    fail("%s: %d bytes changed outside the edits" % (f, n))
                counts["outside"] += n
            # diff: fix --diff's hunks, applied here, give what --write wrote.
            if old_b != new_b:
                if f not in diffs:
                    fail("%s: changed by --write, absent from --diff" % f)
                elif apply_diff(old, diffs[f]) != new:
                    fail("%s: --diff does not turn the original into the fixed file" % f)
            elif f in diffs:
                fail("%s: unchanged, yet in --diff" % f)
        # check: nothing fixable left, no patch left.
        after = json.loads(run(binary, "check", "--output", "json", *copies.values()).stdout)
        for e in after["objects"]:
            left = [v["check"] for v in e["violations"] if v["fixable"]]
            if (left or e.get("patch")) and e["file"] not in by_hand_files:
                fail("%s:%d: after fix, still fixable: %s" % (e["file"], e["line"], left or e["patch"]))
        # again: fix of fix's output changes nothing.
        again = run(binary, "fix", "--diff", *copies.values())
        if again.stdout:
            fail("%s: fix of its own output changes: %s" % (label, again.stdout.decode()[:500]))
    print("%s: %d files, %d changed; %d documents fixed in place, %d objects to fix by hand; "
          "%d bytes changed outside the edits; %d JSON files rewritten; %d failures"
          % (label, counts["files"], counts["changed"], counts["docs"], counts["by_hand"],
             counts["outside"], counts["json"], len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
