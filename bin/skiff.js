#!/usr/bin/env -S node --max-semi-space-size=2
// The skiff command: runs the built CLI (dist/, from `npm run build`) when it is newer than every source file,
// otherwise compiles the TypeScript sources on the fly through tsx, so a fresh edit is never shadowed.
import { existsSync, readdirSync, statSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function builtIsFresh() {
  // An installed package (no git checkout) runs what was built for it: walking ~300 sources costs 15-70 ms of start-up.
  if (!existsSync(`${root}/.git`)) return existsSync(`${root}/dist/main.js`);
  try {
    return statSync(`${root}/dist/main.js`).mtimeMs >= newestSource(`${root}/src`);
  } catch {
    return false;
  }
}

// V8's code cache on disk (Node ≥ 22.1): later starts skip compiling the CLI's modules.
module.enableCompileCache?.();

if (builtIsFresh()) {
  await import('../dist/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
