#!/usr/bin/env python3
"""AdmissionReview conformance: every example listed in
conformance/admission-review/index.tsv (real AdmissionReview/AdmissionRequest v1 requests from
other projects' webhook tests) through `socklock review`, under two plain Pod Security
Standards profiles (baseline and restricted, `latest`, enforce, no readOnlyRootFilesystem, no
exemptions, no mutation: the plain Pod Security Standards, templates judged like pods). What a
user of the webhook sees is asserted:

* the answer is an AdmissionReview with the request's apiVersion and kind, and response.uid is
  request.uid exactly;
* DELETE is allowed with nothing else in the response, also under a warn-mode profile (no
  warnings: nothing was evaluated), although the deleted object (oldObject) fails restricted;
* an UPDATE of a workload that leaves its pod template (spec and annotations) as it was is
  allowed with nothing else in the response (the two UPDATEs here are metadata-only changes to
  Deployments whose templates fail restricted: judging them would refuse a label on a workload
  that predates the policy);
* CREATE and other UPDATEs are allowed exactly when the table's fails_baseline_checks /
  fails_restricted_checks column is `-`. A denial is 403 Forbidden and its status.message
  names, after `KIND "NAME" violates profile "PROFILE": `, exactly the Pod Security Admission
  reasons of the listed checks, each once;
* the check ids themselves, from `socklock check --output json` on request.object (the
  object a `kubectl apply` of it would send; apiVersion and kind taken from request.kind where
  the captured object lacks them), are exactly the listed checks.

usage: admission_reviews.py SET_DIR
Prints a line per mismatch and a closing "admission-review: N/N" line; exits non-zero on any
mismatch."""
import json
import os
import subprocess
import sys
import tempfile

from reviewlib import plain_policy

POLICY = plain_policy(("baseline", "baseline", "enforce", False),
                      ("restricted", "restricted", "enforce", False),
                      ("restricted-warn", "restricted", "warn", False))

# Pod Security Admission's ForbiddenReason for each check id (k8s.io/pod-security-admission
# policy/check_*.go). The seccompProfile and procMount pairs share a reason; only one of a
# pair runs at a level.
REASONS = {
    "appArmorProfile": ("forbidden AppArmor profile", "forbidden AppArmor profiles"),
    "capabilities_baseline": ("non-default capabilities",),
    "hostNamespaces": ("host namespaces",),
    "hostPathVolumes": ("hostPath volumes",),
    "hostPorts": ("hostPort",),
    "hostProbesAndHostLifecycle": ("probe or lifecycle host",),
    "privileged": ("privileged",),
    "procMount": ("procMount",),
    "procMount_restricted": ("procMount",),
    "seLinuxOptions": ("seLinuxOptions",),
    "seccompProfile_baseline": ("seccompProfile",),
    "seccompProfile_restricted": ("seccompProfile",),
    "sysctls": ("forbidden sysctls",),
    "windowsHostProcess": ("hostProcess",),
    "allowPrivilegeEscalation": ("allowPrivilegeEscalation != false",),
    "capabilities_restricted": ("unrestricted capabilities",),
    "restrictedVolumes": ("restricted volume types",),
    "runAsNonRoot": ("runAsNonRoot != true",),
    "runAsUser": ("runAsUser=0",),
}

COLUMNS = ["path", "wrapped_path", "source_repo", "source_commit", "source_path", "envelope",
           "review_apiVersion", "operation", "kind", "resource", "subResource", "namespace",
           "name", "oldObject", "pss_level_reading", "fails_baseline_checks",
           "fails_restricted_checks"]


def split_reasons(text):
    """Splits `R1 (D1), R2, R3 (D3)` at the commas outside parentheses and double quotes;
    returns the reasons (each item without its parenthesised detail)."""
    items, depth, quoted, start, i = [], 0, False, 0, 0
    while i < len(text):
        c = text[i]
        if c == "\\" and quoted:
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        elif not quoted and c == "(":
            depth += 1
        elif not quoted and c == ")":
            depth -= 1
        elif not quoted and depth == 0 and text.startswith(", ", i):
            items.append(text[start:i])
            start = i + 2
            i += 2
            continue
        i += 1
    items.append(text[start:])
    reasons = []
    for it in items:
        cut = it.find(" (")
        reasons.append(it[:cut] if cut >= 0 and it.endswith(")") else it)
    return reasons


def checks_of(cell):
    return sorted(c for c in cell.split(",") if c and c != "-")


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def pod_template(obj, kind):
    """The pod template (metadata, spec) of a workload object, or None."""
    spec = (obj or {}).get("spec") or {}
    if kind == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    t = spec.get("template")
    return t if isinstance(t, dict) else None


def template_kept(req):
    """An UPDATE of a workload whose pod spec and template annotations did not change."""
    kind = (req.get("kind") or {}).get("kind")
    if req.get("operation") != "UPDATE" or kind in ("Pod", None):
        return False
    now, old = pod_template(req.get("object"), kind), pod_template(req.get("oldObject"), kind)
    if now is None or old is None:
        return False
    ann = lambda t: ((t.get("metadata") or {}).get("annotations")) or {}
    return now.get("spec") == old.get("spec") and ann(now) == ann(old)


