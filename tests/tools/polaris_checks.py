#!/usr/bin/env python3
"""Polaris conformance: every check fixture listed in conformance/polaris/expected.tsv through
`socklock check --output json`, judging only the socklock check that corresponds to the
row's Polaris check (Polaris runs one check per fixture; other violations play no part):

* rows with a `pss_check` are compared with `psa_v1.37_reading` (Pod Security Admission's
  verdict, which differs from Polaris's own `expect` where Polaris is case-insensitive about
  `ALL`). The check runs at its level (baseline or restricted, `latest`), since at
  restricted some baseline checks are replaced by stricter ones.
  `capabilities_restricted(drop ALL part)` counts only the `capabilities.drop=["ALL"]` part of
  that check, as Polaris's insecureCapabilities has no `add` part;
* notReadOnlyRootFilesystem rows are compared with Polaris's `expect`, through socklock's
  extra check readOnlyRootFilesystem (a profile with `readOnlyRootFilesystem: true`);
* linuxHardening has no socklock check: its rows are counted, not judged;
* rows whose fixture is not valid Kubernetes are listed in NOT_KUBERNETES with the reason,
  printed on every run; socklock must not judge them at all (verdict `skipped`).

usage: polaris_checks.py SET_DIR
Prints a line per mismatch and a closing "polaris: N/N" line; exits non-zero on any
mismatch."""
import glob
import json
import os
import subprocess
import sys
import tempfile

from reviewlib import plain_policy

POLICY = plain_policy(("baseline", "baseline", "enforce", False),
                      ("restricted", "restricted", "enforce", False),
                      ("rofs", "privileged", "enforce", True))

# socklock check id and the profile it runs under, per expected.tsv `pss_check` (or, where
# that is `-`, per `polaris_check`). None: no socklock equivalent.
CHECKS = {
    "hostNamespaces": ("hostNamespaces", "baseline"),
    "hostPathVolumes": ("hostPathVolumes", "baseline"),
    "hostPorts": ("hostPorts", "baseline"),
    "windowsHostProcess": ("windowsHostProcess", "baseline"),
    "privileged": ("privileged", "baseline"),
    "procMount": ("procMount", "baseline"),
    "capabilities_baseline": ("capabilities_baseline", "baseline"),
    "allowPrivilegeEscalation": ("allowPrivilegeEscalation", "restricted"),
    "runAsNonRoot": ("runAsNonRoot", "restricted"),
    "capabilities_restricted(drop ALL part)": ("capabilities_restricted", "restricted"),
    "notReadOnlyRootFilesystem": ("readOnlyRootFilesystem", "rofs"),
    "linuxHardening": None,
}
DROP_ALL_PART = 'capabilities.drop=["ALL"]'

# Fixtures that are not valid Kubernetes, with the reason. Nothing else may be left out.
NOT_KUBERNETES = {
    "test/checks/runAsRootAllowed/failure.yaml":
        "kind Deployment with apiVersion v1: no API serves it, so no pod spec to judge",
    "test/checks/runAsRootAllowed/success.yaml":
        "kind Deployment with apiVersion v1: no API serves it, so no pod spec to judge",
}

COLUMNS = ["path", "polaris_check", "kind", "name", "expect", "mutated_expected_path",
           "pss_check", "psa_v1.37_reading"]


def main():
    binary = os.environ.get("SOCKLOCK_BIN", "./socklock")
    base = sys.argv[1]
    with open(os.path.join(base, "expected.tsv")) as f:
        lines = f.read().splitlines()
    header = lines[0].split("\t")
    if header != COLUMNS:
        print(f"FAIL polaris: expected.tsv header is {header}, want {COLUMNS}")
        return 1
    rows = [dict(zip(header, line.split("\t"))) for line in lines[1:] if line]
    if not rows or any(len(r) != len(COLUMNS) for r in rows):
        print("FAIL polaris: expected.tsv has no rows or a short row")
        return 1
    # Every failure/success fixture on disk has its row, so a lost row cannot pass unnoticed.
    on_disk = {os.path.relpath(p, base)
               for pat in ("failure*.yaml", "success*.yaml")
               for p in glob.glob(os.path.join(base, "test/checks/*", pat))}
    listed = {r["path"] for r in rows}
    if on_disk != listed:
        print(f"FAIL polaris: fixtures not in expected.tsv: {sorted(on_disk - listed)}; "
              f"rows without a fixture: {sorted(listed - on_disk)}")
        return 1
    for path, why in sorted(NOT_KUBERNETES.items()):
        if path not in listed:
            print(f"FAIL polaris: excluded fixture {path} is not in expected.tsv")
            return 1
        print(f"polaris: {path} excluded, not valid Kubernetes: {why}")

    passed = judged = not_judged = 0
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        policy = os.path.join(tmp, "plain.yaml")
        with open(policy, "w") as f:
            f.write(POLICY)
        reports = {}
        for prof in ("baseline", "restricted", "rofs"):
            paths = [os.path.join(base, r["path"]) for r in rows]
            proc = subprocess.run([binary, "check", "--policy", policy, "--profile", prof,
                                   "--output", "json"] + paths, capture_output=True, text=True)
            if proc.returncode not in (0, 1):
                print(f"FAIL polaris: check --profile {prof} exited {proc.returncode}: "
                      f"{proc.stderr.strip()}")
                return 1
            objs = json.loads(proc.stdout)["objects"]
            by_file = {}
            for o in objs:
                by_file.setdefault(o["file"], []).append(o)
            reports[prof] = by_file
        for r in rows:
            path = os.path.join(base, r["path"])
            key = r["pss_check"] if r["pss_check"] != "-" else r["polaris_check"]
            if key not in CHECKS:
                failures.append(f"{r['path']}: no mapping for {key}")
                continue
            if CHECKS[key] is None:
                not_judged += 1
                continue
            check, prof = CHECKS[key]
            objs = reports[prof].get(path, [])
            if r["path"] in NOT_KUBERNETES:
                if [o["verdict"] for o in objs] != ["skipped"]:
                    failures.append(f"{r['path']} (not valid Kubernetes): judged "
                                    f"{[o['verdict'] for o in objs]}, want skipped")
                continue
            judged += 1
            if len(objs) != 1 or objs[0]["kind"] != r["kind"] or objs[0]["name"] != r["name"]:
                failures.append(f"{r['path']}: check reports "
                                f"{[(o['kind'], o['name']) for o in objs]}, want one "
                                f"{r['kind']} {r['name']}")
                continue
            hits = [v for v in objs[0]["violations"] if v["check"] == check and
                    (key != "capabilities_restricted(drop ALL part)" or
                     DROP_ALL_PART in v["detail"])]
            want = r["expect"] if prof == "rofs" else r["psa_v1.37_reading"]
            got = "deny" if hits else "allow"
            if want not in ("allow", "deny"):
                failures.append(f"{r['path']}: expectation {want!r}")
            elif got != want:
                failures.append(f"{r['path']} ({r['polaris_check']} as {check} at {prof}): "
                                f"{got}, want {want}")
            else:
                passed += 1
    for f in failures:
        print("FAIL polaris: " + f)
    print(f"polaris: {passed}/{judged} ({not_judged} linuxHardening rows not judged: no "
          f"socklock check; {len(NOT_KUBERNETES)} rows excluded as not valid Kubernetes)")
    return 1 if failures or judged == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
