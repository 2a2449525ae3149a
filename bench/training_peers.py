# Training throughput of the peers in their fastest user-level forms, next to their tutorial forms, for
# spikeflow's side-by-side benchmark (bench/training-peers.mjs runs it). Debian torch 1.13, one torch thread,
# the peers from their sources (SNNTORCH_SRC, SPIKINGJELLY_SRC, NORSE_SRC). Every form trains the same
# network with the same loss on MNIST, direct input (the image is the input current at every step):
#   fc:   tutorial 5: 784-1000-10, beta 0.95, T = 25, B = 128, Adam 5e-4, loss = sum over steps of the
#         cross-entropy of the output membrane;
#   csnn: tutorial 6: 12C5-MP2-64C5-MP2-1024FC10, beta 0.5, fast sigmoid (slope 25), T = 50, B = 128,
#         Adam 1e-2, loss = cross-entropy of the output spikes at every step (snnTorch's ce_rate_loss).
# Forms:
#   tutorial  - the loop of the peer's tutorial: every layer called once per step (snnTorch's own tutorial
#               forms are bench/snntorch_csnn.py and ../shared/peers/snntorch_mnist.py; here for SpikingJelly
#               and Norse);
#   fast      - layer by layer: the first layer once for all steps (its input does not change over time),
#               each neuron layer over the steps with unbind(0), each later Linear / Conv2d once over all T*B rows;
#   multistep - SpikingJelly's multi-step mode (step_mode 'm', torch backend: cupy is absent): the first
#               layer once, its output repeated over T, every later layer in multi-step mode. Its LIF loop
#               indexes x_seq[t], whose backward on torch 1.13 adds a [T, ...] gradient per step (grows with T^2).
# Neurons: snnTorch Leaky; SpikingJelly LIFNode(tau = 1/(1-beta), decay_input False, v_reset None: soft reset);
# Norse 1.0 LIFBoxCell (dt * tau_mem_inv = 1 - beta, threshold scaled to match; reset to zero).
# usage: training_peers.py MODEL LIB FORM DATA_DIR BATCHES WARMUP THREADS [STEPS BATCH]   -> one JSON line
# (STEPS and BATCH override T and B: for a quick check that a form runs)
import gzip, json, os, resource, sys, time
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F

model, lib, form, d, nb, warm, th = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
sys.path.insert(0, os.environ['PEER_SRC'])
torch.set_num_threads(th)
torch.manual_seed(0)


def idx(p):
    b = gzip.open(p).read()
    return np.frombuffer(b, np.uint8, offset=16 if b[3] == 3 else 8)


shape = (-1, 784) if model == 'fc' else (-1, 1, 28, 28)
Xtr = torch.tensor(idx(f'{d}/train-images-idx3-ubyte.gz').reshape(*shape) / 255., dtype=torch.float32)
Ytr = torch.tensor(idx(f'{d}/train-labels-idx1-ubyte.gz').astype(np.int64))
B = int(sys.argv[9]) if len(sys.argv) > 9 else 128
T, beta, lr = (25, 0.95, 5e-4) if model == 'fc' else (50, 0.5, 1e-2)
if len(sys.argv) > 8:
    T = int(sys.argv[8])

# ---- one neuron layer per library: make() -> a callable over one step (state kept inside) and a reset ----
if lib == 'snntorch':
    import snntorch as snn
    from snntorch import surrogate
    version = f'snnTorch {snn.__version__}'
    sg = surrogate.atan() if model == 'fc' else surrogate.fast_sigmoid(slope=25)

    class Neuron:
        def __init__(self):
            self.lif = snn.Leaky(beta=beta, spike_grad=sg)
            self.mem = None

        def reset(self):
            self.mem = self.lif.init_leaky()

        def __call__(self, x):
            spk, self.mem = self.lif(x, self.mem)
            return spk, self.mem
elif lib == 'spikingjelly':
    from spikingjelly.activation_based import neuron, surrogate, functional
    version = 'SpikingJelly (tree of 2023-04-01)'
    # SoftSign(alpha = slope) is the fast sigmoid's shape, 1 / (1 + slope |x|)^2, scaled by slope / 2
    sg = surrogate.ATan() if model == 'fc' else surrogate.SoftSign(alpha=25.)

    class Neuron:
        def __init__(self, step_mode='s'):
            self.lif = neuron.LIFNode(tau=1 / (1 - beta), decay_input=False, v_reset=None, surrogate_function=sg,
                                      step_mode=step_mode, backend='torch', store_v_seq=step_mode == 'm')

        def reset(self):
            functional.reset_net(self.lif)

        def __call__(self, x):
            s = self.lif(x)
            return s, (self.lif.v_seq if self.lif.step_mode == 'm' else self.lif.v)
