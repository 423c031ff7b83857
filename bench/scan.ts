// Figure: `release scan` of netapp 1.0.0 against an OSV database of 20 000 records (a zip, as osv.dev publishes), a few
// per package of the release (ranges, version lists, some fixed below the installed version) and the rest for others.
import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getRelease, releaseSbom } from '../src/release/index.ts';
import { sbomPackages } from '../src/sbom/index.ts';
import { FsBlobStore } from '../src/store/index.ts';
import { ROUNDS, median, readSetup, record, secs, skiff, workDir } from './lib/run.ts';

const RECORDS = 20_000;

async function main(): Promise<void> {
  const s = await readSetup();
  const store = new FsBlobStore(s.store);
  const release = await getRelease(store, s.app, '1.0.0');
  const packages = sbomPackages(await releaseSbom(store, release));
  const dir = join(workDir(), 'osv');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  let n = 0;
  const write = (record: object) => writeFile(join(dir, `BENCH-${n++}.json`), JSON.stringify(record));
  for (const p of packages) {
    const name = p.source?.name ?? p.name;
    const affected = (events: object[], versions?: string[]) => [{ package: { ecosystem: p.ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events }], ...(versions ? { versions } : {}) }];
    await write({ id: `BENCH-A-${n}`, summary: 'affects the installed version', affected: affected([{ introduced: '0' }, { fixed: '99999' }]), database_specific: { severity: 'HIGH' } });
    await write({ id: `BENCH-B-${n}`, summary: 'fixed long ago', affected: affected([{ introduced: '0' }, { fixed: '0.0.1' }]) });
    await write({ id: `BENCH-C-${n}`, summary: 'listed version', affected: affected([], [p.version]) });
  }
  while (n < RECORDS) await write({ id: `BENCH-F-${n}`, affected: [{ package: { ecosystem: n % 2 ? 'npm' : 'Debian:12', name: `other-package-${n}` }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.0' }] }] }] });
  const zip = join(workDir(), 'osv-bench.zip');
  await rm(zip, { force: true });
  execFileSync('zip', ['-qr', zip, '.'], { cwd: dir });
  await rm(dir, { recursive: true, force: true });

  const times: number[] = [];
  let findings = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const r = await skiff('release', 'scan', `${s.app}@1.0.0`, '--store', s.store, '--db', zip, '--json');
    times.push(r.ms);
    findings = (JSON.parse(r.stdout) as { findings: unknown[] }).findings.length;
  }
  const a = median(times);
  await record({
    figure: `release scan netapp 1.0.0 (${packages.length} packages) against ${RECORDS} OSV records (zip), offline`,
    skiff: secs(a),
    peer: '—',
    ratio: '—',
    target: 'a few seconds',
    met: '—',
    samples: `${times.map((x) => secs(x)).join(', ')}; ${findings} findings`,
  });
}

await main();
