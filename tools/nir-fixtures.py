#!/usr/bin/env python3
"""NIR fixtures for spikeflow's test/nir tests, made with the real Python `nir` library.

The `nir` package (github.com/neuromorphs/NIR) is pure Python on numpy and h5py. This script runs
whatever source tree it is given (PYTHONPATH is set from the argument), so one script covers every
release. Extract a release's source from a clone with

    git --git-dir=NIR/.git archive v1.0.7 nir | tar -x -C /tmp/nir-v1.0.7

Commands:

  generate NIR_TREE OUT_DIR [--version-string V]
      Writes primitives.nir.gz (every primitive that release can serialize, per-neuron parameter
      arrays and scalar ones) and network.nir.gz (a nested graph, a recurrent subgraph whose edges
      form a cycle, a cycle at the top level too, and graph metadata where the release has
      metadata) with that release's nir.write, then reads each file back with that release's
      nir.read and stores what it returned as <name>.json next to it: the expected values.
      The .nir files are gzipped afterwards (see gzip_file).

  dump NIR_TREE FILE.nir... [--gzip]
      Writes FILE.json for existing files (e.g. files exported by the peers) from what
      nir.read of NIR_TREE returns (and gzips FILE.nir with --gzip).

  check NIR_TREE FILE.nir...
      Reads files written by spikeflow's writeNir with NIR_TREE's nir.read (the 1.0 reader) and
      compares what it returns with FILE.expected.json, written next to each file by
      tools/nir-roundtrip.mjs. Prints one line per file; exits 1 on any difference.

Notes on running old releases on today's Python 3.11 / numpy 1.24 / h5py 3.7 (all ran unchanged):
  * nir >= 1.0.3 reads its version string from installed package metadata; run from a source tree
    it has none, so nir.write would fail on the missing `nir.version`. The script sets
    `nir.version` to --version-string (default: the tree's folder name after "nir-v", e.g.
    /tmp/nir-v1.0.7 -> "1.0.7"), which is what an installed copy of that release would write.
  * The unreleased main branch (after 1.0.7) gzip-compresses every ndarray and cannot write 0-d
    arrays (h5py refuses filters on scalar datasets), so with --no-scalars the scalar-parameter
    neurons get one-element arrays instead.
  * nir >= 1.0.5 type-checks graphs on construction and read; the graphs here are built and read
    with type_check=False where that argument exists (the primitives graph chains unrelated
    shapes), and the round-trip check reads with type_check=False too.
"""

import inspect
import json
import os
import sys


def load_nir(tree):
    sys.path.insert(0, os.path.abspath(tree))
    import numpy as np  # noqa: F401  (imported before nir, as nir does)
    import nir

    return nir


def fields_of(cls):
    return list(inspect.signature(cls).parameters)


def make(nir, cls_name, **kw):
    """Builds nir.<cls_name> with the keyword arguments that release knows (drops the others)."""
    cls = getattr(nir, cls_name)
    known = fields_of(cls)
    return cls(**{k: v for k, v in kw.items() if k in known})


def io_node(nir, cls_name, shape):
    import numpy as np

    known = fields_of(getattr(nir, cls_name))
    key = "shape" if "shape" in known else ("input_type" if cls_name == "Input" else "output_type")
    return getattr(nir, cls_name)(**{key: np.array(shape)})


def graph(nir, nodes, edges, metadata=None):
    kw = {"nodes": nodes, "edges": edges}
    known = fields_of(nir.NIRGraph)
    if metadata and "metadata" in known:
        kw["metadata"] = metadata
    if "type_check" in known:
        kw["type_check"] = False
    return nir.NIRGraph(**kw)


