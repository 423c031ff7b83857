// A module-loading hook for tests: appends the URL of every module the process resolves to the file named by
// SKIFF_RECORD_IMPORTS, one a line. Load it with `node --import <this file>` (after tsx, to see what tsx resolves).
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

let out;

export function initialize(file) {
  out = file;
}

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(out, `${resolved.url}\n`);
  return resolved;
}

// The same file is the hooks module (run in the loader's thread) and what registers it (run in the main thread).
if (isMainThread) register(import.meta.url, { data: process.env.SKIFF_RECORD_IMPORTS });
