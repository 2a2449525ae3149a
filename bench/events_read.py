# Reading and framing N-MNIST, Tonic's side, written for spikeflow's side-by-side run (bench/events-read.mjs):
# every file listed in DIR/train1K.txt and DIR/test100.txt read with tonic.io.read_mnist_file (the dtype
# of tonic.datasets.NMNIST) and framed with tonic.transforms.ToFrame(sensor_size=(34, 34, 2),
# n_time_bins=BINS), the way tonic.datasets.NMNIST + ToFrame do per sample. Tonic from its source
# (TONIC_SRC: an extracted copy of neuromorphs/tonic) over Debian's numpy; its package __init__ (pbr, the
# dataset modules) is not run, as in tools/tonic-fixtures.py.
# usage: events_read.py DIR BINS REPS   -> one JSON line (median seconds of REPS passes after a warm-up)
import json, os, sys, time, types
import numpy as np

_pkg = types.ModuleType('tonic')
_pkg.__path__ = [os.path.join(os.environ.get('TONIC_SRC', '/tmp/tonic'), 'tonic')]
sys.modules['tonic'] = _pkg
import tonic.io as tio  # noqa: E402
import tonic.transforms as T  # noqa: E402

root, bins, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
files = []
for name in ('train1K.txt', 'test100.txt'):
    with open(os.path.join(root, name)) as f:
        for line in f:
            s = line.strip()
            if s and not s.startswith('#'):
                files.append(os.path.join(root, s.split()[0] + '.bs2'))
dtype = np.dtype([('x', int), ('y', int), ('t', int), ('p', int)])
to_frame = T.ToFrame(sensor_size=(34, 34, 2), n_time_bins=bins)


def one_pass():  # read and frame each file (timed); its frames summed (untimed), then dropped
    seconds = 0.0
    events = 0
    total = 0
    for path in files:
        t0 = time.perf_counter()
        ev = tio.read_mnist_file(path, dtype=dtype)
        frames = to_frame(ev)
        seconds += time.perf_counter() - t0
        events += len(ev)
        total += int(frames.sum())
    return seconds, events, total


times = []
for r in range(reps + 1):  # the first pass is a warm-up (file cache, imports)
    seconds, events, total = one_pass()
    if r:
        times.append(seconds)
print(json.dumps({
    'peer': 'Tonic read_mnist_file + ToFrame (numpy ' + np.__version__ + ')', 'files': len(files), 'bins': bins,
    'seconds': sorted(times)[len(times) // 2], 'events': events, 'frameSum': total,
}))
