// The Node versions the project claims (package.json engines) are ones every locked dependency accepts, so
// `npm ci` installs without an EBADENGINE warning; and the Node running the suite is one of them.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import semver from 'semver';

const read = async (file: string): Promise<unknown> => JSON.parse(await readFile(new URL(`../../${file}`, import.meta.url), 'utf8'));

interface Locked {
  readonly version?: string;
  readonly engines?: unknown;
}

async function claimed(): Promise<string> {
  const pkg = (await read('package.json')) as { engines?: { node?: string } };
  const range = pkg.engines?.node;
  assert.ok(range && semver.validRange(range), 'package.json names the Node versions it runs on');
  return range;
}

test('every locked package accepts every Node version package.json claims', async () => {
  const range = await claimed();
  const lock = (await read('package-lock.json')) as { packages: Record<string, Locked> };
  assert.deepEqual(lock.packages['']?.engines, { node: range }, 'package-lock.json was regenerated after engines changed');
  const narrower = Object.entries(lock.packages)
    .filter(([name]) => name !== '')
    .flatMap(([name, p]) => {
      const node = (p.engines as { node?: unknown } | undefined)?.node;
      return typeof node === 'string' && !semver.subset(range, node) ? [`${name.replace(/^.*node_modules\//, '')}@${p.version} wants node ${node}`] : [];
    });
  assert.deepEqual(narrower, [], `package.json claims node ${range}, narrower packages`);
});

test('the Node running the suite is one package.json claims', async () => {
  assert.ok(semver.satisfies(process.version, await claimed()), `${process.version} is outside package.json's engines`);
});

// `npm ci` refuses a lock file in which a package's dependency (optional ones too: an optional package
// for another platform is still recorded) has no entry; a package the registry no longer serves leaves such a hole.
test('every dependency a locked package names has its own entry in the lock file', async () => {
  const lock = (await read('package-lock.json')) as {
    packages: Record<string, { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; devDependencies?: Record<string, string> }>;
  };
  const resolves = (from: string, dep: string): boolean => {
    for (let dir = from; ; dir = dir.replace(/\/?node_modules\/(@[^/]+\/)?[^/]+$/, '')) {
      if (`${dir ? `${dir}/` : ''}node_modules/${dep}` in lock.packages) return true;
      if (dir === '') return false;
    }
  };
  const missing = Object.entries(lock.packages).flatMap(([at, p]) =>
    Object.keys({ ...p.dependencies, ...p.optionalDependencies, ...(at === '' ? p.devDependencies : {}) })
      .filter((dep) => !resolves(at, dep))
      .map((dep) => `${at || 'package.json'} → ${dep}`),
  );
  assert.deepEqual(missing, [], 'missing from package-lock.json (npm ci would refuse it)');
});
