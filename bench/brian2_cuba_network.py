# Runs the CUBA network of ../shared/peers/brian2_cuba.py or the COBA network of bench/brian2_coba.py
# in Brian2 on a given network: the model, synapses and initial membrane potentials come from a JSON file
# written by bench/cuba-same-network.mjs (spikeflow's draw for one seed) instead of Brian2's own random
# draw. Prints one JSON line with the spike count of every neuron over 1 s.
import sys, json
import numpy as np
from brian2 import NeuronGroup, Synapses, SpikeMonitor, run, ms, mV, second, prefs

prefs.codegen.target = 'numpy'
d = json.load(open(sys.argv[1]))
taum = 20*ms; taue = 5*ms; taui = 10*ms; Vt = -50*mV; Vr = -60*mV
if d['model'] == 'cuba':
    El = -49*mV
    eqs = '''dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
dge/dt = -ge/taue : volt
dgi/dt = -gi/taui : volt'''
    method = 'exact'
    we = (60*0.27/10)*mV; wi = (-20*4.5/10)*mV
else:
    El = -60*mV; Erev_exc = 0.*mV; Erev_inh = -80.*mV; I = 20.*mV
    eqs = '''dv/dt  = (ge*(Erev_exc-v)+gi*(Erev_inh-v)-(v-El) + I)*(1./taum) : volt (unless refractory)
dge/dt = -ge/taue : 1
dgi/dt = -gi/taui : 1'''
    method = 'euler'
    we = 0.6; wi = 6.7
P = NeuronGroup(len(d['v0']), eqs, threshold='v>Vt', reset='v = Vr', refractory=5*ms, method=method)
P.v = np.array(d['v0'])*mV
Ce = Synapses(P, P, on_pre='ge += we'); Ci = Synapses(P, P, on_pre='gi += wi')
Ce.connect(i=np.array(d['exc']['pre']), j=np.array(d['exc']['post']))
Ci.connect(i=np.array(d['inh']['pre']), j=np.array(d['inh']['post']))
s = SpikeMonitor(P)
run(1*second)
print(json.dumps({'counts': [int(c) for c in s.count[:]], 'synapses': len(Ce) + len(Ci)}))
