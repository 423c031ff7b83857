// Builds the CLI into dist/ with esbuild: one ESM entry plus a chunk per command group (loaded on demand), so
// `skiff` starts in a fraction of the time it takes to compile TypeScript at every start.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';

await rm(new URL('../dist/', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: [new URL('../src/cli/main.ts', import.meta.url).pathname],
  outdir: new URL('../dist/', import.meta.url).pathname,
  bundle: true,
  splitting: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
});
