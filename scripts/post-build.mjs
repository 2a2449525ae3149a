// After tsc: makes the CLI entry executable (npm links it as the `spikeflow` bin), and removes source
// maps left in dist/ by older builds. The published build has no maps (tsconfig.build.json): dist/ is
// tsc's unminified ES2022, readable as it is, and maps pointing at ../src would name files the package
// does not ship, while embedding the sources would add their 650 kB again.
import { chmodSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist', import.meta.url));
const bin = join(dist, 'cli', 'main.js');
if (existsSync(bin)) chmodSync(bin, 0o755);
if (existsSync(dist)) {
  for (const f of readdirSync(dist, { recursive: true, encoding: 'utf8' })) if (f.endsWith('.map')) rmSync(join(dist, f), { force: true });
}
