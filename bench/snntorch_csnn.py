# snnTorch tutorial-6 configuration, timed: 12C5-MP2-64C5-MP2-1024FC10, Leaky(beta=0.5), fast_sigmoid(25),
# T=50 direct input, B=128, Adam 1e-2, ce_rate_loss.  Written for spikeflow's side-by-side benchmark.
# usage: snntorch_csnn.py DATA_DIR MAX_BATCHES EVAL(0/1) THREADS [STEPS]
import os, sys, time, gzip, numpy as np, torch, torch.nn as nn
sys.path.insert(0, os.environ.get('SNNTORCH_SRC', '/tmp/snntorch'))
import snntorch as snn
from snntorch import surrogate, utils
import snntorch.functional as SF
d, maxb, do_eval, th = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
T = int(sys.argv[5]) if len(sys.argv) > 5 else 50
WARM = int(sys.argv[6]) if len(sys.argv) > 6 else 2  # untimed first batches
torch.set_num_threads(th); torch.manual_seed(0)
def idx(p):
    b = gzip.open(p).read()
    return np.frombuffer(b, np.uint8, offset=16 if b[3] == 3 else 8)
Xtr = torch.tensor(idx(f'{d}/train-images-idx3-ubyte.gz').reshape(-1, 1, 28, 28) / 255., dtype=torch.float32)
Ytr = torch.tensor(idx(f'{d}/train-labels-idx1-ubyte.gz').astype(np.int64))
Xte = torch.tensor(idx(f'{d}/t10k-images-idx3-ubyte.gz').reshape(-1, 1, 28, 28) / 255., dtype=torch.float32)
Yte = torch.tensor(idx(f'{d}/t10k-labels-idx1-ubyte.gz').astype(np.int64))
B, beta, sg = 128, 0.5, surrogate.fast_sigmoid(slope=25)
net = nn.Sequential(nn.Conv2d(1, 12, 5), nn.MaxPool2d(2), snn.Leaky(beta=beta, spike_grad=sg, init_hidden=True),
                    nn.Conv2d(12, 64, 5), nn.MaxPool2d(2), snn.Leaky(beta=beta, spike_grad=sg, init_hidden=True),
                    nn.Flatten(), nn.Linear(64 * 4 * 4, 10), snn.Leaky(beta=beta, spike_grad=sg, init_hidden=True, output=True))
def forward(x):
    utils.reset(net); spk = []
    for _ in range(T):
        s, _m = net(x); spk.append(s)
    return torch.stack(spk)
opt = torch.optim.Adam(net.parameters(), lr=1e-2, betas=(0.9, 0.999)); lossf = SF.ce_rate_loss()
perm = torch.randperm(60000); nb = min(maxb, 60000 // B)
tw = None
for i in range(nb):
    if i == WARM: tw = time.perf_counter()
    ix = perm[i * B:(i + 1) * B]
    spk = forward(Xtr[ix]); loss = lossf(spk, Ytr[ix])
    opt.zero_grad(); loss.backward(); opt.step()
t1 = time.perf_counter()
print(f'train: batches={nb} samples/s={(nb - WARM) * B / (t1 - tw):.1f} ms/batch={(t1 - tw) / (nb - WARM) * 1e3:.1f} last_loss={loss.item():.3f}', flush=True)
if do_eval:
    correct = 0; te0 = time.perf_counter()
    with torch.no_grad():
        for i in range(0, 10000, 500):
            spk = forward(Xte[i:i + 500]); correct += (spk.sum(0).argmax(1) == Yte[i:i + 500]).sum().item()
    print(f'test acc={correct / 10000:.4f} infer samples/s={10000 / (time.perf_counter() - te0):.1f}')
