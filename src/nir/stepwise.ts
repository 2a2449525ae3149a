import { Tensor, accumulateOwnedGrad } from '../core/tensor.js';
import { ValueError } from '../core/errors.js';
import { type NeuronSpec, neuronBackwardTS, neuronForwardTS } from '../kernels/neuron-block.js';
import { addParamGrad, fusedOutputs, paramParents } from '../neurons/common.js';
import type { SpecParams } from '../neurons/spec.js';
import type { Kernels } from '../kernels/types.js';
import type { Surrogate } from '../surrogate/index.js';

/**
 * The differentiable one-step ops of the step-by-step NIR executor (execute.ts, graphs with back
 * edges): a time step cut out of a sequence, steps stacked back into one, a Delay over the steps seen
 * so far, and one step of a neuron spec from explicit previous states (the shared scan's TypeScript
 * block with T = 1, so a step equals the scan's step bit for bit).
 */

/** x[t] of a [T, ...] tensor, as [1, ...]. */
export function timeStep(x: Tensor, t: number): Tensor {
  const per = x.size / x.shape[0];
  const d = x.data;
  const y = d instanceof Uint8Array ? d.slice(t * per, (t + 1) * per) : (d as Float32Array).slice(t * per, (t + 1) * per);
  const shape = [1, ...x.shape.slice(1)];
  if (!x.requiresGrad) return new Tensor(y, shape);
  const out: Tensor = new Tensor(y, shape, {
    parents: [x],
    backward: () => {
      const g = new Float32Array(x.size);
      g.set(out.grad!, t * per);
      accumulateOwnedGrad(x, g);
    },
  });
  return out;
}

/** Steps [1, ...] stacked into [T, ...] (spikes stay spikes when every step is spikes). */
export function stackSteps(xs: Tensor[]): Tensor {
  const per = xs[0].size;
  const spikes = xs.every((x) => x.data instanceof Uint8Array);
  const y = spikes ? new Uint8Array(per * xs.length) : new Float32Array(per * xs.length);
  xs.forEach((x, t) => y.set(x.data, t * per));
  const shape = [xs.length, ...xs[0].shape.slice(1)];
  if (!xs.some((x) => x.requiresGrad)) return new Tensor(y, shape);
  const out: Tensor = new Tensor(y, shape, {
    parents: xs,
    backward: () => {
      const g = out.grad!;
      xs.forEach((x, t) => {
        if (x.requiresGrad) accumulateOwnedGrad(x, g.slice(t * per, (t + 1) * per));
      });
    },
  });
  return out;
}

/** y[f] = hist[t - k[f]][f] (0 before the start): one step of a per-feature Delay of k[f] whole steps. */
export function delayedStep(hist: Tensor[], t: number, k: Int32Array): Tensor {
  const x0 = hist[0];
  const per = x0.size;
  const F = x0.shape[x0.shape.length - 1];
  const src = (j: number) => t - k[k.length === 1 ? 0 : j % F];
  const y = new Float32Array(per);
  const used = new Set<number>();
  for (let j = 0; j < per; j++) {
    const s = src(j);
    if (s >= 0) {
      y[j] = hist[s].data[j];
      used.add(s);
    }
  }
  const parents = [...used].map((s) => hist[s]).filter((h) => h.requiresGrad);
  if (!parents.length) return new Tensor(y, x0.shape);
  const out: Tensor = new Tensor(y, x0.shape, {
    parents,
    backward: () => {
      const g = out.grad!;
      const gs = new Map<number, Float32Array>();
      for (let j = 0; j < per; j++) {
        const s = src(j);
        if (s < 0 || !hist[s].requiresGrad) continue;
        let a = gs.get(s);
        if (!a) gs.set(s, (a = new Float32Array(per)));
        a[j] += g[j];
      }
      for (const [s, a] of gs) accumulateOwnedGrad(hist[s], a);
    },
  });
  return out;
}

/**
 * One step of a neuron spec for N = B*H neurons: x [1, B, H] the input, prev the state variables of the
 * step before ([1, B, H] each; null: zeros at t = 0), prevSpk its spikes (detached: the reset, as the
 * scan). Differentiable in x, prev and the parameters (with the surrogate at the spike).
 */
