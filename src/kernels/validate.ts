import { ShapeError } from '../core/errors.js';
import type { LeakyScanArgs } from './types.js';

/** Throws ShapeError unless `arr` has exactly `n` elements. */
export function need(kernel: string, name: string, arr: ArrayLike<number>, n: number): void {
  if (arr.length !== n) throw new ShapeError(`${kernel}: ${name} has ${arr.length} elements, expected ${n}`);
}

export function checkMatmul(a: ArrayLike<number>, b: ArrayLike<number>, c: ArrayLike<number>, m: number, k: number, n: number, kernel = 'matmul'): void {
  need(kernel, 'A', a, m * k);
  need(kernel, 'B', b, k * n);
  need(kernel, 'C', c, m * n);
}

export function checkLeaky(kernel: string, a: LeakyScanArgs): void {
  if (a.H < 1 || a.N % a.H !== 0) throw new ShapeError(`${kernel}: N = ${a.N} is not a multiple of H = ${a.H}`);
  need(kernel, 'input', a.input, a.constInput ? a.N : a.T * a.N);
  need(kernel, 'beta', a.beta, a.H);
}
