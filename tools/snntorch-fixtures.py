#!/usr/bin/env python3
"""Regenerate spikeflow's snnTorch golden fixtures (test/fixtures/snntorch/*.json).

snnTorch is not vendored: point SNNTORCH_SRC at a folder that holds its source package
(``$SNNTORCH_SRC/snntorch/__init__.py``), e.g. the ``snntorch/`` folder of the public
repository jeshraghian/snntorch at tag v0.9.4. torch and numpy come from the system
(Debian: ``apt-get install python3-torch python3-numpy``, torch 1.13).

    SNNTORCH_SRC=/tmp/peers/snntorch /usr/bin/python3 tools/snntorch-fixtures.py [OUT_DIR]

OUT_DIR defaults to test/fixtures/snntorch beside this script's repository. Every random
input comes from one torch generator seeded with 1 and drawn in a fixed order (neurons,
encoders, losses, bptt), so the output is the same on every run. Files are written with
json.dumps defaults (floats as Python prints float32 values widened to double).
"""

import json
import os
import sys

SRC = os.environ.get("SNNTORCH_SRC")
if not SRC:
    sys.exit("set SNNTORCH_SRC to a folder containing snnTorch's source package (SNNTORCH_SRC/snntorch/__init__.py)")
sys.path.insert(0, SRC)

import torch  # noqa: E402
import snntorch as snn  # noqa: E402
from snntorch import spikegen, surrogate  # noqa: E402
import snntorch.functional as SF  # noqa: E402

SEED = 1
T, B, N = 20, 3, 5  # neuron cases: input [T][B][N]


def rand(*shape):
    return torch.rand(*shape)


def built(make):
    """Build a module without touching the fixture generator (torch.nn.Linear's init draws numbers)."""
    with torch.random.fork_rng():
        return make()


# ---------------------------------------------------------------- neurons

def run_neuron(module, inputs, state_names):
    """Step `module` over inputs[t] from zero state; record spk and the named states per step."""
    module.eval()
    state = [torch.zeros(inputs.shape[1:]) for _ in state_names]
    rec = {"spk": []}
    for n in state_names:
        rec[n] = []
    with torch.no_grad():
        for t in range(inputs.shape[0]):
            out = module(inputs[t], *state)
            spk, state = out[0], list(out[1:])
            rec["spk"].append(spk.tolist())
            for n, s in zip(state_names, state):
                rec[n].append(s.tolist())
    return rec


def neurons():
    cases = []
    for reset, threshold in (("subtract", 1.0), ("zero", 0.8), ("none", 1.0)):
        for per_neuron in (False, True):
            beta = 0.45 + 0.5 * rand(N) if per_neuron else 0.9
            x = rand(T, B, N) * 0.7 - 0.05
            lif = snn.Leaky(beta=beta, threshold=threshold, reset_mechanism=reset)
            r = run_neuron(lif, x, ["mem"])
            cases.append({
                "model": "Leaky", "reset_mechanism": reset,
                "beta": beta.tolist() if per_neuron else beta, "threshold": threshold,
                "input": x.tolist(), "spk": r["spk"], "mem": r["mem"],
            })
    for reset in ("subtract", "zero"):
        x = rand(T, B, N) * 0.5
        syn = snn.Synaptic(alpha=0.8, beta=0.9, threshold=1.0, reset_mechanism=reset)
        r = run_neuron(syn, x, ["syn", "mem"])
        cases.append({
            "model": "Synaptic", "reset_mechanism": reset, "alpha": 0.8, "beta": 0.9, "threshold": 1.0,
            "input": x.tolist(), "spk": r["spk"], "syn": r["syn"], "mem": r["mem"],
        })
    x = rand(T, B, N) * 3.0
    lap = snn.Lapicque(R=5.1, C=5e-3, time_step=1e-3, threshold=1.0, reset_mechanism="subtract")
    r = run_neuron(lap, x, ["mem"])
    cases.append({
        "model": "Lapicque", "R": 5.1, "C": 0.005, "time_step": 0.001, "threshold": 1.0,
        "reset_mechanism": "subtract", "input": x.tolist(), "spk": r["spk"], "mem": r["mem"],
    })
    x = rand(T, B, N) * 0.6
    alpha = snn.Alpha(alpha=0.85, beta=0.8, threshold=1.0, reset_mechanism="zero")
    r = run_neuron(alpha, x, ["syn_exc", "syn_inh", "mem"])
    cases.append({
        "model": "Alpha", "alpha": 0.85, "beta": 0.8, "threshold": 1.0, "reset_mechanism": "zero",
        "input": x.tolist(), "spk": r["spk"], "mem": r["mem"],
    })
    x = rand(T, B, N) * 0.6
    w = rand(N, N) * 0.4 - 0.2  # [out][in] like torch.nn.Linear
    b = rand(N) * 0.1
    rl = built(lambda: snn.RLeaky(beta=0.9, linear_features=N, threshold=1.0, reset_mechanism="subtract"))
    with torch.no_grad():
        rl.recurrent.weight.copy_(w)
        rl.recurrent.bias.copy_(b)
    rl.eval()
    spk, mem = torch.zeros(B, N), torch.zeros(B, N)
    spks, mems = [], []
    with torch.no_grad():
        for t in range(T):
            spk, mem = rl(x[t], spk, mem)
            spks.append(spk.tolist())
            mems.append(mem.tolist())
    cases.append({
        "model": "RLeaky", "beta": 0.9, "threshold": 1.0, "reset_mechanism": "subtract",
        "recurrent_weight": w.tolist(), "recurrent_bias": b.tolist(),
        "input": x.tolist(), "spk": spks, "mem": mems,
    })
    return {
        "note": "snnTorch semantics: mem[t] and spk[t] as returned by the module at step t; zero initial state",
        "cases": cases,
    }


