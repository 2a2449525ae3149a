import { cleanupPendingWrites } from '../io/atomic.js';

/** The exit code of a process ended by a signal, as shells report it: 128 + the signal number. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 128;
}

export interface InterruptTarget {
  on(signal: NodeJS.Signals, handler: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, handler: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): never;
  stderr: { write(s: string): unknown };
}

/**
 * What a command does on SIGINT or SIGTERM. By default: remove the files of unfinished atomic writes
 * (cleanupPendingWrites), write one line `spikeflow <command>: interrupted (SIGINT): <note>` and exit
 * with 130 (SIGTERM: 143). A command says what the interruption leaves behind with `note(...)`
 * as it moves from phase to phase (training, saving, ...), or takes the first signal over with
 * `takeOver(...)` to stop its work and report what it has (a second signal then exits at once).
 */
export class Interrupts {
  /** The first signal received, once one has been. */
  signal: NodeJS.Signals | null = null;
  private text = '';
  private handler?: (signal: NodeJS.Signals) => void;
  private readonly listener = (s: NodeJS.Signals) => this.receive(s);

  constructor(
    private readonly command: string,
    private readonly target: InterruptTarget = process as unknown as InterruptTarget,
  ) {}

  install(): this {
    for (const s of ['SIGINT', 'SIGTERM'] as const) this.target.on(s, this.listener);
    return this;
  }

  uninstall(): void {
    for (const s of ['SIGINT', 'SIGTERM'] as const) this.target.off(s, this.listener);
  }

  /** What an interruption from now on leaves behind, for the exit line. */
  note(text: string): void {
    this.text = text;
  }

  /** The command handles the first signal itself (stops and reports); returns the release. */
  takeOver(handler: (signal: NodeJS.Signals) => void): () => void {
    this.handler = handler;
    return () => {
      if (this.handler === handler) this.handler = undefined;
    };
  }

  /** The exit code the process should end with: that of the signal a command took over, else undefined. */
  get exitCode(): number | undefined {
    return this.signal ? signalExitCode(this.signal) : undefined;
  }

  receive(signal: NodeJS.Signals): void {
    if (this.signal === null && this.handler) {
      this.signal = signal;
      this.handler(signal);
      return;
    }
    this.signal ??= signal;
    cleanupPendingWrites();
    this.target.stderr.write(`spikeflow ${this.command}: interrupted (${signal})${this.text ? `: ${this.text}` : ''}\n`);
    this.target.exit(signalExitCode(signal));
  }
}

/** Lets a signal that arrived during synchronous work be handled now (its handler runs before this resolves). */
export function yieldToSignals(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
