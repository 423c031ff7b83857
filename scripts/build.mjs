// Builds the CLI into dist/ (or the directory given as the first argument) with esbuild: one ESM entry plus a chunk
// per command group (loaded on demand), so `skiff` starts in a fraction of the time it takes to compile TypeScript.
import { build } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';

const outdir = process.argv[2] ? path.resolve(process.argv[2]) : new URL('../dist/', import.meta.url).pathname;
await rm(outdir, { recursive: true, force: true });
const { dependencies } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
// Pure-JS packages with many small modules go into the bundle: commander (every command), zod (~230 modules) and
// age-encryption (~200 with its @noble dependencies): a few chunks parse far faster than hundreds of files resolved
// through node_modules (a `bundle verify` loaded 550 files). So do undici (110 CommonJS files), yaml (72) and semver
// (47), which `bundle verify` still loaded through the barrels it imports: 780 → 610 ms of CPU before it reads a byte.
// tar-stream (with streamx and its four helpers: 14 CommonJS files) and canonicalize, which `agent install` and `agent
// status` resolved one by one through node_modules at every start.
// Their `require` of Node's built-ins needs a real one.
const BUNDLED = new Set(['commander', 'zod', 'age-encryption', 'undici', 'yaml', 'semver', 'tar-stream', 'canonicalize']);
// commander requires node:child_process at load (with net, dgram and the streams: ~10 ms of every command's start) for
// executable subcommands, which skiff has none of: its `spawn` loads the module when called.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) => (/[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({ contents: "module.exports = { spawn: (...args) => require('node:child_process').spawn(...args) };", loader: 'js' }));
  },
};
await build({
  entryPoints: [new URL('../src/cli/main.ts', import.meta.url).pathname],
  outdir,
  bundle: true,
  splitting: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: Object.keys(dependencies).filter((name) => !BUNDLED.has(name)),
  banner: { js: "import { createRequire as __skiffCreateRequire } from 'node:module'; const require = __skiffCreateRequire(import.meta.url);" },
  // Fewer bytes to read and pre-parse at every start; identifiers are kept, so a developer's stack trace still reads.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  plugins: [lazyChildProcess],
  logLevel: 'warning',
});
