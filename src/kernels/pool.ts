import { SpikeflowError } from '../core/errors.js';

/**
 * The kernels' thread pool: workers that each instantiate the same WASM module on the caller's shared
 * WebAssembly.Memory, started once and then woken for the parts of one kernel call. The Kernels API is
 * synchronous, and so is a dispatch: the caller writes each worker's part (an export's index and its
 * arguments; for a kernel with an argument block, that block's address) into a control block of shared
 * memory, wakes the workers (Atomics.notify), runs part 0 itself, then sleeps (Atomics.wait) until the
 * last worker's part is done. Parts are fixed by the call (splits.ts), never by timing, so whichever
 * thread runs a part computes the same numbers.
 *
 * Node: worker_threads workers, unref'd so they never keep the process alive, closed by close() (or
 * when their kernels are collected). Browsers: Workers from a blob, only where the page is
 * crossOriginIsolated (shared memory) and the caller is not a browser's main thread, where Atomics.wait
 * is forbidden; there the kernels run on one thread.
 */

// Control block (Int32 indices): PENDING, then one slot per worker.
const PENDING = 0;
const SLOT = 512; // ints per worker slot (2 KiB)
// slot fields (ints): command word, export index, argument count, status, ready; f64 arguments from
// byte 64 (ARGS doubles at most), the result after them, an error message's UTF-8 bytes after that.
const CMD = 0;
const FN = 1;
const NARGS = 2;
const STATUS = 3;
const READY = 4;
const MSGLEN = 5;
const DONE = 8; // int index of the f64 time a worker finished its part (performance.timeOrigin + now(), ms)
const ARG0 = 16; // int index of the first f64 argument (byte 64)
export const MAX_ARGS = 24;
const RESULT = ARG0 + 2 * MAX_ARGS; // int index of the f64 result
const MSG = RESULT + 2; // int index of the message bytes
const MSG_BYTES = (SLOT - MSG) * 4;
/** Milliseconds the caller polls for its workers to finish before it sleeps. */
const SPIN_MS = 0.2;
const IDLE = 0;
const RUN = 1;
const CLOSE = 2;
const BUSY = 3;

/** One part of a call: the export (by index in the pool's list of names) and its arguments. */
export interface Part {
  fn: number;
  args: number[];
}

/**
 * The worker's code, as a string (the same in Node and browsers, no module to resolve or bundle): it
 * instantiates the module on the shared memory, marks itself ready, then serves its slot.
 */
const WORKER = `
const SLOT=${SLOT},DONE=${DONE},CMD=${CMD},FN=${FN},NARGS=${NARGS},STATUS=${STATUS},READY=${READY},MSGLEN=${MSGLEN},ARG0=${ARG0},RESULT=${RESULT},MSG=${MSG},MSG_BYTES=${MSG_BYTES},PENDING=${PENDING};
function serve(d) {
  const I = new Int32Array(d.ctrl), F = new Float64Array(d.ctrl), B = new Uint8Array(d.ctrl);
  const s = d.index * SLOT;
  let fns = null, broken = '';
  try {
    const ex = new WebAssembly.Instance(d.module, { env: { memory: d.memory, abort() { throw new Error('WASM kernel aborted (an internal check failed)'); } } }).exports;
    fns = d.names.map((n) => ex[n]);
  } catch (e) { broken = 'failed to start: ' + ((e && e.message) || e); }
  Atomics.store(I, s + READY, broken ? 2 : 1);
  // a worker that could not start takes no part: the caller runs the parts it would have had
  if (broken) return;
  const enc = new TextEncoder();
  for (;;) {
    Atomics.wait(I, s + CMD, ${IDLE});
    const cmd = Atomics.load(I, s + CMD);
    if (cmd === ${CLOSE}) break;
    // take the part, unless the caller took it back (it runs the parts no worker has started)
    if (cmd !== ${RUN} || Atomics.compareExchange(I, s + CMD, ${RUN}, ${BUSY}) !== ${RUN}) continue;
    let msg = broken;
    if (!msg) {
      try {
        const n = I[s + NARGS], a = new Array(n);
        for (let i = 0; i < n; i++) a[i] = F[(s + ARG0) / 2 + i];
        F[(s + RESULT) / 2] = fns[I[s + FN]].apply(null, a);
      } catch (e) { msg = String((e && e.message) || e); }
    }
    if (msg) {
      const b = enc.encode(msg).subarray(0, MSG_BYTES);
      B.set(b, (s + MSG) * 4);
      I[s + MSGLEN] = b.length;
      I[s + STATUS] = 1;
    } else I[s + STATUS] = 0;
    F[(s + DONE) / 2] = performance.timeOrigin + performance.now();
    Atomics.compareExchange(I, s + CMD, ${BUSY}, ${IDLE});
    if (Atomics.sub(I, PENDING, 1) === 1) Atomics.notify(I, PENDING);
  }
}
// Node (the code may run as a script or, under --input-type=module, as a module: no require), or a browser worker
const wt = typeof process === 'object' && process.getBuiltinModule ? process.getBuiltinModule('node:worker_threads') : null;
if (wt) serve(wt.workerData);
else self.onmessage = (e) => { self.onmessage = null; serve(e.data); self.close(); };
`;

