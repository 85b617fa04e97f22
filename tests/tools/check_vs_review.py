#!/usr/bin/env python3
"""Runs `socklock check --output json` over PATH and then, for every object it reports,
wraps the same object (read independently with PyYAML) in an AdmissionReview CREATE and runs
`socklock review` on it: the two verdicts (and denial messages) must agree, so the offline
and the webhook paths cannot drift apart.

usage: check_vs_review.py PATH EXPECTED_CHECK_EXIT
Prints one line per object and a closing "N agree, N differ" line; exits non-zero on any
difference."""
import json
import os
import subprocess
import sys
import tempfile

import yaml

from reviewlib import expand, review_of


def objects_of(path):
    """The objects of a file in check's order: non-empty documents, *List items expanded."""
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    out = []
    for i, d in enumerate(docs):
        for o in expand(d):
            out.append((i, o))
    return out


def main():
    binary = os.environ.get("SOCKLOCK_BIN", "./socklock")
    path, want_exit = sys.argv[1], int(sys.argv[2])
    # --as-webhook: the webhook's verdict (templates whose pods /mutate will fix are allowed
    # with warnings), which is what /validate answers.
    proc = subprocess.run([binary, "check", "--as-webhook", "--output", "json", path],
                          capture_output=True, text=True)
    if proc.returncode != want_exit:
        print(f"FAIL check exited {proc.returncode}, want {want_exit}: {proc.stderr.strip()}")
        return 1
    report = json.loads(proc.stdout)
    files = {}
    agree = differ = 0
    seen = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n, entry in enumerate(report["objects"]):
            f = entry["file"]
            if f not in files:
                files[f] = objects_of(f)
            k = seen.get(f, 0)
            seen[f] = k + 1
            doc, obj = files[f][k]
            problems = []
            if doc != entry["document"]:
                problems.append(f"document {entry['document']}, PyYAML says {doc}")
            if obj.get("kind") != entry["kind"]:
                problems.append(f"kind {entry['kind']}, PyYAML says {obj.get('kind')}")
            rpath = os.path.join(tmp, f"r{n}.json")
            with open(rpath, "w") as out:
                json.dump(review_of(obj, f"check-{n}"), out)
            rp = subprocess.run([binary, "review", rpath], capture_output=True, text=True)
            if rp.returncode != 0:
                problems.append(f"review exited {rp.returncode}: {rp.stderr.strip()}")
            else:
                resp = json.loads(rp.stdout)["response"]
                denied = resp.get("allowed") is False
                if denied != (entry["verdict"] == "denied"):
                    problems.append(f"check says {entry['verdict']}, review says "
                                    f"{'denied' if denied else 'allowed'}")
                msg = resp.get("status", {}).get("message") if denied else None
                if msg != entry["message"]:
                    problems.append(f"messages differ: {entry['message']!r} vs {msg!r}")
            label = (f"{f}:{entry['line']} {entry['kind']} {entry['namespace']}/{entry['name']}"
                     f" {entry['verdict']}")
            if problems:
                differ += 1
                print(f"FAIL {label}: {'; '.join(problems)}")
            else:
                agree += 1
                print(f"ok   {label}")
    for f, objs in files.items():
        if seen.get(f, 0) != len(objs):
            differ += 1
            print(f"FAIL {f}: check reported {seen.get(f, 0)} objects, PyYAML finds {len(objs)}")
    if report["summary"]["denied"] == 0 and want_exit == 1:
        differ += 1
        print("FAIL nothing denied")
    print(f"check vs review: {agree} agree, {differ} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
