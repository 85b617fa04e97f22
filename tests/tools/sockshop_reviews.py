#!/usr/bin/env python3
"""Wraps every Sock Shop workload listed in conformance/sock-shop/workloads.tsv in an
AdmissionReview CREATE (as the API server would send it), runs `socklock review` on it and
compares the verdict with the folder's reading for the default profile's checks, with
mutation off so that templates are judged like pods (the reading is of the manifests as
written; what /mutate makes of their pods is checked by the mutation suite):

* denied exactly when the reading lists a failing restricted check, or readOnlyRootFilesystem
  is not set on every container (socklock's extra check), unless the namespace is exempt in
  the default policy (kube-system);
* every failing check of the reading is named in the denial, and no other PSS check is.

The YAML is read with PyYAML, independently of socklock's own reader. Prints a line per
mismatch and a closing "sock-shop reviews: N/N" line; exits non-zero on any mismatch or
when the table has no rows."""
import json
import os
import subprocess
import sys
import tempfile

import yaml

from reviewlib import expand, review_of

# How each PSA check id shows in a denial message (PSA's ForbiddenReason texts).
REASONS = {
    "runAsNonRoot": "runAsNonRoot != true",
    "runAsUser": "runAsUser=0",
    "allowPrivilegeEscalation": "allowPrivilegeEscalation != false",
    "seccompProfile_restricted": "seccompProfile",
    "capabilities_restricted": "unrestricted capabilities",
    "restrictedVolumes": "restricted volume types",
    "hostNamespaces": "host namespaces",
    "hostPorts": "hostPort",
    "privileged": "privileged (",
}
EXEMPT_NAMESPACES = {"kube-system", "socklock-system"}
# The embedded default policy's profile, but not mutating.
POLICY = """\
profiles:
  default:
    level: restricted
    version: latest
    readOnlyRootFilesystem: true
    mutate: false
    exemptions:
      namespaces: [kube-system, socklock-system]
"""


def load_docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f)]


def find_object(base, source, kind, name):
    first = source.split(";")[0]
    path, _, doc = first.partition("#doc")
    docs = load_docs(os.path.join(base, path))
    objs = []
    if doc:
        objs = [docs[int(doc)]]
    else:
        objs = [d for d in docs if d]
    for o in objs:
        for cand in expand(o):
            if cand.get("kind") == kind and cand.get("metadata", {}).get("name") == name:
                return cand
    raise SystemExit(f"{source}: {kind} {name} not found")


def main():
    binary = os.environ.get("SOCKLOCK_BIN", "./socklock")
    base = sys.argv[1]
    passed = failed = 0
    rows = open(os.path.join(base, "workloads.tsv")).read().splitlines()
    header = rows[0].split("\t")
    with tempfile.TemporaryDirectory() as tmp:
        policy = os.path.join(tmp, "policy.yaml")
        with open(policy, "w") as f:
            f.write(POLICY)
        for n, line in enumerate(rows[1:]):
            row = dict(zip(header, line.split("\t")))
            obj = find_object(base, row["source"], row["kind"], row["name"])
            ns = obj.get("metadata", {}).get("namespace") or "default"
            review = review_of(obj, f"sockshop-{n}", "kubernetes-admin")
            path = os.path.join(tmp, f"r{n}.json")
            with open(path, "w") as f:
                json.dump(review, f)
            proc = subprocess.run([binary, "review", "--policy", policy, path],
                                  capture_output=True, text=True)
            problems = []
            if proc.returncode != 0:
                problems.append(f"exit {proc.returncode}: {proc.stderr.strip()}")
                resp = {}
            else:
                resp = json.loads(proc.stdout)["response"]
                if resp.get("uid") != f"sockshop-{n}":
                    problems.append("uid not echoed")
            failing = [c for c in row["fails_restricted_checks"].split(",") if c != "-"]
            rofs_fails = row["readOnlyRootFilesystem"] != "yes"
            exempt = ns in EXEMPT_NAMESPACES
            want_denied = (bool(failing) or rofs_fails) and not exempt
            denied = resp.get("allowed") is False
            msg = resp.get("status", {}).get("message", "")
            if resp and denied != want_denied:
                problems.append(f"{'denied' if denied else 'allowed'}, reading says "
                                f"{'deny' if want_denied else 'allow'}")
            if denied:
                if resp["status"].get("code") != 403:
                    problems.append(f"code {resp['status'].get('code')}")
                for c in failing:
                    if REASONS.get(c, c) not in msg:
                        problems.append(f"{c} not named")
                for c, text in REASONS.items():
                    if c not in failing and text in msg:
                        problems.append(f"{c} named but the reading says it passes")
                if rofs_fails != ("readOnlyRootFilesystem" in msg):
                    problems.append("readOnlyRootFilesystem verdict differs")
            label = f"{row['source'].split(';')[0]} {row['kind']} {ns}/{row['name']}"
            if problems:
                failed += 1
                print(f"FAIL {label}: {'; '.join(problems)}")
            else:
                passed += 1
    print(f"sock-shop reviews: {passed}/{passed + failed} agree with workloads.tsv")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
