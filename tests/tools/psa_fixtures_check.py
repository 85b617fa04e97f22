#!/usr/bin/env python3
"""Issue 4's end-to-end conformance: every fixture listed in
conformance/pod-security-admission/manifest.tsv through `socklock check --level L --version V`
(YAML read by socklock's own reader, judged by the same engine as the webhook). One run per
(level, version) with --output json; each fixture's verdict must equal the manifest's
`expect`, the exit status must be 1 when any is denied and 0 otherwise, and every fixture
must also be allowed at level privileged. Prints pass counts per level and a closing
"N passed, N failed" line."""
import collections
import json
import os
import subprocess
import sys

binary = os.environ.get("SOCKLOCK_BIN", "./socklock")
base = sys.argv[1]
groups = collections.defaultdict(list)
with open(os.path.join(base, "manifest.tsv")) as f:
    header = f.readline().rstrip("\n").split("\t")
    for line in f:
        row = dict(zip(header, line.rstrip("\n").split("\t")))
        groups[(row["level"], row["version"])].append(row)

if not groups:
    print(f"FAIL psa fixtures through check: {base}/manifest.tsv has no rows")
    sys.exit(1)
passed = collections.Counter()
total = collections.Counter()
failures = []
for (level, version), rows in sorted(groups.items()):
    paths = [os.path.join(base, r["path"]) for r in rows]
    proc = subprocess.run([binary, "check", "--level", level, "--version", version,
                           "--output", "json"] + paths, capture_output=True, text=True)
    report = json.loads(proc.stdout)
    verdicts = {o["file"]: o["verdict"] for o in report["objects"]}
    any_denied = False
    for r, p in zip(rows, paths):
        total[level] += 1
        got = verdicts.get(p)
        want = "denied" if r["expect"] == "deny" else "allowed"
        any_denied |= got == "denied"
        if got == want:
            passed[level] += 1
        else:
            failures.append(f"{r['path']} at {level} {version}: {got}, want {want} ({r['check']})")
    want_rc = 1 if any_denied else 0
    if proc.returncode != want_rc:
        failures.append(f"{level} {version}: exit {proc.returncode}, want {want_rc}: {proc.stderr}")
    priv = subprocess.run([binary, "check", "--level", "privileged", "--version", version] + paths,
                          capture_output=True, text=True)
    if priv.returncode != 0:
        failures.append(f"{level} {version} at privileged: exit {priv.returncode}")

for f in failures:
    print("FAIL " + f)
for level in sorted(total):
    print(f"check --level {level}: {passed[level]}/{total[level]} fixtures")
n_pass = sum(passed.values())
print(f"psa fixtures through check: {n_pass} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
