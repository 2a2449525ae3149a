#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { SpikeflowError, UsageError } from '../core/errors.js';
import { parseArgs, formatHelp } from './args.js';
import { commands } from './commands.js';
import { Interrupts } from './interrupt.js';
import { enableRelaxedSimd } from '../kernels/relaxed-node.js';
import { enableBlas } from '../kernels/node-blas.js';

// The `spikeflow` command: strings become values here and in the command files (src/cli/commands.ts).

function usage(): string {
  return [
    'usage: spikeflow <command> [flags]',
    '',
    'commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.about}`),
    '',
    'spikeflow <command> --help (or spikeflow help <command>) lists the flags of a command;',
    'spikeflow --version prints the version.',
  ].join('\n');
}

/** The version in the package's package.json (dist/cli/main.js -> ../../package.json). */
function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

function commandOf(name: string) {
  if (!Object.hasOwn(commands, name)) {
    throw new UsageError(`unknown command "${name}" (commands: ${Object.keys(commands).join(', ')})`);
  }
  return commands[name];
}

/**
 * The commands whose work is the dense kernels: they run on the BLAS tier where one is found and print
 * the tier. The others skip the BLAS search (loading koffi and a BLAS costs ~0.1-0.3 s).
 */
const BLAS_COMMANDS = new Set(['train', 'eval', 'compare', 'convert', 'profile']);

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    if (rest.length) throw new UsageError(`spikeflow ${name}: takes no arguments, found "${rest[0]}"`);
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (name === 'help' && rest.length) {
    if (rest.length > 1) throw new UsageError(`spikeflow help: expected one command, found "${rest.join(' ')}"`);
    const cmd = commandOf(rest[0]);
    process.stdout.write(formatHelp(`spikeflow ${rest[0]}`, cmd.about, cmd.flags) + '\n');
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  const cmd = commandOf(name);
  const parsed = parseArgs(rest, cmd.flags);
  if (parsed.help) {
    process.stdout.write(formatHelp(`spikeflow ${name}`, cmd.about, cmd.flags) + '\n');
    return 0;
  }
  if (parsed.positionals.length && !cmd.positionals)
    throw new UsageError(`spikeflow ${name}: unexpected argument "${parsed.positionals[0]}"`);
  // The native BLAS tier where a BLAS is found (SPIKEFLOW_BLAS=off: WASM only; =<path>: that library or
  // an error), and which tier runs. With --threads N > 1 the data-parallel workers hold the cores, so
  // the BLAS runs on one.
  if (BLAS_COMMANDS.has(name)) {
    const dataThreads = (parsed.values as { threads?: number }).threads ?? 1;
    const tier = await enableBlas(dataThreads > 1 ? { threads: 1 } : {});
    if (!(parsed.values as { quiet?: boolean }).quiet) {
      const b = tier.blas;
      const threads = b?.threads == null ? 'threads not settable' : `${b.threads} thread${b.threads === 1 ? '' : 's'}`;
      const detail = b ? `${b.vendor}, ${threads}, ${b.path}` : `no BLAS: ${tier.reason}`;
      process.stderr.write(`using kernels ${tier.tier} (${detail})\n`);
    }
  }
  // Ctrl-C / SIGTERM: unfinished files removed, one line saying what was kept, exit 130 / 143
  const interrupts = new Interrupts(name).install();
  await cmd.run(parsed.values, { given: parsed.given, positionals: parsed.positionals, interrupts });
  return interrupts.exitCode ?? 0;
}

// the fused multiply-add kernels where this Node has them behind a flag (before any kernel is compiled)
enableRelaxedSimd();
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof SpikeflowError) {
      process.stderr.write(`spikeflow: ${err.message}\n`);
      process.exit(err instanceof UsageError ? 2 : 1);
    }
    // Not a user error: a bug. Say so briefly; the stack only on request.
    const e = err as Error;
    process.stderr.write(
      `spikeflow: internal error: ${e?.message ?? String(err)}${process.env.SPIKEFLOW_DEBUG ? `\n${e?.stack}` : ' (set SPIKEFLOW_DEBUG=1 for details)'}\n`,
    );
    process.exit(70);
  },
);
