import type { Tensor } from '../core/tensor.js';
import { checkReset, type ResetMechanism } from './common.js';
import { RESET_CODES } from './leaky.js';
import { type NeuronModel, type NeuronSpec, perReset, type SpecResult, type SpecSequenceOptions, specSequence } from './spec.js';

/**
 * Resonate-and-fire neuron (Izhikevich 2001), discretised exactly as a damped rotation (the form of
 * Frady et al. 2022 and Lava's RF neuron): a complex state z = re + i im turns by omega radians per step
 * and decays by `decay`, the input drives the real part, and the neuron fires on the imaginary part:
 *
 *   re[t] = decay (cos(omega) re' - sin(omega) im') + I[t]
 *   im[t] = decay (sin(omega) re' + cos(omega) im') - r_t thr       (subtract; r_t = S[t-1], detached)
 *   (re', im') = (re[t-1], im[t-1]), or (0, 0) where r_t = 1 for the zero reset
 *   S[t] = H(im[t] - thr)
 *
 * An impulse leaves re[t] = decay^t cos(t omega), im[t] = decay^t sin(t omega): the neuron rings at
 * omega / (2 pi) cycles per step, so input pulses one period apart add up and fire it while pulses at
 * other intervals cancel (a band-pass neuron). Parameters: decay in [0, 1] (learnable through a logit),
 * omega in [-pi, pi] and the threshold (both learnable).
 */
const [RE, IM] = [0, 1];
const [PD, PW, PT, COS, SIN] = [0, 1, 2, 3, 4];

export const resonateSpec = perReset((reset) => {
  const spec: NeuronSpec = {
    name: 'Resonate',
    state: ['re', 'im'],
    params: [
      { name: 'decay', lo: 0, hi: 1, init: 0.9, decay: true },
      { name: 'omega', lo: -Math.PI, hi: Math.PI, init: Math.PI / 8 },
      { name: 'threshold', lo: -1e30, hi: 1e30, init: 1 },
    ],
    derived: {
      names: ['cos', 'sin'],
      compute(p) {
        p[COS] = Math.cos(p[PW]);
        p[SIN] = Math.sin(p[PW]);
      },
      backward(p, g) {
        g[PW] += -g[COS] * p[SIN] + g[SIN] * p[COS];
      },
    },
    fire: { state: IM, threshold: { param: PT } },
    wasm: { model: 6, variant: RESET_CODES[reset] },
    step(s0, r, x, p, s) {
      const k = reset === 'zero' && r ? 0 : 1;
      const a = k * s0[RE];
      const b = k * s0[IM];
      s[RE] = p[PD] * (p[COS] * a - p[SIN] * b) + x;
      s[IM] = p[PD] * (p[SIN] * a + p[COS] * b) - (reset === 'subtract' ? r * p[PT] : 0);
    },
    adjoint(s0, r, _x, p, _s, gs, gs0, gp) {
      const k = reset === 'zero' && r ? 0 : 1;
      const a = k * s0[RE];
      const b = k * s0[IM];
      const [d, c, sn] = [p[PD], p[COS], p[SIN]];
      const gr = gs[RE];
      const gi = gs[IM];
      if (reset === 'subtract') gp[PT] -= r * gi;
      gp[PD] += gr * (c * a - sn * b) + gi * (sn * a + c * b);
      gp[COS] += d * (gr * a + gi * b);
      gp[SIN] += d * (gi * a - gr * b);
      gs0[RE] = k * d * (c * gr + sn * gi);
      gs0[IM] = k * d * (c * gi - sn * gr);
      return gr;
    },
  };
  return spec;
});

/** The model for layers and the registry (reset to zero by default: the state restarts after a spike). */
export const resonateModel: NeuronModel = { kind: 'resonate', spec: resonateSpec, defaultReset: 'zero' };

export type ResonateSequenceOptions = Omit<SpecSequenceOptions, 'params'> & {
  decay: Tensor | number;
  omega: Tensor | number;
  threshold: Tensor | number;
  reset: ResetMechanism;
};

/** The [T, B, H] op: spikes and both state variables, differentiable in the input and every parameter. */
export function resonateSequence(input: Tensor, o: ResonateSequenceOptions): SpecResult {
  const { decay, omega, threshold, reset, ...rest } = o;
  return specSequence(resonateSpec(checkReset('Resonate', reset)), input, { ...rest, params: { decay, omega, threshold } });
}
