// Figure: check-ins per second on the 304 path with 10,000 enrolled instances, against nginx serving a static file of
// the same size as the hub's 304 answer; both driven by wrk with the same requests (each one a real instance's poll:
// its credential and the ETag it holds, rotating through the fleet), alternating for BENCH_ROUNDS rounds, on SQLite
// and on PostgreSQL. The fleet (bench/lib/fleet-sim.ts) enrolls its first 500 through the API and is seeded with the
// rest, as enrollment writes them: one by one, 10,000 audited enrollments take minutes on PostgreSQL here. Prints one
// JSON row per backend.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { FleetSim } from './lib/fleet-sim.ts';
import { startFleetHub, type Backend } from './lib/fleet-hub.ts';
import { startNginx } from './lib/nginx.ts';

const run = promisify(execFile);
const INSTANCES = Number(process.env.BENCH_FLEET_SIZE ?? 10_000);
/** Enrolled one by one through the API (each an audited, serialized transaction); the rest are seeded into the database. */
const ENROLLED_VIA_API = Number(process.env.BENCH_FLEET_ENROLL ?? 500);
const SECONDS = Number(process.env.BENCH_WRK_SECONDS ?? 10);
const WARMUP_SECONDS = 3;
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const CONNECTIONS = Number(process.env.BENCH_WRK_CONNECTIONS ?? 32);
const TARGET = 0.5;
const P99_TARGET_MS = 20;
const LUA = join(import.meta.dirname, 'lib/checkins.lua');
const DESIRED_PATH = '/api/v1/instances/self/desired';

interface WrkResult {
  readonly requests: number;
  readonly seconds: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
  readonly expected: number;
  readonly other: number;
  readonly socketErrors: number;
}

/** wrk, one thread (the other core serves), CONNECTIONS connections; the Lua script rotates through the fleet file. */
async function wrk(url: string, fleetFile: string, status: number, seconds: number): Promise<WrkRun> {
  const { stdout } = await run('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '-s', LUA, url, '--', fleetFile, String(status)], { timeout: (seconds + 60) * 1000 });
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`wrk printed no result: ${stdout}`);
  const r = JSON.parse(line) as WrkResult;
  if (r.other > 0 || r.socketErrors > 0) throw new Error(`wrk against ${url}: ${r.other} answers were not ${status}, ${r.socketErrors} socket errors`);
  return { ...r, rate: r.requests / r.seconds };
}

/** The bytes of the hub's whole 304 answer (status line and headers), read from a raw socket. */
function answerBytes(origin: string, credential: string, etag: string): Promise<number> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`GET ${DESIRED_PATH} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${credential}\r\nIf-None-Match: ${etag}\r\n\r\n`);
    });
    let got = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      if (got.includes('\r\n\r\n')) {
        socket.destroy();
        if (!got.startsWith('HTTP/1.1 304')) reject(new Error(`expected a 304, got ${got.split('\r\n')[0]}`));
        else resolve(Buffer.byteLength(got, 'latin1'));
      }
    });
    socket.on('error', reject);
  });
}

const ms = (us: number): string => `${(us / 1000).toFixed(1)} ms`;
const progress = (line: string): void => void process.stderr.write(`  ${line}\n`);
const sleep = (msecs: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, msecs)));

type WrkRun = WrkResult & { rate: number };

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};

/** Medians over the rounds: rate, p50 and p99. */
const summary = (runs: readonly WrkRun[]): { rate: number; p50Us: number; p99Us: number } => ({
  rate: median(runs.map((r) => r.rate)),
  p50Us: median(runs.map((r) => r.p50Us)),
  p99Us: median(runs.map((r) => r.p99Us)),
});

