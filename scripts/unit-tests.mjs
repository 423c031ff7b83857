// Prints the unit tests, one path a line: the test files that need no Docker Engine, PostgreSQL, registry or
// skopeo. A test needs one when it, or a test module it imports (transitively), starts or calls one through the
// helpers (ensureEngine, ensurePostgres, tempDatabase, startRegistry, dockerCli) or runs docker or skopeo itself.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NEEDS_COMPONENT = /\b(ensureEngine|ensurePostgres|tempDatabase|startRegistry|dockerCli)\b|['"](docker|skopeo)['"]/;
const RELATIVE_IMPORT = /^\s*import\s[^'"]*['"](\.{1,2}\/[^'"]+)['"]/gm;

function* testFiles(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* testFiles(p);
    else if (e.name.endsWith('.test.ts')) yield p;
  }
}

const verdicts = new Map();
/** Whether `file` or a module under test/ that it imports needs a real component; src/ modules never decide. */
function needsComponent(file) {
  if (verdicts.has(file)) return verdicts.get(file);
  verdicts.set(file, false);
  const text = readFileSync(file, 'utf8');
  let needs = NEEDS_COMPONENT.test(text);
  for (const [, spec] of text.matchAll(RELATIVE_IMPORT)) {
    const target = resolve(dirname(file), spec);
    if (!needs && target.startsWith(join(root, 'test'))) needs = needsComponent(target);
  }
  verdicts.set(file, needs);
  return needs;
}

for (const file of testFiles(join(root, 'test'))) if (!needsComponent(file)) console.log(relative(root, file));