elif lib == 'norse':
    import norse
    from norse.torch import LIFBoxCell, LIFBoxParameters
    version = f'Norse {getattr(norse, "__version__", "1.0.0")}'

    class Neuron:
        def __init__(self):
            k = 1 - beta  # dt * tau_mem_inv: v <- beta v + k x; threshold k makes k v cross it where v crosses 1
            self.cell = LIFBoxCell(LIFBoxParameters(tau_mem_inv=torch.as_tensor(k / 1e-3), v_th=torch.as_tensor(k)))
            self.state = None

        def reset(self):
            self.state = None

        def __call__(self, x):
            z, self.state = self.cell(x, self.state)
            return z, self.state.v
else:
    raise SystemExit(f'unknown peer {lib}')

multistep = form == 'multistep'
if multistep and lib != 'spikingjelly':
    raise SystemExit('multistep is SpikingJelly\'s mode')
if form == 'tutorial' and lib == 'snntorch':
    raise SystemExit("snnTorch's tutorial forms are bench/snntorch_csnn.py and ../shared/peers/snntorch_mnist.py")
neurons = [Neuron('m') if multistep else Neuron() for _ in range(2 if model == 'fc' else 3)]


def over_steps(nrn, cur, constant=False):
    """A neuron layer over all steps: cur [T, ...], or with `constant` one [...] current for every step. Returns spikes and membranes [T, ...]."""
    nrn.reset()
    if multistep:  # SpikingJelly's own loop over the sequence (a constant current repeated over T)
        return nrn(cur.unsqueeze(0).repeat(T, *[1] * cur.dim()) if constant else cur)
    s, m = zip(*(nrn(c) for c in ([cur] * T if constant else cur.unbind(0))))
    return torch.stack(s), torch.stack(m)


if model == 'fc':
    fc1, fc2 = nn.Linear(784, 1000), nn.Linear(1000, 10)
    params = list(fc1.parameters()) + list(fc2.parameters())

    def forward(x):
        if form == 'tutorial':
            for nrn in neurons:
                nrn.reset()
            mems = []
            for _ in range(T):
                s1, _ = neurons[0](fc1(x))
                _, m2 = neurons[1](fc2(s1))
                mems.append(m2)
            return torch.stack(mems)
        c1 = fc1(x)  # once: the input is the same at every step
        s1, _ = over_steps(neurons[0], c1, constant=True)
        c2 = fc2(s1.reshape(T * B, 1000)).reshape(T, B, 10)
        _, m2 = over_steps(neurons[1], c2)
        return m2

    def loss_of(out, y):
        return F.cross_entropy(out.reshape(T * B, 10), y.repeat(T), reduction='mean') * T  # sum over steps of the mean CE
else:
    conv1, conv2, fc = nn.Conv2d(1, 12, 5), nn.Conv2d(12, 64, 5), nn.Linear(64 * 4 * 4, 10)
    params = list(conv1.parameters()) + list(conv2.parameters()) + list(fc.parameters())

    def forward(x):
        if form == 'tutorial':
            for nrn in neurons:
                nrn.reset()
            out = []
            for _ in range(T):
                s1, _ = neurons[0](F.max_pool2d(conv1(x), 2))
                s2, _ = neurons[1](F.max_pool2d(conv2(s1), 2))
                s3, _ = neurons[2](fc(s2.flatten(1)))
                out.append(s3)
            return torch.stack(out)
        c1 = F.max_pool2d(conv1(x), 2)  # once: the input is the same at every step
        s1, _ = over_steps(neurons[0], c1, constant=True)
        c2 = F.max_pool2d(conv2(s1.reshape(T * B, 12, 12, 12)), 2).reshape(T, B, 64, 4, 4)
        s2, _ = over_steps(neurons[1], c2)
        c3 = fc(s2.reshape(T * B, 64 * 4 * 4)).reshape(T, B, 10)
        s3, _ = over_steps(neurons[2], c3)
        return s3

    def loss_of(out, y):
        return F.cross_entropy(out.reshape(T * B, 10), y.repeat(T))

opt = torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999))
perm = torch.randperm(60000)
tw = time.perf_counter()
for i in range(nb):
    if i == warm:
        tw = time.perf_counter()
    ix = perm[i * B:(i + 1) * B]
    loss = loss_of(forward(Xtr[ix]), Ytr[ix])
    opt.zero_grad()
    loss.backward()
    opt.step()
t1 = time.perf_counter()
print(json.dumps({
    'peer': f'{version} ({form}, torch {torch.__version__.split("+")[0]}, {th} thread{"s" if th > 1 else ""})', 'model': model, 'form': form,
    'trainSamplesPerSec': (nb - warm) * B / (t1 - tw), 'msPerBatch': (t1 - tw) / (nb - warm) * 1e3, 'lastLoss': loss.item(),
    'batches': nb - warm, 'T': T, 'B': B, 'peakRssMB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
