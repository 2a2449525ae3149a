#!/usr/bin/env python3
"""snnTorch networks exported to NIR by snnTorch itself, with what snnTorch computes: the fixtures of
test/nir/execute-peers.test.ts (test/fixtures/nir/peers/snntorch/*.nir.gz and .json).

Needs the sources of snnTorch (>= 0.9.4, which has export_nir.py), the Python nir library and nirtorch
(snnTorch's exporter traces the model with nirtorch.extract_nir_graph), on Debian's python3 with
python3-torch, python3-numpy and python3-h5py (no pip):

    git --git-dir=NIR.git archive HEAD nir | tar -x -C /tmp/nirpy          # github neuromorphs/NIR
    git --git-dir=NIRTorch.git archive HEAD nirtorch | tar -x -C /tmp/nirpy # github neuromorphs/NIRTorch
    SNNTORCH_SRC=/tmp/peers/snntorch NIR_SRC=/tmp/nirpy /usr/bin/python3 tools/nir-peer-fixtures.py generate [OUT_DIR]

generate: builds each network with fixed random weights (torch.manual_seed), runs it step by step on
a fixed random input current [T, B, ...] and records every neuron layer's spikes and membrane (and
synaptic current), then exports the network with snnTorch's export_to_nir and writes it with
nir.write. The neurons are built as NIR's LIF/CubaLIF behave (reset to zero right after the spike:
reset_mechanism="zero", reset_delay=False; snnTorch's exporter writes v_reset = 0 whatever the module's
reset, so a module with the default subtract reset would not be what its file says). RSynaptic is left
out: in snnTorch 0.9.4 RSynaptic(reset_delay=False) fails in its forward (spk is None). Per-neuron beta,
alpha and thresholds are tensors: the exporter gives scalar parameters a shape that nir's type check
refuses. Records are keyed by the node names in the exported graph ("1" or "1.lif" for a recurrent
layer), arrays in torch's layout [T, B, ...].

check DIR: reads every DIR/*.nir (written by spikeflow's toNir, see tools/nir-peer-export.mjs) with
nir.read, imports it with snnTorch's import_from_nir, runs it on the input stored in DIR/<name>.json
and compares the spikes of the output with the ones spikeflow computed (also in that JSON). Prints one
line per file; exits 1 on any difference.
"""

import gzip
import json
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
from snntorch.export_nir import export_to_nir  # noqa: E402

T, B = 25, 2


def neuron(kind, shape, gen, **kw):
    """A neuron module as NIR's LIF/CubaLIF: reset to zero right after a spike, per-neuron parameters."""
    beta = torch.rand(shape, generator=gen) * 0.25 + 0.7
    thr = torch.rand(shape, generator=gen) * 0.5 + 0.5
    common = dict(threshold=thr, init_hidden=True, reset_mechanism="zero", reset_delay=False)
    if kind == "leaky":
        return snn.Leaky(beta=beta, **common)
    alpha = torch.rand(shape, generator=gen) * 0.4 + 0.4
    if kind == "synaptic":
        return snn.Synaptic(alpha=alpha, beta=beta, **common)
    if kind == "rleaky":
        return snn.RLeaky(beta=beta, linear_features=shape[0], **common)
    raise ValueError(kind)


def networks():
    gen = torch.Generator().manual_seed(7)
    torch.manual_seed(7)  # torch.nn layers' own initialisation
    yield "snntorch_fc", [6], torch.nn.Sequential(
        torch.nn.Linear(6, 5), neuron("leaky", [5], gen), torch.nn.Linear(5, 3), neuron("leaky", [3], gen)
    )
    yield "snntorch_synaptic", [6], torch.nn.Sequential(
        torch.nn.Linear(6, 5), neuron("synaptic", [5], gen), torch.nn.Linear(5, 3, bias=False), neuron("synaptic", [3], gen)
    )
    yield "snntorch_rleaky", [6], torch.nn.Sequential(
        torch.nn.Linear(6, 5), neuron("rleaky", [5], gen), torch.nn.Linear(5, 3), neuron("leaky", [3], gen)
    )
    yield "snntorch_conv", [1, 4, 4], torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3, padding=1),
        neuron("leaky", [2, 4, 4], gen),
        torch.nn.AvgPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(8, 3),
        neuron("leaky", [3], gen),
    )


