// Builds the CLI into dist/ (or the directory given as the first argument) with esbuild: one ESM entry plus a chunk
// per command group (loaded on demand), so `skiff` starts in a fraction of the time it takes to compile TypeScript.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import path from 'node:path';

const outdir = process.argv[2] ? path.resolve(process.argv[2]) : new URL('../dist/', import.meta.url).pathname;
await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: [new URL('../src/cli/main.ts', import.meta.url).pathname],
  outdir,
  bundle: true,
  splitting: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
});
