// Prints the package folders (relative to the repo, one a line) that the runtime dependencies in package.json need,
// leaving out the ones named as arguments and whatever only they need: what a slim install (the agent image) copies.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(new URL('..', import.meta.url).pathname);
const left = new Set(process.argv.slice(2));
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/** Where `name` resolves from `dir`, as Node does: the nearest node_modules/<name> up the tree. */
function resolvePackage(name, dir) {
  for (let d = dir; ; d = path.dirname(d)) {
    const candidate = path.join(d, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (d === root || d === path.dirname(d)) return undefined;
  }
}

const seen = new Set();
const queue = [[root, readJson(path.join(root, 'package.json'))]];
while (queue.length > 0) {
  const [dir, pkg] = queue.shift();
  const optional = new Set(Object.keys(pkg.optionalDependencies ?? {}));
  for (const name of new Set([...Object.keys(pkg.dependencies ?? {}), ...optional])) {
    if (dir === root && left.has(name)) continue;
    const found = resolvePackage(name, dir);
    if (found === undefined) {
      if (optional.has(name)) continue;
      console.error(`runtime-deps: ${name} (needed by ${pkg.name}) is not installed: run npm ci`);
      process.exit(1);
    }
    if (seen.has(found)) continue;
    seen.add(found);
    queue.push([found, readJson(path.join(found, 'package.json'))]);
  }
}
for (const dir of [...seen].sort()) console.log(path.relative(root, dir));