def run(net, x):
    """Steps the network over x [T, B, ...]; per neuron module index: spikes, membrane, synaptic current."""
    rec = {}
    with torch.no_grad():
        for t in range(x.shape[0]):
            h = x[t]
            for i, m in enumerate(net):
                h = m(h)
                if isinstance(m, snn.SpikingNeuron):
                    r = rec.setdefault(i, {"spk": [], "mem": [], "syn": []})
                    r["spk"].append(h.clone())
                    r["mem"].append(m.mem.clone())
                    if hasattr(m, "syn"):
                        r["syn"].append(m.syn.clone())
    return {i: {k: torch.stack(v) for k, v in r.items() if v} for i, r in rec.items()}


def arr(t):
    """Float32 values in their shortest decimal form (the test rounds them back to float32)."""
    return {"shape": list(t.shape), "data": [float(repr(v)) for v in t.detach().numpy().astype(np.float32).ravel()]}


def generate(out):
    os.makedirs(out, exist_ok=True)
    for name, shape, net in networks():
        gen = torch.Generator().manual_seed(11)
        x = (torch.rand([T, B, *shape], generator=gen) * 1.2).float()
        rec = run(net, x)
        graph = export_to_nir(net, torch.zeros([1, *shape]), ignore_dims=[0])
        records = {}
        for i, r in rec.items():
            node = str(i) if str(i) in graph.nodes else f"{i}.lif"
            assert node in graph.nodes, (name, node, list(graph.nodes))
            records[node] = {k: arr(v) for k, v in r.items()}
        last = max(rec)
        path = os.path.join(out, f"{name}.nir")
        nir.write(path, graph)
        with open(path, "rb") as f, open(path + ".gz", "wb") as g:
            g.write(gzip.compress(f.read(), mtime=0))
        os.remove(path)
        doc = {
            "generator": "tools/nir-peer-fixtures.py",
            "snntorch": snn.__version__,
            "dt": 1e-4,
            "input": arr(x),
            "records": records,
            "output": {"spk": arr(rec[last]["spk"])},
        }
        with open(os.path.join(out, f"{name}.json"), "w") as f:
            json.dump(doc, f, separators=(",", ":"))
        spikes = {k: int(v["spk"].sum()) for k, v in rec.items()}
        print(f"{name}: nodes {sorted(graph.nodes)}; spikes per layer {spikes}")


def check(folder):
    from snntorch.import_nir import import_from_nir

    bad = 0
    for f in sorted(os.listdir(folder)):
        if not f.endswith(".nir"):
            continue
        name = f[:-4]
        graph = nir.read(os.path.join(folder, f))
        with open(os.path.join(folder, name + ".json")) as fh:
            doc = json.load(fh)
        x = torch.tensor(doc["input"]["data"], dtype=torch.float32).reshape(doc["input"]["shape"])
        # one sample at a time: snnTorch imports NIR's Flatten(0, -1) as torch.nn.Flatten(0, -1), which
        # flattens the batch axis too (its exporter subtracts 1 from torch's dims, its importer does not add it back)
        outs = []
        for b in range(x.shape[1]):
            net = import_from_nir(graph)
            with torch.no_grad():
                for t in range(x.shape[0]):
                    y = net(x[t, b : b + 1])
                    outs.append((y[0] if isinstance(y, tuple) else y).reshape(-1).clone())
        got = torch.stack(outs).reshape(x.shape[1], x.shape[0], -1).transpose(0, 1).reshape(-1).numpy()
        want = np.array(doc["output"]["data"], dtype=np.float32)
        diff = int((got != want).sum())
        bad += diff != 0
        print(f"{name}: {len(graph.nodes)} nodes, {int(want.sum())} spikes from spikeflow, {int(got.sum())} from snnTorch, {diff} differ")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "generate":
        here = os.path.dirname(os.path.abspath(__file__))
        generate(sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "..", "test", "fixtures", "nir", "peers", "snntorch"))
    elif len(sys.argv) == 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        sys.exit(__doc__)
