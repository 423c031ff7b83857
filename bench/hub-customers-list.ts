// Figure: GET /api/v1/customers with ~730 customers (two entitlements each), 500 at a time, against a `skiff hub serve`
// process (SQLite, or a throwaway PostgreSQL database with BENCH_BACKEND=postgres). Prints one JSON row: req/s, p50, p99.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { openMetadataDb } from '../src/hub/db/index.ts';
import { hubInit, startHubProcess } from '../test/helpers/hub-process.ts';
import { tempDatabase } from '../test/helpers/postgres.ts';

const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 730);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 500);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const APPS = ['benchnet', 'benchmon'];

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function seed(data: string, database: string | undefined): Promise<void> {
  const db = await openMetadataDb({ dataDir: data, database });
  try {
    await db.mutate(async (tx) => {
      for (const app of APPS) await tx.createApp(app, { version: 1, bytes: Buffer.from('{}') });
      for (let i = 0; i < CUSTOMERS; i++)
        await tx.createCustomer({ name: `customer-${i}`, airgapped: i % 2 === 0, entitlements: APPS.map((app) => ({ app, channel: 'stable', expiresAt: null })) });
    }, { actor: 'system', action: 'bench.seed', target: 'customers', address: 'local' });
  } finally {
    await db.close();
  }
}

async function main(): Promise<void> {
  const data = await mkdtemp(join(tmpdir(), 'skiff-bench-customers-'));
  const pg = process.env.BENCH_BACKEND === 'postgres' ? await tempDatabase() : undefined;
  const database = pg?.url;
  try {
    const { token } = await hubInit({ data, database });
    await seed(data, database);
    const hub = await startHubProcess({ data, database });
    // No client timeouts: the slowest answer is part of the figure.
    const agent = new Agent({ connections: CONCURRENCY, headersTimeout: 0, bodyTimeout: 0 });
    try {
      const url = `${hub.url}/api/v1/customers`;
      const headers = { authorization: `Bearer ${token}` };
      const get = async (): Promise<number> => {
        const t0 = performance.now();
        const res = await request(url, { headers, dispatcher: agent });
        const body = (await res.body.json()) as { customers: unknown[] };
        if (res.statusCode !== 200 || body.customers.length !== CUSTOMERS) throw new Error(`GET /customers answered ${res.statusCode}`);
        return performance.now() - t0;
      };
      await get();
      const latencies: number[] = [];
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next++ < REQUESTS) latencies.push(await get());
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      latencies.sort((a, b) => a - b);
      const row = {
        figure: `GET /customers, ${CUSTOMERS} customers, ${CONCURRENCY} concurrent, ${REQUESTS} requests (${database ? 'PostgreSQL' : 'SQLite'})`,
        throughput: `${(REQUESTS / seconds).toFixed(0)} req/s`,
        p50: `${(percentile(latencies, 50) / 1000).toFixed(2)} s`,
        p99: `${(percentile(latencies, 99) / 1000).toFixed(2)} s`,
      };
      process.stdout.write(`${JSON.stringify(row)}\n`);
    } finally {
      await agent.close();
      await hub.stop();
    }
  } finally {
    await pg?.drop();
    await rm(data, { recursive: true, force: true });
  }
}

await main();