def main():
    binary = os.environ.get("SOCKLOCK_BIN", "./socklock")
    base = sys.argv[1]
    with open(os.path.join(base, "index.tsv")) as f:
        lines = f.read().splitlines()
    header = lines[0].split("\t")
    if header != COLUMNS:
        print(f"FAIL admission-review: index.tsv header is {header}, want {COLUMNS}")
        return 1
    rows = [dict(zip(header, line.split("\t"))) for line in lines[1:] if line]
    if not rows or any(len(r) != len(COLUMNS) for r in rows):
        print("FAIL admission-review: index.tsv has no rows or a short row")
        return 1
    # Every example on disk is in the table, so a lost row cannot pass unnoticed.
    on_disk = {os.path.relpath(os.path.join(d, f), base)
               for top in ("original", "wrapped")
               for d, _, files in os.walk(os.path.join(base, top)) for f in files}
    listed = {r["path"] for r in rows} | {r["wrapped_path"] for r in rows}
    if on_disk != listed:
        print(f"FAIL admission-review: files not in index.tsv: {sorted(on_disk - listed)}; "
              f"rows without a file: {sorted(listed - on_disk)}")
        return 1
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        policy = os.path.join(tmp, "plain.yaml")
        with open(policy, "w") as f:
            f.write(POLICY)
        for n, row in enumerate(rows):
            problems = []
            path = os.path.join(base, row["wrapped_path"])
            with open(path, "rb") as f:
                review = json.loads(f.read().decode("utf-8"))
            req = review.get("request") or {}
            uid = req.get("uid")
            op = req.get("operation")
            if not isinstance(uid, str) or op != row["operation"]:
                problems.append(f"request uid {uid!r}, operation {op!r}: not what index.tsv says")
            want = {"baseline": checks_of(row["fails_baseline_checks"]),
                    "restricted": checks_of(row["fails_restricted_checks"])}
            profiles = ["baseline", "restricted"] + (["restricted-warn"] if op == "DELETE" else [])
            for prof in profiles:
                proc = run([binary, "review", "--policy", policy, "--profile", prof, path])
                if proc.returncode != 0:
                    problems.append(f"{prof}: review exited {proc.returncode}: "
                                    f"{proc.stderr.strip()}")
                    continue
                out = json.loads(proc.stdout)
                resp = out.get("response") or {}
                if out.get("apiVersion") != review.get("apiVersion") or \
                        out.get("kind") != "AdmissionReview" or review.get("kind") != "AdmissionReview":
                    problems.append(f"{prof}: answer is {out.get('apiVersion')} {out.get('kind')}")
                if resp.get("uid") != uid:
                    problems.append(f"{prof}: response.uid {resp.get('uid')!r}, request.uid {uid!r}")
                if op == "DELETE" or template_kept(req):
                    if resp.get("allowed") is not True or set(resp) != {"uid", "allowed"}:
                        problems.append(f"{prof}: {op} answered {resp}")
                    continue
                failing = want[prof]
                if not failing:
                    if resp.get("allowed") is not True or "status" in resp:
                        problems.append(f"{prof}: denied, table says allowed: {resp.get('status')}")
                    continue
                st = resp.get("status") or {}
                if resp.get("allowed") is not False or st.get("code") != 403 or \
                        st.get("reason") != "Forbidden":
                    problems.append(f"{prof}: allowed={resp.get('allowed')} code={st.get('code')}"
                                    f", table says denied for {','.join(failing)}")
                    continue
                obj = req.get("object") or {}
                name = req.get("name") or (obj.get("metadata") or {}).get("name", "")
                prefix = f'{req["kind"]["kind"].lower()} "{name}" violates profile "{prof}": '
                msg = st.get("message", "")
                if not msg.startswith(prefix):
                    problems.append(f"{prof}: message does not start with {prefix!r}: {msg!r}")
                    continue
                got = sorted(split_reasons(msg[len(prefix):]))
                # appArmorProfile's reason is plural with several profiles: either form.
                wanted = sorted(next((r for r in REASONS[c] if r in got), REASONS[c][0])
                                for c in failing)
                if got != wanted:
                    problems.append(f"{prof}: message names {got}, table says {wanted}")
            # The check ids, offline, on the object (for DELETE: the deleted oldObject, which
            # must fail restricted for the DELETE assertions above to mean anything).
            obj = req.get("oldObject") if op == "DELETE" else req.get("object")
            obj = dict(obj or {})
            k = req.get("kind") or {}
            obj.setdefault("apiVersion", "/".join(x for x in (k.get("group"), k.get("version")) if x))
            obj.setdefault("kind", k.get("kind"))
            opath = os.path.join(tmp, f"object{n}.json")
            with open(opath, "w") as f:
                json.dump(obj, f)
            for prof in ("baseline", "restricted"):
                proc = run([binary, "check", "--policy", policy, "--profile", prof,
                            "--output", "json", opath])
                try:
                    objs = json.loads(proc.stdout)["objects"]
                except (ValueError, KeyError):
                    problems.append(f"check {prof}: exit {proc.returncode}: {proc.stderr.strip()}")
                    continue
                if len(objs) != 1:
                    problems.append(f"check {prof}: {len(objs)} objects")
                    continue
                ids = sorted(v["check"] for v in objs[0]["violations"])
                if op == "DELETE":
                    if prof == "restricted" and not ids:
                        problems.append("the deleted object passes restricted: DELETE proves nothing")
                    continue
                if ids != want[prof]:
                    problems.append(f"check {prof}: fails {ids}, table says {want[prof]}")
                if proc.returncode != (1 if want[prof] else 0):
                    problems.append(f"check {prof}: exit {proc.returncode}")
            label = f"{row['path']} {op} {row['kind']}"
            if problems:
                failed += 1
                for p in problems:
                    print(f"FAIL {label}: {p}")
            else:
                passed += 1
    print(f"admission-review: {passed}/{len(rows)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
