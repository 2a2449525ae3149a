#!/usr/bin/env python3
"""Compare two folders of snnTorch fixtures (e.g. test/fixtures/snntorch against ../shared/fixtures/snntorch).

    python3 tools/compare-fixtures.py A_DIR B_DIR [TOL]

For every file in FILES: same structure (keys, case order, lengths, strings, non-numeric values), and
numbers equal within TOL (default 1e-6, absolute). Prints the max abs difference per file and the
worst field; exits 1 on a structural difference or a number beyond TOL. Standard library only.
"""

import json
import os
import sys

FILES = ["neurons", "surrogates", "encoders", "losses", "bptt"]


def walk(a, b, path, out):
    """Append (diff, path) for every number; raise ValueError on a structural difference."""
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or a is None:
        if a != b:
            raise ValueError(f"{path}: {a!r} vs {b!r}")
    elif isinstance(a, (int, float)):
        if not isinstance(b, (int, float)):
            raise ValueError(f"{path}: number vs {type(b).__name__}")
        out.append((abs(a - b), path))
    elif isinstance(a, list):
        if not isinstance(b, list) or len(a) != len(b):
            raise ValueError(f"{path}: list of {len(a)} vs {b if not isinstance(b, list) else len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            walk(x, y, f"{path}[{i}]", out)
    elif isinstance(a, dict):
        if not isinstance(b, dict) or list(a) != list(b):
            raise ValueError(f"{path}: keys {list(a)} vs {list(b) if isinstance(b, dict) else type(b).__name__}")
        for k in a:
            walk(a[k], b[k], f"{path}.{k}", out)
    else:
        raise ValueError(f"{path}: unexpected {type(a).__name__}")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    da, db = sys.argv[1], sys.argv[2]
    tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-6
    ok = True
    for name in FILES:
        pa, pb = os.path.join(da, name + ".json"), os.path.join(db, name + ".json")
        with open(pa) as f:
            a = json.load(f)
        with open(pb) as f:
            b = json.load(f)
        diffs = []
        try:
            walk(a, b, name, diffs)
        except ValueError as e:
            print(f"{name}.json: STRUCTURE differs: {e}")
            ok = False
            continue
        worst = max(diffs) if diffs else (0.0, name)
        n_diff = sum(1 for d, _ in diffs if d > 0)
        same = open(pa, "rb").read() == open(pb, "rb").read()
        status = "ok" if worst[0] <= tol else "FAIL"
        ok = ok and worst[0] <= tol
        print(f"{name}.json: {status}, {len(diffs)} numbers, {n_diff} differ, max abs diff {worst[0]:.3g}"
              + (f" at {worst[1]}" if worst[0] > 0 else "") + (" (byte-identical)" if same else ""))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