# ---------------------------------------------------------------- surrogates

def surrogates():
    specs = [
        ("atan", {"alpha": 2.0}, lambda p: surrogate.atan(**p)),
        ("fast_sigmoid", {"slope": 25}, lambda p: surrogate.fast_sigmoid(**p)),
        ("sigmoid", {"slope": 25}, lambda p: surrogate.sigmoid(**p)),
        ("triangular", {"threshold": 1}, lambda p: surrogate.triangular(**p)),
        ("spike_rate_escape", {"beta": 1, "slope": 25}, lambda p: surrogate.spike_rate_escape(**p)),
        ("straight_through_estimator", {}, lambda p: surrogate.straight_through_estimator()),
    ]
    cases = []
    for name, params, make in specs:
        x = torch.linspace(-2, 2, 41).requires_grad_(True)
        y = make(params)(x)
        (g,) = torch.autograd.grad(y.sum(), x)
        cases.append({"name": name, "params": params, "x": x.detach().tolist(),
                      "forward": y.detach().tolist(), "grad": g.tolist()})
    return {"note": "x is mem - threshold; forward is the spike; grad is d spike / d x", "cases": cases}


# ---------------------------------------------------------------- encoders

def encoders():
    steps = 12
    lat = rand(4, 6)
    delta = rand(15, 4)  # time-first [T][features]
    cases = []
    for opts in ({}, {"linear": True}, {"normalize": True, "linear": True},
                 {"tau": 5, "threshold": 0.01, "clip": True},
                 {"linear": True, "normalize": True, "first_spike_time": 2}):
        s = spikegen.latency(lat, num_steps=steps, **opts)
        cases.append({"kind": "latency", "num_steps": steps, "options": opts,
                      "data": lat.tolist(), "spikes": s.tolist()})
    for opts in ({"threshold": 0.1}, {"threshold": 0.1, "off_spike": True}, {"threshold": 0.05, "padding": True}):
        s = spikegen.delta(delta, **opts)
        cases.append({"kind": "delta", "options": opts, "data": delta.tolist(), "spikes": s.tolist()})
    return {"note": "spikegen.latency / spikegen.delta outputs, time-first", "cases": cases}


# ---------------------------------------------------------------- losses

def losses():
    spk = (rand(20, 3, 4) > 0.6).float()
    mem = rand(20, 3, 4) * 2 - 0.5
    targets = torch.tensor([0, 2, 3])
    specs = [
        ("ce_rate_loss", "spk", SF.ce_rate_loss()),
        ("ce_count_loss", "spk", SF.ce_count_loss()),
        ("mse_count_loss", "spk", SF.mse_count_loss(correct_rate=0.8, incorrect_rate=0.2)),
        ("ce_max_membrane_loss", "mem", SF.ce_max_membrane_loss()),
        ("mse_membrane_loss", "mem", SF.mse_membrane_loss()),
    ]
    cases = []
    for name, kind, fn in specs:
        x = (spk if kind == "spk" else mem).clone().requires_grad_(True)
        v = fn(x, targets)
        (g,) = torch.autograd.grad(v, x)
        cases.append({"name": name, "input_kind": kind, "input": x.detach().tolist(),
                      "targets": targets.tolist(), "value": v.item(), "grad": g.tolist()})
    acc = SF.accuracy_rate(spk, targets)
    return {"note": "snntorch.functional losses; inputs time-first [T,B,C]", "cases": cases,
            "accuracy_rate": float(acc)}


# ---------------------------------------------------------------- temporal losses

