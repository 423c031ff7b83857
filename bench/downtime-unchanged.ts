// Figure: downtime of each service when an upgrade changes one of two (netapp 1.0.0 → 1.0.1 beside a second netapp
// service whose spec does not change). Only what changed restarts, so the unchanged service's downtime must be 0.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { removeContainers, resetAgent } from './lib/engine.ts';
import { ProbeLoop, untilHealthy } from './lib/probe.ts';
import { ROUNDS, STOP_TIMEOUT, fmtMs, image, median, quiet, readSetup, record, run, skiff, sleep, workDir } from './lib/run.ts';
import { freeStablePort } from '../test/helpers/ports.ts';

/** The bench's one-service file (bench/setup.ts wrote it) on `port`, plus `steady`: always netapp 1.0.0, on `steadyPort`. */
function twoServices(one: string, version: string, oldPort: number, port: number, steadyPort: number): string {
  const mine = one.replace(`127.0.0.1:${oldPort}:8080`, `127.0.0.1:${port}:8080`);
  const steady = mine.split('\n').slice(2).join('\n').replace(image(version), image('1.0.0')).replace(`127.0.0.1:${port}:8080`, `127.0.0.1:${steadyPort}:8080`);
  return `${mine.trimEnd()}\n  steady:\n${steady}`;
}

async function main(): Promise<void> {
  const s = await readSetup();
  const dir = workDir();
  const app = `${s.app}-two`;
  const port = await freeStablePort();
  const steadyPort = await freeStablePort();
  const bundles: Record<string, string> = {};
  for (const [v, from] of [['1.0.0', undefined], ['1.0.1', '1.0.0']] as const) {
    const file = join(dir, `two-${v}.yaml`);
    await writeFile(file, twoServices(await readFile(s.compose[v]!, 'utf8'), v, s.port, port, steadyPort));
    await skiff('release', 'create', '--compose', file, '--app', app, '--version', v, '--trust', s.trustDir, '--store', s.store);
    bundles[v] = join(dir, `two-${v}.skiff`);
    await skiff('bundle', 'create', '--store', s.store, `${app}@${v}`, ...(from ? ['--from', `${app}@${from}`] : []), '-o', bundles[v]);
  }
  const state = join(dir, 'two-agent');
  const changed: number[] = [];
  const unchanged: number[] = [];
  let unchangedFailed = 0;
  try {
    for (let i = 0; i < ROUNDS; i++) {
      await resetAgent(app, state);
      await skiff('agent', 'install', bundles['1.0.0']!, '--state', state, '--trust', s.root, '--stop-timeout', STOP_TIMEOUT);
      await untilHealthy(port);
      await untilHealthy(steadyPort);
      const probes = [new ProbeLoop(port), new ProbeLoop(steadyPort)];
      for (const p of probes) p.start();
      await skiff('agent', 'install', bundles['1.0.1']!, '--state', state, '--stop-timeout', STOP_TIMEOUT);
      await sleep(300);
      const [a, b] = await Promise.all(probes.map((p) => p.stop()));
      changed.push(a!.longestGapMs);
      unchanged.push(b!.longestGapMs);
      unchangedFailed += b!.failed;
    }
  } finally {
    await removeContainers(app);
    await quiet('docker', ['network', 'rm', `${app}_default`]);
    const tags = (await run('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=skiff/${app}/*`])).stdout.split('\n').filter(Boolean);
    if (tags.length > 0) await quiet('docker', ['rmi', ...tags]);
  }
  const u = median(unchanged);
  await record({
    figure: 'upgrade downtime, two services, one changed (netapp 1.0.0→1.0.1 beside an unchanged netapp)',
    skiff: `unchanged ${fmtMs(u)}, changed ${fmtMs(median(changed))}`,
    peer: 'every service restarted (before only-what-changed)',
    ratio: '—',
    target: 'unchanged service: 0 ms, no failed probe',
    met: Math.max(...unchanged) === 0 && unchangedFailed === 0 ? 'yes' : 'no',
    samples: `unchanged ${unchanged.map(fmtMs).join(', ')} (${unchangedFailed} failed probes); changed ${changed.map(fmtMs).join(', ')}`,
  });
}

await main();