def primitives(nir, scalars=True):
    import numpy as np

    rng = np.random.default_rng(7)
    f32 = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    n = 3
    per = lambda lo, hi: np.linspace(lo, hi, n)  # noqa: E731  float64, one value per neuron
    sc = (lambda x: np.array(x)) if scalars else (lambda x: np.array([x]))  # 0-d, or 1 element
    nodes = {
        "input": io_node(nir, "Input", [n]),
        "affine": nir.Affine(weight=f32(4, n), bias=f32(4)),
        "linear": nir.Linear(weight=f32(n, 4)),
        "scale": nir.Scale(scale=np.array([0.5, 2.0, -1.0], dtype=np.float32)),
        "delay": nir.Delay(delay=np.array([1.0, 2.0, 3.0])),
        "threshold": nir.Threshold(threshold=np.array([0.1, 0.2, 0.3])),
        "i": nir.I(r=per(1, 2)),
        "if": make(nir, "IF", r=per(1, 2), v_threshold=per(0.5, 1.5), v_reset=per(-0.1, -0.3)),
        "li": nir.LI(tau=per(0.01, 0.03), r=per(1, 1.5), v_leak=per(0, 0.2)),
        "lif": make(nir, "LIF", tau=per(0.02, 0.04), r=per(2, 3), v_leak=per(0.1, 0.3), v_threshold=per(1, 2), v_reset=per(0.05, 0.15)),
        "lif_scalar": make(nir, "LIF", tau=sc(0.005), r=sc(1.0), v_leak=sc(0.0), v_threshold=sc(0.75)),
        "cubalif": make(
            nir, "CubaLIF", tau_syn=per(0.005, 0.007), tau_mem=per(0.01, 0.02), r=per(1, 2), v_leak=per(0, 0),
            v_threshold=per(1, 1.2), v_reset=per(0.0, 0.2), w_in=per(0.5, 1.5),
        ),
        # no w_in: the release's default (ones); no v_reset: the release's default
        "cubalif_defaults": make(nir, "CubaLIF", tau_syn=sc(0.004), tau_mem=sc(0.008), r=sc(1.0), v_leak=sc(0.0), v_threshold=sc(1.0)),
        "conv1d": make(nir, "Conv1d", input_shape=8, weight=f32(2, 1, 3), stride=1, padding=1, dilation=1, groups=1, bias=f32(2)),
        "conv2d": make(nir, "Conv2d", input_shape=np.array([6, 5]), weight=f32(2, 1, 3, 3), stride=(2, 1), padding=(1, 0), dilation=1, groups=1, bias=f32(2)),
        "flatten": make(nir, "Flatten", input_type={"input": np.array([2, 3, 4])}, start_dim=0, end_dim=-1),
        "output": io_node(nir, "Output", [n]),
    }
    if "input_shape" in fields_of(nir.Conv2d):  # string padding arrived with input_shape (1.0)
        nodes["conv2d_same"] = nir.Conv2d(input_shape=np.array([5, 5]), weight=f32(1, 2, 3, 3), stride=1, padding="same", dilation=1, groups=1, bias=f32(1))
    if hasattr(nir, "SumPool2d"):
        nodes["sumpool"] = nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0]))
    if hasattr(nir, "AvgPool2d") and "AvgPool2d" in open(nir.__file__.replace("__init__.py", "serialization.py")).read():
        nodes["avgpool"] = nir.AvgPool2d(kernel_size=np.array([3, 3]), stride=np.array([1, 1]), padding=np.array([1, 1]))
    if hasattr(nir, "CubaLI"):
        nodes["cubali"] = nir.CubaLI(tau_syn=per(0.003, 0.005), tau_mem=per(0.01, 0.03), r=per(1, 2), v_leak=per(0, 0.1), w_in=per(1, 2))
    names = list(nodes)
    edges = [(a, b) for a, b in zip(names[:-1], names[1:])]
    return graph(nir, nodes, edges, {"description": "every primitive", "seed": 7})


def network(nir):
    import numpy as np

    rng = np.random.default_rng(11)
    f32 = lambda *s: (rng.standard_normal(s) * 0.3).astype(np.float32)  # noqa: E731
    h = 4
    sub = graph(
        nir,
        {
            "input": io_node(nir, "Input", [h]),
            "lif": make(nir, "CubaLIF", tau_syn=np.full(h, 0.005), tau_mem=np.full(h, 0.01), r=np.ones(h), v_leak=np.zeros(h),
                        v_threshold=np.ones(h), w_in=np.full(h, 2.0)),
            "rec": nir.Affine(weight=f32(h, h), bias=np.zeros(h, dtype=np.float32)),
            "output": io_node(nir, "Output", [h]),
        },
        [("input", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "output")],
        {"role": "recurrent block"},
    )
    return graph(
        nir,
        {
            "input": io_node(nir, "Input", [2]),
            "fc1": nir.Affine(weight=f32(h, 2), bias=f32(h)),
            "rnn": sub,
            "fc2": nir.Linear(weight=f32(2, h)),
            "lif_out": make(nir, "LIF", tau=np.full(2, 0.02), r=np.ones(2), v_leak=np.zeros(2), v_threshold=np.ones(2)),
            "fb": nir.Scale(scale=np.array([0.25, -0.25], dtype=np.float32)),
            "output": io_node(nir, "Output", [2]),
        },
        [("input", "fc1"), ("fc1", "rnn"), ("rnn", "fc2"), ("fc2", "lif_out"), ("lif_out", "fb"), ("fb", "fc1"), ("lif_out", "output")],
        {"name": "nested recurrent", "version_major": 1, "dt": 0.001, "layers": np.array([2, 4, 2]), "tags": ["snn", "test"]},
    )


def jsonable(x):
    import numpy as np

    if isinstance(x, np.ndarray):
        if x.dtype == object or x.dtype.kind in "SU":
            return {"strings": [s.decode() if isinstance(s, bytes) else str(s) for s in x.reshape(-1).tolist()], "shape": list(x.shape)}
        return {"dtype": x.dtype.name, "shape": list(x.shape), "data": [float(v) for v in x.reshape(-1).tolist()]}
    if isinstance(x, (bytes, np.bytes_)):
        return x.decode()
    if isinstance(x, (bool, np.bool_)):
        return {"bool": bool(x)}
    if isinstance(x, (int, np.integer)):
        return {"int": int(x)}
    if isinstance(x, (float, np.floating)):
        return {"float": float(x)}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, dict):
        return {k: jsonable(v) for k, v in x.items()}
    if x is None or isinstance(x, str):
        return x
    raise TypeError(f"cannot describe {type(x)}")


