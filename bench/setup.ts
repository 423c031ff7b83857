// Prepares what every figure uses: a trust dir, one Compose file per netapp version (a fixed loopback port),
// a store holding every release, the bundles, and each version as `docker save | gzip` (the old zip).
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { image, sh, skiff, workDir, type BenchSetup } from './lib/run.ts';
import { freePort } from '../test/helpers/ports.ts';

const VERSIONS = ['1.0.0', '1.0.1', '1.1.0', '2.0.0'] as const;
const HEALTH = `require('http').get('http://127.0.0.1:8080/healthz', r => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))`;

export function composeFor(version: string, port: number): string {
  return [
    'services:',
    '  netapp:',
    `    image: ${image(version)}`,
    '    ports:',
    `      - "127.0.0.1:${port}:8080"`,
    '    environment:',
    '      HOST: 0.0.0.0',
    '    healthcheck:',
    `      test: ["CMD", "/usr/local/bin/node", "-e", ${JSON.stringify(HEALTH)}]`,
    '      interval: 1s',
    '      timeout: 2s',
    '      retries: 3',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const dir = workDir();
  const app = process.env.BENCH_APP ?? `benchnet-${randomBytes(3).toString('hex')}`;
  const network = process.env.BENCH_NETWORK ?? `${app}-peer`;
  const port = await freePort();
  const trustDir = join(dir, 'trust');
  const store = join(dir, 'store');
  await skiff('trust', 'init', '--dir', trustDir);

  const compose: Record<string, string> = {};
  const saved: Record<string, string> = {};
  for (const v of VERSIONS) {
    compose[v] = join(dir, `compose-${v}.yaml`);
    await writeFile(compose[v], composeFor(v, port));
    await skiff('release', 'create', '--compose', compose[v], '--app', app, '--version', v, '--trust', trustDir, '--store', store);
    saved[v] = join(dir, `netapp-${v}.tar.gz`);
    await sh(`docker save ${image(v)} | gzip > ${saved[v]}`);
    process.stdout.write(`  release ${app}@${v} and the peer's ${saved[v]}\n`);
  }

  const bundles: Record<string, string> = {};
  const make = async (name: string, version: string, from?: string): Promise<void> => {
    bundles[name] = join(dir, `${name}.skiff`);
    await skiff('bundle', 'create', '--store', store, `${app}@${version}`, ...(from ? ['--from', `${app}@${from}`] : []), '-o', bundles[name]);
  };
  await make('full-1.0.0', '1.0.0');
  await make('full-2.0.0', '2.0.0');
  for (const v of VERSIONS.slice(1)) await make(`delta-1.0.0-${v}`, v, '1.0.0');

  const setup: BenchSetup = { app, port, network, versions: VERSIONS, trustDir, root: join(trustDir, 'root.json'), store, compose, bundles, saved };
  await writeFile(join(dir, 'setup.json'), JSON.stringify(setup, null, 2));
}

await main();
