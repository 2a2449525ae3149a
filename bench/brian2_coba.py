# Brian2's COBA benchmark (Vogels & Abbott 2005, as in Brette et al. 2007 and the Brian2 benchmark
# scripts), with the connectivity drawn by Brian2 itself (connect(p=0.02)) instead of a pickled matrix.
# usage: /usr/bin/python3 bench/brian2_coba.py [runtime|numpy|cpp_standalone] [seconds] [seed]
import sys, time
from brian2 import *
target = sys.argv[1] if len(sys.argv) > 1 else 'runtime'
dur = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
sd = int(sys.argv[3]) if len(sys.argv) > 3 else 1
outdir = '/tmp/spikeflow_brian2_coba_out'
if target == 'cpp_standalone':
    set_device('cpp_standalone', directory=outdir, build_on_run=False)
elif target == 'numpy':
    prefs.codegen.target = 'numpy'
seed(sd)
taum = 20*ms; taue = 5*ms; taui = 10*ms; Vt = -50*mV; Vr = -60*mV; El = -60*mV
Erev_exc = 0.*mV; Erev_inh = -80.*mV; I = 20.*mvolt
eqs = '''dv/dt  = (ge*(Erev_exc-v)+gi*(Erev_inh-v)-(v-El) + I)*(1./taum) : volt (unless refractory)
dge/dt = -ge/taue : 1
dgi/dt = -gi/taui : 1'''
P = NeuronGroup(4000, eqs, threshold='v>Vt', reset='v = Vr', refractory=5*ms, method='euler')
P.v = '(randn() * 5. - 55.) * mvolt'
we = 0.6; wi = 6.7
Ce = Synapses(P, P, on_pre='ge += we'); Ci = Synapses(P, P, on_pre='gi += wi')
Ce.connect('i<3200', p=0.02); Ci.connect('i>=3200', p=0.02)
s_mon = SpikeMonitor(P)
t0 = time.time()
run(dur * second)
if target == 'cpp_standalone':
    device.build(directory=outdir, compile=True, run=True)
t1 = time.time()
run_s = float(open(outdir + '/results/last_run_info.txt').read().split()[0]) if target == 'cpp_standalone' else float('nan')
print(f"target={target} sim={dur}s seed={sd} wall={t1-t0:.2f}s run={run_s:.4f}s spikes={s_mon.num_spikes} rate={s_mon.num_spikes/4000/dur:.2f}Hz synapses={len(Ce)+len(Ci)}")