export function neuronStep(
  spec: NeuronSpec,
  sp: SpecParams,
  x: Tensor,
  prev: Tensor[] | null,
  prevSpk: Uint8Array | null,
  H: number,
  surrogate: Surrogate,
  who: string,
  rec: { weight: Tensor; bias: Tensor | null; prevSpk: Tensor | null; kernels: Kernels } | null = null,
): { spk: Tensor; state: Tensor[] } {
  const N = x.size;
  const B = N / H;
  // a neuron's own recurrent weights: the drive x + b + W S[t-1] in float64, as the scan forms it
  let x64: Float64Array | null = null;
  const V = rec ? (rec.weight.data as Float32Array) : null;
  const spkPrev = rec?.prevSpk ? (rec.prevSpk.data as Uint8Array) : null;
  if (rec) {
    x64 = Float64Array.from(x.toFloat32());
    if (rec.bias) for (let n = 0; n < N; n++) x64[n] += rec.bias.data[n % H];
    if (spkPrev) {
      const scratch = new Float32Array(N);
      rec.kernels.spikeMatmul(spkPrev, V!, scratch, B, H, H, false);
      for (let n = 0; n < N; n++) x64[n] += scratch[n];
    }
  }
  const S = spec.state.length;
  const prev32 = new Float32Array(S * N);
  if (prev) prev.forEach((p, j) => prev32.set(p.data, j * N));
  const args = {
    spec,
    T: 1,
    N,
    H,
    constInput: false,
    x32: x64 ? null : x.toFloat32(),
    x64,
    prev: prev32,
    prevSpk: prevSpk ?? new Uint8Array(N),
    params: sp.flat,
    st: new Float32Array(S * N),
    spk: new Uint8Array(N),
  };
  if (neuronForwardTS(args) < 0)
    throw new ValueError(`${who}: the membrane diverged (a state left the finite range); use a smaller dt or a smaller input`);
  const shape = [...x.shape];
  const outputs: Record<string, { data: Float32Array | Uint8Array; shape: number[] }> = { spk: { data: args.spk, shape } };
  spec.state.forEach((name, j) => {
    outputs[`state:${name}`] = { data: args.st.slice(j * N, (j + 1) * N), shape };
  });
  const recParents = rec ? [rec.weight, ...(rec.bias ? [rec.bias] : []), ...(rec.prevSpk ? [rec.prevSpk] : [])] : [];
  const parents = [x, ...(prev ?? []), ...paramParents(...sp.resolved), ...recParents];
  const outs = fusedOutputs(parents, outputs, (grads) => {
    let gState: Float32Array | null = null;
    spec.state.forEach((name, j) => {
      const g = grads[`state:${name}`];
      if (!g) return;
      gState ??= new Float32Array(S * N);
      gState.set(g, j * N);
    });
    const carry = new Float64Array(S * N);
    const gx = new Float32Array(N);
    const gp = new Float64Array(sp.flat.length);
    neuronBackwardTS({ ...args, gState, gSpk: grads.spk, carry, carrySpk: new Float64Array(N), gx, gp, surrogate });
    const W = sp.width;
    const gps = Array.from({ length: H }, (_, h) => gp.subarray(h * W, (h + 1) * W));
    if (spec.derived) for (let h = 0; h < H; h++) spec.derived.backward(sp.views[h], gps[h]);
    if (rec) {
      // the recurrent drive's backward, as the scan's: bias, weights (a row per spike) and the previous spikes
      const k = rec.kernels;
      if (rec.bias?.requiresGrad) {
        const gb = new Float64Array(H);
        for (let n = 0; n < N; n++) gb[n % H] += gx[n];
        addParamGrad({ v: new Float64Array(0), tensor: rec.bias }, gb);
      }
      if (spkPrev) {
        if (rec.weight.requiresGrad) {
          const gV = new Float32Array(H * H);
          k.spikeMatmulGradW(spkPrev, gx, gV, B, H, H);
          accumulateOwnedGrad(rec.weight, gV);
        }
        if (rec.prevSpk!.requiresGrad) {
          const gs = new Float32Array(N);
          k.matmul(gx, V!, gs, B, H, H, false, true, false);
          accumulateOwnedGrad(rec.prevSpk!, gs);
        }
      }
    }
    if (x.requiresGrad) accumulateOwnedGrad(x, gx.slice());
    if (prev)
      prev.forEach((p, j) => {
        if (p.requiresGrad) accumulateOwnedGrad(p, Float32Array.from(carry.subarray(j * N, (j + 1) * N)));
      });
    sp.resolved.forEach((rp, j) => {
      if (!rp.tensor?.requiresGrad) return;
      const col = new Float64Array(H);
      for (let h = 0; h < H; h++) col[h] = gps[h][j];
      addParamGrad(rp, col);
    });
  });
  return { spk: outs.spk, state: spec.state.map((name) => outs[`state:${name}`]) };
}