async function measure(backend: Backend, dir: string): Promise<Record<string, string>> {
  const fleetHub = await startFleetHub({ backend });
  const sim = await (async () => {
    try {
      const viaApi = Math.min(ENROLLED_VIA_API, INSTANCES);
      progress(`${backend}: enrolling ${viaApi} instances through the API, seeding ${INSTANCES - viaApi} into the database`);
      const t0 = performance.now();
      const enrolled = await FleetSim.enroll({ hub: fleetHub.hub.url, enrollToken: await fleetHub.enrollToken(viaApi), count: viaApi, concurrency: 16 });
      const seconds = (performance.now() - t0) / 1000;
      const t1 = performance.now();
      const db = await fleetHub.openDb();
      try {
        await enrolled.seed({ db, customer: fleetHub.customer, count: INSTANCES - viaApi });
      } finally {
        await db.close();
      }
      return { enrolled, seconds, viaApi, seedSeconds: (performance.now() - t1) / 1000 };
    } catch (e) {
      await fleetHub.stop();
      throw e;
    }
  })();
  const stops = [() => sim.enrolled.close(), () => fleetHub.stop()];
  try {
    const fleet = sim.enrolled;
    progress(`enrolled in ${sim.seconds.toFixed(1)} s, seeded in ${sim.seedSeconds.toFixed(1)} s; first polls (200, signed answers), reports, second polls (304)`);
    await fleet.pollAll();
    if (fleet.stats.changed !== INSTANCES || fleet.stats.errors > 0) throw new Error(`first polls: ${JSON.stringify({ ...fleet.stats, latenciesMs: undefined })}`);
    const firstVerified = fleet.stats.verified;
    await fleet.reportAll();
    // A signing period (10 min) may end between the two rounds on a slow machine: its new ETags are fetched once more.
    for (let round = 0; round < 2 && (round === 0 || fleet.stats.notModified !== INSTANCES); round++) {
      fleet.stats = { ...fleet.stats, notModified: 0 };
      await fleet.pollAll();
    }
    if (fleet.stats.notModified !== INSTANCES || fleet.stats.errors > 0) throw new Error(`second polls were not all 304: ${JSON.stringify({ ...fleet.stats, latenciesMs: undefined })}`);

    const fleetFile = join(dir, `fleet-${backend}.txt`);
    const writeFleetFile = () => writeFile(fleetFile, fleet.agents.map((a) => `${a.credential} ${a.etag ?? ''}`).join('\n') + '\n');
    await writeFleetFile();
    const first = fleet.agents[0];
    if (!first?.etag) throw new Error('the first agent holds no ETag');
    const size = await answerBytes(fleetHub.hub.url, first.credential, first.etag);
    const file = join(dir, `static-${backend}.bin`);
    await writeFile(file, Buffer.alloc(size, 'x'));
    const nginx = await startNginx(await mkdtemp(join(dir, 'nginx-')), { '/desired': file });
    stops.unshift(() => nginx.stop());

    const hubUrl = `${fleetHub.hub.url}${DESIRED_PATH}`;
    const nginxUrl = `${nginx.origin}/desired`;
    // Answers are signed anew every period (new ETags for all): a run must not straddle the end of one.
    const hubRun = async (seconds: number): Promise<WrkRun> => {
      const d = fleet.agents[0]?.desired;
      const periodMs = d ? (Date.parse(d.expires) - Date.parse(d.issued)) / 2 : Infinity;
      const ends = d ? Date.parse(d.issued) + periodMs : Infinity;
      if (ends - Date.now() < (seconds + 10) * 1000) {
        progress('waiting for the next signing period, then polling the fleet for its new answers');
        await sleep(ends - Date.now() + 1000);
        fleet.stats = { ...fleet.stats, errors: 0, changed: 0 };
        await fleet.pollAll();
        if (fleet.stats.changed !== INSTANCES || fleet.stats.errors > 0) throw new Error(`polls in the new period: ${JSON.stringify({ ...fleet.stats, latenciesMs: undefined })}`);
        await writeFleetFile();
      }
      return wrk(hubUrl, fleetFile, 304, seconds);
    };
    progress(`wrk against the hub and nginx: warm-up, then ${ROUNDS} round(s) of ${SECONDS} s each`);
    await hubRun(WARMUP_SECONDS);
    await wrk(nginxUrl, fleetFile, 200, WARMUP_SECONDS);
    // Alternating rounds, so that a busy moment of the machine weighs on both peers alike.
    const ours: WrkRun[] = [];
    const peer: WrkRun[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      ours.push(await hubRun(SECONDS));
      peer.push(await wrk(nginxUrl, fleetFile, 200, SECONDS));
    }
    const o = summary(ours);
    const n = summary(peer);
    const ratio = o.rate / n.rate;
    const name = backend === 'sqlite' ? 'SQLite' : 'PostgreSQL';
    const each = (runs: readonly WrkRun[]): string => runs.map((r) => `${r.rate.toFixed(0)}/s p99 ${ms(r.p99Us)}`).join(', ');
    return {
      figure: `check-ins/s on the 304 path, ${INSTANCES.toLocaleString('en')} enrolled instances, ${name} (wrk -t1 -c${CONNECTIONS}, ${ROUNDS} × ${SECONDS} s)`,
      skiff: `${o.rate.toFixed(0)}/s, p50 ${ms(o.p50Us)}, p99 ${ms(o.p99Us)}`,
      peer: `nginx ${n.rate.toFixed(0)}/s, p50 ${ms(n.p50Us)}, p99 ${ms(n.p99Us)}`,
      ratio: `${(ratio * 100).toFixed(1)} %`,
      target: `≥ ${TARGET * 100} %, p99 < ${P99_TARGET_MS} ms`,
      met: ratio >= TARGET && o.p99Us < P99_TARGET_MS * 1000 ? 'yes' : 'no',
      samples:
        `hub ${each(ours)} (every answer a 304); nginx ${each(peer)} (a ${size}-byte static file, as large as the hub's whole 304 answer); medians shown; ` +
        `${sim.viaApi} instances enrolled through POST /api/v1/enroll (16 at a time, each with its own ed25519 key) in ${sim.seconds.toFixed(1)} s (${(sim.viaApi / sim.seconds).toFixed(0)}/s), ` +
        `${INSTANCES - sim.viaApi} more seeded into the database (instance and credential, as enrollment writes them) in ${sim.seedSeconds.toFixed(1)} s; ` +
        `${firstVerified} first answers checked with verifyDesired`,
    };
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const backends = (process.env.BENCH_FLEET_BACKENDS ?? 'sqlite,postgres').split(',') as Backend[];
  const dir = await mkdtemp(join(tmpdir(), 'skiff-bench-checkins-'));
  try {
    for (const backend of backends) process.stdout.write(`${JSON.stringify(await measure(backend, dir))}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
