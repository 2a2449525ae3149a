# The Open Neuromorphic SNN library benchmark, SpikingJelly and Norse sides (bench/open-neuromorphic.mjs runs
# them): Linear(n, n) -> LIF, input torch.randn(T, B, n) without gradient, loss = sum of the output spikes,
# forward and backward timed apart and together, each peer from its source on Debian's torch 1.13.
# SpikingJelly (activation_based, torch backend: cupy is absent): LIFNode(tau=20, decay_input=False,
#   v_reset=None, ATan surrogate), i.e. V = 0.95 V + X with reset by subtraction, snnTorch's Leaky up to
#   the order of the reset. Forms: "multistep" (layer.Linear and LIFNode in step_mode 'm': the Linear over
#   all T*B rows once, the LIF's own multi-step loop, which indexes x_seq[t]: on torch 1.13 the backward of
#   each index adds a [T, B, n] gradient, so it grows with T squared); "fast" (the Linear once, then the
#   single-step LIFNode over x.unbind(0)).
# Norse (1.0, the last release whose autograd functions run on torch 1.13): LIFBoxCell (no synaptic current;
#   v += dt * tau_mem_inv * (v_leak - v + x), reset to v_reset, SuperSpike surrogate), tau_mem_inv = 50 so
#   that dt * tau_mem_inv = 0.05 (beta 0.95; the input is scaled by 0.05 as well, so the threshold is 0.05:
#   the same spikes as threshold 1 on the unscaled membrane, up to the reset, which is to zero).
#   Forms: "fast" (the Linear once, the cell over x.unbind(0)); "indexed" (the cell over x[t], the loop of
#   Norse's own sequence layers).
# usage: open_neuromorphic_peers.py LIB N T B FORM REPS TORCH_THREADS   (LIB spikingjelly | norse) -> one JSON line
import json, os, resource, sys, time
sys.path.insert(0, os.environ['PEER_SRC'])
import torch, torch.nn as nn

lib, n, T, B, form, reps, th = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6]), int(sys.argv[7])
torch.set_num_threads(th)
torch.manual_seed(0)
x = torch.randn(T, B, n)

if lib == 'spikingjelly':
    import spikingjelly
    from spikingjelly.activation_based import neuron, layer, surrogate, functional
    version = 'SpikingJelly (tree of 2023-04-01)'
    mode = 'm' if form == 'multistep' else 's'
    fc = layer.Linear(n, n, step_mode='m')
    lif = neuron.LIFNode(tau=20., decay_input=False, v_reset=None, surrogate_function=surrogate.ATan(), step_mode=mode, backend='torch')

    def forward():
        functional.reset_net(lif)
        cur = fc(x)
        if form == 'multistep':
            return lif(cur)
        return torch.stack([lif(c) for c in cur.unbind(0)])
elif lib == 'norse':
    import norse
    from norse.torch import LIFBoxCell, LIFBoxParameters
    version = f'Norse {getattr(norse, "__version__", "1.0.0")}'
    fc = nn.Linear(n, n)
    cell = LIFBoxCell(LIFBoxParameters(tau_mem_inv=torch.as_tensor(50.0), v_th=torch.as_tensor(0.05)))

    def forward():
        cur = fc(x.reshape(T * B, n)).reshape(T, B, n)
        state = None
        out = []
        steps = cur.unbind(0) if form == 'fast' else (cur[t] for t in range(T))
        for c in steps:
            z, state = cell(c, state)
            out.append(z)
        return torch.stack(out)
else:
    raise SystemExit(f'unknown peer {lib}')

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
    'peer': f'{version} ({form}, torch {torch.__version__.split("+")[0]}, {th} thread{"s" if th > 1 else ""})', 'n': n, 'T': T, 'B': B,
    'forwardMs': med(fwd) * 1e3, 'backwardMs': med(bwd) * 1e3, 'totalMs': med([a + b for a, b in zip(fwd, bwd)]) * 1e3,
    'togetherMs': med(together) * 1e3,
    'peakRssMB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'spikes': int(s.sum().item()),
}))
