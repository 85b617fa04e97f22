"""What the test tools share: turning a manifest object into the AdmissionReview CREATE the
API server would send for it, and expanding *List kinds the way `socklock check` does."""


def expand(o):
    """The objects a document stands for: itself, or the items of a *List kind, recursively."""
    kind = o.get("kind", "") if isinstance(o, dict) else ""
    if kind.endswith("List") and isinstance(o.get("items"), list):
        return [x for item in o["items"] for x in expand(item)]
    return [o]


def review_of(obj, uid, username=""):
    """An admission.k8s.io/v1 AdmissionReview CREATE of obj, namespace from its metadata or
    "default", as `socklock check` judges it."""
    group, _, version = obj.get("apiVersion", "").rpartition("/")
    meta = obj.get("metadata") or {}
    kind = obj.get("kind", "")
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": group, "version": version, "kind": kind},
            "resource": {"group": group, "version": version, "resource": kind.lower() + "s"},
            "namespace": meta.get("namespace") or "default",
            "name": meta.get("name", ""),
            "operation": "CREATE",
            "userInfo": {"username": username},
            "object": obj,
            "dryRun": False,
        },
    }


def plain_policy(*profiles):
    """A policy file's text with plain Pod Security Standards profiles: no exemptions and no
    mutation (templates judged like pods). Each profile is (name, level, mode, rofs):
    readOnlyRootFilesystem on or off, version latest."""
    out = ["profiles:"]
    for name, level, mode, rofs in profiles:
        out += [f"  {name}:", f"    level: {level}", "    version: latest", f"    mode: {mode}",
                f"    readOnlyRootFilesystem: {'true' if rofs else 'false'}", "    mutate: false"]
    return "\n".join(out) + "\n"