/** The time on the clock the workers stamp (ms; comparable across threads: the same origin for all). */
const clock = () => performance.timeOrigin + performance.now();

interface Handle {
  close(): void;
}

type NodeWorkerThreads = {
  Worker: new (code: string, o: { eval: true; workerData: unknown }) => Handle & { unref(): void };
  isMainThread: boolean;
};

const nodeBuiltin = <T>(name: string): T | null => {
  const p = (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process;
  try {
    return (p?.getBuiltinModule?.(name) as T | undefined) ?? null;
  } catch {
    return null;
  }
};

/** Whether this thread may block in Atomics.wait and start workers that share memory. */
export function canRunPool(): boolean {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return false;
  if (nodeBuiltin<NodeWorkerThreads>('node:worker_threads')) return true;
  const g = globalThis as { crossOriginIsolated?: boolean; document?: unknown; Worker?: unknown; Blob?: unknown; URL?: unknown };
  // browsers: shared memory only when isolated; Atomics.wait is forbidden on the main thread (it has a document)
  return g.crossOriginIsolated === true && g.document === undefined && typeof g.Worker === 'function' && typeof g.Blob === 'function';
}

/** The threads a default pool uses: SPIKEFLOW_THREADS in Node, else the cores (Node) or hardwareConcurrency (isolated browser worker). */
export function defaultThreads(): number {
  if (!canRunPool()) return 1;
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.SPIKEFLOW_THREADS;
  if (env !== undefined && env !== '') return parseThreads(env, 'SPIKEFLOW_THREADS');
  const os = nodeBuiltin<{ availableParallelism?: () => number; cpus(): unknown[] }>('node:os');
  if (os) return Math.max(1, Math.min(MAX_THREADS, os.availableParallelism?.() ?? os.cpus().length));
  const hc = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Math.max(1, Math.min(MAX_THREADS, hc ?? 1));
}

export const MAX_THREADS = 256;

/** A thread count from text (an environment variable or a flag), or a ValueError naming `where`. */
export function parseThreads(text: string, where: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new SpikeflowError(`${where}: expected a whole number of threads from 1 to ${MAX_THREADS}, found ${JSON.stringify(text)}`);
  }
  return n;
}

/** A kernel that failed in one of the pool's threads: the thread and the engine's message. */
export class KernelThreadError extends SpikeflowError {
  constructor(
    readonly thread: number,
    readonly kernel: string,
    readonly reason: string,
  ) {
    super(`WASM kernel ${kernel} failed in kernel thread ${thread}: ${reason}`);
  }
}

export class KernelPool {
  private readonly I: Int32Array;
  private readonly F: Float64Array;
  private readonly B: Uint8Array;
  private workers: Handle[] = [];
  private closed = false;
  /** Calls split over the threads so far. */
  dispatches = 0;
  /**
   * When each part of the last call finished, in ms from its dispatch (NaN for a part the caller ran in
   * place of a worker that had not started it): what balance.ts learns the shares from.
   */
  finished: number[] = [];

  private constructor(
    /** Threads a call is split over, the caller's included (resize). */
    public threads: number,
    /** The exports parts may name, by index. */
    readonly names: readonly string[],
    ctrl: SharedArrayBuffer,
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
  ) {
    this.I = new Int32Array(ctrl);
    this.F = new Float64Array(ctrl);
    this.B = new Uint8Array(ctrl);
    this.capacity = ctrl.byteLength / (SLOT * 4);
  }

  /** The most threads this pool can grow to (its control block's slots). */
  readonly capacity: number;

  /**
   * A pool of `threads` threads (threads - 1 workers, started now) on `memory` (shared) with instances
   * of `module` (compiled for a shared memory import), able to grow to max(threads, 64); `names` are the
   * exports parts may name. Null where this thread cannot run a pool.
   */
  static start(module: WebAssembly.Module, memory: WebAssembly.Memory, names: readonly string[], threads: number): KernelPool | null {
    if (!canRunPool()) return null;
    const ctrl = new SharedArrayBuffer(Math.max(threads, 64) * SLOT * 4);
    const pool = new KernelPool(1, names, ctrl, module, memory);
    return pool.resize(threads) === threads ? pool : (pool.close(), null);
  }

  /**
   * Splits later calls over `threads` threads (at most the capacity), starting the workers that are
   * missing (those beyond stay idle). Returns the threads it now uses; 1 after close() or where no
   * worker can start.
   */
  resize(threads: number): number {
    if (this.closed) return 1;
    const n = Math.max(1, Math.min(threads, this.capacity));
    const wt = nodeBuiltin<NodeWorkerThreads>('node:worker_threads');
    try {
      for (let w = this.workers.length + 1; w < n; w++) {
        const data = { module: this.module, memory: this.memory, ctrl: this.I.buffer, index: w, names: this.names };
        if (wt) {
          const worker = new wt.Worker(WORKER, { eval: true, workerData: data });
          worker.unref(); // never keeps Node alive
          this.workers.push({ close: () => void (worker as unknown as { terminate(): unknown }).terminate() });
        } else {
          const url = URL.createObjectURL(new Blob([WORKER], { type: 'text/javascript' }));
          const worker = new Worker(url);
          URL.revokeObjectURL(url);
          worker.postMessage(data);
          this.workers.push({ close: () => worker.terminate() });
        }
      }
    } catch {
      this.threads = this.workers.length + 1;
      return this.threads;
    }
    this.threads = n;
    return n;
  }

