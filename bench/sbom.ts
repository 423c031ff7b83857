// Figure: SBOM generation of netapp 1.0.0 against release create itself (cold: a fresh store, the SBOM included), and
// the package list compared with what `dpkg -l` and `npm ls` report inside the image.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { getRelease } from '../src/release/index.ts';
import { buildSbom, sbomPackages } from '../src/sbom/index.ts';
import { FsBlobStore } from '../src/store/index.ts';
import { ROUNDS, image, median, readSetup, record, run, secs, sh, skiff, workDir } from './lib/run.ts';

async function main(): Promise<void> {
  const s = await readSetup();
  const dir = workDir();
  const creates: number[] = [];
  const sboms: number[] = [];
  let packages: ReturnType<typeof sbomPackages> = [];
  for (let i = 0; i < ROUNDS; i++) {
    const storeDir = join(dir, `sbom-store-${i}`);
    creates.push((await skiff('release', 'create', '--compose', s.compose['1.0.0']!, '--app', s.app, '--version', '1.0.0', '--trust', s.trustDir, '--store', storeDir)).ms);
    const store = new FsBlobStore(storeDir);
    const release = await getRelease(store, s.app, '1.0.0');
    const t0 = performance.now();
    const bytes = await buildSbom(store, { app: s.app, version: '1.0.0', tool: { name: 'skiff', version: 'bench' } }, release.manifest.images);
    sboms.push(performance.now() - t0);
    packages = sbomPackages(bytes);
    await rm(storeDir, { recursive: true, force: true });
  }
  // The peers' own view of the image: dpkg's installed packages and npm's tree (every package.json under node_modules).
  const dpkg = await sh(`docker run --rm --network none --entrypoint dpkg-query ${image('1.0.0')} -W -f '\${db:Status-Abbrev} \${Package}\\n' | grep -c '^ii '`);
  const walk = `const fs=require('fs'),p=require('path'),s=new Set();const w=(d)=>{for(const n of fs.readdirSync(d)){if(n.startsWith('.'))continue;const f=p.join(d,n);if(n.startsWith('@')){w(f);continue}try{const j=JSON.parse(fs.readFileSync(p.join(f,'package.json')));s.add(j.name+'@'+j.version)}catch{}if(fs.existsSync(p.join(f,'node_modules')))w(p.join(f,'node_modules'))}};w('/srv/app/node_modules');console.log(s.size)`;
  const npm = await run('docker', ['run', '--rm', '--network', 'none', '--entrypoint', '/usr/local/bin/node', image('1.0.0'), '-e', walk]);
  const count = (eco: string) => packages.filter((p) => p.ecosystem.startsWith(eco)).length;
  const a = median(sboms);
  const b = median(creates);
  await record({
    figure: 'SBOM generation, netapp 1.0.0 (share of release create, cold; the create includes it)',
    skiff: secs(a),
    peer: secs(b),
    ratio: `${((100 * a) / (b - a)).toFixed(1)} % added`,
    target: '< 20 % added',
    met: a < 0.2 * (b - a) ? 'yes' : 'no',
    samples: `sbom ${sboms.map((x) => secs(x)).join(', ')}; create ${creates.map((x) => secs(x)).join(', ')}; packages: deb ${count('Debian')} (dpkg -l: ${dpkg.stdout.trim()}), npm ${count('npm')} (distinct name@version under node_modules: ${npm.stdout.trim()})`,
  });
}

await main();
