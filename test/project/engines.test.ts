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
