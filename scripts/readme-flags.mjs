// Rewrites the flag reference in README.md (between <!-- flags:begin ... --> and <!-- flags:end -->)
// from the CLI's flag tables in dist/cli (build first). `--check`: change nothing, exit 1 if it differs.
import { readFileSync, writeFileSync } from 'node:fs';
import { commands } from '../dist/cli/commands.js';
import { flagReference, replaceFlagBlock } from '../dist/cli/flag-docs.js';

const readmeUrl = new URL('../README.md', import.meta.url);
const readme = readFileSync(readmeUrl, 'utf8');
const updated = replaceFlagBlock(readme, flagReference(commands));
if (process.argv.includes('--check')) {
  if (updated !== readme) {
    process.stderr.write("README.md: the flag reference differs from the CLI's flag tables; run `npm run docs:flags`\n");
    process.exit(1);
  }
} else if (updated !== readme) {
  writeFileSync(readmeUrl, updated);
  process.stdout.write('README.md: flag reference updated\n');
} else process.stdout.write('README.md: flag reference already up to date\n');