  /** Workers that have instantiated their module (async callers may wait for all, see ready()). */
  readyCount(): number {
    let n = 0;
    for (let w = 1; w < this.threads; w++) if (Atomics.load(this.I, w * SLOT + READY) !== 0) n++;
    return n;
  }

  /** Resolves when every worker has started (browsers: a worker cannot start while its creator blocks). */
  async ready(timeoutMs = 30_000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.readyCount() < this.threads - 1) {
      if (Date.now() > until) return false;
      await new Promise((r) => setTimeout(r, 2));
    }
    return true;
  }

  /** Whether worker w has taken (or finished) the part of the call in progress. */
  taken(w: number): boolean {
    return Atomics.load(this.I, w * SLOT + CMD) !== RUN;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Runs parts[0] here (through `local`) and parts[w] in worker w, all at once; returns their results in
   * order. A part no worker has started by the time the caller's own is done runs here too (a worker
   * still starting, or one the OS has not scheduled, never holds the call up). A part that failed in a
   * worker throws KernelThreadError after every part has finished.
   */
  run(parts: Part[], local: (p: Part) => number): number[] {
    const { I, F } = this;
    const n = parts.length;
    if (n > this.threads) throw new SpikeflowError(`kernel pool: ${n} parts for ${this.threads} threads`);
    if (this.closed) throw new SpikeflowError('kernel pool: closed');
    this.dispatches++;
    for (let w = 1; w < n; w++) {
      const s = w * SLOT;
      const { fn, args } = parts[w];
      if (args.length > MAX_ARGS) throw new SpikeflowError(`kernel pool: ${args.length} arguments, at most ${MAX_ARGS}`);
      I[s + FN] = fn;
      I[s + NARGS] = args.length;
      for (let i = 0; i < args.length; i++) F[(s + ARG0) / 2 + i] = args[i];
    }
    Atomics.store(I, PENDING, n - 1);
    const t0 = clock();
    for (let w = 1; w < n; w++) {
      Atomics.store(I, w * SLOT + CMD, RUN);
      Atomics.notify(I, w * SLOT + CMD);
    }
    const results = new Array<number>(n);
    const mine = new Array<boolean>(n).fill(false);
    let error: unknown = null;
    const runHere = (p: number) => {
      mine[p] = true;
      try {
        results[p] = local(parts[p]);
      } catch (e) {
        error ??= e;
      }
    };
    runHere(0);
    // (one array per pool, refilled by every call: no allocation per kernel call)
    if (this.finished.length !== n) this.finished = new Array<number>(n);
    const finished = this.finished.fill(Number.NaN);
    finished[0] = clock() - t0;
    // the parts no worker has taken yet (a worker still starting, or not yet scheduled) run here
    for (let w = 1; w < n; w++) {
      if (Atomics.compareExchange(I, w * SLOT + CMD, RUN, IDLE) === RUN) {
        runHere(w);
        Atomics.sub(I, PENDING, 1);
      }
    }
    // the workers' parts usually end within a few microseconds of the caller's: poll for up to SPIN_MS
    // before sleeping (a wake-up from Atomics.wait took ~50 us per call on a 2-core VM)
    let p = Atomics.load(I, PENDING);
    if (p !== 0) {
      const until = performance.now() + SPIN_MS;
      for (let i = 1; p !== 0 && ((i & 255) !== 0 || performance.now() < until); i++) p = Atomics.load(I, PENDING);
    }
    for (; p !== 0; p = Atomics.load(I, PENDING)) Atomics.wait(I, PENDING, p);
    for (let w = 1; w < n; w++) {
      if (mine[w]) continue;
      const s = w * SLOT;
      finished[w] = F[(s + DONE) / 2] - t0;
      if (I[s + STATUS] !== 0 && !error) {
        const msg = new TextDecoder().decode(this.B.slice((s + MSG) * 4, (s + MSG) * 4 + I[s + MSGLEN]));
        error = new KernelThreadError(w, this.names[parts[w].fn] ?? `#${parts[w].fn}`, msg);
      }
      results[w] = F[(s + RESULT) / 2];
    }
    if (error) throw error;
    return results;
  }

  /** Stops the workers (idempotent); the kernels then run on one thread. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (let w = 1; w <= this.workers.length; w++) {
      Atomics.store(this.I, w * SLOT + CMD, CLOSE);
      Atomics.notify(this.I, w * SLOT + CMD);
    }
    for (const h of this.workers) h.close();
    this.workers = [];
  }
}
