// Resonate-and-fire in the shared WASM neuron scan: the step and adjoint of src/neurons/resonate.ts
// (state [re, im]; parameters [decay, omega, threshold, cos omega, sin omega]; variant: the reset code).
// Its members parallel the model classes of neuron-models.ts: the interface neuron-scan.ts is generic over.

@unmanaged export class ResonateModel {
  @inline S(variant: i32): i32 { return 2; }
  @inline P(variant: i32): i32 { return 5; }
  @inline fireState(variant: i32): i32 { return 1; }
  @inline thrParam(variant: i32): i32 { return 2; }
  @inline thrState(variant: i32): i32 { return -1; }
  @inline step(s0: usize, r: f64, x: f64, p: usize, s: usize, variant: i32): bool {
    const k: f64 = variant == 1 && r != 0 ? 0 : 1;
    const a = k * load<f64>(s0), b = k * load<f64>(s0, 8);
    const d = load<f64>(p), c = load<f64>(p, 24), sn = load<f64>(p, 32);
    store<f64>(s, d * (c * a - sn * b) + x);
    store<f64>(s, d * (sn * a + c * b) - (variant == 0 ? r * load<f64>(p, 16) : 0), 8);
    return true;
  }
  @inline adjoint(s0: usize, r: f64, x: f64, p: usize, s: usize, gs: usize, gs0: usize, gp: usize, variant: i32): f64 {
    const k: f64 = variant == 1 && r != 0 ? 0 : 1;
    const a = k * load<f64>(s0), b = k * load<f64>(s0, 8);
    const d = load<f64>(p), c = load<f64>(p, 24), sn = load<f64>(p, 32);
    const gr = load<f64>(gs), gi = load<f64>(gs, 8);
    if (variant == 0) store<f64>(gp, load<f64>(gp, 16) - r * gi, 16);
    store<f64>(gp, load<f64>(gp) + (gr * (c * a - sn * b) + gi * (sn * a + c * b)));
    store<f64>(gp, load<f64>(gp, 24) + d * (gr * a + gi * b), 24);
    store<f64>(gp, load<f64>(gp, 32) + d * (gi * a - gr * b), 32);
    store<f64>(gs0, k * d * (c * gr + sn * gi));
    store<f64>(gs0, k * d * (c * gi - sn * gr), 8);
    return gr;
  }
}