def temporal():
    steps = 12
    spk = (rand(steps, 3, 4) > 0.85).float()
    spk[:, 1, 2] = 0  # an output that never fires: its shadow spike is at the last step
    targets = torch.tensor([0, 2, 3])
    specs = [
        ("mse_temporal_loss", {}, lambda: SF.mse_temporal_loss()),
        ("mse_temporal_loss", {"on_target": 2, "off_target": 9}, lambda: SF.mse_temporal_loss(on_target=2, off_target=9)),
        ("mse_temporal_loss", {"on_target": 1, "off_target": -2, "tolerance": 3},
         lambda: SF.mse_temporal_loss(on_target=1, off_target=-2, tolerance=3)),
        ("ce_temporal_loss", {"inverse": "negate"}, lambda: SF.ce_temporal_loss(inverse="negate")),
        ("ce_temporal_loss", {"inverse": "reciprocal"}, lambda: SF.ce_temporal_loss(inverse="reciprocal")),
    ]
    cases = []
    for name, opts, make in specs:
        x = spk.clone().requires_grad_(True)
        v = make()(x, targets.clone())
        (g,) = torch.autograd.grad(v, x)
        cases.append({"name": name, "options": opts, "input": x.detach().tolist(), "targets": targets.tolist(),
                      "value": v.item(), "grad": g.tolist()})
    times = torch.tensor([3.0, 5.0, 7.0, -1.0])  # target_is_time: one time per output, for every sample
    x = spk.clone().requires_grad_(True)
    v = SF.mse_temporal_loss(target_is_time=True)(x, times.clone())
    (g,) = torch.autograd.grad(v, x)
    cases.append({"name": "mse_temporal_loss", "options": {"target_is_time": True}, "input": x.detach().tolist(),
                  "targets": times.tolist(), "value": v.item(), "grad": g.tolist()})
    return {"note": "snntorch.functional temporal losses (first spike times); spikes time-first [T,B,C]", "cases": cases}


# ---------------------------------------------------------------- bptt

def bptt():
    steps, batch = 10, 2
    x = (rand(steps, batch, 8) > 0.5).float()
    targets = torch.tensor([1, 2])
    w1 = rand(6, 8) - 0.3
    b1 = rand(6) * 0.2
    w2 = rand(3, 6) * 1.2 - 0.4
    b2 = rand(3) * 0.2
    cases = []
    for sname, sg in (("atan", surrogate.atan()), ("fast_sigmoid", surrogate.fast_sigmoid())):
        fc1, fc2 = built(lambda: torch.nn.Linear(8, 6)), built(lambda: torch.nn.Linear(6, 3))
        with torch.no_grad():
            fc1.weight.copy_(w1)
            fc1.bias.copy_(b1)
            fc2.weight.copy_(w2)
            fc2.bias.copy_(b2)
        lif1 = snn.Leaky(beta=0.9, spike_grad=sg)
        lif2 = snn.Leaky(beta=0.8, spike_grad=sg)
        mem1, mem2 = torch.zeros(batch, 6), torch.zeros(batch, 3)
        spk_rec, mem_rec = [], []
        for t in range(steps):
            spk1, mem1 = lif1(fc1(x[t]), mem1)
            spk2, mem2 = lif2(fc2(spk1), mem2)
            spk_rec.append(spk2)
            mem_rec.append(mem2)
        spk_out, mem_out = torch.stack(spk_rec), torch.stack(mem_rec)
        ce = torch.nn.CrossEntropyLoss()
        loss = SF.ce_rate_loss()(spk_out, targets) + sum(ce(mem_out[t], targets) for t in range(steps)) / steps
        loss.backward()
        cases.append({
            "surrogate": sname, "beta1": 0.9, "beta2": 0.8, "input": x.tolist(), "targets": targets.tolist(),
            "fc1_weight": w1.tolist(), "fc1_bias": b1.tolist(), "fc2_weight": w2.tolist(), "fc2_bias": b2.tolist(),
            "out_spk": spk_out.detach().tolist(), "out_mem": mem_out.detach().tolist(), "loss": loss.item(),
            "grad_fc1_weight": fc1.weight.grad.tolist(), "grad_fc1_bias": fc1.bias.grad.tolist(),
            "grad_fc2_weight": fc2.weight.grad.tolist(), "grad_fc2_bias": fc2.bias.grad.tolist(),
        })
    return {"note": "Linear(8,6)->Leaky(0.9)->Linear(6,3)->Leaky(0.8); loss = ce_rate_loss(spk) + mean_t CE(mem_t); "
                    "weights are [out,in] like torch.nn.Linear", "cases": cases}


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(repo, "test", "fixtures", "snntorch")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    # draw order is part of the fixture: neurons, surrogates (no draws), encoders, losses, bptt, temporal
    files = [("neurons", neurons), ("surrogates", surrogates), ("encoders", encoders), ("losses", losses), ("bptt", bptt),
             ("temporal", temporal)]
    for name, make in files:
        data = make()
        path = os.path.join(out, name + ".json")
        with open(path, "w") as f:
            f.write(json.dumps(data))
        print(f"{path}: {len(data['cases'])} cases, {os.path.getsize(path)} bytes")
    print(f"snntorch {snn.__version__} from {os.path.dirname(snn.__file__)}, torch {torch.__version__}")


if __name__ == "__main__":
    main()
