# The Open Neuromorphic SNN library benchmark, snnTorch side, written for spikeflow's side-by-side run:
# Linear(n, n) -> snn.Leaky(beta=0.95) (atan surrogate, threshold 1, reset by subtraction), input
# torch.randn(T, B, n) without gradient, loss = sum of the output spikes; forward and backward timed apart,
# and the whole iteration timed again with no clock read between its parts (togetherMs).
# Two forms: "published" (the benchmark's own loop: the Linear called once per step) and "fast" (the Linear
# run once over all T*B rows, then the neuron loop over unbind(0); indexing x[t] in the loop would make
# torch 1.13's backward grow with T squared); and "gemms", not a training loop: the two dense GEMMs alone.
# usage: open_neuromorphic.py N T B FORM REPS TORCH_THREADS   -> one JSON line
import json, os, resource, sys, time
sys.path.insert(0, os.environ.get('SNNTORCH_SRC', '/tmp/snntorch'))
import torch, torch.nn as nn
import snntorch as snn

n, T, B, form, reps, th = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
torch.set_num_threads(th)
torch.manual_seed(0)
fc = nn.Linear(n, n)
lif = snn.Leaky(beta=0.95)
x = torch.randn(T, B, n)


def forward():
    mem = lif.init_leaky()
    out = []
    if form == 'published':
        for inp in x:
            spk, mem = lif(fc(inp), mem)
            out.append(spk)
    else:
        cur = fc(x.reshape(T * B, n)).reshape(T, B, n)
        for c in cur.unbind(0):
            spk, mem = lif(c, mem)
            out.append(spk)
    return torch.stack(out)


if form == 'gemms':
    # not a training loop: the benchmark's two dense GEMMs alone, as nn.Linear runs them over all T*B rows
    # (forward x W^T, weight gradient g^T x), on torch's BLAS: the time no form on it can beat
    xs, w, g = x.reshape(T * B, n), fc.weight.detach(), torch.randn(T * B, n)
    fwd, bwd = [], []
    with torch.no_grad():
        for r in range(reps + 1):
            t0 = time.perf_counter()
            y = xs @ w.t()
            t1 = time.perf_counter()
            dw = g.t() @ xs
            t2 = time.perf_counter()
            if r:
                fwd.append(t1 - t0)
                bwd.append(t2 - t1)
    med = lambda v: sorted(v)[len(v) // 2]
    total = med([a + b for a, b in zip(fwd, bwd)]) * 1e3
    print(json.dumps({
        'peer': f'torch {torch.__version__.split("+")[0]} (its two GEMMs alone, {th} thread{"s" if th > 1 else ""})', 'form': 'gemms', 'n': n, 'T': T, 'B': B,
        'forwardMs': med(fwd) * 1e3, 'backwardMs': med(bwd) * 1e3, 'totalMs': total, 'togetherMs': total,
        'peakRssMB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))
    sys.exit(0)

fwd, bwd, together = [], [], []
for r in range(reps + 1):  # the first round is a warm-up
    fc.zero_grad()
    t0 = time.perf_counter()
    s = forward()
    t1 = time.perf_counter()
    s.sum().backward()
    t2 = time.perf_counter()
    fc.zero_grad()  # the same iteration with no clock read between its parts
    t3 = time.perf_counter()
    forward().sum().backward()
    t4 = time.perf_counter()
    if r:
        fwd.append(t1 - t0)
        bwd.append(t2 - t1)
        together.append(t4 - t3)
med = lambda v: sorted(v)[len(v) // 2]
print(json.dumps({
    'peer': f'snnTorch {snn.__version__} ({form}, torch {torch.__version__.split("+")[0]}, {th} thread{"s" if th > 1 else ""})', 'n': n, 'T': T, 'B': B,
    'forwardMs': med(fwd) * 1e3, 'backwardMs': med(bwd) * 1e3, 'totalMs': med([a + b for a, b in zip(fwd, bwd)]) * 1e3,
    'togetherMs': med(together) * 1e3,
    'peakRssMB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'spikes': int(s.sum().item()),
}))
