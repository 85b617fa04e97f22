#!/usr/bin/env python3
"""Writes manifests again in other people's styles, so `fix` meets layouts nobody wrote for
it: every YAML file under SRC (files PyYAML cannot read are passed over) becomes one file
per style under DEST/STYLE/ (at most MAX_FILES_PER_SRC files from each SRC):

  indent4   block style, mappings indented by 4, sequences indented inside their key;
  flowleaf  collections of scalars in flow style (`drop: [ALL]`, `seccompProfile: {type:
            X}`): an insertion there is a fix by hand;
  noisy     block style, narrow lines (long strings folded over lines), comment lines,
            trailing comments and blank lines sprinkled in (seeded, so runs repeat);
  sorted    keys sorted, every document opened with `---`, CRLF line ends.

usage: restyle.py DEST MAX_FILES_PER_SRC SRC..."""
import os
import random
import sys

import yaml


def noisy(text, rng):
    out = []
    for line in text.splitlines(True):
        r = rng.random()
        body = line.rstrip("\n")
        # A trailing comment only after a complete value (not a key opening a block or a
        # scalar continued on the next line).
        if r < 0.08 and ": " in body and not body.rstrip().endswith(("|", ">", "|-", ">-", ":")):
            line = body + "  # trailing\n"
        out.append(line)
        if 0.08 <= r < 0.14:
            out.append("# a comment line\n")
        elif 0.14 <= r < 0.18:
            out.append("\n")
    return "".join(out)


def main():
    dest, limit, srcs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    rng = random.Random(7)
    files = []
    for src in srcs:
        found = []
        for root, dirs, names in os.walk(src):
            dirs.sort()
            found += [os.path.join(root, n) for n in sorted(names) if n.endswith((".yaml", ".yml"))]
        files += found[:limit]
    n = 0
    for f in files:
        try:
            with open(f) as fh:
                docs = [d for d in yaml.safe_load_all(fh) if d is not None]
        except yaml.YAMLError:
            continue
        if not docs:
            continue
        styles = {
            "indent4": yaml.safe_dump_all(docs, default_flow_style=False, indent=4),
            "flowleaf": yaml.safe_dump_all(docs, default_flow_style=None),
            "noisy": noisy(yaml.safe_dump_all(docs, default_flow_style=False, width=24), rng),
            "sorted": yaml.safe_dump_all(docs, default_flow_style=False, explicit_start=True,
                                         sort_keys=True).replace("\n", "\r\n"),
        }
        for style, text in styles.items():
            os.makedirs(os.path.join(dest, style), exist_ok=True)
            with open(os.path.join(dest, style, "%04d.yaml" % n), "w", newline="") as out:
                out.write(text)
        n += 1
    print("restyled %d files" % n)


if __name__ == "__main__":
    main()