def describe(nir, node):
    """What the release's reader returned, as JSON: the node's fields under NIR's file names."""
    import dataclasses

    cls = type(node).__name__
    if cls == "NIRGraph":
        out = {"type": cls, "nodes": {k: describe(nir, v) for k, v in node.nodes.items()}, "edges": [[text(a), text(b)] for a, b in node.edges]}
        if getattr(node, "metadata", None):
            out["metadata"] = jsonable(node.metadata)
        return out
    out = {"type": cls}
    for f in dataclasses.fields(node):
        v = getattr(node, f.name)
        if f.name == "metadata":
            if v:
                out["metadata"] = jsonable(v)
        elif f.name == "shape":  # Input/Output before 0.2
            out["shape"] = jsonable(np_array(v))
        elif f.name in ("input_type", "output_type"):
            if cls in ("Input", "Output"):
                out["shape"] = jsonable(np_array(v["input" if cls == "Input" else "output"]))
            elif cls == "Flatten" and f.name == "input_type" and v and v.get("input") is not None:
                out["input_type"] = jsonable(np_array(v["input"]))
        else:
            out[f.name] = jsonable(v)
    return out


def text(s):
    return s.decode() if isinstance(s, bytes) else str(s)


def np_array(v):
    import numpy as np

    return np.asarray(v)


def read(nir, path):
    kw = {"type_check": False} if "type_check" in inspect.signature(nir.read).parameters else {}
    g = nir.read(path, **kw)
    d = describe(nir, g)
    import h5py

    with h5py.File(path, "r") as f:  # the root "version" dataset (absent before 0.2)
        if "version" in f:
            d["version"] = text(f["version"][()])
    return d


def gzip_file(path):
    """HDF5 files are mostly empty space: the fixtures are stored gzipped (no timestamp, so the
    same input gives the same bytes); the tests gunzip them before reading."""
    import gzip

    with open(path, "rb") as src, open(path + ".gz", "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as dst:
            dst.write(src.read())
    os.remove(path)


def main(argv):
    if len(argv) < 3 or argv[0] not in ("generate", "dump", "check"):
        print(__doc__)
        return 2
    cmd, tree = argv[0], argv[1]
    nir = load_nir(tree)
    if not hasattr(nir, "version"):
        v = [a for a in argv if a.startswith("--version-string=")]
        base = os.path.basename(os.path.abspath(tree))
        nir.version = v[0].split("=", 1)[1] if v else base.split("nir-v", 1)[-1]
    if cmd == "generate":
        out = argv[2]
        os.makedirs(out, exist_ok=True)
        cases = {"primitives": primitives(nir, scalars="--no-scalars" not in argv), "network": network(nir)}
        for name, g in cases.items():
            path = os.path.join(out, name + ".nir")
            nir.write(path, g)
            with open(os.path.join(out, name + ".json"), "w") as fh:
                json.dump({"library": nir.version, "read": read(nir, path)}, fh, indent=1, sort_keys=True)
            size = os.path.getsize(path)
            gzip_file(path)
            print(path, size, "bytes,", os.path.getsize(path + ".gz"), "gzipped")
        return 0
    files = [a for a in argv[2:] if not a.startswith("--")]
    if cmd == "dump":
        for path in files:
            with open(path[: -len(".nir")] + ".json", "w") as fh:
                # compact: the peers' files hold whole weight matrices
                json.dump({"library": nir.version, "read": read(nir, path)}, fh, separators=(",", ":"), sort_keys=True)
            if "--gzip" in argv:
                gzip_file(path)
            print(path)
        return 0
    bad = 0
    for path in files:
        with open(path[: -len(".nir")] + ".expected.json") as fh:
            expected = json.load(fh)
        got = read(nir, path)
        print("     version", got.pop("version", None), "read by nir", nir.version)
        expected.pop("version", None)
        diffs = compare(expected, got, "")
        print(("OK   " if not diffs else "DIFF ") + path + "".join("\n     " + d for d in diffs[:10]))
        bad += bool(diffs)
    return 1 if bad else 0


def compare(a, b, where):
    """Differences between two JSON descriptions; numbers compare to float32 rounding."""
    if isinstance(a, dict) and isinstance(b, dict):
        if "data" in a and "data" in b:
            if a["shape"] != b["shape"]:
                return [f"{where}: shape {a['shape']} != {b['shape']}"]
            tol = 1e-7 if "float32" in (a.get("dtype"), b.get("dtype")) else 0
            return [f"{where}[{i}]: {x} != {y}" for i, (x, y) in enumerate(zip(a["data"], b["data"])) if abs(x - y) > tol * max(1, abs(x))]
        out = [f"{where}.{k}: only in {'expected' if k in a else 'read'}" for k in sorted(set(a) ^ set(b))]
        for k in sorted(set(a) & set(b)):
            out += compare(a[k], b[k], f"{where}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: length {len(a)} != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in compare(x, y, f"{where}[{i}]")]
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
