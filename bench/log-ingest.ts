// Figures: log lines per second a hub ingests (a real `skiff hub serve`, SQLite and PostgreSQL; batches of 1,000
// lines from two instances at once, each one batch in flight, as agents send them), and the log agent's CPU and RSS
// while it ships a container writing ~1,000 lines/s, against `docker logs -f --timestamps > file` on the same
// container over the same window. Prints one JSON row per figure.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { DockerEngine } from '../src/engine/index.ts';
import { Label } from '../src/oci/index.ts';
import { enrollInstance } from '../test/helpers/checkin.ts';
import { buildBusyboxImage, uniqueName } from '../test/helpers/engine.ts';
import { startFleetHub, type Backend } from './lib/fleet-hub.ts';

const BATCHES = Number(process.env.BENCH_LOG_BATCHES ?? 40);
const BATCH_LINES = 1000;
const WINDOW_S = Number(process.env.BENCH_LOG_WINDOW_S ?? 20);
const AGENT = fileURLToPath(new URL('../test/helpers/log-agent-process.ts', import.meta.url));
const CLK_TCK = 100;

async function post(url: string, credential: string, body: string): Promise<void> {
  const res = await request(url, { method: 'POST', headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' }, body });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`ingest: ${res.statusCode} ${text}`);
}

async function ingestFigure(backend: Backend): Promise<void> {
  const fleet = await startFleetHub({ backend, app: 'logbench' });
  try {
    const token = await fleet.enrollToken(2);
    const sites = [await enrollInstance(fleet.hub.url, token, 'site-a'), await enrollInstance(fleet.hub.url, token, 'site-b')];
    const message = 'GET /api/v1/items?page=2 200 12ms user=4711 agent="Mozilla/5.0 (X11; Linux x86_64)" upstream=10.0.0.12:8080';
    const bodies = (stream: string) => Array.from({ length: BATCHES }, (_, b) => JSON.stringify({
      stream,
      lines: Array.from({ length: BATCH_LINES }, (_, i) => ({ seq: b * BATCH_LINES + i + 1, at: new Date(Date.now() - 60_000 + i).toISOString(), service: 'web', source: 'stdout', level: 'info', message: `${message} #${i}` })),
    }));
    const work = sites.map((s) => ({ s, bodies: bodies(`bench-${s.id.slice(0, 8)}`) }));
    const t0 = performance.now();
    await Promise.all(work.map(async ({ s, bodies: list }) => {
      for (const body of list) await post(`${fleet.hub.url}/api/v1/instances/${s.id}/logs`, s.credential, body);
    }));
    const seconds = (performance.now() - t0) / 1000;
    const lines = sites.length * BATCHES * BATCH_LINES;
    console.log(JSON.stringify({
      figure: `log ingest at the hub, ${backend === 'sqlite' ? 'SQLite' : 'PostgreSQL'} (2 instances, batches of ${BATCH_LINES} lines)`,
      skiff: `${Math.round(lines / seconds)} lines/s`, peer: '—', ratio: '—', target: 'reported', met: '—',
      samples: `${lines} lines in ${seconds.toFixed(2)} s`,
    }));
  } finally {
    await fleet.stop();
  }
}

/** utime+stime (clock ticks) and VmRSS (KiB) of a process. */
async function usage(pid: number): Promise<{ ticks: number; rssKb: number }> {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  const rss = /VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1];
  return { ticks: Number(stat[11]) + Number(stat[12]), rssKb: Number(rss) };
}

/** CPU (% of one core) and the peak RSS of `pid` over the window, sampled every second. */
async function measure(pid: number, seconds: number): Promise<{ cpuPercent: number; peakRssMb: number }> {
  const first = await usage(pid);
  let peak = first.rssKb;
  const t0 = performance.now();
  for (let i = 0; i < seconds; i += 1) {
    await sleep(1000);
    peak = Math.max(peak, (await usage(pid)).rssKb);
  }
  const last = await usage(pid);
  const wall = (performance.now() - t0) / 1000;
  return { cpuPercent: +((100 * (last.ticks - first.ticks)) / CLK_TCK / wall).toFixed(1), peakRssMb: +(peak / 1024).toFixed(1) };
}

async function shippingFigure(): Promise<void> {
  const engine = await DockerEngine.connect();
  const app = uniqueName('sklogbench');
  const tag = `${app}-img:1`;
  const dir = await mkdtemp(join(tmpdir(), 'skiff-log-bench-'));
  const fleet = await startFleetHub({ backend: 'sqlite', app });
  const children: ChildProcess[] = [];
  let container: string | undefined;
  try {
    await buildBusyboxImage(engine, tag);
    // 100 lines every 100 ms: about 1,000 lines/s (the shell's own time makes it a little less; the rate is measured).
    const script = 'n=0; while true; do i=0; while [ $i -lt 100 ]; do n=$((n+1)); echo "GET /api/v1/items/$n 200 12ms user=4711 upstream=10.0.0.12:8080 req=$n"; i=$((i+1)); done; usleep 100000; done';
    container = await engine.containerCreate(`${app}-web-1`, { Image: tag, Cmd: ['sh', '-c', script], Labels: { [Label.app]: app, [Label.service]: 'web' } });
    await engine.containerStart(container);
    const site = await enrollInstance(fleet.hub.url, await fleet.enrollToken(1), 'site-1');
    const agent = spawn(process.execPath, ['--import', 'tsx', AGENT, join(dir, 'state'), app, site.id, fleet.hub.url, site.credential], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(agent);
    await new Promise<void>((resolve) => agent.stdout?.on('data', (c: Buffer) => c.toString().includes('started') && resolve()));
    const docker = spawn('docker', ['logs', '-f', '--timestamps', container], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(docker);
    docker.stdout?.pipe(createWriteStream(join(dir, 'docker-logs.txt')));
    docker.stderr?.pipe(createWriteStream(join(dir, 'docker-logs.txt'), { flags: 'a' }));
    await sleep(8000);
    const count = async (): Promise<number> => {
      const db = await fleet.openDb();
      try {
        return (await db.logs.search({ instanceId: site.id, limit: 1 })).at(-1)?.seq ?? 0;
      } finally {
        await db.close();
      }
    };
    const before = await count();
    const t0 = performance.now();
    const [agentUse, dockerUse] = await Promise.all([measure(agent.pid ?? 0, WINDOW_S), measure(docker.pid ?? 0, WINDOW_S)]);
    const shipped = (await count()) - before;
    const rate = Math.round(shipped / ((performance.now() - t0) / 1000));
    console.log(JSON.stringify({
      figure: `log agent shipping ~1,000 lines/s (CPU, peak RSS over ${WINDOW_S} s)`,
      skiff: `${agentUse.cpuPercent} % CPU, ${agentUse.peakRssMb} MB`, peer: `docker logs -f --timestamps > file: ${dockerUse.cpuPercent} % CPU, ${dockerUse.peakRssMb} MB`,
      ratio: '—', target: 'reported', met: '—', samples: `${rate} lines/s shipped to the hub`,
    }));
  } finally {
    for (const c of children) c.kill('SIGKILL');
    if (container) await engine.containerRemove(container, { force: true }).catch(() => undefined);
    await engine.imageRemove(tag, { force: true }).catch(() => undefined);
    await engine.close();
    await fleet.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await ingestFigure('sqlite');
await ingestFigure('postgres');
await shippingFigure();
